//! The audit log: who did what with other people's data (staff cancellations, exports,
//! attendance marked by hand). Cancellations are recorded by the enrollment desk inside their
//! own transaction, marks by hand with the mark (`services::attendance`).

use serde::Serialize;

use crate::store::audit::{self, AuditEntry};
use crate::store::{DbError, Store};

/// The action of a staff member cancelling someone's enrollment.
pub const ENROLLMENT_CANCEL: &str = "enrollment.cancel";
/// The action of an export.
pub const EXPORT: &str = "export";
/// The action of a mark set by hand in a meeting's attendance register.
pub const ATTENDANCE_BY_HAND: &str = "attendance.mark";

/// An organiser disabled a staff account.
pub const ACCOUNT_DISABLE: &str = "account.disable";
/// An organiser enabled a disabled account again.
pub const ACCOUNT_ENABLE: &str = "account.enable";
/// An API key was revoked.
pub const API_KEY_REVOKE: &str = "api_key.revoke";

/// Records an action on a staff account or its keys (no workshop: accounts are global).
pub async fn record_access(
    store: &Store,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
) -> Result<(), DbError> {
    audit::append(store, actor, action, None, subject, detail).await
}

/// Records that `actor` exported `filename` (what it covered in `detail`) from a workshop:
/// exports carry people's contributions out of Tavolo.
pub async fn record_export(
    store: &Store,
    actor: &str,
    workshop_id: i64,
    filename: &str,
    detail: &str,
) -> Result<(), DbError> {
    audit::append(store, actor, EXPORT, Some(workshop_id), filename, detail).await
}

/// One entry of the log as staff read it: the entry and what was done, in Italian.
#[derive(Debug, Clone, Serialize)]
pub struct AuditLine {
    #[serde(flatten)]
    pub entry: AuditEntry,
    /// "Iscrizione #4 annullata", "Esportazione: verbale-….docx", "Presenza segnata a mano: …".
    pub what: String,
}

impl AuditLine {
    fn of(entry: AuditEntry) -> AuditLine {
        let what = describe(&entry.action, &entry.subject);
        AuditLine { entry, what }
    }
}

/// What an entry records, for the people who read the log.
fn describe(action: &str, subject: &str) -> String {
    match action {
        ENROLLMENT_CANCEL => format!("{} annullata", capitalise(subject)),
        EXPORT => format!("Esportazione: {subject}"),
        ATTENDANCE_BY_HAND => format!("Presenza segnata a mano: {subject}"),
        "privacy.export" => "Dati personali consegnati (richiesta di accesso)".to_string(),
        "privacy.erase" => "Dati personali cancellati su richiesta".to_string(),
        "privacy.retention" => "Dati personali cancellati a fine conservazione".to_string(),
        ACCOUNT_DISABLE => format!("Account disattivato: {subject}"),
        ACCOUNT_ENABLE => format!("Account riattivato: {subject}"),
        API_KEY_REVOKE => format!("Chiave API revocata: {subject}"),
        other => format!("{other}: {subject}"),
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// The log of a workshop, newest first.
pub async fn for_workshop(store: &Store, workshop_id: i64) -> Result<Vec<AuditLine>, DbError> {
    Ok(audit::for_workshop(store, workshop_id)
        .await?
        .into_iter()
        .map(AuditLine::of)
        .collect())
}

/// The latest changes to staff accounts and their keys (at most 50), newest first.
pub async fn for_accounts(store: &Store) -> Result<Vec<AuditLine>, DbError> {
    Ok(audit::without_workshop(store, 50)
        .await?
        .into_iter()
        .map(AuditLine::of)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_action_reads_as_what_was_done() {
        assert_eq!(
            describe(ENROLLMENT_CANCEL, "iscrizione #4"),
            "Iscrizione #4 annullata"
        );
        assert_eq!(
            describe(EXPORT, "verbale-incontro-3.docx"),
            "Esportazione: verbale-incontro-3.docx"
        );
        assert_eq!(
            describe(
                ATTENDANCE_BY_HAND,
                "Anna (iscrizione #2), incontro M1-1 del 12 febbraio 2027"
            ),
            "Presenza segnata a mano: Anna (iscrizione #2), incontro M1-1 del 12 febbraio 2027"
        );
        assert_eq!(describe("altro", "x"), "altro: x");
    }
}
