//! Anonymous stays anonymous live: the author of an anonymous card who comments under it is
//! "Anonimo" to every other participant, in the live event and in the board they load, and
//! named only to themselves and the facilitators.

mod common;
#[path = "common/ws.rs"]
mod ws;

use common::{TestApp, WorkshopSpec};
use serde_json::{Value, json};
use ws::Client;

fn comment_authors(welcome: &Value, card: &str) -> Vec<(String, String)> {
    welcome["state"]["cards"][card]["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["author"]["id"].as_str().unwrap().to_string(),
                c["author"]["name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_author_of_an_anonymous_card_comments_under_it_as_anonimo() {
    let app = TestApp::spawn(WorkshopSpec::open("anonimo", 5)).await;
    let (_, maria) = app.enroll_n("anonimo", 1).await;
    let (_, luca) = app.enroll_n("anonimo", 2).await;
    let (maria_id, maria) = (
        maria["id"].as_i64().unwrap(),
        common::personal_token(&maria),
    );
    let luca = common::personal_token(&luca);
    let facilitator = app.account_key("facilitator", &["anonimo"]).await;
    let m = app.meeting_id("anonimo", "M1-1");
    let base = &app.base;
    let mut f = Client::connect(base, m, &facilitator, "f").await;
    f.ok(json!({"kind": "set_phase", "phase": "raccolta"}))
        .await;
    f.ok(json!({"kind": "set_anonymous", "allowed": true}))
        .await;
    let mut author = Client::connect(base, m, &maria, "maria").await;
    let mut other = Client::connect(base, m, &luca, "luca").await;
    author
        .ok(json!({"kind": "add_card", "card_id": "c1", "card_type": "bisogno", "text": "Non lo dico a nome mio", "anonymous": true}))
        .await;
    let s = author
        .ok(json!({"kind": "comment", "card_id": "c1", "comment_id": "k1", "text": "Aggiungo un dettaglio"}))
        .await;

    // Live: the other participant reads "Anonimo"; the facilitator reads the name.
    let seen = other.events_until(s).await;
    let live = seen.last().unwrap();
    assert_eq!(live["event"]["kind"], "commented");
    assert_eq!(live["event"]["text"], "Aggiungo un dettaglio");
    assert_eq!(live["actor"]["id"], "anonimo");
    assert_eq!(live["actor"]["name"], "Anonimo");
    assert!(
        !live.to_string().contains("Persona 1"),
        "the name is nowhere in the frame: {live}"
    );
    let seen = f.events_until(s).await;
    assert_eq!(seen.last().unwrap()["actor"]["name"], "Persona 1");

    // Someone else's comment under the same card stays signed.
    let s = other
        .ok(json!({"kind": "comment", "card_id": "c1", "comment_id": "k2", "text": "Sono d'accordo"}))
        .await;
    let seen = author.events_until(s).await;
    assert_eq!(seen.last().unwrap()["actor"]["name"], "Persona 2");

    // The board each one loads.
    let later = Client::connect(base, m, &luca, "luca2").await;
    assert_eq!(
        comment_authors(&later.welcome, "c1"),
        vec![
            ("anonimo".to_string(), "Anonimo".to_string()),
            (
                later.welcome["you"]["id"].as_str().unwrap().to_string(),
                "Persona 2".to_string()
            ),
        ]
    );
    assert!(!later.welcome.to_string().contains("Persona 1"));
    let own = Client::connect(base, m, &maria, "maria2").await;
    assert_eq!(
        comment_authors(&own.welcome, "c1")[0],
        (format!("e:{maria_id}"), "Persona 1".to_string())
    );
    let staff = Client::connect(base, m, &facilitator, "f2").await;
    assert_eq!(comment_authors(&staff.welcome, "c1")[0].1, "Persona 1");
    assert_eq!(
        staff.welcome["state"]["cards"]["c1"]["comments"][0]["anonymous"],
        true
    );
}
