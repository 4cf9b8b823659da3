//! Several instances on one PostgreSQL database: a board written through one instance reaches
//! the clients of another (LISTEN/NOTIFY), and concurrent writes get distinct, gapless seqs.

mod common;
#[path = "common/ws.rs"]
mod ws;

use common::{TestApp, WorkshopSpec};
use serde_json::{Value, json};
use ws::Client;

#[tokio::test]
async fn two_instances_share_one_board() {
    if std::env::var("TAVOLO_TEST_POSTGRES_URL").map_or(true, |u| u.is_empty()) {
        common::skipped("several instances need PostgreSQL (TAVOLO_TEST_POSTGRES_URL)");
        return;
    }
    let a = TestApp::spawn(WorkshopSpec::open("condiviso", 10)).await;
    let b = a.second_instance().await;
    let token = |v: &Value| {
        v["manage_url"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_string()
    };
    let (_, maria) = a.enroll_n("condiviso", 1).await;
    let (_, luca) = b.enroll_n("condiviso", 2).await;
    let key = a.account_key("organiser", &[]).await;
    let meeting = a
        .state
        .catalogue
        .by_slug("condiviso")
        .unwrap()
        .meeting_id("M1-1");

    let mut f = Client::connect(&a.base, meeting, &key, "f@a").await;
    let mut maria = Client::connect(&a.base, meeting, &token(&maria), "maria@a").await;
    let mut luca = Client::connect(&b.base, meeting, &token(&luca), "luca@b").await;
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
    if std::env::var("TAVOLO_TEST_POSTGRES_URL").map_or(true, |u| u.is_empty()) {
        common::skipped("several instances need PostgreSQL (TAVOLO_TEST_POSTGRES_URL)");
        return;
    }
    let a = TestApp::spawn(WorkshopSpec::open("quote", 10)).await;
    let b = a.second_instance().await;
    let (_, maria) = a.enroll_n("quote", 1).await;
    let maria = maria["manage_url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let key = a.account_key("organiser", &[]).await;
    let meeting = a
        .state
        .catalogue
        .by_slug("quote")
        .unwrap()
        .meeting_id("M1-1");
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
                (_, Some("rate_limited" | "unavailable")) => todo.push((first, id)),
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
    if std::env::var("TAVOLO_TEST_POSTGRES_URL").map_or(true, |u| u.is_empty()) {
        common::skipped("several instances need PostgreSQL (TAVOLO_TEST_POSTGRES_URL)");
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
