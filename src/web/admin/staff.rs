//! Staff accounts: the list, creating one (with a setup link), API keys.

use super::Empty;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use crate::domain::access::{AccountRole, Action, Principal};
use crate::domain::text::FieldError;
use crate::services::accounts::{self, NewAccount, Problem};
use crate::web::auth::{CsrfForm, Viewer};
use crate::web::view::page;
use crate::web::{AppError, AppState};

// --- accounts ------------------------------------------------------------------------------------

/// `GET /admin/account`: the staff accounts.
pub async fn accounts(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    viewer.require(Action::ManageAccounts)?;
    accounts_page(&state, &viewer, None, None, Vec::new()).await
}

async fn accounts_page(
    state: &AppState,
    viewer: &Viewer,
    new_key: Option<String>,
    new_link: Option<String>,
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    accounts_page_with(state, viewer, new_key, new_link, errors, None).await
}

/// The accounts page, with a line saying what was just done (`notice`).
async fn accounts_page_with(
    state: &AppState,
    viewer: &Viewer,
    new_key: Option<String>,
    new_link: Option<String>,
    errors: Vec<FieldError>,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let mut rows = Vec::new();
    for staff in accounts::list(&state.store).await? {
        let a = &staff.account;
        let titles: Vec<String> = staff
            .workshops
            .iter()
            .filter_map(|id| state.catalogue.by_id(*id))
            .map(|e| e.workshop.title.clone())
            .collect();
        rows.push(json!({
            "id": a.id, "name": a.name, "email": a.email,
            "disabled": a.disabled_at.is_some(), "disabled_at": a.disabled_at,
            "own": matches!(viewer.principal, Principal::Account { id, .. } if id == a.id),
            "role": AccountRole::parse(&a.role).map(|r| r.label()).unwrap_or(&a.role),
            "workshops": titles, "has_password": a.password_hash.is_some(),
        }));
    }
    let workshops: Vec<_> = state
        .catalogue
        .all()
        .iter()
        .map(|e| json!({"slug": e.workshop.slug, "title": e.workshop.title}))
        .collect();
    let keys = accounts::api_keys(&state.store, None).await?;
    let audit = crate::services::audit::for_accounts(&state.store).await?;
    page(
        state,
        viewer,
        "admin/accounts.html",
        crate::ctx! { rows, workshops, new_key, new_link, errors, keys, audit, notice },
    )
}

/// A new account: `workshop` is a slug, or empty.
#[derive(Deserialize)]
pub struct NewAccountForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    workshop: String,
}

/// `POST /admin/account`: creates an account and shows its password link.
pub async fn create_account(
    State(state): State<AppState>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<NewAccountForm>,
) -> Result<Response, AppError> {
    viewer.require(Action::ManageAccounts)?;
    let new = NewAccount {
        name: form.name,
        email: form.email,
        role: AccountRole::parse(&form.role),
        workshops: Some(form.workshop)
            .filter(|w| !w.is_empty())
            .into_iter()
            .collect(),
        password: None,
    };
    let checked = match accounts::check(&state.store, &state.catalogue, new).await {
        Ok(checked) => checked,
        Err(accounts::CreateError::Rejected(problems)) => {
            let errors = problems.iter().map(field_error).collect();
            let mut res = accounts_page(&state, &viewer, None, None, errors).await?;
            *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(res);
        }
        Err(accounts::CreateError::Db(e)) => return Err(e.into()),
    };
    let created = accounts::create(&state.store, &state.base_url, checked).await?;
    // With a mail relay the person is invited by e-mail and the link is not shown (it is
    // theirs); without one, the page shows it to be handed over another way.
    match (&created.link, state.smtp_configured) {
        (Some(link), true) => {
            let by = viewer
                .name
                .clone()
                .unwrap_or_else(|| "L'organizzazione".into());
            accounts::invite(
                &state.store,
                &state.templates,
                &created.name,
                &created.email,
                created.role,
                link,
                &by,
            )
            .await
            .map_err(|e| match e {
                accounts::InviteError::Db(e) => AppError::from(e),
                accounts::InviteError::Template(e) => AppError::Internal(e.into()),
            })?;
            let notice = format!(
                "Account creato: abbiamo inviato a {} l'e-mail con il link per scegliere la password.",
                created.email
            );
            accounts_page_with(&state, &viewer, None, None, Vec::new(), Some(notice)).await
        }
        _ => accounts_page(&state, &viewer, None, created.link, Vec::new()).await,
    }
}

/// The form of a new API key: a label to tell it apart.
#[derive(Deserialize)]
pub struct NewKeyForm {
    #[serde(default)]
    label: String,
}

/// `POST /admin/account/chiave-api`: a new API key for the viewer, shown once.
pub async fn create_api_key(
    State(state): State<AppState>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<NewKeyForm>,
) -> Result<Response, AppError> {
    viewer.require(Action::ManageAccounts)?;
    let Principal::Account { id, .. } = viewer.principal else {
        return Err(AppError::Unauthorized);
    };
    let key = accounts::new_api_key(&state.store, id, &form.label).await?;
    accounts_page(&state, &viewer, Some(key), None, Vec::new()).await
}

/// `POST /admin/chiavi-api/{id}/revoca`: revokes an API key.
pub async fn revoke_api_key(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key_id): Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, AppError> {
    viewer.require(Action::ManageAccounts)?;
    accounts::revoke_api_key(&state.store, &state.revocations, key_id, &viewer.actor())
        .await
        .map_err(access_error)?;
    let notice = format!("Chiave API #{key_id} revocata: non è più accettata.");
    accounts_page_with(&state, &viewer, None, None, Vec::new(), Some(notice)).await
}

/// `POST /admin/account/{id}/disattiva`: disables an account.
pub async fn disable_account(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(account_id): Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, AppError> {
    viewer.require(Action::ManageAccounts)?;
    let by = match viewer.principal {
        Principal::Account { id, .. } => Some(id),
        _ => None,
    };
    accounts::disable_account(
        &state.store,
        &state.revocations,
        account_id,
        by,
        &viewer.actor(),
    )
    .await
    .map_err(access_error)?;
    let notice = "Account disattivato: le sue sessioni e le sue chiavi API non valgono più.";
    accounts_page_with(&state, &viewer, None, None, Vec::new(), Some(notice.into())).await
}

/// `POST /admin/account/{id}/riattiva`: enables a disabled account again.
pub async fn enable_account(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(account_id): Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, AppError> {
    viewer.require(Action::ManageAccounts)?;
    accounts::enable_account(&state.store, account_id, &viewer.actor())
        .await
        .map_err(access_error)?;
    let notice = "Account riattivato: la persona può accedere di nuovo.";
    accounts_page_with(&state, &viewer, None, None, Vec::new(), Some(notice.into())).await
}

fn access_error(e: accounts::AccessError) -> AppError {
    match e {
        accounts::AccessError::NotFound => AppError::NotFound,
        e @ accounts::AccessError::KeyNotFound => AppError::Conflict {
            code: "not_revocable",
            message: e.to_string(),
            extra: json!({}),
        },
        e @ accounts::AccessError::OwnAccount => AppError::BadRequest(e.to_string()),
        accounts::AccessError::Db(e) => e.into(),
    }
}

/// A problem of a new account or of a setup form, as the form shows it.
pub(super) fn field_error(problem: &Problem) -> FieldError {
    match problem {
        Problem::Field(e) => e.clone(),
        Problem::NoRole => FieldError::new("role", "Scegli il ruolo dell'account."),
        Problem::UnknownWorkshop(_) => FieldError::new("workshop", "Laboratorio non trovato."),
        Problem::EmailTaken => {
            FieldError::new("email", "Esiste già un account con questo indirizzo.")
        }
        Problem::Password(message) => FieldError::new("password", *message),
        Problem::PasswordsDiffer => {
            FieldError::new("password_confirm", "Le due password non coincidono.")
        }
    }
}
