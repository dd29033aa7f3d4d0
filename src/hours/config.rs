//! Reading `hours.toml`: the serde shapes of the file and their validation
//! into the checked values [`super::OpeningHours`] is built from.
//! Invariant: whatever leaves this module is valid (known time zone, sorted
//! non-overlapping intervals inside one day, a week with some open time, a
//! positive promise, known holidays, non-overlapping exceptions), and every
//! rejection names the file, the key and what to write instead.

use std::str::FromStr;

use chrono::{NaiveDate, TimeDelta};
use chrono_tz::Tz;
use serde::Deserialize;

use super::holidays::Holiday;
use super::schedule::{Interval, MINUTES_PER_DAY};

/// The urgent promise when `[promise] urgent` is not set: a quarter of
/// an hour of working time.
pub(super) const DEFAULT_URGENT_PROMISE_MINUTES: i64 = 15;

/// The largest reply promise accepted, so a typo like "4000h" is caught
/// instead of producing deadlines months away.
const MAX_PROMISE_HOURS: i64 = 1000;

/// Why `hours.toml` was rejected. The message names the file and the key
/// and says what is allowed, so an operator can fix it without reading code.
#[derive(Debug, thiserror::Error)]
pub enum HoursConfigError {
    /// The file could not be read.
    #[error(
        "{file}: cannot read the opening-hours file ({source}); check the path and that the service may read it"
    )]
    Io {
        /// The path as given.
        file: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The text is not TOML, or a key is unknown or has the wrong type.
    #[error("{file}: {}{message}; compare with the commented default config/hours.toml", location_prefix(*.line_column, .line_text))]
    Syntax {
        /// The file label.
        file: String,
        /// 1-based line and column, when the TOML parser knows them.
        line_column: Option<(usize, usize)>,
        /// The offending line, trimmed, so the key is visible even when the
        /// parser's message does not name it (e.g. a wrong type).
        line_text: Option<String>,
        /// The parser's explanation (on one line).
        message: String,
    },
    /// A value is well-formed TOML but not allowed.
    #[error("{file}: {at}: {problem}; {fix}")]
    Invalid {
        /// The file label.
        file: String,
        /// The key and, where there is one, its value, e.g. `week.monday[1] = "13:00-12:00"`.
        at: String,
        /// What is wrong.
        problem: String,
        /// What to write instead.
        fix: String,
    },
}

/// "line 3, column 5 (`monday = 9`): " or nothing.
fn location_prefix(line_column: Option<(usize, usize)>, line_text: &Option<String>) -> String {
    match (line_column, line_text) {
        (Some((line, column)), Some(text)) => format!("line {line}, column {column} (`{text}`): "),
        (Some((line, column)), None) => format!("line {line}, column {column}: "),
        (None, _) => String::new(),
    }
}

/// Whether Bevrijdingsdag closes the office every year or every fifth year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BevrijdingsdagRule {
    EveryYear,
    /// Only in years divisible by 5 (2025, 2030, ...).
    Lustrum,
}

impl BevrijdingsdagRule {
    pub(super) fn closes_in(self, year: i32) -> bool {
        match self {
            BevrijdingsdagRule::EveryYear => true,
            BevrijdingsdagRule::Lustrum => year.rem_euclid(5) == 0,
        }
    }
}

/// A dated closure or special hours, inclusive range of local dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Exception {
    pub(super) from: NaiveDate,
    pub(super) until: NaiveDate,
    pub(super) intervals: Vec<Interval>,
    pub(super) reason: String,
}

/// The validated content of `hours.toml`.
#[derive(Debug, Clone)]
pub(super) struct ValidConfig {
    pub(super) tz: Tz,
    /// Indexed by `Weekday::num_days_from_monday()`.
    pub(super) week: [Vec<Interval>; 7],
    pub(super) promise: TimeDelta,
    /// The shorter promise for urgent threads (`[promise] urgent`).
    pub(super) urgent_promise: TimeDelta,
    pub(super) closed_holidays: Vec<Holiday>,
    pub(super) bevrijdingsdag: BevrijdingsdagRule,
    /// Sorted by date, never overlapping.
    pub(super) exceptions: Vec<Exception>,
}

// Serde shapes. Everything is optional so that a missing key gets our own
// message with a fix instead of serde's bare "missing field".

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    timezone: Option<String>,
    week: Option<RawWeek>,
    promise: Option<RawPromise>,
    holidays: Option<RawHolidays>,
    #[serde(default)]
    exceptions: Vec<RawException>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWeek {
    monday: Option<Vec<String>>,
    tuesday: Option<Vec<String>>,
    wednesday: Option<Vec<String>>,
    thursday: Option<Vec<String>>,
    friday: Option<Vec<String>>,
    saturday: Option<Vec<String>>,
    sunday: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPromise {
    working_time: Option<String>,
    urgent: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHolidays {
    closed: Option<Vec<String>>,
    bevrijdingsdag: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawException {
    // `toml::Value` so both "2026-12-24" and a bare TOML date 2026-12-24 work.
    date: Option<toml::Value>,
    from: Option<toml::Value>,
    until: Option<toml::Value>,
    hours: Option<Vec<String>>,
    reason: Option<String>,
}

/// Parses and validates `text`; `file` labels every error message.
pub(super) fn parse(text: &str, file: &str) -> Result<ValidConfig, HoursConfigError> {
    let raw: RawFile = toml::from_str(text).map_err(|error| syntax_error(text, file, &error))?;
    let check = Checker { file };

    let tz = check.timezone(raw.timezone)?;
    let week = check.week(raw.week)?;
    let urgent_promise = check.urgent_promise(raw.promise.as_ref())?;
    let promise = check.promise(raw.promise)?;
    let (closed_holidays, bevrijdingsdag) = check.holidays(raw.holidays)?;
    let exceptions = check.exceptions(raw.exceptions)?;
    Ok(ValidConfig {
        tz,
        week,
        promise,
        urgent_promise,
        closed_holidays,
        bevrijdingsdag,
        exceptions,
    })
}

/// Turns a toml error into one line with line and column.
fn syntax_error(text: &str, file: &str, error: &toml::de::Error) -> HoursConfigError {
    let line_column = error.span().map(|span| {
        let before = text.get(..span.start).unwrap_or(text);
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        (line, column)
    });
    // Long lines (a multi-line array's opening) are cut so the message stays
    // one readable line.
    let line_text = line_column
        .and_then(|(line, _)| text.lines().nth(line - 1))
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| line.chars().take(80).collect::<String>());
    let message = error
        .message()
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    HoursConfigError::Syntax {
        file: file.to_owned(),
        line_column,
        line_text,
        message,
    }
}

/// Validation with the file label at hand.
struct Checker<'a> {
    file: &'a str,
}

impl Checker<'_> {
    fn invalid(
        &self,
        at: impl Into<String>,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) -> HoursConfigError {
        HoursConfigError::Invalid {
            file: self.file.to_owned(),
            at: at.into(),
            problem: problem.into(),
            fix: fix.into(),
        }
    }

    fn timezone(&self, raw: Option<String>) -> Result<Tz, HoursConfigError> {
        let name = raw.ok_or_else(|| {
            self.invalid(
                "timezone",
                "the key is missing",
                r#"add timezone = "Europe/Amsterdam" (an IANA time zone name)"#,
            )
        })?;
        Tz::from_str(name.trim()).map_err(|_| {
            self.invalid(
                format!("timezone = {name:?}"),
                "this is not a known IANA time zone",
                r#"use a name such as "Europe/Amsterdam""#,
            )
        })
    }

    fn week(&self, raw: Option<RawWeek>) -> Result<[Vec<Interval>; 7], HoursConfigError> {
        let raw = raw.ok_or_else(|| {
            self.invalid(
                "[week]",
                "the table is missing",
                r#"add a [week] table with monday to sunday, e.g. monday = ["08:30-12:30", "13:00-17:00"] and saturday = [] for a closed day"#,
            )
        })?;
        let days = [
            ("monday", raw.monday),
            ("tuesday", raw.tuesday),
            ("wednesday", raw.wednesday),
            ("thursday", raw.thursday),
            ("friday", raw.friday),
            ("saturday", raw.saturday),
            ("sunday", raw.sunday),
        ];
        let mut week: [Vec<Interval>; 7] = Default::default();
        for (slot, (day, texts)) in week.iter_mut().zip(days) {
            let texts = texts.ok_or_else(|| {
                self.invalid(
                    format!("week.{day}"),
                    "the day is missing",
                    format!("write {day} = [] when the office is closed that day"),
                )
            })?;
            *slot = self.intervals(&format!("week.{day}"), &texts)?;
        }
        if week.iter().all(Vec::is_empty) {
            return Err(self.invalid(
                "[week]",
                "the office is never open (every day is [])",
                r#"give at least one day an interval, e.g. monday = ["09:00-17:00"]"#,
            ));
        }
        Ok(week)
    }

    /// Parses one day's intervals, sorted, rejecting overlaps.
    fn intervals(&self, key: &str, texts: &[String]) -> Result<Vec<Interval>, HoursConfigError> {
        let mut parsed: Vec<(usize, Interval)> = Vec::with_capacity(texts.len());
        for (index, text) in texts.iter().enumerate() {
            let interval = parse_interval(text).map_err(|(problem, fix)| {
                self.invalid(format!("{key}[{index}] = {text:?}"), problem, fix)
            })?;
            parsed.push((index, interval));
        }
        parsed.sort_by_key(|(_, interval)| *interval);
        for pair in parsed.windows(2) {
            let [(first_index, first), (second_index, second)] = pair else {
                continue;
            };
            // Touching intervals (12:30 end, 12:30 start) are fine: together
            // they are one open period.
            if second.start_minute() < first.end_minute() {
                return Err(self.invalid(
                    format!("{key}[{second_index}] = \"{second}\""),
                    format!("it overlaps {key}[{first_index}] = \"{first}\""),
                    r#"make the intervals of one day not overlap; they may touch, as in "08:30-12:30", "12:30-17:00""#,
                ));
            }
        }
        Ok(parsed.into_iter().map(|(_, interval)| interval).collect())
    }

    fn promise(&self, raw: Option<RawPromise>) -> Result<TimeDelta, HoursConfigError> {
        const FIX: &str =
            r#"write hours and/or minutes of working time, such as "90m", "4h" or "1h30m""#;
        let text = raw
            .and_then(|promise| promise.working_time)
            .ok_or_else(|| {
                self.invalid(
                    "promise.working_time",
                    "the key is missing",
                    format!(r#"add a [promise] table with working_time = "4h"; {FIX}"#),
                )
            })?;
        self.promise_time(
            "working_time",
            &text,
            FIX,
            "promise a shorter time; this is working time, so \"16h\" is already two full days",
        )
    }

    /// A promise's duration `text` under `[promise] key`: a positive
    /// duration of at most [`MAX_PROMISE_HOURS`].
    fn promise_time(
        &self,
        key: &str,
        text: &str,
        fix: &str,
        shorter: &str,
    ) -> Result<TimeDelta, HoursConfigError> {
        let at = format!("promise.{key} = {text:?}");
        let minutes = parse_duration_minutes(text)
            .ok_or_else(|| self.invalid(at.as_str(), "this is not a duration", fix))?;
        if minutes == 0 {
            return Err(self.invalid(at, "the promise is zero", fix));
        }
        if minutes > MAX_PROMISE_HOURS * 60 {
            return Err(self.invalid(
                at,
                format!("the promise is longer than {MAX_PROMISE_HOURS} hours of working time"),
                shorter,
            ));
        }
        Ok(TimeDelta::minutes(minutes))
    }

    /// `[promise] urgent`: optional, [`DEFAULT_URGENT_PROMISE_MINUTES`]
    /// when absent; otherwise the same rules as `working_time`.
    fn urgent_promise(&self, raw: Option<&RawPromise>) -> Result<TimeDelta, HoursConfigError> {
        const FIX: &str = r#"write minutes or hours of working time, such as "15m" or "1h""#;
        let Some(text) = raw.and_then(|promise| promise.urgent.as_deref()) else {
            return Ok(TimeDelta::minutes(DEFAULT_URGENT_PROMISE_MINUTES));
        };
        self.promise_time(
            "urgent",
            text,
            FIX,
            "an urgent thread needs a short promise, such as \"15m\"",
        )
    }

    fn holidays(
        &self,
        raw: Option<RawHolidays>,
    ) -> Result<(Vec<Holiday>, BevrijdingsdagRule), HoursConfigError> {
        let known = Holiday::ALL.map(Holiday::key).join(", ");
        let raw = raw.ok_or_else(|| {
            self.invalid(
                "[holidays]",
                "the table is missing",
                format!("add a [holidays] table with closed = [...] listing the holidays the office closes on (closed = [] when it never does); known holidays: {known}"),
            )
        })?;
        let keys = raw.closed.ok_or_else(|| {
            self.invalid(
                "holidays.closed",
                "the key is missing",
                format!("list the holidays the office closes on (closed = [] for none); known holidays: {known}"),
            )
        })?;
        let mut closed = Vec::with_capacity(keys.len());
        for (index, key) in keys.iter().enumerate() {
            let holiday = Holiday::from_key(key.trim()).ok_or_else(|| {
                self.invalid(
                    format!("holidays.closed[{index}] = {key:?}"),
                    "this is not a holiday Loket knows",
                    format!("use one of: {known} (other closing days go in [[exceptions]])"),
                )
            })?;
            if !closed.contains(&holiday) {
                closed.push(holiday);
            }
        }
        closed.sort();
        let rule = match raw.bevrijdingsdag.as_deref().map(str::trim) {
            // Listing bevrijdingsdag under `closed` without a rule means
            // what it says: closed every year.
            None | Some("every_year") => BevrijdingsdagRule::EveryYear,
            Some("lustrum") => BevrijdingsdagRule::Lustrum,
            Some(other) => {
                return Err(self.invalid(
                    format!("holidays.bevrijdingsdag = {other:?}"),
                    "this is not a Bevrijdingsdag rule",
                    r#"use "every_year", or "lustrum" to close only in years divisible by 5 (2025, 2030, ...)"#,
                ));
            }
        };
        Ok((closed, rule))
    }

    fn exceptions(&self, raw: Vec<RawException>) -> Result<Vec<Exception>, HoursConfigError> {
        let mut exceptions: Vec<(usize, Exception)> = Vec::with_capacity(raw.len());
        for (index, entry) in raw.into_iter().enumerate() {
            exceptions.push((index, self.exception(index, entry)?));
        }
        exceptions.sort_by_key(|(_, exception)| exception.from);
        for pair in exceptions.windows(2) {
            let [(first_index, first), (second_index, second)] = pair else {
                continue;
            };
            if second.from <= first.until {
                return Err(self.invalid(
                    format!("exceptions[{second_index}] ({})", describe_range(second)),
                    format!(
                        "it overlaps exceptions[{first_index}] ({})",
                        describe_range(first)
                    ),
                    "give each date at most one exception; merge them or shorten the ranges",
                ));
            }
        }
        Ok(exceptions
            .into_iter()
            .map(|(_, exception)| exception)
            .collect())
    }

    fn exception(&self, index: usize, raw: RawException) -> Result<Exception, HoursConfigError> {
        let key = format!("exceptions[{index}]");
        const DATE_FIX: &str = r#"use date = "YYYY-MM-DD" for one day, or from = "YYYY-MM-DD" and until = "YYYY-MM-DD" (inclusive) for a range"#;
        let (from, until) = match (raw.date, raw.from, raw.until) {
            (Some(date), None, None) => {
                let date = self.date(&format!("{key}.date"), &date)?;
                (date, date)
            }
            (None, Some(from), Some(until)) => {
                let from = self.date(&format!("{key}.from"), &from)?;
                let until = self.date(&format!("{key}.until"), &until)?;
                if until < from {
                    return Err(self.invalid(
                        format!("{key}.until = \"{until}\""),
                        format!("the range ends before it starts (from = \"{from}\")"),
                        "make until the same as or later than from",
                    ));
                }
                (from, until)
            }
            (None, None, None) => {
                return Err(self.invalid(key, "the exception has no date", DATE_FIX));
            }
            (Some(_), _, _) => {
                return Err(self.invalid(
                    key,
                    "the exception has both date and from/until",
                    DATE_FIX,
                ));
            }
            (None, Some(_), None) => {
                return Err(self.invalid(key, "the exception has from but no until", DATE_FIX));
            }
            (None, None, Some(_)) => {
                return Err(self.invalid(key, "the exception has until but no from", DATE_FIX));
            }
        };
        let dates = if from == until {
            from.to_string()
        } else {
            format!("{from} until {until}")
        };
        let hours = raw.hours.ok_or_else(|| {
            self.invalid(
                format!("{key}.hours"),
                format!("the exception for {dates} has no hours"),
                r#"write hours = [] for a closure, or the special hours such as hours = ["08:30-12:00"]"#,
            )
        })?;
        let intervals = self.intervals(&format!("{key}.hours"), &hours)?;
        let reason = raw
            .reason
            .map(|reason| reason.trim().to_owned())
            .filter(|reason| !reason.is_empty())
            .ok_or_else(|| {
                self.invalid(
                    format!("{key}.reason"),
                    format!("the exception for {dates} has no reason"),
                    r#"add a short reason such as reason = "Kerstavond"; citizens and editors see it"#,
                )
            })?;
        Ok(Exception {
            from,
            until,
            intervals,
            reason,
        })
    }

    /// A date as a TOML string "YYYY-MM-DD" or a bare TOML local date.
    fn date(&self, key: &str, value: &toml::Value) -> Result<NaiveDate, HoursConfigError> {
        let text = match value {
            toml::Value::String(text) => text.trim().to_owned(),
            toml::Value::Datetime(datetime)
                if datetime.time.is_none() && datetime.offset.is_none() =>
            {
                datetime.to_string()
            }
            other => other.to_string(),
        };
        NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| {
            self.invalid(
                format!("{key} = {value}"),
                "this is not a date",
                r#"write the date as "YYYY-MM-DD", e.g. "2026-12-24""#,
            )
        })
    }
}

/// "2026-12-24" or "2026-12-24 until 2026-12-31", for messages.
fn describe_range(exception: &Exception) -> String {
    if exception.from == exception.until {
        format!("date {}", exception.from)
    } else {
        format!("{} until {}", exception.from, exception.until)
    }
}

/// Parses "HH:MM-HH:MM" into an interval, or says what is wrong and how to
/// fix it.
fn parse_interval(text: &str) -> Result<Interval, (String, String)> {
    const FORMAT_FIX: &str = r#"write "HH:MM-HH:MM", e.g. "08:30-12:30""#;
    let Some((start_text, end_text)) = text.split_once('-') else {
        return Err((
            "this is not a time interval".to_owned(),
            FORMAT_FIX.to_owned(),
        ));
    };
    let start = parse_clock(start_text.trim())?;
    let end = parse_clock(end_text.trim())?;
    if start == MINUTES_PER_DAY {
        return Err((
            "24:00 can only end an interval".to_owned(),
            r#"start the interval at 00:00 of the next day instead"#.to_owned(),
        ));
    }
    let order_fix = r#"write "HH:MM-HH:MM" with the end after the start; an interval cannot cross midnight, so split a night into "22:00-24:00" and "00:00-02:00" on the next day"#;
    if end < start {
        return Err((
            "the interval ends before it starts".to_owned(),
            order_fix.to_owned(),
        ));
    }
    Interval::new(start, end).ok_or_else(|| {
        (
            "the interval is empty (it ends when it starts)".to_owned(),
            order_fix.to_owned(),
        )
    })
}

/// Parses "HH:MM" (hour 0-23, or exactly 24:00) into minutes after midnight.
fn parse_clock(text: &str) -> Result<u16, (String, String)> {
    let not_a_time = || {
        (
            format!("{text:?} is not a time of day"),
            r#"write times as HH:MM with hours 00-23 and minutes 00-59, e.g. "08:30-12:30"; 24:00 may end an interval"#
                .to_owned(),
        )
    };
    let (hours, minutes) = text.split_once(':').ok_or_else(not_a_time)?;
    let all_digits =
        |part: &str| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_digit());
    if !all_digits(hours) || hours.len() > 2 || !all_digits(minutes) || minutes.len() != 2 {
        return Err(not_a_time());
    }
    let hours: u16 = hours.parse().map_err(|_| not_a_time())?;
    let minutes: u16 = minutes.parse().map_err(|_| not_a_time())?;
    match (hours, minutes) {
        (24, 0) => Ok(MINUTES_PER_DAY),
        (0..=23, 0..=59) => Ok(hours * 60 + minutes),
        _ => Err(not_a_time()),
    }
}

/// Parses "90m", "4h", "1h30m" (hours before minutes, each at most once)
/// into minutes; `None` when the text is not such a duration.
fn parse_duration_minutes(text: &str) -> Option<i64> {
    let text = text.trim();
    let mut total: i64 = 0;
    let mut number = String::new();
    let mut seen_hours = false;
    let mut seen_minutes = false;
    let mut any_part = false;
    for character in text.chars() {
        match character {
            '0'..='9' => number.push(character),
            'h' | 'm' => {
                // Cap the digits so the multiplication below cannot overflow;
                // the promise limit rejects such values anyway.
                if number.is_empty() || number.len() > 9 {
                    return None;
                }
                let value: i64 = number.parse().ok()?;
                number.clear();
                if character == 'h' {
                    if seen_hours || seen_minutes {
                        return None;
                    }
                    seen_hours = true;
                    total += value * 60;
                } else {
                    if seen_minutes {
                        return None;
                    }
                    seen_minutes = true;
                    total += value;
                }
                any_part = true;
            }
            _ => return None,
        }
    }
    (any_part && number.is_empty()).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_hours_and_minutes() {
        assert_eq!(parse_duration_minutes("4h"), Some(240));
        assert_eq!(parse_duration_minutes("90m"), Some(90));
        assert_eq!(parse_duration_minutes("1h30m"), Some(90));
        assert_eq!(parse_duration_minutes(" 2h "), Some(120));
        assert_eq!(parse_duration_minutes("30m1h"), None);
        assert_eq!(parse_duration_minutes("4"), None);
        assert_eq!(parse_duration_minutes("h"), None);
        assert_eq!(parse_duration_minutes("4 uur"), None);
        assert_eq!(parse_duration_minutes("2d"), None);
        assert_eq!(parse_duration_minutes(""), None);
    }

    #[test]
    fn clock_times_allow_24_00_only_as_end() {
        assert_eq!(parse_clock("08:30"), Ok(510));
        assert_eq!(parse_clock("8:30"), Ok(510));
        assert_eq!(parse_clock("24:00"), Ok(1440));
        assert!(parse_clock("24:01").is_err());
        assert!(parse_clock("12:60").is_err());
        assert!(parse_clock("12.30").is_err());
        assert!(parse_clock("12:3").is_err());
        assert!(parse_interval("24:00-24:00").is_err());
        assert!(parse_interval("00:00-24:00").is_ok());
        assert!(parse_interval("22:00-02:00").is_err());
        assert!(parse_interval("09:00").is_err());
    }

    #[test]
    fn bevrijdingsdag_lustrum_means_years_divisible_by_five() {
        assert!(BevrijdingsdagRule::Lustrum.closes_in(2025));
        assert!(BevrijdingsdagRule::Lustrum.closes_in(2030));
        assert!(!BevrijdingsdagRule::Lustrum.closes_in(2026));
        assert!(BevrijdingsdagRule::EveryYear.closes_in(2026));
    }
}
