//! A problem an editor has to fix, and how it is printed.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// How bad a problem is: an error keeps the file (or data) out of use, a
/// warning does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// Something an editor should fix, with the file and line to look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub path: PathBuf,
    /// 1-based line in the file; 0 when the problem is about the whole
    /// file or folder (e.g. it is missing).
    pub line: usize,
    pub severity: Severity,
    /// What is wrong and what to do about it.
    pub message: String,
}

impl Problem {
    /// An error at `line` of `path`.
    pub fn error(path: &Path, line: usize, message: impl Into<String>) -> Self {
        Self {
            path: path.to_path_buf(),
            line,
            severity: Severity::Error,
            message: message.into(),
        }
    }

    /// A warning at `line` of `path`.
    pub fn warning(path: &Path, line: usize, message: impl Into<String>) -> Self {
        Self {
            path: path.to_path_buf(),
            line,
            severity: Severity::Warning,
            message: message.into(),
        }
    }

    /// Whether this is an error (not a warning).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// `knowledge/nl/afval-grofvuil.md:7: error: questions[2] is empty; ...`,
/// the format editors and editors' tools know from compilers. Without a
/// line (0) the line part is left out.
impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(
                f,
                "{}: {}: {}",
                self.path.display(),
                self.severity,
                self.message
            )
        } else {
            write!(
                f,
                "{}:{}: {}: {}",
                self.path.display(),
                self.line,
                self.severity,
                self.message
            )
        }
    }
}
