//! The transactional outbox: notifications written with the change they report, delivered later
//! by `services::mail`. A message is `pending` until the mail server accepted it, then `sent`.

use sqlx::{AnyConnection, FromRow};

use super::{DbError, Store, now_ms};

/// A message to write; subject and body are already rendered in Italian.
pub struct NewMessage<'a> {
    pub enrollment_id: Option<i64>,
    pub kind: &'a str,
    pub recipient: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
}

/// A message of the outbox, as stored.
#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct Message {
    pub id: i64,
    pub enrollment_id: Option<i64>,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

const COLUMNS: &str = "id, enrollment_id, kind, recipient, subject, body, status, attempts, \
                       next_attempt_at, last_error, created_at, sent_at";

/// Writes a pending message inside the caller's transaction; returns its id.
pub async fn insert(
    conn: &mut AnyConnection,
    m: &NewMessage<'_>,
    now: i64,
) -> Result<i64, DbError> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO outbox (enrollment_id, kind, recipient, subject, body, status, attempts, \
           next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6) RETURNING id",
    )
    .bind(m.enrollment_id)
    .bind(m.kind)
    .bind(m.recipient)
    .bind(m.subject)
    .bind(m.body)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// A message claimed for sending: the lease is the `locked_until` written by the claim, so that
/// marking the message proves the claim is still this one's.
pub struct Claimed {
    pub message: Message,
    pub lease: i64,
}

/// The ids of up to `limit` messages due now and not claimed by anyone, oldest first.
pub async fn due(store: &Store, limit: i64) -> Result<Vec<i64>, DbError> {
    let now = now_ms();
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $1 \
         AND locked_until <= $1 ORDER BY id LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(&store.pool)
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Claims one message for `lease_ms`, just before it is sent (a lease per message, not per
/// batch: a slow relay cannot make the lease of the last messages of a batch run out before
/// their turn). `None` if another instance has it or it is no longer due.
pub async fn claim(store: &Store, id: i64, lease_ms: i64) -> Result<Option<Claimed>, DbError> {
    let now = now_ms();
    let lease = now + lease_ms;
    let m: Option<Message> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE outbox SET locked_until = $1 WHERE id = $2 AND status = 'pending' \
         AND next_attempt_at <= $3 AND locked_until <= $3 RETURNING {COLUMNS}"
    )))
    .bind(lease)
    .bind(id)
    .bind(now)
    .fetch_optional(&store.pool)
    .await?;
    Ok(m.map(|message| Claimed { message, lease }))
}

/// Marks a message delivered, if `lease` is still its claim (`false`: another instance
/// reclaimed it after the lease ran out, and may have sent it too). The private link in its
/// body is then removed from the copy kept here: the database keeps only hashes of personal
/// tokens once the person has the mail.
pub async fn mark_sent(
    store: &Store,
    id: i64,
    lease: i64,
    redacted_body: &str,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE outbox SET status = 'sent', sent_at = $1, attempts = attempts + 1, \
         locked_until = 0, last_error = NULL, body = $2 \
         WHERE id = $3 AND status = 'pending' AND locked_until = $4",
    )
    .bind(now_ms())
    .bind(redacted_body)
    .bind(id)
    .bind(lease)
    .execute(&store.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a failed attempt and when to try again, if `lease` is still the message's claim.
pub async fn mark_failed(
    store: &Store,
    id: i64,
    lease: i64,
    error: &str,
    retry_at: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2, \
         locked_until = 0 WHERE id = $3 AND status = 'pending' AND locked_until = $4",
    )
    .bind(error)
    .bind(retry_at)
    .bind(id)
    .bind(lease)
    .execute(&store.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The newest messages first, for the organiser's outbox page.
pub async fn recent(store: &Store, limit: i64) -> Result<Vec<Message>, DbError> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM outbox ORDER BY id DESC LIMIT $1"
    )))
    .bind(limit)
    .fetch_all(&store.pool)
    .await
}

/// Whether a message of this kind about an enrollment was written since `since` (inside the
/// caller's transaction).
pub async fn written_since(
    conn: &mut AnyConnection,
    enrollment_id: i64,
    kind: &str,
    since: i64,
) -> Result<bool, DbError> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT id FROM outbox WHERE enrollment_id = $1 AND kind = $2 AND created_at >= $3 \
         LIMIT 1",
    )
    .bind(enrollment_id)
    .bind(kind)
    .bind(since)
    .fetch_optional(conn)
    .await?;
    Ok(row.is_some())
}

/// The messages about one enrollment, oldest first.
pub async fn for_enrollment(store: &Store, enrollment_id: i64) -> Result<Vec<Message>, DbError> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM outbox WHERE enrollment_id = $1 ORDER BY id"
    )))
    .bind(enrollment_id)
    .fetch_all(&store.pool)
    .await
}

/// How many messages are pending and how many were sent.
pub async fn counts(store: &Store) -> Result<(i64, i64), DbError> {
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, COUNT(*) FROM outbox GROUP BY status")
            .fetch_all(&store.pool)
            .await?;
    let get = |s: &str| rows.iter().find(|r| r.0 == s).map_or(0, |r| r.1);
    Ok((get("pending"), get("sent")))
}
