//! Registro presenze: who attended which meeting, marked by staff or by joining the board.

use sqlx::FromRow;

use super::{DbError, Store, now_ms};

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
