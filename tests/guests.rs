//! Guests and cards written on someone's behalf carry an organisation and an Ambito, so that an
//! Ambito filter keeps their voice; the verbale counts the guests who joined, by organisation.

mod common;
#[path = "common/ws.rs"]
mod ws;

use common::{Browser, TestApp, WorkshopSpec};
use serde_json::{Value, json};
use ws::{Auth, Client};

const SLUG: &str = "ospiti";

struct Meeting {
    app: TestApp,
    id: i64,
    facilitator: String,
    code: String,
}

/// A workshop that lists its Ambiti, its first meeting collecting cards with a guest code.
async fn meeting(ambiti: &[&str]) -> (Meeting, Client) {
    meeting_configured(ambiti, |_| {}).await
}

async fn meeting_configured(
    ambiti: &[&str],
    adjust: impl FnOnce(&mut tavolo::Config),
) -> (Meeting, Client) {
    let spec = WorkshopSpec {
        ambiti: ambiti.iter().map(|a| a.to_string()).collect(),
        ..WorkshopSpec::open(SLUG, 5)
    };
    let app = TestApp::spawn_adjusted(vec![spec], adjust).await;
    let facilitator = app.account_key("facilitator", &[SLUG]).await;
    let id = app.meeting_id(SLUG, "M1-1");
    let mut f = Client::connect(&app.base, id, &facilitator, "f").await;
    f.ok(json!({"kind": "set_phase", "phase": "raccolta"}))
        .await;
    f.ok(json!({"kind": "set_guest_code", "enabled": true}))
        .await;
    let code = app
        .state
        .rooms
        .get(id)
        .await
        .unwrap()
        .state()
        .await
        .unwrap()
        .guest_code
        .unwrap();
    let m = Meeting {
        app,
        id,
        facilitator,
        code,
    };
    (m, f)
}

/// Posts the guest form; returns the status, the page and the browser (signed in on success).
async fn join(m: &Meeting, name: &str, organisation: &str, ambito: &str) -> (u16, String, Browser) {
    let mut b = Browser::new(&m.app);
    let (status, body, _) = b
        .post(
            &format!("/incontri/{}/ospite", m.id),
            &[
                ("code", &m.code),
                ("name", name),
                ("organisation", organisation),
                ("ambito", ambito),
            ],
        )
        .await;
    (status.as_u16(), body, b)
}

async fn guests(m: &Meeting) -> Vec<(String, Option<String>, Option<String>)> {
    sqlx::query_as("SELECT name, organisation, ambito FROM guests ORDER BY id")
        .fetch_all(&m.app.sql)
        .await
        .unwrap()
}

/// The guest's board connection, with their session cookie.
async fn connect(m: &Meeting, b: &Browser, name: &str) -> Client {
    let cookie: String = b
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    Client::connect_from(
        &m.app.base,
        m.id,
        Auth::Cookie {
            cookie: &cookie,
            origin: &m.app.base,
        },
        name,
        0,
    )
    .await
}

async fn export(m: &Meeting, query: &str) -> Value {
    let res = m
        .app
        .client
        .get(
            m.app
                .url(&format!("/api/v1/meetings/{}/export.json{query}", m.id)),
        )
        .bearer_auth(&m.facilitator)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

fn guest_counts(participation: &Value) -> Vec<(String, i64)> {
    participation["guests_by_organisation"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["organisation"].as_str().unwrap().to_string(),
                g["people"].as_i64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_guest_chooses_an_ambito_of_the_workshop_and_their_cards_carry_it() {
    let (m, mut f) = meeting(&["Ambito di Bergamo", "Ambito di Dalmine"]).await;

    // The form offers the workshop's Ambiti; anything else is refused and nothing is recorded.
    let (status, page, _) = Browser::new(&m.app)
        .get(&format!("/incontri/{}/ospite", m.id))
        .await;
    assert_eq!(status, 200);
    assert!(
        page.contains(r#"<select id="campo-ambito" name="ambito""#),
        "{page:.300}"
    );
    assert!(page.contains(">Ambito di Dalmine</option>"), "{page:.300}");
    let (status, page, _) = join(&m, "Anna Neri", "Cooperativa Sole", "Ambito di Lecco").await;
    assert_eq!(status, 422);
    assert!(
        page.contains("Ambito territoriale non riconosciuto"),
        "{page:.300}"
    );
    assert_eq!(guests(&m).await, vec![]);

    // A listed Ambito: recorded with the guest, carried by their identity on the board.
    let (status, _, anna) = join(&m, "Anna Neri", "Cooperativa Sole", "Ambito di Dalmine").await;
    assert_eq!(status, 303);
    // The Ambito is optional.
    let (status, _, _) = join(&m, "Bruno Bassi", "Associazione Auser", "").await;
    assert_eq!(status, 303);
    assert_eq!(
        guests(&m).await,
        vec![
            (
                "Anna Neri".into(),
                Some("Cooperativa Sole".into()),
                Some("Ambito di Dalmine".into())
            ),
            (
                "Bruno Bassi".into(),
                Some("Associazione Auser".into()),
                None
            ),
        ]
    );
    let mut guest = connect(&m, &anna, "anna").await;
    let s = guest
        .ok(json!({"kind": "add_card", "card_id": "g1", "card_type": "bisogno", "text": "Trasporto per chi vive in valle"}))
        .await;
    let seen = f.events_until(s).await;
    let actor = &seen.last().unwrap()["actor"];
    assert_eq!(actor["kind"], "guest");
    assert_eq!(actor["organisation"], "Cooperativa Sole");
    assert_eq!(actor["ambito"], "Ambito di Dalmine");

    // A card written on behalf of someone carries their body and Ambito, trimmed.
    let s = f
        .ok(json!({"kind": "add_card", "card_id": "b1", "card_type": "bisogno", "text": "Dati condivisi tra ATS e Comuni",
            "on_behalf_of": {"name": "Carla Conti", "organisation": "ATS Bergamo", "ambito": " Ambito di Dalmine "}}))
        .await;
    let seen = f.events_until(s).await;
    assert_eq!(
        seen.last().unwrap()["event"]["on_behalf_of"],
        json!({"name": "Carla Conti", "organisation": "ATS Bergamo", "ambito": "Ambito di Dalmine"})
    );
    assert_eq!(
        f.refused(
            json!({"kind": "add_card", "card_id": "b2", "card_type": "bisogno", "text": "x",
            "on_behalf_of": {"name": "Carla Conti", "ambito": "x".repeat(121)}})
        )
        .await,
        "invalid"
    );

    // The verbale's register counts both guests by organisation, contributors or not; filtered
    // by Ambito, the guest of that Ambito and their card stay.
    let all = export(&m, "").await;
    let mut counted = guest_counts(&all["meetings"][0]["participation"]);
    counted.sort();
    assert_eq!(
        counted,
        vec![
            ("Associazione Auser".to_string(), 1),
            ("Cooperativa Sole".to_string(), 1)
        ]
    );
    let dalmine = export(&m, "?ambito=Ambito%20di%20Dalmine").await;
    assert_eq!(
        guest_counts(&dalmine["participation"]),
        vec![("Cooperativa Sole".to_string(), 1)]
    );
    assert!(
        dalmine["cards"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == "g1"),
        "the guest's card is in their Ambito's export"
    );
    let bergamo = export(&m, "?ambito=Ambito%20di%20Bergamo").await;
    assert_eq!(guest_counts(&bergamo["participation"]), vec![]);
    assert!(
        bergamo["cards"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["id"] != "g1")
    );
}

#[tokio::test]
async fn without_a_list_the_ambito_is_free_text_within_its_limit() {
    let (m, _f) = meeting(&[]).await;
    let (status, page, _) = Browser::new(&m.app)
        .get(&format!("/incontri/{}/ospite", m.id))
        .await;
    assert_eq!(status, 200);
    assert!(
        page.contains(r#"<input type="text" id="campo-ambito" name="ambito""#),
        "{page:.300}"
    );
    let (status, page, _) = join(&m, "Anna Neri", "Cooperativa Sole", &"x".repeat(121)).await;
    assert_eq!(status, 422);
    assert!(page.contains("troppo lungo"), "{page:.300}");
    assert_eq!(guests(&m).await, vec![]);
    let (status, _, _) = join(&m, "Anna Neri", "Cooperativa Sole", "  Ambito di Lecco ").await;
    assert_eq!(status, 303);
    assert_eq!(
        guests(&m).await,
        vec![(
            "Anna Neri".into(),
            Some("Cooperativa Sole".into()),
            Some("Ambito di Lecco".into())
        )]
    );
}

/// A browser whose requests leave from `address` (any 127.x.y.z reaches the test server on
/// Linux): another client address for the per-address limits.
fn browser_from(m: &Meeting, address: [u8; 4]) -> Browser {
    browser_forwarded(m, address, None)
}

/// A browser whose connections come from `address`, each request saying it forwards
/// `forwarded` (as a reverse proxy does) when given.
fn browser_forwarded(m: &Meeting, address: [u8; 4], forwarded: Option<&str>) -> Browser {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(f) = forwarded {
        headers.insert("x-forwarded-for", f.parse().unwrap());
    }
    Browser {
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .local_address(std::net::IpAddr::from(address))
            .default_headers(headers)
            .build()
            .unwrap(),
        cookies: Default::default(),
        base: m.app.base.clone(),
    }
}

/// Posts the guest form from `b` with `code`; returns the status and the page.
async fn join_with(m: &Meeting, b: &mut Browser, code: &str, name: &str) -> (u16, String) {
    let (status, body, _) = b
        .post(
            &format!("/incontri/{}/ospite", m.id),
            &[
                ("code", code),
                ("name", name),
                ("organisation", "Cooperativa Sole"),
                ("ambito", ""),
            ],
        )
        .await;
    (status.as_u16(), body)
}

async fn guest_count(m: &Meeting) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM guests")
        .fetch_one(&m.app.sql)
        .await
        .unwrap()
}

#[tokio::test]
async fn codes_are_long_and_read_without_dashes_or_case() {
    let (m, _f) = meeting(&[]).await;
    assert_eq!(m.code.len(), 10, "{}", m.code);
    assert!(
        m.code
            .bytes()
            .all(|b| b"ABCDEFGHJKMNPQRSTUVWXYZ23456789".contains(&b))
    );
    let typed = format!(
        " {}-{}-{} ",
        &m.code[..4].to_lowercase(),
        &m.code[4..8],
        &m.code[8..].to_lowercase()
    );
    let mut b = Browser::new(&m.app);
    let (status, page) = join_with(&m, &mut b, &typed, "Anna Neri").await;
    assert_eq!(status, 303, "{page:.300}");
}

#[tokio::test]
async fn one_address_joins_a_roomful_of_guests_then_waits() {
    let (m, _f) = meeting(&[]).await;
    let mut b = browser_from(&m, [127, 0, 0, 11]);
    for i in 0..60 {
        let (status, page) = join_with(&m, &mut b, &m.code, &format!("Ospite {i}")).await;
        assert_eq!(status, 303, "join {i}: {page:.300}");
    }
    let (status, page) = join_with(&m, &mut b, &m.code, "Ospite di troppo").await;
    assert_eq!(status, 429);
    assert!(
        page.contains("Troppi ingressi come ospite da questa rete: riprova tra 1 minuto."),
        "{page}"
    );
    assert_eq!(guest_count(&m).await, 60);
    // Another address is not held up.
    let (status, _) = join_with(&m, &mut browser_from(&m, [127, 0, 0, 12]), &m.code, "Bruno").await;
    assert_eq!(status, 303);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_guest_is_counted_at_their_own_address() {
    // A venue's proxy (here 127.0.0.1) forwards every guest: without
    // TAVOLO_TRUSTED_PROXIES they would all share the proxy's 60 joins.
    let (m, _f) = meeting_configured(&[], |c| {
        c.trusted_proxies = "127.0.0.1".parse().unwrap();
    })
    .await;
    let via_proxy = |client: &str| browser_forwarded(&m, [127, 0, 0, 1], Some(client));
    // One client behind the proxy uses its 60 joins and waits...
    let mut busy = via_proxy("203.0.113.10");
    for i in 0..60 {
        let (status, page) = join_with(&m, &mut busy, &m.code, &format!("Ospite {i}")).await;
        assert_eq!(status, 303, "join {i}: {page:.300}");
    }
    let (status, _) = join_with(&m, &mut busy, &m.code, "Ospite di troppo").await;
    assert_eq!(status, 429);
    // ...while the next person through the same proxy joins at once.
    let (status, page) = join_with(&m, &mut via_proxy("203.0.113.11"), &m.code, "Bruno").await;
    assert_eq!(status, 303, "{page:.300}");
    assert_eq!(guest_count(&m).await, 61);
}

#[tokio::test]
async fn a_code_admits_at_most_its_guests_whatever_the_addresses() {
    let (m, mut f) = meeting(&[]).await;
    for i in 0..80u8 {
        let mut b = browser_from(&m, [127, 0, 1, 1 + i / 40]);
        let (status, page) = join_with(&m, &mut b, &m.code, &format!("Ospite {i}")).await;
        assert_eq!(status, 303, "join {i}: {page:.300}");
    }
    let mut b = browser_from(&m, [127, 0, 1, 9]);
    let (status, page) = join_with(&m, &mut b, &m.code, "Ospite 81").await;
    assert_eq!(status, 429);
    assert!(
        page.contains("Questo codice ha già fatto entrare il numero massimo di ospiti (80): chiedi a chi conduce di generarne uno nuovo."),
        "{page}"
    );
    assert_eq!(guest_count(&m).await, 80);
    // A new code admits guests again.
    f.ok(json!({"kind": "set_guest_code", "enabled": false}))
        .await;
    f.ok(json!({"kind": "set_guest_code", "enabled": true}))
        .await;
    let code = m
        .app
        .state
        .rooms
        .get(m.id)
        .await
        .unwrap()
        .state()
        .await
        .unwrap()
        .guest_code
        .unwrap();
    assert_ne!(code, m.code);
    let (status, _) = join_with(&m, &mut b, &code, "Ospite 81").await;
    assert_eq!(status, 303);
}

#[tokio::test]
async fn guessing_the_code_locks_the_address_out() {
    let (m, _f) = meeting(&[]).await;
    let mut guesser = browser_from(&m, [127, 0, 2, 1]);
    for i in 0..20 {
        let (status, page) = join_with(&m, &mut guesser, &format!("AAAA{i:06}"), "Ladro").await;
        assert_eq!(status, 422, "guess {i}");
        assert!(page.contains("Codice non valido"), "{page:.300}");
    }
    // Locked out: even the right code is refused now, with nothing recorded.
    let (status, page) = join_with(&m, &mut guesser, &m.code, "Ladro").await;
    assert_eq!(status, 429);
    assert!(
        page.contains("Troppi codici errati da questa rete: riprova tra 1 minuto, o chiedi il codice a chi conduce."),
        "{page}"
    );
    assert_eq!(guest_count(&m).await, 0);
    // Someone else, elsewhere, types the code and joins.
    let (status, _) = join_with(
        &m,
        &mut browser_from(&m, [127, 0, 2, 2]),
        &m.code,
        "Anna Neri",
    )
    .await;
    assert_eq!(status, 303);
}

#[tokio::test]
async fn a_code_expires_after_its_meeting_and_a_session_ends_with_it() {
    // The meeting was yesterday: its code no longer opens the board.
    let app = TestApp::spawn(WorkshopSpec {
        first_meeting: Some((
            (chrono::Utc::now() - chrono::Duration::days(1)).date_naive(),
            chrono::NaiveTime::from_hms_opt(9, 30, 0).unwrap(),
            chrono::NaiveTime::from_hms_opt(12, 30, 0).unwrap(),
        )),
        ..WorkshopSpec::open(SLUG, 5)
    })
    .await;
    let facilitator = app.account_key("facilitator", &[SLUG]).await;
    let id = app.meeting_id(SLUG, "M1-1");
    let mut f = Client::connect(&app.base, id, &facilitator, "f").await;
    f.ok(json!({"kind": "set_guest_code", "enabled": true}))
        .await;
    let code = app
        .state
        .rooms
        .get(id)
        .await
        .unwrap()
        .state()
        .await
        .unwrap()
        .guest_code
        .unwrap();
    let m = Meeting {
        app,
        id,
        facilitator,
        code,
    };
    let (status, page) = join_with(&m, &mut Browser::new(&m.app), &m.code, "Anna Neri").await;
    assert_eq!(status, 422);
    assert!(
        page.contains("Il codice ospite di questo incontro è scaduto: vale fino a due ore dopo la fine dell&#x27;incontro."),
        "{page}"
    );
    assert_eq!(guest_count(&m).await, 0);

    // A meeting happening now: the guest's session ends two hours after it, not in 12 hours.
    let (now, _f) = meeting_now().await;
    let (status, _) = join_with(&now, &mut Browser::new(&now.app), &now.code, "Anna Neri").await;
    assert_eq!(status, 303);
    let expires: i64 =
        sqlx::query_scalar("SELECT expires_at FROM sessions WHERE guest_id IS NOT NULL")
            .fetch_one(&now.app.sql)
            .await
            .unwrap();
    let m = now.app.state.catalogue.meeting(now.id).unwrap();
    let end = tavolo::domain::guest_code::expires_at(m.meeting, m.entry.workshop.timezone);
    // (The store reads its clock a moment after the service computed the session's length.)
    assert!(
        expires <= end.timestamp_millis() + 1_000,
        "the session outlives the code"
    );
    assert!(expires >= end.timestamp_millis() - 5_000);
}

/// A meeting happening now, collecting cards with a guest code.
async fn meeting_now() -> (Meeting, Client) {
    let app = TestApp::spawn(WorkshopSpec::meeting_now(SLUG, 5)).await;
    let facilitator = app.account_key("facilitator", &[SLUG]).await;
    let id = app.meeting_id(SLUG, "M1-1");
    let mut f = Client::connect(&app.base, id, &facilitator, "f").await;
    f.ok(json!({"kind": "set_guest_code", "enabled": true}))
        .await;
    let code = app
        .state
        .rooms
        .get(id)
        .await
        .unwrap()
        .state()
        .await
        .unwrap()
        .guest_code
        .unwrap();
    (
        Meeting {
            app,
            id,
            facilitator,
            code,
        },
        f,
    )
}
