//! Every route has an authorization rule: this table proves each kind of visitor gets exactly
//! what it should, and that nobody reaches another workshop's data.

mod common;

use common::{Browser, TestApp, WorkshopSpec};
use tavolo::services::accounts::hash_password;

const PASSWORD: &str = "una password di prova lunga";

/// Logs a staff member in through the real login form.
async fn staff(app: &TestApp, role: &str, email: &str, workshops: &[&str]) -> Browser {
    let store = &app.state.store;
    let id = tavolo::store::accounts::create(
        store,
        email,
        "Staff",
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
    let (status, _, headers) = b
        .post("/accedi", &[("email", email), ("password", PASSWORD)])
        .await;
    assert_eq!(status, 303, "login of {email}");
    assert_eq!(headers["location"], "/admin");
    b
}

#[tokio::test]
async fn each_role_gets_exactly_what_it_should() {
    let app = TestApp::spawn_with(
        vec![WorkshopSpec::open("alfa", 5), WorkshopSpec::open("beta", 5)],
        None,
    )
    .await;
    let (_, a) = app.enroll_n("alfa", 1).await;
    let (_, b) = app.enroll_n("beta", 2).await;
    let a_id = a["id"].as_i64().unwrap();
    let b_id = b["id"].as_i64().unwrap();
    let alfa = app.state.catalogue.by_slug("alfa").unwrap();
    let beta = app.state.catalogue.by_slug("beta").unwrap();
    let meeting_a = alfa.meeting_id("M1-1");
    let meeting_b = beta.meeting_id("M1-1");

    let mut anonymous = Browser::new(&app);
    let mut participant = Browser::new(&app);
    let manage_path = a["manage_url"].as_str().unwrap().replace(&app.base, "");
    assert_eq!(participant.get(&manage_path).await.0, 200);
    let mut facilitator_a = staff(&app, "facilitator", "fa@example.it", &["alfa"]).await;
    let mut facilitator_b = staff(&app, "facilitator", "fb@example.it", &["beta"]).await;
    let mut organiser = staff(&app, "organiser", "org@example.it", &[]).await;

    // (path, anonymous, participant of alfa, facilitator of alfa, facilitator of beta, organiser)
    // 303 for anonymous on pages = redirect to the login page.
    let gets: Vec<(String, [u16; 5])> = vec![
        ("/".into(), [200, 200, 200, 200, 200]),
        ("/laboratori/alfa".into(), [200, 200, 200, 200, 200]),
        (
            "/laboratori/alfa/iscrizione".into(),
            [200, 200, 200, 200, 200],
        ),
        ("/admin".into(), [303, 403, 200, 200, 200]),
        (
            "/admin/laboratori/alfa/iscrizioni".into(),
            [303, 403, 200, 403, 200],
        ),
        (
            "/admin/laboratori/beta/iscrizioni".into(),
            [303, 403, 403, 200, 200],
        ),
        (
            "/admin/laboratori/alfa/iscrizioni.csv".into(),
            [303, 403, 200, 403, 200],
        ),
        (
            format!("/admin/incontri/{meeting_a}/presenze"),
            [303, 403, 200, 403, 200],
        ),
        (
            format!("/admin/incontri/{meeting_b}/presenze"),
            [303, 403, 403, 200, 200],
        ),
        (
            format!("/admin/incontri/{meeting_a}/presenze.csv"),
            [303, 403, 200, 403, 200],
        ),
        ("/admin/posta".into(), [303, 403, 403, 403, 200]),
        ("/admin/account".into(), [303, 403, 403, 403, 200]),
        ("/admin/privacy".into(), [303, 403, 403, 403, 200]),
        (
            "/api/v1/workshops/alfa/enrollments".into(),
            [401, 403, 200, 403, 200],
        ),
        (
            "/api/v1/workshops/beta/enrollments".into(),
            [401, 403, 403, 200, 200],
        ),
    ];
    for (path, expected) in &gets {
        let who = [
            &mut anonymous,
            &mut participant,
            &mut facilitator_a,
            &mut facilitator_b,
            &mut organiser,
        ];
        for (i, browser) in who.into_iter().enumerate() {
            let (status, body, _) = browser.get(path).await;
            assert_eq!(
                status.as_u16(),
                expected[i],
                "GET {path} as visitor #{i}: {body:.300}"
            );
        }
    }

    // Cancelling someone else's enrollment: organisers only, and only with a reason.
    let posts: Vec<(String, [u16; 5])> = vec![
        (
            format!("/admin/iscrizioni/{b_id}/annulla"),
            [303, 403, 403, 403, 303],
        ),
        (
            format!("/admin/iscrizioni/{a_id}/annulla"),
            [303, 403, 403, 403, 303],
        ),
    ];
    for (path, expected) in &posts {
        let who = [
            &mut anonymous,
            &mut participant,
            &mut facilitator_a,
            &mut facilitator_b,
            &mut organiser,
        ];
        for (i, browser) in who.into_iter().enumerate() {
            let (status, body, headers) = browser
                .post(path, &[("reason", "Richiesta dell'interessato")])
                .await;
            assert_eq!(
                status.as_u16(),
                expected[i],
                "POST {path} as visitor #{i}: {body:.300}"
            );
            if i == 0 {
                assert!(headers["location"].to_str().unwrap().starts_with("/accedi"));
            }
        }
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM enrollments WHERE status = 'cancelled'")
            .await,
        2
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'enrollment.cancel'")
            .await,
        2
    );

    // API keys carry their account's rights; a wrong key is refused.
    let key_a = app.account_key("facilitator", &["alfa"]).await;
    let res = app
        .client
        .get(app.url("/api/v1/workshops/beta/enrollments"))
        .bearer_auth(&key_a)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = app
        .client
        .get(app.url("/api/v1/workshops/alfa/enrollments"))
        .bearer_auth("tvl_sbagliata")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn logout_really_ends_the_session() {
    let app = TestApp::spawn(WorkshopSpec::open("uscita", 5)).await;
    let mut org = staff(&app, "organiser", "org@example.it", &[]).await;
    let stolen = org.cookies.clone();
    assert_eq!(org.get("/admin").await.0, 200);
    let (status, _, _) = org.post("/esci", &[]).await;
    assert_eq!(status, 303);
    assert_eq!(org.get("/admin").await.0, 303);
    // A copy of the old cookie is useless too: the session is gone from the server.
    let mut replay = Browser::new(&app);
    replay.cookies = stolen;
    assert_eq!(replay.get("/admin").await.0, 303);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM sessions WHERE account_id IS NOT NULL")
            .await,
        0
    );
}

#[tokio::test]
async fn wrong_passwords_are_refused_in_italian() {
    let app = TestApp::spawn(WorkshopSpec::open("login", 5)).await;
    staff(&app, "organiser", "org@example.it", &[]).await;
    let mut b = Browser::new(&app);
    let (status, body, _) = b
        .post(
            "/accedi",
            &[("email", "org@example.it"), ("password", "sbagliata")],
        )
        .await;
    assert_eq!(status, 401);
    assert!(body.contains("E-mail o password non corrette"));
    let (status, _, _) = b
        .post(
            "/accedi",
            &[("email", "nessuno@example.it"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn the_first_setup_link_works_once() {
    let app = TestApp::spawn(WorkshopSpec::open("setup", 5)).await;
    let link = tavolo::services::accounts::first_setup_link(&app.state.store, &app.base)
        .await
        .unwrap()
        .unwrap();
    let path = link.replace(&app.base, "");
    let mut b = Browser::new(&app);
    assert_eq!(b.get(&path).await.0, 200);
    let fields = [
        ("name", "Maria Organizzatrice"),
        ("email", "maria@anci.example.it"),
        ("password", PASSWORD),
        ("password_confirm", PASSWORD),
    ];
    let (status, body, _) = b
        .post(
            &path,
            &[
                ("name", "M"),
                ("email", "x"),
                ("password", "corta"),
                ("password_confirm", "corta"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(body.contains("almeno 12 caratteri"));
    let (status, _, _) = b.post(&path, &fields).await;
    assert_eq!(status, 303);
    assert_eq!(b.get("/admin").await.0, 200);
    let mut other = Browser::new(&app);
    assert_eq!(other.get(&path).await.0, 410);
    assert_eq!(other.post(&path, &fields).await.0, 410);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM accounts WHERE role = 'organiser'")
            .await,
        1
    );
}

#[tokio::test]
async fn an_account_made_by_an_organiser_chooses_its_password_by_link() {
    let app = TestApp::spawn(WorkshopSpec::open("conti", 5)).await;
    let mut org = staff(&app, "organiser", "org@example.it", &[]).await;
    let (status, body, _) = org
        .post(
            "/admin/account",
            &[
                ("name", ""),
                ("email", "x"),
                ("role", ""),
                ("workshop", "nessuno"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    for message in [
        "Indica il nome e cognome.",
        "Indirizzo e-mail non valido",
        "Scegli il ruolo",
        "Laboratorio non trovato.",
    ] {
        assert!(body.contains(message), "{message}");
    }
    let fields = [
        ("name", "Franco Conduttore"),
        ("email", " Franco@Example.it "),
        ("role", "facilitator"),
        ("workshop", "conti"),
    ];
    let (status, body, _) = org.post("/admin/account", &fields).await;
    assert_eq!(status, 200);
    // The link is printed HTML-escaped ('/' as "&#x2f;").
    let body = body.replace("&#x2f;", "/");
    let at = body.find("/configura/").expect("the page shows the link");
    let link = &body[at..at + "/configura/".len() + 43];
    let (status, body, _) = org.post("/admin/account", &fields).await;
    assert_eq!(status, 422);
    assert!(body.contains("Esiste già un account con questo indirizzo."));

    let mut franco = Browser::new(&app);
    let (status, body, _) = franco.get(link).await;
    assert_eq!(status, 200);
    assert!(body.contains("franco@example.it"));
    let (status, body, _) = franco
        .post(
            link,
            &[
                ("password", PASSWORD),
                ("password_confirm", "un'altra lunga"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(body.contains("Le due password non coincidono."));
    // A password too short and not repeated the same: both said at once.
    let (status, body, _) = franco
        .post(
            link,
            &[("password", "corta"), ("password_confirm", "corto")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(body.contains("Le due password non coincidono."), "{body}");
    assert!(body.contains("Ci sono 2 problemi"), "{body}");
    let (status, _, headers) = franco
        .post(
            link,
            &[("password", PASSWORD), ("password_confirm", PASSWORD)],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(headers["location"], "/admin");
    // Logged in, and assigned to the workshop chosen by the organiser.
    assert_eq!(
        franco.get("/admin/laboratori/conti/iscrizioni").await.0,
        200
    );
    assert_eq!(franco.get("/admin/account").await.0, 403);
    assert_eq!(Browser::new(&app).get(link).await.0, 410);
    let (status, _, _) = Browser::new(&app)
        .post(
            "/accedi",
            &[("email", "franco@example.it"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(status, 303);
}
