//! Sessions, API keys, and who holds them: the staff member, enrolled person or guest behind a
//! session cookie or an `Authorization: Bearer` credential.

use crate::domain::access::{AccountRole, Principal};
use crate::secret;
use crate::services::hashing::Busy;
use crate::store::accounts::{self as rows, Account};
use crate::store::board::{self, GuestRow};
use crate::store::enrollments::{self, EnrollmentRow};
use crate::store::{DbError, Store};

use super::passwords::verify_off_thread;

/// Sessions last twelve hours: a working day, including a long live meeting.
pub const SESSION_TTL_MS: i64 = 12 * 3600 * 1000;

/// Checks e-mail and password; `Ok(None)` for any mismatch (same answer, same work: argon2 runs
/// even for unknown e-mails so timing does not reveal which accounts exist), `Err(Busy)` when
/// the hashing pool is full (nothing was checked).
async fn login(
    store: &Store,
    email: &str,
    password: &str,
) -> Result<Result<Option<i64>, Busy>, DbError> {
    let account = rows::by_email(store, &email.trim().to_lowercase()).await?;
    let stored = account.as_ref().and_then(|a| a.password_hash.clone());
    let has_password = stored.is_some();
    let ok = match verify_off_thread(password.to_string(), stored).await {
        Ok(ok) => ok,
        Err(busy) => return Ok(Err(busy)),
    };
    // A disabled account cannot log in (checked after the hash, so the timing is the same).
    Ok(Ok(account
        .filter(|a| ok && has_password && a.disabled_at.is_none())
        .map(|a| a.id)))
}

/// What a login attempt came to.
#[derive(Debug)]
pub enum SignIn {
    /// Logged in: the raw session token.
    Opened(String),
    /// Wrong e-mail or password (the same answer for both).
    Refused,
    /// Too many password checks at once: nothing was checked, try again in a moment.
    Busy,
}

/// Logs a staff member in: checks e-mail and password and opens a session, closing the
/// visitor's `previous` session (by hash) so that no session outlives a change of person.
pub async fn sign_in(
    store: &Store,
    email: &str,
    password: &str,
    previous: Option<&str>,
) -> Result<SignIn, DbError> {
    let account_id = match login(store, email, password).await? {
        Ok(Some(id)) => id,
        Ok(None) => return Ok(SignIn::Refused),
        Err(Busy) => return Ok(SignIn::Busy),
    };
    if let Some(old) = previous {
        rows::delete_session(store, old).await?;
    }
    open_session(store, Some(account_id), None)
        .await
        .map(SignIn::Opened)
}

/// Opens a session for a staff account or an enrolled person; returns the raw cookie token.
pub async fn open_session(
    store: &Store,
    account_id: Option<i64>,
    enrollment_id: Option<i64>,
) -> Result<String, DbError> {
    let (raw, hash) = secret::new_token();
    rows::create_session(store, &hash, account_id, enrollment_id, SESSION_TTL_MS).await?;
    Ok(raw)
}

/// The session an enrollment's private link opens (`link_token` raw): always the same token
/// for the same link, so a second visit renews that session instead of adding a row. Returns
/// the raw cookie token.
pub async fn private_link_session(
    store: &Store,
    enrollment_id: i64,
    link_token: &str,
) -> Result<String, DbError> {
    let raw = secret::derived_token("tavolo private-link session", link_token);
    rows::renew_enrollment_session(store, &secret::hash(&raw), enrollment_id, SESSION_TTL_MS)
        .await?;
    Ok(raw)
}

/// Deletes the sessions that have expired; returns how many.
pub async fn purge_expired_sessions(store: &Store) -> Result<u64, DbError> {
    rows::purge_expired_sessions(store, crate::store::now_ms()).await
}

/// Purges expired sessions at start and then every hour, until shutdown.
pub async fn purge_periodically(store: Store, shutdown: tokio_util::sync::CancellationToken) {
    loop {
        match purge_expired_sessions(&store).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(n, "expired sessions purged"),
            Err(e) => tracing::warn!(error = %e, "purging expired sessions failed; will retry"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(std::time::Duration::from_secs(3600)) => {}
        }
    }
}

/// Who holds a credential.
pub enum Holder {
    /// A staff account, with the permissions of its role (`Principal::Anonymous` for a role
    /// this version does not know).
    Staff {
        account: Account,
        principal: Principal,
    },
    /// An enrolled person: their private link, or the session it opened.
    Participant(EnrollmentRow),
    /// A guest of one meeting.
    Guest(GuestRow),
}

/// The holder of a session (by the hash of its token); `None` when it expired or never
/// existed.
pub async fn by_session(store: &Store, token_hash: &str) -> Result<Option<Holder>, DbError> {
    let Some(session) = rows::session(store, token_hash).await? else {
        return Ok(None);
    };
    if let Some(account_id) = session.account_id {
        return staff(store, account_id).await;
    }
    if let Some(id) = session.enrollment_id {
        if let Some(row) = enrollments::find(store, id).await? {
            return Ok(Some(Holder::Participant(row)));
        }
    }
    if let Some(id) = session.guest_id {
        if let Some(guest) = board::guest(store, id).await? {
            return Ok(Some(Holder::Guest(guest)));
        }
    }
    Ok(None)
}

/// The holder of an `Authorization: Bearer` credential: a personal token (the one in an
/// enrollment's private link, for scripts acting as that person) or a staff API key. `None`
/// when it is neither.
pub async fn by_bearer(store: &Store, credential: &str) -> Result<Option<Holder>, DbError> {
    let hash = secret::hash(credential);
    if secret::looks_like_token(credential) {
        return Ok(enrollments::find_by_link(store, &hash)
            .await?
            .map(Holder::Participant));
    }
    match rows::account_by_api_key(store, &hash).await? {
        Some(account_id) => staff(store, account_id).await,
        None => Ok(None),
    }
}

async fn staff(store: &Store, account_id: i64) -> Result<Option<Holder>, DbError> {
    // A disabled account's sessions and keys hold nothing.
    let Some(account) = rows::by_id(store, account_id)
        .await?
        .filter(|a| a.disabled_at.is_none())
    else {
        return Ok(None);
    };
    let principal = match AccountRole::parse(&account.role) {
        Some(role) => Principal::Account {
            id: account_id,
            role,
            workshops: rows::workshops_of(store, account_id).await?,
        },
        None => Principal::Anonymous,
    };
    Ok(Some(Holder::Staff { account, principal }))
}

/// Whether an API key (by the hash of the whole key) still works: not revoked, its account
/// not disabled.
pub async fn api_key_valid(store: &Store, key_hash: &str) -> Result<bool, DbError> {
    Ok(rows::account_by_api_key(store, key_hash).await?.is_some())
}

/// The label a key gets when none is given: when it was made.
fn default_label() -> String {
    format!(
        "chiave del {}",
        chrono::Utc::now().format("%d/%m/%Y %H:%M UTC")
    )
}

/// Creates a new API key for an account, with a label to tell it apart (trimmed, at most 80
/// characters; empty: the date); returns the key (shown once: only its hash is kept).
pub async fn new_api_key(store: &Store, account_id: i64, label: &str) -> Result<String, DbError> {
    // The prefix tells API keys from personal tokens (see `by_bearer`); the hash is of the
    // whole key, as it arrives in the header.
    let key = format!("tvl_{}", secret::random_token());
    let label: String = label.trim().chars().take(80).collect();
    let label = if label.is_empty() {
        default_label()
    } else {
        label
    };
    rows::create_api_key(store, account_id, &secret::hash(&key), &label).await?;
    Ok(key)
}

/// A new API key for the account with this e-mail; `None` when there is no such account.
pub async fn new_api_key_for(
    store: &Store,
    email: &str,
    label: &str,
) -> Result<Option<String>, DbError> {
    match rows::by_email(store, &email.trim().to_lowercase()).await? {
        Some(account) => new_api_key(store, account.id, label).await.map(Some),
        None => Ok(None),
    }
}
