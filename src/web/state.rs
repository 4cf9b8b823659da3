//! What every request handler is given: the services, built once by `Tavolo::start`.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::services::catalogue::Catalogue;
use crate::services::enrollment::Desk;
use crate::services::login_throttle::LoginThrottle;
use crate::services::revocation::Revocations;
use crate::services::room::Rooms;
use crate::store::Store;
use crate::templates::Templates;
use crate::web::board::GuestGate;
use crate::web::sockets::Sockets;

/// Everything a request handler needs, behind one pointer. axum clones the state for every
/// extractor and middleware that asks for it (several per request); cloning the services one
/// by one cost a dozen atomic increments and as many decrements each time, on counters that
/// both cores touch, and made every value holding a state 160 bytes.
#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl AppState {
    pub fn new(services: Services) -> AppState {
        AppState(Arc::new(services))
    }
}

impl std::ops::Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

/// The services a request handler uses, built once by `Tavolo::start`.
pub struct Services {
    pub store: Store,
    pub catalogue: Arc<Catalogue>,
    pub desk: Desk,
    pub templates: Arc<Templates>,
    pub base_url: Arc<str>,
    /// Whether cookies are `__Host-`/`Secure` (the public address is https).
    pub secure_cookies: bool,
    pub smtp_configured: bool,
    pub shutdown: CancellationToken,
    pub tasks: TaskTracker,
    /// Live board rooms of this instance.
    pub rooms: Rooms,
    /// Open websockets by the accesses they rest on, and per person.
    pub sockets: Arc<Sockets>,
    /// How long personal data are kept (stated by the privacy notice).
    pub retention: crate::domain::privacy::Retention,
    /// Ends accesses (sessions, accounts, keys, enrollments, guests) on every instance.
    pub revocations: Revocations,
    /// Guests joining with a meeting's code: limits per client address.
    pub guest_gate: Arc<GuestGate>,
    /// Login attempts per e-mail and per client address.
    pub login_throttle: Arc<LoginThrottle>,
}
