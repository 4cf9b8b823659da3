//! Access ends when it should (issue 11): a cancelled or removed participant, the guests of a
//! disabled guest code, a disabled account, a revoked API key and the other sessions of a new
//! password lose their open board websockets at once (close code 4001) and cannot come back;
//! the first-organiser link works once and never after an organiser exists; a private link
//! never logs a staff member out and reuses its one session; expired sessions are purged; a
//! duplicate enrollment tells nothing about the enrollment; a full disk answers 503 and fails
//! `/readyz`. The last test runs two instances on one PostgreSQL database.

mod common;
#[path = "common/ws.rs"]
mod ws;

use std::time::Duration;

use common::{Browser, TestApp, WorkshopSpec, application};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tavolo::services::accounts::hash_password;
use tokio_tungstenite::tungstenite::Message;
use ws::{Auth, Client};

const SLUG: &str = "accessi";
const PASSWORD: &str = "una password di prova lunga";

fn manage_path(app: &TestApp, v: &Value) -> String {
    v["manage_url"].as_str().unwrap().replace(&app.base, "")
}

fn meeting(app: &TestApp) -> i64 {
    app.meeting_id(SLUG, "M1-1")
}

fn cookie_of(b: &Browser) -> String {
    b.cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A board connection with the browser's cookies.
async fn connect_as(app: &TestApp, b: &Browser, name: &str) -> Client {
    let cookie = cookie_of(b);
    Client::connect_from(
        &app.base,
        meeting(app),
        Auth::Cookie {
            cookie: &cookie,
            origin: &app.base,
        },
        name,
        0,
    )
    .await
}

/// Reads until the server closes the socket; panics unless it says `code` within 5 s (well
/// before the minute of the periodic check: the close comes from the revocation itself).
async fn closed_with(c: &mut Client, code: u16) {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), c.ws.next()).await {
            Ok(Some(Ok(Message::Close(Some(frame))))) => {
                assert_eq!(u16::from(frame.code), code, "{frame:?}");
                return;
            }
            Ok(Some(Ok(_))) => continue,
            other => panic!("expected the socket closed with {code}, got {other:?}"),
        }
    }
}

/// The HTTP status of a websocket upgrade refused before it happens.
async fn refused_upgrade(app: &TestApp, auth: Auth<'_>) -> u16 {
    match ws::open(&app.base, meeting(app), auth, "").await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => res.status().as_u16(),
        Ok(_) => panic!("the upgrade was accepted"),
        Err(e) => panic!("unexpected error {e}"),
    }
}

/// A staff account with a password, logged in through the real login form.
async fn staff(app: &TestApp, role: &str, email: &str) -> (i64, Browser) {
    let store = &app.state.store;
    let id = tavolo::store::accounts::create(
        store,
        email,
        "Staff Prova",
        role,
        Some(&hash_password(PASSWORD)),
    )
    .await
    .unwrap();
    let w = app.state.catalogue.by_slug(SLUG).unwrap();
    tavolo::store::accounts::assign_workshop(store, id, w.id)
        .await
        .unwrap();
    let b = login(app, email).await.expect("login");
    (id, b)
}

async fn login(app: &TestApp, email: &str) -> Option<Browser> {
    let mut b = Browser::new(app);
    let (status, _, headers) = b
        .post("/accedi", &[("email", email), ("password", PASSWORD)])
        .await;
    (status == 303 && headers["location"] == "/admin").then_some(b)
}

async fn sessions(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM sessions").await
}

#[tokio::test]
async fn a_cancelled_participant_is_closed_with_4001_and_refused_on_reconnect() {
    let app = TestApp::spawn(WorkshopSpec::open(SLUG, 5)).await;
    let (_, maria) = app.enroll_n(SLUG, 1).await;
    // Maria on the board twice: from her browser (the session of her link) and from a script.
    let mut browser = Browser::new(&app);
    assert_eq!(browser.get(&manage_path(&app, &maria)).await.0, 200);
    let mut by_cookie = connect_as(&app, &browser, "maria-browser").await;
    let mut by_token = Client::participant(&app.base, meeting(&app), &maria, "maria").await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM sessions WHERE enrollment_id IS NOT NULL")
            .await,
        1
    );

    let (status, _) = app.cancel(maria["manage_url"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    closed_with(&mut by_cookie, 4001).await;
    closed_with(&mut by_token, 4001).await;
    // Her sessions are gone, and neither door opens again.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM sessions WHERE enrollment_id IS NOT NULL")
            .await,
        0
    );
    let cookie = cookie_of(&browser);
    let status = refused_upgrade(
        &app,
        Auth::Cookie {
            cookie: &cookie,
            origin: &app.base,
        },
    )
    .await;
    assert_eq!(status, 401, "the session ended: nobody is signed in");
    let t = common::personal_token(&maria);
    assert_eq!(refused_upgrade(&app, Auth::Bearer(&t)).await, 403);
}

/// The backstop: an ending whose announcement never arrived (written straight into the
/// database here, as another instance would whose `NOTIFY` was lost) closes the sockets at the
/// next periodic check, and only those.
#[tokio::test]
async fn the_periodic_check_closes_what_an_unheard_ending_left_open() {
    let app = TestApp::spawn(WorkshopSpec::open(SLUG, 5)).await;
    let (_, maria) = app.enroll_n(SLUG, 1).await;
    let (_, luca) = app.enroll_n(SLUG, 2).await;
    let (id, facilitator) = staff(&app, "facilitator", "cond@example.it").await;
    let key = tavolo::services::accounts::new_api_key(&app.state.store, id, "script")
        .await
        .unwrap();
    let mut browser = Browser::new(&app);
    browser.get(&manage_path(&app, &maria)).await;
    let mut maria_ws = connect_as(&app, &browser, "maria").await;
    let mut luca_ws = Client::participant(&app.base, meeting(&app), &luca, "luca").await;
    let mut staff_ws = connect_as(&app, &facilitator, "f").await;
    let mut script_ws = Client::connect(&app.base, meeting(&app), &key, "script").await;

    for sql in [
        "DELETE FROM sessions WHERE enrollment_id IS NOT NULL".to_string(),
        format!(
            "UPDATE enrollments SET status = 'cancelled' WHERE id = {}",
            luca["id"]
        ),
        format!("UPDATE api_keys SET revoked_at = 1 WHERE account_id = {id}"),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&app.sql)
            .await
            .unwrap();
    }
    app.state.sockets.recheck(&app.state.store).await;
    closed_with(&mut maria_ws, 4001).await;
    closed_with(&mut luca_ws, 4001).await;
    closed_with(&mut script_ws, 4001).await;
    // The facilitator's session still holds: that connection goes on.
    staff_ws
        .ok(json!({"kind": "set_phase", "phase": "raccolta"}))
        .await;
}

#[tokio::test]
async fn an_organiser_removing_a_participant_closes_their_socket() {
    let app = TestApp::spawn(WorkshopSpec::open(SLUG, 5)).await;
    let (_, luca) = app.enroll_n(SLUG, 2).await;
    let (_, anna) = app.enroll_n(SLUG, 3).await;
    let key = app.account_key("facilitator", &[SLUG]).await;
    let mut f = Client::connect(&app.base, meeting(&app), &key, "f").await;
    f.ok(json!({"kind": "set_phase", "phase": "raccolta"}))
        .await;
    let mut luca_ws = Client::participant(&app.base, meeting(&app), &luca, "luca").await;
    let mut anna_ws = Client::participant(&app.base, meeting(&app), &anna, "anna").await;
    let (_, mut organiser) = staff(&app, "organiser", "org@example.it").await;
    let id = luca["id"].as_i64().unwrap();
    let (status, _, _) = organiser
        .post(
            &format!("/admin/iscrizioni/{id}/annulla"),
            &[("reason", "Richiesta dell'interessato")],
        )
        .await;
    assert_eq!(status, 303);
    closed_with(&mut luca_ws, 4001).await;
    // Anna was not removed: her connection goes on.
    let seq = anna_ws
        .ok(json!({"kind": "add_card", "card_id": "a1", "card_type": "bisogno", "text": "Ancora qui"}))
        .await;
    assert!(seq > 0);
    let t = common::personal_token(&luca);
    assert_eq!(refused_upgrade(&app, Auth::Bearer(&t)).await, 403);
}

#[tokio::test]
async fn disabling_the_guest_code_closes_the_guests_and_refuses_them() {
    let app = TestApp::spawn(WorkshopSpec::open(SLUG, 5)).await;
    let key = app.account_key("facilitator", &[SLUG]).await;
    let mut f = Client::connect(&app.base, meeting(&app), &key, "f").await;
    f.ok(json!({"kind": "set_phase", "phase": "raccolta"}))
        .await;
    f.ok(json!({"kind": "set_guest_code", "enabled": true}))
        .await;
    let code = app
        .state
        .rooms
        .get(meeting(&app))
        .await
        .unwrap()
        .state()
        .await
        .unwrap()
        .guest_code
        .unwrap();
    let mut guest = Browser::new(&app);
    let (status, _, _) = guest
        .post(
            &format!("/incontri/{}/ospite", meeting(&app)),
            &[
                ("code", &code),
                ("name", "Ospite Uno"),
                ("organisation", "Associazione"),
                ("ambito", ""),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let mut guest_ws = connect_as(&app, &guest, "ospite").await;
    assert_eq!(guest_ws.welcome["you"]["kind"], "guest");

    f.ok(json!({"kind": "set_guest_code", "enabled": false}))
        .await;
    closed_with(&mut guest_ws, 4001).await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM sessions WHERE guest_id IS NOT NULL")
            .await,
        0
    );
    let cookie = cookie_of(&guest);
    let status = refused_upgrade(
        &app,
        Auth::Cookie {
            cookie: &cookie,
            origin: &app.base,
        },
    )
    .await;
    assert_eq!(status, 401);
    // The facilitator's own connection is untouched.
    f.ok(json!({"kind": "set_guest_code", "enabled": true}))
        .await;
}

#[tokio::test]
async fn a_disabled_account_cannot_log_in_and_its_sockets_and_keys_stop() {
    let app = TestApp::spawn(WorkshopSpec::open(SLUG, 5)).await;
    let (id, facilitator) = staff(&app, "facilitator", "cond@example.it").await;
    let key = tavolo::services::accounts::new_api_key(&app.state.store, id, "script")
        .await
        .unwrap();
    let mut by_cookie = connect_as(&app, &facilitator, "f-browser").await;
    let mut by_key = Client::connect(&app.base, meeting(&app), &key, "f-script").await;
    let (organiser_id, mut organiser) = staff(&app, "organiser", "org@example.it").await;

    // An organiser cannot disable their own account.
    let (status, page, _) = organiser
        .post(&format!("/admin/account/{organiser_id}/disattiva"), &[])
        .await;
    assert_eq!(status, 400);
    assert!(page.contains("tuo stesso account"), "{page}");

    let (status, page, _) = organiser
        .post(&format!("/admin/account/{id}/disattiva"), &[])
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("Disattivato"), "{page}");
    closed_with(&mut by_cookie, 4001).await;
    closed_with(&mut by_key, 4001).await;
    assert!(login(&app, "cond@example.it").await.is_none());
    let api = |k: String| {
        let app = &app;
        async move {
            app.client
                .get(app.url(&format!("/api/v1/workshops/{SLUG}/enrollments")))
                .bearer_auth(k)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(api(key.clone()).await, 401);
    assert_eq!(refused_upgrade(&app, Auth::Bearer(&key)).await, 401);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM sessions WHERE account_id = {id}"
        ))
        .await,
        0
    );

    // Enabled again: the person logs in again, the key works again.
    let (status, page, _) = organiser
        .post(&format!("/admin/account/{id}/riattiva"), &[])
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(login(&app, "cond@example.it").await.is_some());
    assert_eq!(api(key).await, 200);
    let actions: Vec<(String,)> =
        sqlx::query_as("SELECT action FROM audit_log WHERE workshop_id IS NULL ORDER BY id")
            .fetch_all(&app.sql)
            .await
            .unwrap();
    let actions: Vec<&str> = actions.iter().map(|a| a.0.as_str()).collect();
    assert_eq!(actions, ["account.disable", "account.enable"]);
}

#[tokio::test]
async fn a_revoked_api_key_is_refused_and_its_socket_closed() {
    let app = TestApp::spawn(WorkshopSpec::open(SLUG, 5)).await;
    let (id, mut organiser) = staff(&app, "organiser", "org@example.it").await;
    let (status, page, _) = organiser
        .post(
            "/admin/account/chiave-api",
            &[("label", "script del Comune")],
        )
        .await;
    assert_eq!(status, 200);
    let key = page
        .split("tvl_")
        .nth(1)
        .map(|rest| format!("tvl_{}", &rest[..43]))
        .expect("the new key is shown once");
    let other = tavolo::services::accounts::new_api_key(&app.state.store, id, "")
        .await
        .unwrap();
    let mut ws_key = Client::connect(&app.base, meeting(&app), &key, "script").await;
    let mut ws_other = Client::connect(&app.base, meeting(&app), &other, "altro").await;

    // Listed with its label, never the key itself.
    let (_, page, _) = organiser.get("/admin/account").await;
    assert!(page.contains("script del Comune"), "{page}");
    assert!(!page.contains(&key));
    let (key_id,): (i64,) =
        sqlx::query_as("SELECT id FROM api_keys WHERE label = 'script del Comune'")
            .fetch_one(&app.sql)
            .await
            .unwrap();

    let (status, page, _) = organiser
        .post(&format!("/admin/chiavi-api/{key_id}/revoca"), &[])
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("revocata"), "{page}");
    closed_with(&mut ws_key, 4001).await;
    let status = app
        .client
        .get(app.url(&format!("/api/v1/workshops/{SLUG}/enrollments")))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 401);
    assert_eq!(refused_upgrade(&app, Auth::Bearer(&key)).await, 401);
    // The other key of the same account goes on.
    ws_other
        .ok(json!({"kind": "set_phase", "phase": "raccolta"}))
        .await;
    drop(ws_other);
    // Revoking twice is a clear refusal, not an error.
    let (status, page, _) = organiser
        .post(&format!("/admin/chiavi-api/{key_id}/revoca"), &[])
        .await;
    assert_eq!(status, 409);
    assert!(page.contains("già revocata"), "{page}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'api_key.revoke'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_new_password_ends_the_other_sessions() {
    let app = TestApp::spawn(WorkshopSpec::open(SLUG, 5)).await;
    let (id, mut old) = staff(&app, "facilitator", "cond@example.it").await;
    let mut old_ws = connect_as(&app, &old, "vecchia").await;
    let link = tavolo::services::accounts::password_link(&app.state.store, id, &app.base)
        .await
        .unwrap();
    let path = link.replace(&app.base, "");
    let mut new = Browser::new(&app);
    let fresh = "una password nuova e lunga";
    let (status, _, _) = new
        .post(&path, &[("password", fresh), ("password_confirm", fresh)])
        .await;
    assert_eq!(status, 303);
    closed_with(&mut old_ws, 4001).await;
    assert_eq!(old.get("/admin").await.0, 303, "the old session ended");
    assert_eq!(new.get("/admin").await.0, 200, "the new one holds");
}

#[tokio::test]
async fn the_first_organiser_link_works_once_and_never_after_an_organiser_exists() {
    let app = TestApp::spawn(WorkshopSpec::open(SLUG, 5)).await;
    let store = &app.state.store;
    let first = |_: ()| tavolo::services::accounts::first_setup_link(store, &app.base);
    // Printed again at a restart: only the latest link is live.
    let older = first(()).await.unwrap().unwrap().replace(&app.base, "");
    let latest = first(()).await.unwrap().unwrap().replace(&app.base, "");
    let mut b = Browser::new(&app);
    let (status, page, _) = b.get(&older).await;
    assert_eq!(status, 410, "{page}");
    assert_eq!(b.get(&latest).await.0, 200);
    let form = [
        ("name", "Prima Organizzatrice"),
        ("email", "prima@example.it"),
        ("password", PASSWORD),
        ("password_confirm", PASSWORD),
    ];
    assert_eq!(b.post(&latest, &form).await.0, 303);
    // Used: a second use creates nobody.
    let mut other = Browser::new(&app);
    let mut second = form;
    second[1] = ("email", "seconda@example.it");
    let (status, page, _) = other.post(&latest, &second).await;
    assert_eq!(status, 410, "{page}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM accounts WHERE role = 'organiser'")
            .await,
        1
    );
    // None is printed any more.
    assert!(first(()).await.unwrap().is_none());

    // A link made before an organiser was created another way dies when one exists.
    let app = TestApp::spawn(WorkshopSpec::open(SLUG, 5)).await;
    let store = &app.state.store;
    let link = tavolo::services::accounts::first_setup_link(store, &app.base)
        .await
        .unwrap()
        .unwrap()
        .replace(&app.base, "");
    app.organiser_key().await;
    let mut b = Browser::new(&app);
    let (status, page, _) = b.get(&link).await;
    assert_eq!(status, 410);
    assert!(page.contains("esiste già"), "{page}");
    let (status, _, _) = b.post(&link, &form).await;
    assert_eq!(status, 410);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM accounts WHERE role = 'organiser'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_private_link_keeps_the_staff_session_and_reuses_its_own() {
    let app = TestApp::spawn(WorkshopSpec::open(SLUG, 5)).await;
    let (_, maria) = app.enroll_n(SLUG, 1).await;
    let (_, mut organiser) = staff(&app, "organiser", "org@example.it").await;
    let staff_cookies = organiser.cookies.clone();
    let before = sessions(&app).await;
    let (status, page, _) = organiser.get(&manage_path(&app, &maria)).await;
    assert_eq!(status, 200);
    assert!(page.contains("Iscrizione confermata"));
    assert_eq!(organiser.cookies, staff_cookies, "the staff cookie is kept");
    assert_eq!(sessions(&app).await, before, "no session was opened");
    assert_eq!(organiser.get("/admin").await.0, 200, "still logged in");

    // Opened again and again, in one browser or several: one session row.
    let mut phone = Browser::new(&app);
    phone.get(&manage_path(&app, &maria)).await;
    let first = phone.cookies.clone();
    phone.get(&manage_path(&app, &maria)).await;
    let mut laptop = Browser::new(&app);
    laptop.get(&manage_path(&app, &maria)).await;
    laptop.get(&manage_path(&app, &maria)).await;
    assert_eq!(sessions(&app).await, before + 1);
    let session = |c: &std::collections::BTreeMap<String, String>| {
        c.iter()
            .find(|(k, _)| k.ends_with("tavolo_sessione"))
            .map(|(_, v)| v.clone())
    };
    assert!(session(&first).is_some());
    assert_eq!(session(&phone.cookies), session(&first));
    // And that session is hers.
    let mut c = connect_as(&app, &phone, "maria").await;
    assert_eq!(c.welcome["you"]["kind"], "participant");
    c.ws.close(None).await.ok();
}

#[tokio::test]
async fn expired_sessions_are_purged_at_start_and_on_demand() {
    let app = TestApp::spawn(WorkshopSpec::open(SLUG, 5)).await;
    let (_, maria) = app.enroll_n(SLUG, 1).await;
    let mut b = Browser::new(&app);
    b.get(&manage_path(&app, &maria)).await;
    for (hash, expires) in [("scaduta-1", 1), ("scaduta-2", 2)] {
        sqlx::query(
            "INSERT INTO sessions (token_hash, enrollment_id, created_at, expires_at) \
             VALUES ($1, $2, 0, $3)",
        )
        .bind(hash)
        .bind(maria["id"].as_i64().unwrap())
        .bind(expires)
        .execute(&app.sql)
        .await
        .unwrap();
    }
    assert_eq!(sessions(&app).await, 3);
    let purged = tavolo::services::accounts::purge_expired_sessions(&app.state.store)
        .await
        .unwrap();
    assert_eq!(purged, 2);
    assert_eq!(sessions(&app).await, 1, "the live session stays");

    // At start too.
    sqlx::query(
        "INSERT INTO sessions (token_hash, enrollment_id, created_at, expires_at) \
         VALUES ('scaduta-3', $1, 0, 3)",
    )
    .bind(maria["id"].as_i64().unwrap())
    .execute(&app.sql)
    .await
    .unwrap();
    let app = app.restart().await;
    common::eventually(5, "the expired session purged at start", || async {
        sessions(&app).await == 1
    })
    .await;
}

#[tokio::test]
async fn a_duplicate_enrollment_tells_nothing_about_the_enrollment() {
    let app = TestApp::spawn(WorkshopSpec::open(SLUG, 1)).await;
    let (_, confirmed) = app.enroll_n(SLUG, 1).await;
    let (_, waiting) = app.enroll_n(SLUG, 2).await;
    let (_, cancelled) = app.enroll_n(SLUG, 3).await;
    assert_eq!(waiting["status"], "waitlisted");
    app.cancel(cancelled["manage_url"].as_str().unwrap()).await;

    // The same answer, byte for byte, whatever the state of the enrollment.
    let mut answers = Vec::new();
    for n in [1, 2, 3] {
        let (status, body) = app.enroll(SLUG, application(n)).await;
        assert_eq!(status, 409);
        answers.push(body);
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[1], answers[2]);
    let text = answers[0].to_string();
    for secret in [
        "confirmed",
        "waitlisted",
        "cancelled",
        "position",
        "posizione",
    ] {
        assert!(!text.contains(secret), "{text}");
    }
    // The HTML form too.
    let mut pages = Vec::new();
    for n in [1, 2] {
        let a = application(n);
        let mut b = Browser::new(&app);
        let (status, page, _) = b
            .post(
                &format!("/laboratori/{SLUG}/iscrizione"),
                &[
                    ("name", a["name"].as_str().unwrap()),
                    ("email", a["email"].as_str().unwrap()),
                    ("role", a["role"].as_str().unwrap()),
                    ("ente", a["ente"].as_str().unwrap()),
                    ("comune", "Bergamo (BG)"),
                    ("ambito", a["ambito"].as_str().unwrap()),
                    ("privacy_ack", "on"),
                ],
            )
            .await;
        assert_eq!(status, 409, "{page}");
        assert!(!page.contains("lista d&#x27;attesa") && !page.contains("confermata"));
        pages.push(page.contains("riceverai un messaggio"));
    }
    assert_eq!(pages, [true, true]);

    // Each person was told by e-mail, once within the hour however often it was asked.
    let reminders: Vec<(String, String)> = sqlx::query_as(
        "SELECT recipient, body FROM outbox WHERE kind = 'reminder' ORDER BY recipient",
    )
    .fetch_all(&app.sql)
    .await
    .unwrap();
    assert_eq!(reminders.len(), 3, "{reminders:?}");
    assert!(reminders[0].1.contains("confermata"), "{}", reminders[0].1);
    assert!(reminders[1].1.contains("posizione 1"), "{}", reminders[1].1);
    assert!(reminders[2].1.contains("annullata"), "{}", reminders[2].1);
    // The link in it works.
    let link = reminders[1]
        .1
        .lines()
        .find(|l| l.contains("/iscrizione/"))
        .unwrap()
        .trim()
        .to_string();
    assert_eq!(app.client.get(&link).send().await.unwrap().status(), 200);
    let _ = confirmed;
}

#[tokio::test]
async fn a_full_disk_answers_503_and_fails_readyz_until_writes_fit_again() {
    let app = TestApp::spawn(WorkshopSpec::open(SLUG, 500)).await;
    if app.db.is_postgres() {
        common::skipped("a full disk is simulated with SQLite's max_page_count");
        return;
    }
    assert_eq!(app.get("/readyz").await.status(), 200);
    app.state.store.cap_sqlite_size(true).await.unwrap();
    // Enrollments fill the pages left; then one does not fit.
    let mut refused = None;
    for n in 1..400 {
        let (status, body) = app.enroll(SLUG, application(n)).await;
        if status != 201 {
            refused = Some((n, status, body));
            break;
        }
    }
    let (n, status, body) = refused.expect("the capped database filled up");
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "storage_full");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Spazio di archiviazione esaurito")
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM enrollments WHERE email = 'persona{n}@comune.example.it'"
        ))
        .await,
        0,
        "nothing was recorded"
    );
    let res = app.get("/readyz").await;
    assert_eq!(res.status(), 503);
    assert!(res.text().await.unwrap().contains("storage"));
    // The HTML form says it in Italian too.
    let a = application(n);
    let mut b = Browser::new(&app);
    let (status, page, _) = b
        .post(
            &format!("/laboratori/{SLUG}/iscrizione"),
            &[
                ("name", a["name"].as_str().unwrap()),
                ("email", a["email"].as_str().unwrap()),
                ("role", a["role"].as_str().unwrap()),
                ("ente", a["ente"].as_str().unwrap()),
                ("comune", "Bergamo (BG)"),
                ("ambito", a["ambito"].as_str().unwrap()),
                ("privacy_ack", "on"),
            ],
        )
        .await;
    assert_eq!(status, 503);
    assert!(page.contains("Spazio di archiviazione esaurito"), "{page}");

    // Space freed: /readyz finds writes fit again, and enrolling works.
    app.state.store.cap_sqlite_size(false).await.unwrap();
    assert_eq!(app.get("/readyz").await.status(), 200);
    assert_eq!(app.enroll(SLUG, application(n)).await.0, 201);
}

#[tokio::test]
async fn a_board_that_cannot_be_written_fails_readyz_too() {
    let app = TestApp::spawn(WorkshopSpec::open(SLUG, 5)).await;
    if app.db.is_postgres() {
        common::skipped("a full disk is simulated with SQLite's max_page_count");
        return;
    }
    let key = app.account_key("facilitator", &[SLUG]).await;
    let mut f = Client::connect(&app.base, meeting(&app), &key, "f").await;
    f.ok(json!({"kind": "set_phase", "phase": "raccolta"}))
        .await;
    app.state.store.cap_sqlite_size(true).await.unwrap();
    let text = "una necessità descritta con molte parole ".repeat(12);
    let mut refused = None;
    for i in 0..300 {
        let op_id = f
            .op(json!({"kind": "add_card", "card_id": format!("c{i}"), "card_type": "bisogno", "text": text}))
            .await;
        let reply = f.reply(&op_id).await;
        if reply["type"] != "ack" {
            refused = Some(reply);
            break;
        }
    }
    let reply = refused.expect("the capped database filled up");
    assert_eq!(reply["code"], "unavailable", "{reply}");
    assert_eq!(app.get("/readyz").await.status(), 503);
    app.state.store.cap_sqlite_size(false).await.unwrap();
    assert_eq!(app.get("/readyz").await.status(), 200);
}

#[tokio::test]
async fn an_access_ended_on_one_instance_closes_the_sockets_of_another() {
    if std::env::var("TAVOLO_TEST_POSTGRES_URL").map_or(true, |u| u.is_empty()) {
        common::skipped("several instances need PostgreSQL (TAVOLO_TEST_POSTGRES_URL)");
        return;
    }
    let a = TestApp::spawn(WorkshopSpec::open(SLUG, 10)).await;
    let b = a.second_instance().await;
    let (_, maria) = a.enroll_n(SLUG, 1).await;
    let (_, luca) = a.enroll_n(SLUG, 2).await;
    let mut maria_on_b = Client::participant(&b.base, meeting(&a), &maria, "maria@b").await;
    let mut luca_on_b = Client::participant(&b.base, meeting(&a), &luca, "luca@b").await;
    let (key_owner, mut organiser) = staff(&a, "organiser", "org@example.it").await;
    let key = tavolo::services::accounts::new_api_key(&a.state.store, key_owner, "script")
        .await
        .unwrap();
    let mut script_on_b = Client::connect(&b.base, meeting(&a), &key, "script@b").await;
    let s = script_on_b
        .ok(json!({"kind": "set_phase", "phase": "raccolta"}))
        .await;
    luca_on_b.events_until(s).await;

    // Maria cancels through instance A: her socket on B closes at once.
    let (status, _) = a.cancel(maria["manage_url"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    closed_with(&mut maria_on_b, 4001).await;
    // The key revoked on A: its socket on B closes.
    let (key_id,): (i64,) = sqlx::query_as("SELECT id FROM api_keys WHERE label = 'script'")
        .fetch_one(&a.sql)
        .await
        .unwrap();
    let (status, _, _) = organiser
        .post(&format!("/admin/chiavi-api/{key_id}/revoca"), &[])
        .await;
    assert_eq!(status, 200);
    closed_with(&mut script_on_b, 4001).await;
    // Luca, untouched, goes on writing on B.
    luca_on_b
        .ok(json!({"kind": "add_card", "card_id": "l1", "card_type": "bisogno", "text": "Ci sono"}))
        .await;
}
