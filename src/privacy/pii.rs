//! Personal data in a citizen's text: BSN, IBAN, e-mail address and phone
//! number, each with its byte span, so the staff screen can hide it until
//! a colleague asks to see it and the bot can warn the citizen once.
//!
//! Rules, and why:
//! - **BSN**: nine digits that pass the 11-proef, written together
//!   (`111222333`) or grouped with spaces, dots or hyphens the way the
//!   passport and letters print them (`1112.22.333`, `111 222 333`). A BSN
//!   may start with 0, and people and spreadsheets drop that zero, so an
//!   eight-digit number whose zero-padded form passes the 11-proef is a BSN
//!   too, but only when the text also says "BSN" (or burgerservicenummer,
//!   sofinummer): a bare eight-digit number is far more often a KvK number,
//!   a date (21112026) or an order number, and one in eleven of those would
//!   pass the test by chance.
//! - **IBAN**: any country the `iban_validate` crate knows (it follows the
//!   SWIFT IBAN registry), with the country's exact length and BBAN format
//!   and the ISO 13616 mod-97 checksum; with or without spaces, any case.
//! - **E-mail**: what `linkify` finds as an address (it gets the edges
//!   right with surrounding punctuation).
//! - **Phone**: Dutch numbers of ten digits starting with 0 (`06-12345678`,
//!   `010-1234567`, `0591 123456`), `+31`/`0031` with or without the `(0)`,
//!   and other countries as `+` or `00` followed by 8 to 15 digits (E.164).
//!   Groups may be split by spaces, hyphens, dots, slashes or parentheses.
//!
//! Numbers that are not personal data stay: dates (`21-11-2026`), times,
//! postcodes (`1234 AB`), amounts (`€ 111.222.333`), because none of them has
//! the digit count and shape of the rules above. Every number must stand
//! on its own: digits glued to letters (`wamid.HBgL...`, an IBAN's account
//! part) or to more digits are not a match.
//!
//! When two rules claim the same characters, the first in the order IBAN,
//! e-mail, BSN, phone wins: a spaced IBAN's account digits also look like a
//! landline number.

use regex::Regex;
use serde::Serialize;
use std::ops::Range;
use std::str::FromStr;
use std::sync::LazyLock;

/// The kinds of personal data we look for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PiiKind {
    Bsn,
    Iban,
    Email,
    Phone,
}

impl PiiKind {
    /// What replaces the item in masked text (Dutch, as staff read it).
    pub fn label(self) -> &'static str {
        match self {
            PiiKind::Bsn => "[BSN]",
            PiiKind::Iban => "[IBAN]",
            PiiKind::Email => "[e-mail]",
            PiiKind::Phone => "[telefoon]",
        }
    }

    /// Stable name for storage, audit lines and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            PiiKind::Bsn => "bsn",
            PiiKind::Iban => "iban",
            PiiKind::Email => "email",
            PiiKind::Phone => "phone",
        }
    }
}

/// One item of personal data: what it is and where (byte offsets into the
/// text that was searched; always on character boundaries).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub kind: PiiKind,
    pub span: Range<usize>,
}

impl Finding {
    /// The characters found, from the text that was searched.
    pub fn text<'t>(&self, text: &'t str) -> &'t str {
        text.get(self.span.clone()).unwrap_or_default()
    }
}

/// Every item of personal data in `text`, in order, never overlapping.
pub fn find(text: &str) -> Vec<Finding> {
    let mut found: Vec<Finding> = Vec::new();
    let candidates = ibans(text)
        .into_iter()
        .chain(emails(text))
        .chain(bsns(text))
        .chain(phones(text));
    for candidate in candidates {
        let free = found
            .iter()
            .all(|f| f.span.end <= candidate.span.start || candidate.span.end <= f.span.start);
        if free {
            found.push(candidate);
        }
    }
    found.sort_by_key(|f| f.span.start);
    found
}

/// Whether `text` holds any personal data we recognise.
pub fn contains_personal_data(text: &str) -> bool {
    !find(text).is_empty()
}

/// `text` with every item of [`find`] replaced by its label (`[BSN]`,
/// `[IBAN]`, `[e-mail]`, `[telefoon]`); everything else is kept.
pub fn mask(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for finding in find(text) {
        out.push_str(text.get(at..finding.span.start).unwrap_or_default());
        out.push_str(finding.kind.label());
        at = finding.span.end;
    }
    out.push_str(text.get(at..).unwrap_or_default());
    out
}

// ---------------------------------------------------------------- BSN

/// Nine digits in the ways people write a BSN, and eight (a dropped
/// leading zero). `[0-9]`, not `\d`: other scripts' digits are no BSN.
static BSN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"[0-9]{4}[ .][0-9]{2}[ .][0-9]{3}|[0-9]{3}[ .\-][0-9]{3}[ .\-][0-9]{3}|[0-9]{9}|[0-9]{8}",
    )
    .expect("valid BSN pattern")
});

/// Words that make an eight-digit number a likely BSN.
static BSN_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:bsn|burgerservicenummer|sofi-?nummer|sofinr|citizen service number)\b")
        .expect("valid BSN word pattern")
});

fn bsns(text: &str) -> Vec<Finding> {
    let mut found = Vec::new();
    let mut said_bsn = None;
    for m in BSN.find_iter(text) {
        let digits: Vec<u8> = m
            .as_str()
            .bytes()
            .filter(u8::is_ascii_digit)
            .map(|b| b - b'0')
            .collect();
        let nine: Vec<u8> = match digits.len() {
            9 => digits,
            8 => {
                // Checked lazily: most texts have no eight-digit number.
                if !*said_bsn.get_or_insert_with(|| BSN_WORD.is_match(text)) {
                    continue;
                }
                std::iter::once(0).chain(digits).collect()
            }
            _ => continue,
        };
        let spaced = m.as_str().contains(' ');
        if stands_alone(text, m.range(), spaced)
            && !looks_like_amount(text, m.range())
            && passes_eleven_test(&nine)
        {
            found.push(Finding {
                kind: PiiKind::Bsn,
                span: m.range(),
            });
        }
    }
    found
}

/// The 11-proef: 9·d1 + 8·d2 + ... + 2·d8 − 1·d9 is a multiple of 11 (and
/// not zero, which would let 000000000 through).
pub fn passes_eleven_test(digits: &[u8]) -> bool {
    if digits.len() != 9 || digits.iter().any(|d| *d > 9) {
        return false;
    }
    let sum: i64 = digits
        .iter()
        .zip([9i64, 8, 7, 6, 5, 4, 3, 2, -1])
        .map(|(d, w)| i64::from(*d) * w)
        .sum();
    sum != 0 && sum % 11 == 0
}

/// Whether the number at `span` is not part of something longer: no letter
/// or digit right next to it, and no digit behind a `.`, `,`, `-` or `/`
/// next to it (`1.111.222.333`, `111222333,00`). When the number itself is
/// written with spaces, a digit one space away also joins it.
fn stands_alone(text: &str, span: Range<usize>, spaced: bool) -> bool {
    let before: Vec<char> = text
        .get(..span.start)
        .unwrap_or_default()
        .chars()
        .rev()
        .take(2)
        .collect();
    let after: Vec<char> = text
        .get(span.end..)
        .unwrap_or_default()
        .chars()
        .take(2)
        .collect();
    let joins = |near: &[char]| match near {
        [c, ..] if c.is_alphanumeric() || *c == '_' => true,
        [c, d, ..] if matches!(c, '.' | ',' | '-' | '/') && d.is_ascii_digit() => true,
        [' ', d, ..] if spaced && d.is_ascii_digit() => true,
        _ => false,
    };
    !joins(&before) && !joins(&after)
}

/// An amount of money: a euro sign or "eur"/"euro" just before, or
/// "euro" / ",-" just after (`€ 111.222.333`, `111222333 euro`).
fn looks_like_amount(text: &str, span: Range<usize>) -> bool {
    let before = text
        .get(..span.start)
        .unwrap_or_default()
        .trim_end()
        .to_lowercase();
    let after = text
        .get(span.end..)
        .unwrap_or_default()
        .trim_start()
        .to_lowercase();
    before.ends_with('€')
        || before.ends_with("eur")
        || before.ends_with("euro")
        || after.starts_with("euro")
        || after.starts_with("eur ")
        || after.starts_with(",-")
}

// ---------------------------------------------------------------- IBAN

/// Where an IBAN may start: country code and check digits.
static IBAN_START: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)[a-z]{2}[0-9]{2}").expect("valid IBAN pattern"));

/// The longest IBAN (ISO 13616).
const MAX_IBAN_CHARS: usize = 34;
/// The shortest IBAN in the registry (Norway).
const MIN_IBAN_CHARS: usize = 15;

fn ibans(text: &str) -> Vec<Finding> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut next_free = 0;
    for m in IBAN_START.find_iter(text) {
        let start = m.start();
        let glued = start
            .checked_sub(1)
            .and_then(|i| bytes.get(i))
            .is_some_and(|b| b.is_ascii_alphanumeric());
        if start < next_free || glued {
            continue;
        }
        if let Some(end) = iban_end(bytes, start) {
            found.push(Finding {
                kind: PiiKind::Iban,
                span: start..end,
            });
            next_free = end;
        }
    }
    found
}

/// Reads letters and digits from `start`, allowing one space between
/// groups, and returns the end of the first prefix that is a valid IBAN
/// and ends where a word ends. Only one length per country can be valid,
/// so the first is the one.
fn iban_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut compact = String::with_capacity(MAX_IBAN_CHARS);
    let mut pos = start;
    while let Some(&b) = bytes.get(pos) {
        if b.is_ascii_alphanumeric() {
            if compact.len() == MAX_IBAN_CHARS {
                return None;
            }
            compact.push(char::from(b.to_ascii_uppercase()));
            pos += 1;
            let word_ends = bytes.get(pos).is_none_or(|n| !n.is_ascii_alphanumeric());
            if word_ends
                && compact.len() >= MIN_IBAN_CHARS
                && iban::Iban::from_str(&compact).is_ok()
            {
                return Some(pos);
            }
        } else if b == b' ' && bytes.get(pos + 1).is_some_and(u8::is_ascii_alphanumeric) {
            pos += 1;
        } else {
            return None;
        }
    }
    None
}

// ---------------------------------------------------------------- e-mail

fn emails(text: &str) -> Vec<Finding> {
    let mut finder = linkify::LinkFinder::new();
    finder.kinds(&[linkify::LinkKind::Email]);
    finder
        .links(text)
        .map(|link| Finding {
            kind: PiiKind::Email,
            span: link.start()..link.end(),
        })
        .collect()
}

// ---------------------------------------------------------------- phone

/// Characters that may separate the digit groups of one phone number.
const PHONE_SEPARATORS: &[char] = &[' ', '-', '.', '/', '(', ')'];
/// At most this many separator characters between two groups (`) ` in
/// `(010) 123`, ` (` in `+31 (0)6`).
const MAX_SEPARATOR_RUN: usize = 3;
/// At most this many groups in one number (`+31 (0)6 12 34 56 78`).
const MAX_GROUPS: usize = 8;
/// More digits than any phone number has (E.164: 15, plus `00` and `(0)`).
const MAX_PHONE_DIGITS: usize = 18;

fn phones(text: &str) -> Vec<Finding> {
    let groups = digit_groups(text);
    let mut found = Vec::new();
    let mut i = 0;
    while let Some(first) = groups.get(i) {
        let plus = text.get(..first.start).is_some_and(|b| b.ends_with('+'));
        let start = if plus { first.start - 1 } else { first.start };
        // Not the tail of something else: a word, or a number before a
        // `:` `.` `,` `-` `/` (the minutes of "10:00", a date's year).
        let before: Vec<char> = text
            .get(..start)
            .unwrap_or_default()
            .chars()
            .rev()
            .take(2)
            .collect();
        let glued = match before.as_slice() {
            [c, ..] if c.is_alphanumeric() || *c == '_' => true,
            [c, d, ..] if matches!(c, ':' | '.' | ',' | '-' | '/') && d.is_ascii_digit() => true,
            _ => false,
        };
        // "00" opens an international number only with the country code
        // written on to it ("0031", "0044"), not as a group of its own.
        let lone_zeros = !plus && text.get(first.clone()) == Some("00");
        if glued || lone_zeros {
            i += 1;
            continue;
        }
        let mut digits = String::new();
        let mut best = None;
        for j in i..groups.len().min(i + MAX_GROUPS) {
            let Some(group) = groups.get(j) else { break };
            if j > i {
                let gap = groups
                    .get(j - 1)
                    .and_then(|prev| text.get(prev.end..group.start))
                    .unwrap_or_default();
                let separator = !gap.is_empty()
                    && gap.chars().count() <= MAX_SEPARATOR_RUN
                    && gap.chars().all(|c| PHONE_SEPARATORS.contains(&c));
                if !separator {
                    break;
                }
            }
            digits.push_str(text.get(group.clone()).unwrap_or_default());
            if digits.len() > MAX_PHONE_DIGITS {
                break;
            }
            let word_ends = text
                .get(group.end..)
                .and_then(|rest| rest.chars().next())
                .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
            if word_ends && is_phone_number(plus, &digits) {
                best = Some((j, group.end));
            }
        }
        match best {
            Some((last, end)) => {
                found.push(Finding {
                    kind: PiiKind::Phone,
                    span: start..end,
                });
                i = last + 1;
            }
            None => i += 1,
        }
    }
    found
}

/// Byte ranges of the runs of ASCII digits in `text`.
fn digit_groups(text: &str) -> Vec<Range<usize>> {
    let mut groups = Vec::new();
    let mut start = None;
    for (i, b) in text.bytes().enumerate() {
        match (b.is_ascii_digit(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                groups.push(s..i);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        groups.push(s..text.len());
    }
    groups
}

/// Whether the digits (after a `+` when `plus`) form a phone number.
fn is_phone_number(plus: bool, digits: &str) -> bool {
    let international = if plus {
        Some(digits)
    } else {
        digits.strip_prefix("00")
    };
    match international {
        Some(number) => match number.strip_prefix("31") {
            // Dutch: nine digits after the country code; `+31 (0)6...`
            // writes the national zero too.
            Some(national) => {
                let national = national.strip_prefix('0').unwrap_or(national);
                national.len() == 9 && !national.starts_with('0')
            }
            None => (8..=15).contains(&number.len()) && !number.starts_with('0'),
        },
        // Dutch national format: 0, then an area code or 6, ten digits in all.
        None => digits.len() == 10 && digits.starts_with('0') && !digits.starts_with("00"),
    }
}

#[cfg(test)]
mod tests;
