//! Open websockets by the accesses they rest on (their session or API key, their account,
//! enrollment or meeting's guests), so that whatever ends one of those closes them at once
//! (`services::revocation`, on every instance), and a cap on connections per person and
//! meeting.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;

use crate::domain::board::ActorId;
use crate::domain::enrollment::Status;
use crate::services::revocation::Access;
use crate::services::{accounts, enrollment};
use crate::store::Store;

/// Most simultaneous connections of one person to one meeting (phone + laptop + spare tabs).
pub const MAX_PER_PERSON: usize = 5;

/// The open websockets of this instance.
#[derive(Default)]
pub struct Sockets {
    by_access: Mutex<Registry>,
    per_person: Mutex<HashMap<(i64, ActorId), usize>>,
}

/// Held by a connection; releases its slot when dropped.
pub struct Slot {
    sockets: Arc<Sockets>,
    key: (i64, ActorId),
}

impl Drop for Slot {
    fn drop(&mut self) {
        crate::memory::note_connection();
        let mut m = self
            .sockets
            .per_person
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(n) = m.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                m.remove(&self.key);
            }
        }
    }
}

#[derive(Default)]
struct Registry {
    tokens: HashMap<Access, Vec<CancellationToken>>,
    /// Registrations since the last sweep of ended connections.
    since_sweep: usize,
}

/// Every this many registrations, the lists forget the connections that ended (a connection's
/// token is cancelled when it ends), so the map does not grow with every reconnect.
const SWEEP_EVERY: usize = 256;

impl Sockets {
    /// Takes a connection slot for a person in a meeting, if under the cap.
    pub fn take_slot(self: &Arc<Self>, meeting_id: i64, actor_id: ActorId) -> Option<Slot> {
        let key = (meeting_id, actor_id);
        let mut m = self.per_person.lock().unwrap_or_else(|p| p.into_inner());
        let n = m.entry(key).or_default();
        if *n >= MAX_PER_PERSON {
            return None;
        }
        *n += 1;
        crate::memory::note_connection();
        Some(Slot {
            sockets: self.clone(),
            key,
        })
    }

    /// A token for one connection, cancelled when any of the accesses it rests on ends, or when
    /// `parent` is (the server shutting down): one signal for the connection to wait on.
    pub fn register(&self, accesses: &[Access], parent: &CancellationToken) -> CancellationToken {
        let token = parent.child_token();
        let mut r = self.by_access.lock().unwrap_or_else(|p| p.into_inner());
        r.since_sweep += 1;
        if r.since_sweep >= SWEEP_EVERY {
            r.since_sweep = 0;
            r.tokens.retain(|_, list| {
                list.retain(|t| !t.is_cancelled());
                !list.is_empty()
            });
        }
        for access in accesses {
            r.tokens
                .entry(access.clone())
                .or_default()
                .push(token.clone());
        }
        token
    }

    /// Closes every socket resting on an access that ended.
    pub fn close(&self, access: &Access) {
        let tokens = self
            .by_access
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .tokens
            .remove(access);
        for t in tokens.into_iter().flatten() {
            t.cancel();
        }
    }

    /// The sessions, API keys and enrollments with open sockets, for the periodic check that
    /// they still hold (a backstop for an announcement another instance could not deliver).
    pub fn credentials(&self) -> Vec<Access> {
        self.by_access
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .tokens
            .iter()
            .filter(|(a, list)| {
                matches!(
                    a,
                    Access::Session(_) | Access::ApiKey(_) | Access::Enrollment(_)
                ) && list.iter().any(|t| !t.is_cancelled())
            })
            .map(|(a, _)| a.clone())
            .collect()
    }
}

impl Sockets {
    /// A backstop for the announcements of ended accesses (one another instance could not
    /// send, or this one missed while its listener reconnected): the sessions, API keys and
    /// enrollments with open sockets here are looked up again, and the sockets of those that
    /// no longer hold are closed. Every ending deletes the sessions concerned (or revokes the
    /// key, disables the account, which `by_session` then refuses, or cancels the enrollment),
    /// so this catches them all. A failed lookup proves nothing: the socket stays.
    pub async fn recheck(&self, store: &Store) {
        for access in self.credentials() {
            let holds = match &access {
                Access::Session(hash) => {
                    accounts::by_session(store, hash).await.map(|h| h.is_some())
                }
                Access::ApiKey(hash) => accounts::api_key_valid(store, hash).await,
                // A participant on the board by the token of their link, not a session.
                Access::Enrollment(id) => enrollment::find(store, *id)
                    .await
                    .map(|row| row.is_some_and(|r| r.status() == Status::Confirmed)),
                _ => Ok(true),
            };
            if let Ok(false) = holds {
                self.close(&access);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ended_access_closes_exactly_its_sockets() {
        let sockets = Sockets::default();
        let root = CancellationToken::new();
        let anna = sockets.register(&[Access::Session("a".into()), Access::Enrollment(1)], &root);
        let bruno = sockets.register(&[Access::Session("b".into()), Access::Enrollment(2)], &root);
        let guest = sockets.register(
            &[Access::Session("g".into()), Access::GuestsOfMeeting(9)],
            &root,
        );
        sockets.close(&Access::Enrollment(1));
        assert!(anna.is_cancelled());
        assert!(!bruno.is_cancelled() && !guest.is_cancelled());
        sockets.close(&Access::GuestsOfMeeting(9));
        assert!(guest.is_cancelled());
        assert!(!bruno.is_cancelled());
        let mut left = sockets.credentials();
        left.sort_by_key(|a| format!("{a:?}"));
        assert_eq!(
            left,
            vec![Access::Enrollment(2), Access::Session("b".into())]
        );
        sockets.close(&Access::Session("b".into()));
        assert!(bruno.is_cancelled());
    }
}
