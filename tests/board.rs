//! The live board over real websockets: sharing, phases, budgets, moderation, and the promise
//! that nothing acknowledged is lost and nothing is applied twice.

mod common;
#[path = "common/ws.rs"]
mod ws;

use common::{Browser, TestApp, WorkshopSpec};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use ws::{Auth, Client};

/// A workshop, its first meeting, two confirmed participants and a facilitator.
struct Room {
    app: TestApp,
    meeting: i64,
    maria: String,
    luca: String,
    facilitator: String,
}

async fn room() -> Room {
    let app = TestApp::spawn(WorkshopSpec::open("lavagna", 10)).await;
    let (_, a) = app.enroll_n("lavagna", 1).await;
    let (_, b) = app.enroll_n("lavagna", 2).await;
    let facilitator = app.account_key("facilitator", &["lavagna"]).await;
    let meeting = app.meeting_id("lavagna", "M1-1");
    Room {
        meeting,
        maria: common::personal_token(&a),
        luca: common::personal_token(&b),
        facilitator,
        app,
    }
}

/// The facilitator connected, with the phase «raccolta» open.
async fn facilitator_collecting(r: &Room) -> Client {
    let mut f = Client::connect(&r.app.base, r.meeting, &r.facilitator, "f").await;
    f.ok(json!({"kind": "set_phase", "phase": "raccolta"}))
        .await;
    f
}

/// `GET /api/v1/meetings/{id}/presence` as the person with `token`, if any.
async fn presence_of(r: &Room, token: Option<&str>) -> reqwest::Response {
    let url = r
        .app
        .url(&format!("/api/v1/meetings/{}/presence", r.meeting));
    let req = r.app.client.get(&url);
    let req = match token {
        Some(t) => req.bearer_auth(t),
        None => req,
    };
    req.send().await.unwrap()
}

fn need(id: &str, text: &str) -> Value {
    json!({"kind": "add_card", "card_id": id, "card_type": "bisogno", "text": text, "policy_area": "Anziani"})
}

#[tokio::test]
async fn two_participants_and_a_facilitator_share_one_board() {
    let r = room().await;
    let base = &r.app.base;
    let mut f = Client::connect(base, r.meeting, &r.facilitator, "f").await;
    let mut maria = Client::connect(base, r.meeting, &r.maria, "maria").await;
    let mut luca = Client::connect(base, r.meeting, &r.luca, "luca").await;
    assert_eq!(maria.welcome["you"]["name"], "Persona 1");
    assert_eq!(maria.welcome["state"]["phase"], "preparazione");
    assert_eq!(f.welcome["you"]["is_facilitator"], true);

    // Preparation: participants wait; the facilitator opens the collection.
    assert_eq!(maria.refused(need("c1", "Solitudine")).await, "phase");
    let s = f
        .ok(json!({"kind": "set_phase", "phase": "raccolta"}))
        .await;
    maria.events_until(s).await;
    luca.events_until(s).await;

    // A card added by Maria reaches Luca and the facilitator with its text verbatim.
    let text = "Anziani soli nei Comuni montani: <b>nessun</b> trasporto & \"servizi\" ✓";
    let s = maria.ok(need("c1", text)).await;
    let seen = luca.events_until(s).await;
    assert_eq!(seen.last().unwrap()["event"]["content"]["text"], text);
    assert_eq!(
        seen.last().unwrap()["actor"]["organisation"],
        "Comune di Bergamo"
    );
    f.events_until(s).await;

    // Only the author edits; edits reach everyone.
    assert_eq!(
        luca.refused(
            json!({"kind": "edit_card", "card_id": "c1", "card_type": "bisogno", "text": "no"})
        )
        .await,
        "not_author"
    );
    let s = maria.ok(json!({"kind": "edit_card", "card_id": "c1", "card_type": "bisogno", "text": "Anziani soli"})).await;
    assert_eq!(
        luca.events_until(s).await.last().unwrap()["event"]["content"]["text"],
        "Anziani soli"
    );
    luca.ok(need("c2", "Caregiver familiari")).await;

    // Voting: within the budget, not beyond, not in the wrong phase.
    assert_eq!(
        maria
            .refused(json!({"kind": "vote", "card_id": "c1"}))
            .await,
        "phase"
    );
    f.ok(json!({"kind": "set_phase", "phase": "voto"})).await;
    f.ok(json!({"kind": "set_vote_budget", "phase": "voto", "budget": 2}))
        .await;
    maria.ok(json!({"kind": "vote", "card_id": "c1"})).await;
    maria.ok(json!({"kind": "vote", "card_id": "c2"})).await;
    assert_eq!(
        maria
            .refused(json!({"kind": "vote", "card_id": "c2"}))
            .await,
        "budget"
    );
    assert_eq!(maria.refused(need("c3", "troppo tardi")).await, "phase");
    maria.ok(json!({"kind": "unvote", "card_id": "c2"})).await;
    let s = maria.ok(json!({"kind": "vote", "card_id": "c1"})).await;
    // Luca sees the votes counted, not who cast them.
    let last = luca.events_until(s).await.pop().unwrap();
    assert_eq!(last["event"]["kind"], "voted");
    assert_eq!(last["actor"]["id"], "*");

    // Moderation, grouping and the timer, visible to all.
    f.ok(json!({"kind": "set_phase", "phase": "raggruppamento"}))
        .await;
    f.ok(json!({"kind": "create_group", "group_id": "g1", "title": "Domiciliarità", "column": "bisogno"})).await;
    f.ok(json!({"kind": "group", "card_id": "c1", "group_id": "g1"}))
        .await;
    f.ok(json!({"kind": "timer", "action": "start", "seconds": 300}))
        .await;
    let s = f
        .ok(json!({"kind": "hide", "card_id": "c2", "reason": "Fuori tema"}))
        .await;
    // Its author (Luca) reads why; the others see it leave, and the reason stays with them.
    let last = luca.events_until(s).await.pop().unwrap();
    assert_eq!(
        last["event"],
        json!({"kind": "card_hidden", "card_id": "c2", "reason": "Fuori tema"}),
        "the author is told why"
    );
    let last = maria.events_until(s).await.pop().unwrap();
    assert_eq!(
        last["event"],
        json!({"kind": "card_removed", "card_id": "c2"}),
        "the reason stays with facilitators and the author"
    );
    assert_eq!(
        f.events_until(s).await.pop().unwrap()["event"]["reason"],
        "Fuori tema"
    );

    // A fresh connection sees the fold of it all.
    let late = Client::connect(base, r.meeting, &r.luca, "late").await;
    let st = &late.welcome["state"];
    assert_eq!(st["phase"], "raggruppamento");
    assert_eq!(st["cards"]["c1"]["group"], "g1");
    assert_eq!(st["cards"]["c1"]["votes"]["*"], 2);
    assert!(
        st["cards"].get("c2").is_none(),
        "hidden cards are not sent to participants"
    );
    assert_eq!(st["timer"]["state"], "running");
}

#[tokio::test]
async fn a_participant_cannot_moderate() {
    let r = room().await;
    let mut f = Client::connect(&r.app.base, r.meeting, &r.facilitator, "f").await;
    let mut maria = Client::connect(&r.app.base, r.meeting, &r.maria, "maria").await;
    f.ok(json!({"kind": "set_phase", "phase": "raccolta"}))
        .await;
    maria.ok(need("c1", "x")).await;
    for op in [
        json!({"kind": "set_phase", "phase": "voto"}),
        json!({"kind": "lock", "locked": true}),
        json!({"kind": "hide", "card_id": "c1", "reason": "no"}),
        json!({"kind": "merge", "into": "c1", "cards": ["c1"]}),
        json!({"kind": "create_group", "group_id": "g", "title": "t", "column": "bisogno"}),
        json!({"kind": "move", "card_id": "c1", "column": "proposta"}),
        json!({"kind": "reveal"}),
        json!({"kind": "timer", "action": "start", "seconds": 60}),
        json!({"kind": "spotlight", "card_id": "c1"}),
        json!({"kind": "set_guest_code", "enabled": true}),
    ] {
        assert_eq!(maria.refused(op.clone()).await, "forbidden", "{op}");
    }
}

#[tokio::test]
async fn blind_cards_stay_hidden_until_revealed_and_merge_keeps_one() {
    let r = room().await;
    let base = &r.app.base;
    let mut f = Client::connect(base, r.meeting, &r.facilitator, "f").await;
    let mut maria = Client::connect(base, r.meeting, &r.maria, "maria").await;
    let mut luca = Client::connect(base, r.meeting, &r.luca, "luca").await;
    f.ok(json!({"kind": "set_phase", "phase": "raccolta"}))
        .await;
    f.ok(json!({"kind": "set_blind", "blind": true})).await;
    maria.ok(need("c1", "Casa")).await;
    let s = luca.ok(need("c2", "Casa popolare")).await;
    let seen = luca.events_until(s).await;
    let maria_card = &seen[seen.len() - 2];
    assert_eq!(
        maria_card["event"],
        json!({"kind": "redacted"}),
        "Luca cannot read Maria's blind card"
    );
    assert_eq!(
        seen.last().unwrap()["event"]["content"]["text"],
        "Casa popolare",
        "his own card comes in full"
    );
    let s = f.ok(json!({"kind": "reveal"})).await;
    let revealed = luca.events_until(s).await.pop().unwrap();
    assert_eq!(revealed["event"]["kind"], "cards_revealed");
    assert_eq!(revealed["event"]["cards"].as_array().unwrap().len(), 2);
    let s = f
        .ok(json!({"kind": "merge", "into": "c1", "cards": ["c2"]}))
        .await;
    maria.events_until(s).await;
    let again = Client::connect(base, r.meeting, &r.maria, "maria2").await;
    let st = &again.welcome["state"];
    assert_eq!(st["cards"]["c1"]["merged"], json!(["c2"]));
    assert!(st["cards"].get("c2").is_none() || st["cards"]["c2"]["state"]["state"] == "merged");
}

#[tokio::test]
async fn the_same_op_id_twice_gives_one_event_and_the_same_seq() {
    let r = room().await;
    let _f = facilitator_collecting(&r).await;
    let mut maria = Client::connect(&r.app.base, r.meeting, &r.maria, "maria").await;
    maria
        .op_with_id("op-unico", need("c1", "Una volta sola"))
        .await;
    let first = maria.reply("op-unico").await;
    maria
        .op_with_id("op-unico", need("c1", "Una volta sola"))
        .await;
    let second = maria.reply("op-unico").await;
    assert_eq!(first["type"], "ack");
    assert_eq!(first, second);
    // Even from another connection after a reconnect.
    let mut again = Client::connect(&r.app.base, r.meeting, &r.maria, "maria-bis").await;
    again
        .op_with_id("op-unico", need("c1", "Una volta sola"))
        .await;
    assert_eq!(again.reply("op-unico").await["seq"], first["seq"]);
    assert_eq!(
        r.app
            .count("SELECT COUNT(*) FROM board_events WHERE kind = 'card_added'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_reconnect_with_last_seq_receives_exactly_the_missed_events() {
    let r = room().await;
    let base = &r.app.base;
    let _f = facilitator_collecting(&r).await;
    let luca = Client::connect(base, r.meeting, &r.luca, "luca").await;
    let seen = luca.last_seq;
    drop(luca);
    let mut maria = Client::connect(base, r.meeting, &r.maria, "maria").await;
    let mut last = 0;
    for i in 0..7 {
        last = maria
            .ok(need(&format!("m{i}"), &format!("Bisogno {i}")))
            .await;
    }
    let mut luca = Client::connect_from(base, r.meeting, Auth::Bearer(&r.luca), "luca", seen).await;
    assert!(luca.welcome["state"].is_null(), "no snapshot needed");
    let missed = luca.events_until(last).await;
    assert_eq!(missed.len(), 7);
    let texts: Vec<_> = missed
        .iter()
        .map(|e| e["event"]["content"]["text"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        texts,
        (0..7).map(|i| format!("Bisogno {i}")).collect::<Vec<_>>()
    );
    // Nothing more arrives: the next event is the next new one.
    let s = maria.ok(need("m7", "Dopo")).await;
    assert_eq!(luca.event().await["seq"], s);
}

#[tokio::test]
async fn a_server_restart_loses_no_acknowledged_operation() {
    let r = room().await;
    let f = facilitator_collecting(&r).await;
    let mut maria = Client::connect(&r.app.base, r.meeting, &r.maria, "maria").await;
    let mut acked = Vec::new();
    for i in 0..20 {
        let id = format!("r{i}");
        maria.ok(need(&id, &format!("Prima del riavvio {i}"))).await;
        acked.push(id);
    }
    drop(maria);
    drop(f);
    let Room {
        app,
        meeting,
        maria: token,
        ..
    } = r;
    let app = app.restart().await;
    let maria = Client::connect(&app.base, meeting, &token, "maria").await;
    let cards = maria.welcome["state"]["cards"].as_object().unwrap();
    for id in &acked {
        assert!(cards.contains_key(id), "{id} lost in the restart");
    }
    assert_eq!(maria.welcome["state"]["phase"], "raccolta");
}

#[tokio::test]
async fn a_foreign_origin_is_refused_before_the_upgrade() {
    let r = room().await;
    let mut b = Browser::new(&r.app);
    let manage = format!("/iscrizione/{}", r.maria);
    b.get(&manage).await;
    let cookie: String = b
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let err = ws::open(
        &r.app.base,
        r.meeting,
        Auth::Cookie {
            cookie: &cookie,
            origin: "https://evil.example",
        },
        "",
    )
    .await
    .unwrap_err();
    match err {
        tokio_tungstenite::tungstenite::Error::Http(res) => assert_eq!(res.status(), 403),
        e => panic!("expected an HTTP refusal, got {e}"),
    }
    // The right origin with the same cookie works.
    let c = Client::connect_from(
        &r.app.base,
        r.meeting,
        Auth::Cookie {
            cookie: &cookie,
            origin: &r.app.base,
        },
        "maria",
        0,
    )
    .await;
    assert_eq!(c.welcome["you"]["name"], "Persona 1");
    // No identity at all: refused.
    let err = ws::open(
        &r.app.base,
        r.meeting,
        Auth::Cookie {
            cookie: "x=y",
            origin: &r.app.base,
        },
        "",
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, tokio_tungstenite::tungstenite::Error::Http(ref res) if res.status() == 401),
        "{err}"
    );
}

#[tokio::test]
async fn an_oversized_message_is_closed_with_1009() {
    let r = room().await;
    let mut maria = Client::connect(&r.app.base, r.meeting, &r.maria, "maria").await;
    let big = "x".repeat(70 * 1024);
    maria.ws.send(Message::text(json!({"type": "op", "op_id": "big", "op": {"kind": "add_card", "card_id": "b", "card_type": "bisogno", "text": big}}).to_string())).await.unwrap();
    loop {
        match tokio::time::timeout(std::time::Duration::from_secs(5), maria.ws.next())
            .await
            .unwrap()
        {
            Some(Ok(Message::Close(Some(frame)))) => {
                assert_eq!(u16::from(frame.code), 1009);
                break;
            }
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame 1009, got {other:?}"),
        }
    }
    assert_eq!(r.app.count("SELECT COUNT(*) FROM board_events").await, 0);
}

#[tokio::test]
async fn logout_closes_the_persons_sockets() {
    let r = room().await;
    let store = &r.app.state.store;
    let id = tavolo::store::accounts::create(
        store,
        "cond@example.it",
        "Conduttrice",
        "facilitator",
        Some(&tavolo::services::accounts::hash_password(
            "password lunga e sicura",
        )),
    )
    .await
    .unwrap();
    let w = r.app.state.catalogue.by_slug("lavagna").unwrap().id;
    tavolo::store::accounts::assign_workshop(store, id, w)
        .await
        .unwrap();
    let mut b = Browser::new(&r.app);
    let (status, _, _) = b
        .post(
            "/accedi",
            &[
                ("email", "cond@example.it"),
                ("password", "password lunga e sicura"),
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
    let mut c = Client::connect_from(
        &r.app.base,
        r.meeting,
        Auth::Cookie {
            cookie: &cookie,
            origin: &r.app.base,
        },
        "f",
        0,
    )
    .await;
    assert_eq!(c.welcome["you"]["is_facilitator"], true);
    b.post("/esci", &[]).await;
    loop {
        match tokio::time::timeout(std::time::Duration::from_secs(5), c.ws.next())
            .await
            .unwrap()
        {
            Some(Ok(Message::Close(Some(frame)))) => {
                assert_eq!(u16::from(frame.code), 4001);
                break;
            }
            Some(Ok(_)) => continue,
            other => panic!("expected the socket closed, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn cards_are_carried_over_from_an_earlier_meeting() {
    let r = room().await;
    let entry = r.app.state.catalogue.by_slug("lavagna").unwrap().clone();
    let (first, second) = (entry.meeting_id("M1-1"), entry.meeting_id("M1-2"));
    let mut f1 = Client::connect(&r.app.base, first, &r.facilitator, "f1").await;
    let mut maria = Client::connect(&r.app.base, first, &r.maria, "maria").await;
    f1.ok(json!({"kind": "set_phase", "phase": "raccolta"}))
        .await;
    maria.ok(need("c1", "Da riprendere")).await;
    let mut f2 = Client::connect(&r.app.base, second, &r.facilitator, "f2").await;
    // Participants cannot; facilitators bring cards of an earlier meeting, by id.
    let mut maria2 = Client::connect(&r.app.base, second, &r.maria, "maria2").await;
    assert_eq!(
        maria2
            .refused(json!({"kind": "carry_over", "from_meeting": first, "cards": ["c1"]}))
            .await,
        "forbidden"
    );
    f2.ok(json!({"kind": "carry_over", "from_meeting": first, "cards": ["c1"]}))
        .await;
    let later = Client::connect(&r.app.base, second, &r.luca, "luca").await;
    let cards = later.welcome["state"]["cards"].as_object().unwrap();
    let card = cards.values().next().unwrap();
    assert_eq!(card["content"]["text"], "Da riprendere");
    assert_eq!(card["author"]["name"], "Persona 1", "the author is kept");
    assert_eq!(card["carried_from"]["meeting"], first);
    assert_eq!(card["carried_from"]["card"], "c1");
    assert_eq!(
        card["carried_from"]["reference"], "M1-1/B01",
        "the card it came from, by its reference"
    );
    assert_eq!(card["number"], 1, "and a number of its own in this meeting");
    // Not from a later meeting, not unknown cards.
    assert_eq!(
        f1.refused(json!({"kind": "carry_over", "from_meeting": second, "cards": ["c1"]}))
            .await,
        "invalid"
    );
    assert_eq!(
        f2.refused(json!({"kind": "carry_over", "from_meeting": first, "cards": ["nessuna"]}))
            .await,
        "invalid"
    );
}

#[tokio::test]
async fn a_sixth_window_of_the_same_person_is_closed_with_4002() {
    let r = room().await;
    let mut open = Vec::new();
    for i in 0..5 {
        open.push(Client::connect(&r.app.base, r.meeting, &r.maria, &format!("m{i}")).await);
    }
    let mut sixth = ws::open(&r.app.base, r.meeting, Auth::Bearer(&r.maria), "")
        .await
        .unwrap();
    match tokio::time::timeout(std::time::Duration::from_secs(5), sixth.next())
        .await
        .unwrap()
    {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(u16::from(frame.code), 4002),
        other => panic!("expected close 4002, got {other:?}"),
    }
    drop(open.pop());
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    Client::connect(&r.app.base, r.meeting, &r.maria, "again").await;
}

#[tokio::test]
async fn an_ambito_referent_finds_the_drafts_of_their_ambito_from_the_board() {
    let r = room().await;
    let mut b = Browser::new(&r.app);
    b.get(&format!("/iscrizione/{}", r.maria)).await;
    let (status, page, _) = b.get(&format!("/incontri/{}", r.meeting)).await;
    assert_eq!(status, 200);
    assert!(
        page.contains(&format!("/incontri/{}/esporta", r.meeting)),
        "export link on the board"
    );
    assert!(
        page.contains("Ambito di Bergamo</a>"),
        "named after the Ambito: {}",
        &page[page.find("esporta").unwrap_or(0)..][..200]
    );
    let (status, _, _) = b.get(&format!("/incontri/{}/esporta", r.meeting)).await;
    assert_eq!(status, 200);
}

/// The names of the people in a presence list.
fn names(p: &Value) -> Vec<String> {
    p["people"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| x["name"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn presence_names_people_to_facilitators_and_counts_them_for_participants() {
    let r = room().await;
    let base = &r.app.base;
    let mut f = Client::connect(base, r.meeting, &r.facilitator, "f").await;
    let mut maria = Client::connect(base, r.meeting, &r.maria, "maria").await;
    let _luca = Client::connect(base, r.meeting, &r.luca, "luca").await;
    // Presence goes out at most twice a second: wait for the frame that counts all three.
    let p = loop {
        let p = maria.next_of("presence").await;
        if p["count"] == 3 {
            break p;
        }
    };
    assert!(
        p.get("people").is_none(),
        "participants receive the count only: {p}"
    );
    let p = loop {
        let p = f.next_of("presence").await;
        if p["count"] == 3 {
            break p;
        }
    };
    let listed = names(&p);
    assert!(
        listed.contains(&"Persona 1".to_string()) && listed.contains(&"Persona 2".to_string()),
        "{listed:?}"
    );

    // Participants read the list when they open it; nobody else may.
    let res = presence_of(&r, Some(&r.maria)).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["count"], 3);
    assert_eq!(names(&body).len(), 3);
    assert!(names(&body).contains(&"Persona 2".to_string()));
    let res = presence_of(&r, None).await;
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn each_welcome_shows_the_board_as_that_person_may_see_it() {
    let r = room().await;
    let base = &r.app.base;
    let mut f = facilitator_collecting(&r).await;
    f.ok(json!({"kind": "set_guest_code", "enabled": true}))
        .await;
    let mut maria = Client::connect(base, r.meeting, &r.maria, "maria").await;
    let maria_id = maria.welcome["you"]["id"].as_str().unwrap().to_string();
    maria.ok(need("c1", "Casa")).await;
    f.ok(json!({"kind": "set_phase", "phase": "voto"})).await;
    maria.ok(json!({"kind": "vote", "card_id": "c1"})).await;

    // Luca has nothing of his own: he sees the public board, votes counted, no join code;
    // two of his connections receive the same board.
    let luca1 = Client::connect(base, r.meeting, &r.luca, "luca1").await;
    let luca2 = Client::connect(base, r.meeting, &r.luca, "luca2").await;
    let st = &luca1.welcome["state"];
    assert_eq!(st, &luca2.welcome["state"]);
    assert!(st["guest_code"].is_null(), "the join code is for staff");
    assert_eq!(st["cards"]["c1"]["votes"], json!({"*": 1}));
    assert!(st["spent"]["voto"].get(&maria_id).is_none());

    // Maria sees her own vote and what she has spent.
    let maria2 = Client::connect(base, r.meeting, &r.maria, "maria2").await;
    let st = &maria2.welcome["state"];
    assert_eq!(st["cards"]["c1"]["votes"][&maria_id], 1);
    assert_eq!(st["spent"]["voto"][&maria_id], 1);
    assert!(st["guest_code"].is_null());

    // Facilitators see everything, the join code included.
    let f2 = Client::connect(base, r.meeting, &r.facilitator, "f2").await;
    let st = &f2.welcome["state"];
    assert!(st["guest_code"].as_str().is_some_and(|c| c.len() == 10));
    assert_eq!(st["cards"]["c1"]["votes"][&maria_id], 1);

    // A later event shows in the next welcome (nothing stale is served).
    f.ok(need("c2", "Trasporti")).await;
    let luca3 = Client::connect(base, r.meeting, &r.luca, "luca3").await;
    assert!(luca3.welcome["state"]["cards"].get("c2").is_some());
    assert_eq!(
        luca3.welcome["seq"].as_i64(),
        luca3.welcome["state"]["seq"].as_i64()
    );
}

#[tokio::test]
async fn a_failed_commit_writes_nothing_and_the_board_goes_on() {
    let r = room().await;
    let base = &r.app.base;
    let mut f = facilitator_collecting(&r).await;
    let mut maria = Client::connect(base, r.meeting, &r.maria, "maria").await;
    let first = maria.ok(need("c1", "Prima")).await;

    // The database refuses one write (a trigger standing in for a full disk).
    let pool = &r.app.sql;
    let statements: &[&str] = if r.app.db.is_postgres() {
        &[
            "CREATE FUNCTION guasto() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             IF NEW.payload LIKE '%GUASTO%' THEN RAISE EXCEPTION 'disco pieno'; END IF; \
             RETURN NEW; END $$",
            "CREATE TRIGGER guasto BEFORE INSERT ON board_events FOR EACH ROW \
             EXECUTE FUNCTION guasto()",
        ]
    } else {
        &["CREATE TRIGGER guasto BEFORE INSERT ON board_events \
           WHEN NEW.payload LIKE '%GUASTO%' BEGIN SELECT RAISE(ABORT, 'disco pieno'); END"]
    };
    for sql in statements {
        sqlx::query(*sql).execute(pool).await.unwrap();
    }
    let failed = maria.op(need("c2", "GUASTO")).await;
    let reply = maria.reply(&failed).await;
    assert_eq!(reply["type"], "error", "{reply}");
    assert_eq!(reply["code"], "unavailable");

    // Nothing of it stays: the next card takes the next seq and nobody ever sees c2.
    let next = maria.ok(need("c3", "Dopo")).await;
    assert_eq!(next, first + 1);
    let seen = f.events_until(next).await;
    assert!(seen.iter().all(|e| e["event"]["card_id"] != "c2"));
    let late = Client::connect(base, r.meeting, &r.luca, "luca").await;
    let cards = late.welcome["state"]["cards"].as_object().unwrap();
    assert!(cards.contains_key("c1") && cards.contains_key("c3"));
    assert!(!cards.contains_key("c2"));
    assert_eq!(
        r.app
            .count(&format!(
                "SELECT COUNT(*) FROM board_events WHERE op_id = '{failed}'"
            ))
            .await,
        0
    );
}

#[tokio::test]
async fn a_connection_that_stops_reading_is_dropped_and_catches_up_on_return() {
    let r = room().await;
    let base = &r.app.base;
    let mut f = facilitator_collecting(&r).await;
    let _maria = Client::connect(base, r.meeting, &r.maria, "maria").await;

    // Luca's phone: a tiny receive buffer, reads its welcome and then nothing more.
    let addr: std::net::SocketAddr = base.trim_start_matches("http://").parse().unwrap();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(addr).await.unwrap();
    let mut req = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
        format!("ws://{addr}/ws/meetings/{}", r.meeting),
    )
    .unwrap();
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {}", r.luca).parse().unwrap(),
    );
    let (mut asleep, _) = tokio_tungstenite::client_async(req, stream).await.unwrap();
    asleep
        .send(Message::text(
            json!({"type": "hello", "last_seq": 0}).to_string(),
        ))
        .await
        .unwrap();
    let welcome: Value = loop {
        let Some(Ok(Message::Text(t))) = asleep.next().await else {
            panic!("no welcome")
        };
        let v: Value = serde_json::from_str(&t).unwrap();
        if v["type"] == "welcome" {
            break v;
        }
    };
    let asleep_seq = welcome["seq"].as_i64().unwrap();

    // The others keep writing long cards until the server gives up on Luca's socket: his
    // presence goes (the server closed it) within the send timeout, and nothing else stops.
    // Two facilitators write them: a participant would stop at their quota of text.
    let key = r.app.account_key("facilitator", &["lavagna"]).await;
    let mut f2 = Client::connect(base, r.meeting, &key, "f2").await;
    let luca_present = || async {
        let body: Value = presence_of(&r, Some(&r.maria)).await.json().await.unwrap();
        names(&body).contains(&"Persona 2".to_string())
    };
    assert!(luca_present().await);
    let long = "Servizi di prossimità per anziani soli. ".repeat(220);
    let started = std::time::Instant::now();
    let mut n = 0;
    let mut last = 0;
    while luca_present().await {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(40),
            "a socket nobody reads is still served after {n} long cards"
        );
        for writer in [&mut f, &mut f2] {
            let mut ids = Vec::new();
            for _ in 0..8 {
                n += 1;
                ids.push(writer.op(need(&format!("k{n}"), &long)).await);
            }
            for id in ids {
                let reply = writer.reply(&id).await;
                assert_eq!(reply["type"], "ack", "{reply}");
                last = last.max(reply["seq"].as_i64().unwrap());
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    }
    drop(asleep);

    // Back online, Luca asks for what he missed and receives every event, in order.
    let mut luca =
        Client::connect_from(base, r.meeting, Auth::Bearer(&r.luca), "luca", asleep_seq).await;
    let missed = luca.events_until(last).await;
    assert_eq!(missed.len() as i64, last - asleep_seq);
    assert_eq!(missed.last().unwrap()["seq"], last);
}

#[tokio::test]
async fn a_graceful_shutdown_tells_every_board_to_reconnect() {
    let mut r = room().await;
    let mut f = facilitator_collecting(&r).await;
    let mut maria = Client::connect(&r.app.base, r.meeting, &r.maria, "maria").await;
    let started = std::time::Instant::now();
    r.app.state.shutdown.cancel();
    for c in [&mut f, &mut maria] {
        let code = loop {
            match tokio::time::timeout(std::time::Duration::from_secs(5), c.ws.next()).await {
                Ok(Some(Ok(Message::Close(Some(frame))))) => break u16::from(frame.code),
                Ok(Some(Ok(_))) => continue,
                other => panic!("no close frame: {other:?}"),
            }
        };
        assert_eq!(code, 1001, "a restart is a pause: the client reconnects");
    }
    r.app.stop().await;
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

/// A board is opened only for a meeting of the catalogue: any other id is "not found", never an
/// internal error, also for a websocket.
#[tokio::test]
async fn an_unknown_meeting_has_no_room() {
    let r = room().await;
    let unknown = r.meeting + 10_000;
    assert!(matches!(
        r.app.state.rooms.get(unknown).await,
        Err(tavolo::services::room::RoomError::UnknownMeeting)
    ));
    let url = r
        .app
        .url(&format!("/ws/meetings/{unknown}"))
        .replacen("http", "ws", 1);
    let mut request =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url)
            .unwrap();
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {}", r.facilitator).parse().unwrap(),
    );
    match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
            assert_eq!(res.status(), 404)
        }
        other => panic!("expected a 404, got {:?}", other.map(|(_, r)| r.status())),
    }
}

/// Hidden vote totals are kept from participants, not only off their screens: others' votes
/// reach them as `redacted` and their loaded board holds only their own; shown again (or the
/// vote closed), one frame brings every total, and hiding them again takes them away.
#[tokio::test]
async fn hidden_vote_totals_never_reach_participants_until_shown() {
    let r = room().await;
    let mut f = facilitator_collecting(&r).await;
    f.ok(need("c1", "Trasporto per le visite mediche")).await;
    let mut maria = Client::connect(&r.app.base, r.meeting, &r.maria, "maria").await;
    let mut luca = Client::connect(&r.app.base, r.meeting, &r.luca, "luca").await;
    f.ok(json!({"kind": "set_phase", "phase": "voto"})).await;
    let hidden = f
        .ok(json!({"kind": "set_votes_hidden", "hidden": true}))
        .await;
    let hiding = luca.events_until(hidden).await;
    assert_eq!(hiding.last().unwrap()["totals"], json!({}), "{hiding:?}");

    // Maria votes twice, the facilitator once: Luca learns only that something happened.
    for _ in 0..2 {
        maria.ok(json!({"kind": "vote", "card_id": "c1"})).await;
    }
    let last = f.ok(json!({"kind": "vote", "card_id": "c1"})).await;
    for e in luca.events_until(last).await {
        assert_eq!(e["event"], json!({"kind": "redacted"}), "{e}");
    }
    // Maria sees her own votes, nobody else's; Luca's board as loaded holds no count.
    let own = maria.events_until(last).await;
    assert_eq!(
        own.iter().filter(|e| e["event"]["kind"] == "voted").count(),
        2
    );
    let auth = |t: &str| ("authorization", format!("Bearer {t}"));
    let maria_state = ws::load_state(&r.app.base, r.meeting, auth(&r.maria), last).await;
    let votes = &maria_state["cards"]["c1"]["votes"];
    assert_eq!(votes.as_object().unwrap().len(), 1, "{votes}");
    assert_eq!(votes.as_object().unwrap().values().next(), Some(&json!(2)));
    let luca_state = ws::load_state(&r.app.base, r.meeting, auth(&r.luca), last).await;
    assert_eq!(luca_state["cards"]["c1"]["votes"], json!({}));
    let facilitator_state =
        ws::load_state(&r.app.base, r.meeting, auth(&r.facilitator), last).await;
    let all: i64 = facilitator_state["cards"]["c1"]["votes"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_i64().unwrap())
        .sum();
    assert_eq!(all, 3, "facilitators always see the totals");

    // Shown: one frame carries every total the public may see.
    let shown = f
        .ok(json!({"kind": "set_votes_hidden", "hidden": false}))
        .await;
    let frame = luca.events_until(shown).await.pop().unwrap();
    assert_eq!(frame["event"]["kind"], "votes_hidden_set");
    assert_eq!(frame["totals"], json!({"c1": 3}));
    let frame = maria.events_until(shown).await.pop().unwrap();
    assert_eq!(frame["totals"], json!({"c1": 3}));
    // From now on votes are counted live again, and the loaded board agrees.
    let seq = luca.ok(json!({"kind": "vote", "card_id": "c1"})).await;
    let e = maria.events_until(seq).await.pop().unwrap();
    assert_eq!(e["event"]["kind"], "voted");
    assert_eq!(e["actor"]["id"], "*");
    assert!(e.get("totals").is_none(), "{e}");
    let maria_state = ws::load_state(&r.app.base, r.meeting, auth(&r.maria), seq).await;
    assert_eq!(maria_state["cards"]["c1"]["votes"]["*"], 2);

    // Hidden again, then the vote closed by moving on: the totals come back with the phase.
    let again = f
        .ok(json!({"kind": "set_votes_hidden", "hidden": true}))
        .await;
    assert_eq!(
        luca.events_until(again).await.pop().unwrap()["totals"],
        json!({})
    );
    let closed = f.ok(json!({"kind": "set_phase", "phase": "sintesi"})).await;
    let frame = luca.events_until(closed).await.pop().unwrap();
    assert_eq!(
        frame["event"],
        json!({"kind": "phase_set", "phase": "sintesi"})
    );
    assert_eq!(frame["totals"], json!({"c1": 4}));
}
