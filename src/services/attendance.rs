//! The attendance register (registro presenze) of a meeting: the confirmed people of the
//! workshop, and anyone else already marked, with their marks. Staff mark people by hand here,
//! each change in the audit log; joining the live board marks them too (`services::room`), but
//! only inside the meeting's window ([`BoardPresence`], the rule is
//! [`crate::domain::attendance`]).

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use crate::domain::attendance::AttendanceWindow;
use crate::domain::dates;
use crate::domain::enrollment::Status;
use crate::domain::workshop::{Meeting, Workshop};
use crate::services::audit::ATTENDANCE_BY_HAND;
use crate::services::catalogue::MeetingRef;
use crate::store::attendance::{self, AttendanceRow, HandChange};
use crate::store::audit::{self as audit_log, AuditEntry};
use crate::store::enrollments::{self, EnrollmentRow};
use crate::store::{DbError, Store};

/// Where marks made by hand come from, as the register shows it.
const BY_HAND: &str = "manuale";

/// The time now, as attendance reads it: the system clock, or a test's.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// When joining a board marks presence: each meeting's window widened by the configured
/// margin (`TAVOLO_ATTENDANCE_MARGIN_MINUTES`), checked against a clock. Every instance on a
/// database computes the same windows from the same workshop files and margin, so the rule holds
/// whichever instance a person's connection lands on.
#[derive(Clone)]
pub struct BoardPresence {
    margin: Duration,
    clock: Clock,
}

impl BoardPresence {
    /// The rule with `margin_minutes` and the system clock.
    pub fn new(margin_minutes: u32) -> BoardPresence {
        BoardPresence::with_clock(margin_minutes, Arc::new(Utc::now))
    }

    /// The rule with `margin_minutes` and another clock (tests move it around a meeting).
    pub fn with_clock(margin_minutes: u32, clock: Clock) -> BoardPresence {
        BoardPresence {
            margin: Duration::minutes(i64::from(margin_minutes)),
            clock,
        }
    }

    /// The window of one meeting of `workshop`.
    pub fn window(&self, workshop: &Workshop, meeting: &Meeting) -> AttendanceWindow {
        AttendanceWindow::of(meeting, workshop.timezone, self.margin)
    }

    /// The clock the windows are checked against.
    pub fn clock(&self) -> Clock {
        self.clock.clone()
    }
}

/// One person of a register.
pub struct RegisterLine {
    pub person: EnrollmentRow,
    /// Their mark for this meeting, if any.
    pub mark: Option<AttendanceRow>,
}

/// The register of a meeting of a workshop, in arrival order.
pub async fn register(
    store: &Store,
    workshop_id: i64,
    meeting_id: i64,
) -> Result<Vec<RegisterLine>, DbError> {
    let marks = attendance::for_meeting(store, meeting_id).await?;
    let people = enrollments::list(store, workshop_id).await?;
    Ok(people
        .into_iter()
        .filter_map(|person| {
            let mark = marks.iter().find(|a| a.enrollment_id == person.id).cloned();
            (person.status() == Status::Confirmed || mark.is_some())
                .then_some(RegisterLine { person, mark })
        })
        .collect())
}

/// What a mark by hand did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandMark {
    /// The mark changed, and the audit log says who changed it.
    Changed,
    /// The person already had that mark: nothing written.
    Unchanged,
    /// The person is not in this meeting's register: nothing written.
    NotInRegister,
}

/// Marks someone present or absent by hand, on behalf of `actor` ("Nome <email>", a staff
/// member the caller checked may keep this register). Each change goes to the audit log with
/// the change in the same transaction: who, when, whom, from what to what. Only people of the
/// meeting's register can be marked.
pub async fn mark_by_hand(
    store: &Store,
    m: &MeetingRef<'_>,
    enrollment_id: i64,
    present: bool,
    actor: &str,
) -> Result<HandMark, DbError> {
    let meeting_id = m.entry.meeting_id(&m.meeting.key);
    let register = register(store, m.entry.id, meeting_id).await?;
    let Some(line) = register.iter().find(|l| l.person.id == enrollment_id) else {
        return Ok(HandMark::NotInRegister);
    };
    let subject = format!(
        "{} (iscrizione #{}), incontro {} del {}",
        line.person.name,
        enrollment_id,
        m.meeting.key,
        dates::format_date_long(m.meeting.date)
    );
    let detail =
        |before: Option<bool>| format!("{} → {}", mark_word(before), mark_word(Some(present)));
    let changed = attendance::change_by_hand(
        store,
        meeting_id,
        enrollment_id,
        present,
        BY_HAND,
        HandChange {
            actor,
            workshop_id: m.entry.id,
            action: ATTENDANCE_BY_HAND,
            subject: &subject,
            detail: &detail,
        },
    )
    .await?;
    Ok(if changed {
        HandMark::Changed
    } else {
        HandMark::Unchanged
    })
}

/// A mark as the audit log writes it.
fn mark_word(mark: Option<bool>) -> &'static str {
    match mark {
        None => "nessuna registrazione",
        Some(true) => "presente",
        Some(false) => "assente",
    }
}

/// The changes made by hand to a meeting's register, newest first.
pub async fn hand_changes(store: &Store, meeting_id: i64) -> Result<Vec<AuditEntry>, DbError> {
    audit_log::for_meeting(store, meeting_id, ATTENDANCE_BY_HAND).await
}
