//! The room of one meeting: a task that owns the board's state, decides operations in arrival
//! order, writes them as events (several per transaction under load), commits, then acks and
//! broadcasts; it also keeps the attendance of the people who join (inside the meeting's window
//! only, see [`crate::domain::attendance`]) and follows the events other instances write.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::frames::{self, Before, Frame};
use super::views::{Audience, BoardBody, ViewCache};
use super::{Cmd, Connection, Joined, OpError, load};
use crate::domain::attendance::AttendanceWindow;
use crate::domain::board::{Actor, BoardState, EventRecord, Op, Refusal, apply, decide};
use crate::services::attendance::Clock;
use crate::store::{self, Backend, Store};

/// Events kept in memory per room for replay to reconnecting clients; older gaps get a snapshot.
const REPLAY_LOG: usize = 20_000;
/// Operations decided in one transaction at most.
const MAX_BATCH: usize = 512;
/// Presence is sent at most this often (1,000 people joining must not mean 1,000 lists).
const PRESENCE_EVERY: Duration = Duration::from_millis(500);
/// A room with no connection and no command for this long is dropped from memory (its board
/// stays in the table; the next connection or request replays it, a few milliseconds for a
/// full board). Ten minutes kept every finished meeting of a busy instance in memory (its
/// state, `op_id`s and replay log: megabytes each).
const ROOM_IDLE: Duration = Duration::from_secs(30);

pub(super) struct Room {
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
    attended: HashSet<i64>,
    /// When being here counts as presence at the meeting, and the clock to check it against.
    window: AttendanceWindow,
    clock: Clock,
    /// Someone enrolled joined before the window opened: whoever is still connected when it
    /// opens is marked then.
    early_arrivals: bool,
    /// The board as facilitators and as people with nothing of their own on the board see it,
    /// serialised once per `seq` (served over HTTP, see [`super::views`]).
    view_cache: ViewCache,
    /// A failed commit could not be undone: the room stops and restarts from the database.
    broken: bool,
    /// Stored events were rewritten: stop after this batch (see `Cmd::Reload`).
    reload_requested: bool,
    /// Closing after an idle while: what is queued is served, joins are turned away.
    closing: bool,
}

struct Pending {
    actor: Actor,
    op_id: String,
    op: Op,
    reply: oneshot::Sender<Result<i64, OpError>>,
}

impl Room {
    pub(super) fn new(
        store: Store,
        policy_areas: Vec<String>,
        state: BoardState,
        ops: HashMap<String, i64>,
        tx: broadcast::Sender<Frame>,
        (window, clock): (AttendanceWindow, Clock),
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
            window,
            clock,
            early_arrivals: false,
            view_cache: ViewCache::default(),
            broken: false,
            reload_requested: false,
            closing: false,
        }
    }

    pub(super) async fn run(mut self, mut rx: mpsc::Receiver<Cmd>, shutdown: CancellationToken) {
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
                    if self.reload_requested {
                        // Stopping is how a room starts again from the stored events.
                        self.write_attendance().await;
                        return;
                    }
                }
                _ = presence_tick.tick() => {
                    if self.presence_dirty {
                        self.presence_dirty = false;
                        let _ = self.tx.send(self.presence_frame());
                    }
                    self.mark_early_arrivals();
                    self.write_attendance().await;
                    if self.conns.is_empty() && last_activity.elapsed() >= ROOM_IDLE {
                        // Nobody here for a while: free the memory. Commands already queued
                        // are served, but for joins, which would find the room gone at once:
                        // they (and later commands) find it closed and start it again, once
                        // this one has finished (`Rooms::get`).
                        self.closing = true;
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
                if self.closing {
                    return; // the reply dropped: the connection joins the next room
                }
                let joined = self.join(&conn, last_seq);
                if let Some(id) = conn.actor.id.enrollment() {
                    self.arrived(id);
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
            Cmd::Board {
                viewer,
                known,
                reply,
            } => {
                let view = self.view_cache.view(&self.state, &viewer, known.as_deref());
                let _ = reply.send(view);
            }
            Cmd::Presence { reply } => {
                let _ = reply.send(self.presence());
            }
            // An instance's own NOTIFY comes back to it: nothing to read then.
            Cmd::CatchUp { upto } => {
                if upto.is_none_or(|u| u > self.state.seq) {
                    self.catch_up_requested = true;
                }
            }
            Cmd::Reload => self.reload_requested = true,
        }
    }

    /// An enrolled person joined: present if the meeting's window is open now; if it is still
    /// to come, they are marked when it opens should they still be here. After it, nothing.
    fn arrived(&mut self, enrollment_id: i64) {
        if self.attended.contains(&enrollment_id) {
            return;
        }
        let now = (self.clock)();
        if self.window.contains(now) {
            self.attended.insert(enrollment_id);
            self.attendance_pending.push(enrollment_id);
        } else if self.window.is_ahead(now) {
            self.early_arrivals = true;
        }
    }

    /// Once the window opens, marks the enrolled people who joined early and are still here.
    fn mark_early_arrivals(&mut self) {
        if !self.early_arrivals {
            return;
        }
        let now = (self.clock)();
        if self.window.is_ahead(now) {
            return;
        }
        self.early_arrivals = false;
        if !self.window.contains(now) {
            return;
        }
        for c in self.conns.values() {
            if let Some(id) = c.actor.id.enrollment() {
                if self.attended.insert(id) {
                    self.attendance_pending.push(id);
                }
            }
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

    /// A connection says hello: the events it missed since `last_seq` follow the welcome when
    /// the log still holds them; otherwise the welcome carries the board when it is small, or
    /// tells the client to load it over HTTP (`GET /api/v1/meetings/{id}/board`, see
    /// [`super::views`]), the events after the welcome's `seq` following on the socket.
    fn join(&mut self, conn: &Connection, last_seq: i64) -> Joined {
        let rx = self.tx.subscribe();
        let oldest = self.log.front().map(|(s, _)| *s);
        let can_replay = last_seq > 0
            && last_seq <= self.state.seq
            && (last_seq == self.state.seq || oldest.is_some_and(|o| o <= last_seq + 1));
        let (missed, state, load): (Vec<Frame>, Option<Arc<BoardBody>>, bool) = if can_replay {
            let missed = self
                .log
                .iter()
                .filter(|(s, _)| *s > last_seq)
                .map(|(_, f)| f.clone())
                .collect();
            (missed, None, false)
        } else {
            // A small shared view travels in the welcome; a person's own view, or a larger
            // board, is loaded over HTTP.
            let audience = Audience::of(&self.state, &conn.actor);
            match self.view_cache.shared(&self.state, audience) {
                Some(body) if body.inline().is_some() => (Vec::new(), Some(body), false),
                _ => (Vec::new(), None, true),
            }
        };
        let welcome = frames::welcome(
            self.state.seq,
            store::now_ms(),
            state.as_ref().and_then(|b| b.inline()),
            load,
            &conn.actor,
            conn.read_only,
        );
        Joined {
            welcome,
            missed,
            rx,
        }
    }

    fn presence_frame(&self) -> Frame {
        let (count, listed) = self.presence();
        frames::presence(count, &listed)
    }

    /// The number of people connected (projectors excluded) and the first 300 of them by name.
    fn presence(&self) -> (usize, Vec<Value>) {
        let mut people: Vec<&Actor> = Vec::new();
        let mut seen = HashSet::new();
        for c in self.conns.values() {
            if !c.read_only && seen.insert(c.actor.id) {
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
            let mut sent: Vec<Frame> = Vec::new();
            let mut outcomes: Vec<Result<i64, OpError>> = Vec::with_capacity(batch.len());
            let mut in_batch: HashMap<&str, i64> = HashMap::new();
            let now = store::now_ms();
            for p in &batch {
                if let Some(seq) = self.ops.get(&p.op_id).or(in_batch.get(p.op_id.as_str())) {
                    outcomes.push(Ok(*seq));
                    continue;
                }
                if p.op_id.is_empty() || p.op_id.len() > 64 {
                    outcomes.push(Err(OpError::Refused(Refusal::new(
                        "invalid_id",
                        "Identificativo dell'operazione non valido.",
                    ))));
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
                        let before = Before::of(&self.state, &rec);
                        apply(&mut self.state, &rec);
                        sent.push(frames::event(&self.state, &rec, before));
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
            for (rec, frame) in records.iter().zip(sent) {
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
        store::board::append(&self.store, self.state.meeting_id, records).await
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
            let before = Before::of(&self.state, &rec);
            apply(&mut self.state, &rec);
            self.ops.insert(rec.op_id.clone(), rec.seq);
            let frame = frames::event(&self.state, &rec, before);
            self.log.push_back((rec.seq, frame.clone()));
            let _ = self.tx.send(frame);
        }
        while self.log.len() > REPLAY_LOG {
            self.log.pop_front();
        }
    }
}

fn guest_code() -> String {
    crate::domain::guest_code::random()
}
