//! The grouping rule on phrases of our own (none from the eval sets), and
//! the handled state of a group.

use super::*;
use crate::knowledge::base::KnowledgeBase;
use chrono::TimeZone;
use std::path::Path;
use std::sync::OnceLock;

fn knowledge() -> &'static KnowledgeBase {
    static BASE: OnceLock<KnowledgeBase> = OnceLock::new();
    BASE.get_or_init(|| {
        KnowledgeBase::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge"))
            .expect("knowledge base loads")
    })
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 1).expect("a date")
}

fn minute(n: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0)
        .single()
        .expect("a moment")
        + chrono::Duration::minutes(n)
}

/// Stored questions in this order (ids 1, 2, ...), a minute apart.
fn stored(questions: &[(&str, Language)]) -> Vec<StoredGap> {
    questions
        .iter()
        .enumerate()
        .map(|(i, (question, language))| StoredGap {
            id: i as i64 + 1,
            gap: Gap {
                conversation_id: None,
                at: minute(i as i64),
                reason: "abstained".to_owned(),
                language: *language,
                question: (*question).to_owned(),
                nearest_faq: Some("afval-ophaaldagen".to_owned()),
                nearest_score: Some(0.1),
            },
            handled: None,
        })
        .collect()
}

/// The groups as sorted sets of their wordings.
fn wordings(groups: &[GapGroup]) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = groups
        .iter()
        .map(|g| {
            let mut e = g.examples.clone();
            e.sort();
            e
        })
        .collect();
    out.sort();
    out
}

fn same(a: &str, b: &str, language: Language) -> bool {
    let k = knowledge();
    View::new(a, language, k, day())
        .same_question(&View::new(b, language, k, day()))
        .is_some()
}

#[test]
fn paraphrases_group_together_and_unrelated_questions_stay_apart() {
    let gaps = stored(&[
        ("wanneer worden de kerstbomen opgehaald", Language::Nl),
        ("kerstboom ophalen wanneer", Language::Nl),
        ("Wanneer halen jullie de kerstbomen op?", Language::Nl),
        ("is het zwembad open op zondag", Language::Nl),
        ("zwembad zondag open?", Language::Nl),
        ("mag ik vuurwerk afsteken op oudejaarsavond", Language::Nl),
    ]);
    let groups = group(&gaps, knowledge(), day());
    let sizes: Vec<usize> = groups.iter().map(|g| g.count).collect();
    assert_eq!(sizes, vec![3, 2, 1], "{groups:#?}");
    assert!(
        groups[0]
            .examples
            .iter()
            .all(|e| e.to_lowercase().contains("kerstbo"))
    );
    assert!(groups[1].examples.iter().all(|e| e.contains("zwembad")));
    assert_eq!(groups[0].nearest_faq.as_deref(), Some("afval-ophaaldagen"));
    assert_eq!(groups[0].abstained, 3);
}

#[test]
fn two_wordings_of_one_question_group_and_different_subjects_do_not() {
    // Each pair of wordings must become one group; every other question
    // shares a word with one of them and must stay on its own.
    let nl = Language::Nl;
    let en = Language::En;
    let gaps = stored(&[
        ("kan ik mijn fiets laten graveren bij jullie", nl),
        ("mijn fiets is gestolen wat nu", nl),
        ("fiets graveren waar kan dat", nl),
        ("waar kan ik een rolstoel lenen voor een dag", nl),
        ("waar kan ik een boormachine lenen", nl),
        ("rolstoel lenen", nl),
        ("paspoort verlengen", nl),
        ("rijbewijs verlengen", nl),
        ("wordt er deze week gestrooid bij gladheid", nl),
        ("strooien de gladheid in mijn straat", nl),
        ("Wanneer gaat de ijsbaan op het Marktplein open?", nl),
        ("hoe laat is de weekmarkt op het marktplein", nl),
        ("ijsbaan marktplein openingstijden", nl),
        ("when does the ice rink open", en),
        ("when does the library open", en),
        ("ice rink opening hours", en),
    ]);
    let groups = group(&gaps, knowledge(), day());
    let mut expected: Vec<Vec<String>> = [
        vec![
            "fiets graveren waar kan dat",
            "kan ik mijn fiets laten graveren bij jullie",
        ],
        vec!["mijn fiets is gestolen wat nu"],
        vec![
            "rolstoel lenen",
            "waar kan ik een rolstoel lenen voor een dag",
        ],
        vec!["waar kan ik een boormachine lenen"],
        vec!["paspoort verlengen"],
        vec!["rijbewijs verlengen"],
        vec![
            "strooien de gladheid in mijn straat",
            "wordt er deze week gestrooid bij gladheid",
        ],
        vec![
            "Wanneer gaat de ijsbaan op het Marktplein open?",
            "ijsbaan marktplein openingstijden",
        ],
        vec!["hoe laat is de weekmarkt op het marktplein"],
        vec!["ice rink opening hours", "when does the ice rink open"],
        vec!["when does the library open"],
    ]
    .iter()
    .map(|g| g.iter().map(|s| (*s).to_owned()).collect())
    .collect();
    expected.sort();
    assert_eq!(wordings(&groups), expected, "{groups:#?}");
    let english = groups
        .iter()
        .find(|g| g.examples.contains(&"ice rink opening hours".to_owned()))
        .expect("the ice rink group");
    assert_eq!(english.language, Language::En);
}

#[test]
fn the_phrases_in_the_editors_guide_behave_as_it_says() {
    // docs/editors.md, "The kennisbank page".
    assert!(same(
        "waar kan ik een rolstoel lenen voor een dag",
        "rolstoel lenen",
        Language::Nl
    ));
    assert!(!same(
        "paspoort verlengen",
        "rijbewijs verlengen",
        Language::Nl
    ));
    // The same words in two languages are two questions.
    let k = knowledge();
    assert!(
        View::new("rolstoel lenen", Language::Nl, k, day())
            .same_question(&View::new("rolstoel lenen", Language::En, k, day()))
            .is_none()
    );
}

#[test]
fn a_question_with_no_word_the_classifier_keeps_matches_only_itself() {
    assert!(same("👍", "👍", Language::Nl));
    assert!(!same("👍", "🙏", Language::Nl));
}

#[test]
fn a_group_shows_the_entries_the_triage_ranks_first() {
    let gaps = stored(&[
        ("waar kan ik een rolstoel lenen voor een dag", Language::Nl),
        ("rolstoel lenen", Language::Nl),
    ]);
    let groups = group(&gaps, knowledge(), day());
    assert_eq!(groups.len(), 1, "{groups:#?}");
    let nearest = &groups[0].nearest;
    assert!(!nearest.is_empty() && nearest.len() <= 3, "{nearest:?}");
    // What the triage itself ranks first for the newest wording.
    let (hits, _) = knowledge().classify("rolstoel lenen", Language::Nl, day());
    assert_eq!(nearest[0].id, hits[0].id.as_str(), "{nearest:?}");
    assert!(!nearest[0].title.is_empty());
    assert!(nearest.windows(2).all(|w| w[0].score >= w[1].score));
    assert!(nearest[0].score > 0.5, "{nearest:?}");
    assert_eq!(groups[0].question_ids, vec![2, 1], "newest first");
    assert_eq!(groups[0].key, 1);
}

fn mark(gap: &mut StoredGap, by: &str, at: i64) {
    gap.handled = Some(Handled {
        by: by.to_owned(),
        at: minute(at),
    });
}

#[test]
fn a_group_is_handled_until_it_is_asked_again() {
    let questions = [
        ("waar kan ik een rolstoel lenen voor een dag", Language::Nl),
        ("rolstoel lenen", Language::Nl),
        ("rolstoel lenen voor een dag", Language::Nl),
    ];
    let mut gaps = stored(&questions[..2]);
    let open = group(&gaps, knowledge(), day());
    assert_eq!(
        (open[0].state, open[0].handled.clone()),
        (GroupState::Open, None)
    );

    for gap in &mut gaps {
        mark(gap, "eva", 10);
    }
    let handled = group(&gaps, knowledge(), day());
    assert_eq!(handled.len(), 1);
    assert_eq!(handled[0].state, GroupState::Handled);
    assert_eq!(
        handled[0].handled,
        Some(Handled {
            by: "eva".to_owned(),
            at: minute(10)
        })
    );
    assert_eq!(handled[0].new_since_handled, 0);

    // Asked again after the mark: reopened, with the mark still shown.
    let mut later = stored(&questions);
    later[0].handled = gaps[0].handled.clone();
    later[1].handled = gaps[1].handled.clone();
    let reopened = group(&later, knowledge(), day());
    assert_eq!(reopened.len(), 1, "{reopened:#?}");
    assert_eq!(reopened[0].state, GroupState::Reopened);
    assert_eq!(reopened[0].new_since_handled, 1);
    assert_eq!(
        reopened[0].handled.as_ref().map(|h| h.by.as_str()),
        Some("eva")
    );

    // A question older than the mark that was not marked (outside the
    // period the editor looked at) does not reopen it.
    let mut older = stored(&questions);
    mark(&mut older[1], "eva", 10);
    mark(&mut older[2], "eva", 10);
    assert_eq!(
        group(&older, knowledge(), day())[0].state,
        GroupState::Handled
    );
}
