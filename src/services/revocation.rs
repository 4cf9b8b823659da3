//! Access that ends when it should. When a session, an account, an API key, an enrollment or a
//! meeting's guests lose their access, [`Revocations::end`] deletes the sessions concerned and
//! tells every instance (this one at once, the others through `store::revocations`, PostgreSQL
//! `NOTIFY`) so that each closes that access's open board websockets (close code 4001). The web
//! layer subscribes ([`Revocations::subscribe`]) and owns the sockets.

use std::time::Duration;

use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::store::{self, DbError, Store};

/// One access that ended: what the open websockets are registered under.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Access {
    /// A session (hash of its cookie token): logout.
    Session(String),
    /// An API key (hash of the key): revoked.
    ApiKey(String),
    /// Everything of a staff account: disabled, or its password changed.
    Account(i64),
    /// Everything of an enrolled person: the enrollment was cancelled.
    Enrollment(i64),
    /// Every guest of a meeting: its guest code was disabled.
    GuestsOfMeeting(i64),
}

impl Access {
    /// The text announced to the other instances.
    fn payload(&self) -> String {
        match self {
            Access::Session(h) => format!("session:{h}"),
            Access::ApiKey(h) => format!("api_key:{h}"),
            Access::Account(id) => format!("account:{id}"),
            Access::Enrollment(id) => format!("enrollment:{id}"),
            Access::GuestsOfMeeting(id) => format!("guests:{id}"),
        }
    }

    fn parse(payload: &str) -> Option<Access> {
        let (kind, value) = payload.split_once(':')?;
        Some(match kind {
            "session" => Access::Session(value.to_string()),
            "api_key" => Access::ApiKey(value.to_string()),
            "account" => Access::Account(value.parse().ok()?),
            "enrollment" => Access::Enrollment(value.parse().ok()?),
            "guests" => Access::GuestsOfMeeting(value.parse().ok()?),
            _ => return None,
        })
    }
}

/// Ends access and tells whoever holds open connections; cheap to clone.
#[derive(Clone)]
pub struct Revocations {
    store: Store,
    tx: broadcast::Sender<Access>,
}

impl Revocations {
    pub fn new(store: Store) -> Revocations {
        let (tx, _) = broadcast::channel(1024);
        Revocations { store, tx }
    }

    /// The accesses ended from now on, on this instance or (PostgreSQL) any other.
    pub fn subscribe(&self) -> broadcast::Receiver<Access> {
        self.tx.subscribe()
    }

    /// Ends an access: deletes its sessions (none for an API key, whose revocation the caller
    /// wrote) and closes its websockets on every instance. The sessions are gone before this
    /// returns; an announcement that cannot be sent is logged, and the other instances' periodic
    /// check (`web::sockets`, every minute) closes those sockets instead.
    pub async fn end(&self, access: Access) -> Result<(), DbError> {
        use store::accounts as rows;
        match &access {
            Access::Session(hash) => rows::delete_session(&self.store, hash).await?,
            Access::ApiKey(_) => {}
            Access::Account(id) => {
                rows::delete_sessions_of_account(&self.store, *id).await?;
            }
            Access::Enrollment(id) => {
                rows::delete_sessions_of_enrollment(&self.store, *id).await?;
            }
            Access::GuestsOfMeeting(id) => {
                rows::delete_guest_sessions_of_meeting(&self.store, *id).await?;
            }
        }
        // This instance at once; on PostgreSQL the announcement reaches it again (harmless).
        let _ = self.tx.send(access.clone());
        if let Err(e) = store::revocations::announce(&self.store, &access.payload()).await {
            tracing::warn!(error = %e, ?access, "could not tell the other instances an access ended");
        }
        Ok(())
    }
}

/// Hears the accesses other instances ended (PostgreSQL only) and passes them on to this
/// instance's subscribers, until shutdown.
pub async fn follow_other_instances(
    database_url: String,
    revocations: Revocations,
    shutdown: CancellationToken,
) {
    let mut notices = loop {
        match store::revocations::Notices::connect(&database_url).await {
            Ok(n) => break n,
            Err(e) => tracing::warn!(error = %e, "cannot listen to ended accesses; retrying"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
        }
    };
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            notice = notices.next() => match notice {
                Ok(store::revocations::Notice::Ended(payload)) => {
                    if let Some(access) = Access::parse(&payload) {
                        let _ = revocations.tx.send(access);
                    }
                }
                // Lost announcements are caught by the periodic check of open sockets.
                Ok(store::revocations::Notice::MaybeMissed) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "listener of ended accesses failed");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_read_back_as_what_was_announced() {
        for a in [
            Access::Session("ab12".into()),
            Access::ApiKey("cd34".into()),
            Access::Account(3),
            Access::Enrollment(41),
            Access::GuestsOfMeeting(7),
        ] {
            assert_eq!(Access::parse(&a.payload()), Some(a));
        }
        assert_eq!(Access::parse("account:x"), None);
        assert_eq!(Access::parse("other:1"), None);
        assert_eq!(Access::parse("nothing"), None);
    }
}
