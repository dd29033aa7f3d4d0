//! How a moment is worded for a citizen ("Je krijgt uiterlijk {moment}
//! antwoord"), in Dutch or English. Invariant: the wording always describes
//! the moment in the organisation's local time zone, relative to the local
//! date of `now`, so "vandaag" and "morgen" mean what the citizen expects.
//!
//! Day and month names come from our own tables rather than a system
//! locale, so the output never depends on the machine it runs on.

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc, Weekday};
use chrono_tz::Tz;

use crate::domain::Language;

/// Beyond this many days a date is shown with its year (see [`shows_year`]).
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
    match (lang, (date - today).num_days()) {
        (Language::Nl, 0) => format!("vandaag om {time}"),
        (Language::En, 0) => format!("today at {time}"),
        (lang, _) => {
            let day = day_relative(date, today, shows_year(at - now), lang);
            match lang {
                Language::Nl => format!("{day} om {time}"),
                Language::En => format!("{day} at {time}"),
            }
        }
    }
}

/// A date for a citizen, relative to `today`: "vandaag (dinsdag 22
/// december)" / "today (Tuesday 22 December)", "morgen (...)" /
/// "tomorrow (...)", or else just the day ("dinsdag 22 december"). The
/// year is added when the date is more than 180 days from `today`.
pub fn relative_day(date: NaiveDate, today: NaiveDate, lang: Language) -> String {
    day_relative(date, today, shows_year(date - today), lang)
}

/// Whether a date `distance` away from now is written with its year, so
/// "4 januari" is never mistaken for the coming one when it is the one
/// after.
fn shows_year(distance: TimeDelta) -> bool {
    distance.abs() > TimeDelta::days(SHOW_YEAR_AFTER_DAYS)
}

/// [`relative_day`] with the year decided by the caller, who knows the
/// exact distance.
fn day_relative(date: NaiveDate, today: NaiveDate, with_year: bool, lang: Language) -> String {
    let mut day = format!(
        "{} {} {}",
        weekday_name(date.weekday(), lang),
        date.day(),
        month_name(date.month(), lang)
    );
    if with_year {
        day.push_str(&format!(" {}", date.year()));
    }
    match (lang, (date - today).num_days()) {
        (Language::Nl, 0) => format!("vandaag ({day})"),
        (Language::En, 0) => format!("today ({day})"),
        (Language::Nl, 1) => format!("morgen ({day})"),
        (Language::En, 1) => format!("tomorrow ({day})"),
        _ => day,
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
    fn a_date_is_today_tomorrow_or_its_day_with_the_year_only_far_away() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 21).expect("valid date");
        // 180 days ahead: no year; 181: the year, as for a moment.
        let cases = [
            (0, Language::Nl, "vandaag (maandag 21 december)"),
            (1, Language::En, "tomorrow (Tuesday 22 December)"),
            (2, Language::Nl, "woensdag 23 december"),
            (180, Language::Nl, "zaterdag 19 juni"),
            (181, Language::En, "Sunday 20 June 2027"),
        ];
        for (offset, lang, expected) in cases {
            let date = today
                .checked_add_days(chrono::Days::new(offset))
                .expect("valid date");
            assert_eq!(relative_day(date, today, lang), expected, "{offset} days");
        }
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
