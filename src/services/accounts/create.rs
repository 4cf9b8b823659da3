//! Creating a staff account: one rule for the three doors (the organisers' page, the first
//! setup link, `tavolo admin create`). [`check`] validates and returns a [`Checked`] account,
//! [`create`] writes it; a caller that must do something in between (the setup link is used
//! up first) does it between the two.

use crate::domain::access::AccountRole;
use crate::domain::text::{self, FieldError};
use crate::services::catalogue::Catalogue;
use crate::store::accounts as rows;
use crate::store::{DbError, Store};

use super::links::password_link;
use super::passwords::{hash_off_thread, password_problem};

/// An account as asked for, before validation.
#[derive(Debug, Clone, Default)]
pub struct NewAccount {
    pub name: String,
    pub email: String,
    /// `None`: no role, or not one of ours (the form's choice was empty or unknown).
    pub role: Option<AccountRole>,
    /// Slugs of the workshops a facilitator is assigned to.
    pub workshops: Vec<String>,
    /// The password; `None` makes a one-time link instead, for the person to choose it.
    pub password: Option<String>,
}

/// One thing wrong with a [`NewAccount`]. Each caller words it its own way (a form field, a
/// line on the terminal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The name or the e-mail breaks its rule; the message says how.
    Field(FieldError),
    /// No role chosen.
    NoRole,
    /// No workshop of the catalogue has this slug.
    UnknownWorkshop(String),
    /// Another account has this e-mail already.
    EmailTaken,
    /// The password breaks the rule of [`password_problem`] (its message).
    Password(&'static str),
    /// The password and its confirmation differ (setup form only).
    PasswordsDiffer,
}

/// Why an account was not created.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    /// What is wrong, in the order of the form: name, e-mail, role, workshops, then whether
    /// the e-mail is free (only asked when all of those are right), then the password.
    #[error("the new account is not valid: {0:?}")]
    Rejected(Vec<Problem>),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// A validated account, ready for [`create`].
#[derive(Debug)]
pub struct Checked {
    name: String,
    email: String,
    role: AccountRole,
    workshop_ids: Vec<i64>,
    password: Option<String>,
}

/// An account just created.
#[derive(Debug, Clone)]
pub struct Created {
    pub id: i64,
    pub name: String,
    /// The e-mail as stored (trimmed, lower case).
    pub email: String,
    pub role: AccountRole,
    /// The one-time link to choose the password, when none was given.
    pub link: Option<String>,
}

/// Validates a new account against the rules and the catalogue (workshops are named by slug).
pub async fn check(
    store: &Store,
    catalogue: &Catalogue,
    new: NewAccount,
) -> Result<Checked, CreateError> {
    let mut fields = Vec::new();
    let name = text::required_line("name", "il nome e cognome", &new.name, 2, 120, &mut fields);
    let email = text::email("email", &new.email, &mut fields);
    let mut problems: Vec<Problem> = fields.into_iter().map(Problem::Field).collect();
    if new.role.is_none() {
        problems.push(Problem::NoRole);
    }
    let mut workshop_ids = Vec::new();
    for slug in &new.workshops {
        match catalogue.by_slug(slug) {
            Some(entry) => workshop_ids.push(entry.id),
            None => problems.push(Problem::UnknownWorkshop(slug.clone())),
        }
    }
    if problems.is_empty() && rows::by_email(store, &email).await?.is_some() {
        problems.push(Problem::EmailTaken);
    }
    if let Some(p) = new.password.as_deref().and_then(password_problem) {
        problems.push(Problem::Password(p));
    }
    match new.role {
        Some(role) if problems.is_empty() => Ok(Checked {
            name,
            email,
            role,
            workshop_ids,
            password: new.password,
        }),
        _ => Err(CreateError::Rejected(problems)),
    }
}

/// Writes a checked account, assigns its workshops, and sets its password or makes the
/// one-time link to choose it (an address under `base_url`).
pub async fn create(store: &Store, base_url: &str, account: Checked) -> Result<Created, DbError> {
    let hash = match account.password {
        Some(password) => Some(hash_off_thread(password).await),
        None => None,
    };
    let id = rows::create(
        store,
        &account.email,
        &account.name,
        account.role.as_str(),
        hash.as_deref(),
    )
    .await?;
    for workshop_id in account.workshop_ids {
        rows::assign_workshop(store, id, workshop_id).await?;
    }
    let link = match hash {
        Some(_) => None,
        None => Some(password_link(store, id, base_url).await?),
    };
    Ok(Created {
        id,
        name: account.name,
        email: account.email,
        role: account.role,
        link,
    })
}
