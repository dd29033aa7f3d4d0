//! The refusal model: how likely a message is one the knowledge base must
//! not answer (the citizen's own case, another organisation's topic, chat),
//! learned from labelled eval questions.
//!
//! The search decides by how well an entry covers the words of a question,
//! and the own-case patterns (`loket.toml`) catch the phrasings someone
//! wrote down. Neither sees what a whole message is like: "ik heb in maart
//! een dakkapel aangevraagd, hoe ver is het nu" shares every topic word
//! with the permit page. A logistic regression over word and letter
//! n-grams, trained on the questions of the eval sets (`loket
//! train-refusal`), does; a message it gives a probability above the
//! model's threshold goes to a person.
//!
//! The model is a plain text file next to the entries
//! (`knowledge/refusal-model.tsv`). It is optional: without it only the
//! search and the patterns decide.

use std::fmt::Write as _;
use std::path::Path;

use super::analysis::fold;
use super::entry::Problem;

/// The model's file in the knowledge folder.
pub const REFUSAL_MODEL_FILE: &str = "refusal-model.tsv";

/// Features are hashed into 2^BITS buckets: no vocabulary to keep in step.
const BITS: u32 = 18;
/// Weights closer to zero than this are left out of the file (they move
/// no probability by a measurable amount).
const KEEP_ABOVE: f64 = 1e-3;

/// How the model is trained. The defaults were chosen with leave-one-set-out
/// cross-validation on the read eval sets (README.md, *FAQ decisions*).
#[derive(Debug, Clone, Copy)]
pub struct Training {
    /// Inverse regularisation strength (as in scikit-learn's `C`).
    pub c: f64,
    /// Passes over the examples.
    pub epochs: usize,
    /// Adagrad learning rate.
    pub learning_rate: f64,
    /// Probability from which a message is refused.
    pub threshold: f64,
}

impl Default for Training {
    fn default() -> Self {
        Self {
            c: 10.0,
            epochs: 20,
            learning_rate: 0.5,
            threshold: 0.9,
        }
    }
}

/// A trained model.
#[derive(Debug, Clone, PartialEq)]
pub struct RefusalModel {
    /// Weight per feature bucket (dense: 2^18 floats, 1 MiB).
    weights: Vec<f32>,
    bias: f64,
    /// Probability from which a message is refused.
    pub threshold: f64,
}

impl RefusalModel {
    /// Trains on `examples` (text, must be refused). Deterministic: the
    /// same examples in the same order give the same model.
    pub fn train(examples: &[(String, bool)], training: Training) -> Self {
        let features: Vec<Vec<(usize, f64)>> =
            examples.iter().map(|(text, _)| features(text)).collect();
        let refused = examples.iter().filter(|(_, r)| *r).count().max(1) as f64;
        let answered = (examples.len() as f64 - refused).max(1.0);
        let n = examples.len().max(1) as f64;
        // Balanced classes: each side weighs half, whatever its size.
        let class_weight = |refuse: bool| {
            if refuse {
                n / (2.0 * refused)
            } else {
                n / (2.0 * answered)
            }
        };
        let lambda = 1.0 / (training.c * n);
        let size = 1usize << BITS;
        let mut weights = vec![0.0_f64; size];
        let mut squared = vec![1e-8_f64; size];
        let (mut bias, mut bias_squared) = (0.0_f64, 1e-8_f64);
        for _ in 0..training.epochs {
            for (row, (_, refuse)) in features.iter().zip(examples) {
                let z = bias + row.iter().map(|&(i, x)| weights[i] * x).sum::<f64>();
                let target = if *refuse { 1.0 } else { 0.0 };
                let gradient = (sigmoid(z) - target) * class_weight(*refuse);
                for &(i, x) in row {
                    let g = gradient * x + lambda * weights[i];
                    squared[i] += g * g;
                    weights[i] -= training.learning_rate * g / squared[i].sqrt();
                }
                bias_squared += gradient * gradient;
                bias -= training.learning_rate * gradient / bias_squared.sqrt();
            }
        }
        Self {
            weights: weights.iter().map(|&w| w as f32).collect(),
            bias,
            threshold: training.threshold,
        }
    }

    /// The probability that `text` must be refused.
    pub fn probability(&self, text: &str) -> f64 {
        let z = self.bias
            + features(text)
                .iter()
                .map(|&(i, x)| f64::from(self.weights.get(i).copied().unwrap_or(0.0)) * x)
                .sum::<f64>();
        sigmoid(z)
    }

    /// Whether `text` must be refused.
    pub fn refuses(&self, text: &str) -> bool {
        self.probability(text) > self.threshold
    }

    /// The file form: a header, then one `bucket<TAB>weight` line per
    /// weight that matters.
    pub fn to_file(&self, trained_on: usize) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# Loket refusal model: which messages the knowledge base must not answer."
        );
        let _ = writeln!(
            out,
            "# Made by `loket train-refusal` from {trained_on} eval questions. Do not edit:"
        );
        let _ = writeln!(
            out,
            "# train again after changing the eval sets (README.md, FAQ decisions)."
        );
        let _ = writeln!(out, "bits\t{BITS}");
        let _ = writeln!(out, "threshold\t{}", self.threshold);
        let _ = writeln!(out, "bias\t{:.6}", self.bias);
        for (bucket, weight) in self.weights.iter().enumerate() {
            if f64::from(weight.abs()) >= KEEP_ABOVE {
                let _ = writeln!(out, "{bucket}\t{weight:.4}");
            }
        }
        out
    }

    /// Reads the file form; errors name the line and what to do.
    pub fn parse(path: &Path, text: &str) -> Result<Self, Problem> {
        let retrain = "train it again with `loket train-refusal` (README.md, FAQ decisions)";
        let mut weights = vec![0.0_f32; 1usize << BITS];
        let (mut bias, mut threshold, mut bits) = (None, None, None);
        for (number, line) in text.lines().enumerate().map(|(i, l)| (i + 1, l.trim())) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let error = |what: &str| {
                Problem::error(
                    path,
                    number,
                    format!("{what}; the file is made by a tool: {retrain}"),
                )
            };
            let Some((key, value)) = line.split_once('\t') else {
                return Err(error("expected two tab-separated columns"));
            };
            match key {
                "bits" => {
                    bits = Some(
                        value
                            .parse::<u32>()
                            .map_err(|_| error("bits is not a number"))?,
                    )
                }
                "threshold" => {
                    threshold = Some(
                        value
                            .parse::<f64>()
                            .ok()
                            .filter(|t| (0.0..=1.0).contains(t))
                            .ok_or_else(|| error("threshold must be a number from 0 to 1"))?,
                    );
                }
                "bias" => {
                    bias = Some(
                        value
                            .parse::<f64>()
                            .map_err(|_| error("bias is not a number"))?,
                    )
                }
                bucket => {
                    let bucket = bucket
                        .parse::<usize>()
                        .ok()
                        .filter(|&b| b < weights.len())
                        .ok_or_else(|| error("unknown key or bucket out of range"))?;
                    weights[bucket] = value
                        .parse::<f32>()
                        .ok()
                        .filter(|w| w.is_finite())
                        .ok_or_else(|| error("weight is not a number"))?;
                }
            }
        }
        if bits != Some(BITS) {
            return Err(Problem::error(
                path,
                0,
                format!("the model is for {BITS}-bit features (`bits\t{BITS}`); {retrain}"),
            ));
        }
        match (bias, threshold) {
            (Some(bias), Some(threshold)) => Ok(Self {
                weights,
                bias,
                threshold,
            }),
            _ => Err(Problem::error(
                path,
                0,
                format!("`bias` or `threshold` is missing; {retrain}"),
            )),
        }
    }
}

/// Loads the model from the knowledge folder; `None` (and a problem when
/// the file is there but wrong) without a usable one.
pub fn load(dir: &Path, problems: &mut Vec<Problem>) -> Option<RefusalModel> {
    let path = dir.join(REFUSAL_MODEL_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => match RefusalModel::parse(&path, &text) {
            Ok(model) => Some(model),
            Err(problem) => {
                problems.push(problem);
                None
            }
        },
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => {
            problems.push(Problem::error(
                &path,
                0,
                format!("cannot read the file: {error}"),
            ));
            None
        }
    }
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// The hashed features of a text: its words, word pairs and the 3 to 5
/// letter pieces of each word (with its edges), so "aangevraagd" and
/// "aanvraag", or a typo, still share most features. Counts are
/// log-scaled and the vector has unit length: a long story does not
/// outweigh a short question.
fn features(text: &str) -> Vec<(usize, f64)> {
    let folded = fold(text);
    let words: Vec<&str> = folded
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    // Words are ASCII here, so pieces are byte windows: no allocation per
    // piece (this runs for every question).
    let mut buckets: Vec<usize> = Vec::with_capacity(words.len() * 12);
    let bucket = |parts: &[&[u8]]| {
        let mut hasher = crc32fast::Hasher::new();
        for part in parts {
            hasher.update(part);
        }
        (hasher.finalize() as usize) & ((1usize << BITS) - 1)
    };
    let mut padded = Vec::new();
    for word in &words {
        buckets.push(bucket(&[b"w:", word.as_bytes()]));
        padded.clear();
        padded.push(b' ');
        padded.extend_from_slice(word.as_bytes());
        padded.push(b' ');
        for n in 3..=5 {
            for piece in padded.windows(n) {
                buckets.push(bucket(&[b"c:", piece]));
            }
        }
    }
    for pair in words.windows(2) {
        buckets.push(bucket(&[
            b"b:",
            pair[0].as_bytes(),
            b" ",
            pair[1].as_bytes(),
        ]));
    }
    // Count each bucket once: sorted, then runs.
    buckets.sort_unstable();
    let mut features: Vec<(usize, f64)> = Vec::with_capacity(buckets.len());
    for run in buckets.chunk_by(|a, b| a == b) {
        features.push((run[0], 1.0 + f64::ln(run.len() as f64)));
    }
    let norm = features.iter().map(|(_, x)| x * x).sum::<f64>().sqrt();
    if norm > 0.0 {
        for (_, x) in &mut features {
            *x /= norm;
        }
    }
    features
}

#[cfg(test)]
mod tests {
    use super::*;

    fn examples() -> Vec<(String, bool)> {
        let refuse = [
            "waar blijft mijn aanvraag",
            "ik heb nog steeds niks ontvangen",
            "mijn aanvraag loopt al weken",
            "hoe ver is mijn aanvraag",
            "hoe vraag ik zorgtoeslag aan",
            "wanneer betaalt de svb",
        ];
        let answer = [
            "hoe vraag ik een paspoort aan",
            "wanneer wordt het afval opgehaald",
            "wat kost een id kaart",
            "openingstijden stadhuis",
            "hoe geef ik een verhuizing door",
            "grofvuil ophalen",
        ];
        refuse
            .iter()
            .map(|q| (q.to_string(), true))
            .chain(answer.iter().map(|q| (q.to_string(), false)))
            .collect()
    }

    #[test]
    fn it_learns_which_side_a_message_is_on() {
        let model = RefusalModel::train(&examples(), Training::default());
        assert!(model.probability("waar blijft mijn vergunning aanvraag") > 0.5);
        assert!(model.probability("wanneer wordt het grofvuil opgehaald") < 0.5);
    }

    #[test]
    fn the_file_form_reads_back_to_the_same_decisions() {
        let model = RefusalModel::train(&examples(), Training::default());
        let path = Path::new("refusal-model.tsv");
        let read = RefusalModel::parse(path, &model.to_file(12)).expect("parses");
        for text in ["waar blijft mijn aanvraag", "wat kost een paspoort"] {
            assert!((read.probability(text) - model.probability(text)).abs() < 1e-3);
        }
        assert_eq!(read.threshold, model.threshold);
    }

    #[test]
    fn a_broken_file_names_the_line() {
        let path = Path::new("refusal-model.tsv");
        let problem = RefusalModel::parse(path, "bits\t18\nthreshold\t0.9\nbias\tx\n")
            .expect_err("bias is no number");
        assert_eq!(problem.line, 3);
        assert!(
            problem.message.contains("train-refusal"),
            "{}",
            problem.message
        );
        let missing = RefusalModel::parse(path, "bits\t18\n").expect_err("no bias");
        assert!(missing.message.contains("missing"), "{}", missing.message);
    }
}
