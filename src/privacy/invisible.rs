//! Invisible formatting in text shown to staff. A bidi override turns
//! "Factuur \u{202E}gnp.exe" into what reads as "Factuur exe.png"; a
//! zero-width space splits a word a reader still sees whole; a Hangul
//! filler is a letter that shows nothing. Staff must see what was sent,
//! so every such character becomes a visible marker, `[U+202E]`, before
//! any text a citizen (or a colleague) wrote reaches a staff view. The
//! rest of the text is left exactly as it was.
//!
//! What counts: every character of the Unicode general categories
//! Format (`Cf`: the bidi embeddings, overrides and isolates U+202A–202E
//! and U+2066–2069, the marks U+200E, U+200F and U+061C, the zero-width
//! characters U+200B–U+200D, U+2060, U+FEFF, the soft hyphen, tag
//! characters...) and Control (`Cc`, except tab and line breaks), plus
//! the Hangul fillers. Two uses are kept because they are what the
//! characters are for: a zero-width (non-)joiner between two visible
//! non-ASCII characters (emoji sequences such as a family, Persian or
//! Indic spelling), and tag characters after a black flag (the flags of
//! Scotland or Wales). Between ASCII letters ("pay\u{200D}pal") a joiner
//! is marked.
//!
//! Categories come from the `unicode-properties` crate, so the list
//! follows Unicode rather than a hand-kept table.

use std::borrow::Cow;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

const ZWNJ: char = '\u{200C}';
const ZWJ: char = '\u{200D}';
const BLACK_FLAG: char = '\u{1F3F4}';

/// `text` with every invisible formatting character replaced by a
/// visible `[U+XXXX]` marker; borrowed unchanged when there is none.
pub fn for_staff(text: &str) -> Cow<'_, str> {
    if !text.chars().any(invisible) {
        return Cow::Borrowed(text);
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 16);
    for (at, &c) in chars.iter().enumerate() {
        let before = at.checked_sub(1).and_then(|i| chars.get(i)).copied();
        let after = chars.get(at + 1).copied();
        if invisible(c) && !does_its_job(c, before, after) {
            out.push_str(&format!("[U+{:04X}]", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Whether `c` shows nothing (or changes how other characters show).
fn invisible(c: char) -> bool {
    match c {
        '\n' | '\r' | '\t' => false,
        // Hangul fillers: letters that render as nothing.
        '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' => true,
        _ => matches!(
            c.general_category(),
            GeneralCategory::Format | GeneralCategory::Control
        ),
    }
}

fn is_tag(c: char) -> bool {
    ('\u{E0020}'..='\u{E007F}').contains(&c)
}

/// A joiner inside an emoji sequence or a non-Latin word, or a tag
/// character spelling a subdivision flag.
fn does_its_job(c: char, before: Option<char>, after: Option<char>) -> bool {
    let shaped = |c: char| !c.is_ascii() && !c.is_whitespace() && !invisible(c);
    match c {
        ZWJ | ZWNJ => before.is_some_and(shaped) && after.is_some_and(shaped),
        c if is_tag(c) => before.is_some_and(|b| b == BLACK_FLAG || is_tag(b)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_bidi_override_is_shown_not_obeyed() {
        assert_eq!(
            for_staff("Factuur \u{202E}gnp.exe"),
            "Factuur [U+202E]gnp.exe"
        );
        for c in [
            '\u{202A}',
            '\u{202B}',
            '\u{202C}',
            '\u{202D}',
            '\u{202E}',
            '\u{2066}',
            '\u{2067}',
            '\u{2068}',
            '\u{2069}',
            '\u{200B}',
            '\u{200E}',
            '\u{200F}',
            '\u{061C}',
            '\u{2060}',
            '\u{FEFF}',
            '\u{00AD}',
            '\u{1B}',
            '\u{7}',
            '\u{3164}',
            '\u{E0001}',
        ] {
            let text = format!("a{c}b");
            let shown = for_staff(&text);
            assert!(!shown.contains(c), "{c:?} left in {shown:?}");
            assert_eq!(shown, format!("a[U+{:04X}]b", u32::from(c)));
        }
    }

    #[test]
    fn text_without_invisible_characters_is_not_copied() {
        assert!(matches!(for_staff("Factuur gnp.exe"), Cow::Borrowed(_)));
    }

    #[test]
    fn joiners_between_latin_letters_are_marked() {
        assert_eq!(for_staff("pay\u{200D}pal"), "pay[U+200D]pal");
        assert_eq!(for_staff("\u{200C}begin"), "[U+200C]begin");
    }

    #[test]
    fn ordinary_text_emoji_and_scripts_stay_as_they_are() {
        for text in [
            "Hoi, mijn container is niet geleegd.\nGroet,\tAnna",
            "👨\u{200D}👩\u{200D}👧 ❤\u{FE0F}\u{200D}🔥 👍🏽",
            // Persian "I want", with a zero-width non-joiner.
            "می\u{200C}خواهم",
            // The flag of Scotland: a black flag and tag characters.
            "\u{1F3F4}\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}",
            "שלום עליכם, مرحبا",
            "",
        ] {
            assert_eq!(for_staff(text), text);
        }
    }

    proptest! {
        #[test]
        fn nothing_invisible_is_left_and_visible_text_is_kept(text in "\\PC{0,60}|[\\u{200B}-\\u{200F}\\u{202A}-\\u{202E}\\u{2066}-\\u{2069}a-z ]{0,60}") {
            let shown = for_staff(&text);
            for c in shown.chars() {
                prop_assert!(
                    !matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200B}' | '\u{200E}' | '\u{200F}' | '\u{FEFF}'),
                    "{:?} left in {:?}", c, shown
                );
            }
            let visible: String = text.chars().filter(|&c| !invisible(c)).collect();
            let kept: String = shown.chars().filter(|&c| !invisible(c)).collect();
            // Every visible character survives, in order.
            let mut rest = kept.chars();
            for c in visible.chars() {
                prop_assert!(rest.any(|k| k == c), "{:?} lost from {:?}", c, shown);
            }
        }
    }
}
