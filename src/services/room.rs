//! Live rooms: one task per active meeting owns the board's state, decides operations in
//! arrival order, writes them as events (several operations per transaction under load),
//! commits, then acks and broadcasts. Each event is serialised once per audience (full for
//! facilitators and the author, public for everyone else) and the same bytes fan out to every
//! connection through a broadcast channel; a connection that falls behind is told to resync.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ws::Utf8Bytes;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::domain::board::{
    self, Actor, BoardState, Card, Event, EventRecord, Op, Refusal, anonymous_actor, apply, decide,
};
use crate::domain::workshop::BoardTemplate;
use crate::services::catalogue::Catalogue;
use crate::store::{self, Backend, Store};

/// Events kept in memory per room for replay to reconnecting clients; older gaps get a snapshot.
const REPLAY_LOG: usize = 20_000;
/// Frames buffered per connection before it is told to resync.
pub const CONNECTION_BUFFER: usize = 4096;
/// Operations decided in one transaction at most.
const MAX_BATCH: usize = 512;
/// Presence is sent at most this often (1,000 people joining must not mean 1,000 lists).
const PRESENCE_EVERY: Duration = Duration::from_millis(500);
/// A room nobody has used for this long is dropped from memory (its board stays in the
/// table; the next connection replays it).
const ROOM_IDLE: Duration = Duration::from_secs(10 * 60);

/// One event as sent: the full frame, the public frame and whose action it was.
pub struct Broadcast {
    /// The actor's id; that person receives `full` (their own card, their own vote).
    pub actor_id: String,
    /// The author of a card the public may not see yet (blind phase): they see what happens
    /// to their own card in full.
    pub card_author: Option<String>,
    pub full: Utf8Bytes,
    pub public: Utf8Bytes,
}

pub type Frame = Arc<Broadcast>;

impl Broadcast {
    /// The bytes for a connection of `viewer`.
    pub fn for_viewer(&self, viewer: &Actor, full_access: bool) -> &Utf8Bytes {
        let own = !self.actor_id.is_empty() && self.actor_id == viewer.id;
        if full_access || own || self.card_author.as_deref() == Some(viewer.id.as_str()) {
            &self.full
        } else {
            &self.public
        }
    }
}

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
    pub welcome: Utf8Bytes,
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
    Presence {
        reply: oneshot::Sender<(usize, Vec<Value>)>,
    },
    /// Another instance wrote events (PostgreSQL NOTIFY): read them from the table.
    CatchUp,
}

/// Handle on a running room.
#[derive(Clone)]
pub struct RoomHandle {
    tx: mpsc::Sender<Cmd>,
}

impl RoomHandle {
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
}

impl Rooms {
    pub fn new(store: Store, catalogue: Arc<Catalogue>, shutdown: CancellationToken) -> Rooms {
        Rooms {
            inner: Arc::new(RoomsInner {
                store,
                catalogue,
                rooms: Mutex::new(HashMap::new()),
                shutdown,
            }),
        }
    }

    /// The room of a meeting, started (and replayed from the database) on first use.
    pub async fn get(&self, meeting_id: i64) -> Result<RoomHandle, store::DbError> {
        if let Some(h) = self
            .inner
            .rooms
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&meeting_id)
        {
            if !h.tx.is_closed() {
                return Ok(h.clone());
            }
        }
        let Some(m) = self.inner.catalogue.meeting(meeting_id) else {
            return Err(store::DbError::RowNotFound);
        };
        let template = m.entry.workshop.board_template(m.meeting).clone();
        let policy_areas = m.entry.workshop.policy_areas.clone();
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
        let room = Room::new(self.inner.store.clone(), policy_areas, state, ops, btx);
        rooms_runtime().spawn(room.run(rx, self.inner.shutdown.clone()));
        let handle = RoomHandle { tx };
        rooms.insert(meeting_id, handle.clone());
        Ok(handle)
    }

    /// Tells a running room that other instances wrote events.
    pub fn catch_up(&self, meeting_id: i64) {
        if let Some(h) = self
            .inner
            .rooms
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&meeting_id)
        {
            let _ = h.tx.try_send(Cmd::CatchUp);
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
            let _ = h.tx.try_send(Cmd::CatchUp);
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

struct Room {
    store: Store,
    policy_areas: Vec<String>,
    state: BoardState,
    /// Every op_id already applied → its seq (a resent operation gets the same ack).
    ops: HashMap<String, i64>,
    log: VecDeque<(i64, Frame)>,
    tx: broadcast::Sender<Frame>,
    conns: HashMap<u64, Connection>,
    presence_dirty: bool,
    catch_up_requested: bool,
    /// Enrolled people who joined and are not yet in the attendance register: written in one
    /// transaction per presence tick, so a room filling up does not cost one commit per person.
    attendance_pending: Vec<i64>,
    attended: std::collections::HashSet<i64>,
    /// The welcome state as facilitators and as people with nothing of their own on the board
    /// see it, serialised once per `seq` (a room filling up must not serialise the board
    /// 1,000 times).
    view_cache: ViewCache,
    /// A failed commit could not be undone: the room stops and restarts from the database.
    broken: bool,
}

#[derive(Default)]
struct ViewCache {
    seq: i64,
    full: Option<Arc<str>>,
    public: Option<Arc<str>>,
}

struct Pending {
    actor: Actor,
    op_id: String,
    op: Op,
    reply: oneshot::Sender<Result<i64, OpError>>,
}

impl Room {
    fn new(
        store: Store,
        policy_areas: Vec<String>,
        state: BoardState,
        ops: HashMap<String, i64>,
        tx: broadcast::Sender<Frame>,
    ) -> Room {
        Room {
            store,
            policy_areas,
            state,
            ops,
            log: VecDeque::new(),
            tx,
            conns: HashMap::new(),
            presence_dirty: false,
            catch_up_requested: false,
            attendance_pending: Vec::new(),
            attended: Default::default(),
            view_cache: ViewCache::default(),
            broken: false,
        }
    }

    async fn run(mut self, mut rx: mpsc::Receiver<Cmd>, shutdown: CancellationToken) {
        let mut presence_tick = tokio::time::interval(PRESENCE_EVERY);
        presence_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut batch = Vec::new();
        let mut last_activity = tokio::time::Instant::now();
        let shutting_down = shutdown.cancelled();
        tokio::pin!(shutting_down);
        loop {
            tokio::select! {
                cmd = rx.recv() => {
                    let Some(cmd) = cmd else { return };
                    last_activity = tokio::time::Instant::now();
                    self.handle(cmd, &mut batch);
                    self.drain(&mut rx, &mut batch).await;
                    if self.broken {
                        return;
                    }
                }
                _ = presence_tick.tick() => {
                    if self.presence_dirty {
                        self.presence_dirty = false;
                        let _ = self.tx.send(self.presence_frame());
                    }
                    self.write_attendance().await;
                    if self.conns.is_empty() && last_activity.elapsed() >= ROOM_IDLE {
                        // Nobody here for a while: free the memory. Commands already queued
                        // are served; later ones find the room closed and start it again.
                        rx.close();
                        while let Some(cmd) = rx.recv().await {
                            self.handle(cmd, &mut batch);
                            self.drain(&mut rx, &mut batch).await;
                        }
                        self.write_attendance().await;
                        return;
                    }
                }
                _ = &mut shutting_down => {
                    self.write_attendance().await;
                    return;
                }
            }
        }
    }

    /// Takes whatever else is queued (up to a batch) and writes the operations together.
    async fn drain(&mut self, rx: &mut mpsc::Receiver<Cmd>, batch: &mut Vec<Pending>) {
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(cmd) => self.handle(cmd, batch),
                Err(_) => break,
            }
        }
        if !batch.is_empty() {
            self.write(std::mem::take(batch)).await;
        } else if std::mem::take(&mut self.catch_up_requested) {
            self.catch_up().await;
        }
    }

    /// Everything but operations is answered at once; operations wait for the batch write.
    fn handle(&mut self, cmd: Cmd, batch: &mut Vec<Pending>) {
        match cmd {
            Cmd::Op {
                actor,
                op_id,
                op,
                reply,
            } => batch.push(Pending {
                actor,
                op_id,
                op,
                reply,
            }),
            Cmd::Join {
                conn,
                last_seq,
                reply,
            } => {
                let joined = self.join(&conn, last_seq);
                if let Some(id) = conn
                    .actor
                    .id
                    .strip_prefix("e:")
                    .and_then(|s| s.parse().ok())
                {
                    if self.attended.insert(id) {
                        self.attendance_pending.push(id);
                    }
                }
                if !conn.read_only {
                    self.presence_dirty = true;
                }
                self.conns.insert(conn.id, conn);
                let _ = reply.send(joined);
            }
            Cmd::Leave { conn_id } => {
                if let Some(c) = self.conns.remove(&conn_id) {
                    self.presence_dirty |= !c.read_only;
                }
            }
            Cmd::State { reply } => {
                let _ = reply.send(self.state.clone());
            }
            Cmd::Presence { reply } => {
                let _ = reply.send(self.presence());
            }
            Cmd::CatchUp => self.catch_up_requested = true,
        }
    }

    async fn write_attendance(&mut self) {
        if self.attendance_pending.is_empty() {
            return;
        }
        let ids = std::mem::take(&mut self.attendance_pending);
        let written = store::attendance::mark_many_if_absent(
            &self.store,
            self.state.meeting_id,
            &ids,
            "lavagna",
        )
        .await;
        if let Err(e) = written {
            tracing::warn!(meeting = self.state.meeting_id, error = %e, "attendance not recorded; will retry");
            self.attendance_pending.extend(ids);
        }
    }

    fn join(&mut self, conn: &Connection, last_seq: i64) -> Joined {
        let rx = self.tx.subscribe();
        let oldest = self.log.front().map(|(s, _)| *s);
        let can_replay = last_seq > 0
            && last_seq <= self.state.seq
            && (last_seq == self.state.seq || oldest.is_some_and(|o| o <= last_seq + 1));
        let full_access = conn.actor.is_facilitator();
        let (state, missed): (Arc<str>, Vec<Frame>) = if can_replay {
            let missed = self
                .log
                .iter()
                .filter(|(s, _)| *s > last_seq)
                .map(|(_, f)| f.clone())
                .collect();
            (Arc::from("null"), missed)
        } else {
            (self.welcome_state(&conn.actor), Vec::new())
        };
        let you = json!({
            "id": conn.actor.id, "kind": conn.actor.kind, "name": conn.actor.name,
            "organisation": conn.actor.organisation,
            "is_facilitator": full_access, "read_only": conn.read_only,
        });
        // Keys in alphabetical order, as everywhere else on the socket.
        let welcome = format!(
            r#"{{"seq":{},"server_time":{},"state":{state},"type":"welcome","you":{you}}}"#,
            self.state.seq,
            store::now_ms(),
        );
        Joined {
            welcome: Utf8Bytes::from(welcome),
            missed,
            rx,
        }
    }

    /// The board as `viewer` may see it, serialised. Facilitators all see the same, and so do
    /// participants with no card, vote or anonymous card of their own: those two are
    /// serialised once per `seq`.
    fn welcome_state(&mut self, viewer: &Actor) -> Arc<str> {
        let serialise = |v: &BoardState| -> Arc<str> {
            Arc::from(serde_json::to_string(v).unwrap_or_else(|_| "null".into()))
        };
        if self.view_cache.seq != self.state.seq {
            self.view_cache = ViewCache {
                seq: self.state.seq,
                ..ViewCache::default()
            };
        }
        if viewer.is_facilitator() {
            let state = &self.state;
            return self
                .view_cache
                .full
                .get_or_insert_with(|| serialise(state))
                .clone();
        }
        if self.state.has_own(&viewer.id) {
            return serialise(&board::view_for(&self.state, viewer));
        }
        let state = &self.state;
        self.view_cache
            .public
            .get_or_insert_with(|| serialise(&board::view_for(state, &board::nobody())))
            .clone()
    }

    /// Who is connected now, by name. Facilitators and the projector receive it with every
    /// change; participants receive only the count and ask for the list when they open it
    /// (`GET /api/v1/meetings/{id}/presence`): a list of 300 names sent to 1,000 phones made every
    /// connection's write buffer keep 29 KiB (29 MiB of the server's memory).
    fn presence_frame(&self) -> Frame {
        let (count, listed) = self.presence();
        let full = json!({"type": "presence", "count": count, "people": listed}).to_string();
        let public = json!({"type": "presence", "count": count}).to_string();
        Arc::new(Broadcast {
            actor_id: String::new(),
            card_author: None,
            full: Utf8Bytes::from(full),
            public: Utf8Bytes::from(public),
        })
    }

    /// The number of people connected (projectors excluded) and the first 300 of them by name.
    fn presence(&self) -> (usize, Vec<Value>) {
        let mut people: Vec<&Actor> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for c in self.conns.values() {
            if !c.read_only && seen.insert(c.actor.id.as_str()) {
                people.push(&c.actor);
            }
        }
        people.sort_by(|a, b| a.name.cmp(&b.name));
        let count = people.len();
        let listed: Vec<Value> = people
            .iter()
            .take(300)
            .map(|a| json!({"id": a.id, "kind": a.kind, "name": a.name, "organisation": a.organisation}))
            .collect();
        (count, listed)
    }

    /// Decides a batch in arrival order, writes the accepted events in one transaction, then
    /// broadcasts and answers. Each operation is decided against the live state with the
    /// earlier ones of the batch already applied, and its frames are built at once; they leave
    /// only after the commit. If the commit fails nothing was written: the state is read back
    /// from the table as it was before the batch (cloning the state per batch instead cost
    /// O(cards) per commit, ~19% of the CPU over a long meeting). On a sequence conflict
    /// (another instance wrote first), catches up and decides again.
    async fn write(&mut self, batch: Vec<Pending>) {
        let mut batch = batch;
        self.catch_up_requested = false;
        for _attempt in 0..5 {
            self.catch_up().await;
            let seq_before = self.state.seq;
            let mut records: Vec<EventRecord> = Vec::new();
            let mut frames: Vec<Frame> = Vec::new();
            let mut outcomes: Vec<Result<i64, OpError>> = Vec::with_capacity(batch.len());
            let mut in_batch: HashMap<&str, i64> = HashMap::new();
            let now = store::now_ms();
            for p in &batch {
                if let Some(seq) = self.ops.get(&p.op_id).or(in_batch.get(p.op_id.as_str())) {
                    outcomes.push(Ok(*seq));
                    continue;
                }
                if p.op_id.is_empty() || p.op_id.len() > 64 {
                    outcomes.push(Err(OpError::Refused(Refusal {
                        code: "invalid_id",
                        message: "Identificativo dell'operazione non valido.".into(),
                        fields: vec![],
                    })));
                    continue;
                }
                match decide(
                    &self.state,
                    &p.actor,
                    p.op.clone(),
                    &self.policy_areas,
                    guest_code,
                    now,
                ) {
                    Ok(event) => {
                        let rec = EventRecord {
                            seq: self.state.seq + 1,
                            op_id: p.op_id.clone(),
                            actor: p.actor.clone(),
                            at: now,
                            event,
                        };
                        let before = self.state.card_was_public(&rec);
                        apply(&mut self.state, &rec);
                        frames.push(self.frame(&rec, before));
                        in_batch.insert(p.op_id.as_str(), rec.seq);
                        outcomes.push(Ok(rec.seq));
                        records.push(rec);
                    }
                    Err(r) => outcomes.push(Err(OpError::Refused(r))),
                }
            }
            if !records.is_empty() {
                if let Err(e) = self.persist(&records).await {
                    let conflict = store::board::is_conflict(&e);
                    if conflict {
                        tracing::info!(
                            meeting = self.state.meeting_id,
                            "sequence taken by another instance; catching up"
                        );
                    } else {
                        tracing::error!(meeting = self.state.meeting_id, error = %e, "cannot store board events");
                    }
                    let restored = self.restore(seq_before).await;
                    if conflict && restored {
                        continue;
                    }
                    for p in batch {
                        let _ = p.reply.send(Err(OpError::Unavailable));
                    }
                    return;
                }
            }
            // Committed: remember, broadcast, then ack.
            for (rec, frame) in records.iter().zip(frames) {
                self.ops.insert(rec.op_id.clone(), rec.seq);
                self.log.push_back((rec.seq, frame.clone()));
                if self.log.len() > REPLAY_LOG {
                    self.log.pop_front();
                }
                let _ = self.tx.send(frame);
            }
            for (p, outcome) in std::mem::take(&mut batch).into_iter().zip(outcomes) {
                let _ = p.reply.send(outcome);
            }
            return;
        }
        for p in batch {
            let _ = p.reply.send(Err(OpError::Unavailable));
        }
    }

    /// Puts the state back to `seq` after a failed commit, from the stored events. If even that
    /// fails, the room stops: the next connection starts it again from the database, and the
    /// clients, whose sockets close, reconnect and resend what was not acknowledged.
    async fn restore(&mut self, seq: i64) -> bool {
        let template = self.state.template.clone();
        match load(&self.store, self.state.meeting_id, template, seq).await {
            Ok((state, _)) => {
                self.state = state;
                true
            }
            Err(e) => {
                tracing::error!(meeting = self.state.meeting_id, error = %e, "cannot reload the board; restarting the room");
                self.broken = true;
                false
            }
        }
    }

    async fn persist(&self, records: &[EventRecord]) -> Result<(), store::DbError> {
        if self.store.backend == Backend::Sqlite && records.len() <= store::board::ROWS_PER_INSERT {
            // One statement is one (implicit) transaction: a single round trip to the database
            // thread instead of four (BEGIN, INSERT, COMMIT). Under load each round trip waited
            // behind the fan-out of the previous event.
            let mut conn = self.store.pool.acquire().await?;
            return store::board::insert(&mut conn, self.state.meeting_id, records).await;
        }
        let mut tx = self.store.begin().await?;
        store::board::insert(&mut tx, self.state.meeting_id, records).await?;
        if self.store.backend == Backend::Postgres {
            let last = records.last().map_or(0, |r| r.seq);
            sqlx::query("SELECT pg_notify('tavolo_board', $1)")
                .bind(format!("{}:{last}", self.state.meeting_id))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await
    }

    /// Applies events written by other instances.
    async fn catch_up(&mut self) {
        if self.store.backend != Backend::Postgres {
            return; // SQLite has a single instance: nobody else writes.
        }
        let Ok(events) =
            store::board::events_after(&self.store, self.state.meeting_id, self.state.seq).await
        else {
            return;
        };
        for rec in events {
            let before = self.state.card_was_public(&rec);
            apply(&mut self.state, &rec);
            self.ops.insert(rec.op_id.clone(), rec.seq);
            let frame = self.frame(&rec, before);
            self.log.push_back((rec.seq, frame.clone()));
            let _ = self.tx.send(frame);
        }
        while self.log.len() > REPLAY_LOG {
            self.log.pop_front();
        }
    }

    /// The full and public frames of an event (applied already; `before` is what the public
    /// could see of the card it touches before the event).
    fn frame(&self, rec: &EventRecord, before: Option<bool>) -> Frame {
        let full = event_frame(rec, &rec.actor, &rec.event);
        let public = match public_event(&self.state, rec, before) {
            None => full.clone(),
            Some((actor, event)) => event_frame(rec, &actor, &event),
        };
        let card_author = card_of(&rec.event)
            .filter(|_| before != Some(true))
            .and_then(|id| self.state.cards.get(id))
            .map(|c| c.author.id.clone());
        Arc::new(Broadcast {
            actor_id: rec.actor.id.clone(),
            card_author,
            full,
            public,
        })
    }
}

/// An event frame, serialised straight from the types (no intermediate `Value`); keys in
/// alphabetical order like every frame, so `type` comes last.
fn event_frame(rec: &EventRecord, actor: &impl Serialize, event: &impl Serialize) -> Utf8Bytes {
    #[derive(Serialize)]
    struct EventFrame<'a, A, E> {
        actor: &'a A,
        at: i64,
        event: &'a E,
        op_id: &'a str,
        seq: i64,
        r#type: &'static str,
    }
    let frame = EventFrame {
        actor,
        at: rec.at,
        event,
        op_id: &rec.op_id,
        seq: rec.seq,
        r#type: "event",
    };
    Utf8Bytes::from(serde_json::to_string(&frame).expect("event frames serialise"))
}

fn guest_code() -> String {
    // Six characters without look-alikes (0/O, 1/I/L), easy to read from a projector.
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

trait Visibility {
    fn card_was_public(&self, rec: &EventRecord) -> Option<bool>;
}

impl Visibility for BoardState {
    /// Whether the card an event touches was publicly visible before it.
    fn card_was_public(&self, rec: &EventRecord) -> Option<bool> {
        card_of(&rec.event)
            .and_then(|id| self.cards.get(id))
            .map(|c| c.is_active() && c.revealed)
    }
}

fn card_of(e: &Event) -> Option<&str> {
    match e {
        Event::CardEdited { card_id, .. }
        | Event::CardWithdrawn { card_id }
        | Event::Voted { card_id, .. }
        | Event::Unvoted { card_id, .. }
        | Event::Commented { card_id, .. }
        | Event::CardHidden { card_id, .. }
        | Event::CardRestored { card_id }
        | Event::CardGrouped { card_id, .. }
        | Event::CardMoved { card_id, .. } => Some(card_id),
        Event::Spotlighted {
            card_id: Some(card_id),
        } => Some(card_id),
        _ => None,
    }
}

/// A card as the public sees it.
pub fn public_card(card: &Card) -> Card {
    let mut c = card.clone();
    if c.anonymous {
        c.author = anonymous_actor();
    }
    let total = c.total_votes();
    c.votes.clear();
    if total > 0 {
        c.votes.insert("*".into(), total);
    }
    c
}

/// The public version of an event, when it differs: (actor, event) as JSON. `state` is after
/// the event; `before` tells whether the touched card was public before it.
fn public_event(
    state: &BoardState,
    rec: &EventRecord,
    before: Option<bool>,
) -> Option<(Value, Value)> {
    let actor = serde_json::to_value(&rec.actor).ok()?;
    let redacted = || Some((json!({"id": "*"}), json!({"kind": "redacted"})));
    let cards_revealed = |ids: &[String]| {
        let cards: Vec<Card> = ids
            .iter()
            .filter_map(|id| state.cards.get(id))
            .filter(|c| c.is_active() && c.revealed)
            .map(public_card)
            .collect();
        Some((
            json!({"id": "*"}),
            json!({"kind": "cards_revealed", "cards": cards}),
        ))
    };
    match &rec.event {
        Event::CardAdded {
            revealed: false, ..
        }
        | Event::GuestCodeSet { .. } => redacted(),
        Event::CardAdded {
            anonymous: true, ..
        } => Some((
            serde_json::to_value(anonymous_actor()).ok()?,
            serde_json::to_value(&rec.event).ok()?,
        )),
        Event::CardHidden { card_id, .. } => {
            if before == Some(true) {
                Some((
                    json!({"id": "*"}),
                    json!({"kind": "card_removed", "card_id": card_id}),
                ))
            } else {
                redacted()
            }
        }
        Event::CardRestored { card_id } => cards_revealed(std::slice::from_ref(card_id)),
        Event::Revealed { cards } => cards_revealed(cards),
        Event::CardsCarriedOver { cards, .. } => {
            let ids: Vec<String> = cards.iter().map(|c| c.card_id.clone()).collect();
            cards_revealed(&ids)
        }
        e if card_of(e).is_some() && before != Some(true) => redacted(),
        Event::Voted { .. } | Event::Unvoted { .. } => Some((
            json!({"id": "*", "kind": "participant", "name": ""}),
            serde_json::to_value(&rec.event).ok()?,
        )),
        Event::CardEdited { card_id, .. } | Event::CardWithdrawn { card_id } => {
            let anonymous = state.cards.get(card_id).is_some_and(|c| c.anonymous);
            anonymous.then(|| {
                (
                    serde_json::to_value(anonymous_actor()).unwrap_or(Value::Null),
                    serde_json::to_value(&rec.event).unwrap_or(Value::Null),
                )
            })
        }
        _ => {
            let _ = actor;
            None
        }
    }
}

/// Listens to PostgreSQL notifications of board writes by other instances. A listener that
/// reconnects may have missed notifications: every room then re-reads the table.
pub async fn listen(database_url: String, rooms: Rooms, shutdown: CancellationToken) {
    let mut listener = loop {
        match sqlx::postgres::PgListener::connect(&database_url).await {
            Ok(mut l) => match l.listen("tavolo_board").await {
                Ok(()) => break l,
                Err(e) => tracing::warn!(error = %e, "LISTEN failed; retrying"),
            },
            Err(e) => tracing::warn!(error = %e, "cannot connect the board listener; retrying"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
        }
    };
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            n = listener.try_recv() => match n {
                Ok(Some(n)) => {
                    if let Some(id) = n.payload().split(':').next().and_then(|s| s.parse().ok()) {
                        rooms.catch_up(id);
                    }
                }
                Ok(None) => rooms.catch_up_all(),
                Err(e) => {
                    tracing::warn!(error = %e, "board listener error");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    rooms.catch_up_all();
                }
            }
        }
    }
}
