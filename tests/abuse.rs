//! The HTTP layer under abuse, over real loopback connections: login floods are throttled
//! before any hashing and the hashing pool refuses what it cannot queue; slow headers and idle
//! connections are dropped after the header timeout, and `/healthz` keeps answering; the
//! after-login address stays on this site; personal data is never cached; HSTS over https.
//! Every loop is bounded; the tests assert answers, not timings.

mod common;

use std::net::IpAddr;
use std::time::Duration;

use common::{Browser, TestApp};
use reqwest::StatusCode;
use tavolo::Config;
use tavolo::services::accounts::hash_password;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const PASSWORD: &str = "una password di prova lunga";

/// The hashing pool is one per process: every test here starts its app with this size (the
/// first start sets it), and the tests that log in run one at a time (a flood fills the pool).
const HASH_WORKERS: usize = 1;
const HASH_QUEUE: usize = 4;
static LOGIN_FLOODS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn spawn(adjust: impl FnOnce(&mut Config)) -> TestApp {
    TestApp::spawn_configured(
        |c| {
            c.hash_workers = HASH_WORKERS;
            c.hash_queue = HASH_QUEUE;
            adjust(c);
        },
        false,
    )
    .await
}

async fn organiser(app: &TestApp, email: &str) {
    tavolo::store::accounts::create(
        &app.state.store,
        email,
        "Org",
        "organiser",
        Some(&hash_password(PASSWORD)),
    )
    .await
    .unwrap();
}

/// An HTTP client whose connections come from `source` (any 127.x address is this machine).
fn client_from(source: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .local_address(source.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

fn browser_from(app: &TestApp, source: &str) -> Browser {
    let mut b = Browser::new(app);
    b.client = client_from(source);
    b
}

/// A visitor's CSRF cookie header and token, to send many login forms at once.
async fn csrf(app: &TestApp) -> (String, String) {
    let mut b = Browser::new(app);
    b.get("/accedi").await;
    let (name, token) = b
        .cookies
        .iter()
        .find(|(k, _)| k.ends_with("tavolo_csrf"))
        .unwrap();
    (format!("{name}={token}"), token.clone())
}

/// Sends `n` login forms at once from 127.0.0.1 (`email(i)`, a wrong password) and returns
/// each answer's status, `Retry-After` and body.
async fn flood(
    app: &TestApp,
    n: usize,
    email: impl Fn(usize) -> String,
) -> Vec<(StatusCode, Option<String>, String)> {
    let (cookie, token) = csrf(app).await;
    let mut tasks = Vec::new();
    for i in 0..n {
        let (client, url) = (app.client.clone(), app.url("/accedi"));
        let form = vec![
            ("csrf".to_string(), token.clone()),
            ("email".to_string(), email(i)),
            ("password".to_string(), format!("tentativo {i}")),
        ];
        let cookie = cookie.clone();
        tasks.push(tokio::spawn(async move {
            let res = client
                .post(url)
                .header("cookie", cookie)
                .form(&form)
                .timeout(Duration::from_secs(120))
                .send()
                .await
                .expect("every login is answered");
            let retry = res
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_string());
            (res.status(), retry, res.text().await.unwrap())
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

#[tokio::test]
async fn a_login_flood_from_one_address_is_refused_before_hashing() {
    let _one_at_a_time = LOGIN_FLOODS.lock().await;
    // The production limits: 30 a minute from an address, 5 for an e-mail.
    let app = spawn(|_| {}).await;
    organiser(&app, "org@example.it").await;
    let health = {
        let (client, url) = (app.client.clone(), app.url("/healthz"));
        tokio::spawn(async move {
            for _ in 0..20 {
                let res = client.get(&url).send().await.unwrap();
                assert_eq!(res.status(), 200);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };
    let answers = flood(&app, 200, |i| format!("nessuno{i}@example.it")).await;
    health.await.unwrap();
    let mut throttled = 0;
    for (status, retry, body) in &answers {
        match *status {
            StatusCode::TOO_MANY_REQUESTS => {
                throttled += 1;
                let secs: u64 = retry.as_deref().expect("Retry-After").parse().unwrap();
                assert!((1..=60).contains(&secs), "{secs}");
                assert!(
                    body.contains("Troppi tentativi di accesso: riprova tra"),
                    "{body:.300}"
                );
                assert!(body.contains("name=\"password\""), "the login form again");
            }
            StatusCode::UNAUTHORIZED => assert!(body.contains("E-mail o password non corrette")),
            StatusCode::SERVICE_UNAVAILABLE => {
                assert!(body.contains("Troppe richieste, riprova tra poco"))
            }
            other => panic!("unexpected {other}: {body:.300}"),
        }
    }
    // 30 at once, then one every 2 s: nearly all of the 200 were refused without hashing.
    assert!(throttled >= 150, "{throttled} of 200 throttled");
    // The address has used its attempts: even the right password waits.
    let mut same = browser_from(&app, "127.0.0.1");
    let (status, _, headers) = same
        .post(
            "/accedi",
            &[("email", "org@example.it"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(status, 429);
    assert!(headers.contains_key("retry-after"));
    // Someone else, from another address, logs in at once.
    let mut other = browser_from(&app, "127.0.0.2");
    let (status, _, headers) = other
        .post(
            "/accedi",
            &[("email", "org@example.it"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(headers["location"], "/admin");
    assert_eq!(other.get("/admin").await.0, 200);
}

#[tokio::test]
async fn a_guessed_account_waits_even_with_the_right_password_then_gets_in() {
    let _one_at_a_time = LOGIN_FLOODS.lock().await;
    // 6 a minute for the e-mail (one every 10 s once the burst is used), no address limit.
    let app = spawn(|c| {
        c.login_per_account = 6;
        c.login_per_address = 0;
    })
    .await;
    organiser(&app, "org@example.it").await;
    organiser(&app, "altra@example.it").await;
    let mut attacker = browser_from(&app, "127.0.0.1");
    for i in 0..6 {
        let (status, _, _) = attacker
            .post(
                "/accedi",
                &[
                    ("email", "ORG@example.it "),
                    ("password", &format!("no {i}")),
                ],
            )
            .await;
        assert_eq!(status, 401, "attempt {i}");
    }
    // The right password, from anywhere, waits: the limit is the account's.
    let mut owner = browser_from(&app, "127.0.0.3");
    let (status, body, headers) = owner
        .post(
            "/accedi",
            &[("email", "org@example.it"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(status, 429, "{body:.300}");
    assert!(body.contains("Troppi tentativi di accesso"));
    assert!(
        body.contains("value=\"org@example.it\""),
        "the e-mail is kept"
    );
    let wait: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=10).contains(&wait), "{wait}");
    assert!(owner.cookies.keys().all(|k| !k.contains("sessione")));
    // Another account is not affected.
    let mut colleague = browser_from(&app, "127.0.0.1");
    let (status, _, _) = colleague
        .post(
            "/accedi",
            &[("email", "altra@example.it"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(status, 303);
    // Nobody is locked out for good: after the wait the owner gets in.
    tokio::time::sleep(Duration::from_secs(wait) + Duration::from_millis(200)).await;
    let (status, _, headers) = owner
        .post(
            "/accedi",
            &[("email", "org@example.it"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(headers["location"], "/admin");
}

#[tokio::test]
async fn a_full_hashing_pool_answers_503_and_runs_no_more_than_its_workers() {
    let _one_at_a_time = LOGIN_FLOODS.lock().await;
    let app = spawn(|c| {
        c.login_per_account = 0;
        c.login_per_address = 0;
    })
    .await;
    organiser(&app, "org@example.it").await;
    let pool = tavolo::services::hashing::pool();
    assert_eq!(pool.workers(), HASH_WORKERS);
    let watch = tokio::spawn(async move {
        let mut peak = 0;
        for _ in 0..400 {
            peak = peak.max(pool.running());
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        peak
    });
    let answers = flood(&app, 200, |i| format!("nessuno{i}@example.it")).await;
    let mut busy = 0;
    for (status, retry, body) in &answers {
        match *status {
            StatusCode::UNAUTHORIZED => assert!(body.contains("E-mail o password non corrette")),
            StatusCode::SERVICE_UNAVAILABLE => {
                busy += 1;
                assert_eq!(retry.as_deref(), Some("1"));
                assert!(
                    body.contains("Troppe richieste, riprova tra poco"),
                    "{body:.300}"
                );
                assert!(body.contains("name=\"password\""), "the login form again");
            }
            other => panic!("unexpected {other}: {body:.300}"),
        }
    }
    // One worker and four waiting places cannot take 200 at once.
    assert!(busy > 0, "no login was refused");
    assert!(watch.await.unwrap() <= HASH_WORKERS);
    // Once the flood is over, the right password works.
    let mut b = browser_from(&app, "127.0.0.2");
    let (status, _, _) = b
        .post(
            "/accedi",
            &[("email", "org@example.it"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(status, 303);
}

/// Opens a connection and sends half a request.
async fn half_request(addr: &str) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: tavolo\r\nX-Lento: ")
        .await
        .unwrap();
    s
}

/// Whether the server closed `s` (reads to end of file, or reset) within `limit`.
async fn closed_within(s: &mut TcpStream, limit: Duration) -> bool {
    let mut buf = [0u8; 1024];
    tokio::time::timeout(limit, async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    })
    .await
    .is_ok()
}

#[tokio::test]
async fn slow_headers_and_idle_connections_are_dropped_and_healthz_keeps_answering() {
    let app = spawn(|c| c.header_timeout_seconds = 1).await;
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut slow = Vec::new();
    for _ in 0..300 {
        slow.push(half_request(&addr).await);
    }
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "ok");
    // Each half-sent request is closed by the server (the test gives it 15 s in all).
    let mut open = 0;
    for s in &mut slow {
        if !closed_within(s, Duration::from_secs(15)).await {
            open += 1;
        }
    }
    assert_eq!(open, 0, "connections with half a request still open");
    // An idle kept-alive connection is closed too, after answering its request.
    let mut s = TcpStream::connect(&addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: tavolo\r\n\r\n")
        .await
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = s.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    assert!(closed_within(&mut s, Duration::from_secs(15)).await);
}

#[tokio::test]
async fn beyond_the_connection_cap_new_connections_wait_instead_of_failing() {
    let app = spawn(|c| {
        c.header_timeout_seconds = 1;
        c.max_connections = 20;
    })
    .await;
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut slow = Vec::new();
    for _ in 0..20 {
        slow.push(half_request(&addr).await);
    }
    // All 20 places are taken: this request waits in the kernel's queue until the slow ones
    // are dropped, then is answered.
    let res = app
        .client
        .get(app.url("/healthz"))
        .timeout(Duration::from_secs(15))
        .send()
        .await
        .expect("answered once a place is free");
    assert_eq!(res.status(), 200);
    for s in &mut slow {
        assert!(closed_within(s, Duration::from_secs(15)).await);
    }
}

#[tokio::test]
async fn after_login_only_paths_of_this_site_are_followed() {
    // Logins: not while another test fills the hashing pool.
    let _one_at_a_time = LOGIN_FLOODS.lock().await;
    // Seven logins of one account: its limit is off here.
    let app = spawn(|c| c.login_per_account = 0).await;
    organiser(&app, "org@example.it").await;
    // The form carries the address to go back to, or the default one.
    let mut b = Browser::new(&app);
    let (_, page, _) = b.get("/accedi?dopo=/%09/evil.example").await;
    assert!(
        page.contains("name=\"next\" value=\"&#x2f;admin\""),
        "{page:.2000}"
    );
    for (next, expected) in [
        ("/\t/evil.example", "/admin"),
        ("/\n", "/admin"),
        ("/%0a", "/admin"),
        ("//evil.example", "/admin"),
        ("/\\evil.example", "/admin"),
        ("https://evil.example", "/admin"),
        ("/incontri/3?x=1", "/incontri/3?x=1"),
    ] {
        let mut b = browser_from(&app, "127.0.0.4");
        let (status, body, headers) = b
            .post(
                "/accedi",
                &[
                    ("email", "org@example.it"),
                    ("password", PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(status, 303, "{next:?}: {body:.300}");
        assert_eq!(headers["location"], expected, "{next:?}");
    }
}

#[tokio::test]
async fn personal_data_is_never_cached_and_https_gets_hsts() {
    let app = spawn(|_| {}).await;
    let key = app.account_key("organiser", &[]).await;
    let (status, _) = app.enroll_n("prova", 1).await;
    assert_eq!(status, 201);
    let meeting = app.meeting_id("prova", "M1-1");
    for path in [
        "/api/v1/workshops/prova/enrollments".to_string(),
        format!("/incontri/{meeting}/storia"),
        format!("/incontri/{meeting}/elenco"),
        format!("/api/v1/meetings/{meeting}/export.json"),
        "/admin".to_string(),
        "/admin/laboratori/prova/iscrizioni".to_string(),
        "/admin/laboratori/prova/iscrizioni.csv".to_string(),
        "/laboratori/prova/iscrizione".to_string(),
        "/accedi".to_string(),
    ] {
        let res = app
            .client
            .get(app.url(&path))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.headers()["cache-control"], "no-store", "{path}");
        assert!(!res.headers().contains_key("strict-transport-security"));
    }
    // Public data may be cached; the static files keep their own policy.
    for path in ["/api/v1/workshops", "/api/v1/workshops/prova", "/healthz"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
        assert!(!res.headers().contains_key("cache-control"), "{path}");
    }
    let https = spawn(|c| c.base_url = Some("https://tavolo.example.it".into())).await;
    for path in ["/", "/healthz", "/nessuna-pagina", "/api/v1/workshops"] {
        let res = https.get(path).await;
        assert_eq!(
            res.headers()["strict-transport-security"],
            "max-age=31536000",
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_request_head_over_32_kib_is_refused() {
    let app = spawn(|_| {}).await;
    let res = app
        .client
        .get(app.url("/healthz"))
        .header("x-grande", "a".repeat(40 * 1024))
        .send()
        .await;
    // hyper answers 431 and closes; a client may also see the connection closed first.
    if let Ok(res) = res {
        assert_eq!(res.status(), 431);
    }
    let res = app
        .client
        .get(app.url("/healthz"))
        .header("x-normale", "a".repeat(8 * 1024))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn a_body_sent_byte_by_byte_gets_408_and_the_connection_closes() {
    let app = spawn(|c| {
        c.header_timeout_seconds = 1;
        c.request_timeout_seconds = 2;
    })
    .await;
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut s = TcpStream::connect(&addr).await.unwrap();
    s.write_all(
        b"POST /api/v1/workshops/prova/enrollments HTTP/1.1\r\nHost: tavolo\r\n\
          Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{",
    )
    .await
    .unwrap();
    // A byte every half second: the header timeout (1 s) no longer applies, the deadline does.
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let _ = s.write_all(b" ").await;
        if let Ok(Ok(n)) = tokio::time::timeout(Duration::from_millis(1), s.read(&mut buf)).await {
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buf[..n]);
        }
    }
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("troppo lentamente"), "{answer}");
    assert!(closed_within(&mut s, Duration::from_secs(5)).await);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM enrollments").await,
        0,
        "nothing was written"
    );
}

/// One login attempt from 127.0.0.x with the given `X-Forwarded-For` (if any): its status.
async fn login_via(app: &TestApp, source: &str, forwarded: Option<&str>) -> StatusCode {
    let (cookie, token) = csrf(app).await;
    let mut req = client_from(source)
        .post(app.url("/accedi"))
        .header("cookie", cookie)
        .form(&[
            ("csrf", token.as_str()),
            ("email", "nessuno@example.it"),
            ("password", "sbagliata"),
        ]);
    if let Some(f) = forwarded {
        req = req.header("x-forwarded-for", f);
    }
    req.send().await.unwrap().status()
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_budget_and_no_one_picks_their_address() {
    let _one_at_a_time = LOGIN_FLOODS.lock().await;
    // Two attempts a minute from an address; the proxy is this machine's 127.0.0.1.
    let app = spawn(|c| {
        c.login_per_account = 0;
        c.login_per_address = 2;
        c.trusted_proxies = "127.0.0.1".parse().unwrap();
    })
    .await;
    let proxy = "127.0.0.1";
    // A client behind the proxy uses its two attempts, then waits.
    for _ in 0..2 {
        assert_eq!(login_via(&app, proxy, Some("203.0.113.1")).await, 401);
    }
    assert_eq!(login_via(&app, proxy, Some("203.0.113.1")).await, 429);
    // Writing another address before its own changes nothing: the proxy appended the real one.
    assert_eq!(
        login_via(&app, proxy, Some("198.51.100.50, 203.0.113.1")).await,
        429
    );
    // Another client behind the same proxy is not locked out with it.
    assert_eq!(login_via(&app, proxy, Some("203.0.113.2")).await, 401);
    // A peer that is not a trusted proxy is counted at its own address whatever it claims.
    assert_eq!(login_via(&app, "127.0.0.3", Some("192.0.2.1")).await, 401);
    assert_eq!(login_via(&app, "127.0.0.3", Some("192.0.2.2")).await, 401);
    assert_eq!(login_via(&app, "127.0.0.3", Some("192.0.2.3")).await, 429);
}

#[tokio::test]
async fn without_trusted_proxies_forwarded_addresses_are_ignored() {
    let _one_at_a_time = LOGIN_FLOODS.lock().await;
    let app = spawn(|c| {
        c.login_per_account = 0;
        c.login_per_address = 2;
    })
    .await;
    assert_eq!(login_via(&app, "127.0.0.4", Some("203.0.113.7")).await, 401);
    assert_eq!(login_via(&app, "127.0.0.4", Some("203.0.113.8")).await, 401);
    assert_eq!(login_via(&app, "127.0.0.4", Some("203.0.113.9")).await, 429);
    assert_eq!(login_via(&app, "127.0.0.5", None).await, 401);
}
