//! Configuration from flags and environment variables (flags win).

use std::net::SocketAddr;
use std::path::PathBuf;

/// Settings of a running Tavolo.
#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Database: `sqlite://tavolo.db` (default, created if missing) or `postgres://…`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://tavolo.db")]
    pub database_url: String,
    /// Address to listen on.
    #[arg(long, env = "TAVOLO_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Public address of this server: used in e-mail links and as the websocket Origin
    /// allowlist. Defaults to `http://` + the bind address.
    #[arg(long, env = "TAVOLO_BASE_URL")]
    pub base_url: Option<String>,
    /// SMTP relay: `smtps://[user:password@]host[:port]` (TLS, port 465),
    /// `smtp+starttls://…` (STARTTLS required, port 587) or `smtp://…` (no encryption: a relay
    /// on this machine). Without it mail stays in the outbox.
    #[arg(long, env = "TAVOLO_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// A PEM file of certificate authorities trusted for the relay besides the system's (an
    /// Ente's internal CA).
    #[arg(long, env = "TAVOLO_SMTP_CA_FILE")]
    pub smtp_ca_file: Option<PathBuf>,
    /// Sender of the notifications.
    #[arg(
        long,
        env = "TAVOLO_MAIL_FROM",
        default_value = "Tavolo <tavolo@localhost>"
    )]
    pub mail_from: String,
    /// Directory of the workshop files.
    #[arg(long, env = "TAVOLO_WORKSHOPS", default_value = "workshops")]
    pub workshops: PathBuf,
    /// Directory whose templates override the built-in ones (default `templates/` if present).
    #[arg(long, env = "TAVOLO_TEMPLATES")]
    pub templates: Option<PathBuf>,
    /// Minutes before a meeting's start and after its end during which joining its board
    /// still marks an enrolled person present (outside that window nothing is recorded).
    /// Every instance sharing a database must use the same value.
    #[arg(
        long,
        env = "TAVOLO_ATTENDANCE_MARGIN_MINUTES",
        default_value_t = 30,
        value_parser = clap::value_parser!(u32).range(0..=240)
    )]
    pub attendance_margin_minutes: u32,
    /// Days after a workshop's last meeting after which its participants' personal data are
    /// erased (names, e-mails, sessions, mail, guests; the record keeps ente and role). See
    /// docs/privacy.md. Every instance sharing a database must use the same value.
    #[arg(
        long,
        env = "TAVOLO_RETENTION_DAYS",
        default_value_t = 365,
        value_parser = clap::value_parser!(u32).range(0..=3650)
    )]
    pub retention_days: u32,
    /// Days after a cancellation after which the cancelled enrollment's personal data are
    /// erased (a cancelled enrollment is part of no record).
    #[arg(
        long,
        env = "TAVOLO_CANCELLED_RETENTION_DAYS",
        default_value_t = 30,
        value_parser = clap::value_parser!(u32).range(0..=3650)
    )]
    pub cancelled_retention_days: u32,
    /// Login attempts per minute for one e-mail (a burst of this many, then one every
    /// 60/n seconds); 0 turns the limit off.
    #[arg(long, env = "TAVOLO_LOGIN_PER_ACCOUNT", default_value_t = crate::services::login_throttle::DEFAULT_PER_ACCOUNT)]
    pub login_per_account: u32,
    /// Login attempts per minute from one client address (IPv6: one /64); 0 turns it off.
    #[arg(long, env = "TAVOLO_LOGIN_PER_ADDRESS", default_value_t = crate::services::login_throttle::DEFAULT_PER_ADDRESS)]
    pub login_per_address: u32,
    /// Password hashes (Argon2, ~19 MiB each) computed at once; 0: the CPUs, at most 4.
    #[arg(long, env = "TAVOLO_HASH_WORKERS", default_value_t = 0)]
    pub hash_workers: usize,
    /// Logins that may wait for a hashing worker; beyond them a login gets 503 at once.
    #[arg(long, env = "TAVOLO_HASH_QUEUE", default_value_t = crate::services::hashing::DEFAULT_QUEUE)]
    pub hash_queue: usize,
    /// Seconds a client has to send a request's headers; also how long an idle keep-alive
    /// connection is kept.
    #[arg(
        long,
        env = "TAVOLO_HEADER_TIMEOUT_SECONDS",
        default_value_t = 10,
        value_parser = clap::value_parser!(u64).range(1..=300)
    )]
    pub header_timeout_seconds: u64,
    /// Seconds (1–3600) to receive a request, its body included, and prepare the answer;
    /// beyond it 408 and the connection is closed.
    #[arg(
        long,
        env = "TAVOLO_REQUEST_TIMEOUT_SECONDS",
        default_value_t = 60,
        value_parser = clap::value_parser!(u64).range(1..=3600)
    )]
    pub request_timeout_seconds: u64,
    /// Connections open at once (websockets included); further ones wait in the kernel's
    /// queue. Kept below the process' open-file limit in any case.
    #[arg(long, env = "TAVOLO_MAX_CONNECTIONS", default_value_t = 10_000)]
    pub max_connections: usize,
    /// Reverse proxies (addresses or networks, comma-separated: `127.0.0.1,10.0.0.0/8`) whose
    /// `X-Forwarded-For` names the client; see `web::client_address`. None by default: the
    /// client is the TCP peer.
    #[arg(long, env = "TAVOLO_TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: crate::web::client_address::TrustedProxies,
}

impl Config {
    /// The public base URL without a trailing slash.
    pub fn base_url(&self) -> String {
        match &self.base_url {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => format!("http://{}", self.bind),
        }
    }

    /// The template override directory, if any.
    pub fn templates_dir(&self) -> Option<PathBuf> {
        match &self.templates {
            Some(dir) => Some(dir.clone()),
            None => {
                let default = PathBuf::from("templates");
                default.is_dir().then_some(default)
            }
        }
    }

    /// How long personal data are kept (`services::privacy`).
    pub fn retention(&self) -> crate::domain::privacy::Retention {
        crate::domain::privacy::Retention {
            after_workshop_days: self.retention_days,
            after_cancellation_days: self.cancelled_retention_days,
        }
    }

    /// Defaults for tests and tools: a database URL and a workshops directory.
    pub fn for_tests(database_url: &str, workshops: PathBuf) -> Config {
        Config {
            database_url: database_url.to_string(),
            bind: "127.0.0.1:0".parse().expect("valid address"),
            base_url: None,
            smtp_url: None,
            smtp_ca_file: None,
            mail_from: "Tavolo <tavolo@localhost>".into(),
            workshops,
            templates: None,
            attendance_margin_minutes: 30,
            // Ten years: the shipped 2021 workshop stays whole in tests (those of the privacy
            // lifecycle move the clock instead, see tests/privacy.rs).
            retention_days: 3650,
            cancelled_retention_days: 30,
            login_per_account: crate::services::login_throttle::DEFAULT_PER_ACCOUNT,
            login_per_address: crate::services::login_throttle::DEFAULT_PER_ADDRESS,
            hash_workers: 0,
            hash_queue: crate::services::hashing::DEFAULT_QUEUE,
            header_timeout_seconds: 10,
            request_timeout_seconds: 60,
            max_connections: 10_000,
            trusted_proxies: Default::default(),
        }
    }
}
