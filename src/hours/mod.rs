//! Opening hours: when the organisation is open, when a citizen can expect
//! an answer, and how that is worded. Pure code: no clock, no IO apart from
//! [`OpeningHours::load`] reading the one file it is given; every moment is
//! an argument.
//!
//! Invariant: a day's hours are resolved in one order everywhere (a dated
//! exception wins over a closing holiday, which wins over the weekly
//! schedule), and local wall times become UTC instants in one place
//! ([`local_instant`]), so `is_open`, `next_opening`, `current_period`,
//! `deadline` and `schedule` never disagree, also across DST switches.

mod config;
mod holidays;
mod schedule;
pub mod wording;

use std::path::Path;

use chrono::{
    DateTime, Datelike, Days, MappedLocalTime, NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Utc,
};
use chrono_tz::Tz;

use config::{BevrijdingsdagRule, Exception, ValidConfig};

pub use config::HoursConfigError;
pub use holidays::{Holiday, dutch_holidays, easter_sunday, holidays_on};
pub use schedule::{DaySchedule, DaySource, Interval, render_schedule_text};
pub use wording::{format_moment, month_name, weekday_name};

/// How many days searches look ahead or back. More than a year, so even a
/// long closure or a yearly pattern is seen through, while a bad config can
/// not make a search run forever.
const SEARCH_DAYS: u64 = 400;

/// Validated opening hours of one organisation.
#[derive(Debug, Clone)]
pub struct OpeningHours {
    config: ValidConfig,
}

/// The open or closed stretch of time a moment falls in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Period {
    /// Whether the organisation is open during this period.
    pub open: bool,
    /// When the period began: the last open/close transition at or before
    /// the moment asked about. When there is none within about 400 days,
    /// this is the Unix epoch, so repeated questions still get the same
    /// answer (one acknowledgement per period).
    pub started_at: DateTime<Utc>,
}

/// An open stretch as real instants, `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl OpeningHours {
    /// Parses and validates `hours.toml` text. `file_label` is the path shown
    /// in error messages, e.g. `config/hours.toml`.
    pub fn from_toml_str(text: &str, file_label: &str) -> Result<OpeningHours, HoursConfigError> {
        config::parse(text, file_label).map(|config| OpeningHours { config })
    }

    /// Reads and validates the file at `path`; errors name the file.
    pub fn load(path: &Path) -> Result<OpeningHours, HoursConfigError> {
        let label = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| HoursConfigError::Io {
            file: label.clone(),
            source,
        })?;
        OpeningHours::from_toml_str(&text, &label)
    }

    /// The organisation's time zone.
    pub fn timezone(&self) -> Tz {
        self.config.tz
    }

    /// The reply promise in working (open) time.
    pub fn promise(&self) -> TimeDelta {
        self.config.promise
    }

    /// The promise for urgent threads in working time (`[promise] urgent`).
    pub fn urgent_promise(&self) -> TimeDelta {
        self.config.urgent_promise
    }

    /// Whether the organisation is open at `at`. Intervals include their
    /// start and exclude their end: open at 16:59:59, closed at 17:00:00.
    pub fn is_open(&self, at: DateTime<Utc>) -> bool {
        let date = self.local_date(at);
        // The neighbouring days too, so odd DST cases (an interval ending
        // in a repeated hour) are still seen.
        self.spans_forward(date.pred_opt().unwrap_or(date), 3)
            .any(|span| span.start <= at && at < span.end)
    }

    /// The start of the next open interval, or `None` when open at `at` (or
    /// when nothing opens within about 400 days).
    pub fn next_opening(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.is_open(at) {
            return None;
        }
        let date = self.local_date(at);
        self.spans_forward(date.pred_opt().unwrap_or(date), SEARCH_DAYS)
            .find(|span| span.start > at)
            .map(|span| span.start)
    }

    /// The open or closed period `at` falls in and when it began. Touching
    /// intervals (12:30-13:00 and 13:00-17:00) form one open period; a
    /// lunch break or a weekend is a closed period of its own.
    pub fn current_period(&self, at: DateTime<Utc>) -> Period {
        let date = self.local_date(at);
        let mut spans = self.spans_backward(date.succ_opt().unwrap_or(date), SEARCH_DAYS + 1);
        while let Some(span) = spans.next() {
            if span.start > at {
                continue;
            }
            if at >= span.end {
                // Spans are disjoint and come latest first, so the first
                // one that ended is the last closing before `at`.
                return Period {
                    open: false,
                    started_at: span.end,
                };
            }
            // Follow touching spans back (lunch-less days, 24:00 meeting
            // 00:00) to where the opening really began.
            let mut started_at = span.start;
            for earlier in spans.by_ref() {
                if earlier.end < started_at {
                    return Period {
                        open: true,
                        started_at,
                    };
                }
                started_at = started_at.min(earlier.start);
            }
            // Open as far back as we looked: no transition to report.
            return Period {
                open: true,
                started_at: DateTime::UNIX_EPOCH,
            };
        }
        Period {
            open: false,
            started_at: DateTime::UNIX_EPOCH,
        }
    }

    /// When a message received at `received` must be answered: `received`
    /// plus the promise in working time (see [`Self::add_working_time`]).
    pub fn deadline(&self, received: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.add_working_time(received, self.config.promise)
    }

    /// `from` plus `duration` of open time: only time while open counts, and
    /// when `from` is closed the count starts at the next opening. A zero
    /// (or negative) duration gives `from` when open, else the next opening.
    /// `None` when the open time within about 400 days does not suffice.
    pub fn add_working_time(
        &self,
        from: DateTime<Utc>,
        duration: TimeDelta,
    ) -> Option<DateTime<Utc>> {
        let mut remaining = duration.max(TimeDelta::zero());
        let date = self.local_date(from);
        for span in self.spans_forward(date.pred_opt().unwrap_or(date), SEARCH_DAYS) {
            if span.end <= from {
                continue;
            }
            let start = span.start.max(from);
            let available = span.end - start;
            if remaining <= available {
                return Some(start + remaining);
            }
            remaining -= available;
        }
        None
    }

    /// How much open time lies in `[from, to)`: a wait that starts on
    /// Friday at 16:50 and ends on Monday at 09:10 is 20 minutes of office
    /// time. Zero when `to` is not after `from`.
    pub fn working_time_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> TimeDelta {
        if to <= from {
            return TimeDelta::zero();
        }
        let first = self.local_date(from);
        let last = self.local_date(to);
        // One day either side catches spans that cross midnight in UTC.
        let days = u64::try_from((last - first).num_days()).unwrap_or(0) + 3;
        self.spans_forward(first.pred_opt().unwrap_or(first), days)
            .take_while(|span| span.start < to)
            .map(|span| span.end.min(to) - span.start.max(from))
            .filter(|part| *part > TimeDelta::zero())
            .sum()
    }

    /// The resolved hours of one local date.
    pub fn day_schedule(&self, date: NaiveDate) -> DaySchedule {
        if let Some(exception) = self.exception_on(date) {
            return DaySchedule::new(
                date,
                exception.intervals.clone(),
                Some(exception.reason.clone()),
                DaySource::Exception,
            );
        }
        if let Some(holiday) = self.closing_holiday_on(date) {
            return DaySchedule::new(
                date,
                Vec::new(),
                Some(holiday.dutch_name().to_owned()),
                DaySource::Holiday,
            );
        }
        DaySchedule::new(
            date,
            self.week_intervals(date).to_vec(),
            None,
            DaySource::Week,
        )
    }

    /// The resolved hours of `days` consecutive local dates from `from`.
    pub fn schedule(&self, from: NaiveDate, days: u32) -> Vec<DaySchedule> {
        from.iter_days()
            .take(usize::try_from(days).unwrap_or(usize::MAX))
            .map(|date| self.day_schedule(date))
            .collect()
    }

    /// The closing holiday on `date`, if the config closes on one that day.
    /// When two fall together (Hemelvaartsdag on 5 May) the first closing
    /// one in [`Holiday::ALL`] order is named.
    pub fn closing_holiday_on(&self, date: NaiveDate) -> Option<Holiday> {
        holidays_on(date).into_iter().find(|holiday| {
            self.config.closed_holidays.contains(holiday)
                && (*holiday != Holiday::Bevrijdingsdag
                    || self.bevrijdingsdag_rule().closes_in(date.year()))
        })
    }

    fn bevrijdingsdag_rule(&self) -> BevrijdingsdagRule {
        self.config.bevrijdingsdag
    }

    fn exception_on(&self, date: NaiveDate) -> Option<&Exception> {
        self.config
            .exceptions
            .iter()
            .find(|exception| exception.from <= date && date <= exception.until)
    }

    fn week_intervals(&self, date: NaiveDate) -> &[Interval] {
        let index = usize::try_from(date.weekday().num_days_from_monday()).unwrap_or(0);
        self.config.week.get(index).map_or(&[], Vec::as_slice)
    }

    fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.config.tz).date_naive()
    }

    /// The open spans of one local date as instants, sorted, touching
    /// intervals merged. An interval that vanishes in a DST gap is dropped.
    fn day_spans(&self, date: NaiveDate) -> Vec<Span> {
        let tz = self.config.tz;
        let mut spans: Vec<Span> = Vec::new();
        for interval in self.day_schedule(date).intervals {
            let (Some(start), Some(end)) = (
                local_instant(tz, date, interval.start_minute()),
                local_instant(tz, date, interval.end_minute()),
            ) else {
                continue;
            };
            if start >= end {
                continue;
            }
            match spans.last_mut() {
                Some(last) if start <= last.end => last.end = last.end.max(end),
                _ => spans.push(Span { start, end }),
            }
        }
        spans
    }

    /// Open spans of `days` local dates from `first`, earliest first.
    fn spans_forward(&self, first: NaiveDate, days: u64) -> impl Iterator<Item = Span> + '_ {
        (0..days)
            .map_while(move |offset| first.checked_add_days(Days::new(offset)))
            .flat_map(|date| self.day_spans(date))
    }

    /// Open spans of `days` local dates back from `last` (inclusive), latest
    /// first.
    fn spans_backward(&self, last: NaiveDate, days: u64) -> impl Iterator<Item = Span> + '_ {
        (0..days)
            .map_while(move |offset| last.checked_sub_days(Days::new(offset)))
            .flat_map(|date| self.day_spans(date).into_iter().rev())
    }
}

/// The first instant of `date` in `tz` (a day boundary for searches by
/// date); midnight UTC in the impossible case that no local time of the
/// day exists.
pub fn start_of_day(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    local_instant(tz, date, 0).unwrap_or_else(|| date.and_time(chrono::NaiveTime::MIN).and_utc())
}

/// The instant of a local wall time `minute` minutes after midnight of
/// `date` (1440 means midnight at the end of the day). An ambiguous time (the
/// repeated hour in October) gives the earlier instant; a time that does not
/// exist (the skipped hour in March) gives the earliest valid instant after
/// it, which is the moment the clocks jumped.
fn local_instant(tz: Tz, date: NaiveDate, minute: u16) -> Option<DateTime<Utc>> {
    let midnight = date.and_hms_opt(0, 0, 0)?;
    let naive = midnight.checked_add_signed(TimeDelta::minutes(i64::from(minute)))?;
    earliest_instant(tz, naive)
}

fn earliest_instant(tz: Tz, naive: NaiveDateTime) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&naive) {
        MappedLocalTime::Single(instant) => Some(instant.with_timezone(&Utc)),
        MappedLocalTime::Ambiguous(first, second) => {
            Some(first.with_timezone(&Utc).min(second.with_timezone(&Utc)))
        }
        MappedLocalTime::None => {
            // Walk to the first wall time that exists; a gap is at most a
            // day long (Samoa skipped one in 2011).
            (1..=24 * 60).find_map(|step| {
                let later = naive.checked_add_signed(TimeDelta::minutes(step))?;
                tz.from_local_datetime(&later)
                    .earliest()
                    .map(|instant| instant.with_timezone(&Utc))
            })
        }
    }
}

#[cfg(test)]
mod tests;
