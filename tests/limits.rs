//! The board under abuse, over real websockets: one person's operations share one rate however
//! many sockets they open, and their volume stops at the quotas decided on the board's state
//! (the replayed board agrees).

mod common;
#[path = "common/ws.rs"]
mod ws;

use std::time::Duration;

use common::{TestApp, WorkshopSpec};
use serde_json::{Value, json};
use ws::Client;

const SLUG: &str = "limiti";

struct Room {
    app: TestApp,
    meeting: i64,
    maria: String,
    luca: String,
}

async fn room() -> Room {
    let app = TestApp::spawn(WorkshopSpec::open(SLUG, 10)).await;
    let (_, a) = app.enroll_n(SLUG, 1).await;
    let (_, b) = app.enroll_n(SLUG, 2).await;
    let facilitator = app.account_key("facilitator", &[SLUG]).await;
    let meeting = app.meeting_id(SLUG, "M1-1");
    let mut f = Client::connect(&app.base, meeting, &facilitator, "f").await;
    f.ok(json!({"kind": "set_phase", "phase": "raccolta"}))
        .await;
    Room {
        meeting,
        maria: common::personal_token(&a),
        luca: common::personal_token(&b),
        app,
    }
}

fn card(id: &str) -> Value {
    json!({"kind": "add_card", "card_id": id, "card_type": "bisogno", "text": format!("Bisogno {id}")})
}

/// Sends an op and waits for its answer, resending it (same op_id) while it is rate-limited,
/// as the browser does. Returns the final answer.
async fn patiently(c: &mut Client, op_id: &str, op: Value) -> Value {
    for _ in 0..100 {
        c.op_with_id(op_id, op.clone()).await;
        let r = c.reply(op_id).await;
        if r["code"] != "rate_limited" {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    panic!("{op_id}: rate-limited for 15 s");
}

#[tokio::test]
async fn one_person_on_several_sockets_stops_at_their_quota_and_replay_agrees() {
    let r = room().await;
    let mut sockets = Vec::new();
    for i in 0..3 {
        sockets.push(Client::connect(&r.app.base, r.meeting, &r.maria, &format!("maria{i}")).await);
    }
    let (mut acked, mut refusals) = (0, Vec::new());
    for i in 0..110 {
        let c = &mut sockets[i % 3];
        let answer = patiently(c, &format!("flood-{i}"), card(&format!("c{i}"))).await;
        match answer["type"].as_str() {
            Some("ack") => acked += 1,
            _ => refusals.push(answer),
        }
    }
    assert_eq!(acked, 100, "the quota is per person, not per socket");
    assert_eq!(refusals.len(), 10);
    for refusal in &refusals {
        assert_eq!(refusal["code"], "quota", "{refusal}");
        assert_eq!(
            refusal["message"],
            "Hai raggiunto il numero massimo di contributi per questo incontro (100)."
        );
    }
    // Someone else still writes.
    let mut luca = Client::connect(&r.app.base, r.meeting, &r.luca, "luca").await;
    luca.ok(card("luca-1")).await;

    // The live board holds exactly the quota, and replaying the stored events gives it again.
    let room = r.app.state.rooms.get(r.meeting).await.unwrap();
    let live = room.state().await.unwrap();
    let maria_id = sockets[0].welcome["you"]["id"].clone();
    let maria_cards = live
        .cards
        .values()
        .filter(|c| json!(c.author.id) == maria_id)
        .count();
    assert_eq!(maria_cards, 100, "welcome: {}", sockets[0].welcome["you"]);
    assert_eq!(live.cards.len(), 101);
    let m = r.app.state.catalogue.meeting(r.meeting).unwrap();
    let template = m.entry.workshop.board_template(m.meeting).clone();
    let replayed = tavolo::services::room::replay(&r.app.state.store, r.meeting, template)
        .await
        .unwrap();
    assert!(replayed == live, "the replayed board is the live one");
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM board_events WHERE meeting_id = $1")
        .bind(r.meeting)
        .fetch_one(&r.app.sql)
        .await
        .unwrap();
    assert_eq!(stored, live.seq, "no refused operation was stored");
}

#[tokio::test]
async fn one_person_shares_one_operation_rate_across_their_sockets() {
    let r = room().await;
    let mut a = Client::connect(&r.app.base, r.meeting, &r.maria, "maria-a").await;
    let mut b = Client::connect(&r.app.base, r.meeting, &r.maria, "maria-b").await;
    // 25 operations on each socket at once: each within a per-socket budget of 30, together
    // well over the person's.
    let mut ids = Vec::new();
    let started = std::time::Instant::now();
    for i in 0..25 {
        for (c, side) in [(&mut a, "a"), (&mut b, "b")] {
            let id = format!("{side}-{i}");
            c.op_with_id(&id, card(&id)).await;
            ids.push((side, id));
        }
    }
    let (mut acked, mut limited) = (0, 0);
    for (side, id) in &ids {
        let c = if *side == "a" { &mut a } else { &mut b };
        let reply = c.reply(id).await;
        match (reply["type"].as_str(), reply["code"].as_str()) {
            (Some("ack"), _) => acked += 1,
            (_, Some("rate_limited")) => {
                assert_eq!(
                    reply["message"],
                    "Stai inviando troppe operazioni: riprovo tra un attimo."
                );
                limited += 1;
            }
            other => panic!("{id}: {other:?} {reply}"),
        }
    }
    // A burst of 30, plus what refilled (10 per second) while the 50 arrived.
    let refilled = (started.elapsed().as_secs_f64() * 10.0).ceil() as usize;
    assert!(
        acked >= 30 && acked <= 30 + refilled,
        "{acked} acked in {:?}",
        started.elapsed()
    );
    assert!(limited > 0, "two sockets did not double the budget");
    assert_eq!(acked + limited, 50);
    // Another person has a budget of their own.
    let mut luca = Client::connect(&r.app.base, r.meeting, &r.luca, "luca").await;
    for i in 0..5 {
        luca.ok(card(&format!("luca-{i}"))).await;
    }
}
