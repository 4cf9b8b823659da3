//! Tavolo: co-programming workshops between Italian public administrations and the Terzo
//! settore. `app(state)` is the whole HTTP application; `Tavolo::start` wires the services.
//!
//! Layers (imports run downwards only): the front ends `web` (HTTP) and `cli` (the `tavolo`
//! command's admin and export commands) → `services` and `export` → `store` → `domain`.

pub mod assets;
pub mod cli;
pub mod config;
pub mod domain;
pub mod export;
pub mod memory;
pub mod secret;
pub mod services;
pub mod store;
pub mod templates;
pub mod web;
pub mod workshop_files;

use std::sync::Arc;

use lettre::message::Mailbox;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use config::Config;
use services::catalogue::Catalogue;
use services::enrollment::{Desk, MailContext};
use services::mail::SmtpConfig;
use store::Store;
use templates::Templates;
use web::AppState;

/// The HTTP application.
pub fn app(state: AppState) -> axum::Router {
    web::router(state)
}

/// Opens the listening socket. The backlog is 4,096 (the kernel caps it at `somaxconn`), not
/// the 128 of `TcpListener::bind`: a room of 1,000 people reconnecting at once after a restart
/// overflowed 128 and half of them waited a second for their SYN to be retried.
pub fn listen(addr: std::net::SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(4096)
}

/// Closes this instance's websockets of every access that ends (here or on another instance).
async fn close_ended_sockets(
    mut ended: tokio::sync::broadcast::Receiver<services::revocation::Access>,
    sockets: Arc<web::sockets::Sockets>,
    shutdown: CancellationToken,
) {
    use tokio::sync::broadcast::error::RecvError;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            access = ended.recv() => match access {
                Ok(access) => sockets.close(&access),
                // Missed some: the periodic check below closes what they concerned.
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return,
            },
        }
    }
}

/// How often the open websockets' sessions, API keys and enrollments are checked again.
const RECHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// A backstop for the announcements of ended accesses (`web::sockets::Sockets::recheck`),
/// every minute until shutdown.
async fn recheck_open_sockets(
    store: Store,
    sockets: Arc<web::sockets::Sockets>,
    shutdown: CancellationToken,
) {
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(RECHECK_EVERY) => {}
        }
        sockets.recheck(&store).await;
    }
}

/// A started Tavolo: its state and background tasks, ready to serve.
pub struct Tavolo {
    pub state: AppState,
    /// The HTTP server's bounds (header timeout, connection cap).
    pub limits: web::server::Limits,
    /// The reverse proxies believed about their clients' addresses.
    pub proxies: web::client_address::TrustedProxies,
    /// Printed at first start: the one-time link to create the first organiser.
    pub setup_link: Option<String>,
}

impl Tavolo {
    /// Connects and migrates the database, loads and syncs the catalogue, starts the
    /// enrollment desk, the deadline watcher, the retention sweep and (when configured) the
    /// mail worker.
    pub async fn start(config: &Config) -> anyhow::Result<Tavolo> {
        let base_url: Arc<str> = config.base_url().into();
        let smtp = config
            .smtp_url
            .as_deref()
            .map(|url| {
                let relay = SmtpConfig::parse(url)?;
                match &config.smtp_ca_file {
                    Some(path) => relay.with_ca_file(path),
                    None => Ok(relay),
                }
            })
            .transpose()
            .map_err(anyhow::Error::msg)?;
        let from: Mailbox = config
            .mail_from
            .parse()
            .map_err(|e| anyhow::anyhow!("TAVOLO_MAIL_FROM non valido: {e}"))?;
        let templates = Arc::new(Templates::new(config.templates_dir()));
        templates.check_all()?;
        let store = Store::connect(&config.database_url).await?;
        let catalogue = Arc::new(Catalogue::load(&config.workshops, &store).await?);
        let outbox_wakeup = Arc::new(Notify::new());
        let desk = Desk::start(
            store.clone(),
            MailContext {
                templates: templates.clone(),
                base_url: base_url.to_string(),
                outbox_wakeup: outbox_wakeup.clone(),
            },
        );
        let shutdown = CancellationToken::new();
        let tasks = TaskTracker::new();
        tasks.spawn(store::keep_wal_short(store.clone(), shutdown.clone()));
        tasks.spawn(services::deadlines::run(
            catalogue.clone(),
            desk.clone(),
            shutdown.clone(),
        ));
        if let Some(smtp) = smtp.clone() {
            tasks.spawn(services::mail::run(
                store.clone(),
                smtp,
                from,
                outbox_wakeup,
                shutdown.clone(),
            ));
        } else {
            tracing::info!(
                "TAVOLO_SMTP_URL not set: notifications stay in the outbox (organiser page /admin/posta)"
            );
        }
        let rooms = services::room::Rooms::new(
            store.clone(),
            catalogue.clone(),
            shutdown.clone(),
            services::attendance::BoardPresence::new(config.attendance_margin_minutes),
        );
        if store.backend == store::Backend::Postgres {
            tasks.spawn(services::room::follow_other_instances(
                config.database_url.clone(),
                rooms.clone(),
                shutdown.clone(),
            ));
            tasks.spawn(rooms.clone().keep_presence_alive(shutdown.clone()));
        }
        // Personal data past their retention period are erased at start and then hourly.
        tasks.spawn(services::privacy::run(
            store.clone(),
            catalogue.clone(),
            rooms.clone(),
            config.retention(),
            shutdown.clone(),
        ));
        let setup_link = services::accounts::first_setup_link(&store, &base_url).await?;
        let revocations = services::revocation::Revocations::new(store.clone());
        let sockets: Arc<web::sockets::Sockets> = Arc::default();
        if store.backend == store::Backend::Postgres {
            tasks.spawn(services::revocation::follow_other_instances(
                config.database_url.clone(),
                revocations.clone(),
                shutdown.clone(),
            ));
        }
        tasks.spawn(close_ended_sockets(
            revocations.subscribe(),
            sockets.clone(),
            shutdown.clone(),
        ));
        tasks.spawn(recheck_open_sockets(
            store.clone(),
            sockets.clone(),
            shutdown.clone(),
        ));
        tasks.spawn(services::accounts::purge_periodically(
            store.clone(),
            shutdown.clone(),
        ));
        // One hashing pool per process: the first Tavolo started sets its size.
        services::hashing::configure(config.hash_workers, config.hash_queue);
        let login_throttle = Arc::new(services::login_throttle::LoginThrottle::new(
            config.login_per_account,
            config.login_per_address,
        ));
        tasks.spawn(forget_idle_logins(login_throttle.clone(), shutdown.clone()));
        tasks.spawn(memory::give_back_after_waves(shutdown.clone()));
        let state = AppState::new(web::state::Services {
            store,
            catalogue,
            desk,
            templates,
            secure_cookies: base_url.starts_with("https://"),
            base_url,
            smtp_configured: smtp.is_some(),
            shutdown,
            tasks,
            rooms,
            sockets,
            revocations,
            retention: config.retention(),
            guest_gate: Arc::default(),
            login_throttle,
        });
        let limits = web::server::Limits {
            header_timeout: std::time::Duration::from_secs(config.header_timeout_seconds),
            max_connections: config.max_connections,
            request_deadline: std::time::Duration::from_secs(config.request_timeout_seconds),
        };
        Ok(Tavolo {
            state,
            limits,
            proxies: config.trusted_proxies.clone(),
            setup_link,
        })
    }

    /// Serves on an already-bound listener until `shutdown` is cancelled, then stops accepting,
    /// lets in-flight requests finish and waits for the background tasks.
    pub async fn serve(self, listener: tokio::net::TcpListener) -> anyhow::Result<()> {
        let state = self.state.clone();
        let app = app(state.clone());
        web::server::serve(
            listener,
            app,
            self.limits,
            self.proxies,
            state.shutdown.clone(),
        )
        .await?;
        state.tasks.close();
        state.tasks.wait().await;
        Ok(())
    }
}

/// Every minute, the login throttle forgets the e-mails and addresses it no longer limits.
async fn forget_idle_logins(
    throttle: Arc<services::login_throttle::LoginThrottle>,
    shutdown: CancellationToken,
) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        tokio::select! {
            _ = every.tick() => throttle.forget_idle(),
            _ = shutdown.cancelled() => return,
        }
    }
}
