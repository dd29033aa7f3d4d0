//! Password hashing with argon2id and the rules for a new password. New
//! hashes use the least memory of OWASP's equally strong argon2id choices
//! (7 MiB, 5 passes); a stored hash is checked with the parameters it
//! carries, so hashes made with the crate's default (19 MiB, 2 passes)
//! keep working.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::Rng;

/// Shortest password accepted.
pub const MIN_LENGTH: usize = 12;

/// Why a password cannot be used or checked.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("the password is too short: use at least {MIN_LENGTH} characters")]
    TooShort,
    #[error("the password is too long: use at most 256 characters")]
    TooLong,
    #[error("hashing failed: {0}")]
    Hash(String),
}

/// OWASP's argon2id option with the least memory: m = 7 MiB, t = 5, p = 1
/// (its cheat sheet lists it as as strong as 19 MiB with 2 passes). Less
/// memory per login keeps the service's peak low.
fn hasher() -> Argon2<'static> {
    match Params::new(7 * 1024, 5, 1, None) {
        Ok(params) => Argon2::new(Algorithm::Argon2id, Version::V0x13, params),
        // The numbers above are valid; the default is as strong.
        Err(_) => Argon2::default(),
    }
}

/// One argon2 computation at a time in this process. Each holds its
/// memory cost (7 MiB, or 19 MiB for older hashes) for its whole run, so a few staff
/// logging in at once at the start of a shift, or a burst of login
/// attempts, would otherwise raise the service's peak memory by 19 MiB
/// each (four at once: from about 105 to about 185 MB). One takes tens of
/// milliseconds, so waiting in turn costs a login little. The callers run
/// this on blocking threads, where waiting on a lock is fine.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn in_turn<T>(work: impl FnOnce() -> T) -> T {
    // A panic while hashing poisons nothing we rely on: the guard is ().
    let _turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    work()
}

/// Hashes a new password (checking its length first).
pub fn hash(password: &str) -> Result<String, PasswordError> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(PasswordError::TooShort);
    }
    if length > 256 {
        return Err(PasswordError::TooLong);
    }
    let salt = SaltString::generate(&mut OsRng);
    in_turn(|| {
        hasher()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| PasswordError::Hash(e.to_string()))
    })
}

/// Whether `password` matches the stored hash. A malformed hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    in_turn(|| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A hash to verify against when the account does not exist, so a wrong
/// username costs as much time as a wrong password (no user enumeration).
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash("not-a-real-password-at-all").unwrap_or_default())
}

/// A random password for `loket user add` without one on standard input:
/// 20 characters from an alphabet without look-alikes (0/O, 1/l/I).
pub fn generate() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    (0..20)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_is_argon2id_and_verifies_only_the_right_password() {
        let stored = hash("correct horse battery").expect("hashes");
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        assert!(verify("correct horse battery", &stored));
        assert!(!verify("correct horse batterY", &stored));
        assert!(!verify("correct horse battery", "not a hash"));
    }

    #[test]
    fn new_hashes_use_7_mib_and_5_passes_and_older_default_hashes_still_verify() {
        let stored = hash("correct horse battery").expect("hashes");
        assert!(stored.contains("$m=7168,t=5,p=1$"), "{stored}");
        // A hash made with the crate's default parameters (19 MiB, 2 passes).
        let salt = SaltString::generate(&mut OsRng);
        let older = Argon2::default()
            .hash_password(b"correct horse battery", &salt)
            .expect("hashes")
            .to_string();
        assert!(older.contains("$m=19456,t=2,p=1$"), "{older}");
        assert!(verify("correct horse battery", &older));
        assert!(!verify("wrong horse battery", &older));
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(matches!(hash("short"), Err(PasswordError::TooShort)));
    }

    #[test]
    fn generated_passwords_are_long_and_differ() {
        let a = generate();
        let b = generate();
        assert_eq!(a.chars().count(), 20);
        assert_ne!(a, b);
        assert!(hash(&a).is_ok());
    }
}
