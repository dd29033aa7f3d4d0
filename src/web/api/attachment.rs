//! `POST /api/conversations/{id}/attachment`: staff send a file (a JPEG,
//! PNG or PDF) with an optional caption (issue 21, step 5). A multipart
//! form, as a browser sends a chosen file without re-encoding it (base64
//! in JSON would add a third and hold the text and the bytes at once).
//! The checks run before anything is stored: size, type by the bytes,
//! metadata stripped (`media::check_attachment`), the caption under the
//! same rules as a text reply; then the same path as a text reply: the
//! claim, the 24-hour window, the outbox and the audit log.

use super::error::{ApiError, ErrorBody};
use super::queue::{ConversationPath, Queued, check_staff_text, queue_staff_message};
use crate::db::StaffMessage;
use crate::media::{AttachmentError, check_attachment, largest_attachment};
use crate::web::AppState;
use crate::web::auth::Staff;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;

/// Longest caption form field read, in bytes: the 4096 characters a
/// caption may have, four bytes each at most.
const MAX_CAPTION_BYTES: usize = 4 * 4096;

/// The form: `file` and an optional `caption`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // Only its schema is used: the form is read field by field.
pub struct AttachmentForm {
    /// A JPEG or PNG image (at most 5 MiB) or a PDF (at most
    /// `[media] upload_max_bytes`, 16 MiB by default). The type is read
    /// from the bytes; an image's metadata (EXIF, GPS) is removed.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
    /// Shown under the file; at most 4096 characters, links only to the
    /// allowed sites.
    #[schema(max_length = 4096)]
    pub caption: Option<String>,
}

/// What the form held.
struct Form {
    file: Option<(web::Bytes, Option<String>)>,
    caption: Option<String>,
}

/// Send a file (an image or a PDF, with an optional caption) to the
/// citizen (the claimer or an admin), only inside WhatsApp's 24-hour
/// window.
#[utoipa::path(post, path = "/api/conversations/{id}/attachment", tag = "queue",
    request_body(content = AttachmentForm, content_type = "multipart/form-data"),
    security(("session" = [], "csrf" = [])), params(ConversationPath),
    responses((status = 202, description = "Queued for sending", body = Queued),
        (status = 400, description = "Not a multipart form with a non-empty `file` (`invalid`)", body = ErrorBody),
        (status = 403, response = super::doc::NotYours),
        (status = 409, description = "The 24-hour window is closed (`window_closed`, with `expires_at` and `template`)", body = ErrorBody),
        (status = 413, description = "The file is larger than allowed for its kind (`too_large`, with `limit`)", body = ErrorBody),
        (status = 415, description = "The file is not a JPEG, PNG or PDF by its bytes, or the image cannot be read (`unsupported_media_type`)", body = ErrorBody),
        (status = 422, description = "The caption is refused: too long, or a link to a site not allowed (`caption_refused`, with `domain`)", body = ErrorBody)))]
pub async fn send(
    staff: Staff,
    state: web::Data<AppState>,
    id: web::Path<ConversationPath>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    staff.require_queue()?;
    let summary = id.summary(&state).await?;
    let settings = &state.settings.media;
    let limit = largest_attachment(settings.upload_max_bytes, &settings.caps());
    let form = read_form(&request, payload, limit).await?;
    let caption = form
        .caption
        .map(|caption| caption.trim().to_owned())
        .filter(|caption| !caption.is_empty());
    if let Some(caption) = &caption {
        check_staff_text(&state, caption).map_err(caption_refused)?;
    }
    let (bytes, name) = form
        .file
        .ok_or_else(|| ApiError::invalid("Kies een bestand om te versturen (veld \"file\")."))?;
    let file = check_attachment(
        bytes,
        name.as_deref(),
        settings.upload_max_bytes,
        &settings.caps(),
    )
    .map_err(refused)?;
    queue_staff_message(
        &staff,
        &state,
        &summary,
        StaffMessage::File { file, caption },
    )
    .await
}

/// A caption refused under the text rules: 422, the rule's own message.
fn caption_refused(mut error: ApiError) -> ApiError {
    error.status = StatusCode::UNPROCESSABLE_ENTITY;
    error.code = "caption_refused";
    error
}

/// A file refused by its checks, worded for staff.
fn refused(error: AttachmentError) -> ApiError {
    match error {
        AttachmentError::Empty => ApiError::invalid("Het bestand is leeg."),
        AttachmentError::TooLarge { limit } => too_large(limit),
        AttachmentError::WrongType => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Alleen een foto (JPEG of PNG) of een PDF kan worden verstuurd.",
        ),
        AttachmentError::Unreadable => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "De foto kan niet worden gelezen; is het bestand beschadigd?",
        ),
    }
}

fn too_large(limit: u64) -> ApiError {
    let megabytes = limit as f64 / (1024.0 * 1024.0);
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        format!("Het bestand is te groot: hooguit {megabytes:.1} MB voor dit soort bestand."),
    )
    .with("limit", limit)
}

/// Reads the multipart form, holding at most `limit` bytes of the file
/// (larger: 413 at once, the rest is not read) and of anything else only
/// the caption.
async fn read_form(
    request: &HttpRequest,
    payload: web::Payload,
    limit: u64,
) -> Result<Form, ApiError> {
    let not_a_form =
        || ApiError::invalid("Stuur het bestand als multipart/form-data met het veld \"file\".");
    let is_form = request
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("multipart/form-data"));
    if !is_form {
        return Err(not_a_form());
    }
    let mut multipart = actix_multipart::Multipart::new(request.headers(), payload);
    let mut form = Form {
        file: None,
        caption: None,
    };
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|_| not_a_form())?;
        let name = field.name().unwrap_or_default().to_owned();
        let (cap, too_much) = match name.as_str() {
            "file" => (limit, too_large(limit)),
            "caption" => (
                MAX_CAPTION_BYTES as u64,
                caption_refused(ApiError::invalid(
                    "Het bijschrift is te lang: WhatsApp staat hooguit 4096 tekens toe.",
                )),
            ),
            // Fields we do not read are skipped, not held.
            _ => (0, not_a_form()),
        };
        let mut bytes = web::BytesMut::new();
        while let Some(piece) = field.next().await {
            let piece = piece.map_err(|_| not_a_form())?;
            if cap == 0 {
                continue;
            }
            if (bytes.len() + piece.len()) as u64 > cap {
                return Err(too_much);
            }
            bytes.extend_from_slice(&piece);
        }
        match name.as_str() {
            "file" => {
                let filename = field
                    .content_disposition()
                    .and_then(|disposition| disposition.get_filename())
                    .map(str::to_owned);
                form.file = Some((bytes.freeze(), filename));
            }
            "caption" => {
                let text = String::from_utf8(bytes.to_vec()).map_err(|_| {
                    ApiError::invalid("Het bijschrift is geen geldige tekst (UTF-8).")
                })?;
                form.caption = Some(text);
            }
            _ => {}
        }
    }
    Ok(form)
}
