//! The audit log: who did what with other people's data (staff cancellations, exports).
//! Cancellations are recorded by the enrollment desk inside their own transaction.

use crate::store::audit::{self, AuditEntry};
use crate::store::{DbError, Store};

/// Records that `actor` exported `filename` (what it covered in `detail`) from a workshop:
/// exports carry people's contributions out of Tavolo.
pub async fn record_export(
    store: &Store,
    actor: &str,
    workshop_id: i64,
    filename: &str,
    detail: &str,
) -> Result<(), DbError> {
    audit::append(store, actor, "export", Some(workshop_id), filename, detail).await
}

/// The log of a workshop, newest first.
pub async fn for_workshop(store: &Store, workshop_id: i64) -> Result<Vec<AuditEntry>, DbError> {
    audit::for_workshop(store, workshop_id).await
}
