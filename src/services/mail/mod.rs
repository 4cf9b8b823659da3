//! The mail worker: delivers the outbox. A message leaves the outbox only once the SMTP server
//! accepted it; a failure is retried with exponential back-off, so a mail server that is down
//! delays mail and never loses it. Without `TAVOLO_SMTP_URL` nothing is sent: messages stay
//! pending and readable on the organiser's outbox page, which reads them here too.
//!
//! Several instances share the outbox: each message is claimed with a lease just before it is
//! sent and marked only under that lease, and connections to the relay are pooled (one
//! connection carries many messages). Delivery is at least once: a message is sent twice only if
//! an instance dies (or stalls beyond the lease) between the relay accepting it and the mark —
//! the relay has it, the outbox does not know, and it is tried again when the lease runs out.

use std::sync::Arc;
use std::time::Duration;

use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::store::{DbError, Store, now_ms, outbox};

mod relay;
pub use relay::{Security, SmtpConfig};

/// How long a claimed message is reserved for this instance: three times the SMTP timeout, so
/// that a send cannot outlive its lease unless the instance stalls.
const LEASE_MS: i64 = 60_000;
/// Poll interval when idle (retries and messages written by other instances).
const POLL: Duration = Duration::from_secs(2);

/// Back-off after `attempts` failures: 5 s, 10 s, 20 s … capped at 30 minutes.
pub fn retry_delay_ms(attempts: i64) -> i64 {
    let exp = attempts.clamp(0, 20) as u32;
    (5_000i64.saturating_mul(1i64 << exp)).min(30 * 60 * 1000)
}

/// Removes private links from a delivered message's stored copy.
pub fn redact_links(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(i) = rest.find("/iscrizione/") {
        let (head, tail) = rest.split_at(i + "/iscrizione/".len());
        out.push_str(head);
        let token_len = tail
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
            .count();
        if token_len > 0 {
            out.push_str("[link personale rimosso dopo l'invio]");
        }
        rest = &tail[token_len..];
    }
    out.push_str(rest);
    out
}

/// Runs until `shutdown`, delivering due messages.
pub async fn run(
    store: Store,
    smtp: SmtpConfig,
    from: Mailbox,
    wakeup: Arc<Notify>,
    shutdown: CancellationToken,
) {
    let transport = match smtp.transport() {
        Ok(t) => t,
        Err(e) => {
            // Checked at start (`SmtpConfig::check`); kept as a guard, mail stays in the outbox.
            tracing::error!(error = %e, "mail worker not started");
            return;
        }
    };
    tracing::info!(host = %smtp.host, port = smtp.port, security = smtp.security.label(), "mail worker started");
    loop {
        let delivered = deliver_due(&store, &transport, &from).await;
        if delivered > 0 {
            continue; // more may be due
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = wakeup.notified() => {}
            _ = tokio::time::sleep(POLL) => {}
        }
    }
}

/// How many messages wait for delivery and how many were delivered (organisers' dashboard).
pub async fn outbox_counts(store: &Store) -> Result<(i64, i64), DbError> {
    outbox::counts(store).await
}

/// The newest `limit` messages first (organisers' outbox page).
pub async fn recent(store: &Store, limit: i64) -> Result<Vec<outbox::Message>, DbError> {
    outbox::recent(store, limit).await
}

async fn deliver_due(
    store: &Store,
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    from: &Mailbox,
) -> usize {
    let due = match outbox::due(store, 50).await {
        Ok(ids) => ids,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the outbox");
            return 0;
        }
    };
    let mut delivered = 0;
    for id in due {
        // Claimed one by one, right before sending: see `outbox::claim`.
        let claimed = match outbox::claim(store, id, LEASE_MS).await {
            Ok(Some(c)) => c,
            Ok(None) => continue, // another instance has it
            Err(e) => {
                tracing::warn!(id, error = %e, "cannot claim a message; will retry");
                continue;
            }
        };
        let m = &claimed.message;
        let result = send_one(transport, from, m).await;
        let write = match result {
            Ok(()) => {
                delivered += 1;
                tracing::info!(id = m.id, kind = %m.kind, "mail delivered");
                outbox::mark_sent(store, m.id, claimed.lease, &redact_links(&m.body)).await
            }
            Err(e) => {
                let retry_at = now_ms() + retry_delay_ms(m.attempts);
                tracing::warn!(id = m.id, attempts = m.attempts + 1, error = %e, "mail not delivered; will retry");
                outbox::mark_failed(store, m.id, claimed.lease, &e, retry_at).await
            }
        };
        match write {
            Ok(true) => {}
            // Sending took longer than the lease and another instance claimed the message: it
            // may have been sent twice. The lease (a minute) is three times the SMTP timeout, so
            // this needs a relay stalling beyond both.
            Ok(false) => tracing::warn!(
                id = m.id,
                "lease lost while sending: the message may have been sent twice"
            ),
            // The lease expires and the message is tried again: at worst sent twice, never lost.
            Err(e) => tracing::error!(id = m.id, error = %e, "cannot record the delivery"),
        }
    }
    delivered
}

async fn send_one(
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    from: &Mailbox,
    m: &outbox::Message,
) -> Result<(), String> {
    let to: Mailbox = m
        .recipient
        .parse()
        .map_err(|e| format!("indirizzo del destinatario non valido: {e}"))?;
    let email = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(&m.subject)
        .header(ContentType::TEXT_PLAIN)
        .body(m.body.clone())
        .map_err(|e| e.to_string())?;
    transport
        .send(email)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_grows_and_is_capped() {
        assert_eq!(retry_delay_ms(0), 5_000);
        assert_eq!(retry_delay_ms(1), 10_000);
        assert_eq!(retry_delay_ms(3), 40_000);
        assert_eq!(retry_delay_ms(50), 30 * 60 * 1000);
    }

    #[test]
    fn private_links_are_redacted() {
        let body = "Apri http://x/iscrizione/abcDEF_-123 per gestire.\nFine";
        assert_eq!(
            redact_links(body),
            "Apri http://x/iscrizione/[link personale rimosso dopo l'invio] per gestire.\nFine"
        );
        assert_eq!(redact_links("nessun link"), "nessun link");
    }
}
