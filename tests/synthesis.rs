//! The synthesis step over real websockets: a facilitator writes the synthesis of an area,
//! creates an objective linked to a need and an indicator with a line of resources, marks a
//! card; participants see each of them live, comment on the objective, and find all of it when
//! they come back.

mod common;
#[path = "common/ws.rs"]
mod ws;

use common::{TestApp, WorkshopSpec};
use serde_json::{Value, json};
use ws::Client;

struct Room {
    app: TestApp,
    meeting: i64,
    maria: String,
    luca: String,
    facilitator: String,
}

async fn room() -> Room {
    let app = TestApp::spawn(WorkshopSpec::open("sintesi", 10)).await;
    let (_, a) = app.enroll_n("sintesi", 1).await;
    let (_, b) = app.enroll_n("sintesi", 2).await;
    let facilitator = app.account_key("facilitator", &["sintesi"]).await;
    let meeting = app.meeting_id("sintesi", "M1-1");
    Room {
        meeting,
        maria: common::personal_token(&a),
        luca: common::personal_token(&b),
        facilitator,
        app,
    }
}

/// The error frame answering an operation that must be refused.
async fn refusal(c: &mut Client, op: Value) -> Value {
    let id = c.op(op.clone()).await;
    let r = c.reply(&id).await;
    assert_eq!(r["type"], "error", "{op} accepted");
    r
}

fn objective(extra: Value) -> Value {
    let mut o = json!({"title": "Trasporto sociale per gli anziani soli"});
    o.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    json!({"kind": "create_objective", "objective_id": "o1", "objective": o})
}

#[tokio::test]
async fn an_objective_with_links_and_resources_reaches_everyone_live() {
    let r = room().await;
    let base = &r.app.base;
    let mut f = Client::connect(base, r.meeting, &r.facilitator, "f").await;
    let mut maria = Client::connect(base, r.meeting, &r.maria, "maria").await;
    let mut luca = Client::connect(base, r.meeting, &r.luca, "luca").await;

    // Contributions first.
    f.ok(json!({"kind": "set_phase", "phase": "raccolta"}))
        .await;
    maria
        .ok(
            json!({"kind": "add_card", "card_id": "n1", "card_type": "bisogno",
            "text": "Anziani soli senza trasporto", "policy_area": "Anziani"}),
        )
        .await;
    f.ok(
        json!({"kind": "add_card", "card_id": "i1", "card_type": "indicatore",
        "name": "Corse di trasporto sociale al mese"}),
    )
    .await;
    f.ok(
        json!({"kind": "add_card", "card_id": "p1", "card_type": "proposta",
        "title": "Tavolo con le ODV"}),
    )
    .await;

    // Not before the phase «sintesi», never by a participant.
    let links = json!({
        "needs": ["n1"],
        "indicators": ["i1"],
        "actors": ["Comuni dell'Ambito", "Enti del Terzo settore (ETS)"],
        "sovrazonale": true,
        "policy_area": "Anziani",
        "resources": [{"amount_cents": 1_250_000, "fund": "fnps"}],
        "staff": "Un coordinatore",
    });
    let early = refusal(&mut f, objective(links.clone())).await;
    assert_eq!(early["code"], "phase");
    assert!(
        early["message"].as_str().unwrap().contains("Sintesi"),
        "{early}"
    );
    let s = f.ok(json!({"kind": "set_phase", "phase": "sintesi"})).await;
    maria.events_until(s).await;
    assert_eq!(maria.refused(objective(links.clone())).await, "forbidden");

    // Wrong links and wrong amounts are refused with their field and an Italian message.
    let wrong = refusal(&mut f, objective(json!({"needs": ["p1"]}))).await;
    assert_eq!(wrong["code"], "invalid_link");
    assert_eq!(wrong["fields"][0]["field"], "needs");
    assert!(
        wrong["message"]
            .as_str()
            .unwrap()
            .contains("non è un bisogno"),
        "{wrong}"
    );
    for (amount, words) in [
        (json!(-100), "negativo"),
        (json!("dodicimila"), "numero"),
        (json!(1e15), "supera"),
    ] {
        let e = refusal(
            &mut f,
            objective(json!({"resources": [{"amount_cents": amount, "fund": "fnps"}]})),
        )
        .await;
        assert_eq!(e["code"], "invalid", "{amount}");
        assert_eq!(e["fields"][0]["field"], "resources.0.amount_cents");
        assert!(
            e["message"].as_str().unwrap().contains(words),
            "{amount}: {e}"
        );
    }
    let e = refusal(
        &mut f,
        objective(json!({"resources": [{"amount_cents": 100, "fund": "regione"}]})),
    )
    .await;
    assert_eq!(e["fields"][0]["field"], "resources.0.fund");

    // The objective, live on every screen, with its reference number and links.
    let s = f.ok(objective(links)).await;
    let seen = luca.events_until(s).await;
    let event = &seen.last().unwrap()["event"];
    assert_eq!(event["kind"], "objective_created");
    assert_eq!(event["number"], 1);
    assert_eq!(event["objective"]["needs"], json!(["n1"]));
    assert_eq!(event["objective"]["indicators"], json!(["i1"]));
    assert_eq!(
        event["objective"]["resources"],
        json!([{"amount_cents": 1_250_000, "fund": "fnps", "description": null}])
    );
    assert_eq!(event["objective"]["sovrazonale"], true);
    maria.events_until(s).await;

    // Participants comment on it; the synthesis of the area and a marked card follow.
    let s = luca
        .ok(
            json!({"kind": "comment_objective", "objective_id": "o1", "comment_id": "k1",
            "text": "Le ODV hanno due mezzi"}),
        )
        .await;
    let seen = maria.events_until(s).await;
    assert_eq!(seen.last().unwrap()["event"]["kind"], "objective_commented");
    assert_eq!(seen.last().unwrap()["actor"]["name"], "Persona 2");
    f.ok(json!({"kind": "write_synthesis", "policy_area": "Anziani",
        "text": "Il trasporto è la priorità."}))
        .await;
    let s = f
        .ok(
            json!({"kind": "mark_card", "card_id": "p1", "mark": "co_progettazione",
            "note": "Con le ODV"}),
        )
        .await;
    let seen = luca.events_until(s).await;
    assert_eq!(seen.last().unwrap()["event"]["kind"], "card_marked");
    maria.events_until(s).await;

    // Whoever comes back loads all of it.
    let again = Client::connect(base, r.meeting, &r.luca, "luca2").await;
    let state = &again.welcome["state"];
    assert_eq!(
        state["objectives"]["o1"]["content"]["title"],
        "Trasporto sociale per gli anziani soli"
    );
    assert_eq!(
        state["objectives"]["o1"]["comments"][0]["text"],
        "Le ODV hanno due mezzi"
    );
    assert_eq!(state["objective_order"], json!(["o1"]));
    assert_eq!(
        state["syntheses"]["Anziani"]["text"],
        "Il trasporto è la priorità."
    );
    assert_eq!(state["cards"]["p1"]["mark"]["kind"], "co_progettazione");
    assert_eq!(state["cards"]["p1"]["mark"]["note"], "Con le ODV");

    // Removed, the objective leaves the participants' board but not the facilitators'.
    let s = f
        .ok(json!({"kind": "remove_objective", "objective_id": "o1"}))
        .await;
    maria.events_until(s).await;
    let back = Client::connect(base, r.meeting, &r.maria, "maria2").await;
    assert!(back.welcome["state"]["objectives"]["o1"].is_null());
    let staff = Client::connect(base, r.meeting, &r.facilitator, "f2").await;
    assert_eq!(
        staff.welcome["state"]["objectives"]["o1"]["state"]["state"],
        "removed"
    );
}
