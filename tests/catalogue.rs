//! Workshop files: validation with file, line and key; sync that never loses enrollments.

mod common;

use std::process::Command;

use common::{TestApp, WorkshopSpec};
use tavolo::services::catalogue::Catalogue;

#[tokio::test]
async fn editing_a_file_updates_the_catalogue_and_keeps_enrollments() {
    let app = TestApp::spawn(WorkshopSpec::open("modifica", 5)).await;
    for n in 0..3 {
        app.enroll_n("modifica", n).await;
    }
    let spec = WorkshopSpec::open("modifica", 5);
    let edited = spec
        .toml()
        .replace("Laboratorio di prova modifica", "Titolo corretto");
    std::fs::write(app.workshops_dir.join("modifica.toml"), edited).unwrap();
    let meeting_before = app.meeting_id("modifica", "M1-2");
    let app = app.restart().await;
    let page = app.get("/laboratori/modifica").await.text().await.unwrap();
    assert!(page.contains("Titolo corretto"));
    assert_eq!(app.count("SELECT COUNT(*) FROM enrollments").await, 3);
    assert_eq!(app.meeting_id("modifica", "M1-2"), meeting_before);
}

#[tokio::test]
async fn removing_a_meeting_with_data_is_refused_with_a_clear_message() {
    let app = TestApp::spawn(WorkshopSpec::open("presenze", 5)).await;
    let (_, e) = app.enroll_n("presenze", 1).await;
    let entry = app.state.catalogue.by_slug("presenze").unwrap().clone();
    let m2 = entry.meeting_id("M1-2");
    tavolo::store::attendance::mark(
        &app.state.store,
        m2,
        e["id"].as_i64().unwrap(),
        true,
        "manuale",
    )
    .await
    .unwrap();
    // The file loses its second meeting.
    let toml = WorkshopSpec::open("presenze", 5).toml();
    let cut = toml.rfind("  [[modules.meetings]]").unwrap();
    std::fs::write(app.workshops_dir.join("presenze.toml"), &toml[..cut]).unwrap();
    let err = Catalogue::load(&app.workshops_dir, &app.state.store)
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("M1-2") && msg.contains("presenze"), "{msg}");
    // Nothing changed: the meeting and its attendance are still there.
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM meetings WHERE id = {m2}"))
            .await,
        1
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM attendance").await, 1);
    // A meeting without data can be removed.
    let mut app2 = app;
    sqlx::query("DELETE FROM attendance")
        .execute(&app2.sql)
        .await
        .unwrap();
    Catalogue::load(&app2.workshops_dir, &app2.state.store)
        .await
        .unwrap();
    assert_eq!(
        app2.count(&format!("SELECT COUNT(*) FROM meetings WHERE id = {m2}"))
            .await,
        0
    );
    app2.stop().await;
}

#[test]
fn tavolo_check_names_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let good = WorkshopSpec::open("buono", 5).toml();
    std::fs::write(dir.path().join("buono.toml"), &good).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tavolo"))
        .arg("check")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("ok  buono: 1 modulo, 2 incontri, 5 posti")
    );

    let bad = good.replace("date = 2027-02-19", "date = 2027-02-30");
    std::fs::write(dir.path().join("buono.toml"), &bad).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tavolo"))
        .arg("check")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    let line = bad.lines().position(|l| l.contains("2027-02-30")).unwrap() + 1;
    assert!(err.contains(&format!("buono.toml:{line}:")), "{err}");
    assert!(err.contains("modules[0].meetings[1].date"), "{err}");

    let unknown = good.replace("capacity = 5", "capacity = 5\ncapienza = 9");
    std::fs::write(dir.path().join("buono.toml"), &unknown).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tavolo"))
        .arg("check")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("capienza"), "{err}");
}

#[test]
fn the_shipped_workshops_are_valid() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/workshops");
    let out = Command::new(env!("CARGO_BIN_EXE_tavolo"))
        .arg("check")
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("ok  co-programmazione-2021: 3 moduli, 6 incontri"),
        "{stdout}"
    );
}
