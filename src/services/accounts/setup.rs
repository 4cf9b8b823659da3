//! Completing a one-time setup link (`/configura/{token}`, made in `links.rs`): the first
//! organiser's link creates that account; a new account's link sets its password. Either
//! logs the person in.

use crate::domain::access::AccountRole;
use crate::secret;
use crate::services::catalogue::Catalogue;
use crate::services::revocation::{Access, Revocations};
use crate::store::accounts::{self as rows, Account};
use crate::store::{DbError, Store};

use super::create::{self, Checked, CreateError, NewAccount, Problem};
use super::passwords::{hash_off_thread, password_problem};
use super::sessions::open_session;

/// What a valid setup link is for.
#[derive(Debug, Clone)]
pub enum SetupTarget {
    /// Creating the first organiser.
    FirstOrganiser,
    /// Choosing the password of this account.
    Password(Account),
}

impl SetupTarget {
    /// The account whose password is chosen, if that is what the link is for.
    pub fn account(&self) -> Option<&Account> {
        match self {
            SetupTarget::FirstOrganiser => None,
            SetupTarget::Password(account) => Some(account),
        }
    }
}

/// Why a setup link did nothing.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// Not one of our links at all.
    #[error("not a setup link")]
    NotALink,
    /// Used already, or expired.
    #[error("the setup link was used or has expired")]
    Spent,
    /// A first-organiser link, but an organiser exists already: it can create nobody.
    #[error("an organiser exists already")]
    OrganiserExists,
    /// Valid when the form was checked, but another submission used it meanwhile.
    #[error("the setup link was used meanwhile")]
    UsedMeanwhile,
    /// The form's problems (see [`CreateError::Rejected`] for the order), with the link's
    /// target to show the form again.
    #[error("the setup form is not valid: {problems:?}")]
    Rejected {
        target: SetupTarget,
        problems: Vec<Problem>,
    },
    #[error(transparent)]
    Db(#[from] DbError),
}

/// What the setup form sends. Name and e-mail are read only for the first organiser.
#[derive(Debug, Clone, Default)]
pub struct SetupForm {
    pub name: String,
    pub email: String,
    pub password: String,
    pub password_confirm: String,
}

/// What the link with this raw token is for.
pub async fn setup_target(store: &Store, token: &str) -> Result<SetupTarget, SetupError> {
    if !secret::looks_like_token(token) {
        return Err(SetupError::NotALink);
    }
    match rows::setup_token(store, &secret::hash(token)).await? {
        None => Err(SetupError::Spent),
        // Dead once any organiser exists, whichever link created it.
        Some(None) if rows::count_organisers(store).await? > 0 => Err(SetupError::OrganiserExists),
        Some(None) => Ok(SetupTarget::FirstOrganiser),
        // A disabled account chooses no password: its link waits until it is enabled again.
        Some(Some(account_id)) => match rows::by_id(store, account_id).await? {
            Some(account) if account.disabled_at.is_none() => Ok(SetupTarget::Password(account)),
            _ => Err(SetupError::Spent),
        },
    }
}

/// Completes a setup link: creates the first organiser or sets the account's password, uses
/// the link up, and logs the person in. A new password ends every other session of the
/// account (and closes its board websockets, through `revocations`). Returns the raw session
/// token.
pub async fn complete_setup(
    store: &Store,
    revocations: &Revocations,
    catalogue: &Catalogue,
    base_url: &str,
    token: &str,
    form: SetupForm,
) -> Result<String, SetupError> {
    enum Plan {
        Create(Checked),
        SetPassword(i64),
    }
    let target = setup_target(store, token).await?;
    let (plan, mut problems) = match &target {
        SetupTarget::FirstOrganiser => {
            let new = NewAccount {
                name: form.name,
                email: form.email,
                role: Some(AccountRole::Organiser),
                workshops: Vec::new(),
                password: Some(form.password.clone()),
            };
            match create::check(store, catalogue, new).await {
                Ok(checked) => (Some(Plan::Create(checked)), Vec::new()),
                Err(CreateError::Rejected(problems)) => (None, problems),
                Err(CreateError::Db(e)) => return Err(e.into()),
            }
        }
        SetupTarget::Password(account) => (
            Some(Plan::SetPassword(account.id)),
            password_problem(&form.password)
                .map(Problem::Password)
                .into_iter()
                .collect(),
        ),
    };
    // Both problems at once when both hold: a short password typed twice differently needs two
    // corrections, and people should learn of both in one go.
    if form.password != form.password_confirm {
        problems.push(Problem::PasswordsDiffer);
    }
    let plan = match plan {
        Some(plan) if problems.is_empty() => plan,
        _ => return Err(SetupError::Rejected { target, problems }),
    };
    // Use the link first: of two concurrent submissions only one gets past this line.
    if !rows::consume_setup_token(store, &secret::hash(token)).await? {
        return Err(SetupError::UsedMeanwhile);
    }
    let account_id = match plan {
        Plan::Create(checked) => {
            // Every other first-organiser link dies with this one (two instances may each have
            // printed one); one created meanwhile through another link wins.
            rows::spend_first_organiser_links(store).await?;
            if rows::count_organisers(store).await? > 0 {
                return Err(SetupError::OrganiserExists);
            }
            create::create(store, base_url, checked).await?.id
        }
        Plan::SetPassword(account_id) => {
            let hash = hash_off_thread(form.password).await;
            rows::set_password(store, account_id, &hash).await?;
            revocations.end(Access::Account(account_id)).await?;
            account_id
        }
    };
    Ok(open_session(store, Some(account_id), None).await?)
}
