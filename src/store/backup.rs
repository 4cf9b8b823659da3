//! A consistent copy of the SQLite database while Tavolo serves (`tavolo backup FILE`).
//!
//! `VACUUM INTO` reads the database inside one read transaction, so the copy holds exactly the
//! commits acknowledged before it started — an enrollment with its e-mail, a board operation
//! with its events — never half of one, while the server goes on writing (WAL readers do not
//! block writers). The copy is written next to its final name and renamed once complete and
//! checked, so a file with that name is always a whole, valid database. PostgreSQL has its own
//! tool for this (`pg_dump`), described in the README.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use sqlx::any::AnyConnectOptions;
use sqlx::{ConnectOptions, Connection};

/// What a backup holds, to print and to check against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub bytes: u64,
    pub enrollments: i64,
    pub board_events: i64,
    pub accounts: i64,
}

/// Why a backup was not written; the text is Italian, for the operator.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BackupError(pub String);

/// Copies the SQLite database at `url` to `dest`, which must not exist yet.
pub async fn sqlite(url: &str, dest: &Path) -> Result<Summary, BackupError> {
    let source = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or_else(|| {
            BackupError(
                "tavolo backup copia il database SQLite; con PostgreSQL usa pg_dump: \
                 pg_dump --format=custom --file=tavolo.dump \"$DATABASE_URL\" (README, «Backups»)"
                    .into(),
            )
        })?;
    let source = source.split('?').next().unwrap_or(source);
    if !Path::new(source).is_file() {
        return Err(BackupError(format!("database non trovato: «{source}»")));
    }
    if dest.exists() {
        return Err(BackupError(format!(
            "«{}» esiste già: scegli un nome nuovo (una copia non ne sovrascrive un'altra)",
            dest.display()
        )));
    }
    sqlx::any::install_default_drivers();
    let partial = partial_name(dest);
    let _ = std::fs::remove_file(&partial); // a leftover of an interrupted run
    // The file as it is (never created here), waiting for the server's writers when busy.
    let options = AnyConnectOptions::from_str(&format!("sqlite://{source}?mode=rw"))
        .map_err(|e| BackupError(format!("indirizzo del database non valido: {e}")))?;
    let mut conn = options
        .connect()
        .await
        .map_err(|e| BackupError(format!("impossibile aprire il database: {e}")))?;
    sqlx::query("PRAGMA busy_timeout = 10000")
        .execute(&mut conn)
        .await
        .map_err(failed)?;
    let written = sqlx::query("VACUUM INTO $1")
        .bind(partial.display().to_string())
        .execute(&mut conn)
        .await;
    let _ = conn.close().await;
    if let Err(e) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(failed(e));
    }
    let summary = match check(&partial).await {
        Ok(s) => s,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    std::fs::rename(&partial, dest).map_err(|e| {
        BackupError(format!(
            "copia scritta in «{}» ma non rinominata: {e}",
            partial.display()
        ))
    })?;
    Ok(summary)
}

/// Opens a copy read-only, checks its integrity and counts what it holds.
pub async fn check(path: &Path) -> Result<Summary, BackupError> {
    sqlx::any::install_default_drivers();
    let options = AnyConnectOptions::from_str(&format!("sqlite://{}?mode=ro", path.display()))
        .map_err(|e| BackupError(format!("percorso non valido: {e}")))?;
    let mut conn = options
        .connect()
        .await
        .map_err(|e| BackupError(format!("impossibile aprire la copia: {e}")))?;
    let (integrity,): (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .map_err(failed)?;
    if integrity != "ok" {
        return Err(BackupError(format!(
            "la copia non supera il controllo di integrità: {integrity}"
        )));
    }
    let mut count = async |query: &'static str| -> Result<i64, BackupError> {
        let (n,): (i64,) = sqlx::query_as(query)
            .fetch_one(&mut conn)
            .await
            .map_err(failed)?;
        Ok(n)
    };
    let summary = Summary {
        bytes: 0,
        enrollments: count("SELECT COUNT(*) FROM enrollments").await?,
        board_events: count("SELECT COUNT(*) FROM board_events").await?,
        accounts: count("SELECT COUNT(*) FROM accounts").await?,
    };
    let _ = conn.close().await;
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    Ok(Summary { bytes, ..summary })
}

fn partial_name(dest: &Path) -> PathBuf {
    let mut name = dest.file_name().unwrap_or_default().to_os_string();
    name.push(".parziale");
    dest.with_file_name(name)
}

fn failed(e: sqlx::Error) -> BackupError {
    BackupError(format!("copia non riuscita: {e}"))
}
