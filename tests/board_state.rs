//! The board's state over HTTP (`GET /api/v1/meetings/{id}/board`), for clients whose welcome
//! says `load`: the same authentication as the socket, each person's view (nothing hidden or
//! blind leaks), one shared answer per audience and `seq`, tags and 304, gzip when accepted;
//! and the socket around it: events after the loaded state, reconnects without HTTP.

mod common;
#[path = "common/ws.rs"]
mod ws;

use std::io::Read;

use common::{TestApp, WorkshopSpec};
use serde_json::{Value, json};
use ws::{Auth, Client};

struct Room {
    app: TestApp,
    meeting: i64,
    maria: String,
    luca: String,
    anna: String,
    facilitator: String,
}

async fn room() -> Room {
    let app = TestApp::spawn(WorkshopSpec::open("lavagna", 10)).await;
    let (_, a) = app.enroll_n("lavagna", 1).await;
    let (_, b) = app.enroll_n("lavagna", 2).await;
    let (_, c) = app.enroll_n("lavagna", 3).await;
    let facilitator = app.account_key("facilitator", &["lavagna"]).await;
    let meeting = app.meeting_id("lavagna", "M1-1");
    Room {
        meeting,
        maria: common::personal_token(&a),
        luca: common::personal_token(&b),
        anna: common::personal_token(&c),
        facilitator,
        app,
    }
}

fn need(id: &str, text: &str) -> Value {
    json!({"kind": "add_card", "card_id": id, "card_type": "bisogno", "text": text, "policy_area": "Anziani"})
}

/// The facilitator, with the phase «raccolta» open and `cards` cards of theirs on the board:
/// enough (20 × ~200 bytes) for the state not to fit in a welcome.
async fn large_board(r: &Room, cards: usize) -> Client {
    let mut f = Client::connect(&r.app.base, r.meeting, &r.facilitator, "f").await;
    f.ok(json!({"kind": "set_phase", "phase": "raccolta"}))
        .await;
    for i in 0..cards {
        f.ok(need(
            &format!("f{i}"),
            &format!("Contributo {i} del facilitatore: trasporto sociale, pasti a domicilio e compagnia per le persone anziane sole dei Comuni montani del distretto."),
        ))
        .await;
    }
    f
}

async fn get_board(r: &Room, token: Option<&str>, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = r
        .app
        .client
        .get(r.app.url(&format!("/api/v1/meetings/{}/board", r.meeting)));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("a gzip body");
    out
}

#[tokio::test]
async fn the_board_over_http_is_each_persons_view_shared_tagged_and_compressed() {
    let r = room().await;
    let mut f = large_board(&r, 3).await;
    f.ok(json!({"kind": "set_guest_code", "enabled": true}))
        .await;
    let mut maria = Client::connect(&r.app.base, r.meeting, &r.maria, "maria").await;
    maria.ok(need("m1", "Da nascondere")).await;
    f.ok(json!({"kind": "hide", "card_id": "m1", "reason": "fuori tema"}))
        .await;
    f.ok(json!({"kind": "set_blind", "blind": true})).await;
    let seq = maria.ok(need("m2", "Scritto alla cieca")).await;

    // Nobody signed in: nothing.
    assert_eq!(get_board(&r, None, &[]).await.status(), 401);

    // Luca has nothing of his own: the public board, without the hidden card, the blind card
    // or the join code, even when he presents the facilitators' tag.
    let luca = get_board(
        &r,
        Some(&r.luca),
        &[("if-none-match", &format!("\"{seq}-f\""))],
    )
    .await;
    assert_eq!(luca.status(), 200);
    assert_eq!(luca.headers()["etag"], format!("\"{seq}-p\"").as_str());
    assert_eq!(luca.headers()["cache-control"], "no-store");
    assert!(luca.headers().get("content-encoding").is_none());
    let luca_bytes = luca.bytes().await.unwrap();
    let st: Value = serde_json::from_slice(&luca_bytes).unwrap();
    assert_eq!(st["seq"], seq);
    assert!(st["guest_code"].is_null(), "the join code is for staff");
    assert!(
        st["cards"].get("m1").is_none(),
        "a hidden card is not shown"
    );
    assert!(st["cards"].get("m2").is_none(), "a blind card is not shown");
    assert!(st["cards"].get("f0").is_some());
    assert!(!String::from_utf8_lossy(&luca_bytes).contains("Scritto alla cieca"));

    // Anna sees the same board: the very same bytes, and gzip when she accepts it.
    let anna = get_board(&r, Some(&r.anna), &[("accept-encoding", "gzip")]).await;
    assert_eq!(anna.status(), 200);
    assert_eq!(anna.headers()["content-encoding"], "gzip");
    assert_eq!(anna.headers()["etag"], format!("\"{seq}-p\"").as_str());
    let zipped = anna.bytes().await.unwrap();
    assert!(zipped.len() < luca_bytes.len());
    assert_eq!(gunzip(&zipped), luca_bytes.to_vec());

    // Her tag is current: 304, no body. After a new event it is not any more.
    let again = get_board(
        &r,
        Some(&r.anna),
        &[("if-none-match", &format!("\"{seq}-p\""))],
    )
    .await;
    assert_eq!(again.status(), 304);
    assert!(again.bytes().await.unwrap().is_empty());

    // Maria has cards of her own: her view, with her blind card (a hidden card leaves every
    // participant's board, its author's too) and her own tag.
    let res = get_board(&r, Some(&r.maria), &[]).await;
    assert_eq!(res.headers()["etag"], format!("\"{seq}-o\"").as_str());
    let st: Value = res.json().await.unwrap();
    assert_eq!(st["cards"]["m2"]["content"]["text"], "Scritto alla cieca");
    assert!(st["cards"].get("m1").is_none());
    assert!(st["guest_code"].is_null());

    // The facilitator sees everything.
    let res = get_board(&r, Some(&r.facilitator), &[]).await;
    assert_eq!(res.headers()["etag"], format!("\"{seq}-f\"").as_str());
    let st: Value = res.json().await.unwrap();
    assert!(st["guest_code"].as_str().is_some());
    assert!(st["cards"].get("m2").is_some());

    let next = f.ok(need("f9", "Un altro")).await;
    let changed = get_board(
        &r,
        Some(&r.anna),
        &[("if-none-match", &format!("\"{seq}-p\""))],
    )
    .await;
    assert_eq!(changed.status(), 200);
    assert_eq!(changed.headers()["etag"], format!("\"{next}-p\"").as_str());
}

#[tokio::test]
async fn a_participant_of_another_workshop_cannot_read_the_board() {
    let app = TestApp::spawn_with(
        vec![WorkshopSpec::open("alfa", 5), WorkshopSpec::open("beta", 5)],
        None,
    )
    .await;
    let (_, other) = app.enroll_n("beta", 1).await;
    let token = common::personal_token(&other);
    let meeting = app.meeting_id("alfa", "M1-1");
    let res = app
        .client
        .get(app.url(&format!("/api/v1/meetings/{meeting}/board")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("\"error\""));
}

#[tokio::test]
async fn a_welcome_that_says_load_is_followed_by_the_board_and_the_later_events() {
    let r = room().await;
    let mut f = large_board(&r, 20).await;
    let base = &r.app.base;

    // A board this large is not in the welcome: the client loads it (tests/common/ws.rs does
    // as the browser does) and ends with exactly what the room holds.
    let mut luca = Client::connect(base, r.meeting, &r.luca, "luca").await;
    assert_eq!(luca.welcome["load"], true);
    let loaded = luca.welcome["state"].clone();
    assert_eq!(loaded["card_order"].as_array().unwrap().len(), 20);
    assert_eq!(luca.last_seq, loaded["seq"].as_i64().unwrap());

    // Events after the load arrive on the socket, in order from the loaded seq on.
    let mut last = 0;
    for i in 0..5 {
        last = f.ok(need(&format!("g{i}"), &format!("Dopo {i}"))).await;
    }
    let events = luca.events_until(last).await;
    assert_eq!(events.len(), 5);
    assert_eq!(
        events[0]["seq"].as_i64(),
        Some(loaded["seq"].as_i64().unwrap() + 1)
    );
    let mut ids: Vec<String> = loaded["card_order"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    ids.extend(
        events
            .iter()
            .map(|e| e["event"]["card_id"].as_str().unwrap().to_string()),
    );
    let now: Value = get_board(&r, Some(&r.luca), &[])
        .await
        .json()
        .await
        .unwrap();
    let room_ids: Vec<String> = now["card_order"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, room_ids);
    assert_eq!(now["seq"], last);

    // Events written between the welcome and the load are in the loaded state, not doubled:
    // the state loaded after a welcome may be newer than it, and the client skips what it has.
    let mut anna = Client::connect_from(base, r.meeting, Auth::Bearer(&r.anna), "anna", 0).await;
    assert_eq!(anna.welcome["load"], true);
    let s = f.ok(need("h1", "Ancora")).await;
    let seen = anna.events_until(s).await;
    assert_eq!(seen.len(), 1);
}

#[tokio::test]
async fn a_reconnect_after_events_gets_them_on_the_socket_without_loading() {
    let r = room().await;
    let mut f = large_board(&r, 20).await;
    let base = &r.app.base;
    let luca = Client::connect(base, r.meeting, &r.luca, "luca").await;
    assert_eq!(luca.welcome["load"], true);
    let seen = luca.last_seq;
    drop(luca);
    let mut last = 0;
    for i in 0..4 {
        last = f
            .ok(need(&format!("x{i}"), &format!("Mentre era via {i}")))
            .await;
    }
    let mut luca = Client::connect_from(base, r.meeting, Auth::Bearer(&r.luca), "luca", seen).await;
    assert_eq!(
        luca.welcome["load"], false,
        "the missed events follow: nothing to load"
    );
    assert!(luca.welcome["state"].is_null());
    let missed = luca.events_until(last).await;
    assert_eq!(missed.len(), 4);
    assert_eq!(missed[0]["seq"].as_i64(), Some(seen + 1));
}

#[tokio::test]
async fn a_small_board_travels_in_the_welcome() {
    let r = room().await;
    let mut f = Client::connect(&r.app.base, r.meeting, &r.facilitator, "f").await;
    assert_eq!(f.welcome["load"], false);
    assert_eq!(f.welcome["state"]["phase"], "preparazione");
    f.ok(json!({"kind": "set_phase", "phase": "raccolta"}))
        .await;
    let luca = Client::connect(&r.app.base, r.meeting, &r.luca, "luca").await;
    assert_eq!(luca.welcome["load"], false);
    assert_eq!(luca.welcome["state"]["phase"], "raccolta");
}
