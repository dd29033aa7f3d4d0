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
