//! Syncing the catalogue files into the database. Editing a file updates the workshop; meetings
//! are matched by their key so their data stays attached; a meeting with data is never deleted.

use std::collections::HashMap;

use super::{DbError, Store, now_ms};
use crate::domain::workshop::Workshop;

/// Database ids of a synced workshop and of its meetings (by meeting key).
#[derive(Debug, Clone)]
pub struct SyncedIds {
    pub workshop_id: i64,
    pub meeting_ids: HashMap<String, i64>,
}

/// Why a catalogue file could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(
        "il workshop «{slug}» non può perdere l'incontro {key}: ha già dati registrati \
         (presenze o contributi). Ripristinalo nel file oppure spostane i dati prima."
    )]
    MeetingHasData { slug: String, key: String },
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Writes one workshop definition, in one transaction.
pub async fn sync(store: &Store, w: &Workshop) -> Result<SyncedIds, SyncError> {
    let now = now_ms();
    let mut tx = store.begin().await?;
    let definition = serde_json::to_string(w).expect("workshop serialises");
    let (workshop_id,): (i64,) = sqlx::query_as(
        "INSERT INTO workshops (slug, definition, capacity, enrollment_opens, enrollment_closes, \
           updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (slug) DO UPDATE SET definition = excluded.definition, \
           capacity = excluded.capacity, enrollment_opens = excluded.enrollment_opens, \
           enrollment_closes = excluded.enrollment_closes, updated_at = excluded.updated_at \
         RETURNING id",
    )
    .bind(&w.slug)
    .bind(&definition)
    .bind(i64::from(w.capacity))
    .bind(w.enrollment_opens.timestamp_millis())
    .bind(w.enrollment_closes.timestamp_millis())
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;

    let existing: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, key FROM meetings WHERE workshop_id = $1")
            .bind(workshop_id)
            .fetch_all(&mut *tx)
            .await?;
    let mut meeting_ids = HashMap::new();
    for (module, meeting) in w.meetings() {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO meetings (workshop_id, key, module_number, number, date, start_time, \
               end_time, place, board_template) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (workshop_id, key) DO UPDATE SET module_number = excluded.module_number, \
               number = excluded.number, date = excluded.date, start_time = excluded.start_time, \
               end_time = excluded.end_time, place = excluded.place, \
               board_template = excluded.board_template \
             RETURNING id",
        )
        .bind(workshop_id)
        .bind(&meeting.key)
        .bind(i64::from(module.number))
        .bind(i64::from(meeting.number))
        .bind(meeting.date.to_string())
        .bind(meeting.start.format("%H:%M").to_string())
        .bind(meeting.end.format("%H:%M").to_string())
        .bind(&meeting.place)
        .bind(&meeting.board_template)
        .fetch_one(&mut *tx)
        .await?;
        meeting_ids.insert(meeting.key.clone(), id);
    }
    for (id, key) in existing {
        if meeting_ids.contains_key(&key) {
            continue;
        }
        if meeting_has_data(&mut tx, id).await? {
            return Err(SyncError::MeetingHasData {
                slug: w.slug.clone(),
                key,
            });
        }
        sqlx::query("DELETE FROM meetings WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(SyncedIds {
        workshop_id,
        meeting_ids,
    })
}

async fn meeting_has_data(
    conn: &mut sqlx::AnyConnection,
    meeting_id: i64,
) -> Result<bool, DbError> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM attendance WHERE meeting_id = $1) \
              + (SELECT COUNT(*) FROM board_events WHERE meeting_id = $1) \
              + (SELECT COUNT(*) FROM guests WHERE meeting_id = $1)",
    )
    .bind(meeting_id)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}
