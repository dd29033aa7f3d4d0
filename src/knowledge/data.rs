//! The data behind computed answers: benefit payment dates
//! (`data/uitkering-betaaldata.toml`) and the waste collection calendar
//! (`data/afvalkalender.toml`), plus the sentences that word them and
//! postcode extraction from a citizen's message.
//!
//! Invariant: a calendar that leaves this module is valid (dates exist,
//! each postcode in one area, every area has all four fractions, each
//! `first` falls on its weekday, every_weeks 1 to 8); a file with any error
//! gives its problems, each with a line number, and no calendar. All
//! functions are pure: "today" is always an argument.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::entry::Problem;
use crate::domain::Language;
use crate::hours::wording::{month_name, weekday_name};

/// Beyond this many days a date is shown with its year (as in
/// `hours::wording`), so a date is never mistaken for an earlier one.
const SHOW_YEAR_AFTER_DAYS: i64 = 180;

/// The 1-based line of byte `offset` in `text`.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len()))
        .map_or(1, |before| before.matches('\n').count() + 1)
}

/// A `toml` error as a problem at its line, with the parser's message.
pub(crate) fn toml_problem(
    path: &Path,
    text: &str,
    error: &toml::de::Error,
    hint: &str,
) -> Problem {
    let line = error.span().map_or(0, |span| line_of(text, span.start));
    Problem::error(
        path,
        line,
        // One line per problem: the parser's message may span several.
        format!(
            "{}; {hint}",
            error
                .message()
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )
}

/// A date written as a TOML string ("2026-01-23") or a bare TOML date
/// (2026-01-23): editors write both.
fn date_value(value: &Spanned<toml::Value>) -> Option<NaiveDate> {
    let text = match value.get_ref() {
        toml::Value::String(s) => s.trim().to_owned(),
        toml::Value::Datetime(d) if d.time.is_none() && d.offset.is_none() => d.to_string(),
        _ => return None,
    };
    NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok()
}

fn value_text(value: &Spanned<toml::Value>) -> String {
    match value.get_ref() {
        toml::Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}

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

/// A waste fraction collected at the door.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Fraction {
    Gft,
    Pmd,
    Papier,
    Restafval,
}

impl Fraction {
    /// All fractions, in the order answers list them.
    pub const ALL: [Fraction; 4] = [
        Fraction::Gft,
        Fraction::Pmd,
        Fraction::Papier,
        Fraction::Restafval,
    ];

    /// The key in `afvalkalender.toml` (`[area.collection.gft]`).
    pub fn key(self) -> &'static str {
        match self {
            Fraction::Gft => "gft",
            Fraction::Pmd => "pmd",
            Fraction::Papier => "papier",
            Fraction::Restafval => "restafval",
        }
    }

    /// The name Dutch citizens know from their bins.
    pub fn dutch_name(self) -> &'static str {
        match self {
            Fraction::Gft => "GFT",
            Fraction::Pmd => "PMD",
            Fraction::Papier => "Papier",
            Fraction::Restafval => "Restafval",
        }
    }

    /// The English name, with the Dutch abbreviation where the bin shows one.
    pub fn english_name(self) -> &'static str {
        match self {
            Fraction::Gft => "Organic waste (GFT)",
            Fraction::Pmd => "Plastic, metal and drink cartons (PMD)",
            Fraction::Papier => "Paper",
            Fraction::Restafval => "Residual waste",
        }
    }

    /// The name in `lang`.
    pub fn name(self, lang: Language) -> &'static str {
        match lang {
            Language::Nl => self.dutch_name(),
            Language::En => self.english_name(),
        }
    }
}

/// When one fraction is collected in one area: every `every_weeks` weeks
/// on `weekday`, starting at `first`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Collection {
    pub fraction: Fraction,
    pub weekday: Weekday,
    /// 1 to 8.
    pub every_weeks: u32,
    /// The first collection; falls on `weekday`.
    pub first: NaiveDate,
}

impl Collection {
    /// The regular collection dates from the first one on or after `from`.
    fn dates_from(&self, from: NaiveDate) -> impl Iterator<Item = NaiveDate> + use<> {
        let step = i64::from(self.every_weeks) * 7;
        let behind = (from - self.first).num_days().max(0);
        // Round up to the next whole period at or after `from`.
        let periods = (behind + step - 1) / step;
        let start = u64::try_from(periods * step)
            .ok()
            .and_then(|days| self.first.checked_add_days(Days::new(days)));
        let step_days = Days::new(u64::try_from(step).unwrap_or(7));
        std::iter::successors(start, move |date| date.checked_add_days(step_days))
    }
}

/// A postcode area with its own collection days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Area {
    pub name: String,
    /// The 4-digit postcodes of the area.
    pub postcodes: Vec<String>,
    /// One per fraction, in [`Fraction::ALL`] order.
    pub collections: Vec<Collection>,
}

/// A collection day moved, e.g. from a holiday to the next working day.
/// Applies to every area and fraction collected on `from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Shift {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// The waste collection calendar.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WasteCalendar {
    areas: Vec<Area>,
    shifts: BTreeMap<NaiveDate, NaiveDate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWasteFile {
    #[serde(default)]
    area: Vec<RawArea>,
    #[serde(default)]
    shift: Vec<RawShift>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawArea {
    name: Spanned<String>,
    postcodes: Vec<Spanned<String>>,
    collection: Option<RawCollections>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCollections {
    gft: Option<RawCollection>,
    pmd: Option<RawCollection>,
    papier: Option<RawCollection>,
    restafval: Option<RawCollection>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCollection {
    weekday: Spanned<String>,
    every_weeks: Spanned<i64>,
    first: Spanned<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawShift {
    from: Spanned<toml::Value>,
    to: Spanned<toml::Value>,
}

/// English (as in the file format) or Dutch weekday names.
fn parse_weekday(text: &str) -> Option<Weekday> {
    let text = text.trim().to_lowercase();
    [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ]
    .into_iter()
    .find(|&day| {
        text == weekday_name(day, Language::En).to_lowercase()
            || text == weekday_name(day, Language::Nl)
    })
}

/// The 4 digits of a postcode written as "1234", "1234AB" or "1234 ab".
fn postcode_digits(postcode: &str) -> Option<&str> {
    let postcode = postcode.trim();
    let digits = postcode.get(..4)?;
    let letters = postcode[4..].trim_start();
    let ok = digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0')
        && (letters.is_empty()
            || (letters.len() == 2 && letters.chars().all(|c| c.is_ascii_alphabetic())));
    ok.then_some(digits)
}

impl WasteCalendar {
    /// Parses `afvalkalender.toml` (see the module docs for what is
    /// checked). `Ok` carries warnings, `Err` all errors found.
    pub fn parse(path: &Path, text: &str) -> Result<(Self, Vec<Problem>), Vec<Problem>> {
        const HINT: &str = "each [[area]] has name, postcodes and [area.collection.gft], .pmd, .papier and .restafval with weekday, every_weeks and first; see knowledge/README.md";
        let raw: RawWasteFile =
            toml::from_str(text).map_err(|e| vec![toml_problem(path, text, &e, HINT)])?;
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        let mut areas = Vec::new();
        let mut postcode_areas: HashMap<String, (String, usize)> = HashMap::new();
        let mut names: HashMap<String, usize> = HashMap::new();
        for raw_area in &raw.area {
            let name = raw_area.name.get_ref().trim().to_owned();
            let name_line = line_of(text, raw_area.name.span().start);
            if name.is_empty() {
                errors.push(Problem::error(
                    path,
                    name_line,
                    "name is empty; write the name citizens know the area by, e.g. \"Centrum\"",
                ));
            } else if let Some(first) = names.insert(name.to_lowercase(), name_line) {
                errors.push(Problem::error(
                    path,
                    name_line,
                    format!("area {name:?} is listed twice (also on line {first}); merge the two"),
                ));
            }
            let mut postcodes = Vec::new();
            for postcode in &raw_area.postcodes {
                let line = line_of(text, postcode.span().start);
                let value = postcode.get_ref().trim();
                if value.len() != 4 || postcode_digits(value).is_none() {
                    errors.push(Problem::error(
                        path,
                        line,
                        format!(
                            "postcode {value:?} in area {name:?} is not 4 digits; write only the digits, e.g. \"1234\""
                        ),
                    ));
                    continue;
                }
                if let Some((other, other_line)) =
                    postcode_areas.insert(value.to_owned(), (name.clone(), line))
                {
                    errors.push(Problem::error(
                        path,
                        line,
                        format!(
                            "postcode {value} is in area {other:?} (line {other_line}) and in area {name:?}; a postcode belongs to one area only"
                        ),
                    ));
                    continue;
                }
                postcodes.push(value.to_owned());
            }
            if raw_area.postcodes.is_empty() {
                warnings.push(Problem::warning(
                    path,
                    name_line,
                    format!("area {name:?} has no postcodes, so no citizen will get its dates; add postcodes = [\"1234\", ...]"),
                ));
            }
            let mut collections = Vec::new();
            let sections = raw_area.collection.as_ref().map(|c| {
                [
                    (Fraction::Gft, c.gft.as_ref()),
                    (Fraction::Pmd, c.pmd.as_ref()),
                    (Fraction::Papier, c.papier.as_ref()),
                    (Fraction::Restafval, c.restafval.as_ref()),
                ]
            });
            for (fraction, section) in sections.unwrap_or([
                (Fraction::Gft, None),
                (Fraction::Pmd, None),
                (Fraction::Papier, None),
                (Fraction::Restafval, None),
            ]) {
                let Some(section) = section else {
                    errors.push(Problem::error(
                        path,
                        name_line,
                        format!(
                            "area {name:?} has no [area.collection.{}]; every area needs all four: gft, pmd, papier and restafval",
                            fraction.key()
                        ),
                    ));
                    continue;
                };
                match collection(path, text, fraction, section) {
                    Ok(c) => collections.push(c),
                    Err(problems) => errors.extend(problems),
                }
            }
            areas.push(Area {
                name,
                postcodes,
                collections,
            });
        }
        let mut shifts = BTreeMap::new();
        for raw_shift in &raw.shift {
            let from_line = line_of(text, raw_shift.from.span().start);
            let to_line = line_of(text, raw_shift.to.span().start);
            let from = date_value(&raw_shift.from);
            let to = date_value(&raw_shift.to);
            for (key, value, line, parsed) in [
                ("from", &raw_shift.from, from_line, from),
                ("to", &raw_shift.to, to_line, to),
            ] {
                if parsed.is_none() {
                    errors.push(Problem::error(
                        path,
                        line,
                        format!(
                            "{key}: {} is not a date; write it as \"YYYY-MM-DD\", e.g. \"2026-12-28\"",
                            value_text(value)
                        ),
                    ));
                }
            }
            let (Some(from), Some(to)) = (from, to) else {
                continue;
            };
            if from == to {
                warnings.push(Problem::warning(
                    path,
                    to_line,
                    format!("this shift moves {from} to the same day; remove it or correct `to`"),
                ));
            }
            if shifts.insert(from, to).is_some() {
                errors.push(Problem::error(
                    path,
                    from_line,
                    format!("{from} is shifted twice; keep one [[shift]] per date"),
                ));
            }
        }
        if raw.area.is_empty() {
            warnings.push(Problem::warning(
                path,
                0,
                format!("no areas listed; {HINT}"),
            ));
        }
        if !errors.is_empty() {
            errors.extend(warnings);
            return Err(errors);
        }
        Ok((Self { areas, shifts }, warnings))
    }

    /// A calendar from areas and shifts, for tests and tools; not
    /// validated.
    pub fn from_parts(areas: Vec<Area>, shifts: Vec<Shift>) -> Self {
        Self {
            areas,
            shifts: shifts.into_iter().map(|s| (s.from, s.to)).collect(),
        }
    }

    /// All areas, in file order.
    pub fn areas(&self) -> &[Area] {
        &self.areas
    }

    /// All shifted collection days, by original date.
    pub fn shifts(&self) -> Vec<Shift> {
        self.shifts
            .iter()
            .map(|(&from, &to)| Shift { from, to })
            .collect()
    }

    /// The area of a postcode written as "1234", "1234AB" or "1234 ab";
    /// only the 4 digits count.
    pub fn area_for_postcode(&self, postcode: &str) -> Option<&Area> {
        let digits = postcode_digits(postcode)?;
        self.areas
            .iter()
            .find(|area| area.postcodes.iter().any(|p| p == digits))
    }

    /// The next collection on or after `today` per fraction, with shifted
    /// days applied (a collection on a shift's `from` happens on its `to`,
    /// which may bring one from before today forward, or push one later).
    pub fn next_collections(&self, area: &Area, today: NaiveDate) -> Vec<(Fraction, NaiveDate)> {
        // The largest shift bounds how far before today a regular date can
        // lie and still land on or after today, and when to stop looking.
        let reach = self
            .shifts
            .iter()
            .map(|(from, to)| (*to - *from).num_days().abs())
            .max()
            .unwrap_or(0);
        let look_from = today
            .checked_sub_days(Days::new(u64::try_from(reach).unwrap_or(0)))
            .unwrap_or(today);
        let mut next = Vec::new();
        for collection in &area.collections {
            let mut best: Option<NaiveDate> = None;
            // 200 periods of up to 8 weeks is 30 years: a bound that is
            // never reached, so a strange calendar can not loop forever.
            for regular in collection.dates_from(look_from).take(200) {
                if best.is_some_and(|b| (regular - b).num_days() > reach) {
                    break;
                }
                let actual = self.shifts.get(&regular).copied().unwrap_or(regular);
                if actual >= today && best.is_none_or(|b| actual < b) {
                    best = Some(actual);
                }
            }
            if let Some(date) = best {
                next.push((collection.fraction, date));
            }
        }
        next
    }
}

fn collection(
    path: &Path,
    text: &str,
    fraction: Fraction,
    raw: &RawCollection,
) -> Result<Collection, Vec<Problem>> {
    let key = format!("collection.{}", fraction.key());
    let mut errors = Vec::new();
    let weekday_line = line_of(text, raw.weekday.span().start);
    let weekday = parse_weekday(raw.weekday.get_ref());
    if weekday.is_none() {
        errors.push(Problem::error(
            path,
            weekday_line,
            format!(
                "{key}.weekday: {:?} is not a weekday; write monday, tuesday, wednesday, thursday, friday, saturday or sunday",
                raw.weekday.get_ref()
            ),
        ));
    }
    let every_line = line_of(text, raw.every_weeks.span().start);
    let every_weeks = u32::try_from(*raw.every_weeks.get_ref())
        .ok()
        .filter(|n| (1..=8).contains(n));
    if every_weeks.is_none() {
        errors.push(Problem::error(
            path,
            every_line,
            format!(
                "{key}.every_weeks: {} is out of range; write 1 (weekly) to 8",
                raw.every_weeks.get_ref()
            ),
        ));
    }
    let first_line = line_of(text, raw.first.span().start);
    let first = date_value(&raw.first);
    match (first, weekday) {
        (None, _) => errors.push(Problem::error(
            path,
            first_line,
            format!(
                "{key}.first: {} is not a date; write it as \"YYYY-MM-DD\", e.g. \"2026-01-06\"",
                value_text(&raw.first)
            ),
        )),
        (Some(first), Some(weekday)) if first.weekday() != weekday => {
            errors.push(Problem::error(
                path,
                first_line,
                format!(
                    "{key}.first: {first} is a {}, not a {}; write the date of the first {} collection",
                    weekday_name(first.weekday(), Language::En),
                    weekday_name(weekday, Language::En),
                    weekday_name(weekday, Language::En),
                ),
            ));
        }
        _ => {}
    }
    match (weekday, every_weeks, first) {
        (Some(weekday), Some(every_weeks), Some(first)) if errors.is_empty() => Ok(Collection {
            fraction,
            weekday,
            every_weeks,
            first,
        }),
        _ => Err(errors),
    }
}

/// "dinsdag 22 december" / "Tuesday 22 December", with the year when the
/// date is more than half a year from `today`.
fn day_text(date: NaiveDate, today: NaiveDate, lang: Language) -> String {
    let mut text = format!(
        "{} {} {}",
        weekday_name(date.weekday(), lang),
        date.day(),
        month_name(date.month(), lang)
    );
    if (date - today).num_days().abs() > SHOW_YEAR_AFTER_DAYS {
        text.push_str(&format!(" {}", date.year()));
    }
    text
}

/// "vandaag (dinsdag 22 december)", "morgen (...)", or just the day.
fn relative_day(date: NaiveDate, today: NaiveDate, lang: Language) -> String {
    let day = day_text(date, today, lang);
    match (lang, (date - today).num_days()) {
        (Language::Nl, 0) => format!("vandaag ({day})"),
        (Language::En, 0) => format!("today ({day})"),
        (Language::Nl, 1) => format!("morgen ({day})"),
        (Language::En, 1) => format!("tomorrow ({day})"),
        _ => day,
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

/// The text for `{{ophaaldagen}}`: a heading line naming the area, then
/// one line per fraction ("- GFT: morgen (dinsdag 24 november)").
pub fn waste_sentence(
    area: &Area,
    collections: &[(Fraction, NaiveDate)],
    today: NaiveDate,
    lang: Language,
) -> String {
    if collections.is_empty() {
        return match lang {
            Language::Nl => format!(
                "Voor postcodegebied {} zijn nog geen ophaaldagen bekend.",
                area.name
            ),
            Language::En => format!(
                "No collection days are known yet for postcode area {}.",
                area.name
            ),
        };
    }
    let mut text = match lang {
        Language::Nl => format!("Ophaaldagen voor postcodegebied {}:", area.name),
        Language::En => format!("Collection days for postcode area {}:", area.name),
    };
    for (fraction, date) in collections {
        text.push_str(&format!(
            "\n- {}: {}",
            fraction.name(lang),
            relative_day(*date, today, lang)
        ));
    }
    text
}

/// Short words that follow a number in a sentence ("in 2026 op vakantie",
/// "1234 en 5678"): after a space they are not postcode letters.
const NOT_POSTCODE_LETTERS: [&str; 36] = [
    "en", "of", "op", "in", "is", "ik", "je", "we", "ze", "de", "te", "om", "al", "nu", "zo", "na",
    "er", "ga", "to", "at", "on", "or", "an", "as", "be", "by", "do", "go", "he", "if", "it", "me",
    "my", "no", "so", "up",
];

/// Finds a Dutch postcode in a message: "1234 AB", "1234ab" or a bare
/// "1234" (1000-9999, not part of a longer number such as a phone number,
/// and not a year 1900-2100 unless letters follow). Returns it normalised:
/// "1234AB" or "1234".
pub fn extract_postcode(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let is_separator = |c: char| matches!(c, ' ' | '.' | ',' | '-' | '/');
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        let end = i;
        if end - start != 4 || chars[start] == '0' {
            continue;
        }
        // Glued to a letter ("A1234") or to another number through one
        // separator ("06-1234 5678", "1.234,50"): part of something else.
        let before = start.checked_sub(1).map(|b| chars[b]);
        let before2 = start.checked_sub(2).map(|b| chars[b]);
        if before.is_some_and(|c| c.is_alphanumeric())
            || (before.is_some_and(is_separator) && before2.is_some_and(|c| c.is_ascii_digit()))
        {
            continue;
        }
        let after = chars.get(end).copied();
        if after.is_some_and(is_separator) && chars.get(end + 1).is_some_and(char::is_ascii_digit) {
            continue;
        }
        let digits: String = chars[start..end].iter().collect();
        // Letters directly after the digits, or after one space.
        let spaced = after == Some(' ');
        let letters_at = if spaced { end + 1 } else { end };
        let letters: String = chars
            .iter()
            .skip(letters_at)
            .take(2)
            .filter(|c| c.is_ascii_alphabetic())
            .collect();
        let letters_end = chars.get(letters_at + 2).copied();
        let has_letters = letters.len() == 2
            && !letters_end.is_some_and(char::is_alphanumeric)
            && !(spaced
                && letters.chars().all(|c| c.is_ascii_lowercase())
                && NOT_POSTCODE_LETTERS.contains(&letters.as_str()));
        if has_letters {
            return Some(format!("{digits}{}", letters.to_uppercase()));
        }
        if !spaced && after.is_some_and(char::is_alphanumeric) {
            // "1234abc": not a postcode.
            continue;
        }
        let number: u32 = digits.parse().unwrap_or(0);
        if (1900..=2100).contains(&number) {
            continue;
        }
        return Some(digits);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::entry::Severity;

    fn day(year: i32, month: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, d).expect("valid test date")
    }

    const BENEFIT: &str = "\
[[payment]]
month = \"2026-11\"
date = \"2026-11-24\"

[[payment]]
month = \"2026-12\"
date = 2026-12-22

[[payment]]
month = \"2027-01\"
date = \"2027-01-22\"
";

    fn benefit() -> BenefitCalendar {
        let (calendar, warnings) =
            BenefitCalendar::parse(Path::new("uitkering-betaaldata.toml"), BENEFIT).expect("valid");
        assert!(warnings.is_empty(), "{warnings:?}");
        calendar
    }

    #[test]
    fn the_next_payment_is_the_first_on_or_after_today() {
        let calendar = benefit();
        assert_eq!(calendar.payments().len(), 3);
        let next = calendar.next_payment(day(2026, 11, 25)).expect("december");
        assert_eq!(
            (next.month, next.year, next.date),
            (12, 2026, day(2026, 12, 22))
        );
    }

    #[test]
    fn the_next_payment_crosses_the_year_boundary() {
        let next = benefit().next_payment(day(2026, 12, 23)).expect("january");
        assert_eq!(
            (next.month, next.year, next.date),
            (1, 2027, day(2027, 1, 22))
        );
    }

    #[test]
    fn on_payment_day_the_payment_of_today_is_next() {
        let next = benefit().next_payment(day(2026, 12, 22)).expect("today");
        assert_eq!(next.date, day(2026, 12, 22));
        assert_eq!(next.month, 12);
    }

    #[test]
    fn after_the_last_payment_there_is_none() {
        assert_eq!(benefit().next_payment(day(2027, 1, 23)), None);
    }

    #[test]
    fn the_benefit_sentence_names_month_weekday_and_date() {
        let next = benefit().next_payment(day(2026, 12, 1)).expect("december");
        assert_eq!(
            benefit_sentence(&next, day(2026, 12, 1), Language::Nl),
            "De uitkering over december wordt op dinsdag 22 december betaald."
        );
        assert_eq!(
            benefit_sentence(&next, day(2026, 12, 1), Language::En),
            "The benefit for December will be paid on Tuesday 22 December."
        );
    }

    #[test]
    fn the_benefit_sentence_says_today_on_payment_day_and_tomorrow_the_day_before() {
        let next = benefit().next_payment(day(2026, 12, 22)).expect("december");
        assert_eq!(
            benefit_sentence(&next, day(2026, 12, 22), Language::Nl),
            "De uitkering over december wordt vandaag (dinsdag 22 december) betaald."
        );
        assert_eq!(
            benefit_sentence(&next, day(2026, 12, 22), Language::En),
            "The benefit for December will be paid today (Tuesday 22 December)."
        );
        assert_eq!(
            benefit_sentence(&next, day(2026, 12, 21), Language::Nl),
            "De uitkering over december wordt morgen (dinsdag 22 december) betaald."
        );
    }

    #[test]
    fn a_wrong_month_or_date_in_the_benefit_file_points_at_its_line() {
        let text = BENEFIT
            .replace("month = \"2026-12\"", "month = \"december\"")
            .replace("date = \"2027-01-22\"", "date = \"2027-01-32\"");
        let problems = BenefitCalendar::parse(Path::new("b.toml"), &text).expect_err("two errors");
        let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![6, 11], "{problems:#?}");
        assert!(problems[0].message.contains("\"YYYY-MM\""));
    }

    #[test]
    fn a_month_listed_twice_is_an_error_naming_the_first_line() {
        let text = BENEFIT.replace("month = \"2027-01\"", "month = \"2026-11\"");
        let problems = BenefitCalendar::parse(Path::new("b.toml"), &text).expect_err("duplicate");
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert_eq!(problems[0].line, 10);
        assert!(
            problems[0].message.contains("also on line 2"),
            "{}",
            problems[0]
        );
    }

    #[test]
    fn a_toml_syntax_error_in_a_data_file_has_its_line() {
        let text = BENEFIT.replace("date = \"2026-11-24\"", "date = \"2026-11-24");
        let problems = BenefitCalendar::parse(Path::new("b.toml"), &text).expect_err("syntax");
        assert_eq!(problems[0].line, 3, "{}", problems[0]);
        let text = BENEFIT.replace("date = \"2026-11-24\"", "datum = \"2026-11-24\"");
        let problems = BenefitCalendar::parse(Path::new("b.toml"), &text).expect_err("unknown");
        assert_eq!(problems[0].line, 3, "{}", problems[0]);
        assert!(problems[0].message.contains("datum"), "{}", problems[0]);
    }

    /// One area block; line 1 is `[[area]]`, the name is on line 2.
    fn area_block(name: &str, postcodes: &str) -> String {
        format!(
            "[[area]]
name = \"{name}\"
postcodes = [{postcodes}]
[area.collection.gft]
weekday = \"tuesday\"
every_weeks = 2
first = \"2026-01-06\"
[area.collection.pmd]
weekday = \"wednesday\"
every_weeks = 4
first = \"2026-01-07\"
[area.collection.papier]
weekday = \"thursday\"
every_weeks = 4
first = 2026-01-15
[area.collection.restafval]
weekday = \"friday\"
every_weeks = 1
first = \"2026-01-09\"
"
        )
    }

    const SHIFT: &str = "[[shift]]\nfrom = \"2026-12-25\"\nto = \"2026-12-28\"\n";

    fn waste_text() -> String {
        format!(
            "{}{}{SHIFT}",
            area_block("Centrum", "\"1231\", \"1232\""),
            area_block("Noord", "\"1240\"")
        )
    }

    fn waste() -> WasteCalendar {
        let (calendar, warnings) =
            WasteCalendar::parse(Path::new("afvalkalender.toml"), &waste_text()).expect("valid");
        assert!(warnings.is_empty(), "{warnings:?}");
        calendar
    }

    fn waste_errors(text: &str) -> Vec<Problem> {
        WasteCalendar::parse(Path::new("afvalkalender.toml"), text).expect_err("invalid")
    }

    #[test]
    fn the_next_collection_per_fraction_follows_every_two_and_four_weeks() {
        let calendar = waste();
        let area = calendar.area_for_postcode("1231").expect("Centrum");
        assert_eq!(
            calendar.next_collections(area, day(2026, 1, 7)),
            vec![
                (Fraction::Gft, day(2026, 1, 20)),
                (Fraction::Pmd, day(2026, 1, 7)),
                (Fraction::Papier, day(2026, 1, 15)),
                (Fraction::Restafval, day(2026, 1, 9)),
            ]
        );
        let later = calendar.next_collections(area, day(2026, 1, 8));
        assert_eq!(later[0], (Fraction::Gft, day(2026, 1, 20)));
        assert_eq!(later[1], (Fraction::Pmd, day(2026, 2, 4)));
        assert_eq!(later[2], (Fraction::Papier, day(2026, 1, 15)));
    }

    #[test]
    fn before_the_first_collection_the_first_is_next() {
        let calendar = waste();
        let area = &calendar.areas()[0];
        let next = calendar.next_collections(area, day(2025, 12, 1));
        assert_eq!(next[0], (Fraction::Gft, day(2026, 1, 6)));
    }

    #[test]
    fn a_shifted_collection_moves_to_its_new_date() {
        let calendar = waste();
        let area = &calendar.areas()[1];
        // Friday 25 December is moved to Monday 28 December.
        let rest = |today| {
            calendar
                .next_collections(area, today)
                .into_iter()
                .find(|(f, _)| *f == Fraction::Restafval)
                .map(|(_, date)| date)
        };
        assert_eq!(rest(day(2026, 12, 24)), Some(day(2026, 12, 28)));
        // Also after the original date has passed, the moved one is next.
        assert_eq!(rest(day(2026, 12, 26)), Some(day(2026, 12, 28)));
        assert_eq!(rest(day(2026, 12, 29)), Some(day(2027, 1, 1)));
        assert_eq!(
            calendar.shifts(),
            vec![Shift {
                from: day(2026, 12, 25),
                to: day(2026, 12, 28)
            }]
        );
    }

    #[test]
    fn a_postcode_is_found_with_or_without_letters_and_spaces() {
        let calendar = waste();
        for written in ["1232", "1232AB", "1232 ab", " 1232 Ab ", "1232ab"] {
            let area = calendar.area_for_postcode(written);
            assert_eq!(
                area.map(|a| a.name.as_str()),
                Some("Centrum"),
                "{written:?}"
            );
        }
        assert_eq!(
            calendar
                .area_for_postcode("1240 XY")
                .map(|a| a.name.as_str()),
            Some("Noord")
        );
        for unknown in ["9999", "123", "12345", "1232 A", "1232 ABC", "abcd", ""] {
            assert!(calendar.area_for_postcode(unknown).is_none(), "{unknown:?}");
        }
    }

    #[test]
    fn a_first_date_on_the_wrong_weekday_is_an_error_at_its_line() {
        let text = area_block("Centrum", "\"1231\"")
            .replace("first = \"2026-01-06\"", "first = \"2026-01-05\"");
        let problems = waste_errors(&text);
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert_eq!(problems[0].line, 7);
        assert!(
            problems[0]
                .message
                .contains("2026-01-05 is a Monday, not a Tuesday"),
            "{}",
            problems[0]
        );
    }

    #[test]
    fn every_weeks_outside_one_to_eight_is_an_error_at_its_line() {
        let text = area_block("Centrum", "\"1231\"").replace("every_weeks = 2", "every_weeks = 9");
        let problems = waste_errors(&text);
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert_eq!(problems[0].line, 6);
        assert!(problems[0].message.contains("collection.gft.every_weeks"));
        let text = area_block("Centrum", "\"1231\"").replace("every_weeks = 2", "every_weeks = 0");
        assert_eq!(waste_errors(&text)[0].line, 6);
    }

    #[test]
    fn a_postcode_in_two_areas_is_an_error_naming_both() {
        let text = format!(
            "{}{}",
            area_block("Centrum", "\"1231\""),
            area_block("Noord", "\"1240\", \"1231\"")
        );
        let problems = waste_errors(&text);
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert_eq!(problems[0].line, 22);
        assert!(
            problems[0].message.contains("\"Centrum\" (line 3)"),
            "{}",
            problems[0]
        );
        assert!(problems[0].message.contains("\"Noord\""), "{}", problems[0]);
    }

    #[test]
    fn a_postcode_that_is_not_four_digits_is_an_error() {
        let problems = waste_errors(&area_block("Centrum", "\"1231\", \"1231AB\", \"0123\""));
        let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![3, 3], "{problems:#?}");
    }

    #[test]
    fn a_missing_fraction_is_an_error_at_the_area_name() {
        let text = area_block("Centrum", "\"1231\"").replace(
            "[area.collection.papier]\nweekday = \"thursday\"\nevery_weeks = 4\nfirst = 2026-01-15\n",
            "",
        );
        let problems = waste_errors(&text);
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert_eq!(problems[0].line, 2);
        assert!(problems[0].message.contains("[area.collection.papier]"));
    }

    #[test]
    fn an_unknown_fraction_is_an_error_at_its_line() {
        let text = format!(
            "{}[area.collection.glas]\nweekday = \"monday\"\n",
            area_block("Centrum", "\"1231\"")
        );
        let problems = waste_errors(&text);
        assert_eq!(problems[0].severity, Severity::Error);
        assert!(problems[0].message.contains("glas"), "{}", problems[0]);
        assert_eq!(problems[0].line, 20, "{}", problems[0]);
    }

    #[test]
    fn a_dutch_weekday_name_is_accepted_and_an_unknown_one_is_not() {
        let text = area_block("Centrum", "\"1231\"").replace("\"tuesday\"", "\"Dinsdag\"");
        assert!(WasteCalendar::parse(Path::new("a.toml"), &text).is_ok());
        let text = area_block("Centrum", "\"1231\"").replace("\"tuesday\"", "\"dinsdg\"");
        assert_eq!(waste_errors(&text)[0].line, 5);
    }

    #[test]
    fn the_waste_sentence_lists_each_fraction_with_today_and_tomorrow() {
        let calendar = waste();
        let area = &calendar.areas()[0];
        let today = day(2026, 1, 8);
        let next = vec![
            (Fraction::Gft, day(2026, 1, 8)),
            (Fraction::Pmd, day(2026, 1, 9)),
            (Fraction::Papier, day(2026, 1, 15)),
        ];
        assert_eq!(
            waste_sentence(area, &next, today, Language::Nl),
            "Ophaaldagen voor postcodegebied Centrum:\n- GFT: vandaag (donderdag 8 januari)\n- PMD: morgen (vrijdag 9 januari)\n- Papier: donderdag 15 januari"
        );
        assert_eq!(
            waste_sentence(area, &next, today, Language::En),
            "Collection days for postcode area Centrum:\n- Organic waste (GFT): today (Thursday 8 January)\n- Plastic, metal and drink cartons (PMD): tomorrow (Friday 9 January)\n- Paper: Thursday 15 January"
        );
        assert!(waste_sentence(area, &[], today, Language::Nl).contains("nog geen ophaaldagen"));
    }

    #[test]
    fn fraction_names_in_both_languages() {
        assert_eq!(Fraction::Restafval.dutch_name(), "Restafval");
        assert_eq!(Fraction::Restafval.english_name(), "Residual waste");
        assert_eq!(Fraction::Papier.name(Language::En), "Paper");
    }

    #[test]
    fn a_postcode_with_letters_is_extracted_and_normalised() {
        assert_eq!(
            extract_postcode("mijn postcode is 1234AB"),
            Some("1234AB".into())
        );
        assert_eq!(
            extract_postcode("1234 ab, wanneer gft?"),
            Some("1234AB".into())
        );
        assert_eq!(extract_postcode("postcode:1234ab."), Some("1234AB".into()));
        assert_eq!(
            extract_postcode("Ik woon in 2026 AB"),
            Some("2026AB".into())
        );
    }

    #[test]
    fn a_bare_four_digit_postcode_is_extracted() {
        assert_eq!(
            extract_postcode("wanneer komt de gft in 1231?"),
            Some("1231".into())
        );
        assert_eq!(extract_postcode("1231"), Some("1231".into()));
        assert_eq!(extract_postcode("1234 en 5678"), Some("1234".into()));
    }

    #[test]
    fn a_year_is_not_a_postcode() {
        assert_eq!(extract_postcode("wanneer wordt in 2026 betaald?"), None);
        assert_eq!(extract_postcode("in 2026 op vakantie"), None);
        assert_eq!(
            extract_postcode("ophaaldagen 2027, postcode 1231"),
            Some("1231".into())
        );
    }

    #[test]
    fn part_of_a_longer_number_is_not_a_postcode() {
        for text in [
            "bel 06-12345678",
            "bel 06 1234 5678",
            "rekening 12345",
            "bedrag 1.234,50",
            "0123 AB",
            "zaak A1234",
            "1234abc",
            "123",
        ] {
            assert_eq!(extract_postcode(text), None, "{text:?}");
        }
    }
}
