//! BM25 over each entry as one document (title, keywords, questions and
//! answer text, in the classifier's stemmed words): evidence about the
//! entry as a whole, beside the similarity to single examples.
//!
//! Why: nearest examples reward a message for sharing common words with
//! one example ("aanmelden", a place name) even when another entry holds
//! the message's rare, decisive word only in its keywords or answer text.
//! On the base's own questions, asked with a fifth of them left out, plain
//! BM25 ranked as well as the example similarities alone; as one more
//! input of the ranker, it is weighed by the same held-out training.
//!
//! Invariant: a held-out question is taken out of its own entry's document
//! (its words' counts and its length), so training never sees a question
//! match itself.

use std::collections::HashMap;

/// Term saturation and length normalisation, the usual values.
const K1: f64 = 1.2;
const B: f64 = 0.75;

/// One word of a text with its count.
pub(super) type TermCounts = Vec<(u64, f32)>;

#[derive(Debug, Default)]
pub(super) struct Documents {
    ids: HashMap<u64, u32>,
    idf: Vec<f64>,
    /// Postings of id `i`: `postings[offsets[i]..offsets[i + 1]]`, as
    /// (slot, count), by slot.
    offsets: Vec<u32>,
    postings: Vec<(u32, f32)>,
    /// Per slot: number of words.
    lengths: Vec<f32>,
    average: f64,
}

/// A held-out question: its entry's slot, its words and its length, which
/// its own document must not count.
pub(super) struct HeldOut<'a> {
    pub slot: usize,
    pub terms: &'a TermCounts,
    pub length: f32,
}

impl Documents {
    /// One document per slot, in slot order. Ids are given in the order
    /// words are first seen, so building is deterministic.
    pub(super) fn build(documents: &[TermCounts]) -> Self {
        let mut ids: HashMap<u64, u32> = HashMap::new();
        let mut per_id: Vec<Vec<(u32, f32)>> = Vec::new();
        let mut lengths = Vec::with_capacity(documents.len());
        for (slot, terms) in documents.iter().enumerate() {
            let mut length = 0.0f32;
            for &(term, count) in terms {
                let next = ids.len() as u32;
                let id = *ids.entry(term).or_insert(next);
                if id as usize == per_id.len() {
                    per_id.push(Vec::new());
                }
                per_id[id as usize].push((slot as u32, count));
                length += count;
            }
            lengths.push(length);
        }
        let n = documents.len().max(1) as f64;
        let idf = per_id
            .iter()
            .map(|p| {
                let df = p.len() as f64;
                ((n - df + 0.5) / (df + 0.5) + 1.0).ln()
            })
            .collect();
        let mut offsets = Vec::with_capacity(per_id.len() + 1);
        let mut postings = Vec::with_capacity(per_id.iter().map(Vec::len).sum());
        offsets.push(0u32);
        for list in per_id {
            postings.extend(list);
            offsets.push(postings.len() as u32);
        }
        let average = f64::from(lengths.iter().sum::<f32>()) / n;
        Self {
            ids,
            idf,
            offsets,
            postings,
            lengths,
            average: average.max(1.0),
        }
    }

    /// The score of a document holding every word of `query` often: the
    /// most any document can get, unknown words included at the idf of a
    /// word no document has, so a message about something else stays low.
    pub(super) fn ceiling(&self, query: &TermCounts) -> f64 {
        let n = self.lengths.len() as f64;
        let unseen = ((n + 0.5) / 0.5 + 1.0).ln();
        query
            .iter()
            .map(|(term, _)| {
                let idf = self
                    .ids
                    .get(term)
                    .map_or(unseen, |&id| self.idf[id as usize]);
                idf * (K1 + 1.0)
            })
            .sum()
    }

    /// Adds each document's BM25 score for `query` to `scores` (indexed
    /// by slot), listing the slots it first touches in `touched`.
    pub(super) fn score(
        &self,
        query: &TermCounts,
        held: Option<&HeldOut>,
        scores: &mut [f64],
        touched: &mut Vec<usize>,
    ) {
        for &(term, _) in query {
            let Some(&id) = self.ids.get(&term) else {
                continue;
            };
            let id = id as usize;
            let idf = self.idf[id];
            let own_count = held
                .and_then(|h| h.terms.iter().find(|(t, _)| *t == term))
                .map_or(0.0, |(_, c)| *c);
            let range = self.offsets[id] as usize..self.offsets[id + 1] as usize;
            for &(slot, count) in &self.postings[range] {
                let slot = slot as usize;
                let mut length = f64::from(self.lengths[slot]);
                let mut count = f64::from(count);
                if let Some(h) = held.filter(|h| h.slot == slot) {
                    count -= f64::from(own_count);
                    length -= f64::from(h.length);
                    if count <= 0.0 {
                        continue;
                    }
                }
                let norm = K1 * (1.0 - B + B * length.max(0.0) / self.average);
                if scores[slot] == 0.0 {
                    touched.push(slot);
                }
                scores[slot] += idf * count * (K1 + 1.0) / (count + norm);
            }
        }
    }
}

/// Adds up word counts of several texts.
pub(super) fn merge(parts: impl IntoIterator<Item = TermCounts>) -> TermCounts {
    let mut sum: HashMap<u64, f32> = HashMap::new();
    let mut order: Vec<u64> = Vec::new();
    for part in parts {
        for (term, count) in part {
            let entry = sum.entry(term).or_insert_with(|| {
                order.push(term);
                0.0
            });
            *entry += count;
        }
    }
    order.into_iter().map(|t| (t, sum[&t])).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scores(docs: &Documents, query: &TermCounts, held: Option<&HeldOut>) -> Vec<f64> {
        let mut out = vec![0.0; docs.lengths.len()];
        let mut touched = Vec::new();
        docs.score(query, held, &mut out, &mut touched);
        out
    }

    #[test]
    fn a_rare_word_outweighs_common_ones_and_a_held_out_question_leaves_its_document() {
        // 1: "debt" (rare) once; 0 and 2: the common "register" and "city".
        let docs = Documents::build(&[
            vec![(1, 1.0), (2, 1.0), (10, 3.0)],
            vec![(3, 1.0), (4, 1.0), (11, 3.0)],
            vec![(1, 1.0), (2, 1.0), (12, 3.0)],
            vec![(5, 1.0), (2, 2.0), (1, 1.0)],
        ]);
        // "register debt city": 3 (debt) decides, although 0 and 2 share two words.
        let query = vec![(1, 1.0), (3, 1.0), (2, 1.0)];
        let s = scores(&docs, &query, None);
        assert!(s[1] > s[0] && s[1] > s[2], "{s:?}");
        // Held out of slot 1, the question's only word of it is gone.
        let held = HeldOut {
            slot: 1,
            terms: &vec![(3, 1.0)],
            length: 1.0,
        };
        let s = scores(&docs, &query, Some(&held));
        assert_eq!(s[1], 0.0, "{s:?}");
        assert!(s[0] > 0.0);
    }

    #[test]
    fn counts_of_several_texts_add_up_in_first_seen_order() {
        let merged = merge([vec![(7, 1.0), (3, 2.0)], vec![(3, 1.0), (9, 1.0)]]);
        assert_eq!(merged, vec![(7, 1.0), (3, 3.0), (9, 1.0)]);
    }
}
