//! The fake's media endpoints, as Meta serves them:
//!
//! - `GET /{version}/{media-id}`: the media's `url`, `mime_type`, `sha256`
//!   (lower-case hex) and `file_size`; a fresh download URL each time, as
//!   Meta's expire after minutes;
//! - `GET {url}`: the bytes, only with the bearer token;
//! - `POST /{version}/{phone-number-id}/media`: an upload (multipart form),
//!   answered with a new media id.
//!
//! Tests register files with [`FakeGraphApi::add_media`] and script Meta's
//! failures per file with [`FakeGraphApi::set_media_fault`]. Media calls
//! are recorded apart from messages ([`FakeGraphApi::media_log`]), so the
//! message records and counts stay what they were.

use super::{FakeGraphApi, GraphFailure, Shared, unknown_path_failure};
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{MutexGuard, PoisonError};
use std::time::Duration;

/// The path prefix of download URLs; its own first segment, so it never
/// reads as an API version.
const DOWNLOAD_PREFIX: &str = "/whatsapp-media/download";

/// One of Meta's failures, scripted for one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaFault {
    /// The next `n` download URLs handed out for the file have expired by
    /// the time they are used (403, as a signed URL past its time);
    /// URLs handed out after that work. `u32::MAX`: never works.
    ExpiredUrls(u32),
    /// The file is gone at Meta: its download URL answers 404.
    Gone,
    /// The media info reports a digest that is not of the bytes.
    WrongSha256,
    /// The download trickles: `chunk` bytes, then `pause`, and so on.
    Slow { chunk: usize, pause: Duration },
}

/// Which media endpoint a request was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaCall {
    Info,
    Download,
    Upload,
}

/// One request to a media endpoint and how the fake answered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRequest {
    pub call: MediaCall,
    /// The media id asked for (for an upload: the id handed out, if any).
    pub media_id: Option<String>,
    /// The HTTP status answered.
    pub status: u16,
}

/// An upload the fake accepted: the raw multipart body, for tests to search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub media_id: String,
    pub content_type: String,
    pub body: Bytes,
}

struct File {
    bytes: Bytes,
    mime_type: String,
    sha256: String,
    fault: Option<MediaFault>,
}

/// A download URL handed out: which file, and whether it is dead on use.
struct Ticket {
    media_id: String,
    expired: bool,
}

#[derive(Default)]
pub(super) struct Library {
    files: HashMap<String, File>,
    tickets: HashMap<String, Ticket>,
    log: Vec<MediaRequest>,
    uploads: Vec<Upload>,
    /// Uploads still to answer with Meta's 500 "unknown error".
    failing_uploads: usize,
    next_id: u64,
}

impl Shared {
    fn media(&self) -> MutexGuard<'_, Library> {
        self.media.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn log_media(&self, call: MediaCall, media_id: Option<&str>, status: StatusCode) {
        self.media().log.push(MediaRequest {
            call,
            media_id: media_id.map(str::to_owned),
            status: status.as_u16(),
        });
    }

    fn bearer_ok(&self, request: &HttpRequest) -> bool {
        request
            .headers()
            .get("authorization")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            == Some(self.config.access_token.as_str())
    }
}

/// Registers the media routes; the download route first, so its path
/// never matches the two-segment media info route.
pub(super) fn routes(config: &mut web::ServiceConfig) {
    config
        .route(
            &format!("{DOWNLOAD_PREFIX}/{{ticket}}"),
            web::get().to(download),
        )
        .route("/{version}/{media_id}", web::get().to(info))
        .route("/{version}/{phone_number_id}/media", web::post().to(upload));
}

fn hex_sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn invalid_token() -> GraphFailure {
    GraphFailure::new(StatusCode::UNAUTHORIZED, 190, "Invalid OAuth access token.")
}

/// Meta's answer for an id that does not exist (or is not ours).
fn no_such_object(id: &str, verb: &str) -> GraphFailure {
    GraphFailure::new(
        StatusCode::BAD_REQUEST,
        100,
        format!(
            "Unsupported {verb} request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api"
        ),
    )
}

async fn info(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let (version, media_id) = path.into_inner();
    let failure = if !shared.bearer_ok(&request) {
        Some(invalid_token())
    } else if version != shared.config.api_version {
        Some(unknown_path_failure(request.path()))
    } else {
        None
    };
    if let Some(failure) = failure {
        shared.log_media(MediaCall::Info, Some(&media_id), failure.status);
        return failure.respond();
    }
    let answer = {
        let mut library = shared.media();
        let library = &mut *library;
        match library.files.get_mut(&media_id) {
            None => None,
            Some(file) => {
                let expired = match &mut file.fault {
                    Some(MediaFault::ExpiredUrls(0)) => {
                        file.fault = None;
                        false
                    }
                    Some(MediaFault::ExpiredUrls(left)) => {
                        *left = left.saturating_sub(u32::from(*left != u32::MAX));
                        true
                    }
                    _ => false,
                };
                let sha256 = if file.fault == Some(MediaFault::WrongSha256) {
                    hex_sha256(b"not these bytes")
                } else {
                    file.sha256.clone()
                };
                let ticket = format!("{:032x}", rand::random::<u128>());
                library.tickets.insert(
                    ticket.clone(),
                    Ticket {
                        media_id: media_id.clone(),
                        expired,
                    },
                );
                Some(json!({
                    "messaging_product": "whatsapp",
                    "url": format!("http://{}{DOWNLOAD_PREFIX}/{ticket}", request.connection_info().host()),
                    "mime_type": file.mime_type,
                    "sha256": sha256,
                    "file_size": file.bytes.len(),
                    "id": media_id,
                }))
            }
        }
    };
    match answer {
        Some(answer) => {
            shared.log_media(MediaCall::Info, Some(&media_id), StatusCode::OK);
            HttpResponse::Ok().json(answer)
        }
        None => {
            let failure = no_such_object(&media_id, "get");
            shared.log_media(MediaCall::Info, Some(&media_id), failure.status);
            failure.respond()
        }
    }
}

/// What a download ticket leads to.
enum Serve {
    Bytes(String, Bytes),
    Slow(String, Bytes, usize, Duration),
    Refuse(StatusCode, &'static str),
}

async fn download(
    request: HttpRequest,
    ticket: web::Path<String>,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let (media_id, serve) = {
        let library = shared.media();
        match library.tickets.get(ticket.as_str()) {
            None => (None, Serve::Refuse(StatusCode::NOT_FOUND, "Not Found")),
            Some(ticket) => {
                let serve = match library.files.get(&ticket.media_id) {
                    _ if !shared.bearer_ok(&request) => {
                        Serve::Refuse(StatusCode::UNAUTHORIZED, "Unauthorized")
                    }
                    _ if ticket.expired => {
                        Serve::Refuse(StatusCode::FORBIDDEN, "URL signature expired")
                    }
                    None
                    | Some(File {
                        fault: Some(MediaFault::Gone),
                        ..
                    }) => Serve::Refuse(StatusCode::NOT_FOUND, "Not Found"),
                    Some(File {
                        fault: Some(MediaFault::Slow { chunk, pause }),
                        bytes,
                        mime_type,
                        ..
                    }) => Serve::Slow(mime_type.clone(), bytes.clone(), (*chunk).max(1), *pause),
                    Some(file) => Serve::Bytes(file.mime_type.clone(), file.bytes.clone()),
                };
                (Some(ticket.media_id.clone()), serve)
            }
        }
    };
    let status = match &serve {
        Serve::Refuse(status, _) => *status,
        _ => StatusCode::OK,
    };
    shared.log_media(MediaCall::Download, media_id.as_deref(), status);
    match serve {
        // The CDN answers plain text, not Graph JSON.
        Serve::Refuse(status, text) => HttpResponse::build(status)
            .content_type("text/plain")
            .body(text),
        Serve::Bytes(mime_type, bytes) => HttpResponse::Ok().content_type(mime_type).body(bytes),
        Serve::Slow(mime_type, bytes, chunk, pause) => {
            let length = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
            let pieces =
                futures_util::stream::unfold((bytes, true), move |(rest, first)| async move {
                    if rest.is_empty() {
                        return None;
                    }
                    if !first {
                        tokio::time::sleep(pause).await;
                    }
                    let mut rest = rest;
                    let piece = rest.split_to(chunk.min(rest.len()));
                    Some((Ok::<_, std::io::Error>(piece), (rest, false)))
                });
            HttpResponse::Ok()
                .content_type(mime_type)
                .no_chunking(length)
                .streaming(pieces)
        }
    }
}

async fn upload(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    body: Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let (version, phone_number_id) = path.into_inner();
    let content_type = request
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let failure = if !shared.bearer_ok(&request) {
        Some(invalid_token())
    } else if version != shared.config.api_version {
        Some(unknown_path_failure(request.path()))
    } else if phone_number_id != shared.config.phone_number_id {
        Some(no_such_object(&phone_number_id, "post"))
    } else if !content_type.starts_with("multipart/form-data") {
        Some(GraphFailure::invalid(
            "Uploads are multipart/form-data with messaging_product, type and file.",
        ))
    } else if !contains(&body, b"name=\"messaging_product\"") || !contains(&body, b"name=\"file\"")
    {
        Some(GraphFailure::required("messaging_product and file"))
    } else {
        None
    };
    if let Some(failure) = failure {
        shared.log_media(MediaCall::Upload, None, failure.status);
        return failure.respond();
    }
    let failing = {
        let mut library = shared.media();
        let failing = library.failing_uploads > 0;
        library.failing_uploads = library.failing_uploads.saturating_sub(1);
        failing
    };
    if failing {
        shared.log_media(MediaCall::Upload, None, StatusCode::INTERNAL_SERVER_ERROR);
        return HttpResponse::InternalServerError().json(json!({
            "error": {
                "message": "An unknown error occurred",
                "type": "OAuthException",
                "code": 1,
                "fbtrace_id": "FakeUploadTrace",
            }
        }));
    }
    let media_id = {
        let mut library = shared.media();
        library.next_id += 1;
        let media_id = format!("{}", 900_000_000_000_000 + library.next_id);
        library.uploads.push(Upload {
            media_id: media_id.clone(),
            content_type,
            body,
        });
        media_id
    };
    shared.log_media(MediaCall::Upload, Some(&media_id), StatusCode::OK);
    HttpResponse::Ok().json(json!({ "id": media_id }))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

impl FakeGraphApi {
    /// Makes a file available as Meta would hold it after a citizen sent
    /// it, and returns its new media id (digits, as Meta's).
    pub fn add_media(&self, bytes: impl Into<Bytes>, mime_type: &str) -> String {
        let bytes = bytes.into();
        let mut library = self.shared.media();
        library.next_id += 1;
        let media_id = format!("{}", 100_000_000_000_000 + library.next_id);
        let sha256 = hex_sha256(&bytes);
        library.files.insert(
            media_id.clone(),
            File {
                bytes,
                mime_type: mime_type.to_owned(),
                sha256,
                fault: None,
            },
        );
        media_id
    }

    /// Scripts one of Meta's failures for a file (`None` clears it).
    pub fn set_media_fault(&self, media_id: &str, fault: Option<MediaFault>) {
        if let Some(file) = self.shared.media().files.get_mut(media_id) {
            file.fault = fault;
        }
    }

    /// Every request to a media endpoint, in arrival order.
    pub fn media_log(&self) -> Vec<MediaRequest> {
        self.shared.media().log.clone()
    }

    /// Answers the next `n` well-formed uploads with Meta's 500 "unknown
    /// error" (code 1), as when Meta has a bad moment.
    pub fn fail_next_uploads(&self, n: usize) {
        self.shared.media().failing_uploads += n;
    }

    /// Accepted uploads, in arrival order.
    pub fn uploads(&self) -> Vec<Upload> {
        self.shared.media().uploads.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake_graph::FakeGraphConfig;
    use serde_json::Value;

    const TOKEN: &str = "test-access-token";

    async fn fake() -> FakeGraphApi {
        FakeGraphApi::start(FakeGraphConfig::default())
            .await
            .expect("fake Graph API starts")
    }

    async fn info_of(fake: &FakeGraphApi, media_id: &str, token: Option<&str>) -> (u16, Value) {
        let mut request =
            reqwest::Client::new().get(format!("{}/v23.0/{media_id}", fake.base_url()));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("fake answers");
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON answer"))
    }

    async fn fetch(url: &str, token: Option<&str>) -> (u16, Bytes) {
        let mut request = reqwest::Client::new().get(url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("fake answers");
        let status = response.status().as_u16();
        (status, response.bytes().await.expect("a body"))
    }

    fn url_of(info: &Value) -> String {
        info["url"].as_str().expect("a url").to_owned()
    }

    #[tokio::test]
    async fn info_describes_the_file_and_its_url_serves_the_bytes_with_the_token_only() {
        let fake = fake().await;
        let bytes = b"%PDF-1.4 a tiny letter".to_vec();
        let id = fake.add_media(bytes.clone(), "application/pdf");
        let (status, info) = info_of(&fake, &id, Some(TOKEN)).await;
        assert_eq!(status, 200, "{info}");
        assert_eq!(info["mime_type"], "application/pdf");
        assert_eq!(info["file_size"], bytes.len());
        assert_eq!(info["sha256"], hex_sha256(&bytes));
        assert_eq!(info["id"], id.as_str());

        let (status, _) = fetch(&url_of(&info), None).await;
        assert_eq!(status, 401, "no token, no bytes");
        let (status, _) = fetch(&url_of(&info), Some("someone-else")).await;
        assert_eq!(status, 401);
        let (status, body) = fetch(&url_of(&info), Some(TOKEN)).await;
        assert_eq!(status, 200);
        assert_eq!(body.as_ref(), bytes.as_slice());

        let (status, _) = info_of(&fake, &id, None).await;
        assert_eq!(status, 401);
        let calls: Vec<_> = fake
            .media_log()
            .iter()
            .map(|r| (r.call, r.status))
            .collect();
        assert_eq!(
            calls,
            [
                (MediaCall::Info, 200),
                (MediaCall::Download, 401),
                (MediaCall::Download, 401),
                (MediaCall::Download, 200),
                (MediaCall::Info, 401),
            ]
        );
        assert!(
            fake.sent_messages().is_empty(),
            "media calls are not messages"
        );
    }

    #[tokio::test]
    async fn an_unknown_media_id_gets_metas_400_with_code_100() {
        let fake = fake().await;
        let (status, body) = info_of(&fake, "424242", Some(TOKEN)).await;
        assert_eq!(status, 400);
        assert_eq!(body["error"]["code"], 100);
    }

    #[tokio::test]
    async fn expired_urls_fail_until_a_fresh_one_is_asked_for() {
        let fake = fake().await;
        let id = fake.add_media(b"\x89PNG....".to_vec(), "image/png");
        fake.set_media_fault(&id, Some(MediaFault::ExpiredUrls(2)));
        for _ in 0..2 {
            let (_, info) = info_of(&fake, &id, Some(TOKEN)).await;
            let (status, _) = fetch(&url_of(&info), Some(TOKEN)).await;
            assert_eq!(status, 403, "this URL has expired");
        }
        let (_, info) = info_of(&fake, &id, Some(TOKEN)).await;
        let (status, body) = fetch(&url_of(&info), Some(TOKEN)).await;
        assert_eq!(status, 200);
        assert_eq!(body.as_ref(), b"\x89PNG....");

        fake.set_media_fault(&id, Some(MediaFault::ExpiredUrls(u32::MAX)));
        for _ in 0..3 {
            let (_, info) = info_of(&fake, &id, Some(TOKEN)).await;
            assert_eq!(fetch(&url_of(&info), Some(TOKEN)).await.0, 403);
        }
    }

    #[tokio::test]
    async fn a_gone_file_answers_404_and_a_wrong_digest_is_reported_as_given() {
        let fake = fake().await;
        let gone = fake.add_media(b"gone".to_vec(), "image/jpeg");
        fake.set_media_fault(&gone, Some(MediaFault::Gone));
        let (status, info) = info_of(&fake, &gone, Some(TOKEN)).await;
        assert_eq!(status, 200, "the info is still there");
        assert_eq!(fetch(&url_of(&info), Some(TOKEN)).await.0, 404);
        assert_eq!(
            fetch(
                &format!("{}{DOWNLOAD_PREFIX}/nope", fake.base_url()),
                Some(TOKEN)
            )
            .await
            .0,
            404
        );

        let lied = fake.add_media(b"real bytes".to_vec(), "image/jpeg");
        fake.set_media_fault(&lied, Some(MediaFault::WrongSha256));
        let (_, info) = info_of(&fake, &lied, Some(TOKEN)).await;
        assert_ne!(info["sha256"], hex_sha256(b"real bytes"));
        let (status, body) = fetch(&url_of(&info), Some(TOKEN)).await;
        assert_eq!((status, body.as_ref()), (200, b"real bytes".as_slice()));
    }

    #[tokio::test]
    async fn a_slow_download_arrives_whole_in_pieces_over_time() {
        let fake = fake().await;
        let bytes: Vec<u8> = (0..=255).collect();
        let id = fake.add_media(bytes.clone(), "audio/ogg");
        let pause = Duration::from_millis(20);
        fake.set_media_fault(&id, Some(MediaFault::Slow { chunk: 64, pause }));
        let (_, info) = info_of(&fake, &id, Some(TOKEN)).await;
        let started = std::time::Instant::now();
        let (status, body) = fetch(&url_of(&info), Some(TOKEN)).await;
        assert_eq!(status, 200);
        assert_eq!(body.as_ref(), bytes.as_slice());
        // Four pieces, three pauses between them: a lower bound only.
        assert!(started.elapsed() >= pause * 3);
    }

    #[tokio::test]
    async fn an_upload_needs_the_token_the_number_and_a_multipart_form() {
        let fake = fake().await;
        let base = format!("{}/v23.0/123456789012345/media", fake.base_url());
        let form = "--b\r\nContent-Disposition: form-data; name=\"messaging_product\"\r\n\r\nwhatsapp\r\n--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\nPNGDATA\r\n--b--\r\n";
        let post = |url: String, token: Option<&'static str>, content_type: &'static str| {
            let mut request = reqwest::Client::new()
                .post(url)
                .header("content-type", content_type)
                .body(form);
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            request.send()
        };
        let multipart = "multipart/form-data; boundary=b";
        assert_eq!(
            post(base.clone(), None, multipart).await.unwrap().status(),
            401
        );
        let other = format!("{}/v23.0/999/media", fake.base_url());
        assert_eq!(
            post(other, Some(TOKEN), multipart).await.unwrap().status(),
            400
        );
        assert_eq!(
            post(base.clone(), Some(TOKEN), "application/json")
                .await
                .unwrap()
                .status(),
            400
        );
        let answer = post(base, Some(TOKEN), multipart).await.unwrap();
        assert_eq!(answer.status(), 200);
        let id = answer.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let uploads = fake.uploads();
        assert_eq!(uploads.len(), 1);
        assert_eq!(uploads[0].media_id, id);
        assert!(contains(&uploads[0].body, b"PNGDATA"));
    }
}
