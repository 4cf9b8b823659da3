//! The enrollment desk: the single writer that decides seats.
//!
//! Every decision (enroll, cancel, promote, close) goes through one queue and one task. A request
//! is stamped with its arrival number at the moment it is queued — under the same lock, so the
//! stamp order *is* the queue order — and the task takes everything queued so far and decides it
//! in one transaction (group commit): one durable commit for many applications, and seats given
//! strictly by arrival. Measured here: concurrent SQLite transactions with a busy timeout broke
//! arrival order and reached ~450/s; this design keeps the order exactly.
//!
//! With PostgreSQL and several instances, each instance has its own desk; the transaction starts
//! by locking the workshop row (`store::enrollments::lock_workshop`), so seat counts stay exact
//! across instances and arrival order holds within each instance.

use std::collections::{HashMap, hash_map};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tokio::sync::{Notify, mpsc, oneshot};

use crate::domain::dates;
use crate::domain::enrollment::{self, Application, Status};
use crate::secret;
use crate::services::catalogue::Entry;
use crate::store::enrollments::{self as rows, EnrollmentRow, WorkshopSeats};
use crate::store::{self, DbError, Store, Tx, audit, outbox};
use crate::templates::Templates;

/// At most one reminder per enrollment in this time (an hour), however often its e-mail is
/// entered in the form again.
pub const REMINDER_GAP_MS: i64 = 3600 * 1000;

/// The most commands decided in one transaction.
const MAX_BATCH: usize = 1024;

/// What happened to an application.
#[derive(Debug, Clone, Serialize)]
pub enum EnrollOutcome {
    /// A new enrollment; `token` is the raw private-link token (shown once).
    Enrolled {
        id: i64,
        status: Status,
        position: Option<i64>,
        token: String,
    },
    /// This e-mail already enrolled in the workshop: nothing changed, but the person was sent
    /// a reminder of the enrollment's state with a fresh private link (at most one an hour).
    /// `status` and `position` are for the desk's callers' logs and tests, never for the one
    /// who applied.
    Duplicate {
        status: Status,
        position: Option<i64>,
    },
    /// The enrollment window is closed.
    Closed,
}

/// What happened to a cancellation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelOutcome {
    /// Cancelled; the id of the person promoted into the freed seat, if any.
    Cancelled {
        promoted: Option<i64>,
    },
    AlreadyCancelled,
    NotFound,
}

/// Who cancels an enrollment.
#[derive(Debug, Clone)]
pub enum Canceller {
    /// The person, from their private link (hash of the token).
    Person { token_hash: String },
    /// A staff member, recorded in the audit log.
    Staff {
        enrollment_id: i64,
        actor: String,
        reason: String,
    },
}

/// Why the desk could not decide.
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    #[error("database: {0}")]
    Db(#[from] DbError),
    #[error("template: {0}")]
    Template(#[from] minijinja::Error),
    #[error("the enrollment desk has stopped")]
    Stopped,
    /// The storage is full or failing (see `store::is_storage_failure`): nothing was recorded.
    #[error("storage failing (disk full or I/O error): the decision was not recorded")]
    StorageFull,
}

enum Command {
    Enroll {
        entry: Arc<Entry>,
        app: Application,
        arrival: i64,
        reply: oneshot::Sender<Result<EnrollOutcome, DeskError>>,
    },
    Cancel {
        entry: Arc<Entry>,
        who: Canceller,
        reply: oneshot::Sender<Result<CancelOutcome, DeskError>>,
    },
    /// Someone asked for the private link of `email_norm` again (from a meeting's page): the
    /// person, if enrolled and not cancelled, is sent a reminder with a fresh link.
    Resend {
        entry: Arc<Entry>,
        email_norm: String,
        reply: oneshot::Sender<Result<(), DeskError>>,
    },
    /// Fill free seats from the waitlist (after a capacity increase), and if the window has
    /// closed, tell everyone still waiting that no seat is left.
    Settle {
        entry: Arc<Entry>,
        reply: oneshot::Sender<Result<SettleOutcome, DeskError>>,
    },
}

/// Why a reminder is written (its first sentence says it).
#[derive(Debug, Clone, Copy)]
enum Reminder {
    AppliedAgain,
    LinkAsked,
}

/// What a settle did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SettleOutcome {
    pub promoted: usize,
    pub not_admitted: usize,
}

/// Handle on the desk; cheap to clone.
#[derive(Clone)]
pub struct Desk {
    queue: Arc<Mutex<Queue>>,
}

struct Queue {
    last_arrival: i64,
    tx: mpsc::UnboundedSender<Command>,
}

/// What the desk needs to write notifications.
pub struct MailContext {
    pub templates: Arc<Templates>,
    pub base_url: String,
    /// Woken after every commit that wrote to the outbox.
    pub outbox_wakeup: Arc<Notify>,
}

impl Desk {
    /// Starts the writer task.
    pub fn start(store: Store, mail: MailContext) -> Desk {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(store, mail, rx));
        Desk {
            queue: Arc::new(Mutex::new(Queue {
                last_arrival: 0,
                tx,
            })),
        }
    }

    /// Queues a command, stamping it with the next arrival number (epoch microseconds, strictly
    /// increasing) under the same lock as the send.
    fn submit(&self, make: impl FnOnce(i64) -> Command) -> Result<(), DeskError> {
        let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        let now = chrono::Utc::now().timestamp_micros();
        q.last_arrival = now.max(q.last_arrival + 1);
        let arrival = q.last_arrival;
        q.tx.send(make(arrival)).map_err(|_| DeskError::Stopped)
    }

    /// Decides an application. `app` must be validated and the window checked by the caller.
    pub async fn enroll(
        &self,
        entry: Arc<Entry>,
        app: Application,
    ) -> Result<EnrollOutcome, DeskError> {
        let (reply, rx) = oneshot::channel();
        self.submit(|arrival| Command::Enroll {
            entry,
            app,
            arrival,
            reply,
        })?;
        rx.await.map_err(|_| DeskError::Stopped)?
    }

    /// Decides a cancellation (and the promotion into the freed seat).
    pub async fn cancel(
        &self,
        entry: Arc<Entry>,
        who: Canceller,
    ) -> Result<CancelOutcome, DeskError> {
        let (reply, rx) = oneshot::channel();
        self.submit(|_| Command::Cancel { entry, who, reply })?;
        rx.await.map_err(|_| DeskError::Stopped)?
    }

    /// Sends the person enrolled with `email_norm` (if any, and not cancelled) their private
    /// link again; at most one reminder an hour. The caller learns nothing either way.
    pub async fn resend_link(
        &self,
        entry: Arc<Entry>,
        email_norm: String,
    ) -> Result<(), DeskError> {
        let (reply, rx) = oneshot::channel();
        self.submit(|_| Command::Resend {
            entry,
            email_norm,
            reply,
        })?;
        rx.await.map_err(|_| DeskError::Stopped)?
    }

    /// Fills free seats from the waitlist and, once the window has closed, tells everyone
    /// still waiting that no seat is left.
    pub async fn settle(&self, entry: Arc<Entry>) -> Result<SettleOutcome, DeskError> {
        let (reply, rx) = oneshot::channel();
        self.submit(|_| Command::Settle { entry, reply })?;
        rx.await.map_err(|_| DeskError::Stopped)?
    }
}

async fn run(store: Store, mail: MailContext, mut rx: mpsc::UnboundedReceiver<Command>) {
    let mut batch = Vec::new();
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(cmd) => batch.push(cmd),
                Err(_) => break,
            }
        }
        let commands = std::mem::take(&mut batch);
        decide_batch(&store, &mail, commands).await;
    }
}

/// Decides a batch in one transaction. If the transaction fails, each command is retried alone
/// so that one failing command cannot take the others down with it.
async fn decide_batch(store: &Store, mail: &MailContext, commands: Vec<Command>) {
    let single = commands.len() == 1;
    let mut pending = Vec::with_capacity(commands.len());
    let result = async {
        let mut tx = store.begin().await?;
        let mut w = Writer {
            mail,
            seats: HashMap::new(),
            now: store::now_ms(),
            wrote_mail: false,
        };
        for cmd in &commands {
            pending.push(w.decide(&mut tx, cmd).await?);
        }
        tx.commit().await?;
        Ok::<bool, DeskError>(w.wrote_mail)
    }
    .await;
    match result {
        Ok(wrote_mail) => {
            store.note_write_ok();
            for (cmd, outcome) in commands.into_iter().zip(pending) {
                answer(cmd, Ok(outcome));
            }
            if wrote_mail {
                mail.outbox_wakeup.notify_one();
            }
        }
        Err(DeskError::Db(e)) if single && store.note_failure(&e) => {
            // The storage is to blame, not the desk (which goes on): said once by the store.
            tracing::warn!(error = %e, "enrollment decision not recorded: storage failing");
            for cmd in commands {
                answer(cmd, Err(DeskError::StorageFull));
            }
        }
        Err(e) if single => {
            tracing::error!(error = %e, "enrollment decision failed");
            for cmd in commands {
                answer(cmd, Err(e_clone(&e)));
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, n = commands.len(), "batch failed; deciding one by one");
            for cmd in commands {
                Box::pin(decide_batch(store, mail, vec![cmd])).await;
            }
        }
    }
}

/// The same failure for every command of a failed single-command batch.
fn e_clone(e: &DeskError) -> DeskError {
    match e {
        DeskError::Db(_) | DeskError::Stopped => DeskError::Stopped,
        DeskError::StorageFull => DeskError::StorageFull,
        DeskError::Template(t) => {
            DeskError::Template(minijinja::Error::new(t.kind(), t.to_string()))
        }
    }
}

/// The outcome of one command, before it is sent back.
enum Decided {
    Enroll(EnrollOutcome),
    Cancel(CancelOutcome),
    Settle(SettleOutcome),
    Resend,
}

fn answer(cmd: Command, outcome: Result<Decided, DeskError>) {
    // A requester that went away (closed connection) no longer needs its answer: ignore.
    match (cmd, outcome) {
        (Command::Enroll { reply, .. }, Ok(Decided::Enroll(o))) => drop(reply.send(Ok(o))),
        (Command::Cancel { reply, .. }, Ok(Decided::Cancel(o))) => drop(reply.send(Ok(o))),
        (Command::Settle { reply, .. }, Ok(Decided::Settle(o))) => drop(reply.send(Ok(o))),
        (Command::Resend { reply, .. }, Ok(Decided::Resend)) => drop(reply.send(Ok(()))),
        (Command::Resend { reply, .. }, Err(e)) => drop(reply.send(Err(e))),
        (Command::Enroll { reply, .. }, Err(e)) => drop(reply.send(Err(e))),
        (Command::Cancel { reply, .. }, Err(e)) => drop(reply.send(Err(e))),
        (Command::Settle { reply, .. }, Err(e)) => drop(reply.send(Err(e))),
        _ => unreachable!("a command is always answered with its own kind"),
    }
}

/// Seat counts of a workshop inside the current transaction, read once under its lock.
struct Seats {
    lock: WorkshopSeats,
    confirmed: i64,
    waiting: i64,
    /// The highest arrival number given so far: the next is above it.
    last_arrival: i64,
}

struct Writer<'a> {
    mail: &'a MailContext,
    seats: HashMap<i64, Seats>,
    now: i64,
    wrote_mail: bool,
}

impl Writer<'_> {
    async fn decide(&mut self, tx: &mut Tx, cmd: &Command) -> Result<Decided, DeskError> {
        Ok(match cmd {
            Command::Enroll {
                entry,
                app,
                arrival,
                ..
            } => Decided::Enroll(self.enroll(tx, entry, app, *arrival).await?),
            Command::Cancel { entry, who, .. } => {
                Decided::Cancel(self.cancel(tx, entry, who).await?)
            }
            Command::Settle { entry, .. } => Decided::Settle(self.settle(tx, entry).await?),
            Command::Resend {
                entry, email_norm, ..
            } => {
                self.resend(tx, entry, email_norm).await?;
                Decided::Resend
            }
        })
    }

    /// The seat counts of a workshop, locking it and reading them at its first use in the
    /// transaction.
    async fn seats(&mut self, tx: &mut Tx, workshop_id: i64) -> Result<&mut Seats, DbError> {
        match self.seats.entry(workshop_id) {
            hash_map::Entry::Occupied(known) => Ok(known.into_mut()),
            hash_map::Entry::Vacant(slot) => {
                let lock = rows::lock_workshop(tx, workshop_id).await?;
                let confirmed = rows::count_with_status(tx, workshop_id, Status::Confirmed).await?;
                let waiting = rows::count_with_status(tx, workshop_id, Status::Waitlisted).await?;
                let last_arrival = rows::max_arrival(tx, workshop_id).await?;
                Ok(slot.insert(Seats {
                    lock,
                    confirmed,
                    waiting,
                    last_arrival,
                }))
            }
        }
    }

    async fn enroll(
        &mut self,
        tx: &mut Tx,
        entry: &Entry,
        app: &Application,
        arrival: i64,
    ) -> Result<EnrollOutcome, DeskError> {
        let now = self.now;
        let seats = self.seats(tx, entry.id).await?;
        if seats.lock.closed_processed || arrival / 1000 > seats.lock.closes_at {
            return Ok(EnrollOutcome::Closed);
        }
        let capacity = u32::try_from(seats.lock.capacity).unwrap_or(u32::MAX);
        let confirmed = u32::try_from(seats.confirmed).unwrap_or(u32::MAX);
        let status = enrollment::decide(confirmed, capacity);
        // The arrival number is given here, under the workshop's lock, above every number given
        // before: with several instances (several desks, each stamping its own requests) the
        // order of the numbers is the order of the decisions, so the seats, the waitlist's order
        // and the position a person is told agree. "Order of arrival" is the order in which
        // applications reach this decision; within one instance, the order they were received.
        let arrival = arrival.max(seats.last_arrival + 1);
        let Some(id) = rows::insert(tx, entry.id, arrival, app, status, now).await? else {
            let existing = rows::by_email(tx, entry.id, &app.email_norm)
                .await?
                .expect("a conflicting row exists");
            let position = self.position_of(tx, &existing).await?;
            // The one who asked may not be the person: they are told nothing about the
            // enrollment, and the person is sent its state with a fresh private link.
            self.remind(tx, entry, &existing, position, Reminder::AppliedAgain)
                .await?;
            return Ok(EnrollOutcome::Duplicate {
                status: existing.status(),
                position,
            });
        };
        let seats = self.seats(tx, entry.id).await?;
        seats.last_arrival = arrival;
        let position = match status {
            Status::Confirmed => {
                seats.confirmed += 1;
                None
            }
            _ => {
                seats.waiting += 1;
                Some(seats.waiting)
            }
        };
        let kind = match status {
            Status::Confirmed => "confirmed",
            _ => "waitlisted",
        };
        let token = self
            .notify(tx, entry, id, &app.name, &app.email, kind, position)
            .await?;
        Ok(EnrollOutcome::Enrolled {
            id,
            status,
            position,
            token,
        })
    }

    async fn position_of(
        &mut self,
        tx: &mut Tx,
        row: &EnrollmentRow,
    ) -> Result<Option<i64>, DbError> {
        Ok(if row.status() == Status::Waitlisted {
            Some(rows::waitlist_position(tx, row.workshop_id, row.arrival, row.id).await?)
        } else {
            None
        })
    }

    async fn cancel(
        &mut self,
        tx: &mut Tx,
        entry: &Entry,
        who: &Canceller,
    ) -> Result<CancelOutcome, DeskError> {
        // Lock first: the row read below must not change before we write.
        self.seats(tx, entry.id).await?;
        let row = match who {
            Canceller::Person { token_hash } => rows::by_link(tx, token_hash).await?,
            Canceller::Staff { enrollment_id, .. } => rows::by_id(tx, *enrollment_id).await?,
        };
        let Some(row) = row.filter(|r| r.workshop_id == entry.id) else {
            return Ok(CancelOutcome::NotFound);
        };
        let was = row.status();
        if was == Status::Cancelled {
            return Ok(CancelOutcome::AlreadyCancelled);
        }
        rows::set_status(tx, row.id, Status::Cancelled, self.now).await?;
        let seats = self.seats(tx, entry.id).await?;
        match was {
            Status::Confirmed => seats.confirmed -= 1,
            Status::Waitlisted => seats.waiting -= 1,
            _ => {}
        }
        if let Canceller::Staff { actor, reason, .. } = who {
            audit::record(
                tx,
                self.now,
                actor,
                "enrollment.cancel",
                Some(entry.id),
                &format!("iscrizione #{}", row.id),
                reason,
            )
            .await?;
        }
        self.notify(tx, entry, row.id, &row.name, &row.email, "cancelled", None)
            .await?;
        let promoted = self.fill_free_seats(tx, entry).await?;
        Ok(CancelOutcome::Cancelled {
            promoted: promoted.first().copied(),
        })
    }

    /// Promotes the earliest waiting people into free seats, unless the window has closed.
    async fn fill_free_seats(&mut self, tx: &mut Tx, entry: &Entry) -> Result<Vec<i64>, DeskError> {
        let mut promoted = Vec::new();
        loop {
            let now = self.now;
            let seats = self.seats(tx, entry.id).await?;
            if seats.lock.closed_processed
                || now > seats.lock.closes_at
                || seats.confirmed >= seats.lock.capacity
                || seats.waiting == 0
            {
                return Ok(promoted);
            }
            let Some(next) = rows::first_waitlisted(tx, entry.id).await? else {
                return Ok(promoted);
            };
            rows::set_status(tx, next.id, Status::Confirmed, now).await?;
            let seats = self.seats(tx, entry.id).await?;
            seats.confirmed += 1;
            seats.waiting -= 1;
            self.notify(
                tx,
                entry,
                next.id,
                &next.name,
                &next.email,
                "promoted",
                None,
            )
            .await?;
            promoted.push(next.id);
        }
    }

    async fn settle(&mut self, tx: &mut Tx, entry: &Entry) -> Result<SettleOutcome, DeskError> {
        let promoted = self.fill_free_seats(tx, entry).await?.len();
        let now = self.now;
        let seats = self.seats(tx, entry.id).await?;
        if seats.lock.closed_processed || now <= seats.lock.closes_at {
            return Ok(SettleOutcome {
                promoted,
                not_admitted: 0,
            });
        }
        seats.lock.closed_processed = true;
        seats.waiting = 0;
        rows::mark_closed_processed(tx, entry.id).await?;
        let waiting = rows::all_waitlisted(tx, entry.id).await?;
        for row in &waiting {
            rows::set_status(tx, row.id, Status::NotAdmitted, now).await?;
            self.notify(
                tx,
                entry,
                row.id,
                &row.name,
                &row.email,
                "not_admitted",
                None,
            )
            .await?;
        }
        Ok(SettleOutcome {
            promoted,
            not_admitted: waiting.len(),
        })
    }

    /// The private link asked for again: a reminder to the enrolled person, if there is one
    /// who has not cancelled.
    async fn resend(
        &mut self,
        tx: &mut Tx,
        entry: &Entry,
        email_norm: &str,
    ) -> Result<(), DeskError> {
        // Under the workshop's lock, like every decision about its enrollments.
        self.seats(tx, entry.id).await?;
        let Some(row) = rows::by_email(tx, entry.id, email_norm).await? else {
            return Ok(());
        };
        if row.status() == Status::Cancelled {
            return Ok(());
        }
        let position = self.position_of(tx, &row).await?;
        self.remind(tx, entry, &row, position, Reminder::LinkAsked)
            .await
    }

    /// Writes a reminder of an enrollment's state to the person, with a fresh private link, when
    /// someone applied again with their e-mail or asked for the link again; at most one per
    /// [`REMINDER_GAP_MS`], so neither form can be used to flood a mailbox.
    async fn remind(
        &mut self,
        tx: &mut Tx,
        entry: &Entry,
        row: &EnrollmentRow,
        position: Option<i64>,
        why: Reminder,
    ) -> Result<(), DeskError> {
        let since = self.now - REMINDER_GAP_MS;
        if outbox::written_since(tx, row.id, "reminder", since).await? {
            return Ok(());
        }
        let (token, token_hash) = secret::new_token();
        rows::add_link(tx, row.id, &token_hash, self.now).await?;
        let status = row.status();
        let base = mail_context(entry, &row.name, position, &self.mail.base_url, &token);
        let ctx = minijinja::context! {
            status => status.as_str(),
            status_label => status.label(),
            // "duplicate" (applied again) or "link" (asked for the link from a meeting's page).
            reason => match why { Reminder::AppliedAgain => "duplicate", Reminder::LinkAsked => "link" },
            ..base
        };
        let (subject, body) = self.mail.templates.render_mail("mail/reminder.txt", ctx)?;
        outbox::insert(
            tx,
            &outbox::NewMessage {
                enrollment_id: Some(row.id),
                kind: "reminder",
                recipient: &row.email,
                subject: &subject,
                body: &body,
            },
            self.now,
        )
        .await?;
        self.wrote_mail = true;
        Ok(())
    }

    /// Writes the notification of a status change into the outbox, with a fresh private link;
    /// returns the raw token of that link.
    #[allow(clippy::too_many_arguments)]
    async fn notify(
        &mut self,
        tx: &mut Tx,
        entry: &Entry,
        enrollment_id: i64,
        name: &str,
        email: &str,
        kind: &str,
        position: Option<i64>,
    ) -> Result<String, DeskError> {
        let (token, token_hash) = secret::new_token();
        rows::add_link(tx, enrollment_id, &token_hash, self.now).await?;
        let ctx = mail_context(entry, name, position, &self.mail.base_url, &token);
        let (subject, body) = self
            .mail
            .templates
            .render_mail(&format!("mail/{kind}.txt"), ctx)?;
        outbox::insert(
            tx,
            &outbox::NewMessage {
                enrollment_id: Some(enrollment_id),
                kind,
                recipient: email,
                subject: &subject,
                body: &body,
            },
            self.now,
        )
        .await?;
        self.wrote_mail = true;
        Ok(token)
    }
}

/// The private page of an enrollment, for a raw token.
pub fn manage_url(base_url: &str, token: &str) -> String {
    format!("{}/iscrizione/{token}", base_url.trim_end_matches('/'))
}

/// What the mail templates (`templates/mail/*.txt`) are given.
fn mail_context(
    entry: &Entry,
    name: &str,
    position: Option<i64>,
    base_url: &str,
    token: &str,
) -> minijinja::Value {
    let w = &entry.workshop;
    minijinja::context! {
        name => name,
        workshop => w.title.clone(),
        organiser => w.organiser.clone(),
        position => position,
        manage_url => manage_url(base_url, token),
        workshop_url => format!("{}/laboratori/{}", base_url.trim_end_matches('/'), w.slug),
        meetings => entry.mail_calendar.clone(),
        // Only the confirmation and promotion mails print these (people with a seat).
        video_links => entry.mail_video_links.clone(),
        closes => dates::format_datetime(w.enrollment_closes, w.timezone),
    }
}
