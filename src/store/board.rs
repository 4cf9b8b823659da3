//! The board's event log.

use sqlx::AnyConnection;

use super::{Backend, DbError, Store};
use crate::domain::board::{Actor, EventRecord};

/// Reads a meeting's events after `after_seq`, in order.
pub async fn events_after(
    store: &Store,
    meeting_id: i64,
    after_seq: i64,
) -> Result<Vec<EventRecord>, DbError> {
    let mut conn = store.pool.acquire().await?;
    read_after(&mut conn, meeting_id, after_seq).await
}

async fn read_after(
    conn: &mut AnyConnection,
    meeting_id: i64,
    after_seq: i64,
) -> Result<Vec<EventRecord>, DbError> {
    let rows: Vec<(i64, String, String, String, i64)> = sqlx::query_as(
        "SELECT seq, op_id, actor, payload, at FROM board_events \
         WHERE meeting_id = $1 AND seq > $2 ORDER BY seq",
    )
    .bind(meeting_id)
    .bind(after_seq)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for (seq, op_id, actor, payload, at) in rows {
        // Rows are written by `insert` from the same types; a row that no longer decodes (a
        // future event kind after a downgrade) is skipped with a warning rather than
        // stopping the board.
        match (
            serde_json::from_str::<Actor>(&actor),
            serde_json::from_str(&payload),
        ) {
            (Ok(actor), Ok(event)) => out.push(EventRecord {
                seq,
                op_id,
                actor,
                at,
                event,
            }),
            _ => tracing::warn!(meeting_id, seq, "board event cannot be decoded; skipped"),
        }
    }
    Ok(out)
}

/// The right to write a meeting's next events. Several instances on one PostgreSQL database
/// take turns: a turn is a transaction holding the meeting's row lock (`FOR NO KEY UPDATE`,
/// which does not block the inserts that merely reference the meeting), so whoever holds it
/// reads what the others wrote, decides on the whole board and appends after it — the `seq`
/// it picks is free by construction, and instances that write at the same moment wait a
/// commit for each other instead of colliding and starting over. On SQLite there is one
/// instance: the turn holds nothing.
pub struct Turn {
    tx: Option<super::Tx>,
    meeting_id: i64,
}

/// Waits for the meeting's turn (PostgreSQL) and takes it.
pub async fn take_turn(store: &Store, meeting_id: i64) -> Result<Turn, DbError> {
    if store.backend != Backend::Postgres {
        return Ok(Turn {
            tx: None,
            meeting_id,
        });
    }
    let mut tx = store.begin().await?;
    sqlx::query("SELECT id FROM meetings WHERE id = $1 FOR NO KEY UPDATE")
        .bind(meeting_id)
        .execute(&mut *tx)
        .await?;
    Ok(Turn {
        tx: Some(tx),
        meeting_id,
    })
}

impl Turn {
    /// The events written after `seq` by other instances (nothing on SQLite, where this
    /// instance is the only writer).
    pub async fn written_after(&mut self, seq: i64) -> Result<Vec<EventRecord>, DbError> {
        match &mut self.tx {
            Some(tx) => read_after(tx, self.meeting_id, seq).await,
            None => Ok(Vec::new()),
        }
    }

    /// Appends a batch of events as one transaction and ends the turn. On PostgreSQL the
    /// other instances are told in the same transaction (`NOTIFY`, payload
    /// `meeting:last_seq`; the events themselves are read from the table). Dropping a turn
    /// without appending gives it back with nothing written.
    pub async fn append(self, store: &Store, events: &[EventRecord]) -> Result<(), DbError> {
        // A board that cannot be written for lack of space marks the storage failing for
        // `/readyz`, and one written again clears it.
        let result = self.append_batch(store, events).await;
        match &result {
            Ok(()) => store.note_write_ok(),
            Err(e) => {
                store.note_failure(e);
            }
        }
        result
    }

    async fn append_batch(self, store: &Store, events: &[EventRecord]) -> Result<(), DbError> {
        let meeting_id = self.meeting_id;
        let mut tx = match self.tx {
            Some(tx) => tx,
            None if events.len() <= ROWS_PER_INSERT => {
                // SQLite: one statement is one (implicit) transaction, a single round trip
                // to the database thread instead of four (BEGIN, INSERT, COMMIT). Under load
                // each round trip waited behind the fan-out of the previous event.
                let mut conn = store.pool.acquire().await?;
                return insert(&mut conn, meeting_id, events).await;
            }
            None => store.begin().await?,
        };
        insert(&mut tx, meeting_id, events).await?;
        if store.backend == Backend::Postgres {
            let last = events.last().map_or(0, |r| r.seq);
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(WRITES_CHANNEL)
                .bind(format!("{meeting_id}:{last}"))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await
    }
}

/// Appends a batch of events in a turn of its own (see [`Turn`]). Fails with a unique
/// violation if one of their `seq`s is taken; then nothing was written.
pub async fn append(store: &Store, meeting_id: i64, events: &[EventRecord]) -> Result<(), DbError> {
    take_turn(store, meeting_id)
        .await?
        .append(store, events)
        .await
}

/// The PostgreSQL channel on which instances announce board writes to each other.
pub(super) const WRITES_CHANNEL: &str = "tavolo_board";

/// The notice payload of events rewritten in place (a person's data erased, `store::privacy`):
/// `meeting:rewritten`, where writes say `meeting:last_seq`.
pub(super) fn rewritten_payload(meeting_id: i64) -> String {
    format!("{meeting_id}:rewritten")
}

/// Notices of board writes by other instances (PostgreSQL `LISTEN`).
pub struct WriteNotices(sqlx::postgres::PgListener);

/// What another instance did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteNotice {
    /// It wrote events of this meeting, up to `last_seq` (when the notice says).
    Written {
        meeting_id: i64,
        last_seq: Option<i64>,
    },
    /// It rewrote stored events of this meeting (personal data erased): reload the board.
    Rewritten { meeting_id: i64 },
    /// Who is connected to this meeting changed on `instance` (`store::presence`).
    Presence { meeting_id: i64, instance: String },
    /// The listening connection was lost and restored: notices sent meanwhile are lost (a known
    /// property of `PgListener`), so anything may have been written.
    MaybeMissed,
}

impl WriteNotices {
    pub async fn connect(database_url: &str) -> Result<WriteNotices, DbError> {
        let mut listener = sqlx::postgres::PgListener::connect(database_url).await?;
        listener.listen(WRITES_CHANNEL).await?;
        Ok(WriteNotices(listener))
    }

    /// The next notice (reconnects by itself after a lost connection).
    pub async fn next(&mut self) -> Result<WriteNotice, DbError> {
        loop {
            match self.0.try_recv().await? {
                None => return Ok(WriteNotice::MaybeMissed),
                Some(n) => {
                    let (meeting, what) = n.payload().split_once(':').unwrap_or((n.payload(), ""));
                    if let Ok(meeting_id) = meeting.parse() {
                        return Ok(match what {
                            "rewritten" => WriteNotice::Rewritten { meeting_id },
                            _ if what.starts_with("presence:") => WriteNotice::Presence {
                                meeting_id,
                                instance: what["presence:".len()..].to_string(),
                            },
                            _ => WriteNotice::Written {
                                meeting_id,
                                last_seq: what.parse().ok(),
                            },
                        });
                    }
                    // Not one of ours: nothing to catch up with.
                }
            }
        }
    }
}

/// Rows per `INSERT`: a batch of 512 operations is a few statements, and the statement cache
/// holds at most this many shapes.
const ROWS_PER_INSERT: usize = 64;

/// Appends events, several rows per statement; fails with a unique violation if one of their
/// `seq`s is taken.
async fn insert(
    conn: &mut AnyConnection,
    meeting_id: i64,
    events: &[EventRecord],
) -> Result<(), DbError> {
    for chunk in events.chunks(ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO board_events (meeting_id, seq, op_id, actor, kind, payload, at) VALUES {}",
            super::values_placeholders(chunk.len(), 7)
        );
        // Only placeholders are formatted into the statement; every value is bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for e in chunk {
            let payload = serde_json::to_string(&e.event).expect("events serialise");
            let actor = serde_json::to_string(&e.actor).expect("actors serialise");
            let kind = payload_kind(&payload).to_string();
            query = query
                .bind(meeting_id)
                .bind(e.seq)
                .bind(e.op_id.clone())
                .bind(actor)
                .bind(kind)
                .bind(payload)
                .bind(e.at);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The `kind` of a serialised event: events are internally tagged, so serde writes
/// `{"kind":"…"` first.
fn payload_kind(payload: &str) -> &str {
    payload
        .strip_prefix(r#"{"kind":""#)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
}

/// What a guest declared when joining a meeting with its code.
#[derive(Debug, Clone, Copy)]
pub struct NewGuest<'a> {
    pub name: &'a str,
    pub organisation: Option<&'a str>,
    pub ambito: Option<&'a str>,
}

/// Creates a guest of a meeting who joined with the code of hash `code_hash`, unless that code
/// already admitted `cap` guests: then `None`. Counted and inserted in one statement; two
/// instances inserting at the same instant may each pass the count, so the cap may be exceeded
/// by the joins in flight, never by a flood.
pub async fn create_guest(
    store: &Store,
    meeting_id: i64,
    code_hash: &str,
    cap: i64,
    guest: NewGuest<'_>,
) -> Result<Option<i64>, DbError> {
    let row: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO guests (meeting_id, name, organisation, ambito, created_at, code_hash) \
         SELECT $1, $2, $3, $4, $5, $6 \
         WHERE (SELECT COUNT(*) FROM guests WHERE meeting_id = $1 AND code_hash = $6) < $7 \
         RETURNING id",
    )
    .bind(meeting_id)
    .bind(guest.name)
    .bind(guest.organisation)
    .bind(guest.ambito)
    .bind(super::now_ms())
    .bind(code_hash)
    .bind(cap)
    .fetch_optional(&store.pool)
    .await?;
    Ok(row.map(|(id,)| id))
}

/// A guest of a meeting.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GuestRow {
    pub id: i64,
    pub meeting_id: i64,
    pub name: String,
    pub organisation: Option<String>,
    /// Ambito territoriale, when declared (guests who joined before it was asked have none).
    pub ambito: Option<String>,
}

pub async fn guest(store: &Store, id: i64) -> Result<Option<GuestRow>, DbError> {
    sqlx::query_as("SELECT id, meeting_id, name, organisation, ambito FROM guests WHERE id = $1")
        .bind(id)
        .fetch_optional(&store.pool)
        .await
}

/// Every guest who joined a meeting, in the order they joined.
pub async fn guests_of_meeting(store: &Store, meeting_id: i64) -> Result<Vec<GuestRow>, DbError> {
    sqlx::query_as(
        "SELECT id, meeting_id, name, organisation, ambito FROM guests \
         WHERE meeting_id = $1 ORDER BY id",
    )
    .bind(meeting_id)
    .fetch_all(&store.pool)
    .await
}

#[cfg(test)]
mod tests {
    use super::payload_kind;
    use crate::domain::board::Event;

    #[test]
    fn the_kind_is_read_from_the_serialised_event() {
        let payload = serde_json::to_string(&Event::Locked { locked: true }).unwrap();
        assert_eq!(payload_kind(&payload), "locked");
        assert_eq!(payload_kind("[]"), "");
    }
}
