//! Enrollment: applying, cancelling, and what the person and the organisers see of it.
//!
//! Every seat decision goes through the [`Desk`] (`desk.rs`), the single writer. The functions
//! here are the use cases around it: they check what can be checked before queuing (the window,
//! the fields, the role) and read what the pages and the API show. The web form and the JSON API
//! call the same functions, so they give the same answers.

mod desk;

use std::sync::Arc;

use chrono::Utc;

pub use desk::{
    CancelOutcome, Canceller, Desk, DeskError, EnrollOutcome, MailContext, SettleOutcome,
    manage_url,
};

use crate::domain::dates;
use crate::domain::enrollment::{self, ApplicationForm, Inadmissible, Status};
use crate::domain::text::{self, FieldError};
use crate::domain::workshop::{Window, Workshop};
use crate::secret;
use crate::services::catalogue::{Catalogue, Entry};
use crate::services::revocation::{Access, Revocations};
use crate::store::enrollments::{self as rows, EnrollmentRow};
use crate::store::outbox::{self, Message};
use crate::store::{DbError, Store};

// --- applying ----------------------------------------------------------------------------------

/// A new enrollment, as the person is told.
#[derive(Debug, Clone)]
pub struct Enrolled {
    pub id: i64,
    pub status: Status,
    /// Place on the waitlist (1-based) when waitlisted.
    pub position: Option<i64>,
    /// The raw token of the private link (shown once: only its hash is stored).
    pub token: String,
}

/// Why an application was not enrolled. The messages are the Italian sentences people read.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("Le iscrizioni non sono ancora aperte: apriranno {opens}.")]
    NotYetOpen { opens: String },
    #[error("Le iscrizioni sono chiuse dal {closed}.")]
    Closed { closed: String },
    /// Fields missing or malformed, each with its message.
    #[error("Alcuni dati non sono validi.")]
    Invalid(Vec<FieldError>),
    /// A role of the workshop that it does not admit; `allowed` are the labels of those it does.
    #[error(
        "Il laboratorio è riservato a: {}. Il ruolo «{role_label}» non è ammesso.",
        allowed.join("; ")
    )]
    RoleNotEligible {
        role_label: String,
        allowed: Vec<String>,
    },
    /// This e-mail already applied to the workshop: nothing changed. The answer is the same
    /// whatever the enrollment's state (the one who asked may not be the person); the person
    /// was sent its state and a private link by e-mail.
    #[error(
        "Se l'indirizzo è già iscritto a questo laboratorio, riceverai un messaggio con lo stato \
         dell'iscrizione e il tuo link personale. Per gestire l'iscrizione usa quel link."
    )]
    AlreadyEnrolled,
    #[error(transparent)]
    Desk(#[from] DeskError),
}

/// Checks the window and the application, then lets the desk decide.
pub async fn apply(
    desk: &Desk,
    entry: &Arc<Entry>,
    form: &ApplicationForm,
) -> Result<Enrolled, ApplyError> {
    let w = &entry.workshop;
    match w.window(Utc::now()) {
        Window::NotYetOpen => {
            return Err(ApplyError::NotYetOpen {
                opens: dates::format_datetime(w.enrollment_opens, w.timezone),
            });
        }
        Window::Closed => return Err(closed(w)),
        Window::Open => {}
    }
    let app = enrollment::validate(form, w).map_err(|e| match e {
        Inadmissible::Invalid(fields) => ApplyError::Invalid(fields),
        Inadmissible::RoleNotEligible { role_label } => ApplyError::RoleNotEligible {
            role_label,
            allowed: w
                .eligible_roles
                .iter()
                .map(|r| w.role_label(r).unwrap_or(r).to_string())
                .collect(),
        },
    })?;
    match desk.enroll(entry.clone(), app).await? {
        EnrollOutcome::Enrolled {
            id,
            status,
            position,
            token,
        } => Ok(Enrolled {
            id,
            status,
            position,
            token,
        }),
        EnrollOutcome::Duplicate { .. } => Err(ApplyError::AlreadyEnrolled),
        // The window closed between the check above and the desk's decision.
        EnrollOutcome::Closed => Err(closed(w)),
    }
}

fn closed(w: &Workshop) -> ApplyError {
    ApplyError::Closed {
        closed: dates::format_datetime(w.enrollment_closes, w.timezone),
    }
}

// --- cancelling --------------------------------------------------------------------------------

/// Why a cancellation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum CancelError {
    /// No such enrollment (or private link), or its workshop is no longer in the catalogue.
    #[error("no such enrollment")]
    NotFound,
    #[error("Questa iscrizione è già stata annullata.")]
    AlreadyCancelled,
    /// A staff cancellation without a valid reason (the message says what is wrong).
    #[error("{0}")]
    Reason(String),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Desk(#[from] DeskError),
}

/// Cancels from a private link (the person's own cancellation); returns the id of the person
/// promoted into the freed seat, if any. The person's sessions end and their board websockets
/// close, on every instance.
pub async fn cancel_by_link(
    store: &Store,
    catalogue: &Catalogue,
    desk: &Desk,
    revocations: &Revocations,
    token: &str,
) -> Result<Option<i64>, CancelError> {
    let row = by_link(store, token).await?.ok_or(CancelError::NotFound)?;
    let entry = catalogue
        .by_id(row.workshop_id)
        .ok_or(CancelError::NotFound)?;
    let who = Canceller::Person {
        token_hash: secret::hash(token),
    };
    match desk.cancel(entry.clone(), who).await? {
        CancelOutcome::Cancelled { promoted } => {
            revocations.end(Access::Enrollment(row.id)).await?;
            Ok(promoted)
        }
        CancelOutcome::AlreadyCancelled => Err(CancelError::AlreadyCancelled),
        CancelOutcome::NotFound => Err(CancelError::NotFound),
    }
}

/// Cancels someone's enrollment on behalf of staff, with the reason recorded in the audit log
/// (`actor` is who did it). Cancelling an already cancelled enrollment changes nothing and is
/// no error. The person's sessions end and their board websockets close, on every instance.
/// Returns the enrollment's workshop.
pub async fn cancel_by_staff(
    catalogue: &Catalogue,
    desk: &Desk,
    revocations: &Revocations,
    row: &EnrollmentRow,
    actor: String,
    reason: &str,
) -> Result<Arc<Entry>, CancelError> {
    let entry = catalogue
        .by_id(row.workshop_id)
        .ok_or(CancelError::NotFound)?
        .clone();
    let mut errors = Vec::new();
    let reason = text::required_line(
        "reason",
        "il motivo dell'annullamento",
        reason,
        3,
        500,
        &mut errors,
    );
    if let Some(e) = errors.into_iter().next() {
        return Err(CancelError::Reason(e.message));
    }
    let who = Canceller::Staff {
        enrollment_id: row.id,
        actor,
        reason,
    };
    match desk.cancel(entry.clone(), who).await? {
        CancelOutcome::NotFound => Err(CancelError::NotFound),
        CancelOutcome::Cancelled { .. } | CancelOutcome::AlreadyCancelled => {
            revocations.end(Access::Enrollment(row.id)).await?;
            Ok(entry)
        }
    }
}

// --- reading -----------------------------------------------------------------------------------

/// An enrollment by id.
pub async fn find(store: &Store, id: i64) -> Result<Option<EnrollmentRow>, DbError> {
    rows::find(store, id).await
}

/// The enrollment of a private link (raw token); `None` for anything else.
pub async fn by_link(store: &Store, token: &str) -> Result<Option<EnrollmentRow>, DbError> {
    if !secret::looks_like_token(token) {
        return Ok(None);
    }
    rows::find_by_link(store, &secret::hash(token)).await
}

/// What the private page of an enrollment shows.
pub struct PrivatePage {
    pub enrollment: EnrollmentRow,
    /// Place on the waitlist (1-based) when waitlisted.
    pub position: Option<i64>,
    /// The notifications sent (or still to send) about it, oldest first.
    pub messages: Vec<Message>,
}

/// The private page of a link (raw token); `None` when the link is unknown.
pub async fn private_page(store: &Store, token: &str) -> Result<Option<PrivatePage>, DbError> {
    let Some(enrollment) = by_link(store, token).await? else {
        return Ok(None);
    };
    let position = if enrollment.status() == Status::Waitlisted {
        Some(rows::position(store, &enrollment).await?)
    } else {
        None
    };
    let messages = outbox::for_enrollment(store, enrollment.id).await?;
    Ok(Some(PrivatePage {
        enrollment,
        position,
        messages,
    }))
}

/// Seats taken (confirmed) and people waiting, for the public pages.
pub async fn seats(store: &Store, workshop_id: i64) -> Result<(i64, i64), DbError> {
    rows::counts(store, workshop_id).await
}

/// One line of a workshop's enrollment list.
pub struct RosterLine {
    pub enrollment: EnrollmentRow,
    /// Place on the waitlist (1-based) when waitlisted.
    pub position: Option<i64>,
}

/// Every enrollment of a workshop in arrival order, with the waitlist positions (for the
/// organisers' page, its CSV, and the API).
pub async fn roster(store: &Store, workshop_id: i64) -> Result<Vec<RosterLine>, DbError> {
    let mut waiting = 0;
    Ok(rows::list(store, workshop_id)
        .await?
        .into_iter()
        .map(|enrollment| {
            let position = (enrollment.status() == Status::Waitlisted).then(|| {
                waiting += 1;
                waiting
            });
            RosterLine {
                enrollment,
                position,
            }
        })
        .collect())
}

/// The Ambiti people gave when enrolling in a workshop (trimmed, in arrival order, repeats
/// included).
pub async fn declared_ambiti(store: &Store, workshop_id: i64) -> Result<Vec<String>, DbError> {
    Ok(rows::list(store, workshop_id)
        .await?
        .into_iter()
        .filter_map(|p| p.ambito.map(|a| a.trim().to_string()))
        .filter(|a| !a.is_empty())
        .collect())
}

/// The Ambito a participant refers for: the one their enrollment names, if the enrollment is
/// confirmed (the rule of `domain::access::export_grant`).
pub async fn referent_ambito(store: &Store, enrollment_id: i64) -> Result<Option<String>, DbError> {
    Ok(rows::find(store, enrollment_id)
        .await?
        .filter(|r| r.status() == Status::Confirmed)
        .and_then(|r| r.ambito))
}
