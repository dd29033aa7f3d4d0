//! Logging with `tracing`: human-readable by default, JSON with
//! `LOKET_LOG_FORMAT=json`; levels from `RUST_LOG`. Log lines carry ids,
//! never message text or full phone numbers.

use tracing_subscriber::{EnvFilter, fmt};

/// The levels when `RUST_LOG` is not set.
pub const DEFAULT_FILTER: &str = "info,sqlx=warn,actix_server=warn,actix_web=warn,tantivy=warn";

/// Installs the global subscriber (once; later calls are ignored).
pub fn init() {
    init_with_default(DEFAULT_FILTER);
}

/// Like [`init`], with other levels when `RUST_LOG` is not set (the load
/// tool keeps its in-process service at `warn`: a log line per webhook
/// would measure the terminal).
pub fn init_with_default(default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let json = std::env::var("LOKET_LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
