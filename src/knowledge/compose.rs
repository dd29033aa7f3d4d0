//! The WhatsApp text of an answer: the entry's body with its computed
//! sentence (payment date, collection days, opening hours) in place of the
//! placeholder, and the links underneath.

use super::base::KnowledgeBase;
use super::{Computed, Entry, benefit_sentence, extract_postcode, waste_sentence};
use crate::domain::Language;
use crate::hours::OpeningHours;
use crate::hours::wording::format_moment;
use chrono::{DateTime, Utc};

/// WhatsApp's limit for a text body.
const MAX_TEXT: usize = 4096;

/// What an entry gives for a question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Composed {
    /// The answer text, ready to send.
    Answer(String),
    /// A waste-calendar question without a postcode: ask for it first.
    NeedPostcode,
    /// A postcode that is not in the calendar.
    UnknownPostcode(String),
}

fn placeholder(computed: Computed) -> &'static str {
    match computed {
        Computed::BenefitPayment => "{{betaaldatum}}",
        Computed::WasteCollection => "{{ophaaldagen}}",
        Computed::OpeningHours => "{{openingstijden}}",
    }
}

/// Composes the answer of `entry` to `question`, asked at `at`.
pub fn compose(
    entry: &Entry,
    knowledge: &KnowledgeBase,
    hours: &OpeningHours,
    question: &str,
    at: DateTime<Utc>,
) -> Composed {
    let tz = hours.timezone();
    let today = at.with_timezone(&tz).date_naive();
    let lang = entry.lang;
    let mut body = entry.body.clone();
    if let Some(computed) = entry.computed {
        let sentence = match computed {
            Computed::BenefitPayment => knowledge
                .benefit
                .next_payment(today)
                .map(|payment| benefit_sentence(&payment, today, lang))
                .unwrap_or_default(),
            Computed::WasteCollection => {
                let Some(postcode) = extract_postcode(question) else {
                    return Composed::NeedPostcode;
                };
                let Some(area) = knowledge.waste.area_for_postcode(&postcode) else {
                    return Composed::UnknownPostcode(postcode);
                };
                let collections = knowledge.waste.next_collections(area, today);
                waste_sentence(area, &collections, today, lang)
            }
            Computed::OpeningHours => opening_hours_text(hours, at, lang),
        };
        let mark = placeholder(computed);
        body = if body.contains(mark) {
            body.replace(mark, &sentence)
        } else if sentence.is_empty() {
            body
        } else {
            format!("{sentence}\n\n{body}")
        };
    }
    if !entry.links.is_empty() {
        body.push('\n');
        for link in &entry.links {
            body.push_str(&format!("\n🔗 {}: {}", link.label, link.url));
        }
    }
    if body.chars().count() > MAX_TEXT {
        body = body.chars().take(MAX_TEXT - 1).collect::<String>() + "…";
    }
    Composed::Answer(body)
}

/// The coming seven days of opening hours, from the same schedule the
/// acknowledgements use, plus whether the office is open right now.
pub fn opening_hours_text(hours: &OpeningHours, at: DateTime<Utc>, lang: Language) -> String {
    let tz = hours.timezone();
    let today = at.with_timezone(&tz).date_naive();
    let mut lines = Vec::new();
    for day in hours.schedule(today, 7) {
        let date = crate::hours::wording::weekday_name(chrono::Datelike::weekday(&day.date), lang);
        let label = format!("{} {}", date, chrono::Datelike::day(&day.date));
        let times = if day.closed || day.intervals.is_empty() {
            match lang {
                Language::Nl => "gesloten".to_owned(),
                Language::En => "closed".to_owned(),
            }
        } else {
            let joined: Vec<String> = day.intervals.iter().map(ToString::to_string).collect();
            joined.join(match lang {
                Language::Nl => " en ",
                Language::En => " and ",
            })
        };
        let note = day.note.map(|n| format!(" ({n})")).unwrap_or_default();
        lines.push(format!("- {label}: {times}{note}"));
    }
    let now = if hours.is_open(at) {
        match lang {
            Language::Nl => "We zijn nu open.".to_owned(),
            Language::En => "We are open now.".to_owned(),
        }
    } else {
        match hours.next_opening(at) {
            Some(next) => match lang {
                Language::Nl => format!(
                    "We zijn nu gesloten en gaan weer open {}.",
                    format_moment(next, at, tz, lang)
                ),
                Language::En => format!(
                    "We are closed now and open again {}.",
                    format_moment(next, at, tz, lang)
                ),
            },
            None => String::new(),
        }
    };
    format!("{now}\n{}", lines.join("\n"))
}
