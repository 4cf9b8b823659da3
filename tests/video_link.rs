//! The video-call address of online meetings reaches the people with a seat — private page,
//! e-mail, their calendar, the board — and nobody else: not public pages, the API, the public
//! calendar, the waitlist.

mod common;

use common::{Browser, TestApp, WorkshopSpec};
use serde_json::Value;

const LINK: &str = "https://meet.example.it/laboratorio-prova";

async fn app() -> TestApp {
    let toml = WorkshopSpec::open("prova", 1).toml().replacen(
        "\nfacilitators = [",
        &format!("\nvideo_link = \"{LINK}\"\nfacilitators = ["),
        1,
    );
    TestApp::spawn_configured(
        move |c| std::fs::write(c.workshops.join("prova.toml"), toml).unwrap(),
        false,
    )
    .await
}

/// The address as an HTML page writes it (minijinja escapes `/`).
fn in_html() -> String {
    LINK.replace('/', "&#x2f;")
}

async fn text(app: &TestApp, path: &str) -> String {
    let res = app.get(path).await;
    assert_eq!(res.status(), 200, "{path}");
    res.text().await.unwrap()
}

#[tokio::test]
async fn only_people_with_a_seat_see_where_to_connect() {
    let app = app().await;
    for path in [
        "/",
        "/laboratori/prova",
        "/laboratori/prova/calendario.ics",
        "/api/v1/workshops/prova",
        "/api/v1/workshops",
    ] {
        assert!(
            !text(&app, path).await.contains("meet.example.it"),
            "{path}"
        );
    }
    let (_, seated) = app.enroll_n("prova", 0).await;
    let (_, waiting) = app.enroll_n("prova", 1).await;
    assert_eq!(
        (seated["status"].as_str(), waiting["status"].as_str()),
        (Some("confirmed"), Some("waitlisted"))
    );

    // E-mails: the confirmation carries it, the waitlist notice does not.
    let mails: Vec<(String, String)> =
        sqlx::query_as("SELECT recipient, body FROM outbox ORDER BY id")
            .fetch_all(&app.sql)
            .await
            .unwrap();
    assert_eq!(mails.len(), 2);
    assert!(mails[0].1.contains(LINK), "{}", mails[0].1);
    assert!(mails[0].1.contains("ci si collega da"), "{}", mails[0].1);
    assert!(!mails[1].1.contains("meet.example.it"), "{}", mails[1].1);

    let path = |v: &Value| {
        let url = v["manage_url"].as_str().unwrap().to_string();
        url[url.find("/iscrizione/").unwrap()..].to_string()
    };
    let meetings: Value = app
        .get("/api/v1/workshops/prova")
        .await
        .json()
        .await
        .unwrap();
    let online = meetings["modules"][0]["meetings"][0]["id"]
        .as_i64()
        .unwrap();
    let in_person = meetings["modules"][0]["meetings"][1]["id"]
        .as_i64()
        .unwrap();

    // The private page and the private calendar.
    let mut person = Browser::new(&app);
    let (status, page, _) = person.get(&path(&seated)).await;
    assert_eq!(status, 200);
    assert_eq!(
        page.matches(&in_html()).count(),
        1,
        "only the online meeting has it"
    );
    let (_, ics, headers) = person
        .get(&format!("{}/calendario.ics", path(&seated)))
        .await;
    assert!(ics.contains(&format!("URL:{LINK}")), "{ics}");
    assert_eq!(headers["cache-control"], "no-store");
    // The board: the online meeting names it, the meeting in a room does not.
    let (status, board, _) = person.get(&format!("/incontri/{online}")).await;
    assert_eq!(status, 200);
    assert!(board.contains(&in_html()) && board.contains("Collegati alla videochiamata"));
    let (_, board, _) = person.get(&format!("/incontri/{in_person}")).await;
    assert!(!board.contains("meet.example.it") && !board.contains("videochiamata"));

    let mut waiting_person = Browser::new(&app);
    let (_, page, _) = waiting_person.get(&path(&waiting)).await;
    assert!(!page.contains("meet.example.it"));
    let (_, ics, _) = waiting_person
        .get(&format!("{}/calendario.ics", path(&waiting)))
        .await;
    assert!(
        ics.contains("BEGIN:VEVENT") && !ics.contains("meet.example.it"),
        "{ics}"
    );
    let (status, _, _) = Browser::new(&app)
        .get("/iscrizione/nessuno/calendario.ics")
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_video_link_that_is_not_an_https_address_is_refused_by_tavolo_check() {
    let dir = tempfile::tempdir().unwrap();
    let toml = WorkshopSpec::open("prova", 1).toml().replacen(
        "\nfacilitators = [",
        "\nvideo_link = \"http://meet.example.it/x\"\nfacilitators = [",
        1,
    );
    std::fs::write(dir.path().join("prova.toml"), toml).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tavolo"))
        .args(["check"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("video_link") && err.contains("https://"),
        "{err}"
    );
}
