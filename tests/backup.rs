//! `tavolo backup`: a consistent copy of the SQLite database taken while the server writes, and
//! a Tavolo started on that copy (the restore) serving what it holds.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{TestApp, WorkshopSpec};
use tavolo::{Config, Tavolo};

fn tavolo(database_url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tavolo"))
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .args(args)
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

async fn count(url: &str, query: &'static str) -> i64 {
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .unwrap();
    let (n,): (i64,) = sqlx::query_as(query).fetch_one(&pool).await.unwrap();
    pool.close().await;
    n
}

#[tokio::test]
async fn a_backup_taken_while_serving_is_whole_and_restores() {
    let app = TestApp::spawn(WorkshopSpec::open("copia", 1000)).await;
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("tavolo-copia.db");
    let dest_str = dest.display().to_string();
    if app.db.is_postgres() {
        // PostgreSQL is copied with its own tool: the command says so and writes nothing.
        let out = tavolo(&app.db.url, &["backup", &dest_str]);
        assert_eq!(out.status.code(), Some(2), "{out:?}");
        assert!(stderr(&out).contains("pg_dump"), "{}", stderr(&out));
        assert!(!dest.exists());
        return;
    }
    for n in 0..20 {
        assert_eq!(app.enroll_n("copia", n).await.0, 201);
    }
    // People keep enrolling while the copy is taken.
    let writer = {
        let client = app.client.clone();
        let url = app.url("/api/v1/workshops/copia/enrollments");
        tokio::spawn(async move {
            for n in 20..120 {
                let res = client
                    .post(&url)
                    .json(&common::application(n))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 201);
            }
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    let url = app.db.url.clone();
    let args = ["backup".to_string(), dest_str.clone()];
    let out = tokio::task::spawn_blocking(move || {
        tavolo(&url, &args.iter().map(String::as_str).collect::<Vec<_>>())
    })
    .await
    .unwrap();
    writer.await.unwrap();
    assert!(out.status.success(), "{out:?}");
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        printed.starts_with(&format!("Copia scritta: {dest_str} ("))
            && printed.contains("integrità verificata"),
        "{printed}"
    );
    assert!(!Path::new(&format!("{dest_str}.parziale")).exists());

    // Whole commits only: every enrollment in the copy has its e-mail, written in the same
    // transaction; and the copy holds what was there before it started.
    let backup_url = format!("sqlite://{dest_str}");
    let enrolled = count(&backup_url, "SELECT COUNT(*) FROM enrollments").await;
    let mails = count(&backup_url, "SELECT COUNT(*) FROM outbox").await;
    assert!((20..=120).contains(&enrolled), "{enrolled}");
    assert_eq!(mails, enrolled, "each enrollment with its notification");
    assert!(
        printed.contains(&format!("{enrolled} iscrizioni")),
        "{printed}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM enrollments").await, 120);

    // The restore: a Tavolo started on the copy serves exactly what it holds.
    let config = Config::for_tests(&backup_url, app.workshops_dir.clone());
    let restored = Tavolo::start(&config).await.expect("starts on the copy");
    let listener = tavolo::listen("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { restored.serve(listener).await.unwrap() });
    let view: serde_json::Value = reqwest::get(format!("http://{addr}/api/v1/workshops/copia"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["seats_left"], 1000 - enrolled, "{view}");
    server.abort();

    // A copy never overwrites another; a missing database is named.
    let out = tavolo(&app.db.url, &["backup", &dest_str]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(stderr(&out).contains("esiste già"), "{}", stderr(&out));
    let missing = format!("sqlite://{}/manca.db", dir.path().display());
    let other = dir.path().join("altra.db").display().to_string();
    let out = tavolo(&missing, &["backup", &other]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        stderr(&out).contains("database non trovato"),
        "{}",
        stderr(&out)
    );
    assert!(!Path::new(&other).exists());
}
