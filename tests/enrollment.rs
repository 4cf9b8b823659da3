//! The enrollment invariants (ARCHITECTURE.md, "Rules and where they live"), over real HTTP, on SQLite or PostgreSQL.

mod common;

use std::collections::HashSet;

use common::{TestApp, WorkshopSpec, application, eventually};
use serde_json::{Value, json};

#[tokio::test]
async fn never_more_confirmed_than_seats_under_concurrency() {
    let app = TestApp::spawn(WorkshopSpec::open("corsa", 20)).await;
    let mut tasks = Vec::new();
    for n in 0..200 {
        let client = app.client.clone();
        let url = app.url("/api/v1/workshops/corsa/enrollments");
        tasks.push(tokio::spawn(async move {
            let res = client.post(url).json(&application(n)).send().await.unwrap();
            assert_eq!(res.status(), 201);
            res.json::<Value>().await.unwrap()
        }));
    }
    let mut confirmed_answers = 0;
    let mut positions = Vec::new();
    for t in tasks {
        let body = t.await.unwrap();
        match body["status"].as_str().unwrap() {
            "confirmed" => confirmed_answers += 1,
            "waitlisted" => positions.push(body["position"].as_i64().unwrap()),
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(confirmed_answers, 20);
    positions.sort();
    assert_eq!(
        positions,
        (1..=180).collect::<Vec<_>>(),
        "waitlist positions are unique and dense"
    );
    let key = app.organiser_key().await;
    let rows = app.enrollments("corsa", &key).await;
    assert_eq!(rows.len(), 200);
    assert_eq!(
        rows.iter().filter(|r| r["status"] == "confirmed").count(),
        20
    );
}

#[tokio::test]
async fn the_confirmed_set_is_the_first_arrivals() {
    let app = TestApp::spawn(WorkshopSpec::open("ordine", 15)).await;
    let mut tasks = Vec::new();
    for n in 0..120 {
        let client = app.client.clone();
        let url = app.url("/api/v1/workshops/ordine/enrollments");
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .json(&application(n))
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 201);
    }
    let key = app.organiser_key().await;
    let rows = app.enrollments("ordine", &key).await;
    // The listing is in arrival order: the first 15 are confirmed, the rest wait in order.
    let arrivals: Vec<i64> = rows
        .iter()
        .map(|r| r["arrival"].as_i64().unwrap())
        .collect();
    assert!(
        arrivals.windows(2).all(|w| w[0] < w[1]),
        "arrival stamps are strictly increasing"
    );
    for (i, r) in rows.iter().enumerate() {
        if i < 15 {
            assert_eq!(r["status"], "confirmed", "row {i}");
        } else {
            assert_eq!(r["status"], "waitlisted", "row {i}");
            assert_eq!(r["position"].as_i64().unwrap(), i as i64 - 14);
        }
    }
}

#[tokio::test]
async fn one_promotion_per_cancellation() {
    let app = TestApp::spawn(WorkshopSpec::open("promo", 2)).await;
    let mut manage = Vec::new();
    for n in 0..5 {
        let (status, body) = app.enroll_n("promo", n).await;
        assert_eq!(status, 201);
        manage.push(body["manage_url"].as_str().unwrap().to_string());
    }
    // Persona 0 cancels: exactly Persona 2 (first waiting) is promoted.
    let (status, body) = app.cancel(&manage[0]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["promoted"], true);
    let key = app.organiser_key().await;
    let rows = app.enrollments("promo", &key).await;
    let status_of = |n: usize| rows[n]["status"].as_str().unwrap().to_string();
    assert_eq!(
        (0..5).map(status_of).collect::<Vec<_>>(),
        [
            "cancelled",
            "confirmed",
            "confirmed",
            "waitlisted",
            "waitlisted"
        ]
    );
    assert_eq!(rows[3]["position"], 1);
    assert_eq!(rows[4]["position"], 2);
    // A waiting person cancelling promotes nobody; a second cancel of the same link is refused.
    let (_, body) = app.cancel(&manage[3]).await;
    assert_eq!(body["promoted"], false);
    let (status, body) = app.cancel(&manage[0]).await;
    assert_eq!(status, 409);
    assert_eq!(body["error"]["code"], "already_cancelled");
    let rows = app.enrollments("promo", &key).await;
    assert_eq!(
        rows.iter().filter(|r| r["status"] == "confirmed").count(),
        2
    );
    assert_eq!(rows[4]["position"], 1);
    // Exactly one "promoted" notification, to Persona 2.
    let promoted: Vec<_> = app
        .outbox()
        .await
        .into_iter()
        .filter(|m| m.0 == "promoted")
        .collect();
    assert_eq!(promoted.len(), 1);
    assert_eq!(promoted[0].1, "persona2@comune.example.it");
}

#[tokio::test]
async fn every_status_change_has_exactly_one_notification() {
    let app = TestApp::spawn(WorkshopSpec::open("posta", 1)).await;
    let (_, a) = app.enroll_n("posta", 1).await;
    app.enroll_n("posta", 2).await;
    app.cancel(a["manage_url"].as_str().unwrap()).await;
    let kinds: Vec<(String, String)> = app.outbox().await.into_iter().map(|m| (m.0, m.1)).collect();
    assert_eq!(
        kinds,
        [
            ("confirmed".into(), "persona1@comune.example.it".into()),
            ("waitlisted".into(), "persona2@comune.example.it".into()),
            ("cancelled".into(), "persona1@comune.example.it".into()),
            ("promoted".into(), "persona2@comune.example.it".into()),
        ]
    );
    // Each message is in Italian and carries a working private link.
    let (body,): (String,) = sqlx::query_as("SELECT body FROM outbox WHERE kind = 'promoted'")
        .fetch_one(&app.sql)
        .await
        .unwrap();
    assert!(body.contains("si è liberato un posto"), "{body}");
    let link = body
        .lines()
        .find(|l| l.contains("/iscrizione/"))
        .unwrap()
        .trim();
    let page = app.client.get(link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Iscrizione confermata"));
}

#[tokio::test]
async fn a_duplicate_email_gets_a_clear_answer_and_no_second_row() {
    let app = TestApp::spawn(WorkshopSpec::open("doppio", 5)).await;
    assert_eq!(app.enroll_n("doppio", 7).await.0, 201);
    let mut again = application(7);
    again["email"] = json!("  PERSONA7@Comune.Example.IT ");
    again["name"] = json!("Altro nome");
    let (status, body) = app.enroll("doppio", again).await;
    assert_eq!(status, 409);
    assert_eq!(body["error"]["code"], "already_enrolled");
    // The answer says nothing of the enrollment (issue 11: it told anyone the status and the
    // waitlist position of any e-mail); the person is sent its state by e-mail instead.
    assert!(body["error"].get("status").is_none(), "{body}");
    assert!(body["error"].get("position").is_none(), "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Se l'indirizzo è già iscritto")
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM enrollments").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await, 2);
    let (recipient, body): (String, String) =
        sqlx::query_as("SELECT recipient, body FROM outbox WHERE kind = 'reminder'")
            .fetch_one(&app.sql)
            .await
            .unwrap();
    assert_eq!(recipient, "persona7@comune.example.it");
    assert!(
        body.contains("confermata") && body.contains("/iscrizione/"),
        "{body}"
    );
    assert!(
        !body.contains("Altro nome"),
        "the reminder greets the person, not the applicant"
    );
}

#[tokio::test]
async fn concurrent_duplicates_make_one_row() {
    let app = TestApp::spawn(WorkshopSpec::open("gemelli", 5)).await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let client = app.client.clone();
        let url = app.url("/api/v1/workshops/gemelli/enrollments");
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .json(&application(1))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    statuses.sort();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1);
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 19);
    assert_eq!(app.count("SELECT COUNT(*) FROM enrollments").await, 1);
}

#[tokio::test]
async fn bad_input_of_every_field_gets_an_italian_422_and_changes_nothing() {
    let app = TestApp::spawn(WorkshopSpec::open("errori", 5)).await;
    let cases: Vec<(&str, Value, &str)> = vec![
        ("name", json!(""), "Indica il nome"),
        ("name", json!("x"), "troppo breve"),
        ("name", json!("a".repeat(121)), "troppo lungo"),
        ("name", json!("Mario\u{0}Rossi"), "caratteri non ammessi"),
        ("email", json!(""), "Indica il tuo indirizzo e-mail"),
        ("email", json!("mario.rossi"), "non valido"),
        ("email", json!("mario@rossi"), "non valido"),
        ("email", json!("ma rio@comune.it"), "non valido"),
        ("role", json!(""), "Scegli il tuo ruolo"),
        ("role", json!("astronauta"), "Ruolo non riconosciuto"),
        ("ente", json!(" "), "Indica l'ente"),
        ("ente", json!("e".repeat(201)), "troppo lungo"),
        ("comune_istat", json!("999999"), "Comune non trovato"),
        ("ambito", json!("a".repeat(121)), "troppo lungo"),
        ("privacy_ack", json!(false), "informativa"),
    ];
    for (field, value, expected) in cases {
        let mut body = application(1);
        body[field] = value.clone();
        let (status, res) = app.enroll("errori", body).await;
        assert_eq!(status, 422, "{field}={value}: {res}");
        let fields = res["error"]["fields"].as_array().unwrap();
        let reported = field.trim_end_matches("_istat");
        let msg = fields
            .iter()
            .find(|f| f["field"] == reported)
            .unwrap_or_else(|| panic!("{field}: no error for it in {res}"));
        assert!(
            msg["message"].as_str().unwrap().contains(expected),
            "{field}: {msg}"
        );
    }
    // Not JSON at all, and the wrong types.
    let res = app
        .client
        .post(app.url("/api/v1/workshops/errori/enrollments"))
        .header("content-type", "application/json")
        .body("{non è json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("non valido")
    );
    let (status, _) = app.enroll("errori", json!({"name": 12, "email": []})).await;
    assert_eq!(status, 400);
    assert_eq!(app.count("SELECT COUNT(*) FROM enrollments").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await, 0);
}

#[tokio::test]
async fn an_ineligible_role_is_refused_with_403() {
    let app = TestApp::spawn(WorkshopSpec::open("ruoli", 5)).await;
    let mut body = application(1);
    body["role"] = json!("referente-ets");
    let (status, res) = app.enroll("ruoli", body).await;
    assert_eq!(status, 403);
    assert!(
        res["error"]["message"]
            .as_str()
            .unwrap()
            .contains("riservato")
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM enrollments").await, 0);
}

#[tokio::test]
async fn the_window_is_enforced() {
    let now = chrono::Utc::now();
    let soon = WorkshopSpec {
        opens: now + chrono::Duration::days(2),
        closes: now + chrono::Duration::days(9),
        ..WorkshopSpec::open("futuro", 5)
    };
    let past = WorkshopSpec {
        opens: now - chrono::Duration::days(9),
        closes: now - chrono::Duration::days(2),
        ..WorkshopSpec::open("passato", 5)
    };
    let app = TestApp::spawn_with(vec![soon, past], None).await;
    let (status, res) = app.enroll_n("futuro", 1).await;
    assert_eq!(status, 409);
    assert_eq!(res["error"]["code"], "not_open");
    assert!(
        res["error"]["message"]
            .as_str()
            .unwrap()
            .contains("apriranno")
    );
    let (status, res) = app.enroll_n("passato", 1).await;
    assert_eq!(status, 410);
    assert!(res["error"]["message"].as_str().unwrap().contains("chiuse"));
    assert_eq!(app.count("SELECT COUNT(*) FROM enrollments").await, 0);
    let (status, _) = app.enroll_n("inesistente", 1).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn everyone_waiting_at_the_close_is_told_no_seat_is_left() {
    let spec = WorkshopSpec {
        closes: chrono::Utc::now() + chrono::Duration::seconds(3),
        ..WorkshopSpec::open("chiusura", 1)
    };
    let app = TestApp::spawn(spec).await;
    for n in 0..4 {
        assert_eq!(app.enroll_n("chiusura", n).await.0, 201);
    }
    eventually(15, "waiting people told at close", || async {
        app.outbox()
            .await
            .iter()
            .filter(|m| m.0 == "not_admitted")
            .count()
            == 3
    })
    .await;
    let key = app.organiser_key().await;
    let rows = app.enrollments("chiusura", &key).await;
    let statuses: Vec<_> = rows.iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(
        statuses,
        ["confirmed", "not_admitted", "not_admitted", "not_admitted"]
    );
    let told: HashSet<String> = app
        .outbox()
        .await
        .into_iter()
        .filter(|m| m.0 == "not_admitted")
        .map(|m| m.1)
        .collect();
    assert_eq!(told.len(), 3);
    // After the close, applications are refused and a cancellation promotes nobody.
    assert_eq!(app.enroll_n("chiusura", 9).await.0, 410);
}

#[tokio::test]
async fn the_close_is_caught_up_at_start_after_downtime() {
    let spec = WorkshopSpec {
        closes: chrono::Utc::now() + chrono::Duration::seconds(3),
        ..WorkshopSpec::open("ripresa", 1)
    };
    let mut app = TestApp::spawn(spec.clone()).await;
    for n in 0..3 {
        assert_eq!(app.enroll_n("ripresa", n).await.0, 201);
    }
    // The server is down when the window closes…
    app.stop().await;
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    // …and at the next start it tells everyone still waiting.
    let app = app.restart().await;
    eventually(10, "catch-up at start", || async {
        app.count("SELECT COUNT(*) FROM outbox WHERE kind = 'not_admitted'")
            .await
            == 2
    })
    .await;
    // A second restart does not tell them twice.
    let app = app.restart().await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE kind = 'not_admitted'")
            .await,
        2
    );
}

#[tokio::test]
async fn a_capacity_increase_promotes_the_waiting_in_order() {
    let app = TestApp::spawn(WorkshopSpec::open("capienza", 1)).await;
    for n in 0..4 {
        app.enroll_n("capienza", n).await;
    }
    let spec = WorkshopSpec::open("capienza", 3);
    std::fs::write(app.workshops_dir.join("capienza.toml"), spec.toml()).unwrap();
    let app = app.restart().await;
    eventually(10, "promotions after a capacity increase", || async {
        app.count("SELECT COUNT(*) FROM enrollments WHERE status = 'confirmed'")
            .await
            == 3
    })
    .await;
    let key = app.organiser_key().await;
    let rows = app.enrollments("capienza", &key).await;
    let statuses: Vec<_> = rows.iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(
        statuses,
        ["confirmed", "confirmed", "confirmed", "waitlisted"]
    );
}
