//! Checking Meta's `X-Hub-Signature-256` header on webhook POSTs.
//!
//! Meta signs every webhook body with HMAC-SHA256 keyed by the app secret
//! and sends `sha256=<64 hex digits>`. See
//! <https://developers.facebook.com/docs/graph-api/webhooks/getting-started#validate-payloads>.
//!
//! Invariant: the MAC is computed over the raw bytes exactly as received,
//! before any parsing. Meta escapes non-ASCII as `\uXXXX`, so a body that
//! was parsed and serialised again has different bytes and a different MAC;
//! this module therefore only ever takes `&[u8]`, never a parsed value. The
//! comparison is constant-time (`Mac::verify_slice`), so response timing
//! tells an attacker nothing about how many bytes of a forged MAC matched.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Name of the HTTP header that carries the signature.
pub const SIGNATURE_HEADER: &str = "X-Hub-Signature-256";

/// What precedes the hex digest in the header value.
const PREFIX: &str = "sha256=";

/// Length of a SHA-256 digest in hex digits.
const HEX_LEN: usize = 64;

/// Why a webhook body was not accepted as coming from Meta.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The request had no `X-Hub-Signature-256` header.
    #[error("the X-Hub-Signature-256 header is missing")]
    Missing,
    /// The header is there but is not `sha256=` followed by 64 hex digits.
    #[error("the X-Hub-Signature-256 header is malformed: {0}")]
    Malformed(&'static str),
    /// Well-formed, but not the MAC of this body under our app secret.
    #[error("the X-Hub-Signature-256 signature does not match the body")]
    Mismatch,
}

/// Checks `header` (the value of `X-Hub-Signature-256`) against the raw
/// request `body` using the app secret.
///
/// Hex digits may be upper or lower case. An empty `app_secret` never
/// verifies: it would be a configuration mistake, and accepting it would let
/// anyone forge webhooks, so it fails closed with `Mismatch`.
pub fn verify_signature(
    app_secret: &[u8],
    body: &[u8],
    header: Option<&str>,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    // Proxies sometimes keep surrounding whitespace; it carries no meaning.
    let digest_hex = header
        .trim()
        .strip_prefix(PREFIX)
        .ok_or(SignatureError::Malformed("it does not start with sha256="))?;
    if digest_hex.len() != HEX_LEN {
        return Err(SignatureError::Malformed(
            "the digest is not 64 hex digits long",
        ));
    }
    let expected = hex::decode(digest_hex)
        .map_err(|_| SignatureError::Malformed("the digest is not hexadecimal"))?;
    if app_secret.is_empty() {
        return Err(SignatureError::Mismatch);
    }
    let mut mac = HmacSha256::new_from_slice(app_secret).map_err(|_| SignatureError::Mismatch)?;
    mac.update(body);
    mac.verify_slice(&expected)
        .map_err(|_| SignatureError::Mismatch)
}

/// The full header value (`sha256=<lowercase hex>`) Meta would send for
/// `body`; used by tests and the load generator to sign what they POST.
pub fn sign_body(app_secret: &[u8], body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail; should it ever,
    // the bare prefix returned is malformed and fails verification instead
    // of panicking.
    let Ok(mut mac) = HmacSha256::new_from_slice(app_secret) else {
        return PREFIX.to_owned();
    };
    mac.update(body);
    format!("{PREFIX}{}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"test-app-secret-not-real";
    const BODY: &[u8] = br#"{"object":"whatsapp_business_account","entry":[]}"#;

    #[test]
    fn a_body_signed_with_the_app_secret_verifies() {
        let header = sign_body(SECRET, BODY);
        assert!(header.starts_with("sha256="));
        assert_eq!(header.len(), "sha256=".len() + 64);
        assert_eq!(verify_signature(SECRET, BODY, Some(&header)), Ok(()));
    }

    #[test]
    fn the_signature_matches_a_known_hmac_sha256_vector() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let header = sign_body(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            header,
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn a_signature_made_with_another_secret_is_a_mismatch() {
        let header = sign_body(b"some-other-secret", BODY);
        assert_eq!(
            verify_signature(SECRET, BODY, Some(&header)),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn changing_one_byte_of_the_body_is_a_mismatch() {
        let header = sign_body(SECRET, BODY);
        let mut changed = BODY.to_vec();
        if let Some(last) = changed.last_mut() {
            *last ^= 0x01;
        }
        assert_ne!(changed, BODY);
        assert_eq!(
            verify_signature(SECRET, &changed, Some(&header)),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_missing_header_is_reported_as_missing() {
        assert_eq!(
            verify_signature(SECRET, BODY, None),
            Err(SignatureError::Missing)
        );
    }

    #[test]
    fn headers_that_are_not_sha256_and_64_hex_digits_are_malformed() {
        let good = sign_body(SECRET, BODY);
        let digest = good.trim_start_matches("sha256=");
        let cases = [
            String::new(),
            digest.to_owned(),
            format!("sha1={digest}"),
            format!("sha256={}", &digest[..63]),
            format!("sha256={digest}00"),
            format!("sha256={}zz", &digest[..62]),
            "sha256=".to_owned(),
            // Multi-byte characters: 64 bytes long but not hex.
            format!("sha256={}", "é".repeat(32)),
        ];
        for case in cases {
            assert!(
                matches!(
                    verify_signature(SECRET, BODY, Some(&case)),
                    Err(SignatureError::Malformed(_))
                ),
                "{case:?} should be malformed"
            );
        }
    }

    #[test]
    fn uppercase_hex_digits_are_accepted() {
        let header = sign_body(SECRET, BODY);
        let upper = format!(
            "sha256={}",
            header.trim_start_matches("sha256=").to_uppercase()
        );
        assert_ne!(upper, header);
        assert_eq!(verify_signature(SECRET, BODY, Some(&upper)), Ok(()));
    }

    #[test]
    fn surrounding_whitespace_in_the_header_is_ignored() {
        let header = format!("  {} ", sign_body(SECRET, BODY));
        assert_eq!(verify_signature(SECRET, BODY, Some(&header)), Ok(()));
    }

    #[test]
    fn an_empty_app_secret_never_verifies() {
        let header = sign_body(b"", BODY);
        assert_eq!(
            verify_signature(b"", BODY, Some(&header)),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn the_signature_covers_the_escaped_raw_bytes_not_a_reserialised_body() {
        // Meta escapes non-ASCII as \uXXXX; serde_json writes raw UTF-8.
        let raw = br#"{"text":{"body":"Hoe laat zijn jullie open? \ud83d\ude0a caf\u00e9"}}"#;
        let header = sign_body(SECRET, raw);
        assert_eq!(verify_signature(SECRET, raw, Some(&header)), Ok(()));

        let parsed: serde_json::Value = serde_json::from_slice(raw).expect("valid JSON");
        let reserialised = serde_json::to_vec(&parsed).expect("serialisable");
        assert_ne!(reserialised.as_slice(), raw.as_slice());
        assert!(String::from_utf8_lossy(&reserialised).contains("café"));
        assert_eq!(
            verify_signature(SECRET, &reserialised, Some(&header)),
            Err(SignatureError::Mismatch)
        );
    }
}
