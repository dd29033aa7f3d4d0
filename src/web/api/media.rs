//! A citizen's file for staff: the bytes of one stored file of a
//! conversation, behind exactly the check that reading its thread passes
//! (`queue::authorise_read`, audited alike), streamed from the store chunk
//! by chunk, and served so that nothing in it can run in the page.

use super::error::{ApiError, ErrorBody};
use super::queue::authorise_read;
use crate::db::{MediaRow, StoreError};
use crate::domain::PublicId;
use crate::media::Failure;
use crate::media::serve::content_disposition;
use crate::queue::QueueError;
use crate::web::AppState;
use crate::web::auth::Staff;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use serde::Deserialize;

/// What a served file may do once in the browser: nothing. It loads
/// nothing, runs nothing, and as a document it is sandboxed.
pub const MEDIA_CSP: &str = "default-src 'none'; sandbox";

/// `{id}` and `{media}` in a file's path.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct MediaPath {
    /// The conversation's public id (32 lower-case hexadecimal digits, as
    /// `id` in the queue).
    #[param(value_type = PublicId, inline)]
    id: String,
    /// The file's id, as `media.id` in the thread's messages. Another
    /// conversation's file is answered 404 like one that does not exist.
    media: i64,
}

/// The bytes of a citizen's file: images, Ogg voice notes and MP4 video
/// `inline`, everything else (every document) as an `attachment`, always
/// with the type sniffed from the bytes, `nosniff`, a sandboxing CSP and
/// no caching. Who may read the thread may read its files; reading one of
/// a thread neither queued nor one's own is audited as reading the thread.
#[utoipa::path(get, path = "/api/conversations/{id}/media/{media}", tag = "queue",
    security(("session" = [])), params(MediaPath),
    responses(
        (status = 200, description = "The file's bytes, typed as sniffed from them", content(("*/*")),
            headers(
                ("Content-Disposition" = String, description = "`inline` for images, Ogg audio and MP4 video, `attachment` otherwise; a made-up file name such as `document-7.pdf`"),
                ("X-Content-Type-Options" = String, description = "`nosniff`"),
                ("Content-Security-Policy" = String, description = "`default-src 'none'; sandbox`"),
                ("Cache-Control" = String, description = "`private, no-store`"))),
        (status = 403, response = super::doc::Forbidden),
        (status = 404, description = "No such conversation, or no such file in it (`not_found`)", body = ErrorBody),
        (status = 409, description = "The file is still being fetched (`media_pending`), or it could not be fetched (`media_failed`, with `failure` and the Dutch reason as `message`)", body = ErrorBody)))]
pub async fn download(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<MediaPath>,
) -> Result<HttpResponse, ApiError> {
    let conversation = authorise_read(&staff, &state, &path.id).await?;
    let file = state
        .store
        .media_in_conversation(conversation.key, path.media)
        .await?
        .ok_or(QueueError::NotFound)?;
    let mime = servable(&file)?;
    let id = file.id;
    let store = state.store.clone();
    let chunks = futures_util::stream::try_unfold(0_i64, move |seq| {
        let store = store.clone();
        async move {
            let chunk = store.media_chunk(id, seq).await.inspect_err(|error| {
                tracing::error!(error = %error, media = id, "reading a file for staff failed");
            })?;
            Ok::<_, StoreError>(chunk.map(|bytes| (web::Bytes::from(bytes), seq + 1)))
        }
    });
    let mut response = HttpResponse::Ok();
    response
        .content_type(mime.as_str())
        .insert_header((
            header::CONTENT_DISPOSITION,
            content_disposition(file.kind, &mime, id),
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CONTENT_SECURITY_POLICY, MEDIA_CSP))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header(("Cross-Origin-Resource-Policy", "same-origin"));
    // The stored size as Content-Length: a file purged while it streams
    // then ends as a broken download, never as a shorter "whole" file.
    if let Some(size) = file.size.and_then(|size| u64::try_from(size).ok()) {
        response.no_chunking(size);
    }
    Ok(response.streaming(chunks))
}

/// The type to serve a stored file as; 409 for one not (yet) stored.
fn servable(file: &MediaRow) -> Result<String, ApiError> {
    match file.state.as_str() {
        "stored" => Ok(file
            .sniffed_mime
            .clone()
            .unwrap_or_else(|| "application/octet-stream".to_owned())),
        "failed" => {
            let failure = file.failure.clone().unwrap_or_default();
            let message = Failure::parse(&failure)
                .map(|why| why.wording(file.kind))
                .unwrap_or_else(|| "Dit bestand kon niet worden opgehaald.".to_owned());
            Err(ApiError::new(StatusCode::CONFLICT, "media_failed", message)
                .with("failure", failure))
        }
        _ => Err(ApiError::new(
            StatusCode::CONFLICT,
            "media_pending",
            "Dit bestand wordt nog opgehaald bij WhatsApp; probeer het zo opnieuw.",
        )),
    }
}
