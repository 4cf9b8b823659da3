//! Mail delivery through a real SMTP server (Python aiosmtpd on loopback).

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use common::{TestApp, WorkshopSpec, eventually};

/// A running aiosmtpd sink writing messages into a directory.
struct SmtpSink {
    child: Child,
    dir: tempfile::TempDir,
}

impl SmtpSink {
    /// Starts the sink, or returns None when aiosmtpd is not installed (outside CI).
    fn start(port: u16) -> Option<SmtpSink> {
        let available = Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !available {
            assert!(
                std::env::var("CI").is_err(),
                "aiosmtpd is required in CI (.ci/run installs it)"
            );
            common::skipped("python3 -m pip install aiosmtpd to run the real-SMTP tests");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp_sink.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(port.to_string())
            .arg(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start aiosmtpd");
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready");
        Some(SmtpSink { child, dir })
    }

    fn messages(&self) -> Vec<String> {
        let mut files: Vec<_> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn mail_is_delivered_once_the_smtp_server_comes_back() {
    let port = free_port();
    // Nothing listens on `port` yet: the mail server is down.
    let app = TestApp::spawn_with(
        vec![WorkshopSpec::open("posta", 1)],
        Some(format!("smtp://127.0.0.1:{port}")),
    )
    .await;
    for n in 0..3 {
        assert_eq!(app.enroll_n("posta", n).await.0, 201);
    }
    eventually(10, "a failed delivery attempt", || async {
        app.count("SELECT COUNT(*) FROM outbox WHERE attempts > 0 AND status = 'pending'")
            .await
            == 3
    })
    .await;
    let Some(sink) = SmtpSink::start(port) else {
        return;
    };
    eventually(30, "delivery after the server came back", || async {
        app.count("SELECT COUNT(*) FROM outbox WHERE status = 'sent'")
            .await
            == 3
    })
    .await;
    let messages = sink.messages();
    assert_eq!(messages.len(), 3, "each message delivered exactly once");
    let to: Vec<String> = messages
        .iter()
        .map(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("X-Rcpt-To: "))
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        to,
        [
            "persona0@comune.example.it",
            "persona1@comune.example.it",
            "persona2@comune.example.it"
        ]
    );
    assert!(
        messages[0].contains("Subject: Iscrizione confermata"),
        "{}",
        messages[0]
    );
    assert!(
        messages[1].contains("lista d'attesa") || messages[1].contains("=?utf-8?"),
        "{}",
        messages[1]
    );
    // The private link reached the person; the stored copy no longer holds it.
    assert!(messages[0].contains("/iscrizione/"));
    let (body,): (String,) = sqlx::query_as("SELECT body FROM outbox ORDER BY id LIMIT 1")
        .fetch_one(&app.sql)
        .await
        .unwrap();
    assert!(
        body.contains("[link personale rimosso dopo l'invio]"),
        "{body}"
    );
}

#[tokio::test]
async fn notifications_are_sent_promptly_when_the_server_is_up() {
    let port = free_port();
    let Some(sink) = SmtpSink::start(port) else {
        return;
    };
    let app = TestApp::spawn_with(
        vec![WorkshopSpec::open("subito", 1)],
        Some(format!("smtp://127.0.0.1:{port}")),
    )
    .await;
    let (_, a) = app.enroll_n("subito", 1).await;
    app.enroll_n("subito", 2).await;
    app.cancel(a["manage_url"].as_str().unwrap()).await;
    eventually(10, "four mails", || async { sink.messages().len() == 4 }).await;
    let subjects: Vec<String> = sink
        .messages()
        .iter()
        .map(|m| {
            m.lines()
                .find(|l| l.starts_with("Subject:"))
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(
        subjects[3].contains("=?utf-8?") || subjects[3].contains("posto"),
        "{subjects:?}"
    );
    // The server records the delivery right after the mail server accepted it.
    eventually(10, "four deliveries recorded", || async {
        app.count("SELECT COUNT(*) FROM outbox WHERE status = 'sent'")
            .await
            == 4
    })
    .await;
}
