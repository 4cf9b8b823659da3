//! The invitation of a new staff member: their one-time password link by e-mail, through the
//! outbox like every notification (so it is never lost and is retried while the relay is down).

use crate::domain::access::AccountRole;
use crate::store::{DbError, Store, now_ms, outbox};
use crate::templates::Templates;

/// Why an invitation was not written.
#[derive(Debug, thiserror::Error)]
pub enum InviteError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("modello del messaggio di invito non valido: {0}")]
    Template(#[from] minijinja::Error),
}

/// Writes the invitation of `email` (the account just created) with its password `link`.
pub async fn invite(
    store: &Store,
    templates: &Templates,
    name: &str,
    email: &str,
    role: AccountRole,
    link: &str,
    invited_by: &str,
) -> Result<(), InviteError> {
    let ctx = minijinja::context! {
        name => name,
        role => role.as_str(),
        link => link,
        invited_by => invited_by,
    };
    let (subject, body) = templates.render_mail("mail/invitation.txt", ctx)?;
    let mut tx = store.begin().await?;
    outbox::insert(
        &mut tx,
        &outbox::NewMessage {
            enrollment_id: None,
            kind: "invitation",
            recipient: email,
            subject: &subject,
            body: &body,
        },
        now_ms(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
