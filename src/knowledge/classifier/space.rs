//! One feature space of one language's examples (stemmed words and word
//! pairs, or letter pieces): each feature hash gets a dense id, an idf and
//! a postings list of the examples that have it, all in flat arrays.
//!
//! Why flat arrays: at 10,000 entries a space holds about two million
//! postings. As a hash map of growing vectors, keyed and weighted in 64
//! bits, they and the training vectors took several times their own size
//! (the served base needed over 300 MB); dense ids halve every vector and
//! let the postings sit in one allocation.
//!
//! Invariant: ids are given in the order the features are first seen,
//! each text's features in hash order, so the same examples always get the
//! same ids and every float sum runs in the same order.

use std::collections::HashMap;

/// Sparse vector over one space's dense ids, sorted by id.
pub(super) type Vector = Vec<(u32, f32)>;

/// Hashed features of one text with their counts.
pub(super) type Counts = HashMap<u64, f64>;

#[derive(Debug, Default)]
pub(super) struct Space {
    ids: HashMap<u64, u32>,
    /// Per id: in how many examples it occurs.
    df: Vec<u32>,
    idf: Vec<f64>,
    /// Idf of a feature no example has.
    unseen_idf: f64,
    /// Postings of id `i`: `postings[offsets[i]..offsets[i + 1]]`.
    offsets: Vec<u32>,
    /// (example, weight), by example within each id.
    postings: Vec<(u32, f32)>,
}

impl Space {
    /// Number of features the examples have.
    pub(super) fn len(&self) -> usize {
        self.ids.len()
    }

    /// A training example's counts over dense ids, giving new features the
    /// next ids. The weights are set later by [`Space::weigh_example`].
    pub(super) fn intern(&mut self, counts: &Counts) -> Vector {
        let mut hashed: Vec<(u64, f64)> = counts.iter().map(|(f, c)| (*f, *c)).collect();
        hashed.sort_unstable_by_key(|(f, _)| *f);
        let mut out: Vector = hashed
            .into_iter()
            .map(|(f, c)| {
                let next = self.ids.len() as u32;
                let id = *self.ids.entry(f).or_insert(next);
                (id, c as f32)
            })
            .collect();
        out.sort_unstable_by_key(|(id, _)| *id);
        out.shrink_to_fit();
        out
    }

    /// Counts in how many of `documents` each feature occurs and sets the
    /// idf from it (smoothed, as scikit-learn's `TfidfVectorizer`).
    pub(super) fn set_idf<'a>(&mut self, documents: impl Iterator<Item = &'a Vector>) {
        let mut df = vec![0u32; self.ids.len()];
        let mut n = 0usize;
        for vector in documents {
            n += 1;
            for (id, _) in vector {
                df[*id as usize] += 1;
            }
        }
        let n = n.max(1) as f64;
        let idf = |df: u32| ((n + 1.0) / (f64::from(df) + 1.0)).ln() + 1.0;
        self.idf = df.iter().map(|d| idf(*d)).collect();
        self.unseen_idf = idf(0);
        self.df = df;
    }

    /// Turns an interned example's counts into its unit tf-idf vector.
    pub(super) fn weigh_example(&self, vector: &mut Vector) {
        for (id, w) in vector.iter_mut() {
            *w = ((1.0 + f64::from(*w).ln()) * self.idf[*id as usize]) as f32;
        }
        let norm = vector
            .iter()
            .map(|(_, w)| f64::from(*w) * f64::from(*w))
            .sum::<f64>()
            .sqrt();
        if norm > 0.0 {
            for (_, w) in vector.iter_mut() {
                *w = (f64::from(*w) / norm) as f32;
            }
        }
    }

    /// A message's unit tf-idf vector over the known features. Features no
    /// example has still count in its length: a message mostly about
    /// something else is far from every example.
    pub(super) fn weigh_query(&self, counts: &Counts) -> Vector {
        let mut out: Vector = self
            .weigh_message(counts)
            .into_iter()
            .filter_map(|(f, w)| Some((*self.ids.get(&f)?, w as f32)))
            .collect();
        out.sort_unstable_by_key(|(id, _)| *id);
        out
    }

    /// A message's unit tf-idf vector over every feature it has, keyed by
    /// hash and sorted: features no example has are kept, with the idf of
    /// an unseen feature. For comparing two messages with each other
    /// ([`super::MessageVector`]), where the words the base lacks are
    /// exactly the ones two unanswered questions share.
    pub(super) fn weigh_message(&self, counts: &Counts) -> Vec<(u64, f64)> {
        let mut weighted: Vec<(u64, f64)> = counts
            .iter()
            .map(|(f, c)| (*f, (1.0 + c.ln()) * self.idf_of(*f)))
            .collect();
        // Summed in hash order: a float sum in the map's order differs
        // between runs in its last bits.
        weighted.sort_unstable_by_key(|(f, _)| *f);
        let norm = weighted.iter().map(|(_, w)| w * w).sum::<f64>().sqrt();
        if norm > 0.0 {
            for (_, w) in &mut weighted {
                *w /= norm;
            }
        }
        weighted
    }

    /// The idf of a hashed feature.
    pub(super) fn idf_of(&self, feature: u64) -> f64 {
        self.ids
            .get(&feature)
            .map_or(self.unseen_idf, |id| self.idf[*id as usize])
    }

    /// Builds the postings of `examples` (weighted, in example order),
    /// leaving out features found in more than `max_df` examples.
    pub(super) fn index<'a>(
        &mut self,
        examples: impl Iterator<Item = &'a Vector> + Clone,
        max_df: u32,
    ) {
        let kept = |id: u32| self.df[id as usize] <= max_df;
        let mut offsets = vec![0u32; self.ids.len() + 1];
        for vector in examples.clone() {
            for (id, _) in vector {
                if kept(*id) {
                    offsets[*id as usize + 1] += 1;
                }
            }
        }
        for i in 1..offsets.len() {
            offsets[i] += offsets[i - 1];
        }
        let mut fill = offsets.clone();
        let mut postings = vec![(0u32, 0.0f32); offsets.last().copied().unwrap_or(0) as usize];
        for (example, vector) in examples.enumerate() {
            for (id, w) in vector {
                if kept(*id) {
                    let at = &mut fill[*id as usize];
                    postings[*at as usize] = (example as u32, *w);
                    *at += 1;
                }
            }
        }
        self.offsets = offsets;
        self.postings = postings;
    }

    /// The examples that have feature `id`, with their weights.
    pub(super) fn postings(&self, id: u32) -> &[(u32, f32)] {
        let i = id as usize;
        match (self.offsets.get(i), self.offsets.get(i + 1)) {
            (Some(&from), Some(&to)) => &self.postings[from as usize..to as usize],
            _ => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(pairs: &[(u64, f64)]) -> Counts {
        pairs.iter().copied().collect()
    }

    #[test]
    fn postings_list_each_example_once_and_leave_out_common_features() {
        let mut space = Space::default();
        let mut examples = vec![
            space.intern(&counts(&[(7, 1.0), (9, 2.0)])),
            space.intern(&counts(&[(7, 1.0), (11, 1.0)])),
            space.intern(&counts(&[(7, 1.0)])),
        ];
        space.set_idf(examples.iter());
        for e in &mut examples {
            space.weigh_example(e);
        }
        space.index(examples.iter(), 2);
        let id = |f: u64| space.ids[&f];
        // Feature 7 is in all three examples, above the cap of two.
        assert!(space.postings(id(7)).is_empty());
        assert_eq!(
            space
                .postings(id(9))
                .iter()
                .map(|p| p.0)
                .collect::<Vec<_>>(),
            vec![0]
        );
        assert_eq!(
            space
                .postings(id(11))
                .iter()
                .map(|p| p.0)
                .collect::<Vec<_>>(),
            vec![1]
        );
        assert!(space.postings(99).is_empty());
        // Unit vectors, the rarer feature weighing more.
        let norm: f32 = examples[1].iter().map(|(_, w)| w * w).sum();
        assert!((norm - 1.0).abs() < 1e-5, "{norm}");
        assert!(examples[1][1].1 > examples[1][0].1, "{:?}", examples[1]);
    }

    #[test]
    fn an_unseen_feature_shortens_the_known_part_of_a_query() {
        let mut space = Space::default();
        let mut examples = [space.intern(&counts(&[(1, 1.0), (2, 1.0)]))];
        space.set_idf(examples.iter());
        space.weigh_example(&mut examples[0]);
        let known = space.weigh_query(&counts(&[(1, 1.0)]));
        let mixed = space.weigh_query(&counts(&[(1, 1.0), (3, 1.0)]));
        assert_eq!(known.len(), 1);
        assert_eq!(mixed.len(), 1, "the unseen feature has no id");
        assert!(mixed[0].1 < known[0].1, "{mixed:?} {known:?}");
        assert!(space.idf_of(3) > space.idf_of(1));
    }

    #[test]
    fn ids_do_not_depend_on_the_maps_order() {
        // Two maps of the same text, filled in opposite orders (and each
        // with its own random hash state).
        let pairs = [(5, 1.0), (3, 1.0), (8, 1.0), (1, 1.0)];
        let reversed: Vec<(u64, f64)> = pairs.iter().rev().copied().collect();
        let mut a = Space::default();
        let mut b = Space::default();
        let va = a.intern(&counts(&pairs));
        let vb = b.intern(&counts(&reversed));
        assert_eq!(va, vb);
        assert_eq!(a.ids, b.ids);
    }
}
