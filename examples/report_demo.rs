//! Fills a SQLite database with two weeks of made-up WhatsApp
//! conversations (seeded, so the same every run) through the real store,
//! for trying `loket report` and the reports page:
//!
//! cargo run --example report_demo -- /tmp/loket-demo.db
//! LOKET_DATABASE_URL=sqlite:///tmp/loket-demo.db cargo run -- report --from 2026-11-02 --to 2026-11-15

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::Amsterdam;
use loket::accounts::{self, Role};
use loket::db::{StaffMessage, Store};
use loket::domain::Language;
use loket::knowledge::usage::{FaqUse, UseEvent};
use loket::reply::{ConversationMemory, Decision, HandoverReason};
use loket::whatsapp::webhook;
use loket_testkit::payload;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::Path;

const FAQ_IDS: [&str; 5] = [
    "paspoort-kosten",
    "afval-ophaaldagen",
    "parkeervergunning",
    "verhuizing-doorgeven",
    "afval-grofvuil",
];
const TOPICS: [&str; 5] = ["afval", "paspoort", "parkeren", "belastingen", "verhuizing"];

fn decision(handover: bool, deadline: Option<DateTime<Utc>>, usage: Vec<FaqUse>) -> Decision {
    Decision {
        language: Language::Nl,
        open: true,
        next_opening: None,
        reply_deadline: deadline,
        urgent: false,
        replies: Vec::new(),
        handover: handover.then_some(HandoverReason::NoAnswer),
        faq: None,
        usage,
        memory: ConversationMemory::default(),
    }
}

/// One citizen message at `at` (a question, or with `tap` a tap on the
/// "did this help?" button), processed with `decided`.
async fn arrive(
    store: &Store,
    citizen: &str,
    wamid: &str,
    at: DateTime<Utc>,
    decided: Decision,
) -> anyhow::Result<i64> {
    arrive_as(store, citizen, wamid, at, decided, false).await
}

async fn arrive_as(
    store: &Store,
    citizen: &str,
    wamid: &str,
    at: DateTime<Utc>,
    decided: Decision,
    tap: bool,
) -> anyhow::Result<i64> {
    let value = if tap {
        payload::button_reply_value(citizen, wamid, "feedback:yes", "Ja", at.timestamp())
    } else {
        payload::text_value(citizen, wamid, "een vraag", at.timestamp())
    };
    let body = payload::batch(&[value]);
    let batch = webhook::parse_webhook(body.as_bytes(), at)?;
    store.record_webhook(&batch, at).await?;
    let inbound = store
        .unprocessed_inbound(1)
        .await?
        .pop()
        .ok_or_else(|| anyhow::anyhow!("the message was not stored"))?;
    let processed = store
        .process_inbound(&inbound, at, Duration::hours(24), |_| {
            (decided.clone(), Vec::new())
        })
        .await?
        .ok_or_else(|| anyhow::anyhow!("the message was processed twice"))?;
    Ok(processed.conversation_id)
}

fn used(at: DateTime<Utc>, id: &str, event: UseEvent) -> FaqUse {
    FaqUse {
        day: at.with_timezone(&Amsterdam).date_naive(),
        at,
        faq_id: id.to_owned(),
        lang: Language::Nl,
        event,
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: report_demo DATABASE_FILE"))?;
    if Path::new(&path).exists() {
        anyhow::bail!("{path} exists; give a new file so no real data is mixed in");
    }
    let store = Store::connect(&format!("sqlite://{path}")).await?;
    let settings =
        loket::config::Settings::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("config"))?;
    let hours = settings.hours;
    let first = NaiveDate::from_ymd_opt(2026, 11, 2).ok_or_else(|| anyhow::anyhow!("date"))?;
    let setup = Utc
        .with_ymd_and_hms(2026, 11, 1, 12, 0, 0)
        .single()
        .ok_or_else(|| anyhow::anyhow!("time"))?;
    let mut staff = Vec::new();
    for name in ["anna", "bram", "chris"] {
        accounts::create(
            &store,
            name,
            Role::Staff,
            "demo-wachtwoord-niet-gebruiken",
            setup,
        )
        .await?;
        staff.push(
            store
                .user(name)
                .await?
                .ok_or_else(|| anyhow::anyhow!("account {name}"))?,
        );
    }
    let mut rng = StdRng::seed_from_u64(2026);
    let mut n = 0_u64;
    for offset in 0..14 {
        let day = first + chrono::Days::new(offset);
        let weekend = day.weekday().num_days_from_monday() >= 5;
        let contacts = if weekend {
            rng.gen_range(6..14)
        } else {
            rng.gen_range(22..40)
        };
        for _ in 0..contacts {
            n += 1;
            let citizen = format!("316{:08}", 10_000 + n);
            let wamid = |k: u32| format!("wamid.DEMO{n:06}{k}");
            // Most people write in the day; some in the evening and at night.
            let hour = if rng.gen_bool(0.8) {
                rng.gen_range(8..18)
            } else {
                rng.gen_range(0..24)
            };
            let local = Amsterdam
                .with_ymd_and_hms(
                    day.year(),
                    day.month(),
                    day.day(),
                    hour,
                    rng.gen_range(0..60),
                    0,
                )
                .earliest()
                .ok_or_else(|| anyhow::anyhow!("local time"))?;
            let start = local.with_timezone(&Utc);
            let faq = FAQ_IDS[rng.gen_range(0..FAQ_IDS.len())];
            let roll: f64 = rng.r#gen();
            if roll < 0.45 {
                // One question, one answer, often a "Ja".
                arrive(
                    &store,
                    &citizen,
                    &wamid(0),
                    start,
                    decision(false, None, vec![used(start, faq, UseEvent::Answered)]),
                )
                .await?;
                if rng.gen_bool(0.5) {
                    let tap = start + Duration::minutes(1);
                    let event = if rng.gen_bool(0.8) {
                        UseEvent::Helpful
                    } else {
                        UseEvent::NotHelpful
                    };
                    arrive_as(
                        &store,
                        &citizen,
                        &wamid(1),
                        tap,
                        decision(false, None, vec![used(tap, faq, event)]),
                        true,
                    )
                    .await?;
                }
            } else if roll < 0.65 {
                for k in 0..rng.gen_range(2..4) {
                    let at = start + Duration::minutes(i64::from(k) * 3);
                    let faq = FAQ_IDS[rng.gen_range(0..FAQ_IDS.len())];
                    arrive(
                        &store,
                        &citizen,
                        &wamid(k),
                        at,
                        decision(false, None, vec![used(at, faq, UseEvent::Answered)]),
                    )
                    .await?;
                }
            } else {
                let deadline = hours.deadline(start);
                let id = arrive(
                    &store,
                    &citizen,
                    &wamid(0),
                    start,
                    decision(true, deadline, Vec::new()),
                )
                .await?;
                let who = &staff[rng.gen_range(0..staff.len())];
                // Picked up some office time later: usually well within the promise.
                let opens = hours
                    .add_working_time(start, Duration::minutes(rng.gen_range(5..60)))
                    .unwrap_or(start);
                let claim = opens;
                let wait = if rng.gen_bool(0.85) {
                    rng.gen_range(10..200)
                } else {
                    rng.gen_range(240..600)
                };
                let reply = hours
                    .add_working_time(start, Duration::minutes(wait))
                    .unwrap_or(claim)
                    .max(claim);
                store.claim(id, who, 1000, claim).await?;
                store
                    .staff_send(
                        id,
                        who,
                        StaffMessage::Template {
                            name: "vraag_nog_open".to_owned(),
                            language: "nl".to_owned(),
                        },
                        reply,
                    )
                    .await?;
                let close = reply + Duration::minutes(rng.gen_range(3..45));
                store
                    .close_conversation(id, who, TOPICS[rng.gen_range(0..TOPICS.len())], close)
                    .await?;
            }
        }
    }
    store.close().await;
    println!("{n} conversations written to {path}");
    Ok(())
}
