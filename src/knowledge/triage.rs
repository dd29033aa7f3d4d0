//! The triage: one pure function that turns a citizen's message into what
//! the bot does with it. The reply path, `loket ask`, `loket eval` and
//! `loket simulate` all call [`triage`]; there is no second copy.
//!
//! Order, and why:
//! 1. **Urgent** first: a cry for help gets its referral at any hour, even
//!    in the middle of another question. The urgent entries are recognised
//!    by the classifier with a lower, recall-first threshold.
//! 2. **Asks for a person** (a rule in `rules.toml`): the citizen decides.
//! 3. **The classifier's decision** over the other entries: one answer, a
//!    short choice, or nothing confident enough.
//! 4. **Own case** (rules): a question about the citizen's own case goes to
//!    a person, unless the answer found takes such questions.
//! 5. The winning entry's kind: an answer is answered, another
//!    organisation's topic goes to a person with a referral, small talk
//!    gets a friendly word.

use super::base::KnowledgeBase;
use super::classifier::Scored;
use super::decision::{self, FaqDecision, Thresholds};
use super::entry::EntryKind;
use super::rules::Rules;
use super::search::Hit;
use crate::domain::Language;
use chrono::NaiveDate;
use serde::Serialize;

/// An urgent entry must be among this many first candidates of a message
/// for it to be urgent.
const URGENT_AMONG_FIRST: usize = 3;

/// Crisis words this sure make a message urgent even when its language
/// was read as the other one ("help brand").
const CRISIS_SURE: f64 = 0.95;

/// Why a message goes to a person.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "why")]
pub enum HandOver {
    /// No entry is confident enough (or there is no knowledge base).
    NoAnswer,
    /// The citizen asked for a person.
    AskedForPerson,
    /// About the citizen's own case.
    OwnCase,
    /// Another organisation's topic; the entry names where to go.
    NotOurs { id: String, refer_to: String },
}

/// What the bot does with a message.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Answer(Hit),
    /// Two or three close candidates: "Bedoel je ...?"
    Choose(Vec<Hit>),
    HandOver(HandOver),
    /// A cry for help: the referral of this urgent entry at once (or the
    /// general emergency referral when no urgent entry is a candidate).
    Urgent(Option<Hit>),
    /// Greetings, thanks, chat: this small-talk entry's reply.
    SmallTalk(Hit),
}

impl Outcome {
    /// `answer`, `choose`, `hand_over`, `urgent` or `small_talk`.
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Answer(_) => "answer",
            Outcome::Choose(_) => "choose",
            Outcome::HandOver(_) => "hand_over",
            Outcome::Urgent(_) => "urgent",
            Outcome::SmallTalk(_) => "small_talk",
        }
    }

    /// The entry the bot answers with directly, if any.
    pub fn answered(&self) -> Option<&Hit> {
        match self {
            Outcome::Answer(hit) => Some(hit),
            _ => None,
        }
    }
}

/// Everything the triage knows about a message before any threshold:
/// the classifier's candidates and which rules match. `loket eval`
/// gathers it once per question and decides with many thresholds.
#[derive(Debug, Clone)]
pub struct Evidence {
    /// The language the message was classified (and is answered) in.
    pub language: Language,
    /// The classifier's candidates, best first (urgent ones included).
    pub hits: Vec<Hit>,
    /// The ranker's features per candidate, parallel to `hits`.
    pub scored: Vec<Scored>,
    /// The kind of each candidate's entry, parallel to `hits`.
    pub kinds: Vec<EntryKind>,
    /// How likely the message is a cry for help: the mean of `crisis`
    /// and `urgent_rank`.
    pub urgency: f64,
    /// The crisis-word model's probability.
    pub crisis: f64,
    /// The urgency model's probability from the ranking.
    pub urgent_rank: f64,
    /// The urgent entry that would refer it.
    pub urgent_entry: Option<Hit>,
    /// The ask-for-a-person rule the message matches, if any.
    pub person_rule: Option<String>,
    /// The first own-case rule the message matches, if any.
    pub own_case_rule: Option<String>,
    /// Per candidate: its entry takes the own-case questions matched.
    pub takes_own_case: Vec<bool>,
}

/// The triage of one message, with its evidence.
#[derive(Debug, Clone)]
pub struct Triaged {
    /// The language the message was classified (and is answered) in.
    pub language: Language,
    pub outcome: Outcome,
    /// The classifier's candidates, best first (urgent ones included).
    pub hits: Vec<Hit>,
    pub evidence: Vec<Scored>,
    /// The rule from `rules.toml` that decided, if one did.
    pub rule: Option<String>,
    /// The urgency evidence: (mean, crisis words, ranking).
    pub urgency: (f64, f64, f64),
}

/// Gathers the evidence for `text` (personal data already masked).
/// `language`: the language the conversation is known to be in, if any.
pub fn gather(
    text: &str,
    language: Option<Language>,
    knowledge: &KnowledgeBase,
    date: NaiveDate,
) -> Evidence {
    let entries = knowledge.index.entries();
    let (language, (hits, scored)) = knowledge.classify_in(text, language, date);
    let kinds: Vec<EntryKind> = hits
        .iter()
        .map(|h| {
            entries
                .get(h.entry)
                .map_or(EntryKind::Answer, |e| e.kind.clone())
        })
        .collect();
    // A cry for help in either language: "help brand" reads as English,
    // but its crisis word is Dutch.
    let crisis = [Language::Nl, Language::En]
        .into_iter()
        .filter_map(|lang| knowledge.classifier.crisis(text, lang))
        .max_by(|a, b| a.1.total_cmp(&b.1));
    let crisis_p = crisis.map_or(0.0, |c| c.1);
    // The ranking speaks for a crisis only when an urgent entry ranks
    // first: urgent entries hold crises told inside practical questions,
    // so they come second to many an ordinary question.
    let urgent_first = scored
        .first()
        .and_then(|s| entries.get(s.entry))
        .is_some_and(|e| e.kind == EntryKind::Urgent);
    let similar = if urgent_first {
        knowledge.urgency(&scored)
    } else {
        0.0
    };
    // Two views of the same entries, averaged: the crisis words (which
    // words make a message urgent) and how the urgent entries rank against
    // the ordinary ones. Each alone either misses veiled cries for help or
    // flags ordinary questions; their mean had the best recall for its
    // false alarms on the dev and crisis-dev sets (docs/quality.md; the
    // geometric mean flagged fewer look-alikes but missed more crises).
    let urgency = (crisis_p + similar) / 2.0;
    // The referral: the urgent entry whose crisis words fit best.
    let urgent_entry = crisis.and_then(|(position, _)| {
        let entry = entries.get(position)?;
        Some(Hit {
            entry: position,
            id: entry.id.clone(),
            lang: entry.lang,
            score: crisis_p,
        })
    });
    let own_case = knowledge.rules.own_case_matches(text);
    let takes_own_case = hits
        .iter()
        .map(|h| {
            entries
                .get(h.entry)
                .is_some_and(|e| Rules::entry_takes(e, &own_case))
        })
        .collect();
    Evidence {
        language,
        hits,
        scored,
        kinds,
        urgency,
        crisis: crisis_p,
        urgent_rank: similar,
        urgent_entry,
        person_rule: knowledge
            .rules
            .asks_for_person(text)
            .map(|r| r.name.clone()),
        own_case_rule: own_case.first().map(|r| r.name.clone()),
        takes_own_case,
    }
}

/// Decides from the evidence with `thresholds`; returns the outcome and
/// the rule that decided it, if one did.
pub fn decide(evidence: &Evidence, thresholds: &Thresholds) -> (Outcome, Option<String>) {
    let kind_of = |hit: &Hit| {
        evidence
            .hits
            .iter()
            .position(|h| h.entry == hit.entry)
            .map_or(EntryKind::Answer, |i| evidence.kinds[i].clone())
    };
    // Urgent when the urgency is high enough and an urgent entry is among
    // the message's first candidates: a message the urgent entries do not
    // rank for ("Nee.", a postcode) has no evidence of a crisis, however
    // few words it has for the models to weigh.
    let ranked_urgent = evidence
        .hits
        .iter()
        .zip(&evidence.kinds)
        .take(URGENT_AMONG_FIRST)
        .any(|(_, k)| *k == EntryKind::Urgent);
    if evidence.urgency >= thresholds.urgent && (ranked_urgent || evidence.crisis >= CRISIS_SURE) {
        return (Outcome::Urgent(evidence.urgent_entry.clone()), None);
    }
    if let Some(rule) = &evidence.person_rule {
        return (
            Outcome::HandOver(HandOver::AskedForPerson),
            Some(rule.clone()),
        );
    }
    let others: Vec<Hit> = evidence
        .hits
        .iter()
        .zip(&evidence.kinds)
        .filter(|(_, k)| **k != EntryKind::Urgent)
        .map(|(h, _)| h.clone())
        .collect();
    let decision = decision::decide(&others, thresholds);

    if let Some(rule) = &evidence.own_case_rule {
        let takes = |hit: &Hit| {
            evidence
                .hits
                .iter()
                .position(|h| h.entry == hit.entry)
                .is_some_and(|i| {
                    evidence.kinds[i] == EntryKind::Answer && evidence.takes_own_case[i]
                })
        };
        let outcome = match decision {
            FaqDecision::Answer(hit) if takes(&hit) => Outcome::Answer(hit),
            _ => Outcome::HandOver(HandOver::OwnCase),
        };
        return (outcome, Some(rule.clone()));
    }

    let by_kind = |hit: Hit| match kind_of(&hit) {
        EntryKind::Answer => Outcome::Answer(hit),
        EntryKind::NotOurs(refer_to) => Outcome::HandOver(HandOver::NotOurs {
            id: hit.id.as_str().to_owned(),
            refer_to,
        }),
        EntryKind::SmallTalk => Outcome::SmallTalk(hit),
        // Filtered out above; an urgent entry is never a plain answer.
        EntryKind::Urgent => Outcome::Urgent(Some(hit)),
    };
    let outcome = match decision {
        FaqDecision::Answer(hit) => by_kind(hit),
        FaqDecision::Choose(hits) => {
            // Only answers are offered as a choice: "another organisation"
            // or "hello" is no topic to pick from a list.
            let top = hits[0].clone();
            let answers: Vec<Hit> = hits
                .into_iter()
                .filter(|h| kind_of(h) == EntryKind::Answer)
                .collect();
            match answers.len() {
                0 => by_kind(top),
                1 if answers[0].score >= thresholds.answer => Outcome::Answer(answers[0].clone()),
                1 => Outcome::HandOver(HandOver::NoAnswer),
                _ => Outcome::Choose(answers),
            }
        }
        FaqDecision::Abstain => Outcome::HandOver(HandOver::NoAnswer),
    };
    (outcome, None)
}

/// Decides what to do with `text` (personal data already masked).
/// `language`: the language the conversation is known to be in, if any.
/// Without a knowledge base every message goes to a person.
pub fn triage(
    text: &str,
    language: Option<Language>,
    knowledge: Option<&KnowledgeBase>,
    thresholds: &Thresholds,
    date: NaiveDate,
) -> Triaged {
    let Some(knowledge) = knowledge else {
        return Triaged {
            language: language.unwrap_or_default(),
            outcome: Outcome::HandOver(HandOver::NoAnswer),
            hits: Vec::new(),
            evidence: Vec::new(),
            rule: None,
            urgency: (0.0, 0.0, 0.0),
        };
    };
    let evidence = gather(text, language, knowledge, date);
    let (outcome, rule) = decide(&evidence, thresholds);
    Triaged {
        language: evidence.language,
        outcome,
        hits: evidence.hits,
        urgency: (evidence.urgency, evidence.crisis, evidence.urgent_rank),
        evidence: evidence.scored,
        rule,
    }
}
