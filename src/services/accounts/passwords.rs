//! Staff passwords: argon2id hashes, and the rule a new password must follow.

use argon2::Argon2;

use crate::services::hashing::Busy;
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

/// [`hash_password`] in the process' hashing pool (`services::hashing`): argon2 takes tens of
/// milliseconds of CPU and ~19 MiB on purpose, which must neither stall the requests sharing
/// this thread nor run unbounded. Callers are already authorised (a setup link, an organiser,
/// the command line), so this waits for a worker however long the queue.
pub(super) async fn hash_off_thread(password: String) -> String {
    crate::services::hashing::pool()
        .run(move || hash_password(&password))
        .await
}

/// [`verify_password`] in the process' hashing pool, refused at once ([`Busy`]) when the pool's
/// queue is full: logins are anonymous, so a flood of them must not queue without end.
/// Without a stored hash (unknown e-mail, account without password) the password is checked
/// against a dummy hash, always false: the same work, so timing does not tell them apart.
pub(super) async fn verify_off_thread(
    password: String,
    stored: Option<String>,
) -> Result<bool, Busy> {
    static DUMMY: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| hash_password("no account has this password"));
    crate::services::hashing::pool()
        .try_run(move || match stored {
            Some(hash) => verify_password(&password, &hash),
            None => {
                // Made once, inside the pool too: it is an argon2 computation.
                let _ = verify_password(&password, &DUMMY);
                false
            }
        })
        .await
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
