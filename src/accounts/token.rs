//! Random tokens for sessions and CSRF. The session token travels in the
//! cookie; the database keeps only its SHA-256, so a leaked copy of the
//! database holds no usable login.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// 32 random bytes, hex encoded.
pub fn random() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What the database stores of a session token.
pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Compares two tokens in constant time.
pub fn same(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_digests_stable() {
        let a = random();
        assert_eq!(a.len(), 64);
        assert_ne!(a, random());
        assert_eq!(digest(&a), digest(&a));
        assert_ne!(digest(&a), a);
        assert!(same(&a, &a.clone()));
        assert!(!same(&a, &random()));
        assert!(!same("abc", "abcd"));
    }
}
