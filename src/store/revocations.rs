//! Telling the other instances that some access ended (PostgreSQL `NOTIFY` on a channel of its
//! own), so that each closes its own websockets of that person at once. The payload is a short
//! text the services define (`services::revocation`); the store only carries it.

use super::{Backend, DbError, Store};

/// The PostgreSQL channel on which instances announce ended access to each other.
const CHANNEL: &str = "tavolo_revoke";

/// Announces an ended access to every instance listening (this one included). On SQLite there
/// is only one instance: nothing to do.
pub async fn announce(store: &Store, payload: &str) -> Result<(), DbError> {
    if store.backend != Backend::Postgres {
        return Ok(());
    }
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(payload)
        .execute(&store.pool)
        .await?;
    Ok(())
}

/// Announcements of ended access by any instance (PostgreSQL `LISTEN`).
pub struct Notices(sqlx::postgres::PgListener);

/// What was heard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// An announcement's payload.
    Ended(String),
    /// The listening connection was lost and restored: announcements sent meanwhile are lost.
    MaybeMissed,
}

impl Notices {
    pub async fn connect(database_url: &str) -> Result<Notices, DbError> {
        let mut listener = sqlx::postgres::PgListener::connect(database_url).await?;
        listener.listen(CHANNEL).await?;
        Ok(Notices(listener))
    }

    /// The next announcement (reconnects by itself after a lost connection).
    pub async fn next(&mut self) -> Result<Notice, DbError> {
        Ok(match self.0.try_recv().await? {
            None => Notice::MaybeMissed,
            Some(n) => Notice::Ended(n.payload().to_string()),
        })
    }
}
