//! One error type for everything that can be wrong in the configuration.
//! Every variant names the file (or environment variable), the key and what
//! is allowed, so an operator can fix it without reading code.

use std::path::PathBuf;

/// A configuration problem found at start-up or by `loket config check`.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{file}: cannot read the file: {source}; check the path or set LOKET_CONFIG_DIR")]
    Read {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}: {message}")]
    Syntax { file: PathBuf, message: String },
    #[error("{file}: {key}: {message}")]
    Value {
        file: PathBuf,
        key: String,
        message: String,
    },
    #[error("environment variable {var}: {message}")]
    Env { var: &'static str, message: String },
}

impl ConfigError {
    pub(crate) fn value(
        file: &std::path::Path,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        ConfigError::Value {
            file: file.to_path_buf(),
            key: key.into(),
            message: message.into(),
        }
    }
}

/// Turns a `toml` error into a message with the line and column, the key
/// path when serde knows it, and the file name in front.
pub(crate) fn toml_error(
    file: &std::path::Path,
    text: &str,
    error: &toml::de::Error,
) -> ConfigError {
    let location = error
        .span()
        .map(|span| {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("line {line}, column {column}: ")
        })
        .unwrap_or_default();
    ConfigError::Syntax {
        file: file.to_path_buf(),
        message: format!("{location}{}", error.message()),
    }
}
