//! Attendance means presence: joining a meeting's board marks an enrolled person present only
//! inside the meeting's window (its time in the workshop's zone, widened by
//! `TAVOLO_ATTENDANCE_MARGIN_MINUTES`); staff mark the others by hand, each change audited.

mod common;
#[path = "common/ws.rs"]
mod ws;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use common::{Browser, TestApp, WorkshopSpec};
use tavolo::domain::board::{Actor, ActorId, ActorKind};
use tavolo::services::accounts::hash_password;
use tavolo::services::attendance::BoardPresence;
use tavolo::services::room::{Connection, Rooms};
use ws::Client;

const PASSWORD: &str = "una password di prova lunga";

async fn marks(app: &TestApp, meeting: i64) -> Vec<(i64, i64, String)> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT enrollment_id, present, source FROM attendance WHERE meeting_id = {meeting} \
         ORDER BY enrollment_id"
    )))
    .fetch_all(&app.sql)
    .await
    .unwrap()
}

/// Long enough for a room to write what it would write: attendance is written on the presence
/// tick (every 500 ms).
async fn a_few_ticks() {
    tokio::time::sleep(Duration::from_millis(1600)).await;
}

#[tokio::test]
async fn joining_the_board_marks_presence_only_during_the_meeting() {
    // "futuro": its first meeting is on 12 February 2027; "adesso": its first meeting is now.
    let app = TestApp::spawn_with(
        vec![
            WorkshopSpec::open("futuro", 5),
            WorkshopSpec::meeting_now("adesso", 5),
        ],
        None,
    )
    .await;
    let (_, future_person) = app.enroll_n("futuro", 1).await;
    let (_, present_person) = app.enroll_n("adesso", 2).await;
    let future = app.meeting_id("futuro", "M1-1");
    let now = app.meeting_id("adesso", "M1-1");
    let later = app.meeting_id("adesso", "M1-2");

    // Opening the board of a meeting weeks away records nothing.
    let _early = Client::participant(&app.base, future, &future_person, "futuro").await;
    // Opening the board of a later meeting during this one records nothing for that one.
    let _elsewhere = Client::participant(&app.base, later, &present_person, "dopo").await;
    // Opening the board of the meeting under way marks the person present, from the board.
    let _here = Client::participant(&app.base, now, &present_person, "adesso").await;
    let id = present_person["id"].as_i64().unwrap();
    common::eventually(5, "the person at the meeting marked present", || async {
        marks(&app, now).await == vec![(id, 1, "lavagna".to_string())]
    })
    .await;
    a_few_ticks().await;
    assert_eq!(
        marks(&app, future).await,
        vec![],
        "nothing for a future meeting"
    );
    assert_eq!(
        marks(&app, later).await,
        vec![],
        "nothing for a later meeting"
    );
    assert_eq!(
        marks(&app, now).await.len(),
        1,
        "one mark, however many times"
    );
}

/// A clock a test moves by hand.
fn clock_at(start: DateTime<Utc>) -> (Arc<AtomicI64>, tavolo::services::attendance::Clock) {
    let ms = Arc::new(AtomicI64::new(start.timestamp_millis()));
    let read = ms.clone();
    let clock = Arc::new(move || {
        DateTime::from_timestamp_millis(read.load(Ordering::SeqCst)).expect("a valid instant")
    });
    (ms, clock)
}

fn participant(id: i64) -> Actor {
    Actor {
        id: ActorId::Enrollment(id),
        kind: ActorKind::Participant,
        name: format!("Persona {id}"),
        organisation: Some("Comune di Bergamo".into()),
        ambito: None,
    }
}

/// The room asks the rule with its clock: someone who opens the board early and is still there
/// when the window opens is marked then; someone who arrives after it closed never is.
#[tokio::test]
async fn the_room_marks_early_arrivals_when_the_window_opens_and_nobody_after_it() {
    let app = TestApp::spawn(WorkshopSpec::open("orologio", 5)).await;
    let (_, a) = app.enroll_n("orologio", 1).await;
    let (_, b) = app.enroll_n("orologio", 2).await;
    let (a, b) = (a["id"].as_i64().unwrap(), b["id"].as_i64().unwrap());
    let entry = app.state.catalogue.by_slug("orologio").unwrap().clone();
    let meeting = entry.meeting_id("M1-1");
    let (_, m) = entry
        .workshop
        .meetings()
        .find(|(_, m)| m.key == "M1-1")
        .unwrap();
    let window = BoardPresence::new(30).window(&entry.workshop, m);
    // 12 February 2027, 9:30–12:30 in Rome, 30 minutes either side: 8:00–12:00 UTC.
    assert_eq!(window.opens.to_rfc3339(), "2027-02-12T08:00:00+00:00");
    assert_eq!(window.closes.to_rfc3339(), "2027-02-12T12:00:00+00:00");

    let (clock, read) = clock_at(window.opens - chrono::Duration::minutes(1));
    let shutdown = tokio_util::sync::CancellationToken::new();
    let rooms = Rooms::new(
        app.state.store.clone(),
        app.state.catalogue.clone(),
        shutdown.clone(),
        BoardPresence::with_clock(30, read),
    );
    let room = rooms.get(meeting).await.unwrap();
    let connection = |id: u64, person: i64| Connection {
        id,
        actor: participant(person),
        read_only: false,
    };
    let _a = room.join(connection(1, a), 0).await.unwrap();
    a_few_ticks().await;
    assert_eq!(
        marks(&app, meeting).await,
        vec![],
        "a minute early: not yet"
    );

    clock.store(
        (window.opens + chrono::Duration::minutes(1)).timestamp_millis(),
        Ordering::SeqCst,
    );
    common::eventually(
        5,
        "the early arrival marked when the window opens",
        || async { marks(&app, meeting).await == vec![(a, 1, "lavagna".to_string())] },
    )
    .await;

    clock.store(
        (window.closes + chrono::Duration::minutes(1)).timestamp_millis(),
        Ordering::SeqCst,
    );
    let _b = room.join(connection(2, b), 0).await.unwrap();
    a_few_ticks().await;
    assert_eq!(
        marks(&app, meeting).await,
        vec![(a, 1, "lavagna".to_string())],
        "a minute after the window: nothing for the late arrival"
    );
    shutdown.cancel();
}

/// Logs a staff member in through the real login form.
async fn staff(app: &TestApp, role: &str, email: &str, workshops: &[&str]) -> Browser {
    let store = &app.state.store;
    let id = tavolo::store::accounts::create(
        store,
        email,
        "Conduttrice di prova",
        role,
        Some(&hash_password(PASSWORD)),
    )
    .await
    .unwrap();
    for slug in workshops {
        let w = app.state.catalogue.by_slug(slug).unwrap();
        tavolo::store::accounts::assign_workshop(store, id, w.id)
            .await
            .unwrap();
    }
    let mut b = Browser::new(app);
    let (status, _, _) = b
        .post("/accedi", &[("email", email), ("password", PASSWORD)])
        .await;
    assert_eq!(status, 303, "login of {email}");
    b
}

async fn audit(app: &TestApp) -> Vec<(String, String, Option<i64>, String, String)> {
    sqlx::query_as(
        "SELECT actor, action, meeting_id, subject, detail FROM audit_log \
         WHERE action = 'attendance.mark' ORDER BY id",
    )
    .fetch_all(&app.sql)
    .await
    .unwrap()
}

#[tokio::test]
async fn facilitators_mark_presence_by_hand_with_an_audit_entry_in_their_workshops_only() {
    let app = TestApp::spawn_with(
        vec![WorkshopSpec::open("alfa", 5), WorkshopSpec::open("beta", 5)],
        None,
    )
    .await;
    let (_, anna) = app.enroll_n("alfa", 1).await;
    let anna = anna["id"].as_i64().unwrap().to_string();
    let meeting = app.meeting_id("alfa", "M1-1");
    let register = format!("/admin/incontri/{meeting}/presenze");
    let mut ours = staff(&app, "facilitator", "alfa@example.it", &["alfa"]).await;
    let mut theirs = staff(&app, "facilitator", "beta@example.it", &["beta"]).await;

    // A facilitator of another workshop may neither see nor change this register.
    assert_eq!(theirs.get(&register).await.0, 403);
    let (status, _, _) = theirs
        .post(&register, &[("enrollment_id", &anna), ("present", "1")])
        .await;
    assert_eq!(status, 403);
    assert_eq!(marks(&app, meeting).await, vec![]);
    assert_eq!(audit(&app).await, vec![]);

    // The workshop's own facilitator marks Anna present: the mark and who made it.
    let (status, _, _) = ours
        .post(&register, &[("enrollment_id", &anna), ("present", "1")])
        .await;
    assert_eq!(status, 303);
    let id: i64 = anna.parse().unwrap();
    assert_eq!(
        marks(&app, meeting).await,
        vec![(id, 1, "manuale".to_string())]
    );
    let entries = audit(&app).await;
    assert_eq!(entries.len(), 1);
    let (actor, _, on, subject, detail) = &entries[0];
    assert_eq!(actor, "Conduttrice di prova <alfa@example.it>");
    assert_eq!(*on, Some(meeting));
    assert!(
        subject.contains("Persona 1") && subject.contains(&format!("iscrizione #{id}")),
        "{subject}"
    );
    assert!(subject.contains("12 febbraio 2027"), "{subject}");
    assert_eq!(detail, "nessuna registrazione → presente");

    // The same mark again changes nothing and records nothing; taking it back is a change.
    ours.post(&register, &[("enrollment_id", &anna), ("present", "1")])
        .await;
    assert_eq!(audit(&app).await.len(), 1);
    let (status, _, _) = ours
        .post(&register, &[("enrollment_id", &anna), ("present", "0")])
        .await;
    assert_eq!(status, 303);
    assert_eq!(
        marks(&app, meeting).await,
        vec![(id, 0, "manuale".to_string())]
    );
    let entries = audit(&app).await;
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1].4, "presente → assente");

    // The register page lists the changes; the enrollments page reads them as such.
    let (status, page, _) = ours.get(&register).await;
    assert_eq!(status, 200);
    assert!(page.contains("Modifiche a mano"), "{page:.400}");
    // It says when joining the board counts: 9:30–12:30 with the default 30 minutes.
    assert!(page.contains("(dalle 9:00 alle 13:00)"), "{page}");
    assert!(page.contains("presente → assente"));
    let (_, enrollments, _) = ours.get("/admin/laboratori/alfa/iscrizioni").await;
    assert!(
        enrollments.contains("Presenza segnata a mano: Persona 1"),
        "the log says what was done"
    );
    assert!(
        !enrollments.contains("annullata"),
        "no mark reads as a cancellation"
    );

    // Someone of another workshop is not in this register: refused, nothing written.
    let (_, other) = app.enroll_n("beta", 2).await;
    let other = other["id"].as_i64().unwrap().to_string();
    let (status, _, _) = ours
        .post(&register, &[("enrollment_id", &other), ("present", "1")])
        .await;
    assert_eq!(status, 404);
    assert_eq!(audit(&app).await.len(), 2);
}

/// With several instances on one PostgreSQL database, each applies the same window: a board
/// opened on either instance during the meeting marks the person once; outside it, neither
/// records anything.
#[tokio::test]
async fn every_instance_applies_the_same_window() {
    let a = TestApp::spawn_with(
        vec![
            WorkshopSpec::open("futuro", 5),
            WorkshopSpec::meeting_now("adesso", 5),
        ],
        None,
    )
    .await;
    if !a.db.is_postgres() {
        common::skipped("several instances need PostgreSQL (TAVOLO_TEST_POSTGRES_URL)");
        return;
    }
    let b = a.second_instance().await;
    let (_, early) = a.enroll_n("futuro", 1).await;
    let (_, on_time) = a.enroll_n("adesso", 2).await;
    let future = a.meeting_id("futuro", "M1-1");
    let now = a.meeting_id("adesso", "M1-1");
    let _f1 = Client::participant(&a.base, future, &early, "a-futuro").await;
    let _f2 = Client::participant(&b.base, future, &early, "b-futuro").await;
    let _n1 = Client::participant(&b.base, now, &on_time, "b-adesso").await;
    let _n2 = Client::participant(&a.base, now, &on_time, "a-adesso").await;
    let id = on_time["id"].as_i64().unwrap();
    common::eventually(5, "marked present once", || async {
        marks(&a, now).await == vec![(id, 1, "lavagna".to_string())]
    })
    .await;
    a_few_ticks().await;
    assert_eq!(marks(&a, now).await.len(), 1);
    assert_eq!(marks(&a, future).await, vec![]);
}
