//! The opening hours of single days as data: time intervals in local wall
//! time, a day's resolved schedule (from the week, a holiday or an
//! exception) and the plain-text table editors read. Invariant: an
//! [`Interval`] always has `start < end` within one day (`end` may be 24:00),
//! so it can never cross midnight.

use std::fmt;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::Serialize;
use serde::ser::SerializeStruct;

use super::wording::weekday_name;
use crate::domain::Language;

/// Minutes in a day; also the minute value of an end time of `24:00`.
pub(super) const MINUTES_PER_DAY: u16 = 24 * 60;

/// An open interval `[start, end)` on one day, in local wall-clock minutes
/// since midnight. Serialises as `{"from":"08:30","to":"12:30"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Interval {
    start: u16,
    end: u16,
}

impl Interval {
    /// An interval from `start` to `end` minutes after local midnight;
    /// `None` unless `start < end <= 1440`.
    pub fn new(start: u16, end: u16) -> Option<Interval> {
        (start < end && end <= MINUTES_PER_DAY).then_some(Interval { start, end })
    }

    /// Opening time in minutes after local midnight.
    pub fn start_minute(self) -> u16 {
        self.start
    }

    /// Closing time in minutes after local midnight (1440 for `24:00`).
    pub fn end_minute(self) -> u16 {
        self.end
    }

    /// Opening time as `HH:MM`.
    pub fn start_text(self) -> String {
        clock(self.start)
    }

    /// Closing time as `HH:MM` (`24:00` for the end of the day).
    pub fn end_text(self) -> String {
        clock(self.end)
    }

    /// Length of the interval in wall-clock minutes (the real length differs
    /// on a DST switch day when the switch falls inside the interval).
    pub fn minutes(self) -> u16 {
        self.end - self.start
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", clock(self.start), clock(self.end))
    }
}

impl Serialize for Interval {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("Interval", 2)?;
        state.serialize_field("from", &self.start_text())?;
        state.serialize_field("to", &self.end_text())?;
        state.end()
    }
}

/// `HH:MM` for minutes after midnight.
fn clock(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// Where a day's hours come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DaySource {
    /// The regular weekly schedule.
    Week,
    /// A public holiday the organisation closes on.
    Holiday,
    /// A dated exception from `[[exceptions]]` (closure or special hours).
    Exception,
}

/// The resolved opening hours of one local date, for the FAQ, the admin
/// screens and the editors' table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DaySchedule {
    /// The local date; serialises as `YYYY-MM-DD`.
    pub date: NaiveDate,
    /// The Dutch weekday name, e.g. "maandag".
    pub weekday: &'static str,
    /// Open intervals in local time, sorted; empty when closed.
    pub intervals: Vec<Interval>,
    /// True when the office is closed the whole day.
    pub closed: bool,
    /// Holiday name or exception reason, e.g. "Eerste Kerstdag" or "Kerstavond".
    pub note: Option<String>,
    /// Whether the week, a holiday or an exception decided this day.
    pub source: DaySource,
}

impl DaySchedule {
    /// Builds a day's schedule; `closed` follows from `intervals`.
    pub(super) fn new(
        date: NaiveDate,
        intervals: Vec<Interval>,
        note: Option<String>,
        source: DaySource,
    ) -> DaySchedule {
        DaySchedule {
            date,
            weekday: weekday_name(date.weekday(), Language::Nl),
            closed: intervals.is_empty(),
            intervals,
            note,
            source,
        }
    }
}

/// Two-letter Dutch weekday abbreviation for the editors' table.
fn weekday_abbreviation(weekday: Weekday) -> &'static str {
    match weekday {
        Weekday::Mon => "ma",
        Weekday::Tue => "di",
        Weekday::Wed => "wo",
        Weekday::Thu => "do",
        Weekday::Fri => "vr",
        Weekday::Sat => "za",
        Weekday::Sun => "zo",
    }
}

/// Renders days as an aligned plain-text table, one line per day, e.g.
///
/// ```text
/// do 24-12-2026  08:30-12:00               Kerstavond (afwijkend)
/// vr 25-12-2026  gesloten                  Eerste Kerstdag
/// ```
///
/// Exceptions are marked "(afwijkend)" so an editor sees which lines come
/// from `[[exceptions]]`. Every line ends with a newline.
pub fn render_schedule_text(days: &[DaySchedule]) -> String {
    let hours: Vec<String> = days.iter().map(hours_column).collect();
    // Wide enough for two intervals, wider when a day has more, so the notes
    // always line up.
    let width = hours
        .iter()
        .map(|text| text.chars().count())
        .max()
        .unwrap_or(0)
        .max("08:30-12:30, 13:00-17:00".len());

    let mut out = String::new();
    for (day, hours) in days.iter().zip(hours) {
        let note = match (&day.note, day.source) {
            (Some(note), DaySource::Exception) => format!("{note} (afwijkend)"),
            (None, DaySource::Exception) => "(afwijkend)".to_owned(),
            (Some(note), _) => note.clone(),
            (None, _) => String::new(),
        };
        let line = format!(
            "{} {}  {hours:<width$}  {note}",
            weekday_abbreviation(day.date.weekday()),
            day.date.format("%d-%m-%Y"),
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The hours column: the intervals joined by ", ", or "gesloten".
fn hours_column(day: &DaySchedule) -> String {
    if day.intervals.is_empty() {
        "gesloten".to_owned()
    } else {
        day.intervals
            .iter()
            .map(Interval::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).expect("valid test date")
    }

    fn interval(start: u16, end: u16) -> Interval {
        Interval::new(start, end).expect("valid test interval")
    }

    #[test]
    fn an_interval_must_end_after_it_starts_and_by_midnight() {
        assert!(Interval::new(600, 600).is_none());
        assert!(Interval::new(700, 600).is_none());
        assert!(Interval::new(0, 1441).is_none());
        assert_eq!(interval(0, 1440).to_string(), "00:00-24:00");
    }

    #[test]
    fn a_day_schedule_serialises_with_dutch_weekday_and_text_times() {
        let day = DaySchedule::new(
            date(2026, 12, 24),
            vec![interval(510, 720)],
            Some("Kerstavond".to_owned()),
            DaySource::Exception,
        );
        let json = serde_json::to_value(&day).expect("serialisable");
        assert_eq!(
            json,
            serde_json::json!({
                "date": "2026-12-24",
                "weekday": "donderdag",
                "intervals": [{"from": "08:30", "to": "12:00"}],
                "closed": false,
                "note": "Kerstavond",
                "source": "exception",
            })
        );
    }

    #[test]
    fn the_editors_table_lines_up_hours_and_notes() {
        let days = [
            DaySchedule::new(
                date(2026, 12, 23),
                vec![interval(510, 750), interval(780, 1020)],
                None,
                DaySource::Week,
            ),
            DaySchedule::new(
                date(2026, 12, 24),
                vec![interval(510, 720)],
                Some("Kerstavond".to_owned()),
                DaySource::Exception,
            ),
            DaySchedule::new(
                date(2026, 12, 25),
                vec![],
                Some("Eerste Kerstdag".to_owned()),
                DaySource::Holiday,
            ),
        ];
        assert_eq!(
            render_schedule_text(&days),
            "wo 23-12-2026  08:30-12:30, 13:00-17:00\n\
             do 24-12-2026  08:30-12:00               Kerstavond (afwijkend)\n\
             vr 25-12-2026  gesloten                  Eerste Kerstdag\n"
        );
    }
}
