//! Live rooms: one task per active meeting owns the board's state, decides operations in
//! arrival order, writes them as events (several operations per transaction under load),
//! commits, then acks and broadcasts. Each event is serialised once per audience (full for
//! facilitators and whoever may see it whole, public for everyone else: the rules are in
//! [`crate::domain::board::visibility`]) and the same bytes fan out to every connection through
//! a broadcast channel; a connection that falls behind is told to resync.
//!
//! - `mod.rs` — the rooms of this instance and the handle on one room;
//! - `task.rs` — the room itself: its loop, batches, commits, catch-up with other instances;
//! - `frames.rs` — what leaves a room: event, welcome and presence frames;
//! - `views.rs` — the board as each audience sees it, served over HTTP, once per `seq`.

mod frames;
mod task;
mod views;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio_util::sync::CancellationToken;

pub use frames::{Broadcast, Frame};
pub use views::{BoardBody, BoardView};

use crate::domain::board::{Actor, ActorId, BoardState, Op, Refusal, apply};
use crate::domain::workshop::BoardTemplate;
use crate::services::attendance::BoardPresence;
use crate::services::catalogue::Catalogue;
use crate::services::throttle::Throttle;
use crate::store::{self, Store};

/// Frames buffered per connection before it is told to resync.
pub const CONNECTION_BUFFER: usize = 4096;

/// A connection as the room knows it.
#[derive(Debug, Clone)]
pub struct Connection {
    pub id: u64,
    pub actor: Actor,
    /// Projector: sees everything a facilitator sees, sends nothing, not in presence.
    pub read_only: bool,
}

/// What a new connection receives.
pub struct Joined {
    pub welcome: axum::extract::ws::Utf8Bytes,
    pub missed: Vec<Frame>,
    pub rx: broadcast::Receiver<Frame>,
}

/// Why an operation was not applied.
#[derive(Debug, Clone)]
pub enum OpError {
    Refused(Refusal),
    /// Storage failed: nothing was written; the client keeps the operation and retries.
    Unavailable,
}

/// Why a room cannot be opened.
#[derive(Debug)]
pub enum RoomError {
    /// No meeting of the catalogue has this id.
    UnknownMeeting,
    /// The board could not be read from the database.
    Store(store::DbError),
}

impl From<store::DbError> for RoomError {
    fn from(e: store::DbError) -> RoomError {
        RoomError::Store(e)
    }
}

// Commands cross a channel one at a time; an operation (an objective with its resources is the
// largest) is moved once, so boxing it would only add an allocation per operation.
#[allow(clippy::large_enum_variant)]
enum Cmd {
    Op {
        actor: Actor,
        op_id: String,
        op: Op,
        reply: oneshot::Sender<Result<i64, OpError>>,
    },
    Join {
        conn: Connection,
        last_seq: i64,
        reply: oneshot::Sender<Joined>,
    },
    Leave {
        conn_id: u64,
    },
    State {
        reply: oneshot::Sender<BoardState>,
    },
    /// The board as `viewer` may see it, unless `known` is its current tag.
    Board {
        viewer: Actor,
        known: Option<String>,
        reply: oneshot::Sender<BoardView>,
    },
    Presence {
        reply: oneshot::Sender<(usize, Vec<Value>)>,
    },
    /// Events were written by an instance (PostgreSQL NOTIFY, this one's own included): read
    /// them from the table, unless the room already holds `upto` (its own writes, or events it
    /// caught up with already). `None`: anything may have been written.
    CatchUp {
        upto: Option<i64>,
    },
    /// Stored events were rewritten (a person's data erased, `services::privacy`): the room
    /// stops after what is queued; its sockets close, the browsers reconnect and the next
    /// connection replays the board from the rewritten events.
    Reload,
    /// Who is connected to the meeting changed on some instance (PostgreSQL): read the whole
    /// presence again on the next tick.
    PresenceChanged,
}

/// Operations one person may send to one board: a burst of this many…
pub const RATE_BURST: u32 = 30;
/// …refilled at this many per second. Far above anyone typing (an operation is a card, a vote,
/// a comment); a script on several sockets shares this one budget.
pub const RATE_PER_SECOND: f64 = 10.0;

/// Handle on a running room.
#[derive(Clone)]
pub struct RoomHandle {
    tx: mpsc::Sender<Cmd>,
    /// The operation rate of each person on this board, shared by all their connections to
    /// this instance. A person connected to two instances gets each instance's budget: the
    /// rate smooths floods, while the volume quotas (`domain::board::limits`), decided on the
    /// board's events, are the bound that holds across instances.
    rate: Arc<Throttle<ActorId>>,
    /// Cancelled once the room's task has ended (after an idle close, its last commands
    /// served).
    finished: CancellationToken,
}

impl RoomHandle {
    /// Whether `person` may send one more operation now (taking it from their budget).
    pub fn admit(&self, person: ActorId) -> bool {
        self.rate.take(&person, std::time::Instant::now()).is_ok()
    }

    pub async fn op(&self, actor: Actor, op_id: String, op: Op) -> Result<i64, OpError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Cmd::Op {
                actor,
                op_id,
                op,
                reply,
            })
            .await
            .map_err(|_| OpError::Unavailable)?;
        rx.await.map_err(|_| OpError::Unavailable)?
    }

    /// `None` when the room has closed (idle) meanwhile: ask [`Rooms::get`] again.
    pub async fn join(&self, conn: Connection, last_seq: i64) -> Option<Joined> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Cmd::Join {
                conn,
                last_seq,
                reply,
            })
            .await
            .ok()?;
        rx.await.ok()
    }

    pub fn leave(&self, conn_id: u64) {
        // Best effort: a room that is gone has nobody to forget.
        let _ = self.tx.try_send(Cmd::Leave { conn_id });
    }

    /// The people connected now: their number and the first 300 by name.
    pub async fn presence(&self) -> Option<(usize, Vec<Value>)> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Cmd::Presence { reply }).await.ok()?;
        rx.await.ok()
    }

    /// The board as `viewer` may see it now, serialised (shared with everyone who sees the
    /// same), or `NotModified` when `known` is the tag of that view.
    pub async fn board(&self, viewer: Actor, known: Option<String>) -> Option<BoardView> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Cmd::Board {
                viewer,
                known,
                reply,
            })
            .await
            .ok()?;
        rx.await.ok()
    }

    pub async fn state(&self) -> Option<BoardState> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Cmd::State { reply }).await.ok()?;
        rx.await.ok()
    }
}

/// All rooms of this instance.
#[derive(Clone)]
pub struct Rooms {
    inner: Arc<RoomsInner>,
}

struct RoomsInner {
    store: Store,
    catalogue: Arc<Catalogue>,
    rooms: Mutex<HashMap<i64, RoomHandle>>,
    shutdown: CancellationToken,
    presence: BoardPresence,
    /// This instance's name in the shared presence (PostgreSQL only; see `store::presence`).
    instance: Option<Arc<str>>,
}

impl Rooms {
    /// The rooms of this instance; `presence` says when joining a board marks attendance.
    pub fn new(
        store: Store,
        catalogue: Arc<Catalogue>,
        shutdown: CancellationToken,
        presence: BoardPresence,
    ) -> Rooms {
        let instance = (store.backend == store::Backend::Postgres)
            .then(|| Arc::from(crate::secret::random_token()));
        Rooms {
            inner: Arc::new(RoomsInner {
                store,
                catalogue,
                rooms: Mutex::new(HashMap::new()),
                shutdown,
                presence,
                instance,
            }),
        }
    }

    /// The room of a meeting, started (and replayed from the database) on first use. A room
    /// that is closing (idle) finishes what it was given first: the new one replays the board
    /// after its last commit.
    pub async fn get(&self, meeting_id: i64) -> Result<RoomHandle, RoomError> {
        if let Some(h) = self.running(meeting_id) {
            return Ok(h);
        }
        let closing = self
            .inner
            .rooms
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&meeting_id)
            .map(|h| h.finished.clone());
        if let Some(finished) = closing {
            finished.cancelled().await;
        }
        let Some(m) = self.inner.catalogue.meeting(meeting_id) else {
            return Err(RoomError::UnknownMeeting);
        };
        let template = m.entry.workshop.board_template(m.meeting).clone();
        let policy_areas = m.entry.workshop.policy_areas.clone();
        let attendance = (
            self.inner.presence.window(&m.entry.workshop, m.meeting),
            self.inner.presence.clock(),
        );
        let (state, ops) = load(&self.inner.store, meeting_id, template, i64::MAX).await?;
        let mut rooms = self.inner.rooms.lock().unwrap_or_else(|p| p.into_inner());
        // Another request may have started it while we replayed.
        if let Some(h) = rooms.get(&meeting_id) {
            if !h.tx.is_closed() {
                return Ok(h.clone());
            }
        }
        let (tx, rx) = mpsc::channel(8192);
        let (btx, _) = broadcast::channel(CONNECTION_BUFFER);
        let shutdown = self.inner.shutdown.clone();
        let room = task::Room::new(
            self.inner.store.clone(),
            policy_areas,
            state,
            ops,
            btx,
            attendance,
            self.inner.instance.clone(),
        );
        let finished = CancellationToken::new();
        let done = finished.clone().drop_guard();
        rooms_runtime().spawn(async move {
            room.run(rx, shutdown).await;
            drop(done);
            // A room that closed freed its board, its `op_id`s and its replay log, which glibc
            // would keep: one minute after a load run's rooms closed the process held 44 MiB
            // against 24 at rest, 31 with this. Off the rooms' thread: it walks the heaps.
            tokio::task::spawn_blocking(crate::memory::give_back);
        });
        let handle = RoomHandle {
            tx,
            rate: Arc::new(Throttle::new(RATE_BURST, RATE_PER_SECOND)),
            finished,
        };
        rooms.insert(meeting_id, handle.clone());
        Ok(handle)
    }

    /// Asks the meeting's room something. A room that closed (idle) between being found and
    /// being asked turns the question away (`None`); the next room, replayed from the table,
    /// answers it. `None` only if that one turns it away too.
    pub async fn ask<T, Fut>(
        &self,
        meeting_id: i64,
        ask: impl Fn(RoomHandle) -> Fut,
    ) -> Result<Option<T>, RoomError>
    where
        Fut: std::future::Future<Output = Option<T>>,
    {
        for _ in 0..2 {
            if let Some(answer) = ask(self.get(meeting_id).await?).await {
                return Ok(Some(answer));
            }
        }
        Ok(None)
    }

    /// When joining a board marks attendance (the register page states the window).
    pub fn presence(&self) -> &BoardPresence {
        &self.inner.presence
    }

    fn running(&self, meeting_id: i64) -> Option<RoomHandle> {
        let rooms = self.inner.rooms.lock().unwrap_or_else(|p| p.into_inner());
        rooms
            .get(&meeting_id)
            .filter(|h| !h.tx.is_closed())
            .cloned()
    }

    /// Tells a running room that other instances wrote events.
    pub fn catch_up(&self, meeting_id: i64, upto: Option<i64>) {
        if let Some(h) = self
            .inner
            .rooms
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&meeting_id)
        {
            let _ = h.tx.try_send(Cmd::CatchUp { upto });
        }
    }

    /// Tells a running room that the meeting's presence changed on another instance.
    pub fn presence_changed(&self, meeting_id: i64, instance: &str) {
        if self.inner.instance.as_deref() == Some(instance) {
            return; // This instance's own change: its rooms know.
        }
        if let Some(h) = self.running(meeting_id) {
            let _ = h.tx.try_send(Cmd::PresenceChanged);
        }
    }

    /// Has a running room reload its board from the stored events (see `Cmd::Reload`).
    pub fn reload(&self, meeting_id: i64) {
        if let Some(h) = self.running(meeting_id) {
            let _ = h.tx.try_send(Cmd::Reload);
        }
    }

    pub fn catch_up_all(&self) {
        for h in self
            .inner
            .rooms
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
        {
            let _ = h.tx.try_send(Cmd::CatchUp { upto: None });
            let _ = h.tx.try_send(Cmd::PresenceChanged);
        }
    }

    /// Keeps this instance's heartbeat in the shared presence (PostgreSQL), so that its
    /// connections count on every instance while it runs and stop counting when it stops or
    /// dies; removes its presence when it stops.
    pub async fn keep_presence_alive(self, shutdown: CancellationToken) {
        let Some(instance) = self.inner.instance.clone() else {
            return;
        };
        let store = &self.inner.store;
        let every = Duration::from_millis(store::presence::STALE_AFTER_MS as u64 / 3);
        loop {
            if let Err(e) = store::presence::beat(store, &instance).await {
                tracing::warn!(error = %e, "presence heartbeat not written; retrying");
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(every) => {}
            }
        }
        // A room still publishing at this moment may meet the deletion (a deadlock PostgreSQL
        // breaks by failing one side): try again before leaving the rows to expire.
        for attempt in 1..=3 {
            match store::presence::leave(store, &instance).await {
                Ok(()) => break,
                Err(e) if attempt == 3 => {
                    tracing::warn!(error = %e, "presence of this instance not removed; it expires in a minute")
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }
}

/// Rooms run on a thread of their own. A room's round trips to the database then resume as
/// soon as the database answers; on the request workers each of them waited behind the
/// fan-out of the previous event to a thousand connections (several milliseconds per hop).
fn rooms_runtime() -> tokio::runtime::Handle {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Handle> = std::sync::OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("the rooms' runtime starts");
            let handle = runtime.handle().clone();
            std::thread::Builder::new()
                .name("tavolo-rooms".into())
                .spawn(move || runtime.block_on(std::future::pending::<()>()))
                .expect("the rooms' thread starts");
            handle
        })
        .clone()
}

/// The board of a meeting as the fold of its stored events (also used without a live room, e.g.
/// by `tavolo export`).
pub async fn replay(
    store: &Store,
    meeting_id: i64,
    template: BoardTemplate,
) -> Result<BoardState, store::DbError> {
    Ok(load(store, meeting_id, template, i64::MAX).await?.0)
}

/// The board replayed from its events up to `up_to_seq`, and every `op_id` in them with its
/// `seq` (an operation resent after a restart must not be written twice).
async fn load(
    store: &Store,
    meeting_id: i64,
    template: BoardTemplate,
    up_to_seq: i64,
) -> Result<(BoardState, HashMap<String, i64>), store::DbError> {
    let mut state = BoardState::new(meeting_id, template);
    let mut ops = HashMap::new();
    let events = store::board::events_after(store, meeting_id, 0).await?;
    for rec in events.into_iter().take_while(|r| r.seq <= up_to_seq) {
        apply(&mut state, &rec);
        ops.insert(rec.op_id, rec.seq);
    }
    Ok((state, ops))
}

/// Follows the board writes of other instances (PostgreSQL only) and tells the rooms to catch
/// up. When notices may have been missed (the listener reconnected), every room re-reads the
/// table.
pub async fn follow_other_instances(
    database_url: String,
    rooms: Rooms,
    shutdown: CancellationToken,
) {
    let mut notices = loop {
        match store::board::WriteNotices::connect(&database_url).await {
            Ok(n) => break n,
            Err(e) => tracing::warn!(error = %e, "cannot listen to board writes; retrying"),
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
                Ok(store::board::WriteNotice::Written {
                    meeting_id,
                    last_seq,
                }) => rooms.catch_up(meeting_id, last_seq),
                Ok(store::board::WriteNotice::Rewritten { meeting_id }) => rooms.reload(meeting_id),
                Ok(store::board::WriteNotice::Presence { meeting_id, instance }) => {
                    rooms.presence_changed(meeting_id, &instance)
                }
                Ok(store::board::WriteNotice::MaybeMissed) => rooms.catch_up_all(),
                Err(e) => {
                    tracing::warn!(error = %e, "board listener error");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    rooms.catch_up_all();
                }
            }
        }
    }
}
