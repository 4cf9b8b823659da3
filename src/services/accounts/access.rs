//! Ending staff access: disabling (and enabling again) an account, listing and revoking API
//! keys. Each change is written to the audit log and, through [`Revocations`], ends the
//! sessions and closes the board websockets it concerns on every instance.

use crate::services::audit;
use crate::services::revocation::{Access, Revocations};
use crate::store::accounts::{self as rows, ApiKeyRow};
use crate::store::{DbError, Store};

/// Why an account was not disabled or enabled.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("Account non trovato.")]
    NotFound,
    /// An organiser cannot disable their own account (nobody might be left to enable it).
    #[error("Non puoi disattivare il tuo stesso account.")]
    OwnAccount,
    #[error("Chiave API non trovata o già revocata.")]
    KeyNotFound,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Disables an account: it can no longer log in, its sessions end, its API keys stop working
/// and its board websockets close at once. `by` is the organiser's account id (`None` from
/// the command line), `actor` how the audit log names them. Disabling a disabled account
/// changes nothing and is no error.
pub async fn disable_account(
    store: &Store,
    revocations: &Revocations,
    account_id: i64,
    by: Option<i64>,
    actor: &str,
) -> Result<(), AccessError> {
    if by == Some(account_id) {
        return Err(AccessError::OwnAccount);
    }
    let account = rows::by_id(store, account_id)
        .await?
        .ok_or(AccessError::NotFound)?;
    if rows::set_disabled(store, account_id, true).await? {
        let subject = format!("{} <{}>", account.name, account.email);
        audit::record_access(store, actor, audit::ACCOUNT_DISABLE, &subject, "").await?;
    }
    // Also when it was disabled already: a session opened meanwhile ends too.
    revocations.end(Access::Account(account_id)).await?;
    Ok(())
}

/// Enables a disabled account again (its sessions stay ended: the person logs in again; its
/// API keys work again unless revoked).
pub async fn enable_account(
    store: &Store,
    account_id: i64,
    actor: &str,
) -> Result<(), AccessError> {
    let account = rows::by_id(store, account_id)
        .await?
        .ok_or(AccessError::NotFound)?;
    if rows::set_disabled(store, account_id, false).await? {
        let subject = format!("{} <{}>", account.name, account.email);
        audit::record_access(store, actor, audit::ACCOUNT_ENABLE, &subject, "").await?;
    }
    Ok(())
}

/// Every API key (never the key itself), newest first; only one account's with `account_id`.
pub async fn api_keys(store: &Store, account_id: Option<i64>) -> Result<Vec<ApiKeyRow>, DbError> {
    rows::list_api_keys(store, account_id).await
}

/// Revokes an API key: refused from now on, and the websockets opened with it close.
pub async fn revoke_api_key(
    store: &Store,
    revocations: &Revocations,
    key_id: i64,
    actor: &str,
) -> Result<(), AccessError> {
    let (account_id, hash) = rows::revoke_api_key(store, key_id)
        .await?
        .ok_or(AccessError::KeyNotFound)?;
    let owner = rows::by_id(store, account_id)
        .await?
        .map(|a| format!("{} <{}>", a.name, a.email))
        .unwrap_or_default();
    let subject = format!("#{key_id} di {owner}");
    audit::record_access(store, actor, audit::API_KEY_REVOKE, &subject, "").await?;
    revocations.end(Access::ApiKey(hash)).await?;
    Ok(())
}
