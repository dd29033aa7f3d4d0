//! `loket ask`: what the bot would do with one question, with the top hits
//! and their confidence, so an editor can see why.

use crate::config::Settings;
use crate::domain::{MessageContent, OutgoingContent};
use crate::knowledge::base::KnowledgeBase;
use crate::processing::rules;
use crate::reply::{self, ConversationMemory, language};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// Arguments of `loket ask`.
#[derive(Debug, clap::Args)]
pub struct AskArgs {
    /// Moment of the question: "2026-11-21 22:15" (office time) or RFC 3339; default now.
    #[arg(long)]
    pub at: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// The question, as a citizen would type it.
    pub question: String,
}

#[derive(Debug, Serialize)]
struct HitOut {
    id: String,
    score: f64,
}

#[derive(Debug, Serialize)]
struct AskOut {
    question: String,
    /// answer, choose or abstain
    decision: String,
    faq_id: Option<String>,
    language: String,
    /// Why a person takes it, when the bot does not answer.
    handover: Option<String>,
    hits: Vec<HitOut>,
    /// How likely the refusal model finds that this must not be answered
    /// (null without a model); above its threshold the bot hands over.
    refusal: Option<f64>,
    /// What the bot would send.
    replies: Vec<String>,
}

/// Runs `loket ask`.
pub fn run(
    args: &AskArgs,
    settings: &Settings,
    knowledge: &KnowledgeBase,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let at = match &args.at {
        Some(text) => {
            super::parse_moment(text, settings.hours.timezone()).map_err(anyhow::Error::msg)?
        }
        None => now,
    };
    let date = at.with_timezone(&settings.hours.timezone()).date_naive();
    let content = MessageContent::Text {
        body: args.question.clone(),
    };
    let decision = reply::decide(
        &content,
        &ConversationMemory::default(),
        rules(settings, Some(knowledge)),
        at,
    );
    let asked = knowledge.ask(
        &args.question,
        language::detect(&args.question),
        date,
        &settings.faq.thresholds(),
    );
    let out = AskOut {
        question: args.question.clone(),
        decision: decision
            .faq
            .as_ref()
            .map_or("abstain", |f| f.decision)
            .to_owned(),
        faq_id: decision.faq.as_ref().and_then(|f| f.faq_id.clone()),
        language: decision.language.code().to_owned(),
        handover: decision.handover.map(|r| r.as_str().to_owned()),
        hits: asked
            .hits
            .iter()
            .take(5)
            .map(|h| HitOut {
                id: h.id.as_str().to_owned(),
                score: (h.score * 1000.0).round() / 1000.0,
            })
            .collect(),
        refusal: knowledge
            .refusal
            .as_ref()
            .map(|model| (model.probability(&args.question) * 1000.0).round() / 1000.0),
        replies: decision
            .replies
            .iter()
            .filter(|r| !matches!(r.content, OutgoingContent::MarkRead { .. }))
            .map(|r| crate::whatsapp::client::preview(&r.content))
            .collect(),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!(
        "decision: {}{}",
        out.decision,
        out.faq_id
            .as_ref()
            .map(|id| format!(" ({id})"))
            .unwrap_or_default()
    );
    if let Some(reason) = &out.handover {
        println!("handed to a person: {reason}");
    }
    println!("language: {}", out.language);
    if let (Some(p), Some(model)) = (out.refusal, knowledge.refusal.as_ref()) {
        println!(
            "refusal model: {p:.3} (hands over above {:.2})",
            model.threshold
        );
    }
    println!("top hits:");
    for hit in &out.hits {
        println!("  {:.3}  {}", hit.score, hit.id);
    }
    if out.hits.is_empty() {
        println!("  (none)");
    }
    println!();
    for reply in &out.replies {
        println!("< {reply}\n");
    }
    Ok(())
}
