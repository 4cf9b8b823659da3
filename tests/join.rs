//! The board's address for someone without a session: a page that says how to join (not a
//! staff login), the private link sent again with one answer for every address, and the
//! projector's QR code of that address.

mod common;

use common::{Browser, TestApp, WorkshopSpec};
use serde_json::Value;

async fn meeting_id(app: &TestApp) -> i64 {
    let w: Value = app
        .get("/api/v1/workshops/prova")
        .await
        .json()
        .await
        .unwrap();
    w["modules"][0]["meetings"][0]["id"].as_i64().unwrap()
}

async fn reminders(app: &TestApp) -> Vec<(String, String)> {
    sqlx::query_as("SELECT recipient, subject FROM outbox WHERE kind = 'reminder' ORDER BY id")
        .fetch_all(&app.sql)
        .await
        .unwrap()
}

/// The page without what differs between two requests (the CSRF token, the address typed).
fn shape(page: &str, email: &str) -> String {
    let mut out = page.replace(email, "EMAIL");
    while let Some(i) = out.find("name=\"csrf\" value=\"") {
        let start = i + "name=\"csrf\" value=\"".len();
        let end = start + out[start..].find('"').unwrap();
        out.replace_range(i..end + 1, "CSRF");
    }
    out
}

#[tokio::test]
async fn a_visitor_without_a_session_learns_how_to_join() {
    let app = TestApp::spawn(WorkshopSpec::open("prova", 5)).await;
    let id = meeting_id(&app).await;
    for path in [format!("/incontri/{id}"), format!("/incontri/{id}/elenco")] {
        let (status, page, _) = Browser::new(&app).get(&path).await;
        assert_eq!(status, 200, "{path}");
        assert!(page.contains("<h1>Partecipa all'incontro</h1>"), "{page}");
        assert!(page.contains("Rimandami il link"));
        assert!(
            page.contains(&format!("href=\"/incontri/{id}/ospite\"")),
            "{page}"
        );
        assert!(page.contains("accedi?dopo="));
    }
    // Staff pages still ask for a login.
    let (status, _, _) = Browser::new(&app)
        .get(&format!("/incontri/{id}/conduzione"))
        .await;
    assert_ne!(status, 200);
}

#[tokio::test]
async fn the_link_is_sent_again_with_the_same_answer_for_any_address() {
    let app = TestApp::spawn(WorkshopSpec::open("prova", 5)).await;
    let id = meeting_id(&app).await;
    app.enroll_n("prova", 0).await;
    let enrolled = "persona0@comune.example.it";
    let unknown = "nessuno@comune.example.it";
    let path = format!("/incontri/{id}/link");

    let (status, known_page, _) = Browser::new(&app).post(&path, &[("email", enrolled)]).await;
    assert_eq!(status, 200);
    assert!(known_page.contains("Richiesta ricevuta"), "{known_page}");
    let (status, unknown_page, _) = Browser::new(&app).post(&path, &[("email", unknown)]).await;
    assert_eq!(status, 200);
    assert_eq!(
        shape(&known_page, enrolled),
        shape(&unknown_page, unknown),
        "the answers differ"
    );

    // Only the enrolled person gets a message, with a fresh private link; once an hour.
    let sent = reminders(&app).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].0, enrolled);
    assert!(sent[0].1.starts_with("Il tuo link personale"), "{sent:?}");
    let (body,): (String,) = sqlx::query_as("SELECT body FROM outbox WHERE kind = 'reminder'")
        .fetch_one(&app.sql)
        .await
        .unwrap();
    assert!(
        body.contains("/iscrizione/") && body.contains("pagina di un incontro"),
        "{body}"
    );
    Browser::new(&app).post(&path, &[("email", enrolled)]).await;
    assert_eq!(reminders(&app).await.len(), 1, "at most one an hour");

    // A wrong address is explained and changes nothing.
    let (status, page, _) = Browser::new(&app)
        .post(&path, &[("email", "non-è-un-indirizzo")])
        .await;
    assert_eq!(status, 400);
    assert!(
        page.contains("riepilogo-errori") && page.contains("campo-email"),
        "{page}"
    );
    assert_eq!(reminders(&app).await.len(), 1);
    // An unknown meeting is not found.
    let (status, _, _) = Browser::new(&app)
        .post("/incontri/999999/link", &[("email", enrolled)])
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_projector_shows_a_qr_code_of_the_board_address() {
    let app = TestApp::spawn(WorkshopSpec::open("prova", 5)).await;
    let id = meeting_id(&app).await;
    let key = app.organiser_key().await;
    let page = app
        .client
        .get(app.url(&format!("/incontri/{id}/proiettore")))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let qr = page.find("id=\"lv-qr\"").expect("a QR code block");
    let block = &page[qr..qr + page[qr..].find("</div>").unwrap()];
    assert!(block.contains("<svg") && block.contains("<path"), "{block}");
    assert!(
        block.contains(&format!("incontri&#x2f;{id}")),
        "the label names the address: {block}"
    );
    assert!(!block.contains("<?xml"));
}
