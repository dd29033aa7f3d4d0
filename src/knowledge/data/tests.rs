use super::*;
use crate::domain::Language;
use crate::knowledge::entry::Problem;
use crate::knowledge::entry::Severity;
use chrono::NaiveDate;
use std::path::Path;

fn day(year: i32, month: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, d).expect("valid test date")
}

const BENEFIT: &str = "\
[[payment]]
month = \"2026-11\"
date = \"2026-11-24\"

[[payment]]
month = \"2026-12\"
date = 2026-12-22

[[payment]]
month = \"2027-01\"
date = \"2027-01-22\"
";

fn benefit() -> BenefitCalendar {
    let (calendar, warnings) =
        BenefitCalendar::parse(Path::new("uitkering-betaaldata.toml"), BENEFIT).expect("valid");
    assert!(warnings.is_empty(), "{warnings:?}");
    calendar
}

#[test]
fn the_next_payment_is_the_first_on_or_after_today() {
    let calendar = benefit();
    assert_eq!(calendar.payments().len(), 3);
    let next = calendar.next_payment(day(2026, 11, 25)).expect("december");
    assert_eq!(
        (next.month, next.year, next.date),
        (12, 2026, day(2026, 12, 22))
    );
}

#[test]
fn the_next_payment_crosses_the_year_boundary() {
    let next = benefit().next_payment(day(2026, 12, 23)).expect("january");
    assert_eq!(
        (next.month, next.year, next.date),
        (1, 2027, day(2027, 1, 22))
    );
}

#[test]
fn on_payment_day_the_payment_of_today_is_next() {
    let next = benefit().next_payment(day(2026, 12, 22)).expect("today");
    assert_eq!(next.date, day(2026, 12, 22));
    assert_eq!(next.month, 12);
}

#[test]
fn after_the_last_payment_there_is_none() {
    assert_eq!(benefit().next_payment(day(2027, 1, 23)), None);
}

#[test]
fn the_benefit_sentence_names_month_weekday_and_date() {
    let next = benefit().next_payment(day(2026, 12, 1)).expect("december");
    assert_eq!(
        benefit_sentence(&next, day(2026, 12, 1), Language::Nl),
        "De uitkering over december wordt op dinsdag 22 december betaald."
    );
    assert_eq!(
        benefit_sentence(&next, day(2026, 12, 1), Language::En),
        "The benefit for December will be paid on Tuesday 22 December."
    );
}

#[test]
fn the_benefit_sentence_says_today_on_payment_day_and_tomorrow_the_day_before() {
    let next = benefit().next_payment(day(2026, 12, 22)).expect("december");
    assert_eq!(
        benefit_sentence(&next, day(2026, 12, 22), Language::Nl),
        "De uitkering over december wordt vandaag (dinsdag 22 december) betaald."
    );
    assert_eq!(
        benefit_sentence(&next, day(2026, 12, 22), Language::En),
        "The benefit for December will be paid today (Tuesday 22 December)."
    );
    assert_eq!(
        benefit_sentence(&next, day(2026, 12, 21), Language::Nl),
        "De uitkering over december wordt morgen (dinsdag 22 december) betaald."
    );
}

#[test]
fn a_wrong_month_or_date_in_the_benefit_file_points_at_its_line() {
    let text = BENEFIT
        .replace("month = \"2026-12\"", "month = \"december\"")
        .replace("date = \"2027-01-22\"", "date = \"2027-01-32\"");
    let problems = BenefitCalendar::parse(Path::new("b.toml"), &text).expect_err("two errors");
    let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, vec![6, 11], "{problems:#?}");
    assert!(problems[0].message.contains("\"YYYY-MM\""));
}

#[test]
fn a_month_listed_twice_is_an_error_naming_the_first_line() {
    let text = BENEFIT.replace("month = \"2027-01\"", "month = \"2026-11\"");
    let problems = BenefitCalendar::parse(Path::new("b.toml"), &text).expect_err("duplicate");
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(problems[0].line, 10);
    assert!(
        problems[0].message.contains("also on line 2"),
        "{}",
        problems[0]
    );
}

#[test]
fn a_toml_syntax_error_in_a_data_file_has_its_line() {
    let text = BENEFIT.replace("date = \"2026-11-24\"", "date = \"2026-11-24");
    let problems = BenefitCalendar::parse(Path::new("b.toml"), &text).expect_err("syntax");
    assert_eq!(problems[0].line, 3, "{}", problems[0]);
    let text = BENEFIT.replace("date = \"2026-11-24\"", "datum = \"2026-11-24\"");
    let problems = BenefitCalendar::parse(Path::new("b.toml"), &text).expect_err("unknown");
    assert_eq!(problems[0].line, 3, "{}", problems[0]);
    assert!(problems[0].message.contains("datum"), "{}", problems[0]);
}

/// One area block; line 1 is `[[area]]`, the name is on line 2.
fn area_block(name: &str, postcodes: &str) -> String {
    format!(
        "[[area]]
name = \"{name}\"
postcodes = [{postcodes}]
[area.collection.gft]
weekday = \"tuesday\"
every_weeks = 2
first = \"2026-01-06\"
[area.collection.pmd]
weekday = \"wednesday\"
every_weeks = 4
first = \"2026-01-07\"
[area.collection.papier]
weekday = \"thursday\"
every_weeks = 4
first = 2026-01-15
[area.collection.restafval]
weekday = \"friday\"
every_weeks = 1
first = \"2026-01-09\"
"
    )
}

const SHIFT: &str = "[[shift]]\nfrom = \"2026-12-25\"\nto = \"2026-12-28\"\n";

fn waste_text() -> String {
    format!(
        "{}{}{SHIFT}",
        area_block("Centrum", "\"1231\", \"1232\""),
        area_block("Noord", "\"1240\"")
    )
}

fn waste() -> WasteCalendar {
    let (calendar, warnings) =
        WasteCalendar::parse(Path::new("afvalkalender.toml"), &waste_text()).expect("valid");
    assert!(warnings.is_empty(), "{warnings:?}");
    calendar
}

fn waste_errors(text: &str) -> Vec<Problem> {
    WasteCalendar::parse(Path::new("afvalkalender.toml"), text).expect_err("invalid")
}

#[test]
fn the_next_collection_per_fraction_follows_every_two_and_four_weeks() {
    let calendar = waste();
    let area = calendar.area_for_postcode("1231").expect("Centrum");
    assert_eq!(
        calendar.next_collections(area, day(2026, 1, 7)),
        vec![
            (Fraction::Gft, day(2026, 1, 20)),
            (Fraction::Pmd, day(2026, 1, 7)),
            (Fraction::Papier, day(2026, 1, 15)),
            (Fraction::Restafval, day(2026, 1, 9)),
        ]
    );
    let later = calendar.next_collections(area, day(2026, 1, 8));
    assert_eq!(later[0], (Fraction::Gft, day(2026, 1, 20)));
    assert_eq!(later[1], (Fraction::Pmd, day(2026, 2, 4)));
    assert_eq!(later[2], (Fraction::Papier, day(2026, 1, 15)));
}

#[test]
fn before_the_first_collection_the_first_is_next() {
    let calendar = waste();
    let area = &calendar.areas()[0];
    let next = calendar.next_collections(area, day(2025, 12, 1));
    assert_eq!(next[0], (Fraction::Gft, day(2026, 1, 6)));
}

#[test]
fn a_shifted_collection_moves_to_its_new_date() {
    let calendar = waste();
    let area = &calendar.areas()[1];
    // Friday 25 December is moved to Monday 28 December.
    let rest = |today| {
        calendar
            .next_collections(area, today)
            .into_iter()
            .find(|(f, _)| *f == Fraction::Restafval)
            .map(|(_, date)| date)
    };
    assert_eq!(rest(day(2026, 12, 24)), Some(day(2026, 12, 28)));
    // Also after the original date has passed, the moved one is next.
    assert_eq!(rest(day(2026, 12, 26)), Some(day(2026, 12, 28)));
    assert_eq!(rest(day(2026, 12, 29)), Some(day(2027, 1, 1)));
    assert_eq!(
        calendar.shifts(),
        vec![Shift {
            from: day(2026, 12, 25),
            to: day(2026, 12, 28)
        }]
    );
}

#[test]
fn a_postcode_is_found_with_or_without_letters_and_spaces() {
    let calendar = waste();
    for written in ["1232", "1232AB", "1232 ab", " 1232 Ab ", "1232ab"] {
        let area = calendar.area_for_postcode(written);
        assert_eq!(
            area.map(|a| a.name.as_str()),
            Some("Centrum"),
            "{written:?}"
        );
    }
    assert_eq!(
        calendar
            .area_for_postcode("1240 XY")
            .map(|a| a.name.as_str()),
        Some("Noord")
    );
    for unknown in ["9999", "123", "12345", "1232 A", "1232 ABC", "abcd", ""] {
        assert!(calendar.area_for_postcode(unknown).is_none(), "{unknown:?}");
    }
}

#[test]
fn a_first_date_on_the_wrong_weekday_is_an_error_at_its_line() {
    let text = area_block("Centrum", "\"1231\"")
        .replace("first = \"2026-01-06\"", "first = \"2026-01-05\"");
    let problems = waste_errors(&text);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(problems[0].line, 7);
    assert!(
        problems[0]
            .message
            .contains("2026-01-05 is a Monday, not a Tuesday"),
        "{}",
        problems[0]
    );
}

#[test]
fn every_weeks_outside_one_to_eight_is_an_error_at_its_line() {
    let text = area_block("Centrum", "\"1231\"").replace("every_weeks = 2", "every_weeks = 9");
    let problems = waste_errors(&text);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(problems[0].line, 6);
    assert!(problems[0].message.contains("collection.gft.every_weeks"));
    let text = area_block("Centrum", "\"1231\"").replace("every_weeks = 2", "every_weeks = 0");
    assert_eq!(waste_errors(&text)[0].line, 6);
}

#[test]
fn a_postcode_in_two_areas_is_an_error_naming_both() {
    let text = format!(
        "{}{}",
        area_block("Centrum", "\"1231\""),
        area_block("Noord", "\"1240\", \"1231\"")
    );
    let problems = waste_errors(&text);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(problems[0].line, 22);
    assert!(
        problems[0].message.contains("\"Centrum\" (line 3)"),
        "{}",
        problems[0]
    );
    assert!(problems[0].message.contains("\"Noord\""), "{}", problems[0]);
}

#[test]
fn a_postcode_that_is_not_four_digits_is_an_error() {
    let problems = waste_errors(&area_block("Centrum", "\"1231\", \"1231AB\", \"0123\""));
    let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, vec![3, 3], "{problems:#?}");
}

#[test]
fn a_missing_fraction_is_an_error_at_the_area_name() {
    let text = area_block("Centrum", "\"1231\"").replace(
        "[area.collection.papier]\nweekday = \"thursday\"\nevery_weeks = 4\nfirst = 2026-01-15\n",
        "",
    );
    let problems = waste_errors(&text);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(problems[0].line, 2);
    assert!(problems[0].message.contains("[area.collection.papier]"));
}

#[test]
fn an_unknown_fraction_is_an_error_at_its_line() {
    let text = format!(
        "{}[area.collection.glas]\nweekday = \"monday\"\n",
        area_block("Centrum", "\"1231\"")
    );
    let problems = waste_errors(&text);
    assert_eq!(problems[0].severity, Severity::Error);
    assert!(problems[0].message.contains("glas"), "{}", problems[0]);
    assert_eq!(problems[0].line, 20, "{}", problems[0]);
}

#[test]
fn a_dutch_weekday_name_is_accepted_and_an_unknown_one_is_not() {
    let text = area_block("Centrum", "\"1231\"").replace("\"tuesday\"", "\"Dinsdag\"");
    assert!(WasteCalendar::parse(Path::new("a.toml"), &text).is_ok());
    let text = area_block("Centrum", "\"1231\"").replace("\"tuesday\"", "\"dinsdg\"");
    assert_eq!(waste_errors(&text)[0].line, 5);
}

#[test]
fn the_waste_sentence_lists_each_fraction_with_today_and_tomorrow() {
    let calendar = waste();
    let area = &calendar.areas()[0];
    let today = day(2026, 1, 8);
    let next = vec![
        (Fraction::Gft, day(2026, 1, 8)),
        (Fraction::Pmd, day(2026, 1, 9)),
        (Fraction::Papier, day(2026, 1, 15)),
    ];
    assert_eq!(
        waste_sentence(area, &next, today, Language::Nl),
        "Ophaaldagen voor postcodegebied Centrum:\n- GFT: vandaag (donderdag 8 januari)\n- PMD: morgen (vrijdag 9 januari)\n- Papier: donderdag 15 januari"
    );
    assert_eq!(
        waste_sentence(area, &next, today, Language::En),
        "Collection days for postcode area Centrum:\n- Organic waste (GFT): today (Thursday 8 January)\n- Plastic, metal and drink cartons (PMD): tomorrow (Friday 9 January)\n- Paper: Thursday 15 January"
    );
    assert!(waste_sentence(area, &[], today, Language::Nl).contains("nog geen ophaaldagen"));
}

#[test]
fn fraction_names_in_both_languages() {
    assert_eq!(Fraction::Restafval.dutch_name(), "Restafval");
    assert_eq!(Fraction::Restafval.english_name(), "Residual waste");
    assert_eq!(Fraction::Papier.name(Language::En), "Paper");
}

#[test]
fn a_postcode_with_letters_is_extracted_and_normalised() {
    assert_eq!(
        extract_postcode("mijn postcode is 1234AB"),
        Some("1234AB".into())
    );
    assert_eq!(
        extract_postcode("1234 ab, wanneer gft?"),
        Some("1234AB".into())
    );
    assert_eq!(extract_postcode("postcode:1234ab."), Some("1234AB".into()));
    assert_eq!(
        extract_postcode("Ik woon in 2026 AB"),
        Some("2026AB".into())
    );
}

#[test]
fn a_bare_four_digit_postcode_is_extracted() {
    assert_eq!(
        extract_postcode("wanneer komt de gft in 1231?"),
        Some("1231".into())
    );
    assert_eq!(extract_postcode("1231"), Some("1231".into()));
    assert_eq!(extract_postcode("1234 en 5678"), Some("1234".into()));
}

#[test]
fn a_year_is_not_a_postcode() {
    assert_eq!(extract_postcode("wanneer wordt in 2026 betaald?"), None);
    assert_eq!(extract_postcode("in 2026 op vakantie"), None);
    assert_eq!(
        extract_postcode("ophaaldagen 2027, postcode 1231"),
        Some("1231".into())
    );
}

#[test]
fn part_of_a_longer_number_is_not_a_postcode() {
    for text in [
        "bel 06-12345678",
        "bel 06 1234 5678",
        "rekening 12345",
        "bedrag 1.234,50",
        "0123 AB",
        "zaak A1234",
        "1234abc",
        "123",
    ] {
        assert_eq!(extract_postcode(text), None, "{text:?}");
    }
}
