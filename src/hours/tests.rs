//! Behaviour of `OpeningHours` against the default Voorbeeldstad config and
//! small hand-written ones. Times are written in Amsterdam local time and
//! the expected UTC instant is spelled out where DST matters.

use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use chrono_tz::Europe::Amsterdam;

use super::*;

const DEFAULT_CONFIG: &str = include_str!("../../config/hours.toml");

fn voorbeeldstad() -> OpeningHours {
    OpeningHours::from_toml_str(DEFAULT_CONFIG, "config/hours.toml")
        .expect("the default config is valid")
}

/// A config with only the given days open (others `[]`), a 4h promise and
/// no holidays, plus `extra` TOML appended.
fn config_with(days: &[(&str, &str)], extra: &str) -> OpeningHours {
    let week: String = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ]
    .iter()
    .map(|day| {
        let hours = days
            .iter()
            .find(|(name, _)| name == day)
            .map_or("[]", |(_, hours)| *hours);
        format!("{day} = {hours}\n")
    })
    .collect();
    let text = format!(
        "timezone = \"Europe/Amsterdam\"\n[week]\n{week}[promise]\nworking_time = \"4h\"\n[holidays]\nclosed = []\n{extra}"
    );
    OpeningHours::from_toml_str(&text, "test.toml").expect("valid test config")
}

/// An Amsterdam wall time as an instant; panics on a DST gap or overlap.
fn local(year: i32, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> DateTime<Utc> {
    Amsterdam
        .with_ymd_and_hms(year, month, day, hour, minute, second)
        .single()
        .expect("an unambiguous local test time")
        .with_timezone(&Utc)
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("valid RFC 3339 test time")
        .with_timezone(&Utc)
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("valid test date")
}

fn config_error(text: &str) -> String {
    match OpeningHours::from_toml_str(text, "config/hours.toml") {
        Ok(_) => panic!("expected the config to be rejected"),
        Err(error) => error.to_string(),
    }
}

/// The default config with one piece of text replaced.
fn default_with(old: &str, new: &str) -> String {
    assert!(
        DEFAULT_CONFIG.contains(old),
        "the default config contains {old:?}"
    );
    DEFAULT_CONFIG.replacen(old, new, 1)
}

// --- the default config and the weekly schedule -------------------------

#[test]
fn the_default_config_is_valid_and_promises_four_hours() {
    let hours = voorbeeldstad();
    assert_eq!(hours.timezone(), Amsterdam);
    assert_eq!(hours.promise(), TimeDelta::hours(4));
    assert_eq!(hours.urgent_promise(), TimeDelta::minutes(15));
}

#[test]
fn the_urgent_promise_is_a_quarter_of_an_hour_unless_configured() {
    let open = [("tuesday", r#"["08:30-17:00"]"#)];
    assert_eq!(
        config_with(&open, "").urgent_promise(),
        TimeDelta::minutes(15)
    );
    let text = "timezone = \"Europe/Amsterdam\"\n[week]\nmonday = []\ntuesday = [\"08:30-17:00\"]\nwednesday = []\nthursday = []\nfriday = []\nsaturday = []\nsunday = []\n[promise]\nworking_time = \"4h\"\nurgent = \"30m\"\n[holidays]\nclosed = []\n";
    let hours = OpeningHours::from_toml_str(text, "test.toml").expect("valid");
    assert_eq!(hours.urgent_promise(), TimeDelta::minutes(30));
}

#[test]
fn the_office_is_open_at_16_59_59_and_closed_at_17_00_00() {
    let hours = voorbeeldstad();
    // Monday 1 June 2026, summer time.
    assert!(hours.is_open(local(2026, 6, 1, 16, 59, 59)));
    assert!(!hours.is_open(local(2026, 6, 1, 17, 0, 0)));
    assert!(hours.is_open(local(2026, 6, 1, 8, 30, 0)));
    assert!(!hours.is_open(local(2026, 6, 1, 8, 29, 59)));
    // Thursday has a late opening until 20:00.
    assert!(hours.is_open(local(2026, 6, 4, 19, 59, 59)));
    assert!(!hours.is_open(local(2026, 6, 4, 20, 0, 0)));
}

#[test]
fn next_opening_is_none_while_open_and_the_next_start_while_closed() {
    let hours = voorbeeldstad();
    assert_eq!(hours.next_opening(local(2026, 6, 1, 10, 0, 0)), None);
    assert_eq!(
        hours.next_opening(local(2026, 6, 1, 17, 0, 0)),
        Some(local(2026, 6, 2, 8, 30, 0))
    );
    assert_eq!(
        hours.next_opening(local(2026, 6, 1, 6, 0, 0)),
        Some(local(2026, 6, 1, 8, 30, 0))
    );
}

#[test]
fn a_message_on_friday_afternoon_is_promised_for_monday() {
    let hours = voorbeeldstad();
    // 30 minutes on Friday, 3.5 hours from Monday 08:30: Monday 12:00.
    assert_eq!(
        hours.deadline(local(2026, 6, 5, 16, 30, 0)),
        Some(local(2026, 6, 8, 12, 0, 0))
    );
}

#[test]
fn a_message_in_the_weekend_is_counted_from_monday_morning() {
    let hours = voorbeeldstad();
    assert_eq!(
        hours.deadline(local(2026, 6, 6, 11, 0, 0)),
        Some(local(2026, 6, 8, 12, 30, 0))
    );
}

#[test]
fn the_lunch_break_is_closed_and_is_not_working_time() {
    let hours = voorbeeldstad();
    assert!(!hours.is_open(local(2026, 6, 1, 12, 45, 0)));
    assert_eq!(
        hours.next_opening(local(2026, 6, 1, 12, 45, 0)),
        Some(local(2026, 6, 1, 13, 0, 0))
    );
    // 2.5 hours before lunch, 1.5 hours after it.
    assert_eq!(
        hours.deadline(local(2026, 6, 1, 10, 0, 0)),
        Some(local(2026, 6, 1, 14, 30, 0))
    );
    // Received during lunch: counting starts at 13:00, ends at closing.
    assert_eq!(
        hours.deadline(local(2026, 6, 1, 12, 45, 0)),
        Some(local(2026, 6, 1, 17, 0, 0))
    );
}

#[test]
fn adding_no_working_time_while_closed_gives_the_next_opening() {
    let hours = voorbeeldstad();
    assert_eq!(
        hours.add_working_time(local(2026, 6, 6, 11, 0, 0), TimeDelta::zero()),
        Some(local(2026, 6, 8, 8, 30, 0))
    );
    assert_eq!(
        hours.add_working_time(local(2026, 6, 1, 11, 0, 0), TimeDelta::minutes(-5)),
        Some(local(2026, 6, 1, 11, 0, 0))
    );
}

// --- periods for acknowledgements ----------------------------------------

#[test]
fn current_period_splits_at_the_lunch_break() {
    let hours = voorbeeldstad();
    let morning = Period {
        open: true,
        started_at: local(2026, 6, 1, 8, 30, 0),
    };
    assert_eq!(hours.current_period(local(2026, 6, 1, 8, 30, 0)), morning);
    assert_eq!(hours.current_period(local(2026, 6, 1, 12, 29, 59)), morning);
    let lunch = Period {
        open: false,
        started_at: local(2026, 6, 1, 12, 30, 0),
    };
    assert_eq!(hours.current_period(local(2026, 6, 1, 12, 30, 0)), lunch);
    assert_eq!(hours.current_period(local(2026, 6, 1, 12, 59, 59)), lunch);
    assert_eq!(
        hours.current_period(local(2026, 6, 1, 14, 0, 0)),
        Period {
            open: true,
            started_at: local(2026, 6, 1, 13, 0, 0)
        }
    );
}

#[test]
fn a_weekend_is_one_closed_period_from_friday_closing_to_monday_opening() {
    let hours = voorbeeldstad();
    let weekend = Period {
        open: false,
        started_at: local(2026, 6, 5, 17, 0, 0),
    };
    for at in [
        local(2026, 6, 5, 17, 0, 0),
        local(2026, 6, 6, 10, 0, 0),
        local(2026, 6, 7, 23, 0, 0),
        local(2026, 6, 8, 8, 29, 59),
    ] {
        assert_eq!(hours.current_period(at), weekend, "at {at}");
    }
    assert_eq!(
        hours.current_period(local(2026, 6, 8, 8, 30, 0)),
        Period {
            open: true,
            started_at: local(2026, 6, 8, 8, 30, 0)
        }
    );
}

#[test]
fn touching_intervals_form_one_open_period_also_across_midnight() {
    let hours = config_with(
        &[
            ("monday", r#"["08:30-12:30", "12:30-24:00"]"#),
            ("tuesday", r#"["00:00-12:00"]"#),
        ],
        "",
    );
    let since_monday_morning = Period {
        open: true,
        started_at: local(2026, 6, 1, 8, 30, 0),
    };
    assert_eq!(
        hours.current_period(local(2026, 6, 1, 14, 0, 0)),
        since_monday_morning
    );
    assert_eq!(
        hours.current_period(local(2026, 6, 2, 11, 0, 0)),
        since_monday_morning
    );
    assert_eq!(
        hours.current_period(local(2026, 6, 2, 12, 0, 0)),
        Period {
            open: false,
            started_at: local(2026, 6, 2, 12, 0, 0)
        }
    );
}

#[test]
fn an_office_open_around_the_clock_has_one_period_since_the_epoch() {
    let always = r#"["00:00-24:00"]"#;
    let hours = config_with(
        &[
            ("monday", always),
            ("tuesday", always),
            ("wednesday", always),
            ("thursday", always),
            ("friday", always),
            ("saturday", always),
            ("sunday", always),
        ],
        "",
    );
    let period = hours.current_period(local(2026, 6, 1, 3, 0, 0));
    assert_eq!(
        period,
        Period {
            open: true,
            started_at: DateTime::UNIX_EPOCH
        }
    );
    assert_eq!(hours.current_period(local(2026, 6, 20, 3, 0, 0)), period);
}

#[test]
fn no_deadline_when_nothing_opens_within_the_search_window() {
    let hours = config_with(
        &[("monday", r#"["09:00-17:00"]"#)],
        "[[exceptions]]\nfrom = \"2026-01-01\"\nuntil = \"2028-01-01\"\nhours = []\nreason = \"Verbouwing\"\n",
    );
    let at = local(2026, 2, 2, 10, 0, 0);
    assert_eq!(hours.deadline(at), None);
    assert_eq!(hours.next_opening(at), None);
    assert!(!hours.is_open(at));
}

// --- daylight saving time ------------------------------------------------

#[test]
fn a_deadline_across_the_spring_switch_lands_on_local_wall_time() {
    let hours = voorbeeldstad();
    // Friday 27 March 2026 16:30 CET; clocks go forward on Sunday 29 March.
    let received = local(2026, 3, 27, 16, 30, 0);
    assert_eq!(received, utc("2026-03-27T15:30:00Z"));
    // Monday 30 March 12:00 CEST.
    assert_eq!(hours.deadline(received), Some(utc("2026-03-30T10:00:00Z")));
    assert_eq!(
        hours.next_opening(local(2026, 3, 28, 10, 0, 0)),
        Some(utc("2026-03-30T06:30:00Z"))
    );
}

#[test]
fn a_deadline_across_the_autumn_switch_lands_on_local_wall_time() {
    let hours = voorbeeldstad();
    // Friday 23 October 2026 16:30 CEST; clocks go back on Sunday 25 October.
    let received = local(2026, 10, 23, 16, 30, 0);
    assert_eq!(received, utc("2026-10-23T14:30:00Z"));
    // Monday 26 October 12:00 CET.
    assert_eq!(hours.deadline(received), Some(utc("2026-10-26T11:00:00Z")));
    assert_eq!(
        hours.current_period(utc("2026-10-26T06:00:00Z")),
        Period {
            open: false,
            started_at: utc("2026-10-23T15:00:00Z")
        }
    );
}

#[test]
fn on_the_switch_days_themselves_08_30_is_still_08_30_local() {
    let hours = config_with(&[("sunday", r#"["08:30-17:00"]"#)], "");
    // 29 March 2026: CEST (UTC+2) from 03:00.
    assert_eq!(
        hours.next_opening(local(2026, 3, 28, 20, 0, 0)),
        Some(utc("2026-03-29T06:30:00Z"))
    );
    // 25 October 2026: CET (UTC+1) from 03:00 CEST.
    assert_eq!(
        hours.next_opening(local(2026, 10, 24, 20, 0, 0)),
        Some(utc("2026-10-25T07:30:00Z"))
    );
    assert!(hours.is_open(utc("2026-10-25T15:59:59Z")));
    assert!(!hours.is_open(utc("2026-10-25T16:00:00Z")));
}

#[test]
fn a_whole_day_lasts_23_hours_in_march_and_25_hours_in_october() {
    let hours = config_with(&[("sunday", r#"["00:00-24:00"]"#)], "");
    assert_eq!(
        hours.add_working_time(utc("2026-03-28T23:00:00Z"), TimeDelta::hours(23)),
        Some(utc("2026-03-29T22:00:00Z"))
    );
    assert_eq!(
        hours.add_working_time(utc("2026-10-24T22:00:00Z"), TimeDelta::hours(25)),
        Some(utc("2026-10-25T23:00:00Z"))
    );
}

#[test]
fn skipped_and_repeated_local_times_use_the_earliest_valid_instant() {
    let hours = config_with(&[("sunday", r#"["02:30-04:00"]"#)], "");
    // 02:30 does not exist on 29 March: open from the jump, 03:00 CEST.
    assert_eq!(
        hours.next_opening(utc("2026-03-28T12:00:00Z")),
        Some(utc("2026-03-29T01:00:00Z"))
    );
    // 02:30 happens twice on 25 October: open from the first, in CEST.
    assert_eq!(
        hours.next_opening(utc("2026-10-24T12:00:00Z")),
        Some(utc("2026-10-25T00:30:00Z"))
    );
}

// --- holidays --------------------------------------------------------------

#[test]
fn kings_day_on_a_sunday_closes_the_saturday_before() {
    let hours = voorbeeldstad();
    let saturday = hours.day_schedule(date(2025, 4, 26));
    assert!(saturday.closed);
    assert_eq!(saturday.note.as_deref(), Some("Koningsdag"));
    assert_eq!(saturday.source, DaySource::Holiday);
    assert_eq!(
        hours.day_schedule(date(2025, 4, 27)).source,
        DaySource::Week
    );
    // In 2026 the 27th is a Monday, so the office is closed then.
    assert!(!hours.is_open(local(2026, 4, 27, 10, 0, 0)));
    assert_eq!(
        hours.closing_holiday_on(date(2026, 4, 27)),
        Some(Holiday::Koningsdag)
    );
}

#[test]
fn liberation_day_closes_only_in_lustrum_years() {
    let hours = voorbeeldstad();
    // Monday 5 May 2025: a lustrum year, closed.
    assert!(!hours.is_open(local(2025, 5, 5, 10, 0, 0)));
    assert_eq!(
        hours.day_schedule(date(2025, 5, 5)).note.as_deref(),
        Some("Bevrijdingsdag")
    );
    // Tuesday 5 May 2026: open as usual.
    assert!(hours.is_open(local(2026, 5, 5, 10, 0, 0)));
    assert_eq!(hours.day_schedule(date(2026, 5, 5)).source, DaySource::Week);
    // In 2016 Hemelvaartsdag fell on 5 May: closed for Ascension.
    assert_eq!(
        hours.closing_holiday_on(date(2016, 5, 5)),
        Some(Holiday::Hemelvaartsdag)
    );

    let every_year = OpeningHours::from_toml_str(
        &default_with(
            r#"bevrijdingsdag = "lustrum""#,
            r#"bevrijdingsdag = "every_year""#,
        ),
        "test.toml",
    )
    .expect("valid");
    assert!(!every_year.is_open(local(2026, 5, 5, 10, 0, 0)));
}

#[test]
fn holidays_not_listed_as_closed_are_working_days() {
    let hours = voorbeeldstad();
    // Goede Vrijdag 3 April 2026 is not in the default `closed` list.
    assert!(hours.is_open(local(2026, 4, 3, 10, 0, 0)));
    // Ascension 14 May 2026 is.
    assert!(!hours.is_open(local(2026, 5, 14, 10, 0, 0)));
}

// --- exceptions --------------------------------------------------------------

#[test]
fn a_closure_exception_closes_a_working_day() {
    let hours = voorbeeldstad();
    let day = hours.day_schedule(date(2026, 12, 31));
    assert!(day.closed);
    assert_eq!(day.note.as_deref(), Some("Oudjaarsdag"));
    assert_eq!(day.source, DaySource::Exception);
    assert!(!hours.is_open(local(2026, 12, 31, 10, 0, 0)));
    // Closed on 31 December, Nieuwjaarsdag (Friday) and the weekend.
    assert_eq!(
        hours.next_opening(local(2026, 12, 31, 10, 0, 0)),
        Some(local(2027, 1, 4, 8, 30, 0))
    );
}

#[test]
fn special_hours_on_christmas_eve_end_at_noon() {
    let hours = voorbeeldstad();
    assert!(hours.is_open(local(2026, 12, 24, 11, 59, 59)));
    assert!(!hours.is_open(local(2026, 12, 24, 12, 0, 0)));
    assert!(!hours.is_open(local(2026, 12, 24, 14, 0, 0)));
    assert_eq!(
        hours.next_opening(local(2026, 12, 24, 12, 0, 0)),
        Some(local(2026, 12, 28, 8, 30, 0))
    );
}

#[test]
fn a_deadline_spans_christmas_eve_christmas_and_the_weekend() {
    let hours = voorbeeldstad();
    // Thursday 24 December 11:00: one hour until the early close, then
    // Christmas (Friday), Tweede Kerstdag (Saturday) and Sunday are closed;
    // the other three hours run Monday 08:30-11:30.
    assert_eq!(
        hours.deadline(local(2026, 12, 24, 11, 0, 0)),
        Some(utc("2026-12-28T10:30:00Z"))
    );
}

#[test]
fn an_exception_wins_over_a_holiday() {
    let hours = OpeningHours::from_toml_str(
        &format!(
            "{DEFAULT_CONFIG}\n[[exceptions]]\ndate = 2026-12-26\nhours = [\"10:00-12:00\"]\nreason = \"Kerstmarkt\"\n"
        ),
        "test.toml",
    )
    .expect("valid");
    let day = hours.day_schedule(date(2026, 12, 26));
    assert_eq!(day.source, DaySource::Exception);
    assert_eq!(day.note.as_deref(), Some("Kerstmarkt"));
    assert!(hours.is_open(local(2026, 12, 26, 11, 0, 0)));
}

// --- schedule for editors and the FAQ ---------------------------------------

#[test]
fn the_christmas_week_schedule_reads_well_for_an_editor() {
    let hours = voorbeeldstad();
    let days = hours.schedule(date(2026, 12, 23), 5);
    assert_eq!(days.len(), 5);
    assert_eq!(days[0].weekday, "woensdag");
    assert_eq!(
        render_schedule_text(&days),
        "wo 23-12-2026  08:30-12:30, 13:00-17:00\n\
         do 24-12-2026  08:30-12:00               Kerstavond (afwijkend)\n\
         vr 25-12-2026  gesloten                  Eerste Kerstdag\n\
         za 26-12-2026  gesloten                  Tweede Kerstdag\n\
         zo 27-12-2026  gesloten\n"
    );
    let json = serde_json::to_value(&days[2]).expect("serialisable");
    assert_eq!(
        json,
        serde_json::json!({
            "date": "2026-12-25",
            "weekday": "vrijdag",
            "intervals": [],
            "closed": true,
            "note": "Eerste Kerstdag",
            "source": "holiday",
        })
    );
}

// --- configuration errors ------------------------------------------------------

#[test]
fn an_interval_ending_before_it_starts_names_the_key_and_the_fix() {
    let message = config_error(&default_with(
        r#"monday    = ["08:30-12:30", "13:00-17:00"]"#,
        r#"monday    = ["08:30-12:30", "13:00-12:00"]"#,
    ));
    assert!(
        message.starts_with(
            r#"config/hours.toml: week.monday[1] = "13:00-12:00": the interval ends before it starts; write "HH:MM-HH:MM" with the end after the start"#
        ),
        "{message}"
    );
}

#[test]
fn an_unknown_key_is_rejected_with_its_line() {
    let message = config_error(&default_with("monday    =", "mondy     ="));
    assert!(
        message.starts_with(
            r#"config/hours.toml: line 20, column 1 (`mondy     = ["08:30-12:30", "13:00-17:00"]`): unknown field `mondy`"#
        ),
        "{message}"
    );
    assert!(message.contains("mondy"), "{message}");
    assert!(
        message.contains("monday"),
        "the allowed keys are listed: {message}"
    );
}

#[test]
fn a_value_of_the_wrong_type_shows_the_line_with_its_key() {
    let message = config_error(&default_with(r#"working_time = "4h""#, "working_time = 4"));
    assert!(
        message.starts_with(
            "config/hours.toml: line 32, column 16 (`working_time = 4`): invalid type"
        ),
        "{message}"
    );
}

#[test]
fn broken_toml_reports_line_and_column() {
    let message = config_error("timezone = \"Europe/Amsterdam\"\n[week\n");
    assert!(
        message.starts_with("config/hours.toml: line 2, column "),
        "{message}"
    );
}

#[test]
fn config_errors_name_the_key_and_what_is_allowed() {
    let cases: [(String, &str); 16] = [
        (
            default_with(r#"saturday  = []"#, ""),
            "config/hours.toml: week.saturday: the day is missing; write saturday = [] when the office is closed that day",
        ),
        (
            default_with(
                r#"tuesday   = ["08:30-12:30", "13:00-17:00"]"#,
                r#"tuesday   = ["08:30-12:30", "12:00-17:00"]"#,
            ),
            r#"config/hours.toml: week.tuesday[1] = "12:00-17:00": it overlaps week.tuesday[0] = "08:30-12:30""#,
        ),
        (
            default_with(
                r#"friday    = ["08:30-12:30", "13:00-17:00"]"#,
                r#"friday    = ["8.30-12.30"]"#,
            ),
            r#"config/hours.toml: week.friday[0] = "8.30-12.30": "8.30" is not a time of day"#,
        ),
        (
            default_with(
                r#"friday    = ["08:30-12:30", "13:00-17:00"]"#,
                r#"friday    = ["22:00-02:00"]"#,
            ),
            "an interval cannot cross midnight",
        ),
        (
            default_with(
                r#"timezone = "Europe/Amsterdam""#,
                r#"timezone = "Europe/Amsterdan""#,
            ),
            r#"config/hours.toml: timezone = "Europe/Amsterdan": this is not a known IANA time zone; use a name such as "Europe/Amsterdam""#,
        ),
        (
            default_with(r#"working_time = "4h""#, r#"working_time = "4 uur""#),
            r#"config/hours.toml: promise.working_time = "4 uur": this is not a duration; write hours and/or minutes"#,
        ),
        (
            default_with(r#"working_time = "4h""#, r#"working_time = "0m""#),
            "promise.working_time = \"0m\": the promise is zero",
        ),
        (
            default_with(r#"urgent = "15m""#, r#"urgent = "een kwartier""#),
            r#"config/hours.toml: promise.urgent = "een kwartier": this is not a duration"#,
        ),
        (
            default_with(r#"urgent = "15m""#, r#"urgent = "0m""#),
            "promise.urgent = \"0m\": the promise is zero",
        ),
        (
            default_with(r#""tweede_kerstdag","#, r#""kerstmis","#),
            r#"config/hours.toml: holidays.closed[9] = "kerstmis": this is not a holiday Loket knows; use one of: nieuwjaarsdag, goede_vrijdag"#,
        ),
        (
            default_with(
                r#"bevrijdingsdag = "lustrum""#,
                r#"bevrijdingsdag = "yearly""#,
            ),
            r#"config/hours.toml: holidays.bevrijdingsdag = "yearly": this is not a Bevrijdingsdag rule; use "every_year", or "lustrum""#,
        ),
        (
            default_with(r#"date = "2026-12-24""#, r#"date = "24-12-2026""#),
            r#"config/hours.toml: exceptions[0].date = "24-12-2026": this is not a date; write the date as "YYYY-MM-DD""#,
        ),
        (
            default_with(
                r#"date = "2026-12-24""#,
                "date = \"2026-12-24\"\nfrom = \"2026-12-24\"",
            ),
            "config/hours.toml: exceptions[0]: the exception has both date and from/until",
        ),
        (
            default_with(r#"until = "2026-12-31""#, r#"until = "2026-12-30""#),
            r#"config/hours.toml: exceptions[1].until = "2026-12-30": the range ends before it starts"#,
        ),
        (
            default_with(r#"reason = "Oudjaarsdag""#, r#"reason = " ""#),
            "config/hours.toml: exceptions[1].reason: the exception for 2026-12-31 has no reason; add a short reason",
        ),
        (
            default_with(r#"from = "2026-12-31""#, r#"from = "2026-12-20""#),
            "config/hours.toml: exceptions[0] (date 2026-12-24): it overlaps exceptions[1] (2026-12-20 until 2026-12-31); give each date at most one exception",
        ),
    ];
    for (text, expected) in cases {
        let message = config_error(&text);
        assert!(
            message.contains(expected),
            "expected {expected:?} in {message:?}"
        );
    }
}

#[test]
fn a_week_without_any_open_time_is_rejected() {
    let text = "timezone = \"Europe/Amsterdam\"\n[week]\nmonday = []\ntuesday = []\nwednesday = []\nthursday = []\nfriday = []\nsaturday = []\nsunday = []\n[promise]\nworking_time = \"4h\"\n[holidays]\nclosed = []\n";
    assert!(config_error(text).starts_with("config/hours.toml: [week]: the office is never open"));
}

#[test]
fn a_missing_table_says_what_to_add() {
    let text = "timezone = \"Europe/Amsterdam\"\n[week]\nmonday = [\"09:00-17:00\"]\ntuesday = []\nwednesday = []\nthursday = []\nfriday = []\nsaturday = []\nsunday = []\n[promise]\nworking_time = \"4h\"\n";
    let message = config_error(text);
    assert!(
        message.starts_with(
            "config/hours.toml: [holidays]: the table is missing; add a [holidays] table"
        ),
        "{message}"
    );
}

#[test]
fn loading_a_missing_file_names_the_file() {
    let missing = Path::new("/nonexistent/loket/hours.toml");
    match OpeningHours::load(missing) {
        Ok(_) => panic!("a missing file must not load"),
        Err(error) => assert!(
            error
                .to_string()
                .starts_with("/nonexistent/loket/hours.toml: cannot read the opening-hours file"),
            "{error}"
        ),
    }
}

#[test]
fn loading_the_default_file_from_disk_works() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/hours.toml");
    assert!(OpeningHours::load(&path).is_ok());
}

#[test]
fn working_time_between_counts_only_open_time() {
    let hours = voorbeeldstad();
    // Friday 16:50 to Monday 09:10: 10 minutes on Friday, 40 on Monday.
    assert_eq!(
        hours.working_time_between(local(2026, 6, 5, 16, 50, 0), local(2026, 6, 8, 9, 10, 0)),
        TimeDelta::minutes(50)
    );
    // Across the lunch break: 12:00-12:30 and 13:00-13:15.
    assert_eq!(
        hours.working_time_between(local(2026, 6, 1, 12, 0, 0), local(2026, 6, 1, 13, 15, 0)),
        TimeDelta::minutes(45)
    );
    // Entirely in the weekend, and backwards: nothing.
    assert_eq!(
        hours.working_time_between(local(2026, 6, 6, 10, 0, 0), local(2026, 6, 7, 10, 0, 0)),
        TimeDelta::zero()
    );
    assert_eq!(
        hours.working_time_between(local(2026, 6, 8, 10, 0, 0), local(2026, 6, 8, 9, 0, 0)),
        TimeDelta::zero()
    );
    // It agrees with the deadline: four working hours from any moment.
    let from = local(2026, 6, 5, 16, 30, 0);
    let deadline = hours.deadline(from).expect("deadline");
    assert_eq!(
        hours.working_time_between(from, deadline),
        TimeDelta::hours(4)
    );
}
