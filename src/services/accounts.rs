//! Staff accounts: passwords (argon2id), sessions, API keys, setup links.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::domain::access::{AccountRole, Principal};
use crate::secret;
use crate::store::{DbError, Store, accounts};

/// Sessions last twelve hours: a working day, including a long live meeting.
pub const SESSION_TTL_MS: i64 = 12 * 3600 * 1000;
/// Setup links are valid for seven days.
pub const SETUP_TTL_MS: i64 = 7 * 24 * 3600 * 1000;

pub fn hash_password(password: &str) -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    let salt = SaltString::encode_b64(&bytes).expect("16 bytes make a valid salt");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters hashes any password")
        .to_string()
}

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

/// Checks e-mail and password; `None` for any mismatch (same answer, same work: argon2 runs
/// even for unknown e-mails so timing does not reveal which accounts exist).
pub async fn login(store: &Store, email: &str, password: &str) -> Result<Option<i64>, DbError> {
    static DUMMY: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| hash_password("no account has this password"));
    let account = accounts::by_email(store, &email.trim().to_lowercase()).await?;
    let password = password.to_string();
    let hash = account
        .as_ref()
        .and_then(|a| a.password_hash.clone())
        .unwrap_or_else(|| DUMMY.clone());
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false);
    Ok(account
        .filter(|a| ok && a.password_hash.is_some())
        .map(|a| a.id))
}

/// Opens a session; returns the raw cookie token.
pub async fn open_session(
    store: &Store,
    account_id: Option<i64>,
    enrollment_id: Option<i64>,
) -> Result<String, DbError> {
    let (raw, hash) = secret::new_token();
    accounts::create_session(store, &hash, account_id, enrollment_id, SESSION_TTL_MS).await?;
    Ok(raw)
}

/// The principal of a staff account.
pub async fn principal_of(store: &Store, account_id: i64) -> Result<Principal, DbError> {
    let Some(account) = accounts::by_id(store, account_id).await? else {
        return Ok(Principal::Anonymous);
    };
    let Some(role) = AccountRole::parse(&account.role) else {
        return Ok(Principal::Anonymous);
    };
    let workshops = accounts::workshops_of(store, account_id).await?;
    Ok(Principal::Account {
        id: account_id,
        role,
        workshops,
    })
}

/// Creates a new API key for an account; returns the raw key (shown once).
pub async fn new_api_key(store: &Store, account_id: i64) -> Result<String, DbError> {
    let (raw, hash) = secret::new_token();
    let key = format!("tvl_{raw}");
    accounts::create_api_key(store, account_id, &secret::hash(&key)).await?;
    drop(hash);
    Ok(key)
}

/// If no organiser exists yet, creates a one-time link to set up the first one.
pub async fn first_setup_link(store: &Store, base_url: &str) -> Result<Option<String>, DbError> {
    if accounts::count_organisers(store).await? > 0 {
        return Ok(None);
    }
    let (raw, hash) = secret::new_token();
    accounts::create_setup_token(store, &hash, None, SETUP_TTL_MS).await?;
    Ok(Some(setup_url(base_url, &raw)))
}

/// A one-time link for an account to choose its password.
pub async fn password_link(
    store: &Store,
    account_id: i64,
    base_url: &str,
) -> Result<String, DbError> {
    let (raw, hash) = secret::new_token();
    accounts::create_setup_token(store, &hash, Some(account_id), SETUP_TTL_MS).await?;
    Ok(setup_url(base_url, &raw))
}

fn setup_url(base_url: &str, raw: &str) -> String {
    format!("{}/configura/{raw}", base_url.trim_end_matches('/'))
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
