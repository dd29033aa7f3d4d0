//! Each front matter value on its own: text, lists, links, dates, flags.

use chrono::NaiveDate;
use serde_norway::Value;

use super::Parser;
use super::model::{Computed, FaqId, Link};
use crate::domain::Language;

/// Text of a scalar; `None` for lists and mappings. An empty value
/// (`title:`) is empty text, so it gets the "is empty" message.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some(String::new()),
        Value::Sequence(_) | Value::Mapping(_) | Value::Tagged(_) => None,
    }
}

/// What a value is, for type errors.
pub(super) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "empty",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a group of keys",
        Value::Tagged(_) => "a tagged value (!something)",
    }
}

impl Parser<'_> {
    pub(super) fn id(&mut self, value: &Value, line: usize) -> Option<FaqId> {
        let text = self.text("id", value, line)?;
        match FaqId::parse(&text) {
            Ok(id) => Some(id),
            Err(message) => {
                self.error(line, format!("id: {message}"));
                None
            }
        }
    }

    /// A non-empty scalar as trimmed text; problems name `key`.
    pub(super) fn text(&mut self, key: &str, value: &Value, line: usize) -> Option<String> {
        let Some(text) = scalar_text(value) else {
            self.error(
                line,
                format!(
                    "{key} must be text on the same line, not {}",
                    kind_of(value)
                ),
            );
            return None;
        };
        let text = text.trim().to_owned();
        if text.is_empty() {
            self.error(line, format!("{key} is empty; write it after `{key}: `"));
            return None;
        }
        Some(text)
    }

    pub(super) fn lang(&mut self, value: &Value, line: usize) -> Language {
        match scalar_text(value) {
            Some(code) if code.trim().is_empty() => Language::Nl,
            Some(code) => Language::parse(code.trim()).unwrap_or_else(|| {
                self.error(
                    line,
                    format!("lang: {code:?} is not a supported language; write nl or en"),
                );
                Language::Nl
            }),
            None => {
                self.error(
                    line,
                    format!("lang must be nl or en, not {}", kind_of(value)),
                );
                Language::Nl
            }
        }
    }

    /// `true` or `false`; problems name `key`.
    pub(super) fn flag(&mut self, key: &str, value: &Value, line: usize) -> bool {
        match value {
            Value::Bool(b) => *b,
            Value::Null => false,
            other => {
                self.error(
                    line,
                    format!("{key} must be true or false, not {}", kind_of(other)),
                );
                false
            }
        }
    }

    /// `sources:`: absolute http(s) addresses of public pages.
    pub(super) fn sources(&mut self, value: &Value, line: usize) -> Vec<String> {
        let texts = self.list("sources", value, line);
        for (index, text) in texts.iter().enumerate() {
            let ok = url::Url::parse(text)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
            if !ok {
                let item_line = self.locator.item("sources", index);
                self.warning(
                    item_line,
                    format!(
                        "sources[{}] {text:?} is not a web address; write the full address of the public page, starting with https://",
                        index + 1
                    ),
                );
            }
        }
        texts
    }

    /// A list of non-empty texts (`questions`, `keywords`).
    pub(super) fn list(&mut self, key: &'static str, value: &Value, line: usize) -> Vec<String> {
        let items = match value {
            Value::Sequence(items) => items,
            Value::Null => return Vec::new(),
            other => {
                self.error(
                    line,
                    format!(
                        "{key} must be a list, not {}: put each item on its own line below `{key}:`, starting with `  - `",
                        kind_of(other)
                    ),
                );
                return Vec::new();
            }
        };
        let mut texts = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let item_line = self.locator.item(key, index);
            let number = index + 1;
            match scalar_text(item) {
                Some(text) if text.trim().is_empty() => {
                    let what = if key == "questions" {
                        "write how a citizen would ask it, or remove the line"
                    } else {
                        "write a word, or remove it"
                    };
                    self.error(item_line, format!("{key}[{number}] is empty; {what}"));
                }
                Some(text) => texts.push(text.trim().to_owned()),
                None => self.error(
                    item_line,
                    format!(
                        "{key}[{number}] is {}, but must be text; check the indentation",
                        kind_of(item)
                    ),
                ),
            }
        }
        texts
    }

    pub(super) fn links(&mut self, value: &Value, line: usize) -> Vec<Link> {
        let items = match value {
            Value::Sequence(items) => items,
            Value::Null => return Vec::new(),
            other => {
                self.error(
                    line,
                    format!(
                        "links must be a list, not {}: write each link as `  - label: ...` with `    url: https://...` below it",
                        kind_of(other)
                    ),
                );
                return Vec::new();
            }
        };
        let mut links = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let number = index + 1;
            let item_line = self.locator.item("links", index);
            let Value::Mapping(map) = item else {
                self.error(
                    item_line,
                    format!(
                        "links[{number}] is {}, but must have a label and a url: `  - label: ...` with `    url: https://...` below it",
                        kind_of(item)
                    ),
                );
                continue;
            };
            for key in map.keys() {
                let name = key.as_str().unwrap_or("?");
                if name != "label" && name != "url" {
                    let field_line = self.locator.item_field("links", index, name);
                    self.error(
                        field_line,
                        format!(
                            "links[{number}]: unknown key `{name}`; a link has only label and url"
                        ),
                    );
                }
            }
            let label_line = self.locator.item_field("links", index, "label");
            let label = match map.get("label").map(scalar_text) {
                None => {
                    self.error(
                        item_line,
                        format!(
                            "links[{number}] has no label; add `label: ...`, the text citizens see"
                        ),
                    );
                    None
                }
                Some(Some(text)) if text.trim().is_empty() => {
                    self.error(
                        label_line,
                        format!("links[{number}].label is empty; write the text citizens see, e.g. \"Grofvuil aanmelden\""),
                    );
                    None
                }
                Some(Some(text)) => Some(text.trim().to_owned()),
                Some(None) => {
                    self.error(label_line, format!("links[{number}].label must be text"));
                    None
                }
            };
            let url_line = self.locator.item_field("links", index, "url");
            let url = match map.get("url").map(scalar_text) {
                None => {
                    self.error(
                        item_line,
                        format!("links[{number}] has no url; add `url: https://...`"),
                    );
                    None
                }
                Some(Some(text)) => match check_url(text.trim()) {
                    Ok(url) => Some(url),
                    Err(message) => {
                        self.error(url_line, format!("links[{number}].url: {message}"));
                        None
                    }
                },
                Some(None) => {
                    self.error(url_line, format!("links[{number}].url must be text"));
                    None
                }
            };
            if let (Some(label), Some(url)) = (label, url) {
                links.push(Link { label, url });
            }
        }
        links
    }

    pub(super) fn date(&mut self, key: &str, value: &Value, line: usize) -> Option<NaiveDate> {
        if value.is_null() {
            return None;
        }
        let text = scalar_text(value).unwrap_or_default();
        match NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
            Ok(date) => Some(date),
            Err(_) => {
                self.error(
                    line,
                    format!(
                        "{key}: {} is not a date; write it as YYYY-MM-DD, e.g. 2026-01-31",
                        if text.is_empty() {
                            kind_of(value).to_owned()
                        } else {
                            format!("{text:?}")
                        }
                    ),
                );
                None
            }
        }
    }

    pub(super) fn computed(&mut self, value: &Value, line: usize) -> Option<Computed> {
        let text = scalar_text(value).unwrap_or_else(|| kind_of(value).to_owned());
        if text.trim().is_empty() {
            return None;
        }
        Computed::parse(text.trim()).unwrap_or_else(|()| {
            self.error(
                line,
                format!(
                    "computed: {text:?} is not known; write none, {}",
                    Computed::ALL.map(Computed::as_str).join(", ")
                ),
            );
            None
        })
    }
}

/// Checks an absolute http(s) URL; the message says what to write.
fn check_url(text: &str) -> Result<String, String> {
    if text.is_empty() {
        return Err("the url is empty; write the full address, starting with https://".to_owned());
    }
    let url = url::Url::parse(text).map_err(|e| match e {
        url::ParseError::RelativeUrlWithoutBase => format!(
            "{text:?} is not a full address; write it with https:// in front, e.g. https://www.voorbeeldstad.nl/..."
        ),
        other => format!("{text:?} is not a valid address ({other}); copy it from the browser's address bar"),
    })?;
    if url.scheme() != "https" && url.scheme() != "http" {
        return Err(format!(
            "{text:?} is not a web address; only https:// (or http://) links can be opened from WhatsApp"
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!(
            "{text:?} has no domain name; write e.g. https://www.voorbeeldstad.nl/..."
        ));
    }
    Ok(text.to_owned())
}
