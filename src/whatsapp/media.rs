//! Fetching a file a citizen sent from the Graph API: `GET
//! /{version}/{media-id}` for its download URL, type, digest and size, then
//! `GET {url}` with the bearer token, read piece by piece so a large file
//! never sits in memory whole.
//!
//! Every failure is sorted for the fetcher: an expired URL (ask for a fresh
//! one), a file Meta no longer has (give up), or anything else (try again
//! later). Errors never carry the token or the file's bytes.

use super::client::GraphSettings;
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde::Deserialize;
use std::time::Duration;

/// How long one piece of a download may take to arrive: a stalled
/// download fails instead of holding the fetcher, a slow one goes on.
const READ_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// What Meta says about a file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MediaInfo {
    /// The download URL; valid for minutes only.
    pub url: String,
    pub mime_type: Option<String>,
    /// The digest of the file, as Meta gives it.
    pub sha256: String,
    /// Meta's size in bytes (a number or a string of digits).
    #[serde(default, deserialize_with = "size")]
    pub file_size: Option<u64>,
}

fn size<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Size {
        Number(u64),
        Text(String),
    }
    Ok(match Option::<Size>::deserialize(deserializer)? {
        Some(Size::Number(n)) => Some(n),
        Some(Size::Text(text)) => text.trim().parse().ok(),
        None => None,
    })
}

/// Why a file could not be fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The download URL has expired: ask for the info again.
    #[error("the download URL has expired")]
    Expired,
    /// Meta does not have the file (any more).
    #[error("Meta does not have this file")]
    NotFound,
    /// Anything that may pass: the network, Meta's errors, our token.
    #[error("fetching the file failed: {0}")]
    Retryable(String),
}

/// Fetches citizens' files from the Graph API.
#[derive(Debug, Clone)]
pub struct MediaClient {
    http: reqwest::Client,
    settings: GraphSettings,
}

impl MediaClient {
    /// A client for the account in `settings`; no total timeout (a 100 MB
    /// document may take minutes), but each read must make progress.
    pub fn new(settings: GraphSettings) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .use_rustls_tls()
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(READ_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("loket/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { http, settings })
    }

    /// `GET /{version}/{media-id}`.
    pub async fn info(&self, media_id: &str) -> Result<MediaInfo, FetchError> {
        if media_id.is_empty() || !media_id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(FetchError::NotFound);
        }
        let url = format!(
            "{}/{}/{media_id}",
            self.settings.api_base.trim_end_matches('/'),
            self.settings.api_version
        );
        let response = self
            .http
            .get(url)
            .bearer_auth(self.settings.access_token.expose_secret())
            .send()
            .await
            .map_err(|error| FetchError::Retryable(network(&error)))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|error| FetchError::Retryable(network(&error)))?;
        if status.is_success() {
            return serde_json::from_slice(&body)
                .map_err(|error| FetchError::Retryable(format!("unreadable media info: {error}")));
        }
        // Meta answers an id that does not exist with 400 and code 100.
        let code = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|value| {
                value
                    .pointer("/error/code")
                    .and_then(serde_json::Value::as_i64)
            });
        Err(match (status, code) {
            (StatusCode::NOT_FOUND, _) | (StatusCode::BAD_REQUEST, Some(100)) => {
                FetchError::NotFound
            }
            _ => FetchError::Retryable(format!("media info answered {status} (code {code:?})")),
        })
    }

    /// Starts the download of `info.url`; read the body with
    /// [`reqwest::Response::chunk`].
    pub async fn download(&self, info: &MediaInfo) -> Result<reqwest::Response, FetchError> {
        let response = self
            .http
            .get(&info.url)
            .bearer_auth(self.settings.access_token.expose_secret())
            .send()
            .await
            .map_err(|error| FetchError::Retryable(network(&error)))?;
        match response.status() {
            status if status.is_success() => Ok(response),
            // A signed URL past its time.
            StatusCode::FORBIDDEN | StatusCode::GONE => Err(FetchError::Expired),
            StatusCode::NOT_FOUND => Err(FetchError::NotFound),
            status => Err(FetchError::Retryable(format!(
                "the download answered {status}"
            ))),
        }
    }
}

/// A network error without its URL (which carries a signature).
fn network(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "failed"
    };
    format!("the request {kind}")
}
