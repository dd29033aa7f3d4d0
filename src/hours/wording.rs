//! How a moment is worded for a citizen ("Je krijgt uiterlijk {moment}
//! antwoord"), in Dutch or English. Invariant: the wording always describes
//! the moment in the organisation's local time zone, relative to the local
//! date of `now`, so "vandaag" and "morgen" mean what the citizen expects.
//!
//! Day and month names come from our own tables rather than a system
//! locale, so the output never depends on the machine it runs on.

use chrono::{DateTime, Datelike, TimeDelta, Utc, Weekday};
use chrono_tz::Tz;

use crate::domain::Language;

/// Beyond this many days a date is shown with its year, so "4 januari" is
/// never mistaken for the coming one when it is the one after.
const SHOW_YEAR_AFTER_DAYS: i64 = 180;

/// The full weekday name: Dutch in lowercase ("maandag"), English
/// capitalised ("Monday").
pub fn weekday_name(weekday: Weekday, lang: Language) -> &'static str {
    match (lang, weekday) {
        (Language::Nl, Weekday::Mon) => "maandag",
        (Language::Nl, Weekday::Tue) => "dinsdag",
        (Language::Nl, Weekday::Wed) => "woensdag",
        (Language::Nl, Weekday::Thu) => "donderdag",
        (Language::Nl, Weekday::Fri) => "vrijdag",
        (Language::Nl, Weekday::Sat) => "zaterdag",
        (Language::Nl, Weekday::Sun) => "zondag",
        (Language::En, Weekday::Mon) => "Monday",
        (Language::En, Weekday::Tue) => "Tuesday",
        (Language::En, Weekday::Wed) => "Wednesday",
        (Language::En, Weekday::Thu) => "Thursday",
        (Language::En, Weekday::Fri) => "Friday",
        (Language::En, Weekday::Sat) => "Saturday",
        (Language::En, Weekday::Sun) => "Sunday",
    }
}

/// The month name for `month` (1-12): Dutch in lowercase ("januari"),
/// English capitalised ("January"). An out-of-range month gives "?".
pub fn month_name(month: u32, lang: Language) -> &'static str {
    const NL: [&str; 12] = [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ];
    const EN: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let table = match lang {
        Language::Nl => &NL,
        Language::En => &EN,
    };
    usize::try_from(month)
        .ok()
        .and_then(|m| m.checked_sub(1))
        .and_then(|index| table.get(index))
        .copied()
        .unwrap_or("?")
}

/// Words a moment for a citizen, relative to `now`, in the time zone `tz`:
///
/// - same local date: "vandaag om 15:00" / "today at 15:00"
/// - next local date: "morgen (dinsdag 3 december) om 10:00" /
///   "tomorrow (Tuesday 3 December) at 10:00"
/// - otherwise: "maandag 2 december om 12:30" / "Monday 2 December at 12:30"
///
/// The year is added ("maandag 4 januari 2027 om 10:00") only when the
/// moment is more than 180 days from `now`.
pub fn format_moment(at: DateTime<Utc>, now: DateTime<Utc>, tz: Tz, lang: Language) -> String {
    let local = at.with_timezone(&tz);
    let today = now.with_timezone(&tz).date_naive();
    let date = local.date_naive();
    let time = local.format("%H:%M").to_string();
    let show_year = (at - now).abs() > TimeDelta::days(SHOW_YEAR_AFTER_DAYS);

    let mut day_text = format!(
        "{} {} {}",
        weekday_name(date.weekday(), lang),
        date.day(),
        month_name(date.month(), lang)
    );
    if show_year {
        day_text.push_str(&format!(" {}", date.year()));
    }

    let days_ahead = (date - today).num_days();
    match (lang, days_ahead) {
        (Language::Nl, 0) => format!("vandaag om {time}"),
        (Language::En, 0) => format!("today at {time}"),
        (Language::Nl, 1) => format!("morgen ({day_text}) om {time}"),
        (Language::En, 1) => format!("tomorrow ({day_text}) at {time}"),
        (Language::Nl, _) => format!("{day_text} om {time}"),
        (Language::En, _) => format!("{day_text} at {time}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::Europe::Amsterdam;

    fn local(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
        Amsterdam
            .with_ymd_and_hms(year, month, day, hour, minute, 0)
            .single()
            .expect("unambiguous test time")
            .with_timezone(&Utc)
    }

    #[test]
    fn a_moment_later_today_says_today_in_both_languages() {
        let now = local(2024, 12, 2, 9, 0);
        let at = local(2024, 12, 2, 15, 0);
        assert_eq!(
            format_moment(at, now, Amsterdam, Language::Nl),
            "vandaag om 15:00"
        );
        assert_eq!(
            format_moment(at, now, Amsterdam, Language::En),
            "today at 15:00"
        );
    }

    #[test]
    fn a_moment_tomorrow_names_the_day_in_brackets() {
        let now = local(2024, 12, 2, 9, 0);
        let at = local(2024, 12, 3, 10, 0);
        assert_eq!(
            format_moment(at, now, Amsterdam, Language::Nl),
            "morgen (dinsdag 3 december) om 10:00"
        );
        assert_eq!(
            format_moment(at, now, Amsterdam, Language::En),
            "tomorrow (Tuesday 3 December) at 10:00"
        );
    }

    #[test]
    fn a_moment_further_away_names_weekday_day_and_month() {
        let now = local(2024, 11, 29, 16, 30);
        let at = local(2024, 12, 2, 12, 30);
        assert_eq!(
            format_moment(at, now, Amsterdam, Language::Nl),
            "maandag 2 december om 12:30"
        );
        assert_eq!(
            format_moment(at, now, Amsterdam, Language::En),
            "Monday 2 December at 12:30"
        );
    }

    #[test]
    fn the_year_is_shown_only_more_than_180_days_ahead() {
        let now = local(2026, 6, 1, 10, 0);
        let far = local(2027, 1, 4, 10, 0);
        assert_eq!(
            format_moment(far, now, Amsterdam, Language::Nl),
            "maandag 4 januari 2027 om 10:00"
        );
        assert_eq!(
            format_moment(far, now, Amsterdam, Language::En),
            "Monday 4 January 2027 at 10:00"
        );
        // Exactly 180 days later: no year; one minute beyond: the year.
        let limit = now + chrono::Duration::days(180);
        assert!(!format_moment(limit, now, Amsterdam, Language::Nl).contains("2026"));
        let beyond = limit + chrono::Duration::minutes(1);
        assert!(format_moment(beyond, now, Amsterdam, Language::Nl).contains("2026"));
    }

    #[test]
    fn today_and_tomorrow_follow_the_local_date_not_the_utc_date() {
        // 23:30 local is 22:30 UTC in winter; 00:30 local the next day is
        // still the same UTC date, but for the citizen it is tomorrow.
        let now = local(2026, 12, 1, 23, 30);
        let at = local(2026, 12, 2, 0, 30);
        assert_eq!(now.date_naive(), at.date_naive());
        assert_eq!(
            format_moment(at, now, Amsterdam, Language::Nl),
            "morgen (woensdag 2 december) om 00:30"
        );
    }

    #[test]
    fn dutch_names_are_lowercase_and_english_names_capitalised() {
        assert_eq!(weekday_name(Weekday::Sun, Language::Nl), "zondag");
        assert_eq!(weekday_name(Weekday::Sun, Language::En), "Sunday");
        assert_eq!(month_name(3, Language::Nl), "maart");
        assert_eq!(month_name(10, Language::En), "October");
        assert_eq!(month_name(13, Language::En), "?");
        assert_eq!(month_name(0, Language::Nl), "?");
    }
}
