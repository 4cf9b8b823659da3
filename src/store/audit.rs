//! The audit log: who did what to whom, for actions taken on someone else's behalf.

use sqlx::{AnyConnection, FromRow};

use super::{DbError, Store};

/// One line of the audit log.
#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub workshop_id: Option<i64>,
    /// The meeting concerned, when it is one (attendance marked by hand).
    pub meeting_id: Option<i64>,
    pub subject: String,
    pub detail: String,
}

/// Records an action inside the caller's transaction (with the change it describes).
pub async fn record(
    conn: &mut AnyConnection,
    at: i64,
    actor: &str,
    action: &str,
    workshop_id: Option<i64>,
    subject: &str,
    detail: &str,
) -> Result<(), DbError> {
    insert(
        conn,
        at,
        actor,
        action,
        (workshop_id, None),
        subject,
        detail,
    )
    .await
}

/// [`record`] for an action on one meeting of a workshop.
pub async fn record_for_meeting(
    conn: &mut AnyConnection,
    at: i64,
    actor: &str,
    action: &str,
    (workshop_id, meeting_id): (i64, i64),
    subject: &str,
    detail: &str,
) -> Result<(), DbError> {
    let concerns = (Some(workshop_id), Some(meeting_id));
    insert(conn, at, actor, action, concerns, subject, detail).await
}

async fn insert(
    conn: &mut AnyConnection,
    at: i64,
    actor: &str,
    action: &str,
    (workshop_id, meeting_id): (Option<i64>, Option<i64>),
    subject: &str,
    detail: &str,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor, action, workshop_id, meeting_id, subject, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(at)
    .bind(actor)
    .bind(action)
    .bind(workshop_id)
    .bind(meeting_id)
    .bind(subject)
    .bind(detail)
    .execute(conn)
    .await?;
    Ok(())
}

/// [`record`] on its own, outside any transaction, stamped now.
pub async fn append(
    store: &Store,
    actor: &str,
    action: &str,
    workshop_id: Option<i64>,
    subject: &str,
    detail: &str,
) -> Result<(), DbError> {
    let mut conn = store.pool.acquire().await?;
    record(
        &mut conn,
        super::now_ms(),
        actor,
        action,
        workshop_id,
        subject,
        detail,
    )
    .await
}

/// The log of a workshop, newest first.
pub async fn for_workshop(store: &Store, workshop_id: i64) -> Result<Vec<AuditEntry>, DbError> {
    sqlx::query_as(
        "SELECT id, at, actor, action, workshop_id, meeting_id, subject, detail FROM audit_log \
         WHERE workshop_id = $1 ORDER BY id DESC",
    )
    .bind(workshop_id)
    .fetch_all(&store.pool)
    .await
}

/// The latest entries that concern no workshop (staff accounts and their keys), newest first.
pub async fn without_workshop(store: &Store, limit: i64) -> Result<Vec<AuditEntry>, DbError> {
    sqlx::query_as(
        "SELECT id, at, actor, action, workshop_id, meeting_id, subject, detail FROM audit_log \
         WHERE workshop_id IS NULL ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&store.pool)
    .await
}

/// The entries of one meeting with a given action, newest first.
pub async fn for_meeting(
    store: &Store,
    meeting_id: i64,
    action: &str,
) -> Result<Vec<AuditEntry>, DbError> {
    sqlx::query_as(
        "SELECT id, at, actor, action, workshop_id, meeting_id, subject, detail FROM audit_log \
         WHERE meeting_id = $1 AND action = $2 ORDER BY id DESC",
    )
    .bind(meeting_id)
    .bind(action)
    .fetch_all(&store.pool)
    .await
}
