//! Registro presenze: who attended which meeting, marked by staff or by joining the board.

use sqlx::FromRow;

use super::{DbError, Store, audit, now_ms};

/// A mark in a meeting's register (`present` is 0 or 1; `source` says who marked it).
#[derive(Debug, Clone, FromRow)]
pub struct AttendanceRow {
    pub enrollment_id: i64,
    pub present: i64,
    pub source: String,
    pub first_seen_at: i64,
}

/// Every mark of a meeting.
pub async fn for_meeting(store: &Store, meeting_id: i64) -> Result<Vec<AttendanceRow>, DbError> {
    sqlx::query_as(
        "SELECT enrollment_id, present, source, first_seen_at FROM attendance WHERE meeting_id = $1",
    )
    .bind(meeting_id)
    .fetch_all(&store.pool)
    .await
}

/// Sets presence; the first time is kept as the arrival time in the register.
pub async fn mark(
    store: &Store,
    meeting_id: i64,
    enrollment_id: i64,
    present: bool,
    source: &str,
) -> Result<(), DbError> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO attendance (meeting_id, enrollment_id, present, source, first_seen_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5) \
         ON CONFLICT (meeting_id, enrollment_id) DO UPDATE SET present = excluded.present, \
           source = excluded.source, updated_at = excluded.updated_at",
    )
    .bind(meeting_id)
    .bind(enrollment_id)
    .bind(i64::from(present))
    .bind(source)
    .bind(now)
    .execute(&store.pool)
    .await?;
    Ok(())
}

/// Who changes a mark by hand, for the audit log: the staff member, the workshop, and what the
/// entry says (its `detail` from the mark as it was: `None` when there was none).
pub struct HandChange<'a> {
    pub actor: &'a str,
    pub workshop_id: i64,
    pub action: &'a str,
    pub subject: &'a str,
    pub detail: &'a (dyn Fn(Option<bool>) -> String + Sync),
}

/// Sets presence by hand and records it in the audit log, in one transaction. Returns whether
/// anything changed: setting the mark a person already has writes nothing, not even an audit
/// entry (two staff members pressing the same button record one change).
pub async fn change_by_hand(
    store: &Store,
    meeting_id: i64,
    enrollment_id: i64,
    present: bool,
    source: &str,
    who: HandChange<'_>,
) -> Result<bool, DbError> {
    let now = now_ms();
    let mut tx = store.begin().await?;
    let before: Option<(i64,)> = sqlx::query_as(
        "SELECT present FROM attendance WHERE meeting_id = $1 AND enrollment_id = $2",
    )
    .bind(meeting_id)
    .bind(enrollment_id)
    .fetch_optional(&mut *tx)
    .await?;
    // The update applies only to a different mark: of two concurrent identical changes, the
    // second finds nothing to do.
    let written = sqlx::query(
        "INSERT INTO attendance (meeting_id, enrollment_id, present, source, first_seen_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5) \
         ON CONFLICT (meeting_id, enrollment_id) DO UPDATE SET present = excluded.present, \
           source = excluded.source, updated_at = excluded.updated_at \
         WHERE attendance.present <> excluded.present",
    )
    .bind(meeting_id)
    .bind(enrollment_id)
    .bind(i64::from(present))
    .bind(source)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if written == 0 {
        tx.rollback().await?;
        return Ok(false);
    }
    audit::record_for_meeting(
        &mut tx,
        now,
        who.actor,
        who.action,
        (who.workshop_id, meeting_id),
        who.subject,
        &(who.detail)(before.map(|(p,)| p != 0)),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Marks several people present in one transaction (people who joined the board), keeping any
/// mark already there.
pub async fn mark_many_if_absent(
    store: &Store,
    meeting_id: i64,
    enrollment_ids: &[i64],
    source: &str,
) -> Result<(), DbError> {
    let now = now_ms();
    let mut tx = store.begin().await?;
    // Several rows per statement: a room filling up with 1,000 people is a few statements,
    // not 1,000 round trips to the database (the room waits meanwhile).
    for chunk in enrollment_ids.chunks(250) {
        let mut sql = String::from(
            "INSERT INTO attendance (meeting_id, enrollment_id, present, source, first_seen_at, updated_at) VALUES ",
        );
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("($1, ${}, 1, $2, $3, $3)", i + 4));
        }
        sql.push_str(" ON CONFLICT (meeting_id, enrollment_id) DO NOTHING");
        // Only placeholders are formatted into the statement; every value is bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(meeting_id)
            .bind(source)
            .bind(now);
        for id in chunk {
            query = query.bind(*id);
        }
        query.execute(&mut *tx).await?;
    }
    tx.commit().await
}
