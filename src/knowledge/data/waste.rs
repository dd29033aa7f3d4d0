//! The waste collection calendar (`data/afvalkalender.toml`) and the
//! text for `{{ophaaldagen}}`.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::postcode::postcode_digits;
use super::toml_input::{date_value, line_of, toml_problem, value_text};
use crate::domain::Language;
use crate::hours::wording::{relative_day, weekday_name};
use crate::knowledge::entry::Problem;

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
