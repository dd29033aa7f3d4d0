//! Knowledge gaps: refused questions and answers that got "Nee" are kept,
//! masked, for editors.

use crate::helpers::*;
use loket_testkit::payload::text_message;

on_both_databases! {
#[tokio::test]
async fn refused_questions_and_answers_that_did_not_help_become_masked_gaps() {
    let app = spawn_app_at(tuesday_morning()).await;
    let at = app.clock.now().timestamp();
    app.post_webhook(&text_message(
        "31600000001",
        "wamid.GAP1",
        "Wat vinden jullie van de nieuwe kermis? mijn bsn is 111222333",
        at,
    ))
    .await;
    app.post_webhook(&text_message(
        "31600000002",
        "wamid.GAP2",
        "hoeveel kost een paspoort",
        at,
    ))
    .await;
    app.wait_until_processed().await;
    app.post_webhook(&text_message("31600000002", "wamid.GAP3", "nee", at + 5))
        .await;
    app.wait_until_processed().await;
    // An answered question that helped is no gap.
    app.post_webhook(&text_message(
        "31600000003",
        "wamid.GAP4",
        "hoeveel kost een paspoort",
        at,
    ))
    .await;
    app.wait_until_processed().await;

    let gaps = app
        .store()
        .gaps(app.clock.now() - chrono::Duration::hours(1))
        .await
        .expect("gaps");
    assert_eq!(gaps.len(), 2, "{gaps:#?}");
    let refused = gaps
        .iter()
        .find(|g| g.reason == "abstained")
        .expect("refused question");
    assert!(refused.question.contains("kermis"));
    assert!(refused.question.contains("[BSN]") && !refused.question.contains("111222333"));
    let unhelpful = gaps
        .iter()
        .find(|g| g.reason == "feedback_no")
        .expect("feedback no");
    assert_eq!(unhelpful.question, "hoeveel kost een paspoort");
    assert_eq!(unhelpful.nearest_faq.as_deref(), Some("paspoort-kosten"));
}
}

/// The kermis group in a gaps listing, if listed.
fn kermis(listing: &serde_json::Value) -> Option<serde_json::Value> {
    listing["groups"]
        .as_array()?
        .iter()
        .find(|g| g["examples"].to_string().contains("kermis"))
        .cloned()
}

/// A citizen asks something the bot has no answer for; waits until it is
/// recorded as the `n`-th unanswered question.
async fn ask_unanswerable(app: &TestApp, from: &str, wamid: &str, text: &str, n: usize) {
    let at = app.clock.now().timestamp();
    app.post_webhook(&text_message(from, wamid, text, at)).await;
    app.wait_until_processed().await;
    let since = app.clock.now() - chrono::Duration::hours(1);
    app.eventually("the question recorded as a gap", || async {
        app.store()
            .gaps(since)
            .await
            .is_ok_and(|gaps| gaps.len() == n)
    })
    .await;
}

on_both_databases! {
#[tokio::test]
async fn an_editor_marks_a_group_handled_a_new_wording_reopens_it_and_undo_opens_it() {
    use crate::queue::{Session, add_user, call, get, login, post};
    use loket::accounts::Role;
    use reqwest::StatusCode;
    use serde_json::json;

    let app = spawn_app_at(tuesday_morning()).await;
    ask_unanswerable(&app, "31600000041", "wamid.HND1", "Wat vinden jullie van de nieuwe kermis?", 1).await;
    ask_unanswerable(&app, "31600000042", "wamid.HND2", "wat vinden jullie nou van de nieuwe kermis", 2).await;
    add_user(&app, "eva", Role::Editor).await;
    add_user(&app, "anna", Role::Staff).await;
    let eva = login(&app, "eva").await;
    let anna = login(&app, "anna").await;

    let (status, listing) = get(&app, "/api/knowledge/gaps", &eva).await;
    assert_eq!(status, StatusCode::OK, "{listing}");
    let group = kermis(&listing).expect("the kermis group");
    assert_eq!((group["count"].clone(), group["state"].clone()), (json!(2), json!("open")), "{group}");
    let ids = group["question_ids"].clone();
    assert_eq!(ids.as_array().map(Vec::len), Some(2), "{group}");

    // Only editors and admins, and only with the CSRF token.
    let mark = |handled: bool| json!({"questions": ids.clone(), "handled": handled});
    let (status, _) = post(&app, "/api/knowledge/gaps/handled", &anna, mark(true)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let no_token = Session { cookie: eva.cookie.clone(), csrf: "wrong".to_owned() };
    let (status, body) = post(&app, "/api/knowledge/gaps/handled", &no_token, mark(true)).await;
    assert_eq!((status, body["error"].clone()), (StatusCode::FORBIDDEN, json!("csrf")));
    let (status, body) = post(&app, "/api/knowledge/gaps/handled", &eva, json!({"questions": [], "handled": true})).await;
    assert_eq!((status, body["field"].clone()), (StatusCode::BAD_REQUEST, json!("questions")), "{body}");
    let (status, body) = post(&app, "/api/knowledge/gaps/handled", &eva, json!({"questions": [987654321], "handled": true})).await;
    assert_eq!((status, body["error"].clone()), (StatusCode::NOT_FOUND, json!("not_found")), "{body}");

    let (status, body) = post(&app, "/api/knowledge/gaps/handled", &eva, mark(true)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["changed"], 2);
    // Who and when, on each question of the group.
    let since = app.clock.now() - chrono::Duration::hours(1);
    let stored = app.store().stored_gaps(since).await.expect("gaps");
    for gap in &stored {
        let handled = gap.handled.as_ref().expect("marked");
        assert_eq!(handled.by, "eva");
        assert!((handled.at - app.clock.now()).num_seconds().abs() <= 5, "{handled:?}");
    }
    let (_, listing) = get(&app, "/api/knowledge/gaps", &eva).await;
    let group = kermis(&listing).expect("still listed by default");
    assert_eq!(group["state"], "handled", "{group}");
    assert_eq!(group["handled"]["by"], "eva");
    // The filter: handled groups leave the open list.
    let (_, open) = get(&app, "/api/knowledge/gaps?state=open", &eva).await;
    assert!(kermis(&open).is_none(), "{open}");
    let (_, handled) = get(&app, "/api/knowledge/gaps?state=handled", &eva).await;
    assert!(kermis(&handled).is_some(), "{handled}");
    let (status, _) = get(&app, "/api/knowledge/gaps?state=klaar", &eva).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Audited, with the number of questions only.
    let log = app.store().audit_log(None, 20).await.expect("audit log");
    let entry = log.iter().find(|e| e.action == "gaps_handled").expect("audited");
    assert_eq!(entry.actor, "staff:eva");
    assert!(entry.detail.as_deref().is_some_and(|d| !d.contains("kermis")), "{entry:?}");

    // Asked again in other words, after the mark: open again, as new.
    ask_unanswerable(&app, "31600000043", "wamid.HND3", "wat vinden jullie eigenlijk van de nieuwe kermis", 3).await;
    let (_, open) = get(&app, "/api/knowledge/gaps?state=open", &eva).await;
    let group = kermis(&open).expect("reopened");
    assert_eq!(group["state"], "reopened", "{group}");
    assert_eq!(group["count"], 3);
    assert_eq!(group["new_since_handled"], 1);
    assert_eq!(group["handled"]["by"], "eva", "the earlier mark is still shown");

    // Undo: the marks are gone and the group is open.
    let ids = group["question_ids"].clone();
    let (status, body) = post(&app, "/api/knowledge/gaps/handled", &eva, json!({"questions": ids, "handled": false})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let stored = app.store().stored_gaps(since).await.expect("gaps");
    assert!(stored.iter().all(|g| g.handled.is_none()), "{stored:?}");
    let (_, listing) = call(&app, reqwest::Method::GET, "/api/knowledge/gaps", Some(&eva), None).await;
    let group = kermis(&listing).expect("listed");
    assert_eq!((group["state"].clone(), group["handled"].clone()), (json!("open"), json!(null)));
    let log = app.store().audit_log(None, 20).await.expect("audit log");
    assert!(log.iter().any(|e| e.action == "gaps_reopened" && e.actor == "staff:eva"));
}
}
