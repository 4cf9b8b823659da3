//! `kill -9` in the middle of a burst of applications, then a restart: every application that
//! was answered "confirmed" is there, and confirmed never exceeds the seats.

mod common;

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{TestDb, WorkshopSpec, application, client};
use serde_json::Value;

struct Server {
    child: Child,
    base: String,
}

fn tavolo(db: &str, workshops: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tavolo"));
    c.env("DATABASE_URL", db)
        .env("TAVOLO_WORKSHOPS", workshops)
        .env("RUST_LOG", "warn")
        .env_remove("TAVOLO_SMTP_URL");
    c
}

async fn start(db: &str, workshops: &std::path::Path) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = tavolo(db, workshops)
        .env("TAVOLO_BIND", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let c = client();
    for _ in 0..200 {
        if let Ok(r) = c.get(format!("{base}/readyz")).send().await {
            if r.status() == 200 {
                return Server { child, base };
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("server did not start");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_burst_loses_no_confirmed_enrollment() {
    let dir = tempfile::tempdir().unwrap();
    let workshops = dir.path().join("workshops");
    std::fs::create_dir_all(&workshops).unwrap();
    std::fs::write(
        workshops.join("crash.toml"),
        WorkshopSpec::open("crash", 50).toml(),
    )
    .unwrap();
    let db = TestDb::new(dir.path()).await;

    let mut create = tavolo(&db.url, &workshops)
        .args([
            "admin",
            "create",
            "--email",
            "org@example.it",
            "--name",
            "Org",
            "--role",
            "organiser",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    create
        .stdin
        .take()
        .unwrap()
        .write_all(b"una password lunga abbastanza\n")
        .unwrap();
    assert!(create.wait().unwrap().success());
    let key = String::from_utf8(
        tavolo(&db.url, &workshops)
            .args(["admin", "api-key", "--email", "org@example.it"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .to_string();

    let mut server = start(&db.url, &workshops).await;
    let answered = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for n in 0..400 {
        let c = client();
        let url = format!("{}/api/v1/workshops/crash/enrollments", server.base);
        let answered = answered.clone();
        tasks.push(tokio::spawn(async move {
            let res = c.post(url).json(&application(n)).send().await.ok()?;
            let status = res.status();
            let body: Value = res.json().await.ok()?;
            answered.fetch_add(1, Ordering::SeqCst);
            (status == 201).then(|| {
                (
                    format!("persona{n}@comune.example.it"),
                    body["status"].as_str().unwrap().to_string(),
                )
            })
        }));
    }
    // Kill the server as soon as part of the burst has been answered.
    while answered.load(Ordering::SeqCst) < 60 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    let mut answers = Vec::new();
    for t in tasks {
        if let Some(a) = t.await.unwrap() {
            answers.push(a);
        }
    }
    assert!(
        answers.len() >= 60 && answers.len() < 400,
        "the kill happened mid-burst ({} answers)",
        answers.len()
    );

    let mut server = start(&db.url, &workshops).await;
    let res = client()
        .get(format!(
            "{}/api/v1/workshops/crash/enrollments",
            server.base
        ))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    let rows: Value = res.json().await.unwrap();
    let rows = rows["enrollments"].as_array().unwrap();
    let confirmed = rows.iter().filter(|r| r["status"] == "confirmed").count();
    assert!(confirmed <= 50, "{confirmed} confirmed for 50 seats");
    for (email, status) in &answers {
        let row = rows.iter().find(|r| r["email"] == email.as_str());
        let row = row.unwrap_or_else(|| panic!("{email} was answered {status} but is missing"));
        assert_eq!(row["status"], status.as_str(), "{email}");
    }
    server.child.kill().unwrap();
    server.child.wait().unwrap();
}
