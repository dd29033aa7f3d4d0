//! Uploading a file staff send: `POST /{version}/{phone-number-id}/media`
//! as a multipart form (`messaging_product=whatsapp`, `type`, `file`),
//! answered with the media id the message then names. Failures are sorted
//! as a send's are, so the outbox retries an upload as it retries a send.

use super::{GraphClient, SendError};
use crate::domain::OutgoingMessage;
use reqwest::multipart::{Form, Part};
use serde::Deserialize;

/// The bytes of a file to upload, with what they are.
#[derive(Debug, Clone)]
pub struct FileToUpload {
    pub bytes: Vec<u8>,
    /// Sniffed type: `image/jpeg`, `image/png` or `application/pdf`.
    pub mime: String,
    pub filename: String,
}

#[derive(Deserialize)]
struct Uploaded {
    id: String,
}

impl GraphClient {
    /// Uploads `file`, the attachment of `message`, and returns Meta's id
    /// for it. One HTTP request; retrying is the caller's decision.
    pub async fn upload(
        &self,
        message: &OutgoingMessage,
        file: FileToUpload,
    ) -> Result<String, SendError> {
        let invalid = |title: String| SendError::Permanent { code: 0, title };
        let url = self
            .messages_url
            .join("media")
            .map_err(|err| invalid(format!("cannot build the media URL ({err})")))?;
        let part = Part::bytes(file.bytes)
            .file_name(file.filename)
            .mime_str(&file.mime)
            .map_err(|err| invalid(format!("not a media type ({err})")))?;
        let form = Form::new()
            .text("messaging_product", "whatsapp")
            .text("type", file.mime)
            .part("file", part);
        let bytes = self
            .answer(self.http.post(url).multipart(form), message)
            .await?;
        serde_json::from_slice::<Uploaded>(&bytes)
            .map(|uploaded| uploaded.id)
            .map_err(|_| SendError::Retryable {
                code: None,
                title: "Graph API accepted an upload but returned no media id".to_owned(),
                retry_after: None,
            })
    }
}
