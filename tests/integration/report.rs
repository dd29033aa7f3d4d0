//! The team lead's report. A seeded but varied history of conversations
//! (six days with a weekend, nights, bot-settled ones, hand-overs, claims,
//! transfers, replies before and after the promised moment, closes with
//! topics, a reopen) goes through the real store at chosen moments. The
//! test works out the expected figures itself from its own plan and
//! compares them with the report, with `GET /api/report`, and again after
//! the retention purge has deleted every conversation.

use crate::helpers::*;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Europe::Amsterdam;
use loket::accounts::{self, Account, Role};
use loket::db::{StaffMessage, Store};
use loket::domain::Language;
use loket::hours::OpeningHours;
use loket::knowledge::usage::{FaqUse, UseEvent};
use loket::reply::{ConversationMemory, Decision, HandoverReason};
use loket::report::rollup::Rollup;
use loket::report::{Report, Row};
use loket_testkit::payload;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeMap;

const PASSWORD: &str = "correct horse battery staple";
const FAQ_IDS: [&str; 3] = ["paspoort-kosten", "afval-kalender", "parkeren-vergunning"];
const TOPICS: [&str; 4] = ["paspoort", "Afval", "parkeren", "afval"];
const CLAIM_LIMIT: u32 = 1000;

/// What the test expects of one conversation, from its plan.
#[derive(Debug, Default, Clone)]
struct Expected {
    day: Option<NaiveDate>,
    outside_hours: bool,
    /// "one_go", "exchange" or "person".
    outcome: &'static str,
    deadline_met: Option<bool>,
    first_reply_secs: Option<i64>,
    handling_secs: Option<i64>,
    topic: Option<String>,
}

/// FAQ use per (day, id): answered, yes, no.
type FaqPlan = BTreeMap<(NaiveDate, String), (i64, i64, i64)>;

struct History<'a> {
    store: &'a Store,
    hours: &'a OpeningHours,
    rollup: &'a Rollup,
    rng: StdRng,
    next_wamid: u64,
    expected: Vec<Expected>,
    faq: FaqPlan,
    citizens: Vec<String>,
    texts: Vec<String>,
    latest: DateTime<Utc>,
}

fn local_day(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&Amsterdam).date_naive()
}

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

impl History<'_> {
    fn seen(&mut self, at: DateTime<Utc>) {
        self.latest = self.latest.max(at);
    }

    /// The citizen's message (or a tap on a button) arrives at `at` and is
    /// processed with `decide`'s outcome.
    async fn arrive(
        &mut self,
        citizen: &str,
        text: Option<&str>,
        at: DateTime<Utc>,
        decided: Decision,
    ) -> i64 {
        self.seen(at);
        self.next_wamid += 1;
        let wamid = format!("wamid.REPORT{:05}", self.next_wamid);
        let value = match text {
            Some(text) => payload::text_value(citizen, &wamid, text, at.timestamp()),
            // A tap on the "did this help?" button: not a question.
            None => payload::button_reply_value(
                citizen,
                &wamid,
                "feedback:yes:paspoort-kosten",
                "Ja",
                at.timestamp(),
            ),
        };
        if let Some(text) = text {
            self.texts.push(text.to_owned());
        }
        let body = payload::batch(&[value]);
        let batch = loket::whatsapp::webhook::parse_webhook(body.as_bytes(), at).expect("parses");
        self.store.record_webhook(&batch, at).await.expect("stored");
        let inbound = self
            .store
            .unprocessed_inbound(10)
            .await
            .expect("unprocessed")
            .pop()
            .expect("one message waits");
        let processed = self
            .store
            .process_inbound(&inbound, at, Duration::hours(24), |_| {
                (decided.clone(), Vec::new())
            })
            .await
            .expect("processed")
            .expect("not processed before");
        // Roll up as the service would at any moment: the figures must
        // come out right however often entries were replaced on the way.
        self.checkpoint(at).await;
        processed.conversation_id
    }

    async fn checkpoint(&self, at: DateTime<Utc>) {
        self.store.roll_up(self.rollup, at).await.expect("roll up");
    }

    fn answered(&mut self, at: DateTime<Utc>, event: UseEvent, id: &str) -> FaqUse {
        let day = local_day(at);
        let slot = self.faq.entry((day, id.to_owned())).or_default();
        match event {
            UseEvent::Answered => slot.0 += 1,
            UseEvent::Helpful => slot.1 += 1,
            UseEvent::NotHelpful => slot.2 += 1,
        }
        FaqUse {
            day,
            at,
            faq_id: id.to_owned(),
            lang: Language::Nl,
            event,
        }
    }

    /// Office-hours seconds in `[from, to)`, counted minute by minute
    /// (both are whole minutes): a different way than the service's.
    fn office_seconds(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        let mut at = from;
        let mut minutes = 0;
        while at < to {
            if self.hours.is_open(at) {
                minutes += 1;
            }
            at += Duration::minutes(1);
        }
        minutes * 60
    }

    async fn bot_conversation(&mut self, citizen: &str, start: DateTime<Utc>, index: usize) {
        let mut expected = Expected {
            day: Some(local_day(start)),
            outside_hours: !self.hours.is_open(start),
            ..Expected::default()
        };
        let questions = if self.rng.gen_bool(0.5) {
            1
        } else {
            self.rng.gen_range(2..=3)
        };
        let mut at = start;
        for q in 0..questions {
            let id = FAQ_IDS[self.rng.gen_range(0..FAQ_IDS.len())];
            let used = self.answered(at, UseEvent::Answered, id);
            let text = format!("vraag {index}.{q}: hoe zit het met {id}?");
            self.arrive(citizen, Some(&text), at, decision(false, None, vec![used]))
                .await;
            at += Duration::minutes(self.rng.gen_range(1..6));
            if self.rng.gen_bool(0.5) {
                let event = if self.rng.gen_bool(0.7) {
                    UseEvent::Helpful
                } else {
                    UseEvent::NotHelpful
                };
                let used = self.answered(at, event, id);
                self.arrive(citizen, None, at, decision(false, None, vec![used]))
                    .await;
                at += Duration::minutes(1);
            }
        }
        expected.outcome = if questions == 1 { "one_go" } else { "exchange" };
        self.expected.push(expected);
    }

    async fn staff_conversation(
        &mut self,
        citizen: &str,
        start: DateTime<Utc>,
        index: usize,
        staff: &[Account],
    ) {
        let deadline = self.hours.deadline(start).expect("a deadline");
        let mut expected = Expected {
            day: Some(local_day(start)),
            outside_hours: !self.hours.is_open(start),
            outcome: "person",
            ..Expected::default()
        };
        let text = format!("vraag {index}: ik wil iemand spreken over mijn aanslag");
        let id = self
            .arrive(
                citizen,
                Some(&text),
                start,
                decision(true, Some(deadline), Vec::new()),
            )
            .await;
        let (first, second) = (&staff[0], &staff[1]);
        let minutes = |from: DateTime<Utc>, to: DateTime<Utc>| (to - from).num_minutes();
        match self.rng.gen_range(0..5) {
            // Answered (before or after the promise) and closed, sometimes
            // passed on to a colleague, sometimes reopened.
            variant @ (0 | 1) => {
                let reply = if variant == 0 {
                    start + Duration::minutes(self.rng.gen_range(2..minutes(start, deadline)))
                } else {
                    deadline + Duration::minutes(self.rng.gen_range(1..600))
                };
                let claim = start + Duration::minutes(minutes(start, reply) / 2);
                let store = self.store;
                store
                    .claim(id, first, CLAIM_LIMIT, claim)
                    .await
                    .expect("claim");
                let mut holder = first;
                if self.rng.gen_bool(0.3) {
                    let moved = claim + Duration::minutes(minutes(claim, reply) / 2);
                    store
                        .transfer(id, first, second, None, CLAIM_LIMIT, moved)
                        .await
                        .expect("transfer");
                    holder = second;
                }
                store
                    .staff_send(id, holder, template(), reply)
                    .await
                    .expect("reply");
                let close = reply + Duration::minutes(self.rng.gen_range(5..90));
                let topic = TOPICS[self.rng.gen_range(0..TOPICS.len())];
                store
                    .close_conversation(id, holder, topic, close)
                    .await
                    .expect("close");
                let mut handling = (close - claim).num_seconds();
                let mut last_topic = topic;
                if self.rng.gen_bool(0.25) {
                    // The citizen writes again: the thread comes back.
                    let again = close + Duration::minutes(30);
                    let text = format!("vraag {index}: nog één ding over de aanslag");
                    self.arrive(
                        citizen,
                        Some(&text),
                        again,
                        decision(true, Some(deadline), Vec::new()),
                    )
                    .await;
                    let claim2 = again + Duration::minutes(10);
                    let close2 = claim2 + Duration::minutes(20);
                    store
                        .claim(id, first, CLAIM_LIMIT, claim2)
                        .await
                        .expect("claim again");
                    last_topic = TOPICS[self.rng.gen_range(0..TOPICS.len())];
                    store
                        .close_conversation(id, first, last_topic, close2)
                        .await
                        .expect("close again");
                    handling += (close2 - claim2).num_seconds();
                    self.seen(close2);
                }
                self.seen(close);
                expected.deadline_met = Some(reply <= deadline);
                expected.first_reply_secs = Some(self.office_seconds(start, reply));
                expected.handling_secs = Some(handling);
                expected.topic = Some(last_topic.to_lowercase());
            }
            // Closed without a reply (the citizen had it sorted): no promise counted.
            2 => {
                let claim = start + Duration::minutes(30);
                let close = claim + Duration::minutes(10);
                self.store
                    .claim(id, first, CLAIM_LIMIT, claim)
                    .await
                    .expect("claim");
                let topic = TOPICS[self.rng.gen_range(0..TOPICS.len())];
                self.store
                    .close_conversation(id, first, topic, close)
                    .await
                    .expect("close");
                self.seen(close);
                expected.handling_secs = Some(600);
                expected.topic = Some(topic.to_lowercase());
            }
            // Nobody took it: the promised moment passes unanswered.
            3 => {
                self.seen(deadline);
                expected.deadline_met = Some(false);
            }
            // Answered in time, still open.
            _ => {
                let reply =
                    start + Duration::minutes(self.rng.gen_range(2..minutes(start, deadline)));
                let claim = start + Duration::minutes(1);
                self.store
                    .claim(id, first, CLAIM_LIMIT, claim)
                    .await
                    .expect("claim");
                self.store
                    .staff_send(id, first, template(), reply)
                    .await
                    .expect("reply");
                self.seen(reply);
                expected.deadline_met = Some(true);
                expected.first_reply_secs = Some(self.office_seconds(start, reply));
            }
        }
        self.checkpoint(self.latest).await;
        self.expected.push(expected);
    }
}

fn template() -> StaffMessage {
    StaffMessage::Template {
        name: "vraag_nog_open".to_owned(),
        language: "nl".to_owned(),
    }
}

/// Nearest rank, written out on a sorted list.
fn nearest_rank(values: &[i64], p: usize) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    Some(sorted[rank - 1])
}

/// Checks one report row against the planned conversations of its days.
fn check_row(row: &Row, plan: &[Expected], faq: &FaqPlan) {
    let of: Vec<&Expected> = plan
        .iter()
        .filter(|e| e.day.is_some_and(|d| row.from <= d && d <= row.to))
        .collect();
    let count = |f: &dyn Fn(&Expected) -> bool| of.iter().filter(|e| f(e)).count() as i64;
    let what = &row.period;
    assert_eq!(row.contacts, of.len() as i64, "{what}: contacts");
    assert_eq!(
        row.contacts_by_channel
            .get("whatsapp")
            .copied()
            .unwrap_or(0),
        of.len() as i64,
        "{what}: WhatsApp contacts"
    );
    assert_eq!(
        row.outside_hours,
        count(&|e| e.outside_hours),
        "{what}: outside hours"
    );
    assert_eq!(
        row.bot_one_go,
        count(&|e| e.outcome == "one_go"),
        "{what}: bot in one go"
    );
    assert_eq!(
        row.bot_exchange,
        count(&|e| e.outcome == "exchange"),
        "{what}: bot exchange"
    );
    assert_eq!(
        row.handed_over,
        count(&|e| e.outcome == "person"),
        "{what}: handed over"
    );
    assert_eq!(row.in_progress, 0, "{what}: everything has settled");
    assert_eq!(
        row.deadline_due,
        count(&|e| e.deadline_met.is_some()),
        "{what}: due"
    );
    assert_eq!(
        row.deadline_met,
        count(&|e| e.deadline_met == Some(true)),
        "{what}: met"
    );
    let waits: Vec<i64> = of.iter().filter_map(|e| e.first_reply_secs).collect();
    assert_eq!(row.replies, waits.len() as i64, "{what}: replies");
    assert_eq!(
        row.first_reply_median_secs,
        nearest_rank(&waits, 50),
        "{what}: median wait {waits:?}"
    );
    assert_eq!(
        row.first_reply_p90_secs,
        nearest_rank(&waits, 90),
        "{what}: p90 wait {waits:?}"
    );
    let handling: Vec<i64> = of.iter().filter_map(|e| e.handling_secs).collect();
    assert_eq!(row.closed, handling.len() as i64, "{what}: closed");
    assert_eq!(
        row.handling_median_secs,
        nearest_rank(&handling, 50),
        "{what}: handling"
    );
    let mut topics: BTreeMap<&str, i64> = BTreeMap::new();
    for topic in of.iter().filter_map(|e| e.topic.as_deref()) {
        *topics.entry(topic).or_default() += 1;
    }
    let mut topics: Vec<(String, i64)> =
        topics.into_iter().map(|(t, n)| (t.to_owned(), n)).collect();
    topics.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    topics.truncate(5);
    let got: Vec<(String, i64)> = row
        .top_topics
        .iter()
        .map(|t| (t.topic.clone(), t.count))
        .collect();
    assert_eq!(got, topics, "{what}: topics");
    let mut uses: BTreeMap<&str, (i64, i64, i64)> = BTreeMap::new();
    for ((day, id), (a, y, n)) in faq {
        if row.from <= *day && *day <= row.to {
            let slot = uses.entry(id.as_str()).or_default();
            slot.0 += a;
            slot.1 += y;
            slot.2 += n;
        }
    }
    let mut uses: Vec<(String, i64, i64, i64)> = uses
        .into_iter()
        .filter(|(_, (a, _, _))| *a > 0)
        .map(|(id, (a, y, n))| (id.to_owned(), a, y, n))
        .collect();
    uses.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let got: Vec<(String, i64, i64, i64)> = row
        .top_faq
        .iter()
        .map(|f| (f.faq_id.clone(), f.answered, f.feedback_yes, f.feedback_no))
        .collect();
    assert_eq!(got, uses, "{what}: FAQ entries");
}

fn check_report(report: &Report, plan: &[Expected], faq: &FaqPlan) {
    for row in report
        .days
        .iter()
        .chain(&report.weeks)
        .chain([&report.total])
    {
        check_row(row, plan, faq);
    }
}

on_both_databases! {
#[tokio::test]
async fn report_figures_match_a_generated_history_and_survive_the_purge() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = crate::helpers::database_url(dir.path());
    let store = Store::connect(&url).await.expect("store");
    let config = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    let mut settings = loket::config::Settings::load_dir(&config).expect("config");
    // Bot conversations settle after a day of quiet here (not the shipped
    // hour), so entries made along the way are still "in progress" at
    // the last checkpoint and the final rollup must replace them.
    let day_of_quiet = loket::config::HumanDuration(std::time::Duration::from_secs(86400));
    settings.report.settle_after = day_of_quiet;
    let hours = settings.hours.clone();
    let setup = amsterdam(2026, 11, 18, 9, 0);
    for (name, role) in [
        ("anna", Role::Staff),
        ("bram", Role::Staff),
        ("eva", Role::Editor),
    ] {
        accounts::create(&store, name, role, PASSWORD, setup)
            .await
            .expect("account");
    }
    let staff = [
        store.user("anna").await.expect("read").expect("anna"),
        store.user("bram").await.expect("read").expect("bram"),
    ];

    // Thursday 19 to Tuesday 24 November 2026: a weekend in the middle.
    let first_day = NaiveDate::from_ymd_opt(2026, 11, 19).expect("date");
    let last_day = NaiveDate::from_ymd_opt(2026, 11, 24).expect("date");
    let rollup = Rollup::from_settings(&settings);
    let mut history = History {
        store: &store,
        hours: &hours,
        rollup: &rollup,
        rng: StdRng::seed_from_u64(20261122),
        next_wamid: 0,
        expected: Vec::new(),
        faq: FaqPlan::new(),
        citizens: Vec::new(),
        texts: Vec::new(),
        latest: setup,
    };
    let mut index = 0;
    let mut day = first_day;
    while day <= last_day {
        let count = history.rng.gen_range(5..10);
        for _ in 0..count {
            index += 1;
            let citizen = format!("3160000{index:04}");
            history.citizens.push(citizen.clone());
            // Any minute of the day: nights and weekends included.
            let minute = history.rng.gen_range(0..24 * 60 - 15);
            let start =
                amsterdam(day.year(), day.month(), day.day(), 0, 0) + Duration::minutes(minute);
            if history.rng.gen_bool(0.5) {
                history.bot_conversation(&citizen, start, index).await;
            } else {
                history
                    .staff_conversation(&citizen, start, index, &staff)
                    .await;
            }
        }
        day = day.succ_opt().expect("next day");
    }
    let plan = history.expected.clone();
    let faq = history.faq.clone();
    let (citizens, texts, latest) = (
        history.citizens.clone(),
        history.texts.clone(),
        history.latest,
    );
    // A varied history, or the comparison proves little.
    for outcome in ["one_go", "exchange", "person"] {
        assert!(
            plan.iter().filter(|e| e.outcome == outcome).count() >= 3,
            "{outcome}"
        );
    }
    assert!(plan.iter().any(|e| e.outside_hours) && plan.iter().any(|e| !e.outside_hours));
    assert!(plan.iter().any(|e| e.deadline_met == Some(true)));
    assert!(
        plan.iter()
            .any(|e| e.deadline_met == Some(false) && e.first_reply_secs.is_some())
    );
    assert!(
        plan.iter()
            .any(|e| e.deadline_met == Some(false) && e.first_reply_secs.is_none())
    );
    assert!(
        plan.iter()
            .any(|e| e.handling_secs.is_some() && e.deadline_met.is_none())
    );

    // A day after the last activity, every outcome has settled.
    let now = latest + Duration::hours(25);
    // Entries made along the way (in progress, promises not yet due) are
    // replaced now, not added to.
    let settled = store.roll_up(&rollup, now).await.expect("roll up");
    assert!(settled.changed > 0, "{settled:?}");
    let report = loket::report::load(&store, &rollup, first_day, last_day, now)
        .await
        .expect("report");
    assert_eq!(report.days.len(), 6);
    let weeks: Vec<&str> = report.weeks.iter().map(|w| w.period.as_str()).collect();
    assert_eq!(weeks, ["2026-W47", "2026-W48"]);
    check_report(&report, &plan, &faq);
    // Rolling up again counts nothing twice.
    let again = store.roll_up(&rollup, now).await.expect("roll up");
    assert_eq!(again.changed, 0);
    assert_eq!(again.conversations, plan.len());
    let same = loket::report::load(&store, &rollup, first_day, last_day, now)
        .await
        .expect("report");
    assert_eq!(same, report);
    store.close().await;

    // The service on the same database answers the same over HTTP.
    let db_url = url.clone();
    let mut app = spawn_app_with(now, move |s| {
        s.database_url = db_url;
        s.report.settle_after = day_of_quiet;
        s.privacy.retention =
            loket::config::HumanDuration(std::time::Duration::from_secs(30 * 86400));
    })
    .await;
    let path = "/api/report?from=2026-11-19&to=2026-11-24";
    let staff_session = login(&app, "anna").await;
    let (status, body) = get(&app, path, &staff_session).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The API names the answers from the served knowledge base.
    let mut named = report.clone();
    loket::report::name_answers(&mut named, app.knowledge().load().index.entries());
    assert!(
        named.total.top_faq.iter().any(|f| f.title.is_some()),
        "paspoort-kosten is in the shipped knowledge base: {:?}",
        named.total.top_faq
    );
    let mut expected_json = serde_json::to_value(&named).expect("json");
    let charts = body["charts"].clone();
    let mut served = body.clone();
    if let Some(object) = served.as_object_mut() {
        object.remove("charts");
    }
    // Shares are floats; both sides come from the same integers.
    normalise(&mut expected_json);
    normalise(&mut served);
    assert_eq!(served, expected_json);
    let contacts_svg = charts["contacts"].as_str().expect("contacts chart");
    assert!(contacts_svg.starts_with("<svg"), "{contacts_svg}");
    let busiest = report
        .days
        .iter()
        .max_by_key(|d| d.handed_over)
        .expect("a day");
    assert!(
        contacts_svg.contains(&format!(
            ": {} naar medewerker</title>",
            busiest.handed_over
        )),
        "{contacts_svg}"
    );
    assert!(
        charts["waiting"]
            .as_str()
            .expect("waiting chart")
            .contains("mediaan")
    );
    let editor = login(&app, "eva").await;
    let (status, _) = get(&app, path, &editor).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "editors do not get the report"
    );
    let (status, body) = get(
        &app,
        "/api/report?from=2026-11-24&to=2026-11-19",
        &staff_session,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("begindatum")),
        "{body}"
    );

    // A month later the purge deletes every conversation; the figures stay.
    app.shifted.advance(Duration::days(30));
    let week = std::time::Duration::from_secs(7 * 86400);
    let removed = loket::retention::purge(app.store(), app.clock.as_ref(), &rollup, week, false)
        .await
        .expect("purge");
    assert_eq!(removed.conversations, plan.len() as i64);
    assert_eq!(
        app.store()
            .count(loket::db::CountedTable::Conversations)
            .await
            .expect("count"),
        0
    );
    let after = loket::report::load(app.store(), &rollup, first_day, last_day, app.clock.now())
        .await
        .expect("report after the purge");
    assert_eq!(after, report, "the purge changed no figure");

    // The day tables hold days, channels, metrics, topics and counts: no
    // number, no message text, no conversation id.
    app.stop().await;
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url)
        .await
        .expect("open the database");
    let allowed = [
        "day",
        "channel",
        "contacts",
        "outside_hours",
        "bot_one_go",
        "bot_exchange",
        "handed_over",
        "in_progress",
        "deadline_due",
        "deadline_met",
        "metric",
        "seconds",
        "count",
        "topic",
    ];
    for table in ["report_days", "report_durations", "report_topics"] {
        let columns_sql = if url.starts_with("sqlite:") {
            format!("SELECT name FROM pragma_table_info('{table}')")
        } else {
            format!(
                "SELECT CAST(column_name AS TEXT) FROM information_schema.columns WHERE table_name = '{table}'"
            )
        };
        let columns: Vec<String> = sqlx::query_scalar(&columns_sql)
            .fetch_all(&pool)
            .await
            .expect("columns");
        for column in &columns {
            assert!(allowed.contains(&column.as_str()), "{table}.{column}");
        }
        let dump: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT {} FROM {table}",
            columns
                .iter()
                .map(|c| format!("CAST({c} AS TEXT)"))
                .collect::<Vec<_>>()
                .join(" || '|' || ")
        ))
        .fetch_all(&pool)
        .await
        .expect("rows");
        assert!(!dump.is_empty(), "{table} is filled");
        for row in &dump {
            for citizen in &citizens {
                assert!(!row.contains(citizen.as_str()), "{table}: {row}");
            }
            for text in &texts {
                assert!(!row.contains(text.as_str()), "{table}: {row}");
            }
            assert!(
                !row.contains("anna") && !row.contains("bram"),
                "{table}: {row}"
            );
        }
    }
    pool.close().await;
}
}

/// Rounds floats so that equal shares compare equal after a JSON trip.
fn normalise(value: &mut Value) {
    match value {
        Value::Number(n) if n.is_f64() => {
            let rounded = (n.as_f64().unwrap_or_default() * 1e9).round() / 1e9;
            *value = json!(rounded);
        }
        Value::Array(items) => items.iter_mut().for_each(normalise),
        Value::Object(map) => map.values_mut().for_each(normalise),
        _ => {}
    }
}

struct Session {
    cookie: String,
}

async fn login(app: &TestApp, name: &str) -> Session {
    let response = app
        .http
        .post(app.url("/api/session"))
        .json(&json!({"username": name, "password": PASSWORD}))
        .send()
        .await
        .expect("login request");
    assert_eq!(response.status(), StatusCode::OK, "login of {name}");
    let cookie = session_cookie(&response).expect("session cookie");
    Session { cookie }
}

async fn get(app: &TestApp, path: &str, session: &Session) -> (StatusCode, Value) {
    let response = app
        .http
        .get(app.url(path))
        .header("cookie", &session.cookie)
        .send()
        .await
        .expect("request");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}
