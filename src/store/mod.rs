//! Persistence: the only layer that writes SQL. One `Any` pool serves SQLite (the embedded
//! default) and PostgreSQL (several instances); queries use `$N` placeholders, integers for
//! times (epoch ms) and booleans, and text ids, so that one query text runs on both.

pub mod accounts;
pub mod attendance;
pub mod audit;
pub mod backup;
pub mod board;
pub mod enrollments;
pub mod outbox;
pub mod presence;
pub mod privacy;
pub mod revocations;
pub mod workshops;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor};

/// A failed query, on either backend. Callers above the store never look inside: they ask
/// [`is_busy`] (and [`is_storage_failure`]) what kind of failure it was.
pub use sqlx::Error as DbError;

/// Whether a failure means "too busy right now": every connection stayed in use for the whole
/// acquire timeout. Worth a "try again shortly" (503), not an internal error (500).
pub fn is_busy(e: &DbError) -> bool {
    matches!(e, DbError::PoolTimedOut)
}

/// Whether a failure means the storage itself failed: the disk (or the database's size limit)
/// is full, or reading or writing the file failed. SQLite: `SQLITE_FULL` (13) and `SQLITE_IOERR`
/// (10, with its extended codes); PostgreSQL: class 53 disk full (53100) and class 58 I/O
/// errors. No retry helps until space is freed: the answer is 503 and `/readyz` fails.
pub fn is_storage_failure(e: &DbError) -> bool {
    // Only the database's own verdict: a lost connection to PostgreSQL is not a full disk.
    let Some(db) = e.as_database_error() else {
        return false;
    };
    let code = db.code().map(|c| c.to_string()).unwrap_or_default();
    let message = db.message().to_lowercase();
    let by_code = match code.parse::<i64>() {
        // SQLite reports (extended) result codes as numbers; the primary code is the low byte.
        Ok(n) => matches!(n & 0xff, 10 | 13),
        Err(_) => code == "53100" || code.starts_with("58"),
    };
    by_code || message.contains("database or disk is full") || message.contains("disk i/o error")
}

/// Which database engine a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A cheap-to-clone handle on the database.
#[derive(Clone)]
pub struct Store {
    /// Private to the store: SQL lives in this module and its children only.
    pool: AnyPool,
    pub backend: Backend,
    /// Set when a write failed for lack of space or an I/O error, cleared when one succeeds
    /// again (or `/readyz`'s probe does): while set, `/readyz` answers 503.
    storage_failing: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

/// A transaction on the store (either backend).
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

impl Store {
    /// Connects, creating the SQLite file if needed, and applies the migrations.
    ///
    /// SQLite durability is chosen on purpose: WAL journal with `synchronous=FULL`, so every
    /// commit that was acknowledged survives a crash or power loss (each commit syncs the WAL).
    /// The enrollment desk groups many decisions into one commit, which is what keeps this fast.
    pub async fn connect(url: &str) -> anyhow::Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            anyhow::bail!(
                "DATABASE_URL non riconosciuto: usare sqlite://file.db oppure postgres://…"
            );
        };
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = match backend {
            Backend::Sqlite => {
                AnyPoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(Duration::from_secs(30))
                    // A local file needs no liveness ping; each ping was a round trip to the
                    // connection's thread before every statement (e.g. every board commit).
                    .test_before_acquire(false)
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            conn.execute(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                                 PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; \
                                 PRAGMA wal_autocheckpoint = 0;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?
            }
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_with(options)
                    .await?
            }
        };
        let store = Store {
            pool,
            backend,
            storage_failing: Default::default(),
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> anyhow::Result<()> {
        match self.backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite").run(&self.pool).await?,
            Backend::Postgres => {
                let migrator = sqlx::migrate!("migrations/postgres");
                self.accept_comment_only_edits(&migrator).await?;
                migrator.run(&self.pool).await?
            }
        }
        Ok(())
    }

    /// sqlx refuses to start on a database whose applied migration differs from the file by a
    /// single byte, comments included. When only a comment of an applied migration was
    /// corrected, the checksum the database recorded for the old text is replaced by the new
    /// one here, before the migrator compares them. Each entry names a migration and the
    /// SHA-384 (hex) of its previous text; nothing else is ever accepted.
    async fn accept_comment_only_edits(&self, migrator: &Migrator) -> Result<(), DbError> {
        /// 0001_init.sql before a garbled comment on `workshops.lock_version` was rewritten.
        const COMMENT_ONLY_EDITS: &[(i64, &str)] = &[(
            1,
            "d7a923732b631eaa270294e3a63c9818dd835405727e2560591b5c8dc92b523019bb58f2114341669498196f8e5a4318",
        )];
        let (table,): (Option<String>,) =
            sqlx::query_as("SELECT to_regclass('_sqlx_migrations')::text")
                .fetch_one(&self.pool)
                .await?;
        if table.is_none() {
            return Ok(()); // a new database: nothing applied yet
        }
        for (version, previous) in COMMENT_ONLY_EDITS {
            let Some(current) = migrator.iter().find(|m| m.version == *version) else {
                continue;
            };
            sqlx::query(
                "UPDATE _sqlx_migrations SET checksum = decode($1, 'hex') \
                 WHERE version = $2 AND checksum = decode($3, 'hex')",
            )
            .bind(hex::encode(&current.checksum))
            .bind(*version)
            .bind(*previous)
            .execute(&self.pool)
            .await?;
        }
        Ok(())
    }

    /// Whether the database answers and every migration is applied (for `/readyz`).
    pub async fn ready(&self) -> bool {
        let expected = match self.backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite").iter().count(),
            Backend::Postgres => sqlx::migrate!("migrations/postgres").iter().count(),
        } as i64;
        let applied: Result<(i64,), _> =
            sqlx::query_as("SELECT COUNT(*) FROM _sqlx_migrations WHERE success = TRUE")
                .fetch_one(&self.pool)
                .await;
        matches!(applied, Ok((n,)) if n >= expected)
    }

    /// Records a failed write: a storage failure ([`is_storage_failure`]) marks the storage
    /// failing and is logged once as such. Returns whether it was one.
    pub fn note_failure(&self, e: &DbError) -> bool {
        if !is_storage_failure(e) {
            return false;
        }
        self.note_storage_failure(e);
        true
    }

    /// Marks the storage failing (the cause is logged when it starts failing).
    pub fn note_storage_failure(&self, cause: &dyn std::fmt::Display) {
        use std::sync::atomic::Ordering;
        if !self.storage_failing.swap(true, Ordering::Relaxed) {
            tracing::error!(
                error = %cause,
                "storage failing: the database could not write (disk full or I/O error); \
                 writes are refused with 503 and /readyz fails until a write succeeds"
            );
        }
    }

    /// Records a write that succeeded: the storage works again.
    pub fn note_write_ok(&self) {
        use std::sync::atomic::Ordering;
        if self.storage_failing.load(Ordering::Relaxed)
            && self.storage_failing.swap(false, Ordering::Relaxed)
        {
            tracing::info!("storage writes succeed again");
        }
    }

    /// Whether `/readyz` reports the storage healthy. While it is marked failing, each call
    /// tries a small write, committed then deleted (a commit is what a full disk refuses): when
    /// it succeeds, space was freed and the storage is declared healthy again.
    pub async fn storage_ok(&self) -> bool {
        use std::sync::atomic::Ordering;
        if !self.storage_failing.load(Ordering::Relaxed) {
            return true;
        }
        let probe = async {
            // Big enough to need fresh pages, as an enrollment or a board event would.
            sqlx::query("INSERT INTO storage_probe (filler) VALUES ($1)")
                .bind("x".repeat(16 * 1024))
                .execute(&self.pool)
                .await?;
            sqlx::query("DELETE FROM storage_probe")
                .execute(&self.pool)
                .await
        };
        match probe.await {
            Ok(_) => {
                self.note_write_ok();
                true
            }
            Err(_) => false,
        }
    }

    /// Caps an SQLite database at its current size (`PRAGMA max_page_count`, which never goes
    /// below the pages in use) on every connection of the pool, or lifts the cap: writes that
    /// need a new page then fail with `SQLITE_FULL`, as on a full disk. For the tests of a
    /// full disk (a real one cannot be filled safely); nothing on PostgreSQL.
    #[doc(hidden)]
    pub async fn cap_sqlite_size(&self, cap: bool) -> Result<(), DbError> {
        if self.backend != Backend::Sqlite {
            return Ok(());
        }
        let pages = if cap { 1 } else { 1_073_741_823 };
        // Hold every connection at once, so that each gets the pragma (it is per connection).
        let mut held = Vec::new();
        for _ in 0..self.pool.options().get_max_connections() {
            let mut conn = self.pool.acquire().await?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "PRAGMA max_page_count = {pages}"
            )))
            .execute(&mut *conn)
            .await?;
            held.push(conn);
        }
        Ok(())
    }

    /// Starts a transaction.
    /// Closes every connection (at the end of a graceful shutdown, or of a test).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub async fn begin(&self) -> Result<Tx, DbError> {
        self.pool.begin().await
    }
}

/// The placeholders of a multi-row `VALUES` list: `($1, $2), ($3, $4)` for two rows of two
/// columns. Only placeholders are formatted into such statements; every value is bound.
pub(crate) fn values_placeholders(rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|r| {
            let cells: Vec<String> = (1..=columns)
                .map(|c| format!("${}", r * columns + c))
                .collect();
            format!("({})", cells.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Keeps SQLite's write-ahead log short, off the commit path. With SQLite's automatic
/// checkpoint, the commit that crossed 1,000 pages copied the log into the database and
/// synced it before returning: a board's events stalled for 100–500 ms now and then under
/// load. Here a passive checkpoint runs every second on a connection of its own; commits go
/// on meanwhile. (PostgreSQL needs nothing of the kind.)
pub async fn keep_wal_short(store: Store, shutdown: tokio_util::sync::CancellationToken) {
    if store.backend != Backend::Sqlite {
        return;
    }
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&store.pool)
            .await
        {
            tracing::warn!(error = %e, "WAL checkpoint failed; will retry");
        }
    }
}

/// Milliseconds since the epoch, the unit of every stored time.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_number_every_cell_row_by_row() {
        assert_eq!(super::values_placeholders(2, 2), "($1, $2), ($3, $4)");
        assert_eq!(super::values_placeholders(1, 3), "($1, $2, $3)");
    }
}
