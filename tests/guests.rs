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
    let app = TestApp::spawn(WorkshopSpec {
        ambiti: ambiti.iter().map(|a| a.to_string()).collect(),
        ..WorkshopSpec::open(SLUG, 5)
    })
    .await;
    let facilitator = app.account_key("facilitator", &[SLUG]).await;
    let id = app
        .state
        .catalogue
        .by_slug(SLUG)
        .unwrap()
        .meeting_id("M1-1");
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
