//! What every request handler is given: the services, built once by `Tavolo::start`.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::services::catalogue::Catalogue;
use crate::services::enrollment::Desk;
use crate::services::login_throttle::LoginThrottle;
use crate::services::room::Rooms;
use crate::store::Store;
use crate::templates::Templates;
use crate::web::sockets::Sockets;

/// Everything a request handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
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
    /// Open websockets by session (logout closes them) and per person.
    pub sockets: Arc<Sockets>,
    /// Login attempts per e-mail and per client address.
    pub login_throttle: Arc<LoginThrottle>,
}
