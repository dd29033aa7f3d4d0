//! Cutting a file into its front matter and its answer text.

/// A file cut into its front matter and its body.
pub(super) struct Split<'a> {
    pub(super) front: &'a str,
    /// File line of the first front matter line (the one after `---`).
    pub(super) front_first_line: usize,
    pub(super) body: &'a str,
    /// File line of the first body line (the one after the closing `---`).
    pub(super) body_first_line: usize,
}

fn is_delimiter(line: &str) -> bool {
    line.trim_end() == "---"
}

pub(super) fn split_front_matter(text: &str) -> Result<Split<'_>, (usize, String)> {
    // Some editors on Windows save a byte order mark; it is invisible, so
    // it must not make the first line look wrong.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or_default();
    if !is_delimiter(first) {
        return Err((
            1,
            "the file must start with a line `---`, then the front matter (id, title, questions, ...), then another `---` line and the answer; see knowledge/README.md".to_owned(),
        ));
    }
    let front_start = first.len();
    let mut offset = front_start;
    for (index, line) in lines.enumerate() {
        if is_delimiter(line) {
            return Ok(Split {
                front: &text[front_start..offset],
                front_first_line: 2,
                body: &text[offset + line.len()..],
                // The first line is 1, the front matter starts at 2, and
                // this delimiter is line `index + 2`.
                body_first_line: index + 3,
            });
        }
        offset += line.len();
    }
    Err((
        1,
        "the front matter that starts here is not closed; add a line `---` after the last key (before the answer text)".to_owned(),
    ))
}

/// The line that starts an answer's formal version in the body (issue 22):
/// above it the text the bot sends, below it the same answer in the "u"
/// form, which staff insert under `[staff] form = "u"`.
pub const U_VERSION_LINE: &str = "--- u ---";

/// The body cut at [`U_VERSION_LINE`]: the bot's text, and the u-version
/// with the file line of its first line, when there is one.
pub(super) fn split_u_version(body: &str, first_line: usize) -> (&str, Option<(&str, usize)>) {
    let mut offset = 0;
    for (index, line) in body.split_inclusive('\n').enumerate() {
        if line.trim() == U_VERSION_LINE {
            let rest = &body[offset + line.len()..];
            return (&body[..offset], Some((rest, first_line + index + 1)));
        }
        offset += line.len();
    }
    (body, None)
}
