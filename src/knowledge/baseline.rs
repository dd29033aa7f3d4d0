//! The plain BM25 baseline that `loket eval` reports beside the triage:
//! each entry's whole file text (title, questions, keywords, answer) as one
//! document, lower-cased words, no stemming, no stop words, k1 = 1.2 and
//! b = 0.75. If the triage does not beat this on the same questions, the
//! machinery on top of it buys nothing.

use super::{Entry, FaqId};
use crate::domain::Language;
use std::collections::HashMap;

const K1: f64 = 1.2;
const B: f64 = 0.75;

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// A BM25 index per language over the entries' texts.
pub struct Bm25 {
    docs: Vec<(FaqId, Language, HashMap<String, f64>, f64)>,
    df: HashMap<(Language, String), f64>,
    count: HashMap<Language, f64>,
    avg_len: HashMap<Language, f64>,
}

impl Bm25 {
    pub fn build(entries: &[Entry]) -> Self {
        let mut docs = Vec::new();
        let mut df: HashMap<(Language, String), f64> = HashMap::new();
        let mut count: HashMap<Language, f64> = HashMap::new();
        let mut total_len: HashMap<Language, f64> = HashMap::new();
        for entry in entries {
            let text = format!(
                "{}\n{}\n{}\n{}",
                entry.title,
                entry.questions.join("\n"),
                entry.keywords.join(" "),
                entry.body
            );
            let mut tf: HashMap<String, f64> = HashMap::new();
            let list = words(&text);
            for word in &list {
                *tf.entry(word.clone()).or_default() += 1.0;
            }
            for word in tf.keys() {
                *df.entry((entry.lang, word.clone())).or_default() += 1.0;
            }
            *count.entry(entry.lang).or_default() += 1.0;
            *total_len.entry(entry.lang).or_default() += list.len() as f64;
            docs.push((entry.id.clone(), entry.lang, tf, list.len() as f64));
        }
        let avg_len = total_len
            .into_iter()
            .map(|(lang, len)| (lang, len / count.get(&lang).copied().unwrap_or(1.0)))
            .collect();
        Self {
            docs,
            df,
            count,
            avg_len,
        }
    }

    /// The best entry for `question` in `lang`, if any word matches.
    pub fn top(&self, question: &str, lang: Language) -> Option<FaqId> {
        let query = words(question);
        let n = self.count.get(&lang).copied().unwrap_or(0.0);
        let avg = self.avg_len.get(&lang).copied().unwrap_or(1.0).max(1.0);
        let mut best: Option<(f64, &FaqId)> = None;
        for (id, doc_lang, tf, len) in &self.docs {
            if *doc_lang != lang {
                continue;
            }
            let mut score = 0.0;
            for word in &query {
                let Some(f) = tf.get(word) else { continue };
                let df = self.df.get(&(lang, word.clone())).copied().unwrap_or(0.0);
                let idf = ((n - df + 0.5) / (df + 0.5) + 1.0).ln();
                score += idf * f * (K1 + 1.0) / (f + K1 * (1.0 - B + B * len / avg));
            }
            if score > 0.0 && best.is_none_or(|(s, _)| score > s) {
                best = Some((score, id));
            }
        }
        best.map(|(_, id)| id.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::parse_entry;
    use std::path::Path;

    fn entry(id: &str, title: &str, question: &str) -> Entry {
        let text =
            format!("---\nid: {id}\ntitle: {title}\nquestions:\n  - {question}\n---\nTekst.\n");
        parse_entry(Path::new(&format!("nl/{id}.md")), &text)
            .expect("valid")
            .0
    }

    #[test]
    fn the_entry_sharing_the_rarest_words_wins() {
        let bm25 = Bm25::build(&[
            entry("grofvuil", "Grofvuil ophalen", "mijn bank moet weg"),
            entry("paspoort", "Paspoort aanvragen", "nieuw paspoort nodig"),
        ]);
        assert_eq!(
            bm25.top("paspoort verlopen", Language::Nl)
                .map(|id| id.as_str().to_owned()),
            Some("paspoort".to_owned())
        );
        assert_eq!(bm25.top("xyz", Language::Nl), None);
    }
}
