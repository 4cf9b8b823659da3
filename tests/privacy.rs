//! The privacy lifecycle: `tavolo privacy export|erase` on a filled workshop (enrollments, board
//! contributions over real websockets, mail in the outbox, an attendance mark by hand), the
//! organisers' page with its confirmation, CSRF and audit entry, a live room reloaded after an
//! erasure, and the retention sweep (a finished workshop erased, a running one kept, a
//! cancelled enrollment erased after its period). After every erasure the documents read the
//! same, with the name replaced.

mod common;
#[path = "common/ws.rs"]
mod ws;

use std::io::{Cursor, Read};
use std::process::{Command, Output};

use common::{Browser, TestApp, WorkshopSpec};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tavolo::domain::privacy::{ERASED_GUEST, ERASED_ON_BEHALF, ERASED_PARTICIPANT, Retention};
use tavolo::services::privacy;
use ws::{Auth, Client};

const SLUG: &str = "riservato";
const MARIA: &str = "Maria Rossi";
const MARIA_EMAIL: &str = "maria.rossi@comune.example.it";
const LUCA: &str = "Luca Bianchi";
const CARLA: &str = "Carla Conti";
const ANNA: &str = "Anna Neri";

struct Filled {
    app: TestApp,
    first: i64,
    second: i64,
    facilitator: String,
    maria_id: i64,
    /// Maria's facilitator connection to the first meeting, still open.
    watcher: Client,
}

async fn enroll(app: &TestApp, n: usize, name: &str, email: &str) -> Value {
    let mut a = common::application(n);
    a["name"] = json!(name);
    a["email"] = json!(email);
    let (status, v) = app.enroll(SLUG, a).await;
    assert_eq!(status, 201, "{v}");
    v
}

/// A workshop with two people, a guest, a card written on someone's behalf, comments, votes, a
/// carry-over, an attendance mark by hand and the confirmation mails in the outbox.
async fn filled() -> Filled {
    let app = TestApp::spawn(WorkshopSpec::open(SLUG, 10)).await;
    let maria = enroll(&app, 1, MARIA, MARIA_EMAIL).await;
    let luca = enroll(&app, 2, LUCA, "luca.bianchi@comune.example.it").await;
    let maria_id = maria["id"].as_i64().unwrap();
    let facilitator = app.account_key("facilitator", &[SLUG]).await;
    let entry = app.state.catalogue.by_slug(SLUG).unwrap().clone();
    let (first, second) = (entry.meeting_id("M1-1"), entry.meeting_id("M1-2"));
    let m = app.state.catalogue.meeting(first).unwrap();
    tavolo::services::attendance::mark_by_hand(
        &app.state.store,
        &m,
        maria_id,
        true,
        "Org <org@example.it>",
    )
    .await
    .unwrap();
    let base = app.base.clone();
    let mut f = Client::connect(&base, first, &facilitator, "f").await;
    for op in [
        json!({"kind": "set_phase", "phase": "raccolta"}),
        json!({"kind": "set_guest_code", "enabled": true}),
    ] {
        f.ok(op).await;
    }
    let mut mc = Client::participant(&base, first, &maria, "maria").await;
    let mut lc = Client::participant(&base, first, &luca, "luca").await;
    let need = |id: &str, text: &str| json!({"kind": "add_card", "card_id": id, "card_type": "bisogno", "text": text});
    mc.ok(need("c1", "Anziani soli nei Comuni montani")).await;
    mc.ok(json!({"kind": "comment", "card_id": "c1", "comment_id": "k1", "text": "Soprattutto d'inverno"}))
        .await;
    lc.ok(need("c2", "Trasporto sociale")).await;
    lc.ok(
        json!({"kind": "comment", "card_id": "c1", "comment_id": "k2", "text": "Anche a Dalmine"}),
    )
    .await;
    f.ok(
        json!({"kind": "add_card", "card_id": "c3", "card_type": "bisogno",
        "text": "Dati condivisi tra ATS e Comuni",
        "on_behalf_of": {"name": CARLA, "organisation": "ATS Bergamo"}}),
    )
    .await;
    // A guest of the Terzo settore.
    let code = app
        .state
        .rooms
        .get(first)
        .await
        .unwrap()
        .state()
        .await
        .unwrap()
        .guest_code
        .unwrap();
    let mut b = Browser::new(&app);
    let (status, _, _) = b
        .post(
            &format!("/incontri/{first}/ospite"),
            &[
                ("code", code.as_str()),
                ("name", ANNA),
                ("organisation", "Cooperativa Sole"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let cookie: String = b
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let mut g = Client::connect_from(
        &base,
        first,
        Auth::Cookie {
            cookie: &cookie,
            origin: &base,
        },
        "anna",
        0,
    )
    .await;
    g.ok(need("c4", "Una casa per le associazioni")).await;
    f.ok(json!({"kind": "set_phase", "phase": "voto"})).await;
    mc.ok(json!({"kind": "vote", "card_id": "c2"})).await;
    lc.ok(json!({"kind": "vote", "card_id": "c1"})).await;
    g.ok(json!({"kind": "vote", "card_id": "c1"})).await;
    // The second meeting: Maria's card carried over, voted again.
    let mut f2 = Client::connect(&base, second, &facilitator, "f2").await;
    f2.ok(json!({"kind": "set_phase", "phase": "raccolta"}))
        .await;
    f2.ok(json!({"kind": "carry_over", "from_meeting": first, "cards": ["c1"]}))
        .await;
    f2.ok(json!({"kind": "set_phase", "phase": "voto"})).await;
    let mut l2 = Client::participant(&base, second, &luca, "luca2").await;
    l2.ok(json!({"kind": "vote", "card_id": format!("m{first}-c1")}))
        .await;
    Filled {
        app,
        first,
        second,
        facilitator,
        maria_id,
        watcher: f,
    }
}

/// Every document of the workshop and of each meeting, as text: JSON, CSV, and the Word
/// documents' paragraphs.
async fn documents(s: &Filled) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let scopes = [
        format!("/api/v1/meetings/{}/export", s.first),
        format!("/api/v1/meetings/{}/export", s.second),
        format!("/api/v1/workshops/{SLUG}/export"),
    ];
    for scope in &scopes {
        let mut paths = vec![format!("{scope}.json"), format!("{scope}.csv")];
        for doc in ["verbale", "coprogrammazione", "accordo"] {
            paths.push(format!("{scope}.docx?type={doc}"));
        }
        for path in paths {
            let res = s
                .app
                .client
                .get(s.app.url(&path))
                .bearer_auth(&s.facilitator)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200, "{path}");
            let bytes = res.bytes().await.unwrap();
            let text = if path.contains(".docx") {
                docx_text(&bytes)
            } else {
                String::from_utf8(bytes.to_vec()).unwrap()
            };
            out.push((path, without_dates(&text)));
        }
    }
    out
}

/// The moment of the export is printed in some documents: not what this test compares.
/// The text without the moment of its generation (the JSON stamps and the documents' «Bozza
/// generata da Tavolo il … alle 16:23»: two exports a minute apart differ there).
fn without_dates(text: &str) -> String {
    text.lines()
        .filter(|l| {
            !l.contains("generated_at")
                && !l.contains("\"exported_at\"")
                && !l.contains("generata da Tavolo")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn docx_text(bytes: &[u8]) -> String {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut xml = String::new();
    zip.by_name("word/document.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    let mut out = String::new();
    for para in xml.split("</w:p>") {
        for run in para.split("<w:t").skip(1) {
            let text = &run[run.find('>').unwrap() + 1..];
            out.push_str(&text[..text.find("</w:t>").unwrap_or(0)]);
        }
        out.push('\n');
    }
    out.replace("&amp;", "&").replace("&apos;", "'")
}

/// Runs `tavolo` against the app's database and workshop files.
fn tavolo(app: &TestApp, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tavolo"))
        .env("DATABASE_URL", &app.db.url)
        .env("TAVOLO_WORKSHOPS", &app.workshops_dir)
        .env("RUST_LOG", "warn")
        .env_remove("TAVOLO_SMTP_URL")
        .args(args)
        .output()
        .unwrap()
}

fn cli_export(app: &TestApp, email: &str) -> Value {
    let out = tavolo(app, &["privacy", "export", "--email", email]);
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Rows of the database that still hold `needle` anywhere personal data could be.
async fn traces(app: &TestApp, needle: &str) -> i64 {
    let like = |table: &str, cols: &[&str]| {
        format!(
            "SELECT COUNT(*) FROM {table} WHERE {}",
            cols.iter()
                .map(|c| format!("LOWER({c}) LIKE '%{}%'", needle.to_lowercase()))
                .collect::<Vec<_>>()
                .join(" OR ")
        )
    };
    let mut n = 0;
    for (table, cols) in [
        ("enrollments", &["name", "email", "email_norm"][..]),
        ("board_events", &["actor", "payload"][..]),
        ("audit_log", &["subject", "detail"][..]),
        ("outbox", &["recipient", "body"][..]),
        ("guests", &["name"][..]),
    ] {
        let found = app.count(&like(table, cols)).await;
        if found > 0 {
            eprintln!("«{needle}» still in {table}: {found}");
            if table == "board_events" {
                let rows: Vec<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT actor, payload FROM board_events WHERE actor LIKE '%{needle}%' OR payload LIKE '%{needle}%'"
                )))
                .fetch_all(&app.sql)
                .await
                .unwrap();
                eprintln!("{rows:?}");
            }
        }
        n += found;
    }
    n
}

#[tokio::test]
async fn export_and_erase_from_the_command_line_leave_the_record_unchanged() {
    let s = filled().await;
    let before = documents(&s).await;
    assert!(before.iter().any(|(_, t)| t.contains(MARIA)));

    // Access: everything held about Maria.
    let data = cli_export(&s.app, "Maria.Rossi@Comune.Example.it ");
    let e = &data["enrollments"][0];
    assert_eq!(data["enrollments"].as_array().unwrap().len(), 1, "{data}");
    assert_eq!(e["name"], MARIA);
    assert_eq!(e["email"], MARIA_EMAIL);
    assert_eq!(e["ente"], "Comune di Bergamo");
    assert_eq!(e["status"], "confirmed");
    let cards: Vec<&str> = e["board"]["cards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["text"].as_str().unwrap())
        .collect();
    assert_eq!(cards, ["Anziani soli nei Comuni montani"]);
    assert_eq!(e["board"]["comments"][0]["text"], "Soprattutto d'inverno");
    assert_eq!(e["board"]["votes"], 1);
    assert_eq!(e["attendance"][0]["meeting_id"], s.first);
    assert_eq!(e["attendance"][0]["present"], true);
    assert!(
        e["mail"][0]["subject"].as_str().unwrap().len() > 3,
        "the confirmation mail: {e}"
    );
    assert!(e["sessions"].is_i64());
    assert!(
        e["audit"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["subject"].as_str().unwrap().starts_with(MARIA)),
        "the mark by hand: {e}"
    );
    // The request is in the audit log, without the address.
    assert_eq!(
        s.app
            .count("SELECT COUNT(*) FROM audit_log WHERE action = 'privacy.export'")
            .await,
        1
    );

    // A wrong address: a clear Italian error, exit code 2, nothing done.
    let out = tavolo(&s.app, &["privacy", "erase", "--email", "non-un-indirizzo"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("Indirizzo e-mail non valido"));

    // Erasure.
    let out = tavolo(&s.app, &["privacy", "erase", "--email", MARIA_EMAIL]);
    assert!(out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("1 iscrizione"),
        "{out:?}"
    );
    assert_eq!(traces(&s.app, MARIA).await, 0, "no trace of her name");
    assert_eq!(
        traces(&s.app, "maria.rossi").await,
        0,
        "no trace of her address"
    );
    assert_eq!(
        s.app
            .count(&format!(
                "SELECT COUNT(*) FROM sessions WHERE enrollment_id = {}",
                s.maria_id
            ))
            .await,
        0
    );
    assert_eq!(
        s.app
            .count(&format!(
                "SELECT COUNT(*) FROM enrollment_links WHERE enrollment_id = {}",
                s.maria_id
            ))
            .await,
        0
    );
    // Luca, the guest and the person represented are untouched.
    assert!(traces(&s.app, LUCA).await > 0);
    assert!(traces(&s.app, ANNA).await > 0);
    assert!(traces(&s.app, CARLA).await > 0);
    // The register keeps that a person of her ente and role was there.
    assert_eq!(
        s.app
            .count(&format!(
                "SELECT COUNT(*) FROM attendance a JOIN enrollments e ON e.id = a.enrollment_id \
                 WHERE e.id = {} AND e.ente = 'Comune di Bergamo' \
                 AND e.role = 'responsabile-ufficio-di-piano' AND a.present = 1",
                s.maria_id
            ))
            .await,
        1
    );
    // Asked again, nothing is held.
    let data = cli_export(&s.app, MARIA_EMAIL);
    assert_eq!(data["enrollments"], json!([]), "{data}");
    assert_eq!(data["account"], Value::Null);

    // Every document reads as before, with the name replaced: same cards, votes, comments.
    let after = documents(&s).await;
    for ((path, b), (_, a)) in before.iter().zip(&after) {
        assert_eq!(&b.replace(MARIA, ERASED_PARTICIPANT), a, "{path}");
    }
    assert!(after.iter().any(|(_, t)| t.contains(ERASED_PARTICIPANT)));
    // Erasing again finds nothing.
    let out = tavolo(&s.app, &["privacy", "erase", "--email", MARIA_EMAIL]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Nessuna iscrizione"));
}

/// Logs an organiser (or a facilitator) in through the login form.
async fn staff(app: &TestApp, role: &str, email: &str) -> Browser {
    const PASSWORD: &str = "una password di prova lunga";
    tavolo::store::accounts::create(
        &app.state.store,
        email,
        "Olga Organizza",
        role,
        Some(&tavolo::services::accounts::hash_password(PASSWORD)),
    )
    .await
    .unwrap();
    let mut b = Browser::new(app);
    let (status, _, _) = b
        .post("/accedi", &[("email", email), ("password", PASSWORD)])
        .await;
    assert_eq!(status, 303);
    b
}

#[tokio::test]
async fn the_organisers_page_exports_and_erases_with_confirmation_and_reloads_live_boards() {
    let mut s = filled().await;
    let before = documents(&s).await;
    let mut org = staff(&s.app, "organiser", "olga@example.it").await;
    let mut facilitator = staff(&s.app, "facilitator", "fabio@example.it").await;
    assert_eq!(facilitator.get("/admin/privacy").await.0, 403);
    assert_eq!(
        facilitator
            .post("/admin/privacy/esporta", &[("email", MARIA_EMAIL)])
            .await
            .0,
        403
    );
    let (status, html, _) = org.get("/admin/privacy").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("3650 giorni dopo il suo ultimo incontro"),
        "{html}"
    );

    // Without a valid CSRF token nothing happens.
    let res = s
        .app
        .client
        .post(s.app.url("/admin/privacy/cancella"))
        .header(
            "cookie",
            org.cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; "),
        )
        .header("origin", s.app.base.clone())
        .form(&[
            ("csrf", "falso"),
            ("email", MARIA_EMAIL),
            ("conferma", "si"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(traces(&s.app, MARIA).await > 0);

    // A wrong address: the form again, with an Italian message.
    let (status, html, _) = org
        .post("/admin/privacy/esporta", &[("email", "maria@")])
        .await;
    assert_eq!(status, 400);
    assert!(html.contains("Indirizzo e-mail non valido"), "{html}");

    // The JSON download.
    let (status, body, headers) = org
        .post("/admin/privacy/esporta", &[("email", MARIA_EMAIL)])
        .await;
    assert_eq!(status, 200);
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("dati-personali.json")
    );
    let data: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(data["enrollments"][0]["name"], MARIA);

    // Erasing asks first, showing what will go; nothing is erased yet.
    let (status, html, _) = org
        .post("/admin/privacy/cancella", &[("email", MARIA_EMAIL)])
        .await;
    assert_eq!(status, 200);
    assert!(html.contains("Confermi la cancellazione"), "{html}");
    assert!(html.contains(MARIA));
    assert!(traces(&s.app, MARIA).await > 0);

    // Confirmed.
    let (status, html, _) = org
        .post(
            "/admin/privacy/cancella",
            &[("email", MARIA_EMAIL), ("conferma", "si")],
        )
        .await;
    assert_eq!(status, 200);
    assert!(html.contains("cancellati: 1 iscrizione"), "{html}");
    assert_eq!(traces(&s.app, MARIA).await, 0);
    // Both requests in the audit log, in the workshop's log too, by the organiser.
    let (status, html, _) = org.get("/admin/privacy").await;
    assert_eq!(status, 200);
    assert!(html.contains("Richiesta di accesso (art. 15)"));
    assert!(html.contains("Cancellazione (art. 17)"));
    assert_eq!(
        s.app
            .count(
                "SELECT COUNT(*) FROM audit_log WHERE action IN ('privacy.export', 'privacy.erase') \
                 AND actor LIKE '%olga@example.it%' AND workshop_id IS NOT NULL"
            )
            .await,
        2
    );
    let (_, html, _) = org
        .get(&format!("/admin/laboratori/{SLUG}/iscrizioni"))
        .await;
    assert!(html.contains("Dati personali cancellati su richiesta"));
    assert!(!html.contains(MARIA));

    // The live room of the first meeting was reloaded: its sockets closed, and a new
    // connection sees the board without her name.
    assert!(
        closes(&mut s.watcher).await,
        "the room's sockets close after an erasure"
    );
    let fresh = Client::connect(&s.app.base, s.first, &s.facilitator, "f-again").await;
    let welcome = fresh.welcome.to_string();
    assert!(!welcome.contains(MARIA), "{welcome}");
    assert!(welcome.contains(ERASED_PARTICIPANT));

    let after = documents(&s).await;
    for ((path, b), (_, a)) in before.iter().zip(&after) {
        assert_eq!(&b.replace(MARIA, ERASED_PARTICIPANT), a, "{path}");
    }
}

/// The cards of a JSON export with their votes and comment counts, by reference: what the
/// record counts.
async fn counts(s: &Filled) -> Vec<(String, i64, usize)> {
    let v: Value = s
        .app
        .client
        .get(s.app.url(&format!("/api/v1/workshops/{SLUG}/export.json")))
        .bearer_auth(&s.facilitator)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["cards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["ref"].as_str().unwrap().to_string(),
                c["votes"].as_i64().unwrap(),
                c["comments"].as_array().map_or(0, Vec::len),
            )
        })
        .collect()
}

fn at(y: i32, m: u32, d: u32) -> i64 {
    chrono::NaiveDate::from_ymd_opt(y, m, d)
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_millis()
}

#[tokio::test]
async fn retention_erases_a_finished_workshop_and_keeps_a_running_one() {
    let s = filled().await;
    let store = &s.app.state.store;
    let catalogue = &s.app.state.catalogue;
    // One confirmation delivered (its subject and date stay), the other still waiting.
    sqlx::query(
        "UPDATE outbox SET status = 'sent', sent_at = 1 WHERE id = (SELECT MIN(id) FROM outbox)",
    )
    .execute(&s.app.sql)
    .await
    .unwrap();
    let before = counts(&s).await;
    let retention = Retention {
        after_workshop_days: 365,
        after_cancellation_days: 30,
    };
    // Running: the last meeting is 19 February 2027; a year later the data are still due.
    for now in [tavolo::store::now_ms(), at(2028, 2, 18)] {
        let swept = privacy::sweep(store, catalogue, retention, now)
            .await
            .unwrap();
        assert!(swept.workshops.is_empty(), "{swept:?}");
        assert!(traces(&s.app, MARIA).await > 0);
    }
    // Two sweeps at once (two instances on one database): the workshop is erased once.
    let (one, two) = tokio::join!(
        privacy::sweep(store, catalogue, retention, at(2028, 2, 21)),
        privacy::sweep(store, catalogue, retention, at(2028, 2, 21)),
    );
    let (one, two) = (one.unwrap(), two.unwrap());
    assert_eq!(
        one.workshops.len() + two.workshops.len(),
        1,
        "{one:?} {two:?}"
    );
    assert_eq!(
        s.app
            .count("SELECT COUNT(*) FROM audit_log WHERE action = 'privacy.retention'")
            .await,
        1
    );
    for name in [MARIA, LUCA, ANNA, CARLA, "@comune.example.it"] {
        assert_eq!(traces(&s.app, name).await, 0, "{name}");
    }
    assert_eq!(
        s.app
            .count(&format!(
                "SELECT COUNT(*) FROM guests WHERE name = '{ERASED_GUEST}' \
                 AND organisation = 'Cooperativa Sole'"
            ))
            .await,
        1
    );
    assert!(
        s.app
            .count(&format!(
                "SELECT COUNT(*) FROM board_events WHERE payload LIKE '%{ERASED_ON_BEHALF}%'"
            ))
            .await
            > 0
    );
    // The delivered mail keeps what was notified and when; the waiting one is gone.
    assert_eq!(
        s.app
            .count("SELECT COUNT(*) FROM outbox WHERE status = 'sent' AND recipient = '' AND body = '' AND subject <> ''")
            .await,
        1
    );
    assert_eq!(s.app.count("SELECT COUNT(*) FROM outbox").await, 1);
    // Staff keep their names; the record keeps its counts.
    assert!(
        s.app
            .count(
                "SELECT COUNT(*) FROM board_events WHERE actor LIKE '%\"kind\":\"facilitator\"%'"
            )
            .await
            > 0
    );
    assert_eq!(counts(&s).await, before);
    // Done once: a second sweep (another instance, the next hour) finds nothing.
    let again = privacy::sweep(store, catalogue, retention, at(2028, 3, 1))
        .await
        .unwrap();
    assert!(
        again.workshops.is_empty() && again.erased.events == 0,
        "{again:?}"
    );
    // Personal data that came in later (a guest joining an old board) go at the next pass.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO guests (meeting_id, name, organisation, created_at) \
         VALUES ({}, 'Ospite Tardivo', 'Cooperativa Luna', 1)",
        s.first
    )))
    .execute(&s.app.sql)
    .await
    .unwrap();
    let late = privacy::sweep(store, catalogue, retention, at(2028, 3, 2))
        .await
        .unwrap();
    assert_eq!(late.workshops.len(), 1, "{late:?}");
    assert_eq!(traces(&s.app, "Ospite Tardivo").await, 0);
}

#[tokio::test]
async fn a_cancelled_enrollment_is_erased_after_its_period() {
    let app = TestApp::spawn(WorkshopSpec::open(SLUG, 10)).await;
    let paolo = enroll(&app, 1, "Paolo Verdi", "paolo.verdi@comune.example.it").await;
    let _keep = enroll(&app, 2, LUCA, "luca.bianchi@comune.example.it").await;
    let (status, _) = app.cancel(paolo["manage_url"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    let store = &app.state.store;
    let retention = Retention {
        after_workshop_days: 365,
        after_cancellation_days: 30,
    };
    let day = 86_400_000;
    let now = tavolo::store::now_ms();
    let swept = privacy::sweep(store, &app.state.catalogue, retention, now + 29 * day)
        .await
        .unwrap();
    assert!(swept.cancelled.is_empty());
    assert!(traces(&app, "Paolo Verdi").await > 0);
    let swept = privacy::sweep(store, &app.state.catalogue, retention, now + 31 * day)
        .await
        .unwrap();
    assert_eq!(swept.cancelled, [paolo["id"].as_i64().unwrap()]);
    assert_eq!(traces(&app, "Paolo Verdi").await, 0);
    assert_eq!(traces(&app, "paolo.verdi").await, 0);
    // Kept for the counts: a cancelled enrollment of that ente and role.
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM enrollments WHERE status = 'cancelled' \
             AND ente = 'Comune di Bergamo' AND erased_at IS NOT NULL"
        )
        .await,
        1
    );
    // The confirmed person and the running workshop are untouched.
    assert!(traces(&app, LUCA).await > 0);
    // The same address may enroll again (its unique key is gone).
    let (status, v) = app
        .enroll(SLUG, {
            let mut a = common::application(3);
            a["email"] = json!("paolo.verdi@comune.example.it");
            a
        })
        .await;
    assert_eq!(status, 201, "{v}");
}

#[tokio::test]
async fn an_erased_person_on_the_waitlist_is_never_promoted() {
    let app = TestApp::spawn(WorkshopSpec::open(SLUG, 1)).await;
    let first = enroll(&app, 1, LUCA, "luca.bianchi@comune.example.it").await;
    let waiting = enroll(&app, 2, "Paolo Verdi", "paolo.verdi@comune.example.it").await;
    assert_eq!(waiting["status"], "waitlisted", "{waiting}");
    let done = privacy::erase(
        &app.state.store,
        None,
        "paolo.verdi@comune.example.it",
        "test",
    )
    .await
    .unwrap();
    assert_eq!(done.enrollments, [waiting["id"].as_i64().unwrap()]);
    // The seat frees up: nobody is promoted, and no mail goes to an empty address.
    let (status, _) = app.cancel(first["manage_url"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM enrollments WHERE status = 'confirmed'")
            .await,
        0
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE recipient = ''")
            .await,
        0
    );
    assert_eq!(traces(&app, "Paolo Verdi").await, 0);
}

/// Waits until the server closes a client's socket.
async fn closes(c: &mut Client) -> bool {
    tokio::time::timeout(std::time::Duration::from_secs(5), async {
        loop {
            match c.ws.next().await {
                None | Some(Err(_)) => return,
                Some(Ok(tokio_tungstenite::tungstenite::Message::Close(_))) => return,
                Some(Ok(_)) => {}
            }
        }
    })
    .await
    .is_ok()
}

#[tokio::test]
async fn another_instance_reloads_its_live_board_after_an_erasure() {
    let s = filled().await;
    if !s.app.db.is_postgres() {
        common::skipped("two instances need PostgreSQL (TAVOLO_TEST_POSTGRES_URL)");
        return;
    }
    let other = s.app.second_instance().await;
    let mut there = Client::connect(&other.base, s.first, &s.facilitator, "there").await;
    assert!(there.welcome.to_string().contains(MARIA));
    privacy::erase(
        &s.app.state.store,
        Some(&s.app.state.rooms),
        MARIA_EMAIL,
        "test",
    )
    .await
    .unwrap();
    assert!(
        closes(&mut there).await,
        "the other instance's room reloads"
    );
    let fresh = Client::connect(&other.base, s.first, &s.facilitator, "there-again").await;
    let welcome = fresh.welcome.to_string();
    assert!(!welcome.contains(MARIA), "{welcome}");
    assert!(welcome.contains(ERASED_PARTICIPANT));
}

#[tokio::test]
async fn the_privacy_notice_states_the_configured_periods() {
    let app = TestApp::spawn_configured(
        |c| {
            c.retention_days = 90;
            c.cancelled_retention_days = 7;
        },
        false,
    )
    .await;
    let html = app.get("/privacy").await.text().await.unwrap();
    assert!(
        html.contains("Fino a 90 giorni dopo l&#x27;ultimo incontro")
            || html.contains("Fino a 90 giorni dopo l'ultimo incontro"),
        "{html}"
    );
    assert!(html.contains("cancellati 7 giorni dopo l"), "{html}");
    assert!(html.contains("Partecipante (dati cancellati)"));
    assert!(html.contains("registro presenze"));
}

#[tokio::test]
async fn an_erased_person_is_signed_out_and_their_open_board_closes() {
    let app = TestApp::spawn(WorkshopSpec::open(SLUG, 10)).await;
    let paolo = enroll(&app, 1, "Paolo Verdi", "paolo.verdi@comune.example.it").await;
    let meeting = app.meeting_id(SLUG, "M1-1");
    let mut browser = Browser::new(&app);
    let manage = paolo["manage_url"].as_str().unwrap().replace(&app.base, "");
    assert_eq!(browser.get(&manage).await.0, 200);
    let cookie: String = browser
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let auth = || Auth::Cookie {
        cookie: &cookie,
        origin: &app.base,
    };
    let mut board = Client::connect_from(&app.base, meeting, auth(), "paolo", 0).await;
    let data = privacy::export(
        &app.state.store,
        &app.state.catalogue,
        "paolo.verdi@comune.example.it",
    )
    .await
    .unwrap();
    assert_eq!(data.enrollments[0].sessions, 1);
    // He wrote nothing: his room has no reason to reload, yet his socket closes.
    let mut org = staff(&app, "organiser", "olga@example.it").await;
    let (status, _, _) = org
        .post(
            "/admin/privacy/cancella",
            &[
                ("email", "paolo.verdi@comune.example.it"),
                ("conferma", "si"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    assert!(closes(&mut board).await, "his open board closes");
    assert!(
        ws::open(&app.base, meeting, auth(), "").await.is_err(),
        "the session is gone"
    );
    assert_eq!(
        browser.get(&manage).await.0,
        404,
        "the private link is gone"
    );
}
