//! Staff accounts, sessions, API keys and one-time setup links.

use sqlx::FromRow;

use super::{DbError, Store, now_ms};

/// A staff account as stored (`role` is `AccountRole::as_str`).
#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct Account {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: String,
    #[serde(skip)]
    pub password_hash: Option<String>,
    pub created_at: i64,
    /// When an organiser disabled it: no login, no session, no API key works meanwhile.
    pub disabled_at: Option<i64>,
}

const COLUMNS: &str = "id, email, name, role, password_hash, created_at, disabled_at";

/// Inserts an account; returns its id.
pub async fn create(
    store: &Store,
    email: &str,
    name: &str,
    role: &str,
    password_hash: Option<&str>,
) -> Result<i64, DbError> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO accounts (email, name, role, password_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(email)
    .bind(name)
    .bind(role)
    .bind(password_hash)
    .bind(now_ms())
    .fetch_one(&store.pool)
    .await?;
    Ok(id)
}

/// The account with this (lower-case) e-mail.
pub async fn by_email(store: &Store, email: &str) -> Result<Option<Account>, DbError> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM accounts WHERE email = $1"
    )))
    .bind(email)
    .fetch_optional(&store.pool)
    .await
}

/// The account with this id.
pub async fn by_id(store: &Store, id: i64) -> Result<Option<Account>, DbError> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM accounts WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&store.pool)
    .await
}

/// Every account, by role then name.
pub async fn list(store: &Store) -> Result<Vec<Account>, DbError> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM accounts ORDER BY role, name"
    )))
    .fetch_all(&store.pool)
    .await
}

/// Disables an account (`disabled`) or enables it again; false when nothing changed (no such
/// account, or already so).
pub async fn set_disabled(store: &Store, id: i64, disabled: bool) -> Result<bool, DbError> {
    let r = if disabled {
        sqlx::query("UPDATE accounts SET disabled_at = $1 WHERE id = $2 AND disabled_at IS NULL")
            .bind(now_ms())
            .bind(id)
            .execute(&store.pool)
            .await?
    } else {
        sqlx::query(
            "UPDATE accounts SET disabled_at = NULL WHERE id = $1 AND disabled_at IS NOT NULL",
        )
        .bind(id)
        .execute(&store.pool)
        .await?
    };
    Ok(r.rows_affected() == 1)
}

/// How many organiser accounts exist (disabled ones included: the first-organiser link is for
/// a database that never had one).
pub async fn count_organisers(store: &Store) -> Result<i64, DbError> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM accounts WHERE role = 'organiser'")
        .fetch_one(&store.pool)
        .await?;
    Ok(n)
}

/// Sets an account's password hash.
pub async fn set_password(store: &Store, id: i64, password_hash: &str) -> Result<(), DbError> {
    sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
        .bind(password_hash)
        .bind(id)
        .execute(&store.pool)
        .await?;
    Ok(())
}

/// Assigns a workshop to an account (again: no effect).
pub async fn assign_workshop(
    store: &Store,
    account_id: i64,
    workshop_id: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO account_workshops (account_id, workshop_id) VALUES ($1, $2) \
         ON CONFLICT DO NOTHING",
    )
    .bind(account_id)
    .bind(workshop_id)
    .execute(&store.pool)
    .await?;
    Ok(())
}

/// The ids of the workshops assigned to an account.
pub async fn workshops_of(store: &Store, account_id: i64) -> Result<Vec<i64>, DbError> {
    let rows: Vec<(i64,)> =
        sqlx::query_as("SELECT workshop_id FROM account_workshops WHERE account_id = $1")
            .bind(account_id)
            .fetch_all(&store.pool)
            .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

// --- sessions -------------------------------------------------------------------------------

/// Who a session belongs to: a staff account or an enrolled person.
#[derive(Debug, Clone, FromRow)]
pub struct SessionRow {
    pub account_id: Option<i64>,
    pub enrollment_id: Option<i64>,
    pub guest_id: Option<i64>,
    pub expires_at: i64,
}

/// Stores a session of a staff account or an enrolled person, valid for `ttl_ms`.
pub async fn create_session(
    store: &Store,
    token_hash: &str,
    account_id: Option<i64>,
    enrollment_id: Option<i64>,
    ttl_ms: i64,
) -> Result<(), DbError> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO sessions (token_hash, account_id, enrollment_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash)
    .bind(account_id)
    .bind(enrollment_id)
    .bind(now)
    .bind(now + ttl_ms)
    .execute(&store.pool)
    .await?;
    Ok(())
}

/// The unexpired session with this token hash.
pub async fn session(store: &Store, token_hash: &str) -> Result<Option<SessionRow>, DbError> {
    sqlx::query_as(
        "SELECT account_id, enrollment_id, guest_id, expires_at FROM sessions \
         WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now_ms())
    .fetch_optional(&store.pool)
    .await
}

/// Stores a session of a meeting's guest, valid for `ttl_ms`.
pub async fn create_guest_session(
    store: &Store,
    token_hash: &str,
    guest_id: i64,
    ttl_ms: i64,
) -> Result<(), DbError> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO sessions (token_hash, guest_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(guest_id)
    .bind(now)
    .bind(now + ttl_ms)
    .execute(&store.pool)
    .await?;
    Ok(())
}

/// Deletes a session.
pub async fn delete_session(store: &Store, token_hash: &str) -> Result<(), DbError> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(&store.pool)
        .await?;
    Ok(())
}

/// Stores the session of an enrollment's private link, or (same token) renews it: opening the
/// link again reuses its one row.
pub async fn renew_enrollment_session(
    store: &Store,
    token_hash: &str,
    enrollment_id: i64,
    ttl_ms: i64,
) -> Result<(), DbError> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO sessions (token_hash, enrollment_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (token_hash) DO UPDATE SET expires_at = $4",
    )
    .bind(token_hash)
    .bind(enrollment_id)
    .bind(now)
    .bind(now + ttl_ms)
    .execute(&store.pool)
    .await?;
    Ok(())
}

/// Ends every session of a staff account.
pub async fn delete_sessions_of_account(store: &Store, account_id: i64) -> Result<u64, DbError> {
    let r = sqlx::query("DELETE FROM sessions WHERE account_id = $1")
        .bind(account_id)
        .execute(&store.pool)
        .await?;
    Ok(r.rows_affected())
}

/// Ends every session of an enrolled person.
pub async fn delete_sessions_of_enrollment(
    store: &Store,
    enrollment_id: i64,
) -> Result<u64, DbError> {
    let r = sqlx::query("DELETE FROM sessions WHERE enrollment_id = $1")
        .bind(enrollment_id)
        .execute(&store.pool)
        .await?;
    Ok(r.rows_affected())
}

/// Ends the sessions of every guest of a meeting.
pub async fn delete_guest_sessions_of_meeting(
    store: &Store,
    meeting_id: i64,
) -> Result<u64, DbError> {
    let r = sqlx::query(
        "DELETE FROM sessions WHERE guest_id IN (SELECT id FROM guests WHERE meeting_id = $1)",
    )
    .bind(meeting_id)
    .execute(&store.pool)
    .await?;
    Ok(r.rows_affected())
}

/// Deletes the sessions that expired before `now`; returns how many.
pub async fn purge_expired_sessions(store: &Store, now: i64) -> Result<u64, DbError> {
    let r = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now)
        .execute(&store.pool)
        .await?;
    Ok(r.rows_affected())
}

// --- API keys -------------------------------------------------------------------------------

/// Stores an API key (its hash) for an account, with a label to tell it apart; returns its id.
pub async fn create_api_key(
    store: &Store,
    account_id: i64,
    key_hash: &str,
    label: &str,
) -> Result<i64, DbError> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO api_keys (account_id, key_hash, created_at, label) \
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(account_id)
    .bind(key_hash)
    .bind(now_ms())
    .bind(label)
    .fetch_one(&store.pool)
    .await?;
    Ok(id)
}

/// An API key as listed (never the key: only its hash is kept, and not shown either).
#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct ApiKeyRow {
    pub id: i64,
    pub account_id: i64,
    pub account_email: String,
    pub account_name: String,
    pub label: Option<String>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// Every API key, newest first; only those of one account when `account_id` is given.
pub async fn list_api_keys(
    store: &Store,
    account_id: Option<i64>,
) -> Result<Vec<ApiKeyRow>, DbError> {
    sqlx::query_as(
        "SELECT k.id, k.account_id, a.email AS account_email, a.name AS account_name, k.label, \
         k.created_at, k.revoked_at FROM api_keys k JOIN accounts a ON a.id = k.account_id \
         WHERE ($1 = 0 OR k.account_id = $1) ORDER BY k.id DESC",
    )
    .bind(account_id.unwrap_or(0))
    .fetch_all(&store.pool)
    .await
}

/// Revokes an API key; returns its account and hash when it was revoked now (`None`: no such
/// key, or revoked already).
pub async fn revoke_api_key(store: &Store, id: i64) -> Result<Option<(i64, String)>, DbError> {
    sqlx::query_as(
        "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL \
         RETURNING account_id, key_hash",
    )
    .bind(now_ms())
    .bind(id)
    .fetch_optional(&store.pool)
    .await
}

/// The account of an unrevoked API key whose account is not disabled.
pub async fn account_by_api_key(store: &Store, key_hash: &str) -> Result<Option<i64>, DbError> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT k.account_id FROM api_keys k JOIN accounts a ON a.id = k.account_id \
         WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND a.disabled_at IS NULL",
    )
    .bind(key_hash)
    .fetch_optional(&store.pool)
    .await?;
    Ok(row.map(|r| r.0))
}

// --- one-time setup links -------------------------------------------------------------------

/// Stores a one-time setup link (its hash): for an account, or (`None`) the first organiser.
pub async fn create_setup_token(
    store: &Store,
    token_hash: &str,
    account_id: Option<i64>,
    ttl_ms: i64,
) -> Result<(), DbError> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO setup_tokens (token_hash, account_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(account_id)
    .bind(now)
    .bind(now + ttl_ms)
    .execute(&store.pool)
    .await?;
    Ok(())
}

/// A valid unused setup link: `Some(account_id)` (None inside = the first-organiser link).
pub async fn setup_token(store: &Store, token_hash: &str) -> Result<Option<Option<i64>>, DbError> {
    let row: Option<(Option<i64>,)> = sqlx::query_as(
        "SELECT account_id FROM setup_tokens WHERE token_hash = $1 AND used_at IS NULL \
         AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now_ms())
    .fetch_optional(&store.pool)
    .await?;
    Ok(row.map(|r| r.0))
}

/// Uses up every unused first-organiser link: once an organiser exists (or a new link was
/// printed at start), none of the earlier ones may create another.
pub async fn spend_first_organiser_links(store: &Store) -> Result<u64, DbError> {
    let r = sqlx::query(
        "UPDATE setup_tokens SET used_at = $1 WHERE account_id IS NULL AND used_at IS NULL",
    )
    .bind(now_ms())
    .execute(&store.pool)
    .await?;
    Ok(r.rows_affected())
}

/// Uses a setup link once; false if it was already used (a concurrent second use loses).
pub async fn consume_setup_token(store: &Store, token_hash: &str) -> Result<bool, DbError> {
    let r = sqlx::query(
        "UPDATE setup_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL",
    )
    .bind(now_ms())
    .bind(token_hash)
    .execute(&store.pool)
    .await?;
    Ok(r.rows_affected() == 1)
}
