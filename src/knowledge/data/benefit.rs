//! Benefit payment dates (`data/uitkering-betaaldata.toml`) and the
//! sentence for `{{betaaldatum}}`.

use std::collections::HashMap;
use std::path::Path;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::toml_input::{date_value, line_of, toml_problem, value_text};
use crate::domain::Language;
use crate::hours::wording::{month_name, relative_day};
use crate::knowledge::entry::Problem;

/// One benefit payment: the month it is for and the day it is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Payment {
    /// The month the benefit is for (1-12).
    pub month: u32,
    pub year: i32,
    /// The day the money is paid.
    pub date: NaiveDate,
}

/// The benefit payment dates, sorted by payment date.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BenefitCalendar {
    payments: Vec<Payment>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBenefitFile {
    #[serde(default)]
    payment: Vec<RawPayment>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPayment {
    month: Spanned<toml::Value>,
    date: Spanned<toml::Value>,
}

impl BenefitCalendar {
    /// Parses `uitkering-betaaldata.toml`: `[[payment]]` tables with
    /// `month = "2026-01"` and `date = "2026-01-23"`. `Ok` carries
    /// warnings, `Err` all errors found.
    pub fn parse(path: &Path, text: &str) -> Result<(Self, Vec<Problem>), Vec<Problem>> {
        const HINT: &str = "write each payment as [[payment]] with month = \"2026-01\" and date = \"2026-01-23\" below it";
        let raw: RawBenefitFile =
            toml::from_str(text).map_err(|e| vec![toml_problem(path, text, &e, HINT)])?;
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        let mut payments = Vec::new();
        let mut months: HashMap<(i32, u32), usize> = HashMap::new();
        for raw in &raw.payment {
            let month_line = line_of(text, raw.month.span().start);
            let date_line = line_of(text, raw.date.span().start);
            let month = match raw.month.get_ref() {
                toml::Value::String(s) => {
                    NaiveDate::parse_from_str(&format!("{}-01", s.trim()), "%Y-%m-%d").ok()
                }
                _ => None,
            };
            let Some(month) = month else {
                errors.push(Problem::error(
                    path,
                    month_line,
                    format!(
                        "month: {} is not a month; write it as \"YYYY-MM\", e.g. \"2026-01\"",
                        value_text(&raw.month)
                    ),
                ));
                continue;
            };
            let Some(date) = date_value(&raw.date) else {
                errors.push(Problem::error(
                    path,
                    date_line,
                    format!(
                        "date: {} is not a date; write it as \"YYYY-MM-DD\", e.g. \"2026-01-23\"",
                        value_text(&raw.date)
                    ),
                ));
                continue;
            };
            let key = (month.year(), month.month());
            if let Some(first) = months.insert(key, month_line) {
                errors.push(Problem::error(
                    path,
                    month_line,
                    format!(
                        "month {}-{:02} is listed twice (also on line {first}); keep one payment per month",
                        key.0, key.1
                    ),
                ));
                continue;
            }
            // A payment more than two months from its month is almost
            // certainly a typo in one of the two.
            if (date - month).num_days().abs() > 62 {
                warnings.push(Problem::warning(
                    path,
                    date_line,
                    format!(
                        "the payment for {}-{:02} is paid on {date}, far from that month; check the month and the date",
                        key.0, key.1
                    ),
                ));
            }
            payments.push(Payment {
                month: month.month(),
                year: month.year(),
                date,
            });
        }
        if raw.payment.is_empty() {
            warnings.push(Problem::warning(
                path,
                0,
                format!("no payments listed; {HINT}"),
            ));
        }
        if !errors.is_empty() {
            errors.extend(warnings);
            return Err(errors);
        }
        payments.sort_by_key(|p| p.date);
        Ok((Self { payments }, warnings))
    }

    /// A calendar from payments (sorted here), for tests and tools.
    pub fn from_payments(mut payments: Vec<Payment>) -> Self {
        payments.sort_by_key(|p| p.date);
        Self { payments }
    }

    /// All payments, by payment date.
    pub fn payments(&self) -> &[Payment] {
        &self.payments
    }

    /// The first payment on or after `today`; `None` when the calendar
    /// has run out (the answer should then refer to the website).
    pub fn next_payment(&self, today: NaiveDate) -> Option<Payment> {
        self.payments.iter().find(|p| p.date >= today).copied()
    }
}

/// The sentence for `{{betaaldatum}}`: "De uitkering over december wordt
/// op dinsdag 22 december betaald." / "The benefit for December will be
/// paid on Tuesday 22 December." ("vandaag (...)" / "today (...)" on the
/// day itself, "morgen" / "tomorrow" the day before).
pub fn benefit_sentence(payment: &Payment, today: NaiveDate, lang: Language) -> String {
    let mut month = month_name(payment.month, lang).to_owned();
    if payment.year != payment.date.year() {
        month.push_str(&format!(" {}", payment.year));
    }
    let days = (payment.date - today).num_days();
    let when = relative_day(payment.date, today, lang);
    match lang {
        Language::Nl if (0..=1).contains(&days) => {
            format!("De uitkering over {month} wordt {when} betaald.")
        }
        Language::Nl => format!("De uitkering over {month} wordt op {when} betaald."),
        Language::En if (0..=1).contains(&days) => {
            format!("The benefit for {month} will be paid {when}.")
        }
        Language::En => format!("The benefit for {month} will be paid on {when}."),
    }
}
