//! Staff accounts and who is asking. Creating an account, whichever the door (the organisers'
//! page, the first setup link, `tavolo admin create`), goes through [`check`] and [`create()`]
//! (`create.rs`); the setup links themselves are made in `links.rs` and completed in
//! `setup.rs`, and sent by e-mail in `invite.rs`; disabling accounts and revoking API keys in `access.rs`; passwords are hashed in `passwords.rs`; sessions, API keys and the holder of a
//! credential are in `sessions.rs`.

mod access;
mod create;
mod invite;
mod links;
mod passwords;
mod sessions;
mod setup;

pub use access::{AccessError, api_keys, disable_account, enable_account, revoke_api_key};
pub use create::{Checked, CreateError, Created, NewAccount, Problem, check, create};
pub use invite::{InviteError, invite};
pub use links::{SETUP_TTL_MS, first_setup_link, password_link};
pub use passwords::{hash_password, password_problem, verify_password};
pub use sessions::{
    Holder, SESSION_TTL_MS, SignIn, api_key_valid, by_bearer, by_session, new_api_key,
    new_api_key_for, open_session, private_link_session, purge_expired_sessions,
    purge_periodically, sign_in,
};
pub use setup::{SetupError, SetupForm, SetupTarget, complete_setup, setup_target};

use crate::store::accounts::{self as rows, Account};
use crate::store::{DbError, Store};

/// A staff account with the ids of the workshops it is assigned to.
pub struct StaffAccount {
    pub account: Account,
    pub workshops: Vec<i64>,
}

/// Every staff account, by role then name.
pub async fn list(store: &Store) -> Result<Vec<StaffAccount>, DbError> {
    let mut out = Vec::new();
    for account in rows::list(store).await? {
        let workshops = rows::workshops_of(store, account.id).await?;
        out.push(StaffAccount { account, workshops });
    }
    Ok(out)
}

/// The account with this e-mail (any case, spaces around ignored).
pub async fn find_by_email(store: &Store, email: &str) -> Result<Option<Account>, DbError> {
    rows::by_email(store, &email.trim().to_lowercase()).await
}
