//! Open websockets by session, so that logging out (or revoking a session) closes them, and a
//! cap on connections per person and meeting.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;

use crate::domain::board::ActorId;

/// Most simultaneous connections of one person to one meeting (phone + laptop + spare tabs).
pub const MAX_PER_PERSON: usize = 5;

/// The open websockets of this instance.
#[derive(Default)]
pub struct Sockets {
    by_session: Mutex<HashMap<String, Vec<CancellationToken>>>,
    per_person: Mutex<HashMap<(i64, ActorId), usize>>,
}

/// Held by a connection; releases its slot when dropped.
pub struct Slot {
    sockets: Arc<Sockets>,
    key: (i64, ActorId),
}

impl Drop for Slot {
    fn drop(&mut self) {
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
        Some(Slot {
            sockets: self.clone(),
            key,
        })
    }

    /// A token for one connection of a session, cancelled when the session ends or when
    /// `parent` is (the server shutting down): one signal for the connection to wait on.
    pub fn register(&self, session_hash: &str, parent: &CancellationToken) -> CancellationToken {
        let token = parent.child_token();
        let mut m = self.by_session.lock().unwrap_or_else(|p| p.into_inner());
        let list = m.entry(session_hash.to_string()).or_default();
        list.retain(|t| !t.is_cancelled());
        list.push(token.clone());
        token
    }

    /// Closes every socket of a session.
    pub fn close_session(&self, session_hash: &str) {
        let tokens = self
            .by_session
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(session_hash);
        for t in tokens.into_iter().flatten() {
            t.cancel();
        }
    }
}
