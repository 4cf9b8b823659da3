//! The public pages and the HTML enrollment flow, with the baseline security of every response.

mod common;

use common::{Browser, TestApp, WorkshopSpec};
use serde_json::Value;

#[tokio::test]
async fn the_seed_workshop_is_served_with_its_modules_meetings_and_facilitators() {
    let app = TestApp::spawn_seed().await;
    let mut b = Browser::new(&app);
    let (status, home, _) = b.get("/").await;
    assert_eq!(status, 200);
    assert!(home.contains("La Co-Programmazione come esercizio di amministrazione condivisa"));
    assert!(home.contains("lang=\"it\""));
    assert_eq!(home.matches("<h1").count(), 1, "one h1");
    let (status, page, _) = b.get("/laboratori/co-programmazione-2021").await;
    assert_eq!(status, 200);
    for text in [
        "venerdì 1° ottobre 2021",
        "mercoledì 6 ottobre 2021",
        "venerdì 15 ottobre 2021",
        "giovedì 28 ottobre 2021",
        "venerdì 12 novembre 2021",
        "giovedì 25 novembre 2021",
        "Silvia De Aloe",
        "Luciano Gallo",
        "Chiara Girola",
        "Nucci Maiocchi",
        "Ettore Vittorio Uccellini",
        "CUP E49D20000010009",
        "I riferimenti normativi dell&#x27;amministrazione condivisa",
        "Le Linee guida scientifico-metodologiche",
        "Dalla teoria alla prassi",
        "Iscrizioni chiuse",
    ] {
        assert!(page.contains(text), "missing {text:?}");
    }
    assert_eq!(page.matches("class=\"timeline__item\"").count(), 3);
    assert_eq!(page.matches("class=\"meeting\"").count(), 6);
    assert_eq!(page.matches("<h1").count(), 1);

    // The same facts through the JSON API.
    let w: Value = app
        .get("/api/v1/workshops/co-programmazione-2021")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(w["modules"].as_array().unwrap().len(), 3);
    assert_eq!(w["meetings_count"], 6);
    assert_eq!(w["facilitators"].as_array().unwrap().len(), 5);
    assert_eq!(w["window"], "closed");
    let all: Value = app.get("/api/v1/workshops").await.json().await.unwrap();
    assert_eq!(all["workshops"].as_array().unwrap().len(), 2);
    assert_eq!(app.get("/api/v1/workshops/nessuno").await.status(), 404);
}

#[tokio::test]
async fn every_response_carries_strict_security_headers_and_no_inline_script() {
    let app = TestApp::spawn_seed().await;
    for path in [
        "/",
        "/laboratori/co-programmazione-2027",
        "/laboratori/co-programmazione-2027/iscrizione",
        "/accedi",
        "/privacy",
        "/accessibilita",
        "/nessuna-pagina",
    ] {
        let res = app.get(path).await;
        let h = res.headers().clone();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"));
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "same-origin");
        let html = res.text().await.unwrap();
        assert!(!html.contains("<script>"), "{path}: inline script");
        assert!(!html.contains(" style=\""), "{path}: inline style");
        assert!(!html.contains(" onclick="), "{path}: inline handler");
        assert!(html.contains("href=\"#contenuto\""), "{path}: skip link");
        assert!(html.contains("href=\"/privacy\"") && html.contains("href=\"/accessibilita\""));
    }
    let res = app.get("/nessuna-pagina").await;
    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains("Pagina non trovata"));
    assert_eq!(app.get("/healthz").await.status(), 200);
    assert_eq!(app.get("/readyz").await.status(), 200);
}

#[tokio::test]
async fn cookies_are_host_prefixed_and_secure_behind_https() {
    let app = TestApp::spawn_configured(
        |c| c.base_url = Some("https://tavolo.example.it".into()),
        false,
    )
    .await;
    let res = app.get("/").await;
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("__Host-tavolo_csrf="), "{cookie}");
    for attr in ["Path=/", "HttpOnly", "SameSite=Lax", "Secure"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    assert!(!cookie.contains("Domain"));
}

#[tokio::test]
async fn the_enrollment_form_explains_errors_and_then_enrolls() {
    let app = TestApp::spawn(WorkshopSpec::open("modulo", 1)).await;
    let mut b = Browser::new(&app);
    let (status, form, _) = b.get("/laboratori/modulo/iscrizione").await;
    assert_eq!(status, 200);
    for label in [
        "for=\"campo-name\"",
        "for=\"campo-email\"",
        "for=\"campo-role\"",
        "for=\"campo-ente\"",
        "for=\"campo-comune\"",
        "for=\"campo-privacy_ack\"",
    ] {
        assert!(form.contains(label), "label {label}");
    }
    // Empty submit: 422, an error summary linking every field, values kept.
    let (status, page, _) = b
        .post(
            "/laboratori/modulo/iscrizione",
            &[("name", "Maria Rossi"), ("email", "non-valida")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("class=\"error-summary\""));
    for anchor in [
        "#campo-email",
        "#campo-role",
        "#campo-ente",
        "#campo-privacy_ack",
    ] {
        assert!(
            page.contains(&format!("href=\"{anchor}\"")),
            "summary links {anchor}"
        );
    }
    assert!(page.contains("aria-invalid=\"true\""));
    assert!(
        page.contains("value=\"Maria Rossi\""),
        "typed values are kept"
    );
    assert!(page.contains("<title>Errore:"));
    assert_eq!(app.count("SELECT COUNT(*) FROM enrollments").await, 0);

    let ok = [
        ("name", "Maria Rossi"),
        ("email", "maria.rossi@comune.bergamo.it"),
        ("role", "responsabile-servizi-sociali"),
        ("ente", "Comune di Bergamo"),
        ("comune", "Bergamo (BG)"),
        ("ambito", "Ambito di Bergamo"),
        ("privacy_ack", "on"),
    ];
    let (status, _, headers) = b.post("/laboratori/modulo/iscrizione", &ok).await;
    assert_eq!(status, 303);
    let location = headers["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/iscrizione/") && location.ends_with("?nuova=1"));
    let (status, page, headers) = b.get(&location).await;
    assert_eq!(status, 200);
    assert!(page.contains("Domanda ricevuta"));
    assert!(page.contains("Iscrizione confermata"));
    assert!(page.contains("Bergamo (BG)"));
    assert_eq!(headers["cache-control"], "no-store");

    // The same person again: a clear message that tells nothing of the enrollment (the one
    // who asks may be someone else), no second row.
    let (status, page, _) = b.post("/laboratori/modulo/iscrizione", &ok).await;
    assert_eq!(status, 409);
    assert!(
        page.contains("già iscritto a questo laboratorio, riceverai un messaggio"),
        "{page}"
    );
    assert!(!page.contains("confermata)"), "{page}");
    // A second person: waitlisted, with the position shown on the private page.
    let mut second = ok;
    second[1] = ("email", "luca.bianchi@comune.bergamo.it");
    let mut b2 = Browser::new(&app);
    let (_, _, headers) = b2.post("/laboratori/modulo/iscrizione", &second).await;
    let (_, page, _) = b2.get(headers["location"].to_str().unwrap()).await;
    assert!(page.contains("in posizione 1"), "{page}");

    // Cancelling from the private page needs the confirmation box, then promotes the second.
    let manage = location.trim_end_matches("?nuova=1").to_string();
    let (status, _, _) = b.post(&format!("{manage}/annulla"), &[]).await;
    assert_eq!(status, 400);
    let (status, _, headers) = b
        .post(&format!("{manage}/annulla"), &[("conferma", "on")])
        .await;
    assert_eq!(status, 303);
    assert!(
        headers["location"]
            .to_str()
            .unwrap()
            .ends_with("?annullata=1")
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM enrollments WHERE status = 'confirmed'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE kind = 'promoted'")
            .await,
        1
    );
}

#[tokio::test]
async fn forms_without_the_csrf_token_or_from_another_site_change_nothing() {
    let app = TestApp::spawn(WorkshopSpec::open("csrf", 5)).await;
    let form = [
        ("name", "Maria Rossi"),
        ("email", "maria@comune.it"),
        ("role", "responsabile-servizi-sociali"),
        ("ente", "Comune di Bergamo"),
        ("privacy_ack", "on"),
    ];
    // No token at all.
    let res = app
        .client
        .post(app.url("/laboratori/csrf/iscrizione"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("ricarica la pagina"));
    // A valid token, but the request comes from another site.
    let mut b = Browser::new(&app);
    b.get("/").await;
    let csrf = b.cookies.values().next().unwrap().clone();
    let mut fields = vec![("csrf", csrf.as_str())];
    fields.extend_from_slice(&form);
    let res = app
        .client
        .post(app.url("/laboratori/csrf/iscrizione"))
        .header("cookie", format!("tavolo_csrf={csrf}"))
        .header("origin", "https://evil.example")
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(app.count("SELECT COUNT(*) FROM enrollments").await, 0);
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let app = TestApp::spawn(WorkshopSpec::open("grande", 5)).await;
    let mut body = common::application(1);
    body["ente"] = Value::String("x".repeat(200_000));
    let (status, _) = app.enroll("grande", body).await;
    assert_eq!(status, 413);
    assert_eq!(app.count("SELECT COUNT(*) FROM enrollments").await, 0);
}

#[tokio::test]
async fn comuni_are_suggested_from_the_istat_list_and_the_calendar_downloads() {
    let app = TestApp::spawn_seed().await;
    let res: Value = app
        .get("/api/v1/comuni?q=berga")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(res["comuni"][0]["etichetta"], "Bergamo (BG)");
    assert_eq!(res["fonte"], "ISTAT");
    let res = app
        .get("/laboratori/co-programmazione-2021/calendario.ics")
        .await;
    assert_eq!(
        res.headers()["content-type"],
        "text/calendar; charset=utf-8"
    );
    let ics = res.text().await.unwrap();
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 6);
}

/// The `/static/…` addresses in `href="…"` and `src="…"` attributes of a page.
fn static_links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["href=\"", "src=\""] {
        for part in html.split(attr).skip(1) {
            let url = &part[..part.find('"').unwrap()];
            if url.starts_with("/static/") {
                out.push(url.to_string());
            }
        }
    }
    out
}

/// The relative imports of a module (`from "./x.js"`, `import "./x.js"`) and the relative
/// `url(…)` of a stylesheet, resolved against `url`.
fn relative_refs(url: &str, text: &str) -> Vec<String> {
    let dir = &url[..url.rfind('/').unwrap()];
    let mut refs = Vec::new();
    for (open, close) in [("from \"", "\""), ("import \"", "\""), ("url(\"", "\"")] {
        for part in text.split(open).skip(1) {
            let spec = &part[..part.find(close).unwrap()];
            if let Some(rest) = spec.strip_prefix("./") {
                refs.push(format!("{dir}/{rest}"));
            } else if let Some(rest) = spec.strip_prefix("../") {
                refs.push(format!("{}/{rest}", &dir[..dir.rfind('/').unwrap()]));
            }
        }
    }
    refs
}

#[tokio::test]
async fn a_board_page_links_versioned_static_files_that_all_resolve_with_their_imports() {
    let app = TestApp::spawn(WorkshopSpec::open("lavagna", 10)).await;
    let (_, enrolled) = app.enroll_n("lavagna", 1).await;
    let token = common::personal_token(&enrolled);
    let meeting = app.meeting_id("lavagna", "M1-1");
    let mut b = Browser::new(&app);
    b.get(&format!("/iscrizione/{token}")).await;
    let (status, page, _) = b.get(&format!("/incontri/{meeting}")).await;
    assert_eq!(status, 200);

    let version = tavolo::assets::version();
    let prefix = format!("/static/{version}/");
    let links = static_links(&page);
    assert!(
        page.contains(&format!(
            "<script type=\"module\" src=\"{prefix}board/main.js\"></script>"
        )),
        "the board is a module under the versioned prefix"
    );
    assert!(links.len() >= 8, "{links:?}");
    // Every linked file, and everything it imports, resolves; versioned files are immutable.
    let mut todo = links.clone();
    let mut seen = std::collections::BTreeSet::new();
    while let Some(url) = todo.pop() {
        if !seen.insert(url.clone()) {
            continue;
        }
        assert!(url.starts_with(&prefix), "{url} is versioned");
        let res = app.get(&url).await;
        assert_eq!(res.status(), 200, "{url}");
        assert_eq!(
            res.headers()["cache-control"],
            "public, max-age=31536000, immutable",
            "{url}"
        );
        let mime = res.headers()["content-type"].to_str().unwrap().to_string();
        let asset = tavolo::assets::get(&url[prefix.len()..]).unwrap();
        assert_eq!(mime, asset.mime, "{url}");
        if url.ends_with(".js") {
            assert!(mime.starts_with("text/javascript"), "{url}: {mime}");
        }
        if url.ends_with(".js") || url.ends_with(".css") {
            todo.extend(relative_refs(&url, &res.text().await.unwrap()));
        }
    }
    // The whole module graph of the board and the fonts of the stylesheets were reached.
    for file in [
        "board/model.js",
        "board/client.js",
        "board/console.js",
        "board/projector.js",
    ] {
        assert!(seen.contains(&format!("{prefix}{file}")), "{file} imported");
    }
    assert!(
        seen.iter().any(|u| u.ends_with(".woff2")),
        "fonts from the stylesheet"
    );
    // The client's configuration carries the card forms the server validates with.
    assert!(page.contains("card_fields") && page.contains("Dai un titolo alla proposta."));
}

#[tokio::test]
async fn static_paths_of_another_version_redirect_and_bare_ones_are_served() {
    let app = TestApp::spawn_seed().await;
    let current = tavolo::assets::url("board/model.js");
    let res = app.get("/static/0123456789ab/board/model.js").await;
    assert_eq!(res.status(), 307);
    assert_eq!(res.headers()["location"], current.as_str());
    assert_eq!(res.headers()["cache-control"], "no-cache");
    let res = app.get("/static/tavolo.js").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-cache");
    assert_eq!(
        res.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    for missing in [
        "/static/nessuno.js",
        "/static/0123456789ab/nessuno.js",
        "/static/non-una-versione/board/model.js",
        "/static/board.js",
    ] {
        assert_eq!(app.get(missing).await.status(), 404, "{missing}");
    }
}

/// Without a mail relay nothing is "written" to anyone: the page says the message waits.
#[tokio::test]
async fn without_a_relay_the_private_page_says_the_mail_is_queued() {
    let app = TestApp::spawn(WorkshopSpec::open("coda", 5)).await;
    let (_, e) = app.enroll_n("coda", 0).await;
    let url = e["manage_url"].as_str().unwrap();
    let path = &url[url.find("/iscrizione/").unwrap()..];
    let page = app
        .get(&format!("{path}?nuova=1"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("è in coda"), "{page}");
    assert!(!page.contains("Ti abbiamo scritto"));
    assert!(page.contains(">in coda</span>") && !page.contains("in invio"));
}
