//! Dutch postcodes: finding one in a citizen's message, and the four
//! digits that pick a waste collection area.

/// The 4 digits of a postcode written as "1234", "1234AB" or "1234 ab".
pub(super) fn postcode_digits(postcode: &str) -> Option<&str> {
    let postcode = postcode.trim();
    let digits = postcode.get(..4)?;
    let letters = postcode[4..].trim_start();
    let ok = digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0')
        && (letters.is_empty()
            || (letters.len() == 2 && letters.chars().all(|c| c.is_ascii_alphabetic())));
    ok.then_some(digits)
}

/// Short words that follow a number in a sentence ("in 2026 op vakantie",
/// "1234 en 5678"): after a space they are not postcode letters.
const NOT_POSTCODE_LETTERS: [&str; 36] = [
    "en", "of", "op", "in", "is", "ik", "je", "we", "ze", "de", "te", "om", "al", "nu", "zo", "na",
    "er", "ga", "to", "at", "on", "or", "an", "as", "be", "by", "do", "go", "he", "if", "it", "me",
    "my", "no", "so", "up",
];

/// Finds a Dutch postcode in a message: "1234 AB", "1234ab" or a bare
/// "1234" (1000-9999, not part of a longer number such as a phone number,
/// and not a year 1900-2100 unless letters follow). Returns it normalised:
/// "1234AB" or "1234".
pub fn extract_postcode(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let is_separator = |c: char| matches!(c, ' ' | '.' | ',' | '-' | '/');
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        let end = i;
        if end - start != 4 || chars[start] == '0' {
            continue;
        }
        // Glued to a letter ("A1234") or to another number through one
        // separator ("06-1234 5678", "1.234,50"): part of something else.
        let before = start.checked_sub(1).map(|b| chars[b]);
        let before2 = start.checked_sub(2).map(|b| chars[b]);
        if before.is_some_and(|c| c.is_alphanumeric())
            || (before.is_some_and(is_separator) && before2.is_some_and(|c| c.is_ascii_digit()))
        {
            continue;
        }
        let after = chars.get(end).copied();
        if after.is_some_and(is_separator) && chars.get(end + 1).is_some_and(char::is_ascii_digit) {
            continue;
        }
        let digits: String = chars[start..end].iter().collect();
        // Letters directly after the digits, or after one space.
        let spaced = after == Some(' ');
        let letters_at = if spaced { end + 1 } else { end };
        let letters: String = chars
            .iter()
            .skip(letters_at)
            .take(2)
            .filter(|c| c.is_ascii_alphabetic())
            .collect();
        let letters_end = chars.get(letters_at + 2).copied();
        let has_letters = letters.len() == 2
            && !letters_end.is_some_and(char::is_alphanumeric)
            && !(spaced
                && letters.chars().all(|c| c.is_ascii_lowercase())
                && NOT_POSTCODE_LETTERS.contains(&letters.as_str()));
        if has_letters {
            return Some(format!("{digits}{}", letters.to_uppercase()));
        }
        if !spaced && after.is_some_and(char::is_alphanumeric) {
            // "1234abc": not a postcode.
            continue;
        }
        let number: u32 = digits.parse().unwrap_or(0);
        if (1900..=2100).contains(&number) {
            continue;
        }
        return Some(digits);
    }
    None
}
