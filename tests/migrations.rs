//! Migrations on a database an older build created: a comment corrected in an applied
//! migration must not stop the next start, and nothing else may slip through that way.

mod common;

use sha2::{Digest, Sha384};
use tavolo::store::Store;

/// SHA-384 of `migrations/postgres/0001_init.sql` before its comment on
/// `workshops.lock_version` was rewritten (the text every PostgreSQL database was migrated
/// with until then).
const INIT_BEFORE_THE_COMMENT_FIX: &str = "d7a923732b631eaa270294e3a63c9818dd835405727e2560591b5c8dc92b523019bb58f2114341669498196f8e5a4318";

async fn applied_checksum(sql: &sqlx::AnyPool, version: i64) -> String {
    let (hex,): (String,) =
        sqlx::query_as("SELECT encode(checksum, 'hex') FROM _sqlx_migrations WHERE version = $1")
            .bind(version)
            .fetch_one(sql)
            .await
            .unwrap();
    hex
}

async fn set_applied_checksum(sql: &sqlx::AnyPool, version: i64, hex: &str) {
    sqlx::query("UPDATE _sqlx_migrations SET checksum = decode($1, 'hex') WHERE version = $2")
        .bind(hex)
        .bind(version)
        .execute(sql)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_database_migrated_before_a_comment_was_corrected_still_starts() {
    if std::env::var("TAVOLO_TEST_POSTGRES_URL").map_or(true, |u| u.is_empty()) {
        common::skipped(
            "the migration checksums under test are PostgreSQL's (TAVOLO_TEST_POSTGRES_URL)",
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = common::TestDb::new(dir.path()).await;
    let store = Store::connect(&db.url).await.unwrap();
    store.close().await;
    let sql = sqlx::AnyPool::connect(&db.url).await.unwrap();
    let current = hex::encode(Sha384::digest(include_str!(
        "../migrations/postgres/0001_init.sql"
    )));
    assert_eq!(applied_checksum(&sql, 1).await, current);

    // As an older build left it: the next start accepts it and records the current text.
    set_applied_checksum(&sql, 1, INIT_BEFORE_THE_COMMENT_FIX).await;
    let store = Store::connect(&db.url)
        .await
        .expect("a database migrated with the old comment starts");
    store.close().await;
    assert_eq!(applied_checksum(&sql, 1).await, current);

    // Any other difference is still refused, as sqlx does.
    let unknown = hex::encode(Sha384::digest("CREATE TABLE altro (id BIGINT);"));
    set_applied_checksum(&sql, 1, &unknown).await;
    let refused = Store::connect(&db.url).await;
    assert!(
        refused.is_err(),
        "a migration changed beyond the known comment fix must stop the start"
    );
    sql.close().await;
}
