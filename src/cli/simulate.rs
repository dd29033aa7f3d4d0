//! `loket simulate`: runs the server's decision code for one citizen
//! sending messages in order, without network or database, and prints
//! exactly what would be sent.

use crate::clock::parse_moment;
use crate::config::Settings;
use crate::domain::{InteractiveKind, MessageContent, OutgoingContent};
use crate::knowledge::base::KnowledgeBase;
use crate::processing::rules;
use crate::reply::{self, ConversationMemory, Decision, FaqOutcome};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

/// Arguments of `loket simulate`.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// Moment of the messages: "2026-11-21 22:15" (office time) or RFC 3339; default now.
    #[arg(long)]
    pub at: Option<String>,
    /// One JSON object per message instead of text.
    #[arg(long)]
    pub json: bool,
    /// The citizen's messages, in order. `button:1` taps the first reply
    /// button of the bot's last buttons, `list:2` picks the second row of
    /// its last list.
    #[arg(required = true)]
    pub messages: Vec<String>,
}

/// One reply in the JSON output.
#[derive(Debug, Serialize)]
pub struct SimulatedReply {
    pub kind: String,
    pub text: String,
}

/// The JSON output for one message.
#[derive(Debug, Serialize)]
pub struct SimulatedStep {
    pub message: String,
    pub at: String,
    pub open: bool,
    pub next_opening: Option<String>,
    pub reply_deadline: Option<String>,
    pub urgent: bool,
    pub language: String,
    /// Why the conversation went to a person, if it did.
    pub handover: Option<String>,
    /// What the knowledge base said, if it was asked.
    pub faq: Option<FaqOutcome>,
    pub replies: Vec<SimulatedReply>,
}

/// Turns `button:N` / `list:N` into the tap on the bot's last buttons or
/// list; anything else is a text message.
fn citizen_message(message: &str, last: &[OutgoingContent]) -> MessageContent {
    let pick = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|n| n.trim().parse::<usize>().ok())
            .and_then(|n| n.checked_sub(1))
    };
    if let Some(index) = pick("button:") {
        let button = last.iter().rev().find_map(|c| match c {
            OutgoingContent::Buttons { buttons, .. } => buttons.get(index).cloned(),
            _ => None,
        });
        if let Some(button) = button {
            return MessageContent::Interactive {
                interactive: InteractiveKind::ButtonReply,
                id: button.id,
                title: button.title,
            };
        }
    }
    if let Some(index) = pick("list:") {
        let row = last.iter().rev().find_map(|c| match c {
            OutgoingContent::List { rows, .. } => rows.get(index).cloned(),
            _ => None,
        });
        if let Some(row) = row {
            return MessageContent::Interactive {
                interactive: InteractiveKind::ListReply,
                id: row.id,
                title: row.title,
            };
        }
    }
    MessageContent::Text {
        body: message.to_owned(),
    }
}

fn rfc3339(at: DateTime<Utc>, settings: &Settings) -> String {
    at.with_timezone(&settings.hours.timezone())
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// Runs the decision for each message in order, carrying the conversation's memory.
pub fn simulate(
    settings: &Settings,
    knowledge: Option<&KnowledgeBase>,
    at: DateTime<Utc>,
    messages: &[String],
) -> Vec<SimulatedStep> {
    let mut memory = ConversationMemory::default();
    let mut last: Vec<OutgoingContent> = Vec::new();
    messages
        .iter()
        .map(|message| {
            let content = citizen_message(message, &last);
            let decision: Decision =
                reply::decide(&content, &memory, rules(settings, knowledge), at);
            memory = decision.memory.clone();
            last = decision.replies.iter().map(|r| r.content.clone()).collect();
            SimulatedStep {
                message: message.clone(),
                at: rfc3339(at, settings),
                open: decision.open,
                next_opening: decision.next_opening.map(|t| rfc3339(t, settings)),
                reply_deadline: decision.reply_deadline.map(|t| rfc3339(t, settings)),
                urgent: decision.urgent,
                language: decision.language.code().to_owned(),
                handover: decision.handover.map(|r| r.as_str().to_owned()),
                faq: decision.faq.clone(),
                replies: decision
                    .replies
                    .iter()
                    .map(|r| SimulatedReply {
                        kind: r.kind.as_str().to_owned(),
                        text: crate::whatsapp::client::preview(&r.content),
                    })
                    .collect(),
            }
        })
        .collect()
}

/// Runs `loket simulate` and prints the result.
pub fn run(
    args: &SimulateArgs,
    settings: &Settings,
    knowledge: &KnowledgeBase,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let at = match &args.at {
        Some(text) => parse_moment(text, settings.hours.timezone()).map_err(anyhow::Error::msg)?,
        None => now,
    };
    let steps = simulate(settings, Some(knowledge), at, &args.messages);
    for step in &steps {
        if args.json {
            println!("{}", serde_json::to_string(step)?);
        } else {
            println!("> {}", step.message);
            let faq = step.faq.as_ref().map(|f| {
                let id = f
                    .faq_id
                    .as_deref()
                    .map(|id| format!(" {id}"))
                    .unwrap_or_default();
                format!(" · faq {}{id}", f.decision)
            });
            let handover = step.handover.as_ref().map(|reason| {
                let deadline = step.reply_deadline.as_deref().unwrap_or("?");
                format!(" · naar een medewerker ({reason}), uiterlijk {deadline}")
            });
            println!(
                "  [{} · {}{}{}{}]",
                if step.open { "open" } else { "gesloten" },
                step.language,
                faq.unwrap_or_default(),
                handover.unwrap_or_default(),
                if step.urgent { " · URGENT" } else { "" }
            );
            if step.replies.is_empty() {
                println!("  (geen antwoord)");
            }
            for reply in &step.replies {
                println!("< {}: {}", reply.kind, reply.text);
            }
            println!();
        }
    }
    Ok(())
}
