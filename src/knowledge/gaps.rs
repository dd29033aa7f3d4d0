//! Knowledge gaps: the questions the bot could not answer (or whose answer
//! got "Nee"), grouped so an editor sees "23 people asked about the
//! ophaaldag van kerstbomen" and writes that entry.
//!
//! Grouping uses the triage's own view of a message, not a measure of its
//! own: two questions are compared the way the classifier compares a
//! message with an entry's example question (its stemmed words and word
//! pairs, its letter pieces, weighed with the base's idf:
//! [`Classifier::message_vector`]), and each group shows the entries the
//! classifier ranks first for its questions. So "the same question in
//! other words" on the kennisbank page is what the bot itself would find
//! alike, and "nearest answer" is what it would have answered.
//!
//! The rule (docs/editors.md, "The kennisbank page"): two questions of one
//! language are the same question when the classifier sees both their
//! wording and their subject alike: their likeness (the mean of the word
//! and the letter-piece cosine) is at least [`ALIKE`] and the triage ranks
//! the same entries for them (the cosine of their candidates' shares is at
//! least [`SAME_RANKING`]); or when their wording alone is at least
//! [`SAME_WORDING`] alike. A question joins the group holding the
//! question most like it by that rule, or starts a group of its own.
//! Why both views: wording alone joins "paspoort verlengen" and
//! "rijbewijs verlengen" (one shared verb) and splits "kerstboom ophalen
//! wanneer" from "wanneer worden de kerstbomen opgehaald"; the ranking
//! tells the subjects apart even for questions the base cannot answer,
//! because it weighs the words the way the triage does.
//!
//! A group can be marked as handled. The mark sits on each of its
//! questions (who, when), so it follows them through regrouping and is
//! deleted with them by retention. A group is handled while its newest
//! marked question is also its newest question: a question asked after
//! the mark reopens it ([`GroupState::Reopened`]).

use super::FaqId;
use super::base::KnowledgeBase;
use super::classifier::{MessageVector, sparse_dot};
use crate::domain::Language;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use std::collections::HashMap;

/// One unanswered question.
#[derive(Debug, Clone, PartialEq)]
pub struct Gap {
    /// The conversation it came from; the gap goes when the conversation does.
    pub conversation_id: Option<i64>,
    pub at: DateTime<Utc>,
    /// `abstained` or `feedback_no`.
    pub reason: String,
    pub language: Language,
    /// The question with personal data masked.
    pub question: String,
    pub nearest_faq: Option<String>,
    pub nearest_score: Option<f64>,
}

/// Who marked a question's group as handled, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Handled {
    /// The editor's account name.
    pub by: String,
    pub at: DateTime<Utc>,
}

/// A stored unanswered question: its row id (ids grow with time, so a
/// higher id was asked later) and its handled mark, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredGap {
    pub id: i64,
    pub gap: Gap,
    pub handled: Option<Handled>,
}

/// Wording at least this alike ([`super::classifier::Likeness::combined`])
/// joins two questions whose candidates rank alike...
pub const ALIKE: f64 = 0.3;
/// ...when the cosine of their candidates' shares is at least this.
pub const SAME_RANKING: f64 = 0.8;
/// Wording this alike joins two questions whatever their ranking.
///
/// The three were set on the phrases in this module's tests and in
/// docs/editors.md, none from the eval sets: paraphrases of one question
/// scored a likeness of 0.36 to 0.8 with a ranking cosine of 0.95 or more;
/// different subjects at most 0.42 with a ranking cosine of at most 0.56,
/// or a ranking alike (0.93, "fiets graveren" and "fiets gestolen") with a
/// likeness of 0.23.
pub const SAME_WORDING: f64 = 0.6;
/// Example wordings shown per group.
const EXAMPLES: usize = 5;
/// Nearest entries shown per group.
const NEAREST: usize = 3;
/// The newest questions of a group whose candidates make its nearest
/// entries: enough to outvote one odd wording, and the group's present.
const NEAREST_SAMPLE: usize = 5;

/// An entry the triage ranks near a group's questions.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct NearEntry {
    pub id: String,
    pub title: String,
    /// The classifier's confidence that this entry answers the group's
    /// questions (its share, as the triage weighs it), averaged over the
    /// group's newest questions; 0 to 1.
    pub score: f64,
}

/// Whether a group still needs an editor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupState {
    /// Never marked as handled.
    Open,
    /// Marked, and nothing asked since.
    Handled,
    /// Marked, but asked again after the mark.
    Reopened,
}

/// Questions that belong together.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct GapGroup {
    /// The id of the group's first question: stable while that question is
    /// kept, for the page to refer to a group.
    pub key: i64,
    pub language: Language,
    /// How many times it was asked.
    pub count: usize,
    /// Different wordings, most recent first (personal data masked).
    pub examples: Vec<String>,
    /// How many were refused and how many got "Nee" after an answer.
    pub abstained: usize,
    pub feedback_no: usize,
    /// The entry the bot had found nearest when it was asked (most often
    /// within the group), if any; for "Nee": the answer that did not help.
    pub nearest_faq: Option<String>,
    /// The entries the triage ranks first for the group's questions now,
    /// best first, at most three.
    pub nearest: Vec<NearEntry>,
    pub first_asked: DateTime<Utc>,
    pub last_asked: DateTime<Utc>,
    /// Open, handled, or reopened by a question asked after the mark.
    pub state: GroupState,
    /// The latest mark in the group, if any (also when reopened).
    pub handled: Option<Handled>,
    /// Questions asked after the latest mark (0 when open or handled).
    pub new_since_handled: usize,
    /// The ids of the group's questions, newest first: what marking the
    /// group as handled marks.
    pub question_ids: Vec<i64>,
}

/// A question as the triage sees it: its wording and its candidates.
pub struct View {
    language: Language,
    text: String,
    vector: MessageVector,
    /// The candidates' shares by entry id, sorted by id, as a unit vector.
    ranking: Vec<(String, f64)>,
    /// The candidates' shares, best first, for the nearest entries.
    hits: Vec<(String, f64)>,
}

impl View {
    /// `question` in `language`, with the candidates valid on `date`.
    pub fn new(
        question: &str,
        language: Language,
        knowledge: &KnowledgeBase,
        date: NaiveDate,
    ) -> Self {
        let (found, _) = knowledge.classify(question, language, date);
        let hits: Vec<(String, f64)> = found
            .into_iter()
            .map(|h| (h.id.as_str().to_owned(), h.score))
            .collect();
        let mut ranking = hits.clone();
        ranking.sort_by(|a, b| a.0.cmp(&b.0));
        let norm = ranking.iter().map(|(_, s)| s * s).sum::<f64>().sqrt();
        if norm > 0.0 {
            for (_, s) in &mut ranking {
                *s /= norm;
            }
        }
        Self {
            language,
            text: question.to_owned(),
            vector: knowledge.classifier.message_vector(question, language),
            ranking,
            hits,
        }
    }

    /// How alike the two wordings are, in [0, 1]; a question with no word
    /// the classifier keeps (an emoji) is only like the same text.
    fn likeness(&self, other: &View) -> f64 {
        if self.vector.is_empty() || other.vector.is_empty() {
            return if literal(&self.text) == literal(&other.text) {
                1.0
            } else {
                0.0
            };
        }
        self.vector.likeness(&other.vector).combined()
    }

    /// The cosine of the two questions' candidate shares.
    fn same_ranking(&self, other: &View) -> f64 {
        sparse_dot(&self.ranking, &other.ranking)
    }

    /// How alike `other` is to this question when it is the same question
    /// by the module's rule, else `None`.
    pub fn same_question(&self, other: &View) -> Option<f64> {
        if self.language != other.language {
            return None;
        }
        let likeness = self.likeness(other);
        let same = likeness >= SAME_WORDING
            || (likeness >= ALIKE && self.same_ranking(other) >= SAME_RANKING);
        same.then_some(likeness)
    }
}

/// Text compared literally when the classifier keeps nothing of it.
fn literal(question: &str) -> String {
    super::analysis::fold(question.trim())
}

/// Groups unanswered questions (in id order, oldest first), largest group
/// first; `date` is the day the candidates are ranked for.
pub fn group(gaps: &[StoredGap], knowledge: &KnowledgeBase, date: NaiveDate) -> Vec<GapGroup> {
    let views: Vec<View> = gaps
        .iter()
        .map(|g| View::new(&g.gap.question, g.gap.language, knowledge, date))
        .collect();
    // Per group, its members' positions.
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, view) in views.iter().enumerate() {
        // Single link: a question joins the group it resembles most, if it
        // is the same question as any member.
        let best = groups
            .iter()
            .enumerate()
            .filter_map(|(g, members)| {
                members
                    .iter()
                    .filter_map(|j| view.same_question(&views[*j]))
                    .max_by(f64::total_cmp)
                    .map(|likeness| (g, likeness))
            })
            .max_by(|a, b| a.1.total_cmp(&b.1));
        match best {
            Some((g, _)) => groups[g].push(i),
            None => groups.push(vec![i]),
        }
    }
    let mut out: Vec<GapGroup> = groups
        .into_iter()
        .map(|members| {
            let stored: Vec<&StoredGap> = members.iter().map(|i| &gaps[*i]).collect();
            let member_views: Vec<&View> = members.iter().map(|i| &views[*i]).collect();
            summarise(&stored, &member_views, knowledge)
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then(b.last_asked.cmp(&a.last_asked)));
    out
}

/// One group's summary; `members` oldest first, at least one.
fn summarise(members: &[&StoredGap], views: &[&View], knowledge: &KnowledgeBase) -> GapGroup {
    let language = members
        .first()
        .map_or_else(Language::default, |g| g.gap.language);
    let mut examples: Vec<String> = Vec::new();
    for stored in members.iter().rev() {
        let wording = stored.gap.question.trim().to_owned();
        if !examples.contains(&wording) && examples.len() < EXAMPLES {
            examples.push(wording);
        }
    }
    let mut asked_nearest: HashMap<&str, usize> = HashMap::new();
    for stored in members {
        if let Some(id) = stored.gap.nearest_faq.as_deref() {
            *asked_nearest.entry(id).or_default() += 1;
        }
    }
    let nearest_faq = asked_nearest
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
        .map(|(id, _)| id.to_owned());
    let (state, handled, new_since_handled) = state_of(members);
    GapGroup {
        key: members.first().map_or(0, |g| g.id),
        language,
        count: members.len(),
        examples,
        abstained: members
            .iter()
            .filter(|g| g.gap.reason == "abstained")
            .count(),
        feedback_no: members
            .iter()
            .filter(|g| g.gap.reason == "feedback_no")
            .count(),
        nearest_faq,
        nearest: nearest_entries(views, language, knowledge),
        first_asked: members.iter().map(|g| g.gap.at).min().unwrap_or_default(),
        last_asked: members.iter().map(|g| g.gap.at).max().unwrap_or_default(),
        state,
        handled,
        new_since_handled,
        question_ids: members.iter().rev().map(|g| g.id).collect(),
    }
}

/// The group's state from its members' marks: handled while no question
/// came after the newest marked one. A question older than the mark that
/// was not marked (outside the period the editor looked at) does not
/// reopen it: it was asked before the subject was handled.
fn state_of(members: &[&StoredGap]) -> (GroupState, Option<Handled>, usize) {
    let Some(last_marked) = members
        .iter()
        .filter(|g| g.handled.is_some())
        .max_by_key(|g| g.id)
    else {
        return (GroupState::Open, None, 0);
    };
    let handled = members
        .iter()
        .filter_map(|g| g.handled.as_ref())
        .max_by_key(|h| h.at)
        .cloned();
    let newer = members
        .iter()
        .filter(|g| g.id > last_marked.id && g.handled.is_none())
        .count();
    let state = if newer == 0 {
        GroupState::Handled
    } else {
        GroupState::Reopened
    };
    (state, handled, newer)
}

/// The entries the classifier ranks first for the group's newest
/// questions, by their mean share.
fn nearest_entries(
    views: &[&View],
    language: Language,
    knowledge: &KnowledgeBase,
) -> Vec<NearEntry> {
    let sample: Vec<&&View> = views.iter().rev().take(NEAREST_SAMPLE).collect();
    let mut scores: HashMap<&str, f64> = HashMap::new();
    for view in &sample {
        for (id, share) in &view.hits {
            *scores.entry(id.as_str()).or_default() += share;
        }
    }
    let n = sample.len().max(1) as f64;
    let mut ranked: Vec<(&str, f64)> = scores
        .into_iter()
        .map(|(id, total)| (id, total / n))
        .filter(|(_, score)| *score > 0.0)
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    ranked
        .into_iter()
        .take(NEAREST)
        .map(|(id, score)| {
            let title = FaqId::parse(id)
                .ok()
                .and_then(|faq| knowledge.index.find(&faq, language))
                .map(|e| e.title.clone())
                .unwrap_or_default();
            NearEntry {
                id: id.to_owned(),
                title,
                score,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
