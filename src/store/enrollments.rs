//! Enrollment rows. Decisions happen in `services::enrollment`, inside one transaction that
//! starts with [`lock_workshop`]; these functions are its building blocks.

use sqlx::{AnyConnection, FromRow};

use super::{DbError, Store};
use crate::domain::enrollment::{Application, Status};

/// An enrollment as stored.
#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct EnrollmentRow {
    pub id: i64,
    pub workshop_id: i64,
    pub arrival: i64,
    pub email: String,
    pub name: String,
    pub role: String,
    pub ente: String,
    pub comune_istat: Option<String>,
    pub ambito: Option<String>,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl EnrollmentRow {
    /// The status (an unknown stored value reads as cancelled).
    pub fn status(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::Cancelled)
    }
}

const COLUMNS: &str = "id, workshop_id, arrival, email, name, role, ente, comune_istat, ambito, \
                       status, created_at, updated_at";

/// What the decision needs to know about a workshop, read under its lock.
#[derive(Debug, Clone, Copy)]
pub struct WorkshopSeats {
    pub capacity: i64,
    pub closes_at: i64,
    pub closed_processed: bool,
}

/// Takes the workshop's write lock for the rest of the transaction: an UPDATE comes first so
/// that SQLite takes its write lock at once (no deferred-upgrade BUSY) and PostgreSQL locks the
/// row against other instances.
pub async fn lock_workshop(
    conn: &mut AnyConnection,
    workshop_id: i64,
) -> Result<WorkshopSeats, DbError> {
    let (capacity, closes_at, closed): (i64, i64, i64) = sqlx::query_as(
        "UPDATE workshops SET lock_version = lock_version + 1 WHERE id = $1 \
         RETURNING capacity, enrollment_closes, closed_processed",
    )
    .bind(workshop_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(WorkshopSeats {
        capacity,
        closes_at,
        closed_processed: closed != 0,
    })
}

/// Records that a workshop's closed window was settled (the waiting people were told).
pub async fn mark_closed_processed(
    conn: &mut AnyConnection,
    workshop_id: i64,
) -> Result<(), DbError> {
    sqlx::query("UPDATE workshops SET closed_processed = 1 WHERE id = $1")
        .bind(workshop_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// How many enrollments of a workshop have this status.
pub async fn count_with_status(
    conn: &mut AnyConnection,
    workshop_id: i64,
    status: Status,
) -> Result<i64, DbError> {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM enrollments WHERE workshop_id = $1 AND status = $2")
            .bind(workshop_id)
            .bind(status.as_str())
            .fetch_one(conn)
            .await?;
    Ok(n)
}

/// The highest arrival number of a workshop's enrollments (0 when none).
pub async fn max_arrival(conn: &mut AnyConnection, workshop_id: i64) -> Result<i64, DbError> {
    let (n,): (Option<i64>,) =
        sqlx::query_as("SELECT MAX(arrival) FROM enrollments WHERE workshop_id = $1")
            .bind(workshop_id)
            .fetch_one(conn)
            .await?;
    Ok(n.unwrap_or(0))
}

/// Inserts an application; `None` when this e-mail already enrolled in the workshop.
pub async fn insert(
    conn: &mut AnyConnection,
    workshop_id: i64,
    arrival: i64,
    app: &Application,
    status: Status,
    now: i64,
) -> Result<Option<i64>, DbError> {
    let id: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO enrollments (workshop_id, arrival, email, email_norm, name, role, ente, \
           comune_istat, ambito, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) \
         ON CONFLICT (workshop_id, email_norm) DO NOTHING RETURNING id",
    )
    .bind(workshop_id)
    .bind(arrival)
    .bind(&app.email)
    .bind(&app.email_norm)
    .bind(&app.name)
    .bind(&app.role)
    .bind(&app.ente)
    .bind(app.comune_istat.as_deref())
    .bind(app.ambito.as_deref())
    .bind(status.as_str())
    .bind(now)
    .fetch_optional(conn)
    .await?;
    Ok(id.map(|(id,)| id))
}

/// The enrollment of this (normalised) e-mail in a workshop.
pub async fn by_email(
    conn: &mut AnyConnection,
    workshop_id: i64,
    email_norm: &str,
) -> Result<Option<EnrollmentRow>, DbError> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM enrollments WHERE workshop_id = $1 AND email_norm = $2"
    )))
    .bind(workshop_id)
    .bind(email_norm)
    .fetch_optional(conn)
    .await
}

/// An enrollment by id, inside the caller's transaction.
pub async fn by_id(conn: &mut AnyConnection, id: i64) -> Result<Option<EnrollmentRow>, DbError> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM enrollments WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Adds a private link (its hash) to an enrollment.
pub async fn add_link(
    conn: &mut AnyConnection,
    enrollment_id: i64,
    token_hash: &str,
    now: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO enrollment_links (token_hash, enrollment_id, created_at) VALUES ($1, $2, $3)",
    )
    .bind(token_hash)
    .bind(enrollment_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The enrollment a private link belongs to.
pub async fn by_link(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<Option<EnrollmentRow>, DbError> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM enrollments WHERE id = \
         (SELECT enrollment_id FROM enrollment_links WHERE token_hash = $1)"
    )))
    .bind(token_hash)
    .fetch_optional(conn)
    .await
}

/// The earliest waiting application, the next to be promoted.
pub async fn first_waitlisted(
    conn: &mut AnyConnection,
    workshop_id: i64,
) -> Result<Option<EnrollmentRow>, DbError> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM enrollments WHERE workshop_id = $1 AND status = 'waitlisted' \
         ORDER BY arrival, id LIMIT 1"
    )))
    .bind(workshop_id)
    .fetch_optional(conn)
    .await
}

/// Everyone waiting for a seat, in arrival order.
pub async fn all_waitlisted(
    conn: &mut AnyConnection,
    workshop_id: i64,
) -> Result<Vec<EnrollmentRow>, DbError> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM enrollments WHERE workshop_id = $1 AND status = 'waitlisted' \
         ORDER BY arrival, id"
    )))
    .bind(workshop_id)
    .fetch_all(conn)
    .await
}

/// Changes an enrollment's status.
pub async fn set_status(
    conn: &mut AnyConnection,
    id: i64,
    status: Status,
    now: i64,
) -> Result<(), DbError> {
    sqlx::query("UPDATE enrollments SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(status.as_str())
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// 1-based position on the waitlist of an application that arrived at `arrival`.
pub async fn waitlist_position(
    conn: &mut AnyConnection,
    workshop_id: i64,
    arrival: i64,
    id: i64,
) -> Result<i64, DbError> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM enrollments WHERE workshop_id = $1 AND status = 'waitlisted' \
         AND (arrival < $2 OR (arrival = $2 AND id < $3))",
    )
    .bind(workshop_id)
    .bind(arrival)
    .bind(id)
    .fetch_one(conn)
    .await?;
    Ok(n + 1)
}

/// An enrollment by id, read outside any transaction.
pub async fn find(store: &Store, id: i64) -> Result<Option<EnrollmentRow>, DbError> {
    let mut conn = store.pool.acquire().await?;
    by_id(&mut conn, id).await
}

/// The enrollment a private link belongs to, read outside any transaction.
pub async fn find_by_link(
    store: &Store,
    token_hash: &str,
) -> Result<Option<EnrollmentRow>, DbError> {
    let mut conn = store.pool.acquire().await?;
    by_link(&mut conn, token_hash).await
}

/// The waitlist position of a waiting enrollment, read outside any transaction.
pub async fn position(store: &Store, row: &EnrollmentRow) -> Result<i64, DbError> {
    let mut conn = store.pool.acquire().await?;
    waitlist_position(&mut conn, row.workshop_id, row.arrival, row.id).await
}

/// Every application of a workshop in arrival order.
pub async fn list(store: &Store, workshop_id: i64) -> Result<Vec<EnrollmentRow>, DbError> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM enrollments WHERE workshop_id = $1 ORDER BY arrival, id"
    )))
    .bind(workshop_id)
    .fetch_all(&store.pool)
    .await
}

/// Seats taken and people waiting, for the public pages.
pub async fn counts(store: &Store, workshop_id: i64) -> Result<(i64, i64), DbError> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT status, COUNT(*) FROM enrollments WHERE workshop_id = $1 GROUP BY status",
    )
    .bind(workshop_id)
    .fetch_all(&store.pool)
    .await?;
    let get = |s: &str| rows.iter().find(|r| r.0 == s).map_or(0, |r| r.1);
    Ok((get("confirmed"), get("waitlisted")))
}
