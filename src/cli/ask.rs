//! `loket ask`: what the bot would do with one question, with the top hits
//! and their confidence, so an editor can see why.

use crate::clock::parse_moment;
use crate::config::Settings;
use crate::domain::{MessageContent, OutgoingContent, language};
use crate::knowledge::base::KnowledgeBase;
use crate::knowledge::triage::{Outcome, triage};
use crate::processing::rules;
use crate::reply::{self, ConversationMemory};
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
    /// What the entry stands for: answer, urgent, not_ours or small_talk.
    kind: &'static str,
    /// The classifier's probability that this is the right entry.
    score: f64,
    /// The evidence the ranker weighed.
    features: crate::knowledge::classifier::Features,
}

#[derive(Debug, Serialize)]
struct AskOut {
    question: String,
    /// The triage: answer, choose, hand_over, urgent or small_talk.
    decision: String,
    /// Why it goes to a person, when it does (the triage's reason).
    hand_over: Option<crate::knowledge::triage::HandOver>,
    /// The rule from rules.toml that decided, if one did.
    rule: Option<String>,
    /// How likely a cry for help (urgent from [faq] urgent_threshold on):
    /// the mean of the crisis-word model and the ranking's urgency model.
    urgency: f64,
    crisis_words: f64,
    urgent_ranking: f64,
    faq_id: Option<String>,
    language: String,
    /// Why a person takes it, when the bot does not answer.
    handover: Option<String>,
    hits: Vec<HitOut>,
    /// What the bot would send.
    replies: Vec<String>,
}

fn round(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

/// Runs `loket ask`.
pub fn run(
    args: &AskArgs,
    settings: &Settings,
    knowledge: &KnowledgeBase,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let at = match &args.at {
        Some(text) => parse_moment(text, settings.hours.timezone()).map_err(anyhow::Error::msg)?,
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
    let triaged = triage(
        &crate::privacy::mask(&args.question),
        language::detect(&args.question),
        Some(knowledge),
        &settings.faq.thresholds(),
        date,
    );
    let entries = knowledge.index.entries();
    let out = AskOut {
        question: args.question.clone(),
        decision: triaged.outcome.name().to_owned(),
        hand_over: match &triaged.outcome {
            Outcome::HandOver(why) => Some(why.clone()),
            _ => None,
        },
        rule: triaged.rule.clone(),
        urgency: round(triaged.urgency.0),
        crisis_words: round(triaged.urgency.1),
        urgent_ranking: round(triaged.urgency.2),
        faq_id: decision.faq.as_ref().and_then(|f| f.faq_id.clone()),
        language: decision.language.code().to_owned(),
        handover: decision.handover.map(|r| r.as_str().to_owned()),
        hits: triaged
            .hits
            .iter()
            .zip(&triaged.evidence)
            .take(5)
            .map(|(h, evidence)| HitOut {
                id: h.id.as_str().to_owned(),
                kind: entries.get(h.entry).map_or("answer", |e| e.kind.name()),
                score: round(h.score),
                features: evidence.features,
            })
            .collect(),
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
    println!(
        "urgency: {:.3} (crisis words {:.3}, ranking {:.3}; urgent from {:.2})",
        out.urgency,
        out.crisis_words,
        out.urgent_ranking,
        settings.faq.thresholds().urgent
    );
    if let Some(rule) = &out.rule {
        println!("rule: {rule} (knowledge/rules.toml)");
    }
    println!("top hits (probability, entry, kind):");
    for hit in &out.hits {
        println!("  {:.3}  {}  {}", hit.score, hit.id, hit.kind);
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
