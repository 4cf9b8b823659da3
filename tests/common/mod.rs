//! Test harness: starts the real application on 127.0.0.1:0 with a fresh database — a new
//! SQLite file, or a new PostgreSQL database when `TAVOLO_TEST_POSTGRES_URL` is set — and
//! talks to it over real HTTP.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tavolo::{Config, Tavolo};
use tempfile::TempDir;

/// Options for the workshop a test runs against.
#[derive(Clone)]
pub struct WorkshopSpec {
    pub slug: String,
    pub capacity: u32,
    pub opens: DateTime<Utc>,
    pub closes: DateTime<Utc>,
    /// Date, start and end of the first meeting (Rome time); `None`: 12 February 2027,
    /// 9:30–12:30. The second meeting is a week later, on 19 February 2027 at the earliest.
    pub first_meeting: Option<(NaiveDate, NaiveTime, NaiveTime)>,
    /// The Ambiti people choose from (empty: free text).
    pub ambiti: Vec<String>,
}

impl WorkshopSpec {
    pub fn open(slug: &str, capacity: u32) -> WorkshopSpec {
        WorkshopSpec {
            slug: slug.into(),
            capacity,
            opens: Utc::now() - chrono::Duration::days(1),
            closes: Utc::now() + chrono::Duration::days(30),
            first_meeting: None,
            ambiti: Vec::new(),
        }
    }

    /// An open workshop whose first meeting is happening now: today in Rome, from an hour ago
    /// to an hour from now (kept inside the day near midnight).
    pub fn meeting_now(slug: &str, capacity: u32) -> WorkshopSpec {
        let now = Utc::now()
            .with_timezone(&chrono_tz::Europe::Rome)
            .naive_local();
        let day = now.date();
        let hour = chrono::Duration::hours(1);
        let start = (now - hour).max(day.and_hms_opt(0, 0, 0).unwrap());
        let end = (now + hour).min(day.and_hms_opt(23, 59, 0).unwrap());
        WorkshopSpec {
            first_meeting: Some((day, start.time(), end.time())),
            ..WorkshopSpec::open(slug, capacity)
        }
    }

    /// A workshop file with one module of two meetings.
    pub fn toml(&self) -> String {
        let default_first = (
            NaiveDate::from_ymd_opt(2027, 2, 12).unwrap(),
            NaiveTime::from_hms_opt(9, 30, 0).unwrap(),
            NaiveTime::from_hms_opt(12, 30, 0).unwrap(),
        );
        let (first_date, first_start, first_end) = self.first_meeting.unwrap_or(default_first);
        let second_date = (first_date + chrono::Duration::days(7))
            .max(NaiveDate::from_ymd_opt(2027, 2, 19).unwrap());
        format!(
            r#"slug = "{slug}"
title = "Laboratorio di prova {slug}"
organiser = "ANCI Lombardia"
funding = "POR FSE 2014-2020 — CUP E49D20000010009"
capacity = {capacity}
enrollment_opens = {opens}
enrollment_closes = {closes}
eligible_roles = ["responsabile-ufficio-di-piano", "responsabile-servizi-sociali"]
facilitators = ["Silvia De Aloe", "Luciano Gallo"]
ambiti = {ambiti:?}

[[modules]]
title = "I riferimenti normativi dell'amministrazione condivisa"
topics = ["Governance dei Piani di Zona"]

  [[modules.meetings]]
  date = {first_date}
  start = {first_start}
  end = {first_end}
  place = "online"

  [[modules.meetings]]
  date = {second_date}
  start = 09:30:00
  end = 12:30:00
  place = "Milano, via Rovello 2"
"#,
            slug = self.slug,
            capacity = self.capacity,
            first_date = first_date.format("%Y-%m-%d"),
            first_start = first_start.format("%H:%M:%S"),
            first_end = first_end.format("%H:%M:%S"),
            second_date = second_date.format("%Y-%m-%d"),
            ambiti = self.ambiti,
            opens = self
                .opens
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            closes = self
                .closes
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        )
    }
}

/// A database for one test: SQLite file in a temp dir, or a fresh PostgreSQL database.
pub struct TestDb {
    pub url: String,
    pg_admin: Option<(String, String)>,
}

static DB_COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestDb {
    pub async fn new(dir: &Path) -> TestDb {
        match std::env::var("TAVOLO_TEST_POSTGRES_URL") {
            Ok(admin_url) if !admin_url.is_empty() => {
                let name = format!(
                    "tavolo_t_{}_{}_{}",
                    std::process::id(),
                    DB_COUNTER.fetch_add(1, Ordering::SeqCst),
                    Utc::now().timestamp_micros() % 1_000_000
                );
                sqlx::any::install_default_drivers();
                let pool = sqlx::AnyPool::connect(&admin_url)
                    .await
                    .expect("connect to PostgreSQL");
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&pool)
                    .await
                    .expect("create test database");
                pool.close().await;
                let base = admin_url
                    .rsplit_once('/')
                    .map(|(b, _)| b)
                    .unwrap_or(&admin_url);
                TestDb {
                    url: format!("{base}/{name}"),
                    pg_admin: Some((admin_url.clone(), name)),
                }
            }
            _ => TestDb {
                url: format!("sqlite://{}/tavolo.db", dir.display()),
                pg_admin: None,
            },
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.pg_admin.is_some()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.pg_admin.take() {
            // Best effort, out of the async runtime: psql is on every machine with PostgreSQL.
            let _ = std::process::Command::new("psql")
                .arg(&admin)
                .arg("-qc")
                .arg(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status();
        }
    }
}

/// A running Tavolo with its own database and workshops directory.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub state: tavolo::web::AppState,
    pub workshops_dir: PathBuf,
    pub db: TestDb,
    pub config: Config,
    /// A connection pool of the test's own on the app's database, to check what was stored
    /// (the app's pool is private to its store).
    pub sql: sqlx::AnyPool,
    server: Option<tokio::task::JoinHandle<()>>,
    _dir: TempDir,
}

impl TestApp {
    pub async fn spawn(spec: WorkshopSpec) -> TestApp {
        Self::spawn_with(vec![spec], None).await
    }

    pub async fn spawn_with(specs: Vec<WorkshopSpec>, smtp_url: Option<String>) -> TestApp {
        Self::spawn_adjusted(specs, |c| c.smtp_url = smtp_url).await
    }

    /// These workshops, with a hook to adjust the configuration before start.
    pub async fn spawn_adjusted(
        specs: Vec<WorkshopSpec>,
        adjust: impl FnOnce(&mut Config),
    ) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let workshops_dir = dir.path().join("workshops");
        std::fs::create_dir_all(&workshops_dir).unwrap();
        for s in &specs {
            std::fs::write(workshops_dir.join(format!("{}.toml", s.slug)), s.toml()).unwrap();
        }
        let db = TestDb::new(dir.path()).await;
        let mut config = Config::for_tests(&db.url, workshops_dir.clone());
        adjust(&mut config);
        Self::start(config, db, dir, workshops_dir).await
    }

    /// The shipped workshop files (the seed workshop and the second edition).
    pub async fn spawn_seed() -> TestApp {
        Self::spawn_configured(|_| {}, true).await
    }

    /// A test workshop, with a hook to adjust the configuration before start.
    pub async fn spawn_configured(adjust: impl FnOnce(&mut Config), seed: bool) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let workshops_dir = dir.path().join("workshops");
        std::fs::create_dir_all(&workshops_dir).unwrap();
        if seed {
            let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("workshops");
            for f in std::fs::read_dir(shipped).unwrap() {
                let f = f.unwrap().path();
                if f.extension().is_some_and(|x| x == "toml") {
                    std::fs::copy(&f, workshops_dir.join(f.file_name().unwrap())).unwrap();
                }
            }
        } else {
            let spec = WorkshopSpec::open("prova", 5);
            std::fs::write(workshops_dir.join("prova.toml"), spec.toml()).unwrap();
        }
        let db = TestDb::new(dir.path()).await;
        let mut config = Config::for_tests(&db.url, workshops_dir.clone());
        adjust(&mut config);
        Self::start(config, db, dir, workshops_dir).await
    }

    /// Starts (or restarts) the server on the given configuration.
    async fn start(
        mut config: Config,
        db: TestDb,
        dir: TempDir,
        workshops_dir: PathBuf,
    ) -> TestApp {
        let listener = tavolo::listen("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = listener.local_addr().unwrap();
        let base = format!("http://{addr}");
        // A test may set its own public address (e.g. https, to check Secure cookies).
        if config.base_url.is_none() {
            config.base_url = Some(base.clone());
        }
        config.bind = addr;
        let tavolo = Tavolo::start(&config).await.expect("tavolo starts");
        let state = tavolo.state.clone();
        let server = tokio::spawn(async move {
            tavolo.serve(listener).await.expect("serve");
        });
        let sql = sqlx::any::AnyPoolOptions::new()
            .max_connections(2)
            .connect(&db.url)
            .await
            .expect("the test's own connection to the database");
        TestApp {
            sql,
            base,
            client: client(),
            state,
            workshops_dir,
            db,
            config,
            server: Some(server),
            _dir: dir,
        }
    }

    /// A second instance on the same database and workshop files (PostgreSQL: several
    /// instances share the load). The first instance keeps ownership of the database.
    pub async fn second_instance(&self) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = TestDb {
            url: self.db.url.clone(),
            pg_admin: None,
        };
        let mut config = self.config.clone();
        config.base_url = None;
        Self::start(config, db, dir, self.workshops_dir.clone()).await
    }

    /// Stops the server (graceful) and starts a new one on the same database and files.
    pub async fn restart(mut self) -> TestApp {
        self.stop().await;
        let TestApp {
            config,
            db,
            _dir,
            workshops_dir,
            ..
        } = self;
        Self::start(config, db, _dir, workshops_dir).await
    }

    pub async fn stop(&mut self) {
        self.state.shutdown.cancel();
        if let Some(s) = self.server.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), s).await;
        }
        self.sql.close().await;
        self.state.store.close().await;
    }

    /// The database id of a meeting of a workshop (`"M1-1"`: module 1, meeting 1).
    pub fn meeting_id(&self, slug: &str, key: &str) -> i64 {
        self.state
            .catalogue
            .by_slug(slug)
            .expect("the workshop is in the catalogue")
            .meeting_id(key)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn enroll(&self, slug: &str, body: Value) -> (StatusCode, Value) {
        let res = self
            .client
            .post(self.url(&format!("/api/v1/workshops/{slug}/enrollments")))
            .json(&body)
            .send()
            .await
            .expect("POST enrollment");
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// Enrolls `Persona N` with a valid application.
    pub async fn enroll_n(&self, slug: &str, n: usize) -> (StatusCode, Value) {
        self.enroll(slug, application(n)).await
    }

    pub async fn cancel(&self, manage_url: &str) -> (StatusCode, Value) {
        let token = manage_url.rsplit('/').next().unwrap();
        let res = self
            .client
            .post(self.url(&format!("/api/v1/enrollments/{token}/cancel")))
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// Creates an organiser account and returns an API key for it.
    pub async fn organiser_key(&self) -> String {
        self.account_key("organiser", &[]).await
    }

    /// Creates a staff account (assigned to `workshops` by slug) and returns an API key.
    pub async fn account_key(&self, role: &str, workshops: &[&str]) -> String {
        let store = &self.state.store;
        let n = DB_COUNTER.fetch_add(1, Ordering::SeqCst);
        let id = tavolo::store::accounts::create(
            store,
            &format!("{role}{n}@example.it"),
            "Staff",
            role,
            None,
        )
        .await
        .unwrap();
        for slug in workshops {
            let w = self.state.catalogue.by_slug(slug).unwrap();
            tavolo::store::accounts::assign_workshop(store, id, w.id)
                .await
                .unwrap();
        }
        tavolo::services::accounts::new_api_key(store, id, "test")
            .await
            .unwrap()
    }

    /// The organiser's view: every enrollment in arrival order.
    pub async fn enrollments(&self, slug: &str, key: &str) -> Vec<Value> {
        let res = self
            .client
            .get(self.url(&format!("/api/v1/workshops/{slug}/enrollments")))
            .bearer_auth(key)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        body["enrollments"].as_array().unwrap().clone()
    }

    /// Every outbox message as (kind, recipient, status).
    pub async fn outbox(&self) -> Vec<(String, String, String)> {
        sqlx::query_as("SELECT kind, recipient, status FROM outbox ORDER BY id")
            .fetch_all(&self.sql)
            .await
            .unwrap()
    }

    pub async fn count(&self, sql: &str) -> i64 {
        let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_one(&self.sql)
            .await
            .unwrap();
        n
    }
}

/// The personal token of an enrollment answer: the last segment of its `manage_url` (what a
/// participant's board connection and private link carry).
pub fn personal_token(enrollment: &Value) -> String {
    enrollment["manage_url"]
        .as_str()
        .expect("an enrollment answer has a manage_url")
        .rsplit('/')
        .next()
        .unwrap()
        .to_string()
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap()
}

pub fn application(n: usize) -> Value {
    json!({
        "name": format!("Persona {n}"),
        "email": format!("persona{n}@comune.example.it"),
        "role": "responsabile-ufficio-di-piano",
        "ente": "Comune di Bergamo",
        "comune_istat": "016024",
        "ambito": "Ambito di Bergamo",
        "privacy_ack": true,
    })
}

/// Waits until `f` returns true, or panics after `secs` seconds.
pub async fn eventually<F, Fut>(secs: u64, what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if f().await {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A browser-like session: keeps cookies by hand (our cookies may be `Secure`).
pub struct Browser {
    pub client: reqwest::Client,
    pub cookies: std::collections::BTreeMap<String, String>,
    pub base: String,
}

impl Browser {
    pub fn new(app: &TestApp) -> Browser {
        Browser {
            client: client(),
            cookies: Default::default(),
            base: app.base.clone(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep(&mut self, res: &reqwest::Response) {
        for v in res.headers().get_all("set-cookie") {
            let v = v.to_str().unwrap();
            let (kv, attrs) = v.split_once(';').unwrap_or((v, ""));
            let (k, val) = kv.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), val.to_string());
            }
        }
    }

    pub async fn get(&mut self, path: &str) -> (StatusCode, String, reqwest::header::HeaderMap) {
        let res = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep(&res);
        let status = res.status();
        let headers = res.headers().clone();
        (status, res.text().await.unwrap(), headers)
    }

    /// Posts a form, adding the CSRF token from the cookie (as the page's hidden field would).
    pub async fn post(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, String, reqwest::header::HeaderMap) {
        if !self.cookies.keys().any(|k| k.ends_with("tavolo_csrf")) {
            self.get("/").await;
        }
        let csrf = self
            .cookies
            .iter()
            .find(|(k, _)| k.ends_with("tavolo_csrf"))
            .unwrap()
            .1
            .clone();
        let mut form: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header("origin", self.base.clone())
            .form(&form)
            .send()
            .await
            .unwrap();
        self.keep(&res);
        let status = res.status();
        let headers = res.headers().clone();
        (status, res.text().await.unwrap(), headers)
    }
}

/// Says that a test could not run here, on the terminal even when the test harness captures
/// output (it captures the print macros only): a skipped test must never look like a pass.
pub fn skipped(why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED: {why}");
}
