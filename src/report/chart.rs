//! Two small SVG charts of a report, made here rather than in the page's
//! script: the output is checked by unit tests, the page stays free of
//! chart code and of building markup from data (it only places the SVG
//! it gets), and no chart library has to be served or trusted.
//!
//! The SVG uses presentation attributes and classes, never `style`
//! attributes, so the page's strict Content-Security-Policy allows it.
//! Every bar has a `<title>` with its exact figure (shown on hover); the
//! chart as a whole has a name and a `<desc>` with its totals, and the
//! page's "Per dag" table holds every figure as text (WCAG 1.1.1).
//!
//! Text is [`FONT`] units and up. The page never draws a chart narrower
//! than its [`WIDTH`] (rapport.css), so a unit is at least a CSS pixel and
//! chart text is 12 px or larger on screen.

use super::{Report, Row};
use chrono::{Datelike, NaiveDate};
use std::fmt::Write;

pub const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 52.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 32.0;
const BOTTOM: f64 = 28.0;
/// The smallest text size in the charts (axis labels), in SVG units.
pub const FONT: f64 = 12.0;
/// The legend's text size.
const LEGEND_FONT: f64 = 13.0;

/// One stacked part of a bar: class, legend text, colour.
struct Series {
    class: &'static str,
    label: &'static str,
    colour: &'static str,
}

const OUTCOMES: [Series; 4] = [
    Series {
        class: "bot-one-go",
        label: "bot, in één keer",
        colour: "#2e7d32",
    },
    Series {
        class: "bot-exchange",
        label: "bot, na gesprek",
        colour: "#81c784",
    },
    Series {
        class: "handed-over",
        label: "naar medewerker",
        colour: "#1565c0",
    },
    Series {
        class: "in-progress",
        label: "loopt nog",
        colour: "#9e9e9e",
    },
];

const WAITS: [Series; 2] = [
    Series {
        class: "median",
        label: "mediaan",
        colour: "#1565c0",
    },
    Series {
        class: "p90",
        label: "90% binnen",
        colour: "#90caf9",
    },
];

/// Escapes text for SVG content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A round axis maximum at or above `max` (1, 2, 5 × 10ⁿ), at least 1.
fn nice_max(max: f64) -> f64 {
    if max <= 1.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|step| step * magnitude)
        .find(|candidate| *candidate >= max)
        .unwrap_or(10.0 * magnitude)
}

const WEEKDAYS: [&str; 7] = ["ma", "di", "wo", "do", "vr", "za", "zo"];

fn day_label(day: NaiveDate) -> String {
    let weekday = WEEKDAYS[day.weekday().num_days_from_monday() as usize];
    format!("{weekday} {}-{}", day.day(), day.month())
}

/// The frame: the opening tag, title, description, legend, grid and axis
/// labels.
fn frame(
    out: &mut String,
    class: &str,
    (title, desc): (&str, &str),
    legend: &[Series],
    max: f64,
    unit: &str,
) {
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart {class}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-label=\"{t}\"><title>{t}</title><desc>{d}</desc>",
        t = escape(title),
        d = escape(desc)
    );
    let mut x = LEFT;
    for series in legend {
        let _ = write!(
            out,
            "<rect class=\"legend {}\" x=\"{x}\" y=\"7\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"{}\" y=\"18\" font-size=\"{LEGEND_FONT}\">{}</text>",
            series.class,
            series.colour,
            x + 16.0,
            escape(series.label)
        );
        // About 0.6 em per character, and room before the next swatch.
        x += 28.0 + 0.6 * LEGEND_FONT * series.label.chars().count() as f64;
    }
    let plot = HEIGHT - TOP - BOTTOM;
    let ticks = ticks(max);
    for i in 0..=ticks {
        let value = max * f64::from(i) / f64::from(ticks);
        let y = TOP + plot - plot * f64::from(i) / f64::from(ticks);
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/><text class=\"axis\" x=\"{}\" y=\"{:.1}\" font-size=\"{FONT}\" text-anchor=\"end\">{}{unit}</text>",
            WIDTH - RIGHT,
            LEFT - 5.0,
            y + 4.0,
            trim(value)
        );
    }
}

/// How many grid steps divide `max` (from [`nice_max`]) into round
/// numbers: 50 in steps of 10, 20 in steps of 5, 1 in one step.
fn ticks(max: f64) -> u32 {
    if max <= 1.0 {
        return 1;
    }
    let leading = max / 10f64.powf(max.log10().floor());
    if (leading - 2.0).abs() < 1e-9 { 4 } else { 5 }
}

fn trim(value: f64) -> String {
    if (value - value.round()).abs() < 1e-9 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

/// The x position and width of the bar of day `i` of `n`, and whether its
/// label is shown (at most 8 labels, so "ma 26-10" at 12 units never
/// overlaps the next).
fn slot(i: usize, n: usize) -> (f64, f64, bool) {
    let step = (WIDTH - LEFT - RIGHT) / n.max(1) as f64;
    let every = n.div_ceil(8).max(1);
    (LEFT + step * i as f64, step, i % every == 0)
}

fn x_label(out: &mut String, row: &Row, x: f64, step: f64) {
    let _ = write!(
        out,
        "<text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\" font-size=\"{FONT}\" text-anchor=\"middle\">{}</text>",
        x + step / 2.0,
        HEIGHT - 9.0,
        escape(&day_label(row.from))
    );
}

/// A wait as people say it: "45 s", "50 min", "2 u 05 min".
fn spoken(secs: i64) -> String {
    match secs {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s => format!("{} u {:02} min", s / 3600, (s % 3600) / 60),
    }
}

/// Contacts per day, stacked by outcome.
pub fn contacts(report: &Report) -> String {
    let max = report
        .days
        .iter()
        .map(|d| d.contacts as f64)
        .fold(0.0, f64::max);
    let max = nice_max(max);
    let mut out = String::new();
    let t = &report.total;
    let desc = format!(
        "{} contacten van {} tot en met {}: {} door de bot in één keer, {} door de bot na een gesprek, {} naar een medewerker, {} lopen nog. De cijfers per dag staan in de tabel Per dag.",
        t.contacts,
        report.from,
        report.to,
        t.bot_one_go,
        t.bot_exchange,
        t.handed_over,
        t.in_progress
    );
    frame(
        &mut out,
        "contacts",
        ("Contacten per dag, naar uitkomst", &desc),
        &OUTCOMES,
        max,
        "",
    );
    let plot = HEIGHT - TOP - BOTTOM;
    let n = report.days.len();
    for (i, row) in report.days.iter().enumerate() {
        let (x, step, labelled) = slot(i, n);
        let width = (step * 0.7).max(1.0);
        let mut base = TOP + plot;
        let parts = [
            row.bot_one_go,
            row.bot_exchange,
            row.handed_over,
            row.in_progress,
        ];
        for (series, value) in OUTCOMES.iter().zip(parts) {
            if value <= 0 {
                continue;
            }
            let height = plot * value as f64 / max;
            base -= height;
            let _ = write!(
                out,
                "<rect class=\"bar {}\" x=\"{:.1}\" y=\"{base:.1}\" width=\"{width:.1}\" height=\"{height:.1}\" fill=\"{}\"><title>{}: {value} {}</title></rect>",
                series.class,
                x + (step - width) / 2.0,
                series.colour,
                escape(&day_label(row.from)),
                escape(series.label)
            );
        }
        if labelled {
            x_label(&mut out, row, x, step);
        }
    }
    out.push_str("</svg>");
    out
}

/// Waiting time for the first staff reply per day (office-hours minutes):
/// the median and the time within which 90% got an answer.
pub fn waiting(report: &Report) -> String {
    let longest = report
        .days
        .iter()
        .filter_map(|d| d.first_reply_p90_secs)
        .max()
        .unwrap_or(0);
    // Minutes for short waits, hours once they run past three hours.
    let (unit_secs, unit, unit_name) = if longest > 3 * 3600 {
        (3600.0, " u", "uren")
    } else {
        (60.0, "", "minuten")
    };
    let scaled = |secs: Option<i64>| secs.map(|s| s as f64 / unit_secs);
    let max = nice_max(longest as f64 / unit_secs);
    let mut out = String::new();
    let t = &report.total;
    let desc = match (t.first_reply_median_secs, t.first_reply_p90_secs) {
        (Some(median), Some(p90)) => format!(
            "Over {} tot en met {}: mediaan {}, 90% binnen {}, over {} eerste antwoorden. De cijfers per dag staan in de tabel Per dag.",
            report.from,
            report.to,
            spoken(median),
            spoken(p90),
            t.replies
        ),
        _ => format!(
            "Van {} tot en met {} gaf geen medewerker een eerste antwoord.",
            report.from, report.to
        ),
    };
    frame(
        &mut out,
        "waiting",
        (
            &format!("Wachttijd tot eerste antwoord van een medewerker ({unit_name} kantoortijd)"),
            &desc,
        ),
        &WAITS,
        max,
        unit,
    );
    let plot = HEIGHT - TOP - BOTTOM;
    let n = report.days.len();
    for (i, row) in report.days.iter().enumerate() {
        let (x, step, labelled) = slot(i, n);
        let width = (step * 0.35).max(1.0);
        let values = [row.first_reply_median_secs, row.first_reply_p90_secs];
        for (k, (series, secs)) in WAITS.iter().zip(values).enumerate() {
            let (Some(value), Some(secs)) = (scaled(secs), secs) else {
                continue;
            };
            let height = plot * value / max;
            let _ = write!(
                out,
                "<rect class=\"bar {}\" x=\"{:.1}\" y=\"{:.1}\" width=\"{width:.1}\" height=\"{height:.1}\" fill=\"{}\"><title>{}: {} {}</title></rect>",
                series.class,
                x + step * 0.15 + width * k as f64,
                TOP + plot - height,
                series.colour,
                escape(&day_label(row.from)),
                escape(series.label),
                spoken(secs)
            );
        }
        if labelled {
            x_label(&mut out, row, x, step);
        }
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{DayCounts, DurationCount, Metric, Stored, build};

    fn date(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).expect("date")
    }

    fn report() -> Report {
        let stored = Stored {
            days: vec![
                DayCounts {
                    day: date(23),
                    channel: "whatsapp".to_owned(),
                    contacts: 10,
                    bot_one_go: 5,
                    bot_exchange: 2,
                    handed_over: 3,
                    ..DayCounts::default()
                },
                DayCounts {
                    day: date(24),
                    channel: "whatsapp".to_owned(),
                    contacts: 4,
                    handed_over: 4,
                    ..DayCounts::default()
                },
            ],
            durations: vec![
                DurationCount {
                    day: date(23),
                    metric: Metric::FirstReply,
                    seconds: 600,
                    count: 3,
                },
                DurationCount {
                    day: date(24),
                    metric: Metric::FirstReply,
                    seconds: 3000,
                    count: 4,
                },
            ],
            ..Stored::default()
        };
        build(date(23), date(25), &stored)
    }

    /// The `height` attributes of bars of one class, in order.
    fn heights(svg: &str, class: &str) -> Vec<f64> {
        let needle = format!("class=\"bar {class}\"");
        svg.split("<rect ")
            .filter(|tag| tag.contains(&needle))
            .filter_map(|tag| {
                let start = tag.find("height=\"")? + 8;
                let end = tag[start..].find('"')? + start;
                tag[start..end].parse().ok()
            })
            .collect()
    }

    #[test]
    fn contact_bars_are_stacked_and_proportional() {
        let svg = contacts(&report());
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.ends_with("</svg>"));
        // Axis up to 10: 5 contacts are half the plot (188 px high).
        let plot = HEIGHT - TOP - BOTTOM;
        assert_eq!(heights(&svg, "bot-one-go"), [plot / 2.0]);
        assert_eq!(heights(&svg, "bot-exchange").len(), 1);
        let handed = heights(&svg, "handed-over");
        assert_eq!(handed.len(), 2, "one bar per day with hand-overs");
        assert!(
            (handed[1] / handed[0] - 4.0 / 3.0).abs() < 0.01,
            "{handed:?}"
        );
        // An empty day draws nothing; its label is still there.
        assert!(svg.contains("wo 25-11"));
        assert!(svg.contains("<title>ma 23-11: 5 bot, in één keer</title>"));
        assert!(
            !svg.contains("style="),
            "the page's policy blocks style attributes"
        );
    }

    #[test]
    fn waiting_bars_show_median_and_p90_in_minutes() {
        let svg = waiting(&report());
        assert_eq!(heights(&svg, "median").len(), 2);
        assert_eq!(heights(&svg, "p90").len(), 2);
        assert!(svg.contains("di 24-11: mediaan 50 min"), "{svg}");
        assert!(svg.contains("minuten kantoortijd"), "{svg}");
        // 50 minutes on an axis up to 50.
        let plot = HEIGHT - TOP - BOTTOM;
        assert_eq!(heights(&svg, "median")[1], plot);
    }

    #[test]
    fn long_waits_are_drawn_in_hours() {
        let mut report = report();
        report.days[0].first_reply_p90_secs = Some(7 * 3600);
        let svg = waiting(&report);
        assert!(svg.contains("uren kantoortijd"), "{svg}");
        assert!(svg.contains(">10 u</text>"), "axis up to 10 hours: {svg}");
        assert!(svg.contains("ma 23-11: 90% binnen 7 u 00 min"), "{svg}");
    }

    /// Every `font-size` attribute of an SVG.
    fn font_sizes(svg: &str) -> Vec<f64> {
        svg.split("font-size=\"")
            .skip(1)
            .filter_map(|rest| rest[..rest.find('"')?].parse().ok())
            .collect()
    }

    #[test]
    fn text_is_twelve_units_or_more_and_each_chart_describes_itself() {
        for svg in [contacts(&report()), waiting(&report())] {
            let sizes = font_sizes(&svg);
            assert!(!sizes.is_empty(), "{svg}");
            assert!(sizes.iter().all(|s| *s >= 12.0), "{sizes:?}");
            assert!(svg.contains(&format!("viewBox=\"0 0 {WIDTH} ")), "{svg}");
        }
        let svg = contacts(&report());
        assert!(
            svg.contains("<desc>14 contacten van 2026-11-23 tot en met 2026-11-25: 5 door de bot in één keer, 2 door de bot na een gesprek, 7 naar een medewerker, 0 lopen nog."),
            "{svg}"
        );
        let svg = waiting(&report());
        assert!(
            svg.contains("<desc>Over 2026-11-23 tot en met 2026-11-25: mediaan 50 min"),
            "{svg}"
        );
        // Four weeks: at most eight day labels, so 12-unit labels never overlap.
        let month = crate::report::build(date(1), date(28), &Stored::default());
        let labels = contacts(&month).matches("text-anchor=\"middle\"").count();
        assert!((4..=8).contains(&labels), "{labels}");
    }

    #[test]
    fn axis_maxima_are_round_and_text_is_escaped() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(7.0), 10.0);
        assert_eq!(nice_max(10.0), 10.0);
        assert_eq!(nice_max(11.0), 20.0);
        assert_eq!(nice_max(430.0), 500.0);
        assert_eq!(
            (ticks(50.0), ticks(20.0), ticks(10.0), ticks(1.0)),
            (5, 4, 5, 1)
        );
        assert_eq!(spoken(3 * 3600 + 7 * 60), "3 u 07 min");
        assert_eq!(escape("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
    }
}
