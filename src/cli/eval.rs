//! `loket eval`: the figures of the bot's decisions on an eval file, and
//! the calibration of the thresholds.

use crate::config::Settings;
use crate::knowledge::base::KnowledgeBase;
use crate::knowledge::eval::{calibrate, prepare, read_cases, score, trace};
use chrono::NaiveDate;
use std::path::PathBuf;

/// Arguments of `loket eval`.
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// JSONL files: {"q": "...", "expect": "<id>"} or {"q": "...", "expect": null} per line.
    /// Several files are measured (or calibrated on) as one set.
    #[arg(required = true, num_args = 1..)]
    pub files: Vec<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Search the thresholds that fit these files best and print them for loket.toml.
    #[arg(long)]
    pub calibrate: bool,
    /// Date the questions are asked on (matters for entries with valid_from/valid_until).
    #[arg(long)]
    pub date: Option<NaiveDate>,
    /// Also write every case as one JSON line to this file: the decision
    /// and the evidence behind it (candidates, confidences, features).
    #[arg(long, value_name = "FILE")]
    pub cases: Option<PathBuf>,
    /// Exit 1 when top-1, abstention precision or recall is below this.
    #[arg(long)]
    pub floor: Option<f64>,
}

/// Runs `loket eval`; returns whether the floor (if any) holds.
pub fn run(
    args: &EvalArgs,
    settings: &Settings,
    knowledge: &KnowledgeBase,
    today: NaiveDate,
) -> anyhow::Result<bool> {
    let mut cases = Vec::new();
    for file in &args.files {
        cases.extend(read_cases(file).map_err(anyhow::Error::msg)?);
    }
    let prepared = prepare(cases, knowledge, args.date.unwrap_or(today));
    let report = if args.calibrate {
        calibrate(&prepared, &settings.faq.thresholds())
    } else {
        score(&prepared, &settings.faq.thresholds())
    };
    if let Some(path) = &args.cases {
        write_traces(path, &trace(&prepared, &report.thresholds))?;
    }
    let holds = args.floor.is_none_or(|floor| {
        report.top1 >= floor && report.abstain_precision >= floor && report.abstain_recall >= floor
    });
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(holds);
    }
    println!(
        "questions: {} ({} answerable, {} to refuse)",
        report.n,
        report.answerable,
        report.n - report.answerable
    );
    println!("top-1 accuracy:        {:.3}", report.top1);
    println!("answered directly:     {:.3}", report.answered_correctly);
    println!("answered wrongly:      {:.3}", report.answered_wrongly);
    println!("MRR@3:                 {:.3}", report.mrr3);
    println!("abstention precision:  {:.3}", report.abstain_precision);
    println!("abstention recall:     {:.3}", report.abstain_recall);
    let t = report.thresholds;
    if args.calibrate {
        println!("\ncalibrated thresholds for [faq] in loket.toml:");
        println!(
            "answer_threshold = {:.2}\nmargin = {:.2}\nchoose_threshold = {:.2}",
            t.answer, t.margin, t.choose
        );
    } else {
        println!(
            "thresholds: answer {:.2}, margin {:.2}, choose {:.2}",
            t.answer, t.margin, t.choose
        );
    }
    if !report.misses.is_empty() {
        println!("\nmisses ({}):", report.misses.len());
        for miss in &report.misses {
            let hits: Vec<String> = miss
                .hits
                .iter()
                .map(|(id, s)| format!("{id} {s:.2}"))
                .collect();
            println!(
                "  {:?}\n    expected {}, got {} {}  [{}]",
                miss.q,
                miss.expect.as_deref().unwrap_or("abstain"),
                miss.decision,
                miss.got.as_deref().unwrap_or(""),
                hits.join(", ")
            );
        }
    }
    if !holds {
        println!("\nbelow the floor of {:.2}", args.floor.unwrap_or_default());
    }
    Ok(holds)
}

/// Writes the case traces as JSON lines.
fn write_traces(
    path: &std::path::Path,
    traces: &[crate::knowledge::eval::CaseTrace],
) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let mut text = String::new();
    for t in traces {
        text.push_str(&serde_json::to_string(t)?);
        text.push('\n');
    }
    std::fs::write(path, text)
        .with_context(|| format!("writing the case traces to {}", path.display()))
}
