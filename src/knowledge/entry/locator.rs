//! The file line of a front matter key or list item.

/// Finds the file line of keys and list items in the front matter text,
/// so problems point where the editor has to look. serde_norway gives a
/// position only with an error (used for YAML syntax errors in
/// `front_matter`), never for the values of a valid file, and the files
/// are simple enough (top-level keys, block or flow lists) for a line
/// scan; see docs/decisions/0022.
pub(super) struct Locator<'a> {
    /// (file line, text) per front matter line.
    pub(super) lines: Vec<(usize, &'a str)>,
    /// The opening `---` line, for problems without a better place.
    pub(super) start: usize,
}

impl<'a> Locator<'a> {
    pub(super) fn new(front: &'a str, first_line: usize) -> Self {
        Self {
            lines: front
                .lines()
                .enumerate()
                .map(|(i, line)| (first_line + i, line))
                .collect(),
            start: first_line.saturating_sub(1),
        }
    }

    /// Index into `lines` of the top-level `key:` line.
    pub(super) fn key_index(&self, key: &str) -> Option<usize> {
        self.lines.iter().position(|(_, line)| {
            [key.to_owned(), format!("\"{key}\""), format!("'{key}'")]
                .iter()
                .any(|written| {
                    line.strip_prefix(written.as_str())
                        .is_some_and(|rest| rest.trim_start().starts_with(':'))
                })
        })
    }

    /// The line of `key:`, or the opening `---` when the key is absent.
    pub(super) fn key_or_start(&self, key: &str) -> usize {
        self.key_index(key)
            .and_then(|i| self.lines.get(i))
            .map_or(self.start, |(line, _)| *line)
    }

    /// Indexes into `lines` of the block list items under `key`.
    fn item_indexes(&self, key: &str) -> Vec<usize> {
        let Some(key_index) = self.key_index(key) else {
            return Vec::new();
        };
        let mut items = Vec::new();
        let mut item_indent = None;
        for (index, (_, line)) in self.lines.iter().enumerate().skip(key_index + 1) {
            let trimmed = line.trim_start();
            let indent = line.len() - trimmed.len();
            // The block ends at the next top-level key; a list may sit at
            // column 0 under its key (`- item`), which YAML allows.
            if indent == 0 && !trimmed.is_empty() && !trimmed.starts_with(['-', '#']) {
                break;
            }
            if trimmed == "-" || trimmed.starts_with("- ") {
                let level = *item_indent.get_or_insert(indent);
                if indent == level {
                    items.push(index);
                }
            }
        }
        items
    }

    /// The line of item `index` (0-based) of the list under `key`; the
    /// key's line for flow lists (`[a, b]`) or when not found.
    pub(super) fn item(&self, key: &str, index: usize) -> usize {
        self.item_indexes(key)
            .get(index)
            .and_then(|&i| self.lines.get(i))
            .map_or_else(|| self.key_or_start(key), |(line, _)| *line)
    }

    /// The line of `field:` inside mapping item `index` of the list under
    /// `key` (e.g. `url` of the second link); the item's line otherwise.
    pub(super) fn item_field(&self, key: &str, index: usize, field: &str) -> usize {
        let items = self.item_indexes(key);
        let Some(&start) = items.get(index) else {
            return self.key_or_start(key);
        };
        let end = items
            .get(index + 1)
            .copied()
            .unwrap_or_else(|| self.block_end(start));
        let is_field = |text: &str| {
            let text = text.trim_start();
            let text = text.strip_prefix('-').unwrap_or(text).trim_start();
            text.strip_prefix(field)
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
        };
        self.lines[start..end]
            .iter()
            .find(|(_, text)| is_field(text))
            .or_else(|| self.lines.get(start))
            .map_or(self.start, |(line, _)| *line)
    }

    /// The index of the next top-level key after `from` (or the end).
    fn block_end(&self, from: usize) -> usize {
        self.lines
            .iter()
            .enumerate()
            .skip(from + 1)
            .find(|(_, (_, line))| {
                !line.is_empty()
                    && !line.starts_with([' ', '\t', '-', '#'])
                    && !line.trim().is_empty()
            })
            .map_or(self.lines.len(), |(i, _)| i)
    }
}
