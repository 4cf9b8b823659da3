//! `tavolo admin` from the terminal: the account rules of the organisers' page, Italian
//! messages on standard error, exit code 2 for a request that cannot be carried out.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use common::{TestDb, WorkshopSpec};

/// Runs `tavolo` with `args` on the test database, feeding `stdin`.
fn tavolo(db: &TestDb, workshops: &std::path::Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tavolo"))
        .env("DATABASE_URL", &db.url)
        .env("TAVOLO_WORKSHOPS", workshops)
        .env("RUST_LOG", "warn")
        .env_remove("TAVOLO_SMTP_URL")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn refused(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    String::from_utf8(out.stderr.clone()).unwrap()
}

#[tokio::test]
async fn admin_commands_follow_the_account_rules_and_answer_in_italian() {
    let dir = tempfile::tempdir().unwrap();
    let workshops = dir.path().join("workshops");
    std::fs::create_dir_all(&workshops).unwrap();
    std::fs::write(
        workshops.join("terminale.toml"),
        WorkshopSpec::open("terminale", 5).toml(),
    )
    .unwrap();
    let db = TestDb::new(dir.path()).await;
    let create = |extra: &[&str], stdin: &str| {
        let mut args = vec!["admin", "create", "--name", "Franco Conduttore"];
        args.extend_from_slice(extra);
        tavolo(&db, &workshops, &args, stdin)
    };

    let out = create(&["--email", "f@example.it", "--role", "capo"], "");
    assert_eq!(
        refused(&out),
        "errore: ruolo «capo» non valido: usare organiser oppure facilitator\n"
    );
    let out = create(&["--email", "f@", "--role", "facilitator"], "");
    assert!(refused(&out).starts_with("errore: Indirizzo e-mail non valido"));
    let out = create(
        &[
            "--email",
            "f@example.it",
            "--role",
            "facilitator",
            "--workshop",
            "nessuno",
        ],
        "",
    );
    assert_eq!(
        refused(&out),
        "errore: nessun laboratorio con slug «nessuno»\n"
    );
    let out = create(
        &[
            "--email",
            "f@example.it",
            "--role",
            "facilitator",
            "--password-stdin",
        ],
        "corta\n",
    );
    assert_eq!(
        refused(&out),
        "errore: La password deve avere almeno 12 caratteri.\n"
    );

    let out = create(
        &[
            "--email",
            " F@Example.it ",
            "--role",
            "facilitator",
            "--workshop",
            "terminale",
        ],
        "",
    );
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.starts_with("Creato l'account f@example.it (Conduttore).\nLink per scegliere"),
        "{stdout}"
    );
    assert!(stdout.contains("/configura/"));
    let out = create(&["--email", "f@example.it", "--role", "organiser"], "");
    assert_eq!(
        refused(&out),
        "errore: esiste già un account con l'e-mail f@example.it\n"
    );

    let out = tavolo(
        &db,
        &workshops,
        &["admin", "api-key", "--email", "nessuno@example.it"],
        "",
    );
    assert_eq!(
        refused(&out),
        "errore: nessun account con l'e-mail nessuno@example.it\n"
    );
    let out = tavolo(
        &db,
        &workshops,
        &["admin", "api-key", "--email", "F@example.it"],
        "",
    );
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8(out.stdout).unwrap().starts_with("tvl_"));
}

/// A log written to a file (or journald) is plain text: colours only on a terminal.
#[test]
fn logs_sent_to_a_file_carry_no_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tavolo"))
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/t.db", dir.path().display()),
        )
        .env("TAVOLO_BIND", "127.0.0.1:0")
        .env(
            "TAVOLO_WORKSHOPS",
            concat!(env!("CARGO_MANIFEST_DIR"), "/workshops"),
        )
        .env("RUST_LOG", "info")
        .env_remove("TAVOLO_SMTP_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    // The first log line (INFO … not set: notifications stay in the outbox …).
    std::io::BufRead::read_line(&mut stderr, &mut line).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(line.contains("INFO"), "{line}");
    assert!(!line.contains('\u{1b}'), "{line:?}");
}

#[tokio::test]
async fn admin_commands_list_and_revoke_keys_and_disable_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let workshops = dir.path().join("workshops");
    std::fs::create_dir_all(&workshops).unwrap();
    std::fs::write(
        workshops.join("terminale.toml"),
        WorkshopSpec::open("terminale", 5).toml(),
    )
    .unwrap();
    let db = TestDb::new(dir.path()).await;
    let run = |args: &[&str]| tavolo(&db, &workshops, args, "");
    let ok = |out: Output| {
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    ok(run(&[
        "admin",
        "create",
        "--name",
        "Franco Conduttore",
        "--email",
        "f@example.it",
        "--role",
        "facilitator",
    ]));
    let key = ok(run(&[
        "admin",
        "api-key",
        "--email",
        "f@example.it",
        "--label",
        "script notturno",
    ]));
    assert!(key.starts_with("tvl_"));
    let list = ok(run(&["admin", "api-keys"]));
    assert!(
        list.contains("f@example.it\tscript notturno\tcreata ") && list.contains("\tattiva"),
        "{list}"
    );
    assert!(!list.contains(key.trim()), "the key itself is never shown");
    let id = list.split('\t').next().unwrap().to_string();

    assert_eq!(
        ok(run(&["admin", "revoke-key", "--id", &id])),
        format!("Chiave API #{id} revocata.\n")
    );
    assert!(ok(run(&["admin", "api-keys", "--email", "F@example.it"])).contains("revocata "));
    assert_eq!(
        refused(&run(&["admin", "revoke-key", "--id", &id])),
        format!("errore: chiave #{id}: Chiave API non trovata o già revocata.\n")
    );

    assert_eq!(
        ok(run(&["admin", "disable", "--email", "f@example.it"])),
        "Account f@example.it disattivato.\n"
    );
    assert_eq!(
        refused(&run(&["admin", "disable", "--email", "x@example.it"])),
        "errore: nessun account con l'e-mail x@example.it\n"
    );
    let url = db.url.clone();
    sqlx::any::install_default_drivers();
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .unwrap();
    let disabled = |pool: sqlx::AnyPool| async move {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM accounts WHERE email = 'f@example.it' AND disabled_at IS NOT NULL",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        n == 1
    };
    assert!(disabled(pool.clone()).await);
    assert_eq!(
        ok(run(&["admin", "enable", "--email", "f@example.it"])),
        "Account f@example.it riattivato.\n"
    );
    assert!(!disabled(pool.clone()).await);
    let (actions,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM audit_log WHERE actor = 'riga di comando (tavolo admin)'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(actions, 3, "revoked, disabled, enabled");
    pool.close().await;
}
