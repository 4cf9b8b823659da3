//! Several instances on one PostgreSQL database: a board written through one instance reaches
//! the clients of another (LISTEN/NOTIFY), concurrent writes on both take turns (nothing
//! refused, distinct gapless seqs), presence counts both, seats follow one order.

mod common;
#[path = "common/ws.rs"]
mod ws;

use common::{TestApp, WorkshopSpec};
use serde_json::{Value, json};
use ws::Client;

/// Whether PostgreSQL is there to share; says "skipped" loudly when it is not.
fn postgres() -> bool {
    let there = std::env::var("TAVOLO_TEST_POSTGRES_URL").is_ok_and(|u| !u.is_empty());
    if !there {
        common::skipped("several instances need PostgreSQL (TAVOLO_TEST_POSTGRES_URL)");
    }
    there
}

#[tokio::test]
async fn two_instances_share_one_board() {
    if !postgres() {
        return;
    }
    let a = TestApp::spawn(WorkshopSpec::open("condiviso", 10)).await;
    let b = a.second_instance().await;
    let (_, maria) = a.enroll_n("condiviso", 1).await;
    let (_, luca) = b.enroll_n("condiviso", 2).await;
    let key = a.account_key("organiser", &[]).await;
    let meeting = a.meeting_id("condiviso", "M1-1");

    let mut f = Client::connect(&a.base, meeting, &key, "f@a").await;
    let mut maria = Client::participant(&a.base, meeting, &maria, "maria@a").await;
    let mut luca = Client::participant(&b.base, meeting, &luca, "luca@b").await;
    let s = f
        .ok(json!({"kind": "set_phase", "phase": "raccolta"}))
        .await;
    luca.events_until(s).await;

    // Written on A, seen on B.
    let s = maria.ok(json!({"kind": "add_card", "card_id": "da-a", "card_type": "bisogno", "text": "Scritto su A"})).await;
    let seen = luca.events_until(s).await;
    assert_eq!(
        seen.last().unwrap()["event"]["content"]["text"],
        "Scritto su A"
    );

    // Both write at once on different instances: both are stored, in one order for everyone.
    let mut ids = Vec::new();
    for i in 0..10 {
        let m = maria.op(json!({"kind": "add_card", "card_id": format!("a{i}"), "card_type": "bisogno", "text": format!("A {i}")})).await;
        let l = luca.op(json!({"kind": "add_card", "card_id": format!("b{i}"), "card_type": "bisogno", "text": format!("B {i}")})).await;
        ids.push((m, l));
    }
    let mut seqs = std::collections::BTreeSet::new();
    for (m, l) in &ids {
        let r = maria.reply(m).await;
        assert_eq!(r["type"], "ack", "{r}");
        assert!(seqs.insert(r["seq"].as_i64().unwrap()), "distinct seqs");
        let r = luca.reply(l).await;
        assert_eq!(r["type"], "ack", "{r}");
        assert!(seqs.insert(r["seq"].as_i64().unwrap()), "distinct seqs");
    }
    let max = *seqs.last().unwrap();
    // Every client receives every event exactly once, in seq order (Client checks no gaps).
    let on_a = maria.events_until(max).await;
    let on_b = luca.events_until(max).await;
    assert_eq!(on_a.last().unwrap()["seq"], max);
    assert_eq!(on_b.last().unwrap()["seq"], max);
    let n: i64 = a
        .count("SELECT COUNT(*) FROM board_events WHERE kind = 'card_added'")
        .await;
    assert_eq!(n, 21);
    drop(b);
}

/// One person writing through two instances at once: the quotas are decided on the shared
/// events, so together they stop at 100 cards, not 100 per instance.
#[tokio::test]
async fn a_persons_quota_holds_across_instances() {
    if !postgres() {
        return;
    }
    let a = TestApp::spawn(WorkshopSpec::open("quote", 10)).await;
    let b = a.second_instance().await;
    let (_, maria) = a.enroll_n("quote", 1).await;
    let maria = common::personal_token(&maria);
    let key = a.account_key("organiser", &[]).await;
    let meeting = a.meeting_id("quote", "M1-1");
    let mut f = Client::connect(&a.base, meeting, &key, "f@a").await;
    f.ok(json!({"kind": "set_phase", "phase": "raccolta"}))
        .await;
    let mut on_a = Client::connect(&a.base, meeting, &maria, "maria@a").await;
    let mut on_b = Client::connect(&b.base, meeting, &maria, "maria@b").await;

    // Waves of 20 operations on each instance at once; what is rate-limited or unavailable
    // (a commit that met the other instance's) is sent again with its op_id, as browsers do.
    let mut todo: Vec<(bool, String)> = (0..70)
        .flat_map(|i| [(true, format!("a{i}")), (false, format!("b{i}"))])
        .collect();
    let (mut acked, mut quota) = (0, 0);
    for _wave in 0..40 {
        if todo.is_empty() {
            break;
        }
        let wave: Vec<_> = todo.drain(..todo.len().min(40)).collect();
        for (first, id) in &wave {
            let c = if *first { &mut on_a } else { &mut on_b };
            c.op_with_id(id, json!({"kind": "add_card", "card_id": id, "card_type": "bisogno", "text": format!("Bisogno {id}")}))
                .await;
        }
        for (first, id) in wave {
            let c = if first { &mut on_a } else { &mut on_b };
            let r = c.reply(&id).await;
            match (r["type"].as_str(), r["code"].as_str()) {
                (Some("ack"), _) => acked += 1,
                (_, Some("quota")) => quota += 1,
                // Rate-limited waves are sent again; contention between the instances is not a
                // refusal (they take turns), so `unavailable` is a failure here.
                (_, Some("rate_limited")) => todo.push((first, id)),
                other => panic!("{id}: {other:?} {r}"),
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    }
    assert!(todo.is_empty(), "{} operations never answered", todo.len());
    assert_eq!(acked, 100, "one quota for both instances");
    assert_eq!(quota, 40);
    let n: i64 = a
        .count("SELECT COUNT(*) FROM board_events WHERE kind = 'card_added'")
        .await;
    assert_eq!(n, 100);
}

/// A rush of applications through two instances: seats go in the order of the list, and each
/// person is told the position the list shows.
#[tokio::test]
async fn seats_and_positions_follow_one_order_across_instances() {
    if !postgres() {
        return;
    }
    let a = TestApp::spawn(WorkshopSpec::open("ressa", 10)).await;
    let b = a.second_instance().await;
    let mut rush = Vec::new();
    for n in 0..80usize {
        let (client, url) = if n % 2 == 0 {
            (
                a.client.clone(),
                a.url("/api/v1/workshops/ressa/enrollments"),
            )
        } else {
            (
                b.client.clone(),
                b.url("/api/v1/workshops/ressa/enrollments"),
            )
        };
        rush.push(tokio::spawn(async move {
            let res = client
                .post(url)
                .json(&common::application(n))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 201);
            let v: Value = res.json().await.unwrap();
            (format!("persona{n}@comune.example.it"), v)
        }));
    }
    let mut told = std::collections::HashMap::new();
    for t in rush {
        let (email, v) = t.await.unwrap();
        told.insert(email, v);
    }
    let key = a.organiser_key().await;
    let list = a.enrollments("ressa", &key).await;
    assert_eq!(list.len(), 80);
    for (i, row) in list.iter().enumerate() {
        let email = row["email"].as_str().unwrap();
        let answer = &told[email];
        // The first ten of the list have the seats; the others wait in the list's order.
        let expected = if i < 10 { "confirmed" } else { "waitlisted" };
        assert_eq!(row["status"], expected, "row {i}: {row}");
        assert_eq!(answer["status"], expected, "answer to {email}");
        if i >= 10 {
            assert_eq!(row["position"], json!(i - 9), "{row}");
            assert_eq!(
                answer["position"], row["position"],
                "position told to {email}"
            );
        }
    }
}

/// Writers on both instances pipelining operations at once: the instances take turns on the
/// meeting, so nothing is refused, every operation is stored once with its own seq, and every
/// client sees one gapless sequence.
#[tokio::test]
async fn concurrent_writers_on_two_instances_are_never_refused() {
    if !postgres() {
        return;
    }
    let a = TestApp::spawn(WorkshopSpec::open("turni", 20)).await;
    let b = a.second_instance().await;
    let meeting = a.meeting_id("turni", "M1-1");
    let key = a.account_key("organiser", &[]).await;
    let mut f = Client::connect(&a.base, meeting, &key, "f@a").await;
    let s0 = f
        .ok(json!({"kind": "set_phase", "phase": "raccolta"}))
        .await;
    let mut writers = Vec::new();
    for i in 0..6 {
        let (_, person) = a.enroll_n("turni", i + 1).await;
        let base = if i % 2 == 0 { &a.base } else { &b.base };
        writers.push(Client::participant(base, meeting, &person, &format!("w{i}")).await);
    }
    let mut watcher_b = Client::connect(&b.base, meeting, &key, "f@b").await;
    // 25 operations per writer, all sent before any answer is read (under the per-person
    // burst of 30), three writers per instance.
    let mut sent = Vec::new();
    for (w, c) in writers.iter_mut().enumerate() {
        for k in 0..25 {
            let id = format!("w{w}-{k}");
            c.op_with_id(&id, json!({"kind": "add_card", "card_id": id, "card_type": "bisogno", "text": format!("Bisogno {id}")}))
                .await;
            sent.push((w, id));
        }
    }
    let mut seqs = std::collections::BTreeSet::new();
    for (w, id) in &sent {
        let r = writers[*w].reply(id).await;
        assert_eq!(r["type"], "ack", "{id}: {r}");
        assert!(
            seqs.insert(r["seq"].as_i64().unwrap()),
            "{id}: a seq given twice"
        );
    }
    let expected: Vec<i64> = (s0 + 1..=s0 + 150).collect();
    assert_eq!(
        seqs.into_iter().collect::<Vec<_>>(),
        expected,
        "150 operations, 150 consecutive seqs"
    );
    // Everyone sees all of them once, in one order (the client asserts no gap, no repeat).
    let after_s0 = |events: Vec<Value>| -> Vec<Value> {
        events
            .into_iter()
            .filter(|e| e["seq"].as_i64() > Some(s0))
            .collect()
    };
    let on_a = after_s0(f.events_until(s0 + 150).await);
    let on_b = after_s0(watcher_b.events_until(s0 + 150).await);
    assert_eq!(on_a.len(), 150);
    assert_eq!(on_b.len(), 150);
    for (x, y) in on_a.iter().zip(&on_b) {
        assert_eq!(x["seq"], y["seq"]);
        assert_eq!(x["op_id"], y["op_id"]);
    }
    let n: i64 = a
        .count("SELECT COUNT(*) FROM board_events WHERE kind = 'card_added'")
        .await;
    assert_eq!(n, 150);
    drop(b);
}

/// Waits for a presence frame counting `n` people.
async fn presence_count(c: &mut Client, n: u64) -> Value {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no presence of {n} within 10 s"
        );
        let p = c.next_of("presence").await;
        if p["count"] == n {
            return p;
        }
    }
}

/// Presence counts the connections of every instance, each person once, and follows people
/// who leave and an instance that stops.
#[tokio::test]
async fn presence_counts_the_people_of_every_instance() {
    if !postgres() {
        return;
    }
    let a = TestApp::spawn(WorkshopSpec::open("presenti", 10)).await;
    let mut b = a.second_instance().await;
    let (_, maria) = a.enroll_n("presenti", 1).await;
    let (_, luca) = a.enroll_n("presenti", 2).await;
    let (_, anna) = a.enroll_n("presenti", 3).await;
    let meeting = a.meeting_id("presenti", "M1-1");
    let key = a.account_key("organiser", &[]).await;
    let mut f = Client::connect(&a.base, meeting, &key, "f@a").await;
    let mut maria = Client::participant(&a.base, meeting, &maria, "maria@a").await;
    let mut luca = Client::participant(&b.base, meeting, &luca, "luca@b").await;
    // Anna has the board open on both instances: one person.
    let anna_a = Client::participant(&a.base, meeting, &anna, "anna@a").await;
    let anna_b = Client::participant(&b.base, meeting, &anna, "anna@b").await;

    presence_count(&mut maria, 4).await;
    presence_count(&mut luca, 4).await;
    let listed = presence_count(&mut f, 4).await;
    assert_eq!(
        listed["people"].as_array().map(Vec::len),
        Some(4),
        "the facilitator's list names everyone once: {listed}"
    );
    // The HTTP answer of either instance counts the same.
    for (app, token) in [(&a, &key), (&b, &key)] {
        let body: Value = app
            .client
            .get(app.url(&format!("/api/v1/meetings/{meeting}/presence")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(body["count"], 4, "{body}");
    }

    // Anna closes one of her two boards: still there. Luca leaves: seen on A.
    drop(anna_b);
    drop(luca);
    presence_count(&mut maria, 3).await;
    // Instance B stops with someone connected through it: they no longer count.
    let (_, piero) = a.enroll_n("presenti", 4).await;
    let _piero = Client::participant(&b.base, meeting, &piero, "piero@b").await;
    presence_count(&mut maria, 4).await;
    b.stop().await;
    presence_count(&mut maria, 3).await;
    drop(anna_a);
    presence_count(&mut f, 2).await;
}
