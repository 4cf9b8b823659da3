//! The JSON API answers with exactly the fields `docs/api.md` documents, role ids that
//! enrollment accepts, and times in the workshop's zone.

mod common;

use std::collections::BTreeSet;

use common::TestApp;
use serde_json::{Value, json};

/// The fields of the table under `### \`{name}\`` in docs/api.md.
fn documented(name: &str) -> BTreeSet<String> {
    let doc = include_str!("../docs/api.md");
    let heading = format!("### `{name}`");
    let start = doc
        .find(&heading)
        .unwrap_or_else(|| panic!("docs/api.md has no {heading}"));
    doc[start + heading.len()..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2) // header and separator
        .map(|l| {
            l.split('|')
                .nth(1)
                .unwrap()
                .trim()
                .trim_matches('`')
                .to_string()
        })
        .collect()
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

#[tokio::test]
async fn the_workshop_answer_has_the_documented_fields() {
    let app = TestApp::spawn_seed().await;
    let w: Value = app
        .get("/api/v1/workshops/co-programmazione-2021")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(keys(&w), documented("Workshop"));
    assert_eq!(keys(&w["eligible_roles"][0]), documented("Role"));
    assert_eq!(keys(&w["modules"][0]), documented("Module"));
    let meeting = &w["modules"][0]["meetings"][0];
    assert_eq!(keys(meeting), documented("Meeting"));
    // The same shape in the list.
    let all: Value = app.get("/api/v1/workshops").await.json().await.unwrap();
    for w in all["workshops"].as_array().unwrap() {
        assert_eq!(keys(w), documented("Workshop"));
    }
}

#[tokio::test]
async fn times_are_in_the_workshops_zone() {
    let app = TestApp::spawn_seed().await;
    let w: Value = app
        .get("/api/v1/workshops/co-programmazione-2021")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(w["timezone"], "Europe/Rome");
    let m = &w["modules"][0]["meetings"][0];
    let (date, start, end) = (
        m["date"].as_str().unwrap(),
        m["start"].as_str().unwrap(),
        m["end"].as_str().unwrap(),
    );
    // The offset Rome had on that day (summer time or not), not the server's.
    let starts_at = m["starts_at"].as_str().unwrap();
    let local = chrono::NaiveDateTime::parse_from_str(&format!("{date} {start}"), "%Y-%m-%d %H:%M")
        .unwrap();
    let rome = chrono::TimeZone::from_local_datetime(&chrono_tz::Europe::Rome, &local)
        .unwrap()
        .to_rfc3339();
    assert_eq!(starts_at, rome);
    assert!(
        m["ends_at"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{date}T{end}:00+0")),
        "{m}"
    );
}

#[tokio::test]
async fn an_eligible_role_id_enrolls_and_a_label_is_explained() {
    let app = TestApp::spawn_seed().await;
    let slug = "co-programmazione-2027";
    let w: Value = app
        .get(&format!("/api/v1/workshops/{slug}"))
        .await
        .json()
        .await
        .unwrap();
    let role = &w["eligible_roles"][0];
    let (id, label) = (
        role["id"].as_str().unwrap(),
        role["label"].as_str().unwrap(),
    );
    assert_ne!(id, label);
    let mut form = common::application(1);
    form["role"] = json!(label);
    let (status, body) = app.enroll(slug, form.clone()).await;
    assert_eq!(status, 422, "{body}");
    let message = body["error"]["fields"][0]["message"].as_str().unwrap();
    assert!(message.contains(&format!("«{id}»")), "{message}");
    assert_eq!(app.count("SELECT COUNT(*) FROM enrollments").await, 0);
    form["role"] = json!(id);
    let (status, body) = app.enroll(slug, form).await;
    assert_eq!(status, 201, "{body}");
}
