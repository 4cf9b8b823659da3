//! Enrollment windows that close: at the moment a workshop's window closes, everyone still
//! waiting is told that no seat is left. Also at start, for windows that closed while the server
//! was down (catch-up). The work itself is a `settle` on the enrollment desk.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::services::catalogue::Catalogue;
use crate::services::enrollment::Desk;
use crate::store::now_ms;

/// Settles every workshop now (catch-up, capacity changes), then waits for each future close.
pub async fn run(catalogue: Arc<Catalogue>, desk: Desk, shutdown: CancellationToken) {
    for entry in catalogue.all() {
        match desk.settle(entry.clone()).await {
            Ok(o) if o.promoted + o.not_admitted > 0 => tracing::info!(
                workshop = %entry.workshop.slug,
                promoted = o.promoted,
                not_admitted = o.not_admitted,
                "enrollment settled at start"
            ),
            Ok(_) => {}
            Err(e) => tracing::error!(workshop = %entry.workshop.slug, error = %e, "settle failed"),
        }
    }
    loop {
        let now = now_ms();
        // The next close still ahead of us; a window that closes while we sleep is settled
        // right after. Re-check at least hourly (clock changes, long sleeps).
        let next = catalogue
            .all()
            .iter()
            .map(|e| e.workshop.enrollment_closes.timestamp_millis())
            .filter(|&t| t >= now)
            .min();
        let Some(next) = next else { return };
        let wait = Duration::from_millis(u64::try_from(next - now + 1).unwrap_or(0))
            .min(Duration::from_secs(3600));
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
        let now = now_ms();
        for entry in catalogue.all() {
            let closes = entry.workshop.enrollment_closes.timestamp_millis();
            if closes < now && closes >= now - 3_600_000 - 1 {
                if let Err(e) = desk.settle(entry.clone()).await {
                    tracing::error!(workshop = %entry.workshop.slug, error = %e, "settle failed");
                }
            }
        }
    }
}
