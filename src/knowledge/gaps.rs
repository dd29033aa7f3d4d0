//! Knowledge gaps: the questions the bot could not answer (or whose answer
//! got "Nee"), grouped by wording so an editor sees "23 people asked about
//! the ophaaldag van kerstbomen" and writes that entry. Wording is compared
//! with the search's own analysis (stems, synonyms, typo correction), so
//! "kerstboom ophalen" and "wanneer worden de kerstbomen opgehaald" meet.

use super::search::SearchIndex;
use crate::domain::Language;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

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

/// Two questions whose term sets overlap this much (Jaccard) are the same
/// question in other words.
const SAME_QUESTION: f64 = 0.5;
/// Example wordings shown per group.
const EXAMPLES: usize = 5;

/// Questions that belong together.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct GapGroup {
    /// How many times it was asked.
    pub count: usize,
    /// Different wordings, most recent first (personal data masked).
    pub examples: Vec<String>,
    /// How many were refused and how many got "Nee" after an answer.
    pub abstained: usize,
    pub feedback_no: usize,
    /// The entry the search found nearest most often, if any.
    pub nearest_faq: Option<String>,
    pub last_asked: DateTime<Utc>,
}

fn jaccard(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f64 {
    let union = a.union(b).count();
    if union == 0 {
        return 0.0;
    }
    a.intersection(b).count() as f64 / union as f64
}

struct Building {
    members: Vec<(BTreeSet<String>, usize)>,
}

/// Groups unanswered questions, largest group first.
pub fn group(gaps: &[Gap], index: &SearchIndex) -> Vec<GapGroup> {
    let terms: Vec<BTreeSet<String>> = gaps
        .iter()
        .map(|gap| {
            let mut set: BTreeSet<String> = index
                .query_terms(&gap.question, gap.language)
                .into_iter()
                .collect();
            if set.is_empty() {
                // Nothing the analysis keeps (a greeting, a number): group
                // by the literal folded words instead.
                set = super::analysis::tokens(&super::analysis::fold(&gap.question))
                    .into_iter()
                    .collect();
            }
            set
        })
        .collect();
    let mut groups: Vec<Building> = Vec::new();
    for (i, set) in terms.iter().enumerate() {
        // Single link: a question joins the group it resembles most, if it
        // resembles any member enough.
        let best = groups
            .iter()
            .enumerate()
            .map(|(g, group)| {
                let similarity = group
                    .members
                    .iter()
                    .map(|(other, _)| jaccard(set, other))
                    .fold(0.0, f64::max);
                (g, similarity)
            })
            .filter(|(_, similarity)| *similarity >= SAME_QUESTION)
            .max_by(|a, b| a.1.total_cmp(&b.1));
        match best {
            Some((g, _)) => groups[g].members.push((set.clone(), i)),
            None => groups.push(Building {
                members: vec![(set.clone(), i)],
            }),
        }
    }
    let mut out: Vec<GapGroup> = groups
        .into_iter()
        .map(|group| {
            let members: Vec<&Gap> = group.members.iter().map(|(_, i)| &gaps[*i]).collect();
            let mut examples: Vec<String> = Vec::new();
            for gap in members.iter().rev() {
                let wording = gap.question.trim().to_owned();
                if !examples.contains(&wording) && examples.len() < EXAMPLES {
                    examples.push(wording);
                }
            }
            let mut nearest: HashMap<&str, usize> = HashMap::new();
            for gap in &members {
                if let Some(id) = gap.nearest_faq.as_deref() {
                    *nearest.entry(id).or_default() += 1;
                }
            }
            let nearest_faq = nearest
                .into_iter()
                .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
                .map(|(id, _)| id.to_owned());
            GapGroup {
                count: members.len(),
                examples,
                abstained: members.iter().filter(|g| g.reason == "abstained").count(),
                feedback_no: members.iter().filter(|g| g.reason == "feedback_no").count(),
                nearest_faq,
                last_asked: members.iter().map(|g| g.at).max().unwrap_or_default(),
            }
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then(b.last_asked.cmp(&a.last_asked)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Language;
    use crate::knowledge::base::KnowledgeBase;
    use std::path::Path;

    fn gap(question: &str) -> Gap {
        Gap {
            conversation_id: None,
            at: DateTime::<Utc>::default(),
            reason: "abstained".to_owned(),
            language: Language::Nl,
            question: question.to_owned(),
            nearest_faq: Some("afval-ophaaldagen".to_owned()),
            nearest_score: Some(0.1),
        }
    }

    #[test]
    fn paraphrases_group_together_and_unrelated_questions_stay_apart() {
        let knowledge =
            KnowledgeBase::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge"))
                .expect("knowledge base loads");
        let gaps: Vec<Gap> = [
            "wanneer worden de kerstbomen opgehaald",
            "kerstboom ophalen wanneer",
            "Wanneer halen jullie de kerstbomen op?",
            "is het zwembad open op zondag",
            "zwembad zondag open?",
            "mag ik vuurwerk afsteken op oudejaarsavond",
        ]
        .iter()
        .map(|q| gap(q))
        .collect();
        let groups = group(&gaps, &knowledge.index);
        let sizes: Vec<usize> = groups.iter().map(|g| g.count).collect();
        assert_eq!(sizes, vec![3, 2, 1], "{groups:#?}");
        assert!(
            groups[0]
                .examples
                .iter()
                .all(|e| e.to_lowercase().contains("kerstbo"))
        );
        assert!(groups[1].examples.iter().all(|e| e.contains("zwembad")));
        assert_eq!(groups[0].nearest_faq.as_deref(), Some("afval-ophaaldagen"));
        assert_eq!(groups[0].abstained, 3);
    }
}
