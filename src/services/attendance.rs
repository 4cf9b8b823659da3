//! The attendance register (registro presenze) of a meeting: the confirmed people of the
//! workshop, and anyone else already marked, with their marks. Staff mark people by hand here;
//! joining the live board marks them too (`services::room`).

use crate::domain::enrollment::Status;
use crate::store::attendance::{self, AttendanceRow};
use crate::store::enrollments::{self, EnrollmentRow};
use crate::store::{DbError, Store};

/// Where marks made by hand come from, as the register shows it.
const BY_HAND: &str = "manuale";

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

/// Marks someone present or absent by hand. Only people of the meeting's register can be
/// marked: `false` (nothing written) for anyone else.
pub async fn mark_by_hand(
    store: &Store,
    workshop_id: i64,
    meeting_id: i64,
    enrollment_id: i64,
    present: bool,
) -> Result<bool, DbError> {
    let register = register(store, workshop_id, meeting_id).await?;
    if !register.iter().any(|l| l.person.id == enrollment_id) {
        return Ok(false);
    }
    attendance::mark(store, meeting_id, enrollment_id, present, BY_HAND).await?;
    Ok(true)
}
