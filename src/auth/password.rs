//! Passwords: argon2id with the crate's recommended parameters (19 MiB, 2 passes), as a PHC
//! string. Hashing costs tens of milliseconds of CPU and 19 MiB: it runs on a blocking thread,
//! two at a time at most, so a flood of sign-ins queues instead of eating the memory.

use std::sync::LazyLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::RngCore;
use tokio::sync::Semaphore;

/// Fewer characters are too easy to guess; more than this is not a password (and bounds the work).
pub const MIN_LEN: usize = 12;
pub const MAX_LEN: usize = 200;

static HASHING: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(2));

/// Checked before hashing a new password: `None` when it is acceptable, else (English, French).
pub fn weakness(password: &str, email: &str) -> Option<(&'static str, &'static str)> {
    let length = password.chars().count();
    if length < MIN_LEN {
        return Some(("At least 12 characters.", "Au moins 12 caractères."));
    }
    if length > MAX_LEN {
        return Some(("At most 200 characters.", "Au plus 200 caractères."));
    }
    let local = email.split('@').next().unwrap_or_default().to_lowercase();
    if local.len() >= 4 && password.to_lowercase().contains(&local) {
        return Some(("Not your e-mail address.", "Pas votre adresse e-mail."));
    }
    None
}

/// The PHC string of `password` with a fresh salt.
pub async fn hash(password: String) -> anyhow::Result<String> {
    let _turn = HASHING.acquire().await?;
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
        let hash = Argon2::default().hash_password(password.as_bytes(), &salt).map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(hash.to_string())
    })
    .await?
}

/// Whether `password` matches `stored`. Without a stored hash (no such account, or no password
/// chosen yet) a hash is still checked, so that the answer takes as long either way.
pub async fn verify(password: String, stored: Option<String>) -> bool {
    if password.chars().count() > MAX_LEN {
        return false;
    }
    let Ok(_turn) = HASHING.acquire().await else { return false };
    let known = stored.is_some();
    let checked = tokio::task::spawn_blocking(move || {
        let stored = stored.unwrap_or_else(|| DECOY.clone());
        let Ok(parsed) = PasswordHash::new(&stored) else { return false };
        Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()
    })
    .await
    .unwrap_or(false);
    known && checked
}

/// A hash of a random password, checked when there is no account: the same work as a real one.
static DECOY: LazyLock<String> = LazyLock::new(|| {
    let mut secret = [0u8; 24];
    rand::rng().fill_bytes(&mut secret);
    let salt = SaltString::encode_b64(&secret[..16]).expect("16 bytes make a salt");
    Argon2::default().hash_password(&secret, &salt).expect("default parameters hash").to_string()
});

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_password_matches_its_hash_only() {
        let stored = hash("cheval agrafe pile 42".into()).await.unwrap();
        assert!(stored.starts_with("$argon2id$v=19$"), "{stored}");
        assert!(verify("cheval agrafe pile 42".into(), Some(stored.clone())).await);
        assert!(!verify("cheval agrafe pile 43".into(), Some(stored.clone())).await);
        assert!(!verify("cheval agrafe pile 42".into(), None).await, "no account: never a match");
        assert_ne!(stored, hash("cheval agrafe pile 42".into()).await.unwrap(), "a fresh salt each time");
    }

    #[test]
    fn weak_passwords_are_named() {
        assert!(weakness("court", "a@b.fr").is_some());
        assert!(weakness("claire.martin2026", "claire.martin@agence.fr").is_some());
        assert!(weakness(&"x".repeat(201), "a@b.fr").is_some());
        assert!(weakness("cheval agrafe pile 42", "claire.martin@agence.fr").is_none());
    }
}
