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
use crate::domain::board::{Actor, ActorId, BoardState, EventRecord, Op, Refusal, apply, decide};
use crate::services::attendance::Clock;
use crate::store::{self, Backend, Store};

/// Events kept in memory per room for replay to reconnecting clients; older gaps get a snapshot.
const REPLAY_LOG: usize = 20_000;
/// Operations decided in one transaction at most.
const MAX_BATCH: usize = 512;
/// Presence is sent at most this often (1,000 people joining must not mean 1,000 lists).
const PRESENCE_EVERY: Duration = Duration::from_millis(500);
/// People named in a presence list (facilitators see them; everyone sees the count).
const PRESENCE_LISTED: usize = 300;
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
    /// Presence across instances (PostgreSQL); `None` with a single instance (SQLite), where
    /// the room's own connections are the whole presence.
    shared_presence: Option<SharedPresence>,
}

/// A meeting's presence across instances: who this room published as connected here, and who
/// the other instances say is connected there (as last read).
struct SharedPresence {
    instance: Arc<str>,
    published: HashSet<ActorId>,
    elsewhere: Vec<store::presence::Present>,
    /// Some instance changed the meeting's presence since `elsewhere` was read.
    stale: bool,
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
        instance: Option<Arc<str>>,
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
            shared_presence: instance.map(|instance| SharedPresence {
                instance,
                published: HashSet::new(),
                elsewhere: Vec::new(),
                stale: true,
            }),
        }
    }

    pub(super) async fn run(mut self, rx: mpsc::Receiver<Cmd>, shutdown: CancellationToken) {
        self.serve(rx, shutdown.clone()).await;
        // When the instance stops, its presence goes as a whole (`Rooms::keep_presence_alive`);
        // removing it room by room at the same moment only made the two deletions meet.
        if !shutdown.is_cancelled() {
            self.close_presence().await;
        }
    }

    async fn serve(&mut self, mut rx: mpsc::Receiver<Cmd>, shutdown: CancellationToken) {
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
                    self.tick_presence().await;
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
            Cmd::PresenceChanged => {
                if let Some(shared) = &mut self.shared_presence {
                    shared.stale = true;
                }
            }
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

    /// The number of people connected (projectors excluded), each once, and the first 300 of
    /// them by name: here and, with several instances, through the others.
    fn presence(&self) -> (usize, Vec<Value>) {
        let here = self.local_people();
        let mut people: Vec<(&str, String, Value)> = here
            .values()
            .map(|a| {
                let entry = json!({"id": a.id, "kind": a.kind, "name": a.name, "organisation": a.organisation});
                (a.name.as_str(), a.id.to_string(), entry)
            })
            .collect();
        if let Some(shared) = &self.shared_presence {
            let here: HashSet<String> = people.iter().map(|(_, id, _)| id.clone()).collect();
            let mut seen = HashSet::new();
            for p in &shared.elsewhere {
                if here.contains(&p.person) || !seen.insert(p.person.as_str()) {
                    continue;
                }
                let entry = json!({"id": p.person, "kind": p.kind, "name": p.name, "organisation": p.organisation});
                people.push((p.name.as_str(), p.person.clone(), entry));
            }
        }
        people.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        let count = people.len();
        let listed = people
            .into_iter()
            .take(PRESENCE_LISTED)
            .map(|(_, _, entry)| entry)
            .collect();
        (count, listed)
    }

    /// The people connected to this room, each once.
    fn local_people(&self) -> HashMap<ActorId, &Actor> {
        self.conns
            .values()
            .filter(|c| !c.read_only)
            .map(|c| (c.actor.id, &c.actor))
            .collect()
    }

    /// Sends the presence when it changed. With several instances the room also publishes who
    /// is connected here, and reads who is connected elsewhere once some instance announced a
    /// change, so everyone sees one count.
    async fn tick_presence(&mut self) {
        let mut changed = std::mem::take(&mut self.presence_dirty);
        if changed && self.shared_presence.is_some() {
            self.publish_presence().await;
        }
        if let Some(shared) = &mut self.shared_presence {
            if std::mem::take(&mut shared.stale) {
                let meeting_id = self.state.meeting_id;
                match store::presence::elsewhere(&self.store, &shared.instance, meeting_id).await {
                    Ok(elsewhere) => {
                        changed |= shared.elsewhere != elsewhere;
                        shared.elsewhere = elsewhere;
                    }
                    Err(e) => {
                        shared.stale = true;
                        tracing::warn!(meeting = meeting_id, error = %e, "presence of other instances not read; will retry");
                    }
                }
            }
        }
        if changed {
            let _ = self.tx.send(self.presence_frame());
        }
    }

    /// Publishes who joined and who left this room since the last time (several instances).
    async fn publish_presence(&mut self) {
        let Some(shared) = &self.shared_presence else {
            return;
        };
        let meeting_id = self.state.meeting_id;
        let here = self.local_people();
        let joined: Vec<&Actor> = here
            .iter()
            .filter(|(id, _)| !shared.published.contains(id))
            .map(|(_, a)| *a)
            .collect();
        let left: Vec<ActorId> = shared
            .published
            .iter()
            .filter(|id| !here.contains_key(id))
            .copied()
            .collect();
        match store::presence::publish(&self.store, &shared.instance, meeting_id, &joined, &left)
            .await
        {
            Ok(()) => {
                let now: HashSet<ActorId> = here.into_keys().collect();
                if let Some(shared) = &mut self.shared_presence {
                    shared.published = now;
                }
            }
            Err(e) => {
                // Tried again on the next tick.
                self.presence_dirty = true;
                tracing::warn!(meeting = meeting_id, error = %e, "presence not published; will retry");
            }
        }
    }

    /// The room closes: its connections no longer count anywhere.
    async fn close_presence(&mut self) {
        let Some(shared) = &self.shared_presence else {
            return;
        };
        if shared.published.is_empty() {
            return;
        }
        let instance = shared.instance.clone();
        if let Err(e) =
            store::presence::close_room(&self.store, &instance, self.state.meeting_id).await
        {
            // The instance's rows go with it when it stops (or its heartbeat goes stale).
            tracing::warn!(meeting = self.state.meeting_id, error = %e, "presence of a closed room not removed");
        }
    }

    /// Decides a batch in arrival order, writes the accepted events in one transaction, then
    /// broadcasts and answers. The room first takes the meeting's turn (`store::board::Turn`:
    /// on PostgreSQL it waits while another instance writes this meeting) and applies what the
    /// others wrote since its own `seq`, so what it decides follows the whole board and its
    /// `seq`s are free. Each operation is decided against the live state with the earlier ones
    /// of the batch already applied, and its frames are built at once; they leave only after
    /// the commit. If the commit fails nothing was written: the state is read back from the
    /// table as it was before the batch (cloning the state per batch instead cost O(cards) per
    /// commit, ~19% of the CPU over a long meeting) and the operations are answered
    /// `unavailable` (the clients keep and resend them).
    async fn write(&mut self, batch: Vec<Pending>) {
        self.catch_up_requested = false;
        let meeting_id = self.state.meeting_id;
        let mut turn = match store::board::take_turn(&self.store, meeting_id).await {
            Ok(turn) => turn,
            Err(e) => return self.unavailable(batch, &e),
        };
        match turn.written_after(self.state.seq).await {
            Ok(events) => self.apply_others(events),
            Err(e) => return self.unavailable(batch, &e),
        }
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
            if let Err(e) = turn.append(&self.store, &records).await {
                // Not a race (the turn excludes other writers): the database failed.
                self.restore(seq_before).await;
                return self.unavailable(batch, &e);
            }
        }
        // Committed (or nothing to write, and the turn is given back): remember, broadcast,
        // then ack.
        for (rec, frame) in records.iter().zip(sent) {
            self.ops.insert(rec.op_id.clone(), rec.seq);
            self.remember(rec.seq, frame);
        }
        for (p, outcome) in batch.into_iter().zip(outcomes) {
            let _ = p.reply.send(outcome);
        }
    }

    /// The database failed: nothing of the batch was written.
    fn unavailable(&mut self, batch: Vec<Pending>, e: &store::DbError) {
        tracing::error!(meeting = self.state.meeting_id, error = %e, "cannot store board events");
        for p in batch {
            let _ = p.reply.send(Err(OpError::Unavailable));
        }
    }

    /// Keeps a committed event's frame for reconnecting clients and sends it to everyone.
    fn remember(&mut self, seq: i64, frame: Frame) {
        self.log.push_back((seq, frame.clone()));
        if self.log.len() > REPLAY_LOG {
            self.log.pop_front();
        }
        let _ = self.tx.send(frame);
    }

    /// Puts the state back to `seq` after a failed commit, from the stored events. If even that
    /// fails, the room stops: the next connection starts it again from the database, and the
    /// clients, whose sockets close, reconnect and resend what was not acknowledged.
    async fn restore(&mut self, seq: i64) {
        let template = self.state.template.clone();
        match load(&self.store, self.state.meeting_id, template, seq).await {
            Ok((state, _)) => self.state = state,
            Err(e) => {
                tracing::error!(meeting = self.state.meeting_id, error = %e, "cannot reload the board; restarting the room");
                self.broken = true;
            }
        }
    }

    /// Follows the events other instances wrote (PostgreSQL NOTIFY): reads them after the
    /// room's own `seq`, outside any turn.
    async fn catch_up(&mut self) {
        if self.store.backend != Backend::Postgres {
            return; // SQLite has a single instance: nobody else writes.
        }
        match store::board::events_after(&self.store, self.state.meeting_id, self.state.seq).await {
            Ok(events) => self.apply_others(events),
            // The next notice or the next write reads them.
            Err(e) => {
                tracing::warn!(meeting = self.state.meeting_id, error = %e, "cannot read other instances' events")
            }
        }
    }

    /// Applies events written by other instances, in their order, and passes them on.
    fn apply_others(&mut self, events: Vec<EventRecord>) {
        for rec in events {
            if rec.seq <= self.state.seq {
                continue;
            }
            let before = Before::of(&self.state, &rec);
            apply(&mut self.state, &rec);
            self.ops.insert(rec.op_id.clone(), rec.seq);
            let frame = frames::event(&self.state, &rec, before);
            self.remember(rec.seq, frame);
        }
    }
}

fn guest_code() -> String {
    crate::domain::guest_code::random()
}
