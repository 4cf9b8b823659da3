//! Staff sign-in: the login form, logout, and the one-time setup link that creates an account
//! (the first organiser, or one an organiser invited).

use super::Empty;
use super::staff::field_error;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use crate::domain::text::FieldError;
use crate::services::accounts::{self, SetupError, SetupForm};
use crate::web::auth::{self, CsrfForm, Viewer};
use crate::web::view::page;
use crate::web::{AppError, AppState};

// --- login, logout, setup ---------------------------------------------------------------------

/// `?dopo=`: where to go after logging in.
#[derive(Deserialize, Default)]
pub struct LoginQuery {
    #[serde(default)]
    dopo: Option<String>,
}

/// `GET /accedi`: the login form.
pub async fn login_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<LoginQuery>,
) -> Result<Response, AppError> {
    page(
        &state,
        &viewer,
        "login.html",
        crate::ctx! { next => safe_next(q.dopo.as_deref()), errors => Vec::<FieldError>::new() },
    )
}

/// Only local paths are followed after login (no open redirect).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/admin".to_string(),
    }
}

/// The login form.
#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: Option<String>,
}

/// `POST /accedi`: logs in, or shows the form again (401) with an Italian message.
pub async fn login(
    State(state): State<AppState>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<Response, AppError> {
    let next = safe_next(form.next.as_deref());
    let previous = viewer.session_hash.as_deref();
    match accounts::sign_in(&state.store, &form.email, &form.password, previous).await? {
        Some(raw) => {
            let mut res = Redirect::to(&next).into_response();
            auth::set_session_cookie(&state, &mut res, &raw);
            Ok(res)
        }
        None => {
            let errors = vec![FieldError::new("email", "E-mail o password non corrette.")];
            let mut res = page(
                &state,
                &viewer,
                "login.html",
                crate::ctx! { next, errors, email => form.email },
            )?;
            *res.status_mut() = axum::http::StatusCode::UNAUTHORIZED;
            // Not the error middleware's 401 redirect: this is the page itself.
            res.extensions_mut().clear();
            Ok(res)
        }
    }
}

/// `POST /esci`: ends the session and closes its websockets.
pub async fn logout(
    State(state): State<AppState>,
    viewer: Viewer,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, AppError> {
    if let Some(hash) = &viewer.session_hash {
        // Deletes the session and closes its websockets on every instance.
        state
            .revocations
            .end(crate::services::revocation::Access::Session(hash.clone()))
            .await?;
    }
    let mut res = Redirect::to("/").into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        auth::cookie(&state, auth::session_cookie(&state), "", Some(0)),
    );
    Ok(res)
}

/// The answer to a setup link that does nothing.
fn setup_link_error(e: SetupError) -> AppError {
    match e {
        SetupError::NotALink => AppError::NotFound,
        SetupError::Spent => AppError::Gone(
            "Questo link non è più valido: è già stato usato oppure è scaduto.".into(),
        ),
        SetupError::UsedMeanwhile => AppError::Gone("Questo link è già stato usato.".into()),
        SetupError::OrganiserExists => AppError::Gone(
            "Questo link di prima configurazione non vale più: l'account dell'organizzazione \
             esiste già. Chiedi a un organizzatore di crearti un account, oppure accedi."
                .into(),
        ),
        SetupError::Db(e) => e.into(),
        SetupError::Rejected { .. } => AppError::Internal(anyhow::anyhow!("{e}")),
    }
}

/// `GET /configura/{token}`: the form of a setup link.
pub async fn setup_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let target = accounts::setup_target(&state.store, &token)
        .await
        .map_err(setup_link_error)?;
    page(
        &state,
        &viewer,
        "setup.html",
        crate::ctx! {
            token, first => target.account().is_none(), account => target.account(), errors => Vec::<FieldError>::new(), values => json!({}),
        },
    )
}

/// The setup form (name and e-mail only for the first organiser).
#[derive(Deserialize)]
pub struct SetupFormFields {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

/// `POST /configura/{token}`: creates the first organiser or sets the password, then logs in.
pub async fn setup(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
    CsrfForm(form): CsrfForm<SetupFormFields>,
) -> Result<Response, AppError> {
    let values = json!({"name": form.name, "email": form.email});
    let filled = SetupForm {
        name: form.name,
        email: form.email,
        password: form.password,
        password_confirm: form.password_confirm,
    };
    match accounts::complete_setup(
        &state.store,
        &state.revocations,
        &state.catalogue,
        &state.base_url,
        &token,
        filled,
    )
    .await
    {
        Ok(raw) => {
            let mut res = Redirect::to("/admin").into_response();
            auth::set_session_cookie(&state, &mut res, &raw);
            Ok(res)
        }
        Err(SetupError::Rejected { target, problems }) => {
            let errors: Vec<FieldError> = problems.iter().map(field_error).collect();
            let mut res = page(
                &state,
                &viewer,
                "setup.html",
                crate::ctx! {
                    token, first => target.account().is_none(), account => target.account(), errors, values,
                },
            )?;
            *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(e) => Err(setup_link_error(e)),
    }
}
