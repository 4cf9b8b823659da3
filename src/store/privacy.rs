//! The SQL of the privacy lifecycle (`services::privacy`): what is held about a person, and the
//! erasures. Every erasure runs inside the caller's transaction, guarded so that running it
//! twice, or on two instances at once, changes nothing the second time.

use sqlx::{AnyConnection, FromRow};

use super::audit::AuditEntry;
use super::enrollments::EnrollmentRow;
use super::{DbError, Store};

const ENROLLMENT_COLUMNS: &str = "id, workshop_id, arrival, email, name, role, ente, \
                                  comune_istat, ambito, status, created_at, updated_at";

/// A connection of the pool, for reads outside a transaction.
pub async fn connection(store: &Store) -> Result<sqlx::pool::PoolConnection<sqlx::Any>, DbError> {
    store.pool.acquire().await
}

// --- what is held about a person ----------------------------------------------------------------

/// Every enrollment (any workshop, any status) with this normalised e-mail and data not yet
/// erased.
pub async fn enrollments_by_email(
    conn: &mut AnyConnection,
    email_norm: &str,
) -> Result<Vec<EnrollmentRow>, DbError> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ENROLLMENT_COLUMNS} FROM enrollments \
         WHERE email_norm = $1 AND erased_at IS NULL ORDER BY id"
    )))
    .bind(email_norm)
    .fetch_all(conn)
    .await
}

/// One line of the attendance register.
#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct AttendanceLine {
    pub meeting_id: i64,
    pub present: bool,
    pub source: String,
    pub first_seen_at: i64,
    pub updated_at: i64,
}

pub async fn attendance_of(
    conn: &mut AnyConnection,
    enrollment_id: i64,
) -> Result<Vec<AttendanceLine>, DbError> {
    let rows: Vec<(i64, i64, String, i64, i64)> = sqlx::query_as(
        "SELECT meeting_id, present, source, first_seen_at, updated_at FROM attendance \
         WHERE enrollment_id = $1 ORDER BY meeting_id",
    )
    .bind(enrollment_id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(meeting_id, present, source, first_seen_at, updated_at)| AttendanceLine {
                meeting_id,
                present: present != 0,
                source,
                first_seen_at,
                updated_at,
            },
        )
        .collect())
}

/// A message of the outbox, without its body.
#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct MailLine {
    pub id: i64,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub status: String,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

/// The messages of an enrollment, or addressed to `email` (normalised, compared lower-case).
pub async fn mail_of(
    conn: &mut AnyConnection,
    enrollment_id: i64,
    email_norm: &str,
) -> Result<Vec<MailLine>, DbError> {
    sqlx::query_as(
        "SELECT id, kind, recipient, subject, status, created_at, sent_at FROM outbox \
         WHERE enrollment_id = $1 OR LOWER(recipient) = $2 ORDER BY id",
    )
    .bind(enrollment_id)
    .bind(email_norm)
    .fetch_all(conn)
    .await
}

/// How many sessions (signed-in browsers) an enrollment has.
pub async fn sessions_of(conn: &mut AnyConnection, enrollment_id: i64) -> Result<i64, DbError> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM sessions WHERE enrollment_id = $1")
        .bind(enrollment_id)
        .fetch_one(conn)
        .await?;
    Ok(n)
}

/// The audit entries about an enrollment: its cancellation ("iscrizione #4") and its marks by
/// hand ("Maria Rossi (iscrizione #4), incontro …").
pub async fn audit_about(
    conn: &mut AnyConnection,
    enrollment_id: i64,
) -> Result<Vec<AuditEntry>, DbError> {
    sqlx::query_as(
        "SELECT id, at, actor, action, workshop_id, meeting_id, subject, detail FROM audit_log \
         WHERE subject = $1 OR subject LIKE $2 ORDER BY id",
    )
    .bind(format!("iscrizione #{enrollment_id}"))
    .bind(format!("%(iscrizione #{enrollment_id})%"))
    .fetch_all(conn)
    .await
}

/// The meetings of a workshop, as stored.
pub async fn meetings_of_workshop(
    conn: &mut AnyConnection,
    workshop_id: i64,
) -> Result<Vec<i64>, DbError> {
    let rows: Vec<(i64,)> =
        sqlx::query_as("SELECT id FROM meetings WHERE workshop_id = $1 ORDER BY id")
            .bind(workshop_id)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// A board event as stored: actor and payload as JSON text.
#[derive(Debug, Clone, FromRow)]
pub struct StoredEvent {
    pub meeting_id: i64,
    pub seq: i64,
    pub actor: String,
    pub payload: String,
    pub at: i64,
}

/// Every event of a meeting, in order.
pub async fn events_of_meeting(
    conn: &mut AnyConnection,
    meeting_id: i64,
) -> Result<Vec<StoredEvent>, DbError> {
    sqlx::query_as(
        "SELECT meeting_id, seq, actor, payload, at FROM board_events WHERE meeting_id = $1 \
         ORDER BY seq",
    )
    .bind(meeting_id)
    .fetch_all(conn)
    .await
}

/// The enrollments of a workshop whose data are not erased yet.
pub async fn unerased_of_workshop(
    conn: &mut AnyConnection,
    workshop_id: i64,
) -> Result<Vec<EnrollmentRow>, DbError> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ENROLLMENT_COLUMNS} FROM enrollments \
         WHERE workshop_id = $1 AND erased_at IS NULL ORDER BY id"
    )))
    .bind(workshop_id)
    .fetch_all(conn)
    .await
}

/// Cancelled enrollments, not erased yet, whose cancellation (their last change) came before
/// `before`.
pub async fn cancelled_before(
    conn: &mut AnyConnection,
    before: i64,
) -> Result<Vec<EnrollmentRow>, DbError> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ENROLLMENT_COLUMNS} FROM enrollments \
         WHERE status = 'cancelled' AND erased_at IS NULL AND updated_at < $1 ORDER BY id"
    )))
    .bind(before)
    .fetch_all(conn)
    .await
}

/// When an enrollment's data were erased: `None` if there is no such enrollment, `Some(None)`
/// if they were not.
pub async fn erased_at(conn: &mut AnyConnection, id: i64) -> Result<Option<Option<i64>>, DbError> {
    let row: Option<(Option<i64>,)> =
        sqlx::query_as("SELECT erased_at FROM enrollments WHERE id = $1")
            .bind(id)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(|(at,)| at))
}

/// The audit entries of the given actions, newest first.
pub async fn privacy_log(
    conn: &mut AnyConnection,
    actions: &[&str],
) -> Result<Vec<AuditEntry>, DbError> {
    let mut out: Vec<AuditEntry> = Vec::new();
    for action in actions {
        let mut rows: Vec<AuditEntry> = sqlx::query_as(
            "SELECT id, at, actor, action, workshop_id, meeting_id, subject, detail FROM audit_log \
             WHERE action = $1 ORDER BY id DESC LIMIT 200",
        )
        .bind(*action)
        .fetch_all(&mut *conn)
        .await?;
        out.append(&mut rows);
    }
    out.sort_by_key(|e| std::cmp::Reverse(e.id));
    Ok(out)
}

/// Tells the other instances (PostgreSQL) that stored events of `meetings` were rewritten, in
/// the caller's transaction: their live rooms reload (`services::room::follow_other_instances`).
pub async fn announce_rewrite(
    conn: &mut AnyConnection,
    backend: super::Backend,
    meetings: &[i64],
) -> Result<(), DbError> {
    if backend != super::Backend::Postgres {
        return Ok(());
    }
    for m in meetings {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(super::board::WRITES_CHANNEL)
            .bind(super::board::rewritten_payload(*m))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Whether a workshop holds personal data not erased: an enrollment, or a guest's name.
pub async fn has_personal_data(
    conn: &mut AnyConnection,
    workshop_id: i64,
    erased_guest: &str,
) -> Result<bool, DbError> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM enrollments WHERE workshop_id = $1 AND erased_at IS NULL) \
              + (SELECT COUNT(*) FROM guests g JOIN meetings m ON m.id = g.meeting_id \
                 WHERE m.workshop_id = $1 AND g.name <> $2)",
    )
    .bind(workshop_id)
    .bind(erased_guest)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

/// Whether a workshop's retention sweep is done.
pub async fn workshop_swept(conn: &mut AnyConnection, workshop_id: i64) -> Result<bool, DbError> {
    let row: Option<(Option<i64>,)> =
        sqlx::query_as("SELECT personal_data_erased_at FROM workshops WHERE id = $1")
            .bind(workshop_id)
            .fetch_optional(conn)
            .await?;
    Ok(matches!(row, Some((Some(_),))))
}

// --- erasure (inside the caller's transaction) -------------------------------------------------

/// Marks a workshop's retention sweep done: true the first time.
pub async fn claim_workshop_sweep(
    conn: &mut AnyConnection,
    workshop_id: i64,
    now: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE workshops SET personal_data_erased_at = $1 \
         WHERE id = $2 AND personal_data_erased_at IS NULL",
    )
    .bind(now)
    .bind(workshop_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Erases an enrollment's identity: name, e-mail (the unique key becomes `cancellato:<id>`),
/// private links and sessions. Role, ente, Comune, Ambito, status and dates stay for the
/// record. Returns the hashes of the sessions ended (their open sockets are to be closed).
pub async fn erase_enrollment(
    conn: &mut AnyConnection,
    id: i64,
    pseudonym: &str,
    now: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE enrollments SET name = $1, email = '', email_norm = $2, erased_at = $3 \
         WHERE id = $4 AND erased_at IS NULL",
    )
    .bind(pseudonym)
    .bind(format!("cancellato:{id}"))
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM enrollment_links WHERE enrollment_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM sessions WHERE enrollment_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// What happens to an enrollment's messages in the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailErasure {
    /// Sent messages keep kind, subject and dates (what was notified, and when), without
    /// address or body; unsent ones are dropped (the retention sweep).
    KeepSentWithoutAddress,
    /// Every message goes (a request of erasure, a cancelled enrollment).
    DropAll,
}

pub async fn erase_mail(
    conn: &mut AnyConnection,
    enrollment_id: i64,
    email_norm: &str,
    how: MailErasure,
) -> Result<(), DbError> {
    if how == MailErasure::KeepSentWithoutAddress {
        sqlx::query(
            "UPDATE outbox SET recipient = '', body = '', last_error = NULL \
             WHERE enrollment_id = $1 AND status = 'sent'",
        )
        .bind(enrollment_id)
        .execute(&mut *conn)
        .await?;
        sqlx::query("DELETE FROM outbox WHERE enrollment_id = $1 AND status <> 'sent'")
            .bind(enrollment_id)
            .execute(&mut *conn)
            .await?;
    } else {
        sqlx::query("DELETE FROM outbox WHERE enrollment_id = $1")
            .bind(enrollment_id)
            .execute(&mut *conn)
            .await?;
    }
    if !email_norm.is_empty() {
        sqlx::query("DELETE FROM outbox WHERE enrollment_id IS NULL AND LOWER(recipient) = $1")
            .bind(email_norm)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Replaces the subject of an audit entry (a name in it replaced by a pseudonym).
pub async fn set_audit_subject(
    conn: &mut AnyConnection,
    id: i64,
    subject: &str,
) -> Result<(), DbError> {
    sqlx::query("UPDATE audit_log SET subject = $1 WHERE id = $2")
        .bind(subject)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Erases the names of a meeting's guests (organisation and Ambito stay) and ends their
/// sessions; returns how many names were erased now.
pub async fn erase_guests(
    conn: &mut AnyConnection,
    meeting_id: i64,
    pseudonym: &str,
) -> Result<u64, DbError> {
    sqlx::query(
        "DELETE FROM sessions WHERE guest_id IN (SELECT id FROM guests WHERE meeting_id = $1)",
    )
    .bind(meeting_id)
    .execute(&mut *conn)
    .await?;
    let done = sqlx::query("UPDATE guests SET name = $1 WHERE meeting_id = $2 AND name <> $1")
        .bind(pseudonym)
        .bind(meeting_id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected())
}

/// Rewrites a stored board event's actor and payload (same event, a person's identity gone).
pub async fn rewrite_event(
    conn: &mut AnyConnection,
    meeting_id: i64,
    seq: i64,
    actor: &str,
    payload: &str,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE board_events SET actor = $1, payload = $2 WHERE meeting_id = $3 AND seq = $4",
    )
    .bind(actor)
    .bind(payload)
    .bind(meeting_id)
    .bind(seq)
    .execute(conn)
    .await?;
    Ok(())
}
