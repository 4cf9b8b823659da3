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
        Self::start_with(port, &[])
    }

    /// A sink that requires TLS (`starttls` or `tls`) and a login.
    fn start_tls(port: u16, mode: &str, certs: &TestCerts) -> Option<SmtpSink> {
        let (cert, key) = (certs.path("server.pem"), certs.path("server.key"));
        Self::start_with(port, &[mode, &cert, &key, "tavolo", "segreta"])
    }

    /// A sink that takes `seconds` to accept each message.
    fn start_slow(port: u16, seconds: f64) -> Option<SmtpSink> {
        Self::start_env(port, &[], &[("SMTP_SINK_DELAY", &seconds.to_string())])
    }

    fn start_with(port: u16, args: &[&str]) -> Option<SmtpSink> {
        Self::start_env(port, args, &[])
    }

    fn start_env(port: u16, args: &[&str], env: &[(&str, &str)]) -> Option<SmtpSink> {
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
            .args(args)
            .envs(env.iter().copied())
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
    // With a relay, the page says the message was written.
    let url = a["manage_url"].as_str().unwrap();
    let page = app
        .get(&format!(
            "{}?nuova=1",
            &url[url.find("/iscrizione/").unwrap()..]
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Ti abbiamo scritto"), "{page}");
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

/// A certificate authority and a server certificate for 127.0.0.1 signed by it, made with the
/// `openssl` command (on every machine with Python's ssl module).
struct TestCerts {
    dir: tempfile::TempDir,
}

impl TestCerts {
    fn make() -> TestCerts {
        let dir = tempfile::tempdir().unwrap();
        let openssl = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(dir.path())
                .output()
                .expect("openssl");
            assert!(out.status.success(), "openssl {args:?}: {out:?}");
        };
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        openssl(
            &[
                &["req", "-x509"][..],
                &ec,
                &["-keyout", "ca.key", "-out", "ca.pem"],
            ]
            .concat()
            .into_iter()
            .chain(["-days", "2", "-subj", "/CN=Tavolo test CA"])
            .collect::<Vec<_>>(),
        );
        openssl(
            &[
                &["req"][..],
                &ec,
                &["-keyout", "server.key", "-out", "server.csr"],
            ]
            .concat()
            .into_iter()
            .chain(["-subj", "/CN=127.0.0.1"])
            .collect::<Vec<_>>(),
        );
        std::fs::write(
            dir.path().join("server.ext"),
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "server.ext",
        ]);
        TestCerts { dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }
}

/// A Tavolo whose relay is `url`, trusting the test CA when `trust` is set.
async fn app_with_relay(url: String, certs: &TestCerts, trust: bool) -> TestApp {
    let ca = certs.dir.path().join("ca.pem");
    TestApp::spawn_configured(
        |c| {
            c.smtp_url = Some(url);
            c.smtp_ca_file = trust.then_some(ca);
        },
        false,
    )
    .await
}

fn header<'a>(message: &'a str, name: &str) -> &'a str {
    message
        .lines()
        .find_map(|l| l.strip_prefix(name))
        .unwrap_or_else(|| panic!("no {name} in {message}"))
}

#[tokio::test]
async fn mail_goes_over_starttls_with_a_login() {
    let port = free_port();
    let certs = TestCerts::make();
    let Some(sink) = SmtpSink::start_tls(port, "starttls", &certs) else {
        return;
    };
    let app = app_with_relay(
        format!("smtp+starttls://tavolo:segreta@127.0.0.1:{port}"),
        &certs,
        true,
    )
    .await;
    assert_eq!(app.enroll_n("prova", 0).await.0, 201);
    eventually(15, "the confirmation over STARTTLS", || async {
        sink.messages().len() == 1
    })
    .await;
    let m = &sink.messages()[0];
    assert_eq!(header(m, "X-Tls: "), "yes");
    assert_eq!(header(m, "X-Auth: "), "tavolo");
    assert!(m.contains("Subject: Iscrizione confermata"), "{m}");
}

#[tokio::test]
async fn mail_goes_over_implicit_tls_with_a_login() {
    let port = free_port();
    let certs = TestCerts::make();
    let Some(sink) = SmtpSink::start_tls(port, "tls", &certs) else {
        return;
    };
    let app = app_with_relay(
        format!("smtps://tavolo:segreta@127.0.0.1:{port}"),
        &certs,
        true,
    )
    .await;
    assert_eq!(app.enroll_n("prova", 0).await.0, 201);
    eventually(15, "the confirmation over TLS", || async {
        sink.messages().len() == 1
    })
    .await;
    let m = &sink.messages()[0];
    assert_eq!(header(m, "X-Tls: "), "yes");
    assert_eq!(header(m, "X-Auth: "), "tavolo");
    eventually(10, "the delivery recorded", || async {
        app.count("SELECT COUNT(*) FROM outbox WHERE status = 'sent'")
            .await
            == 1
    })
    .await;
}

/// A relay whose certificate is not trusted, or that refuses the login, gets no mail: the
/// message stays in the outbox with the reason, to be sent once the configuration is right.
#[tokio::test]
async fn an_untrusted_relay_or_a_wrong_password_gets_no_mail() {
    let certs = TestCerts::make();
    for (url_of, trust, reason) in [
        (
            (|p: u16| format!("smtps://tavolo:segreta@127.0.0.1:{p}")) as fn(u16) -> String,
            false,
            "certific",
        ),
        (
            |p: u16| format!("smtps://tavolo:sbagliata@127.0.0.1:{p}"),
            true,
            "535",
        ),
    ] {
        let port = free_port();
        let Some(sink) = SmtpSink::start_tls(port, "tls", &certs) else {
            return;
        };
        let app = app_with_relay(url_of(port), &certs, trust).await;
        assert_eq!(app.enroll_n("prova", 0).await.0, 201);
        eventually(15, "a failed attempt recorded", || async {
            app.count("SELECT COUNT(*) FROM outbox WHERE attempts > 0 AND status = 'pending'")
                .await
                == 1
        })
        .await;
        let (error,): (String,) = sqlx::query_as("SELECT last_error FROM outbox")
            .fetch_one(&app.sql)
            .await
            .unwrap();
        assert!(error.to_lowercase().contains(reason), "{error}");
        assert!(sink.messages().is_empty());
    }
}

/// With a relay, a new staff member gets their password link by e-mail and the organiser's page
/// does not show it (it is theirs); the link in the mail works.
#[tokio::test]
async fn a_new_staff_member_is_invited_by_email() {
    let port = free_port();
    let Some(sink) = SmtpSink::start(port) else {
        return;
    };
    let app = TestApp::spawn_configured(
        |c| c.smtp_url = Some(format!("smtp://127.0.0.1:{port}")),
        false,
    )
    .await;
    let password = "una password lunga abbastanza";
    tavolo::store::accounts::create(
        &app.state.store,
        "org@example.it",
        "Olga Organizzatrice",
        "organiser",
        Some(&tavolo::services::accounts::hash_password(password)),
    )
    .await
    .unwrap();
    let mut org = common::Browser::new(&app);
    let (status, _, _) = org
        .post(
            "/accedi",
            &[("email", "org@example.it"), ("password", password)],
        )
        .await;
    assert_eq!(status, 303);
    let (status, page, _) = org
        .post(
            "/admin/account",
            &[
                ("name", "Franco Conduttore"),
                ("email", "franco@example.it"),
                ("role", "facilitator"),
                ("workshop", "prova"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        page.contains("abbiamo inviato a franco@example.it"),
        "{page}"
    );
    assert!(!page.contains("configura"), "the link is not shown: {page}");
    eventually(15, "the invitation", || async {
        sink.messages().len() == 1
    })
    .await;
    let m = &sink.messages()[0];
    assert_eq!(header(m, "X-Rcpt-To: "), "franco@example.it");
    let at = m.find("/configura/").expect("the link in the mail");
    let link: String = m[at..].chars().take_while(|c| !c.is_whitespace()).collect();
    let (status, page, _) = common::Browser::new(&app).get(&link).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("franco@example.it"));
}

/// Two instances deliver one outbox through a slow relay: every message arrives once.
#[tokio::test]
async fn two_instances_and_a_slow_relay_send_each_message_once() {
    let port = free_port();
    let Some(sink) = SmtpSink::start_slow(port, 0.2) else {
        return;
    };
    let a = TestApp::spawn_with(
        vec![WorkshopSpec::open("lento", 100)],
        Some(format!("smtp://127.0.0.1:{port}")),
    )
    .await;
    let b = a.second_instance().await;
    for n in 0..12 {
        let app = if n % 2 == 0 { &a } else { &b };
        assert_eq!(app.enroll_n("lento", n).await.0, 201);
    }
    eventually(30, "twelve deliveries recorded", || async {
        a.count("SELECT COUNT(*) FROM outbox WHERE status = 'sent'")
            .await
            == 12
    })
    .await;
    let mut to: Vec<String> = sink
        .messages()
        .iter()
        .map(|m| header(m, "X-Rcpt-To: ").to_string())
        .collect();
    to.sort();
    let before = to.len();
    to.dedup();
    assert_eq!((before, to.len()), (12, 12), "each message exactly once");
}

/// Marking a message proves the claim is still this instance's: after its lease ran out and
/// another instance claimed the message, the first can neither mark it sent nor failed.
#[tokio::test]
async fn a_lost_lease_cannot_mark_the_message() {
    use tavolo::store::outbox;
    let app = TestApp::spawn(WorkshopSpec::open("lease", 5)).await;
    app.enroll_n("lease", 0).await;
    let store = &app.state.store;
    let id = outbox::due(store, 10).await.unwrap()[0];
    let first = outbox::claim(store, id, 1).await.unwrap().expect("claimed");
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let second = outbox::claim(store, id, 60_000)
        .await
        .unwrap()
        .expect("reclaimed after the lease");
    assert!(
        !outbox::mark_sent(store, id, first.lease, "x")
            .await
            .unwrap()
    );
    assert!(
        !outbox::mark_failed(store, id, first.lease, "errore", 0)
            .await
            .unwrap()
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE status = 'sent'")
            .await,
        0
    );
    assert!(
        outbox::mark_sent(store, id, second.lease, "inviato")
            .await
            .unwrap()
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE status = 'sent'")
            .await,
        1
    );
    // A claim of a message someone holds gets nothing.
    assert!(outbox::claim(store, id, 60_000).await.unwrap().is_none());
}
