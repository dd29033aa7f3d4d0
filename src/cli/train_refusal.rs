//! `loket train-refusal`: learns from labelled eval questions which
//! messages the knowledge base must not answer, and writes the model file
//! the service loads from the knowledge folder.

use crate::knowledge::eval::read_cases;
use crate::knowledge::refusal::{REFUSAL_MODEL_FILE, RefusalModel, Training};
use std::path::PathBuf;

/// Arguments of `loket train-refusal`.
#[derive(Debug, clap::Args)]
pub struct TrainRefusalArgs {
    /// JSONL eval files ({"q": "...", "expect": "<id>" or null}); a null
    /// expectation is a message to refuse. Use only sets that may be read:
    /// a set the model learned from no longer measures it.
    #[arg(required = true, num_args = 1..)]
    pub files: Vec<PathBuf>,
    /// Where to write the model (default: refusal-model.tsv in the knowledge folder).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Probability from which a message is refused.
    #[arg(long, default_value_t = Training::default().threshold)]
    pub threshold: f64,
}

/// Runs `loket train-refusal`.
pub fn run(args: &TrainRefusalArgs, knowledge_dir: &std::path::Path) -> anyhow::Result<()> {
    if !(0.0..=1.0).contains(&args.threshold) {
        anyhow::bail!(
            "--threshold {} is out of range; use a probability from 0 to 1",
            args.threshold
        );
    }
    let mut examples = Vec::new();
    for file in &args.files {
        let cases = read_cases(file).map_err(anyhow::Error::msg)?;
        examples.extend(
            cases
                .into_iter()
                .map(|case| (case.q, case.expect.is_none())),
        );
    }
    let refused = examples.iter().filter(|(_, refuse)| *refuse).count();
    if refused == 0 || refused == examples.len() {
        anyhow::bail!(
            "the files need questions to answer and questions to refuse (expect null); found {} of {} to refuse",
            refused,
            examples.len()
        );
    }
    let training = Training {
        threshold: args.threshold,
        ..Training::default()
    };
    let model = RefusalModel::train(&examples, training);
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| knowledge_dir.join(REFUSAL_MODEL_FILE));
    std::fs::write(&out, model.to_file(examples.len()))
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", out.display()))?;
    println!(
        "trained on {} questions ({} to refuse); wrote {}",
        examples.len(),
        refused,
        out.display()
    );
    Ok(())
}
