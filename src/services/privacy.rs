//! The privacy lifecycle (GDPR; legal basis: public task, art. 6.1.e). Three use cases:
//!
//! - **retention** ([`sweep`], run hourly by [`run`]): once a workshop's last meeting is older
//!   than the retention period, its participants' and guests' identities are erased; a
//!   cancelled enrollment's identity goes a short period after the cancellation;
//! - **access** ([`export`], art. 15): everything held about an e-mail address, as JSON;
//! - **erasure** ([`erase`], art. 17): the same person's identity erased at once.
//!
//! Erasing keeps what the record of the co-programmazione needs and nothing that identifies:
//! enrollments keep role, ente, Comune, Ambito, status and dates (the attendance register then
//! says that a person of that ente and role was present, see docs/privacy.md); board events
//! keep the actor id (votes and contributors still count once per person), kind, ente and
//! Ambito, and show the name as «Partecipante (dati cancellati)» (`domain::privacy`). Every
//! erasure runs in one transaction and is guarded (`erased_at`, the workshop's sweep mark), so
//! several instances on one database may run it at once: the second finds nothing to do.
//!
//! Rewritten board events reach live rooms by [`crate::services::room::Rooms::reload`] on this
//! instance and, on PostgreSQL, by a notice to the others (`store::privacy::announce_rewrite`).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use sqlx::AnyConnection;
use tokio_util::sync::CancellationToken;

use crate::domain::board::{Actor, ActorId, Event};
use crate::domain::enrollment::Status;
use crate::domain::privacy::{self as rules, ERASED_GUEST, ERASED_PARTICIPANT, Retention, Whom};
use crate::domain::text;
use crate::services::catalogue::Catalogue;
use crate::services::room::Rooms;
use crate::store::audit::{self as audit_log, AuditEntry};
use crate::store::enrollments::EnrollmentRow;
use crate::store::privacy::{self as db, AttendanceLine, MailErasure, MailLine};
use crate::store::{DbError, Store, now_ms};

/// The audit action of an access request answered (art. 15).
pub const EXPORT: &str = "privacy.export";
/// The audit action of an erasure on request (art. 17).
pub const ERASE: &str = "privacy.erase";

/// An e-mail address that is not one: the Italian message to show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidEmail(pub String);

/// The normalised e-mail of a request, or why it is not one.
pub fn parse_email(email: &str) -> Result<String, InvalidEmail> {
    let mut errors = Vec::new();
    let norm = text::email("email", email, &mut errors);
    match errors.into_iter().next() {
        Some(e) => Err(InvalidEmail(e.message)),
        None => Ok(norm),
    }
}

// --- access (art. 15) ---------------------------------------------------------------------------

/// Everything Tavolo holds about one e-mail address.
#[derive(Debug, Clone, Serialize)]
pub struct PersonalData {
    pub email: String,
    /// When this answer was produced (epoch ms).
    pub generated_at: i64,
    pub enrollments: Vec<EnrollmentData>,
    /// A staff account with this address, if any (managed on the accounts page).
    pub account: Option<AccountData>,
}

impl PersonalData {
    /// Whether nothing personal is held.
    pub fn is_empty(&self) -> bool {
        self.enrollments.is_empty() && self.account.is_none()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AccountData {
    pub name: String,
    pub role: String,
    pub created_at: i64,
}

/// One enrollment and what hangs on it.
#[derive(Debug, Clone, Serialize)]
pub struct EnrollmentData {
    pub id: i64,
    pub workshop_id: i64,
    pub workshop: String,
    pub workshop_title: Option<String>,
    pub name: String,
    pub email: String,
    pub role: String,
    pub ente: String,
    pub comune_istat: Option<String>,
    pub ambito: Option<String>,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub attendance: Vec<AttendanceLine>,
    /// Notifications (subjects and dates; bodies are not repeated).
    pub mail: Vec<MailLine>,
    /// Browsers signed in with this enrollment's link.
    pub sessions: i64,
    pub board: BoardContributions,
    /// Entries of the audit log about this enrollment.
    pub audit: Vec<AuditEntry>,
}

/// What a person wrote on the boards, as stored.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BoardContributions {
    pub cards: Vec<Contribution>,
    pub comments: Vec<Contribution>,
    /// Votes given (net of votes taken back).
    pub votes: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Contribution {
    pub meeting_id: i64,
    pub at: i64,
    /// The card (for a comment: the card it is under; for an objective's comment: the
    /// objective).
    pub on: String,
    pub text: String,
}

/// Everything held about `email` (normalised).
pub async fn export(
    store: &Store,
    catalogue: &Catalogue,
    email_norm: &str,
) -> Result<PersonalData, DbError> {
    let mut conn = db::connection(store).await?;
    let rows = db::enrollments_by_email(&mut conn, email_norm).await?;
    let mut enrollments = Vec::with_capacity(rows.len());
    for r in rows {
        let entry = catalogue.by_id(r.workshop_id);
        let meetings = db::meetings_of_workshop(&mut conn, r.workshop_id).await?;
        let board = contributions(&mut conn, &meetings, ActorId::Enrollment(r.id)).await?;
        enrollments.push(EnrollmentData {
            id: r.id,
            workshop_id: r.workshop_id,
            workshop: entry.map_or_else(String::new, |e| e.workshop.slug.clone()),
            workshop_title: entry.map(|e| e.workshop.title.clone()),
            attendance: db::attendance_of(&mut conn, r.id).await?,
            mail: db::mail_of(&mut conn, r.id, email_norm).await?,
            sessions: db::sessions_of(&mut conn, r.id).await?,
            audit: db::audit_about(&mut conn, r.id).await?,
            board,
            name: r.name,
            email: r.email,
            role: r.role,
            ente: r.ente,
            comune_istat: r.comune_istat,
            ambito: r.ambito,
            status: r.status,
            created_at: r.created_at,
            updated_at: r.updated_at,
        });
    }
    drop(conn);
    let account = crate::store::accounts::by_email(store, email_norm)
        .await?
        .map(|a| AccountData {
            name: a.name,
            role: a.role,
            created_at: a.created_at,
        });
    Ok(PersonalData {
        email: email_norm.to_string(),
        generated_at: now_ms(),
        enrollments,
        account,
    })
}

async fn contributions(
    conn: &mut AnyConnection,
    meetings: &[i64],
    who: ActorId,
) -> Result<BoardContributions, DbError> {
    let mut out = BoardContributions::default();
    for &m in meetings {
        for stored in db::events_of_meeting(conn, m).await? {
            let Some((actor, event)) = decode(&stored) else {
                continue;
            };
            if actor.id != who {
                continue;
            }
            let at = stored.at;
            match event {
                Event::CardAdded {
                    card_id, content, ..
                } => out.cards.push(Contribution {
                    meeting_id: m,
                    at,
                    on: card_id,
                    text: serde_json::to_value(&content)
                        .ok()
                        .and_then(|v| v.get("text").and_then(|t| t.as_str()).map(String::from))
                        .unwrap_or_default(),
                }),
                Event::Commented {
                    card_id: on, text, ..
                }
                | Event::ObjectiveCommented {
                    objective_id: on,
                    text,
                    ..
                } => out.comments.push(Contribution {
                    meeting_id: m,
                    at,
                    on,
                    text,
                }),
                Event::Voted { .. } => out.votes += 1,
                Event::Unvoted { .. } => out.votes -= 1,
                _ => {}
            }
        }
    }
    Ok(out)
}

fn decode(stored: &db::StoredEvent) -> Option<(Actor, Event)> {
    Some((
        serde_json::from_str(&stored.actor).ok()?,
        serde_json::from_str(&stored.payload).ok()?,
    ))
}

// --- erasure -------------------------------------------------------------------------------------

/// What an erasure did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Erased {
    /// Enrollments whose identity was erased.
    pub enrollments: Vec<i64>,
    /// Board events rewritten without the person's name.
    pub events: usize,
    /// Meetings whose stored events changed (their live rooms must reload).
    pub meetings: Vec<i64>,
}

impl Erased {
    /// What was done, in Italian: "2 iscrizioni; eventi delle bacheche riscritti senza nome: 5".
    pub fn summary(&self) -> String {
        use crate::domain::italian::{Noun, count_digits};
        format!(
            "{}; eventi delle bacheche riscritti senza nome: {}",
            count_digits(
                self.enrollments.len() as u64,
                Noun::f("iscrizione", "iscrizioni")
            ),
            self.events
        )
    }

    fn merge(&mut self, other: Erased) {
        self.enrollments.extend(other.enrollments);
        self.events += other.events;
        for m in other.meetings {
            if !self.meetings.contains(&m) {
                self.meetings.push(m);
            }
        }
    }
}

/// Erases the identity of everyone enrolled with `email` (art. 17), records it in the audit
/// log (one entry per workshop concerned, naming enrollments by number only) and has this
/// instance's live rooms reload. Staff accounts are not touched (see the accounts page).
pub async fn erase(
    store: &Store,
    rooms: Option<&Rooms>,
    email_norm: &str,
    actor: &str,
) -> Result<Erased, DbError> {
    let mut tx = store.begin().await?;
    let found = db::enrollments_by_email(&mut tx, email_norm).await?;
    let workshops: BTreeSet<i64> = found.iter().map(|r| r.workshop_id).collect();
    // The enrollment desk's lock (in id order, as no other writer takes two): no decision on
    // these workshops runs meanwhile, and none can promote a person being erased.
    for w in &workshops {
        crate::store::enrollments::lock_workshop(&mut tx, *w).await?;
    }
    let mut rows = db::enrollments_by_email(&mut tx, email_norm).await?;
    // Someone waiting for a seat who asks to be forgotten leaves the waitlist: a seat must never
    // go to an enrollment with nobody behind it. A confirmed seat stays (the person took part:
    // the record counts it).
    for r in &mut rows {
        if r.status() == Status::Waitlisted {
            crate::store::enrollments::set_status(&mut tx, r.id, Status::Cancelled, now_ms())
                .await?;
            r.status = Status::Cancelled.as_str().to_string();
        }
    }
    let mut done = Erased::default();
    for w in &workshops {
        let of_workshop: Vec<EnrollmentRow> = rows
            .iter()
            .filter(|r| r.workshop_id == *w)
            .cloned()
            .collect();
        if of_workshop.is_empty() {
            continue; // erased by another request meanwhile
        }
        let erased = erase_people(&mut tx, *w, &of_workshop, MailErasure::DropAll).await?;
        let detail = format!(
            "dati personali cancellati su richiesta (art. 17 GDPR): {}; eventi delle bacheche riscritti senza nome: {}",
            erased
                .enrollments
                .iter()
                .map(|id| format!("iscrizione #{id}"))
                .collect::<Vec<_>>()
                .join(", "),
            erased.events
        );
        audit_log::record(
            &mut tx,
            now_ms(),
            actor,
            ERASE,
            Some(*w),
            "richiesta di cancellazione",
            &detail,
        )
        .await?;
        done.merge(erased);
    }
    if done.enrollments.is_empty() {
        audit_log::record(
            &mut tx,
            now_ms(),
            actor,
            ERASE,
            None,
            "richiesta di cancellazione",
            "nessuna iscrizione con quell'indirizzo",
        )
        .await?;
    }
    // Mail addressed to the person outside any enrollment (none is written today).
    db::erase_mail(&mut tx, 0, email_norm, MailErasure::DropAll).await?;
    db::announce_rewrite(&mut tx, store.backend, &done.meetings).await?;
    tx.commit().await?;
    reload(rooms, &done.meetings);
    Ok(done)
}

/// Records that `actor` answered an access request (one entry per workshop concerned).
pub async fn record_export(store: &Store, data: &PersonalData, actor: &str) -> Result<(), DbError> {
    let ids: Vec<i64> = data.enrollments.iter().map(|e| e.id).collect();
    let workshops: BTreeSet<i64> = data.enrollments.iter().map(|e| e.workshop_id).collect();
    let detail = if ids.is_empty() {
        "nessuna iscrizione con quell'indirizzo".to_string()
    } else {
        format!(
            "dati consegnati (art. 15 GDPR): {}",
            ids.iter()
                .map(|id| format!("iscrizione #{id}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    if workshops.is_empty() {
        return audit_log::append(store, actor, EXPORT, None, "richiesta di accesso", &detail)
            .await;
    }
    for w in workshops {
        audit_log::append(
            store,
            actor,
            EXPORT,
            Some(w),
            "richiesta di accesso",
            &detail,
        )
        .await?;
    }
    Ok(())
}

/// The privacy requests answered, newest first (for the organisers' page).
pub async fn log(store: &Store) -> Result<Vec<AuditEntry>, DbError> {
    let mut conn = db::connection(store).await?;
    db::privacy_log(&mut conn, &[EXPORT, ERASE]).await
}

/// Erases the identity of some enrollments of one workshop, in the caller's transaction: the
/// rows, their links, sessions and mail, their names in the audit log and on the workshop's
/// boards.
async fn erase_people(
    conn: &mut AnyConnection,
    workshop_id: i64,
    rows: &[EnrollmentRow],
    mail: MailErasure,
) -> Result<Erased, DbError> {
    let now = now_ms();
    let mut done = Erased::default();
    for r in rows {
        forget_enrollment(conn, r, mail, now).await?;
        done.enrollments.push(r.id);
    }
    let whom = Whom::People {
        ids: rows.iter().map(|r| ActorId::Enrollment(r.id)).collect(),
        names: rows.iter().map(|r| r.name.clone()).collect(),
    };
    let meetings = db::meetings_of_workshop(conn, workshop_id).await?;
    done.merge(rewrite_boards(conn, &meetings, &whom).await?);
    Ok(done)
}

/// One enrollment's identity gone: the row, links, sessions, mail, its name in the audit log.
async fn forget_enrollment(
    conn: &mut AnyConnection,
    r: &EnrollmentRow,
    mail: MailErasure,
    now: i64,
) -> Result<(), DbError> {
    let email_norm = r.email.trim().to_lowercase();
    db::erase_mail(conn, r.id, &email_norm, mail).await?;
    if !r.name.trim().is_empty() {
        for entry in db::audit_about(conn, r.id).await? {
            if entry.subject.contains(&r.name) {
                let subject = entry.subject.replace(&r.name, ERASED_PARTICIPANT);
                db::set_audit_subject(conn, entry.id, &subject).await?;
            }
        }
    }
    db::erase_enrollment(conn, r.id, ERASED_PARTICIPANT, now).await
}

/// Rewrites the stored events of `meetings` without the identity of `whom`.
async fn rewrite_boards(
    conn: &mut AnyConnection,
    meetings: &[i64],
    whom: &Whom,
) -> Result<Erased, DbError> {
    let mut done = Erased::default();
    for &m in meetings {
        let mut changed = 0;
        for stored in db::events_of_meeting(conn, m).await? {
            let Some((mut actor, mut event)) = decode(&stored) else {
                continue;
            };
            if rules::pseudonymise_event(&mut actor, &mut event, whom) {
                let actor = serde_json::to_string(&actor).expect("actors serialise");
                let payload = serde_json::to_string(&event).expect("events serialise");
                db::rewrite_event(conn, m, stored.seq, &actor, &payload).await?;
                changed += 1;
            }
        }
        if changed > 0 {
            done.events += changed;
            done.meetings.push(m);
        }
    }
    Ok(done)
}

fn reload(rooms: Option<&Rooms>, meetings: &[i64]) {
    if let Some(rooms) = rooms {
        for &m in meetings {
            rooms.reload(m);
        }
    }
}

// --- retention -----------------------------------------------------------------------------------

/// What a retention sweep did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Swept {
    /// Workshops whose retention period ended (their people's identities erased).
    pub workshops: Vec<i64>,
    /// Cancelled enrollments erased.
    pub cancelled: Vec<i64>,
    pub erased: Erased,
}

/// Erases what the retention periods say is due at `now` (epoch ms; a parameter so that tests
/// can move the clock). Each workshop and each cancelled enrollment is one transaction; a
/// workshop is claimed first (its sweep mark), so two instances never do it twice.
pub async fn sweep(
    store: &Store,
    catalogue: &Catalogue,
    retention: Retention,
    now: i64,
) -> Result<Swept, DbError> {
    let mut swept = Swept::default();
    for entry in catalogue.all() {
        let Some(due) = retention.workshop_due(&entry.workshop) else {
            continue;
        };
        if due > now {
            continue;
        }
        // Cheap check first: a workshop swept before is swept again only when personal data
        // came in since (say, a guest joined one of its old boards).
        {
            let mut conn = db::connection(store).await?;
            if db::workshop_swept(&mut conn, entry.id).await?
                && !db::has_personal_data(&mut conn, entry.id, ERASED_GUEST).await?
            {
                continue;
            }
        }
        let mut tx = store.begin().await?;
        // The enrollment desk's lock of the workshop: another instance sweeping at the same
        // time waits here, then finds nothing left (every step skips what is erased already).
        crate::store::enrollments::lock_workshop(&mut tx, entry.id).await?;
        let first_time = db::claim_workshop_sweep(&mut tx, entry.id, now).await?;
        let rows = db::unerased_of_workshop(&mut tx, entry.id).await?;
        let mut erased = Erased::default();
        for r in &rows {
            forget_enrollment(&mut tx, r, MailErasure::KeepSentWithoutAddress, now).await?;
            erased.enrollments.push(r.id);
        }
        let meetings = db::meetings_of_workshop(&mut tx, entry.id).await?;
        let mut guests = 0;
        for &m in &meetings {
            guests += db::erase_guests(&mut tx, m, ERASED_GUEST).await?;
        }
        if !first_time && rows.is_empty() && guests == 0 {
            tx.rollback().await?;
            continue; // another instance did it meanwhile
        }
        erased.merge(rewrite_boards(&mut tx, &meetings, &Whom::EveryoneButStaff).await?);
        db::announce_rewrite(&mut tx, store.backend, &erased.meetings).await?;
        audit_log::record(
            &mut tx,
            now,
            "Tavolo (conservazione)",
            "privacy.retention",
            Some(entry.id),
            "fine del periodo di conservazione",
            &format!(
                "iscrizioni rese anonime: {}; ospiti resi anonimi: {guests}; eventi delle bacheche riscritti senza nome: {}",
                erased.enrollments.len(),
                erased.events
            ),
        )
        .await?;
        tx.commit().await?;
        swept.workshops.push(entry.id);
        swept.erased.merge(erased);
    }
    let cancelled = {
        let mut conn = db::connection(store).await?;
        db::cancelled_before(&mut conn, retention.cancelled_before(now)).await?
    };
    for r in cancelled {
        let mut tx = store.begin().await?;
        // Re-read under the transaction: another instance may have erased it meanwhile.
        if db::erased_at(&mut tx, r.id).await? != Some(None) {
            continue;
        }
        let erased = erase_people(
            &mut tx,
            r.workshop_id,
            std::slice::from_ref(&r),
            MailErasure::DropAll,
        )
        .await?;
        db::announce_rewrite(&mut tx, store.backend, &erased.meetings).await?;
        tx.commit().await?;
        swept.cancelled.push(r.id);
        swept.erased.merge(erased);
    }
    Ok(swept)
}

/// Sweeps at start and then every hour, until `shutdown`.
pub async fn run(
    store: Store,
    catalogue: Arc<Catalogue>,
    rooms: Rooms,
    retention: Retention,
    shutdown: CancellationToken,
) {
    loop {
        match sweep(&store, &catalogue, retention, now_ms()).await {
            Ok(s) if !s.workshops.is_empty() || !s.cancelled.is_empty() => {
                tracing::info!(
                    workshops = s.workshops.len(),
                    cancelled = s.cancelled.len(),
                    events = s.erased.events,
                    "personal data erased at the end of their retention period"
                );
                reload(Some(&rooms), &s.erased.meetings);
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "retention sweep failed; will retry"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(3600)) => {}
        }
    }
}
