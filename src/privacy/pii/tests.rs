//! Detection against valid and invalid numbers. Every BSN, IBAN, phone
//! number and address here is fictional or a published example.

use super::*;
use proptest::prelude::*;

fn kinds(text: &str) -> Vec<(PiiKind, String)> {
    find(text)
        .into_iter()
        .map(|f| (f.kind, f.text(text).to_owned()))
        .collect()
}

fn only(text: &str, kind: PiiKind, found: &str) {
    assert_eq!(kinds(text), vec![(kind, found.to_owned())], "in {text:?}");
}

fn nothing(text: &str) {
    assert_eq!(kinds(text), vec![], "in {text:?}");
}

// ---------------------------------------------------------------- BSN

#[test]
fn valid_bsns_are_found_however_they_are_written() {
    only("mijn bsn is 111222333", PiiKind::Bsn, "111222333");
    only("123456782", PiiKind::Bsn, "123456782");
    only("BSN: 1112.22.333.", PiiKind::Bsn, "1112.22.333");
    only("nummer 1234 56 782 toch?", PiiKind::Bsn, "1234 56 782");
    only("111 222 333", PiiKind::Bsn, "111 222 333");
    only("(111-222-333)", PiiKind::Bsn, "111-222-333");
}

#[test]
fn a_changed_digit_fails_the_eleven_test() {
    for bsn in [
        "111222334",
        "111222323",
        "123456783",
        "223456782",
        "1112.22.334",
    ] {
        nothing(&format!("mijn bsn is {bsn}"));
    }
}

#[test]
fn the_eleven_test() {
    assert!(passes_eleven_test(&[1, 1, 1, 2, 2, 2, 3, 3, 3]));
    assert!(passes_eleven_test(&[1, 2, 3, 4, 5, 6, 7, 8, 2]));
    assert!(!passes_eleven_test(&[1, 2, 3, 4, 5, 6, 7, 8, 3]));
    assert!(!passes_eleven_test(&[0; 9]), "all zeros is no BSN");
    assert!(!passes_eleven_test(&[1, 2, 3]));
}

#[test]
fn an_eight_digit_bsn_counts_only_when_the_text_says_bsn() {
    // 012345672 passes the 11-proef; written without its leading zero.
    assert!(passes_eleven_test(&[0, 1, 2, 3, 4, 5, 6, 7, 2]));
    only("mijn BSN is 12345672", PiiKind::Bsn, "12345672");
    only("burgerservicenummer 12345672", PiiKind::Bsn, "12345672");
    nothing("ordernummer 12345672");
    nothing("kvk 12345672");
    // The nine-digit form with the zero is found without the word.
    only("012345672", PiiKind::Bsn, "012345672");
}

#[test]
fn a_bsn_inside_a_longer_number_or_word_is_not_one() {
    nothing("1111222333");
    nothing("x111222333");
    nothing("111222333x");
    nothing("1.111.222.333");
    nothing("111222333,00");
    nothing("111 222 333 444");
}

#[test]
fn amounts_are_not_bsns() {
    nothing("het kost € 111.222.333");
    nothing("EUR 111222333");
    nothing("111.222.333 euro");
    nothing("111.222.333,- per jaar");
}

// ---------------------------------------------------------------- IBAN

#[test]
fn published_example_ibans_are_found() {
    only("NL91ABNA0417164300", PiiKind::Iban, "NL91ABNA0417164300");
    only(
        "rekening GB82WEST12345698765432 graag",
        PiiKind::Iban,
        "GB82WEST12345698765432",
    );
    only(
        "DE89370400440532013000",
        PiiKind::Iban,
        "DE89370400440532013000",
    );
}

#[test]
fn ibans_are_found_with_spaces_and_in_any_case() {
    only(
        "iban NL91 ABNA 0417 1643 00 graag",
        PiiKind::Iban,
        "NL91 ABNA 0417 1643 00",
    );
    only("nl91abna0417164300", PiiKind::Iban, "nl91abna0417164300");
    only(
        "de89 3704 0044 0532 0130 00.",
        PiiKind::Iban,
        "de89 3704 0044 0532 0130 00",
    );
}

#[test]
fn a_changed_digit_makes_an_iban_invalid() {
    for iban in [
        "NL91ABNA0417164301",
        "NL92ABNA0417164300",
        "GB82WEST12345698765433",
        "DE89370400440532013001",
        "NL91 ABNA 0417 1643 01",
    ] {
        assert!(
            !kinds(iban).iter().any(|(k, _)| *k == PiiKind::Iban),
            "{iban}: {:?}",
            kinds(iban)
        );
    }
}

#[test]
fn an_iban_of_the_wrong_length_for_its_country_is_not_one() {
    // Dutch IBANs are 18 characters; this one has a digit too many.
    nothing("NL91ABNA04171643001");
    nothing("XX91ABNA0417164300");
    nothing("aNL91ABNA0417164300");
}

// ---------------------------------------------------------------- e-mail

#[test]
fn e_mail_addresses_are_found() {
    only(
        "mail me op jan.jansen@example.nl.",
        PiiKind::Email,
        "jan.jansen@example.nl",
    );
    only(
        "(j.de-vries+gemeente@voorbeeldstad.nl)",
        PiiKind::Email,
        "j.de-vries+gemeente@voorbeeldstad.nl",
    );
    nothing("hoi @gemeente, wat is jullie e-mail?");
}

// ---------------------------------------------------------------- phone

#[test]
fn dutch_mobile_numbers_are_found_in_every_usual_form() {
    for number in [
        "0612345678",
        "06-12345678",
        "06 12345678",
        "06 1234 5678",
        "06 12 34 56 78",
        "+31612345678",
        "+31 6 12345678",
        "+31 (0)6 12345678",
        "0031 6 1234 5678",
        "0031612345678",
    ] {
        only(&format!("bel me op {number}."), PiiKind::Phone, number);
    }
}

#[test]
fn landlines_and_foreign_numbers_are_found() {
    only("010-1234567", PiiKind::Phone, "010-1234567");
    only("tel. 0591 123456", PiiKind::Phone, "0591 123456");
    only("(010) 123 45 67", PiiKind::Phone, "010) 123 45 67");
    only("+44 20 7946 0958", PiiKind::Phone, "+44 20 7946 0958");
    only("+32 470 12 34 56", PiiKind::Phone, "+32 470 12 34 56");
}

#[test]
fn numbers_that_are_not_phone_numbers_are_left_alone() {
    for text in [
        "afspraak op 21-11-2026 om 10:00",
        "2026-11-21 10:15",
        "postcode 1234 AB",
        "1234AB 12",
        "het kost € 12,50 of 1.234,56",
        "bel 112 of 0800-0113",
        "06123",
        "061234567",
        "06123456789",
        "+31 6 1234",
        "wamid.HBgLMzE2MTIzNDU2NzgVAgA",
    ] {
        nothing(text);
    }
}

#[test]
fn a_spaced_iban_is_not_also_a_landline() {
    // "0417 1643 00" alone would be a ten-digit number starting with 0.
    only(
        "NL91 ABNA 0417 1643 00",
        PiiKind::Iban,
        "NL91 ABNA 0417 1643 00",
    );
}

// ---------------------------------------------------------------- mask

#[test]
fn mask_replaces_each_item_with_its_label_and_keeps_the_rest() {
    let text = "Hoi, bsn 111222333, iban NL91ABNA0417164300, mail jan@example.nl, bel 06-12345678. Postcode 1234 AB.";
    assert_eq!(
        mask(text),
        "Hoi, bsn [BSN], iban [IBAN], mail [e-mail], bel [telefoon]. Postcode 1234 AB."
    );
    assert_eq!(mask("niets bijzonders"), "niets bijzonders");
    assert_eq!(mask(""), "");
}

#[test]
fn findings_come_in_order() {
    let text = "06-12345678 en 111222333";
    let found = find(text);
    assert_eq!(found.len(), 2);
    assert!(found[0].span.end <= found[1].span.start);
    assert_eq!(found[0].kind, PiiKind::Phone);
    assert!(contains_personal_data(text));
    assert!(!contains_personal_data("wanneer wordt het gft opgehaald?"));
}

// ---------------------------------------------------------------- properties

/// A random valid BSN: eight digits and the check digit that makes the
/// 11-proef pass (skipping the rare case where it would have to be 10).
fn bsn() -> impl Strategy<Value = String> {
    proptest::collection::vec(0u8..10, 8).prop_filter_map("check digit would be 10", |first| {
        let sum: i64 = first
            .iter()
            .zip([9i64, 8, 7, 6, 5, 4, 3, 2])
            .map(|(d, w)| i64::from(*d) * w)
            .sum();
        let check = sum % 11;
        // Leading zeros are a different (eight-digit) story.
        if check == 10 || sum == 0 || first.first() == Some(&0) {
            return None;
        }
        let mut digits: Vec<u8> = first;
        digits.push(u8::try_from(check).ok()?);
        Some(digits.iter().map(|d| char::from(b'0' + d)).collect())
    })
}

fn phone() -> impl Strategy<Value = String> {
    (
        proptest::sample::select(vec!["06-", "06 ", "+316", "0031 6 ", "010-"]),
        0u32..10_000_000,
    )
        .prop_map(|(prefix, n)| {
            if prefix == "010-" {
                format!("{prefix}{:07}", n)
            } else {
                format!("{prefix}{:08}", n * 10 + 1)
            }
        })
}

fn item() -> impl Strategy<Value = (PiiKind, String)> {
    prop_oneof![
        bsn().prop_map(|b| (PiiKind::Bsn, b)),
        phone().prop_map(|p| (PiiKind::Phone, p)),
        proptest::sample::select(vec![
            "NL91ABNA0417164300",
            "GB82 WEST 1234 5698 7654 32",
            "de89370400440532013000"
        ])
        .prop_map(|i| (PiiKind::Iban, i.to_owned())),
        "[a-z]{1,8}\\.?[a-z]{1,8}@(example|voorbeeldstad)\\.nl".prop_map(|e| (PiiKind::Email, e)),
    ]
}

/// Words and numbers that are no personal data.
fn filler() -> impl Strategy<Value = String> {
    proptest::sample::select(vec![
        "hoi",
        "wanneer",
        "wordt",
        "mijn",
        "afval",
        "opgehaald?",
        "1234 AB",
        "21-11-2026",
        "10:00",
        "€ 12,50",
        "bedankt!",
        "😀",
        "grofvuil",
        "ß",
        "huisnummer 12",
        "(zie",
        "brief)",
    ])
    .prop_map(str::to_owned)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn random_text_never_panics_and_spans_are_sound(text in "\\PC{0,200}") {
        let found = find(&text);
        for pair in found.windows(2) {
            prop_assert!(pair[0].span.end <= pair[1].span.start);
        }
        for f in &found {
            prop_assert!(text.get(f.span.clone()).is_some());
            prop_assert!(!f.span.is_empty());
        }
        let _ = mask(&text);
    }

    #[test]
    fn number_heavy_text_never_panics(text in "[0-9 +().\\-/a-zA-Z@]{0,120}") {
        let masked = mask(&text);
        for f in find(&text) {
            prop_assert!(!masked.contains(f.text(&text)) || f.text(&text).len() < 4);
        }
    }

    #[test]
    fn filler_text_has_no_personal_data(words in proptest::collection::vec(filler(), 0..20)) {
        let text = words.join(" ");
        prop_assert_eq!(find(&text), vec![], "{}", text);
    }

    #[test]
    fn planted_items_are_found_and_mask_leaves_none_of_their_digits(
        parts in proptest::collection::vec((filler(), item()), 1..6),
    ) {
        let mut text = String::new();
        for (word, (_, planted)) in &parts {
            text.push_str(word);
            text.push(' ');
            text.push_str(planted);
            text.push_str(" . ");
        }
        let found = kinds(&text);
        let expected: Vec<(PiiKind, String)> =
            parts.iter().map(|(_, item)| item.clone()).collect();
        prop_assert_eq!(&found, &expected, "{}", text);

        // Masking keeps every filler word and leaves nothing of the items.
        let masked = mask(&text);
        let mut expected_mask = String::new();
        for (word, (kind, _)) in &parts {
            expected_mask.push_str(&format!("{word} {} . ", kind.label()));
        }
        prop_assert_eq!(&masked, &expected_mask);
        prop_assert_eq!(find(&masked), vec![], "{}", masked);
    }
}
