//! Staff passwords: argon2id hashes, and the rule a new password must follow.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// The stored form of a password: argon2id with a random salt (PHC string).
pub fn hash_password(password: &str) -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    let salt = SaltString::encode_b64(&bytes).expect("16 bytes make a valid salt");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters hashes any password")
        .to_string()
}

/// [`hash_password`] on a blocking thread: argon2 takes tens of milliseconds of CPU on purpose,
/// which must not stall the requests sharing this thread.
pub(super) async fn hash_off_thread(password: String) -> String {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .expect("hashing does not panic, and a blocking task always runs to completion")
}

/// Whether `password` matches a stored hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Password rule for staff accounts.
pub fn password_problem(password: &str) -> Option<&'static str> {
    if password.chars().count() < 12 {
        Some("La password deve avere almeno 12 caratteri.")
    } else if password.chars().count() > 200 {
        Some("La password è troppo lunga (al massimo 200 caratteri).")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_themselves() {
        let h = hash_password("una password lunga");
        assert!(verify_password("una password lunga", &h));
        assert!(!verify_password("un'altra password", &h));
        assert!(!verify_password("x", "not a hash"));
        assert!(password_problem("corta").is_some());
        assert!(password_problem("abbastanza lunga").is_none());
    }
}
