//! Presence on the boards across instances (PostgreSQL): each instance publishes who is
//! connected to each of its rooms and reads who is connected through the others, so that
//! everyone sees the same count whatever instance they are connected to.
//!
//! An instance keeps a heartbeat row; its presence rows go with it (`ON DELETE CASCADE`) when
//! it stops, or when another instance finds its heartbeat stale (a crash). Heartbeats are
//! stamped and compared with the database's clock, so instances on hosts whose clocks differ
//! agree on who is alive. Every change is announced on the board channel as
//! `meeting:presence`.

use super::board::WRITES_CHANNEL;
use super::{DbError, Store, Tx};
use crate::domain::board::{Actor, ActorId};

/// An instance whose heartbeat is older than this is gone: its rows no longer count.
pub const STALE_AFTER_MS: i64 = 60_000;

/// The database's clock in milliseconds (PostgreSQL), for heartbeats; a macro so that the
/// statements stay literals.
macro_rules! db_now_ms {
    () => {
        "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT"
    };
}

/// The notice payload of a presence change in a meeting by an instance
/// (`meeting:presence:instance`): the instance that made it has nothing to read.
pub(super) fn changed_payload(meeting_id: i64, instance: &str) -> String {
    format!("{meeting_id}:presence:{instance}")
}

/// One person connected to a board (through any instance).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Present {
    pub person: String,
    pub kind: String,
    pub name: String,
    pub organisation: Option<String>,
}

/// Records that `instance` is alive, and removes the instances that stopped beating (their
/// presence rows with them), telling the meetings they were in.
pub async fn beat(store: &Store, instance: &str) -> Result<(), DbError> {
    let mut tx = store.begin().await?;
    sqlx::query(concat!(
        "INSERT INTO board_instances (id, beat_at) VALUES ($1, ",
        db_now_ms!(),
        ") \
         ON CONFLICT (id) DO UPDATE SET beat_at = excluded.beat_at"
    ))
    .bind(instance)
    .execute(&mut *tx)
    .await?;
    let gone: Vec<(String,)> = sqlx::query_as(concat!(
        "SELECT id FROM board_instances WHERE beat_at < ",
        db_now_ms!(),
        " - $1"
    ))
    .bind(STALE_AFTER_MS)
    .fetch_all(&mut *tx)
    .await?;
    for (id,) in gone {
        remove_instance(&mut tx, &id).await?;
    }
    tx.commit().await
}

/// The instance stops: its presence rows go, and the meetings they were in are told.
pub async fn leave(store: &Store, instance: &str) -> Result<(), DbError> {
    let mut tx = store.begin().await?;
    remove_instance(&mut tx, instance).await?;
    tx.commit().await
}

async fn remove_instance(tx: &mut Tx, instance: &str) -> Result<(), DbError> {
    let meetings: Vec<(i64,)> =
        sqlx::query_as("SELECT DISTINCT meeting_id FROM board_presence WHERE instance_id = $1")
            .bind(instance)
            .fetch_all(&mut **tx)
            .await?;
    sqlx::query("DELETE FROM board_presence WHERE instance_id = $1")
        .bind(instance)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM board_instances WHERE id = $1")
        .bind(instance)
        .execute(&mut **tx)
        .await?;
    for (meeting_id,) in meetings {
        notify(tx, meeting_id, instance).await?;
    }
    Ok(())
}

/// Publishes the change of one room's presence on `instance`: who joined, who left.
pub async fn publish(
    store: &Store,
    instance: &str,
    meeting_id: i64,
    joined: &[&Actor],
    left: &[ActorId],
) -> Result<(), DbError> {
    if joined.is_empty() && left.is_empty() {
        return Ok(());
    }
    let mut tx = store.begin().await?;
    for person in left {
        sqlx::query(
            "DELETE FROM board_presence \
             WHERE meeting_id = $1 AND instance_id = $2 AND person = $3",
        )
        .bind(meeting_id)
        .bind(instance)
        .bind(person.to_string())
        .execute(&mut *tx)
        .await?;
    }
    // Several rows per statement: a thousand people joining within one tick are a few
    // statements, not a thousand.
    for chunk in joined.chunks(100) {
        let sql = format!(
            "INSERT INTO board_presence \
             (instance_id, meeting_id, person, kind, name, organisation) VALUES {} \
             ON CONFLICT (meeting_id, instance_id, person) DO NOTHING",
            super::values_placeholders(chunk.len(), 6)
        );
        // Only placeholders are formatted into the statement; every value is bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in chunk {
            let kind = serde_json::to_value(a.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            query = query
                .bind(instance)
                .bind(meeting_id)
                .bind(a.id.to_string())
                .bind(kind)
                .bind(a.name.clone())
                .bind(a.organisation.clone());
        }
        query.execute(&mut *tx).await?;
    }
    notify(&mut tx, meeting_id, instance).await?;
    tx.commit().await
}

/// The instance's room of a meeting closed: its rows for that meeting go.
pub async fn close_room(store: &Store, instance: &str, meeting_id: i64) -> Result<(), DbError> {
    let mut tx = store.begin().await?;
    let removed =
        sqlx::query("DELETE FROM board_presence WHERE meeting_id = $1 AND instance_id = $2")
            .bind(meeting_id)
            .bind(instance)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    if removed > 0 {
        notify(&mut tx, meeting_id, instance).await?;
    }
    tx.commit().await
}

/// The people connected to a meeting through the other live instances, each once (a person
/// may also be connected here: the room merges).
pub async fn elsewhere(
    store: &Store,
    instance: &str,
    meeting_id: i64,
) -> Result<Vec<Present>, DbError> {
    sqlx::query_as(concat!(
        "SELECT DISTINCT p.person, p.kind, p.name, p.organisation FROM board_presence p \
         JOIN board_instances i ON i.id = p.instance_id \
         WHERE p.meeting_id = $1 AND p.instance_id <> $2 AND i.beat_at >= ",
        db_now_ms!(),
        " - $3 ORDER BY p.person"
    ))
    .bind(meeting_id)
    .bind(instance)
    .bind(STALE_AFTER_MS)
    .fetch_all(&store.pool)
    .await
}

async fn notify(tx: &mut Tx, meeting_id: i64, instance: &str) -> Result<(), DbError> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(WRITES_CHANNEL)
        .bind(changed_payload(meeting_id, instance))
        .execute(&mut **tx)
        .await?;
    Ok(())
}
