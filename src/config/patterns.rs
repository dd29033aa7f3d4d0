//! Lists of regular expressions in the config (`[faq]` patterns, the
//! emergency rule), compiled once at load.

use regex::Regex;

/// Compiles `sources`; a bad one is named by its key and index
/// ("emergency.patterns[1]") with the regex crate's reason.
pub(super) fn compile(key: &str, sources: &[String]) -> Result<Vec<Regex>, (String, String)> {
    sources
        .iter()
        .enumerate()
        .map(|(index, source)| {
            Regex::new(source).map_err(|e| {
                (
                    format!("{key}[{index}]"),
                    format!("{source:?} is not a valid regular expression: {e}"),
                )
            })
        })
        .collect()
}
