//! The answer text: its length, what WhatsApp would show as it is
//! (headings, markdown links), placeholders, and `[[local facts]]`.

use super::Parser;
use super::front_matter::Fields;
use super::model::{Computed, LONG_BODY_CHARS, LocalFact, MAX_BODY_CHARS};

/// The `[[...]]` facts of a body with their file lines.
pub(super) fn local_facts(body: &str, first_line: usize) -> Vec<LocalFact> {
    let mut facts = Vec::new();
    for (i, line) in body.lines().enumerate() {
        let mut rest = line;
        while let Some(start) = rest.find("[[") {
            let after = &rest[start + 2..];
            let Some(end) = after.find("]]") else { break };
            facts.push(LocalFact {
                line: first_line + i,
                text: after[..end].trim().to_owned(),
            });
            rest = &after[end + 2..];
        }
    }
    facts
}

/// The body as citizens see it: `[[Markt 1]]` becomes `Markt 1`.
pub fn strip_local_marks(body: &str) -> String {
    body.replace("[[", "").replace("]]", "")
}

/// A markdown heading: up to 3 spaces, 1 to 6 `#`, then a space or the end.
pub(super) fn is_heading(line: &str) -> bool {
    let indent = line.len() - line.trim_start_matches(' ').len();
    let rest = &line[indent..];
    let hashes = rest.len() - rest.trim_start_matches('#').len();
    indent <= 3
        && (1..=6).contains(&hashes)
        && rest[hashes..]
            .chars()
            .next()
            .is_none_or(char::is_whitespace)
}

/// Markdown links `[text](target)` on one line.
pub(super) fn markdown_links(line: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(open) = line[from..].find('[').map(|i| i + from) {
        // The first `]` closes the text; a link needs `(` right after it.
        let link = line[open..]
            .find(']')
            .map(|close| open + close + 1)
            .filter(|&target| line[target..].starts_with('('))
            .and_then(|target| {
                line[target..]
                    .find(')')
                    .map(|end| &line[open..target + end + 1])
            });
        match link {
            Some(link) => {
                found.push(link);
                from = open + link.len();
            }
            None => from = open + 1,
        }
    }
    found
}

/// The names inside `{{...}}` placeholders on one line, trimmed.
pub(super) fn placeholders(line: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = line;
    while let Some(open) = rest.find("{{") {
        let inner = &rest[open + 2..];
        // The innermost `{{` counts, so `{{{x}}` still yields `x`.
        let inner = inner.trim_start_matches('{');
        match inner.find("}}") {
            Some(close) if !inner[..close].contains(['{', '}']) => {
                found.push(inner[..close].trim());
                rest = &inner[close + 2..];
            }
            _ => rest = inner,
        }
    }
    found
}

impl Parser<'_> {
    /// Checks the answer text and returns it trimmed.
    pub(super) fn body(&mut self, raw: &str, first_line: usize, fields: Option<&Fields>) -> String {
        let body = raw.trim().to_owned();
        // Problems about the text as a whole point at its first line, not
        // at blank lines an editor left after the `---`.
        let lines: Vec<(usize, &str)> = raw
            .lines()
            .enumerate()
            .map(|(i, text)| (first_line + i, text))
            .collect();
        let body_line = lines
            .iter()
            .find(|(_, text)| !text.trim().is_empty())
            .map_or(first_line, |(line, _)| *line);
        let chars = body.chars().count();
        if body.is_empty() {
            self.error(
                first_line.saturating_sub(1),
                "the answer text is empty; write the answer citizens get below the second `---` line",
            );
        } else if chars > MAX_BODY_CHARS {
            self.error(
                body_line,
                format!(
                    "the answer is {chars} characters; WhatsApp allows at most {MAX_BODY_CHARS}: shorten it, or split it into two answers"
                ),
            );
        } else if chars > LONG_BODY_CHARS {
            self.warning(
                body_line,
                format!(
                    "the answer is {chars} characters; above {LONG_BODY_CHARS} it is hard to read on a phone: shorten it, or move details behind a link"
                ),
            );
        }
        let computed = fields.and_then(|f| f.computed);
        for (line, text) in &lines {
            if is_heading(text) {
                self.warning(
                    *line,
                    "markdown heading: WhatsApp shows the # as it is; write the heading as *bold text* on its own line",
                );
            }
            for link in markdown_links(text) {
                self.warning(
                    *line,
                    format!(
                        "markdown link {}: WhatsApp shows it as it is; put the link under `links:` in the front matter, or write the plain address",
                        link
                    ),
                );
            }
            for name in placeholders(text) {
                match Computed::ALL.into_iter().find(|c| c.placeholder() == name) {
                    None => self.error(
                        *line,
                        format!(
                            "unknown placeholder {{{{{name}}}}}; the known ones are {}",
                            Computed::ALL
                                .map(|c| format!(
                                    "{{{{{}}}}} (with computed: {})",
                                    c.placeholder(),
                                    c.as_str()
                                ))
                                .join(", ")
                        ),
                    ),
                    Some(kind) if Some(kind) != computed && fields.is_some() => self.error(
                        *line,
                        format!(
                            "{{{{{name}}}}} is only filled in with `computed: {}`; set that in the front matter, or remove the placeholder",
                            kind.as_str()
                        ),
                    ),
                    Some(_) => {}
                }
            }
        }
        if let Some(kind) = computed {
            let wanted = kind.placeholder();
            let present = placeholders(&body).contains(&wanted);
            if !present && !body.is_empty() {
                self.warning(
                    body_line,
                    format!(
                        "computed: {} but the answer has no {{{{{wanted}}}}}; the computed sentence will be put in front of the answer: add {{{{{wanted}}}}} where it should go",
                        kind.as_str()
                    ),
                );
            }
        }
        body
    }
}
