//! Text from the payload made fit for a log line: values serde quotes cut
//! out, control characters escaped, length capped.

/// Longest type or field name we copy from the payload into our own data,
/// so an attacker-sized string cannot end up in storage or metrics.
pub(super) const MAX_NAME_CHARS: usize = 64;

/// Longest identifier quoted in a skipped line.
pub(super) const MAX_LABEL_CHARS: usize = 100;

/// serde's messages quote the offending value (`invalid type: string
/// "...", expected f64`, ``integer `31600000001` ``); that may be a
/// citizen's words or phone number, so it is cut out. Field names in
/// ``missing field `id` `` stay: they are what makes the line useful.
pub(super) fn redact(message: &str) -> String {
    let mut out = match (message.find('"'), message.rfind('"')) {
        (Some(first), Some(last)) if first < last => {
            let before = message.get(..first).unwrap_or_default();
            let after = message.get(last + 1..).unwrap_or_default();
            format!("{before}\"…\"{after}")
        }
        _ => message.to_owned(),
    };
    for prefix in ["integer `", "floating point `"] {
        if let Some(start) = out.find(prefix) {
            let value_start = start + prefix.len();
            let value_end = out
                .get(value_start..)
                .and_then(|rest| rest.find('`'))
                .map(|len| value_start + len);
            if let Some(end) = value_end {
                out.replace_range(value_start..end, "…");
            }
        }
    }
    out
}

/// `text` fit for a log line: control characters escaped (no forged log
/// lines), at most `max` characters.
pub(super) fn printable(text: &str, max: usize) -> String {
    clip(&text.escape_debug().to_string(), max)
}

/// At most `max` characters of `text`, with `…` when shortened.
pub(super) fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut short: String = text.chars().take(max).collect();
        short.push('…');
        short
    }
}
