//! The reports page's own routes over real HTTP: the CSV download equals
//! `loket report --csv` for the same range on the same database, and the
//! "nu" panel's figures for a seeded queue.

use crate::helpers::*;
use crate::queue::{Session, add_user, get, login, post, wamid};
use crate::signals::sessions_and_threads;
use loket::accounts::Role;
use loket::cli::report::{ReportArgs, output};
use loket_testkit::payload::text_message;
use reqwest::StatusCode;
use serde_json::json;

/// The page's CSV link, fetched as the browser does (the session cookie).
async fn page_csv(app: &TestApp, session: &Session, query: &str) -> reqwest::Response {
    app.http
        .get(app.url(&format!("/api/report/csv?{query}")))
        .header("cookie", &session.cookie)
        .send()
        .await
        .expect("csv request")
}

/// A column of the CSV line whose first cell is `kind`, by the header's name.
fn column<'a>(csv: &'a str, kind: &str, name: &str) -> &'a str {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let index = header
        .iter()
        .position(|h| *h == name)
        .unwrap_or_else(|| panic!("no column {name}: {header:?}"));
    let line = lines
        .find(|l| l.starts_with(&format!("{kind},")))
        .unwrap_or_else(|| panic!("no {kind} line: {csv}"));
    // The last columns may be quoted; the ones read here come before them.
    line.split(',').nth(index).expect("the column")
}

on_both_databases! {
#[tokio::test]
async fn the_pages_csv_is_byte_for_byte_loket_report_csv_for_the_same_range() {
    // Two WhatsApp threads for a person (one claimed and answered), a web
    // chat for a person, and a question the bot answers from the
    // knowledge base.
    let (app, sessions, threads) =
        sessions_and_threads(&["anna"], &["31600000011", "31600000012"]).await;
    let anna = &sessions[0];
    let base = format!("/api/conversations/{}", threads[0]);
    let (status, body) = post(&app, &format!("{base}/claim"), anna, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = post(&app, &format!("{base}/reply"), anna, json!({"text": "Ik kijk ernaar."})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let chat = crate::webchat::start_chat(&app).await;
    crate::webchat::say(&app, &chat, "Ik wil graag een medewerker spreken").await;
    let at = app.clock.now().timestamp();
    let question = text_message("31600000013", &wamid(), "Wat kost een paspoort?", at);
    assert_eq!(app.post_webhook(&question).await.status(), StatusCode::OK);
    app.wait_until_processed().await;
    app.eventually("the web chat is queued", || {
        let store = app.store().clone();
        async move {
            store.queue().await.is_ok_and(|queue| {
                queue.iter().any(|t| t.channel == loket::domain::Channel::Web)
            })
        }
    })
    .await;

    // Tuesday 24 November 2026 and the day before: the page's link.
    let (from, to) = ("2026-11-23", "2026-11-24");
    let response = page_csv(&app, anna, &format!("from={from}&to={to}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = format!("{:?}", response.headers());
    assert!(headers.contains("\"content-type\": \"text/csv"), "{headers}");
    let attachment = format!("attachment; filename=\\\"loket-rapportage-{from}-{to}.csv\\\"");
    assert!(headers.contains(&attachment), "{attachment} in {headers}");
    let page = response.bytes().await.expect("body");

    // `loket report --csv --from .. --to ..` on the same database and config.
    let args = ReportArgs {
        from: Some(from.to_owned()),
        to: Some(to.to_owned()),
        json: false,
        csv: true,
    };
    let cli = output(&args, &app.settings, app.clock.now()).await.expect("loket report");
    assert_eq!(
        std::str::from_utf8(&page).expect("utf-8"),
        cli,
        "the page's CSV and the command's differ"
    );

    // And it holds what was seeded: the channels apart, the answer by title.
    let page = std::str::from_utf8(&page).expect("utf-8");
    assert_eq!(column(page, "total", "contacts"), "4", "{page}");
    assert_eq!(column(page, "total", "whatsapp"), "3", "{page}");
    assert_eq!(column(page, "total", "web"), "1", "{page}");
    assert_eq!(column(page, "total", "handed_over"), "3", "{page}");
    assert_eq!(column(page, "day,2026-11-23", "contacts"), "0", "{page}");
    let total = page.lines().find(|l| l.starts_with("total,")).expect("total line");
    let knowledge = loket::knowledge::load_dir(&app.settings.knowledge_dir);
    // No thread was closed, so no topic (quoted, with commas) comes first.
    let answered = column(page, "total", "top_faq")
        .split(':')
        .next()
        .filter(|id| !id.is_empty())
        .expect("an answer was given");
    let title = knowledge
        .entries
        .iter()
        .find(|e| e.id.as_str() == answered && e.lang == loket::domain::Language::Nl)
        .map(|e| e.title.clone())
        .expect("the answer is in the knowledge base");
    assert!(total.contains(&title), "{answered}: {title} not in {total}");

    // Editors do not get it; a reversed range says which way round.
    add_user(&app, "eva", Role::Editor).await;
    let eva = login(&app, "eva").await;
    let response = page_csv(&app, &eva, &format!("from={from}&to={to}")).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = page_csv(&app, anna, &format!("from={to}&to={from}")).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}
}

on_both_databases! {
#[tokio::test]
async fn the_nu_panel_counts_the_waiting_the_oldest_wait_and_each_colleagues_threads() {
    let citizens = ["31600000021", "31600000022", "31600000023"];
    let (app, sessions, threads) = sessions_and_threads(&["anna", "bram"], &citizens).await;
    let anna = &sessions[0];
    for id in &threads[..2] {
        let (status, body) = post(&app, &format!("/api/conversations/{id}/claim"), anna, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    add_user(&app, "eva", Role::Editor).await;
    let eva = login(&app, "eva").await;
    // Ten minutes on: the third thread has waited that long, and only who
    // used Loket in the last two minutes is online.
    app.shifted.advance(chrono::Duration::minutes(10));
    let (status, now) = get(&app, "/api/report/now", anna).await;
    assert_eq!(status, StatusCode::OK, "{now}");
    assert_eq!(now["waiting"], 1, "{now}");
    assert_eq!(now["waiting_urgent"], 0, "{now}");
    let oldest = now["oldest_wait_secs"].as_i64().expect("a wait");
    assert!((600..660).contains(&oldest), "{now}");
    assert_eq!(now["online"], 1, "anna asked, bram was quiet: {now}");
    let loads: Vec<(String, bool, i64)> = now["colleagues"]
        .as_array()
        .expect("colleagues")
        .iter()
        .map(|c| {
            (
                c["username"].as_str().unwrap_or_default().to_owned(),
                c["online"].as_bool().unwrap_or_default(),
                c["open_threads"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    assert_eq!(
        loads,
        [("anna".to_owned(), true, 2), ("bram".to_owned(), false, 0)],
        "an editor holds no threads: {now}"
    );
    let text = now.to_string();
    for citizen in citizens {
        assert!(!text.contains(&citizen[citizen.len() - 6..]), "a citizen in {text}");
    }
    // Bram opens his queue: online now.
    let (status, _) = get(&app, "/api/queue", &sessions[1]).await;
    assert_eq!(status, StatusCode::OK);
    let (_, now) = get(&app, "/api/report/now", anna).await;
    assert_eq!(now["online"], 2, "{now}");
    // Anna closes one: one thread fewer for her, still one waiting.
    let (status, body) = post(
        &app,
        &format!("/api/conversations/{}/close", threads[0]),
        anna,
        json!({"topic": "Afval"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, now) = get(&app, "/api/report/now", anna).await;
    assert_eq!(now["colleagues"][0]["open_threads"], 1, "{now}");
    assert_eq!(now["waiting"], 1, "{now}");
    // Editors may not see it.
    let (status, _) = get(&app, "/api/report/now", &eva).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
}
