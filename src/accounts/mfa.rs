//! The second factor of local password accounts (ADR 0027): TOTP (RFC
//! 6238: six digits, 30-second steps, SHA-1, the parameters every
//! authenticator app reads) with `totp-rs`, its QR code with `qrcode`,
//! and ten recovery codes shown once and stored as SHA-256.
//!
//! A code is accepted for the step before, the current step and the step
//! after (clocks of phones drift), and only for a step later than the
//! last one accepted: a code seen over someone's shoulder, or sent twice,
//! does not log in again. Storage is in `db::mfa`; the HTTP side in
//! `web::api::mfa` and the login.

use crate::db::{Store, StoreError};
use chrono::{DateTime, Utc};
use rand::Rng;
use secrecy::ExposeSecret;
use totp_rs::{Algorithm, Secret, TOTP};

/// Seconds per TOTP step (RFC 6238's default; what the apps assume).
const STEP_SECONDS: i64 = 30;
/// Digits of a code.
const DIGITS: usize = 6;
/// Steps accepted either side of the current one.
const SKEW: i64 = 1;
/// Random bytes of a new secret (RFC 4226 recommends 160 bits).
const SECRET_BYTES: usize = 20;
/// Recovery codes made at enrolment.
pub const RECOVERY_CODES: usize = 10;
/// Alphabet of recovery codes: 32 symbols without look-alikes, so each
/// symbol is 5 random bits and 16 of them are 80.
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// Why a second-factor step failed.
#[derive(Debug, thiserror::Error)]
pub enum MfaError {
    #[error("the account uses a second factor and no code was given")]
    Missing,
    #[error("the code is wrong or expired")]
    Wrong,
    #[error("the code was used already")]
    Replayed,
    #[error("the account has a second factor already")]
    AlreadyEnabled,
    #[error("the account has no second factor being set up")]
    NothingToConfirm,
    #[error("the account has no second factor")]
    NotEnabled,
    #[error("the stored secret is not usable: {0}")]
    BadSecret(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the staff page shows to set up an authenticator app.
#[derive(Debug)]
pub struct Enrolment {
    /// `otpauth://totp/...`: what the QR code holds.
    pub otpauth_uri: String,
    /// The secret in base32, for typing it in by hand.
    pub secret: String,
    /// The QR code as an SVG document (a rect and a path, no script).
    pub qr_svg: String,
}

/// How a login's second factor was satisfied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondFactor {
    /// The account has none (yet).
    NotEnrolled,
    /// A code from the authenticator app.
    Totp,
    /// One of the recovery codes (now used up).
    RecoveryCode,
}

fn totp(secret_base32: &str, issuer: &str, username: &str) -> Result<TOTP, MfaError> {
    let bytes = Secret::Encoded(secret_base32.to_owned())
        .to_bytes()
        .map_err(|e| MfaError::BadSecret(format!("{e:?}")))?;
    // The label is "issuer:account": neither may hold a colon.
    let issuer = issuer.replace(':', " ");
    TOTP::new(
        Algorithm::SHA1,
        DIGITS,
        0,
        STEP_SECONDS.unsigned_abs(),
        bytes,
        Some(issuer),
        username.replace(':', " "),
    )
    .map_err(|e| MfaError::BadSecret(e.to_string()))
}

/// A new random secret, base32.
fn new_secret() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    // `to_encoded` gives `Secret::Encoded`, which displays as its base32.
    Secret::Raw(bytes.to_vec()).to_encoded().to_string()
}

/// The time step a code belongs to, if it is one of the accepted steps
/// around `at` (compared in constant time).
fn matching_step(totp: &TOTP, code: &str, at: DateTime<Utc>) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let now_step = at.timestamp().div_euclid(STEP_SECONDS);
    let mut found = None;
    // Every candidate is computed and compared, so the time taken does
    // not say which step matched.
    for step in now_step - SKEW..=now_step + SKEW {
        let Ok(time) = u64::try_from(step * STEP_SECONDS) else {
            continue;
        };
        if super::token::same(&totp.generate(time), &code) {
            found = Some(step);
        }
    }
    found
}

/// Whether a typed code has the shape of a TOTP code (else it is taken
/// for a recovery code).
fn looks_like_totp(code: &str) -> bool {
    let digits: Vec<char> = code.chars().filter(|c| !c.is_whitespace()).collect();
    digits.len() == DIGITS && digits.iter().all(char::is_ascii_digit)
}

/// Ten new recovery codes, `xxxx-xxxx-xxxx-xxxx` (80 random bits each).
fn new_recovery_codes() -> Vec<String> {
    let mut rng = rand::rngs::OsRng;
    (0..RECOVERY_CODES)
        .map(|_| {
            let symbols: Vec<char> = (0..16)
                .map(|_| char::from(RECOVERY_ALPHABET[rng.gen_range(0..RECOVERY_ALPHABET.len())]))
                .collect();
            symbols
                .chunks(4)
                .map(|chunk| chunk.iter().collect::<String>())
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect()
}

/// What is stored of a recovery code: the SHA-256 of its symbols, read
/// without case, spaces or dashes (as people type it back). 80 random
/// bits need no slow hash: there is nothing to guess from the digest.
fn recovery_digest(code: &str) -> String {
    let plain: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    super::token::digest(&plain)
}

/// The label and issuer the authenticator app shows.
fn issuer(organisation: &str) -> String {
    format!("Loket {organisation}")
}

/// Starts (or starts again) setting up an authenticator for `account`.
pub async fn start(
    store: &Store,
    account: &super::Account,
    organisation: &str,
    now: DateTime<Utc>,
) -> Result<Enrolment, MfaError> {
    let secret = new_secret();
    let totp = totp(&secret, &issuer(organisation), &account.username)?;
    if !store.start_totp(account.id, &secret, now).await? {
        return Err(MfaError::AlreadyEnabled);
    }
    let otpauth_uri = totp.get_url();
    let qr_svg = qrcode::QrCode::new(otpauth_uri.as_bytes())
        .map_err(|e| MfaError::BadSecret(e.to_string()))?
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .build();
    Ok(Enrolment {
        otpauth_uri,
        secret,
        qr_svg,
    })
}

/// Confirms the enrolment with a current code: the second factor is on
/// and the session `token_hash` may do everything its role may. Returns
/// the recovery codes, to be shown once (only their hashes are kept).
pub async fn confirm(
    store: &Store,
    account: &super::Account,
    token_hash: &str,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Vec<String>, MfaError> {
    let row = match store.totp(account.id).await? {
        Some(row) if !row.enabled => row,
        Some(_) => return Err(MfaError::AlreadyEnabled),
        None => return Err(MfaError::NothingToConfirm),
    };
    let totp = totp(row.secret.expose_secret(), "", &account.username)?;
    let step = matching_step(&totp, code, now).ok_or(MfaError::Wrong)?;
    let codes = new_recovery_codes();
    let hashes: Vec<String> = codes.iter().map(|c| recovery_digest(c)).collect();
    if store
        .enable_totp(account.id, step, &hashes, token_hash, now)
        .await?
    {
        Ok(codes)
    } else {
        Err(MfaError::Replayed)
    }
}

/// Checks a TOTP code of an account whose second factor is on, and uses
/// up its step.
async fn check_totp(
    store: &Store,
    account: &super::Account,
    secret: &secrecy::SecretString,
    code: &str,
    now: DateTime<Utc>,
) -> Result<(), MfaError> {
    let totp = totp(secret.expose_secret(), "", &account.username)?;
    let step = matching_step(&totp, code, now).ok_or(MfaError::Wrong)?;
    if store.accept_totp_step(account.id, step).await? {
        Ok(())
    } else {
        Err(MfaError::Replayed)
    }
}

/// The second factor of a login whose password was right: nothing when
/// the account has none, else a current code (or an unused recovery
/// code) in `code`.
pub async fn check_login(
    store: &Store,
    account: &super::Account,
    code: Option<&str>,
    now: DateTime<Utc>,
) -> Result<SecondFactor, MfaError> {
    let row = match store.totp(account.id).await? {
        Some(row) if row.enabled => row,
        _ => return Ok(SecondFactor::NotEnrolled),
    };
    let code = code.map(str::trim).filter(|c| !c.is_empty());
    let Some(code) = code else {
        return Err(MfaError::Missing);
    };
    if looks_like_totp(code) {
        check_totp(store, account, &row.secret, code, now).await?;
        return Ok(SecondFactor::Totp);
    }
    if store
        .use_recovery_code(account.id, &recovery_digest(code), now)
        .await?
    {
        Ok(SecondFactor::RecoveryCode)
    } else {
        Err(MfaError::Wrong)
    }
}

/// Switches the second factor off, proven with a current code.
pub async fn disable(
    store: &Store,
    account: &super::Account,
    code: &str,
    now: DateTime<Utc>,
) -> Result<(), MfaError> {
    let row = match store.totp(account.id).await? {
        Some(row) if row.enabled => row,
        _ => return Err(MfaError::NotEnabled),
    };
    check_totp(store, account, &row.secret, code, now).await?;
    store.remove_totp(account.id).await?;
    Ok(())
}

/// Whether the account's second factor is on, and its recovery codes left.
pub async fn status(store: &Store, account_id: i64) -> Result<(bool, i64), StoreError> {
    let enabled = store.totp(account_id).await?.is_some_and(|row| row.enabled);
    let left = if enabled {
        store.recovery_codes_left(account_id).await?
    } else {
        0
    };
    Ok((enabled, left))
}

/// The code an authenticator app shows at `at` for a base32 secret (for
/// tests and tools that play the app).
pub fn code_at(secret_base32: &str, at: DateTime<Utc>) -> Result<String, MfaError> {
    let totp = totp(secret_base32, "", "")?;
    let time = u64::try_from(at.timestamp()).map_err(|e| MfaError::BadSecret(e.to_string()))?;
    Ok(totp.generate(time))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(seconds, 0).single().expect("valid time")
    }

    #[test]
    fn the_rfc_6238_test_vector_is_met() {
        // RFC 6238 appendix B, SHA-1, secret "12345678901234567890", T=59:
        // 94287082 (8 digits); its last six are the 6-digit code.
        let secret = Secret::Raw(b"12345678901234567890".to_vec())
            .to_encoded()
            .to_string();
        assert_eq!(code_at(&secret, at(59)).expect("code"), "287082");
        assert_eq!(code_at(&secret, at(1_111_111_109)).expect("code"), "081804");
    }

    #[test]
    fn a_code_matches_its_step_and_the_neighbours_only() {
        let secret = new_secret();
        let totp = totp(&secret, "Loket", "anna").expect("totp");
        let now = at(1_800_000_015);
        let step = now.timestamp() / STEP_SECONDS;
        let current = code_at(&secret, now).expect("code");
        assert_eq!(matching_step(&totp, &current, now), Some(step));
        let previous = code_at(&secret, now - chrono::Duration::seconds(30)).expect("code");
        assert_eq!(matching_step(&totp, &previous, now), Some(step - 1));
        let old = code_at(&secret, now - chrono::Duration::seconds(90)).expect("code");
        if old != current && old != previous {
            assert_eq!(matching_step(&totp, &old, now), None);
        }
        assert_eq!(matching_step(&totp, "12345", now), None);
        assert_eq!(matching_step(&totp, "abcdef", now), None);
    }

    #[test]
    fn recovery_codes_are_random_and_read_back_loosely() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let distinct: std::collections::BTreeSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), RECOVERY_CODES);
        let code = &codes[0];
        assert_eq!(code.len(), 19, "{code}");
        assert!(!looks_like_totp(code));
        assert_eq!(
            recovery_digest(code),
            recovery_digest(&code.to_uppercase().replace('-', " "))
        );
        assert_ne!(recovery_digest(code), recovery_digest(&codes[1]));
        assert_ne!(recovery_digest(code), *code, "only a digest is kept");
    }

    #[test]
    fn the_uri_names_the_issuer_and_account_and_the_qr_code_is_plain_svg() {
        let secret = new_secret();
        let totp = totp(&secret, &issuer("Gemeente: Voorbeeldstad"), "anna").expect("totp");
        let uri = totp.get_url();
        assert!(uri.starts_with("otpauth://totp/"), "{uri}");
        assert!(uri.contains(&format!("secret={secret}")), "{uri}");
        assert!(uri.contains("anna"), "{uri}");
        let svg = qrcode::QrCode::new(uri.as_bytes())
            .expect("fits a QR code")
            .render::<qrcode::render::svg::Color<'_>>()
            .build();
        assert!(svg.contains("<svg") && !svg.contains("<script") && !svg.contains("style="));
    }
}
