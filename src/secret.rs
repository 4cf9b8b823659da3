//! Random tokens for private links, sessions, API keys and setup links. The raw token goes to the
//! person once; only its SHA-256 is stored, so a database leak yields no usable link.

use base64::Engine;
use sha2::{Digest, Sha256};

/// A fresh 256-bit token, URL-safe, and the hash to store.
pub fn new_token() -> (String, String) {
    let raw = random_token();
    let hash = hash(&raw);
    (raw, hash)
}

/// A fresh 256-bit token, URL-safe, for a caller that stores something else than its hash
/// (a CSRF token is never stored; an API key is stored as the hash of its prefixed form).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A token derived from another one for a given purpose (same shape as [`random_token`]): the
/// same input always gives the same token, so something opened with it is found again.
pub fn derived_token(purpose: &str, raw: &str) -> String {
    let mut h = Sha256::new();
    h.update(purpose.as_bytes());
    h.update([0u8]);
    h.update(raw.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(h.finalize())
}

/// The stored form of a token.
pub fn hash(raw: &str) -> String {
    hex::encode(Sha256::digest(raw.as_bytes()))
}

/// Whether `raw` has the shape of one of our tokens (cheap check before touching the database).
pub fn looks_like_token(raw: &str) -> bool {
    raw.len() == 43
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Constant-time comparison for secrets compared in memory (CSRF tokens).
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, ha) = new_token();
        let (b, _) = new_token();
        assert_ne!(a, b);
        assert!(looks_like_token(&a));
        assert_eq!(hash(&a), ha);
        assert_ne!(ha, a);
        assert!(!looks_like_token("../etc/passwd"));
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }
}
