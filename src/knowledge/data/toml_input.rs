//! Reading the data files' TOML: a parser error as a problem at its line,
//! dates as editors write them.

use std::path::Path;

use chrono::NaiveDate;
use toml::Spanned;

use crate::knowledge::entry::Problem;

/// The 1-based line of byte `offset` in `text`.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len()))
        .map_or(1, |before| before.matches('\n').count() + 1)
}

/// A `toml` error as a problem at its line, with the parser's message.
pub(crate) fn toml_problem(
    path: &Path,
    text: &str,
    error: &toml::de::Error,
    hint: &str,
) -> Problem {
    let line = error.span().map_or(0, |span| line_of(text, span.start));
    Problem::error(
        path,
        line,
        // One line per problem: the parser's message may span several.
        format!(
            "{}; {hint}",
            error
                .message()
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )
}

/// A date written as a TOML string ("2026-01-23") or a bare TOML date
/// (2026-01-23): editors write both.
pub(super) fn date_value(value: &Spanned<toml::Value>) -> Option<NaiveDate> {
    let text = match value.get_ref() {
        toml::Value::String(s) => s.trim().to_owned(),
        toml::Value::Datetime(d) if d.time.is_none() && d.offset.is_none() => d.to_string(),
        _ => return None,
    };
    NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok()
}

pub(super) fn value_text(value: &Spanned<toml::Value>) -> String {
    match value.get_ref() {
        toml::Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}
