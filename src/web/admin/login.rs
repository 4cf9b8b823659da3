//! Staff sign-in: the login form, logout, and the one-time setup link that creates an account
//! (the first organiser, or one an organiser invited).

use super::Empty;
use super::staff::field_error;

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use crate::domain::text::FieldError;
use crate::services::accounts::{self, SetupError, SetupForm, SignIn};
use crate::web::auth::{self, CsrfForm, Viewer};
use crate::web::client_address::ClientAddress;
use crate::web::redirect;
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
        crate::ctx! { next => redirect::after_login(q.dopo.as_deref()), errors => Vec::<FieldError>::new() },
    )
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

/// `POST /accedi`: logs in, or shows the form again with an Italian message: 401 for a wrong
/// e-mail or password, 429 when this e-mail or this address has used its attempts (checked
/// before any hashing, `services::login_throttle`), 503 when too many passwords are being
/// checked at once (`services::hashing`).
pub async fn login(
    State(state): State<AppState>,
    viewer: Viewer,
    ClientAddress(address): ClientAddress,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<Response, AppError> {
    let next = redirect::after_login(form.next.as_deref());
    if let Err(wait) = state.login_throttle.check(&form.email, address) {
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let message = format!(
            "Troppi tentativi di accesso: riprova tra {}.",
            in_seconds(seconds)
        );
        return login_again(
            &state,
            &viewer,
            next,
            form.email,
            StatusCode::TOO_MANY_REQUESTS,
            message,
            Some(seconds.max(1)),
        );
    }
    let previous = viewer.session_hash.as_deref();
    match accounts::sign_in(&state.store, &form.email, &form.password, previous).await? {
        SignIn::Opened(raw) => {
            let mut res = Redirect::to(&next).into_response();
            auth::set_session_cookie(&state, &mut res, &raw);
            Ok(res)
        }
        SignIn::Refused => {
            let message = "E-mail o password non corrette.".to_string();
            login_again(
                &state,
                &viewer,
                next,
                form.email,
                StatusCode::UNAUTHORIZED,
                message,
                None,
            )
        }
        SignIn::Busy => {
            let message = "Troppe richieste, riprova tra poco.".to_string();
            login_again(
                &state,
                &viewer,
                next,
                form.email,
                StatusCode::SERVICE_UNAVAILABLE,
                message,
                Some(1),
            )
        }
    }
}

/// The login form again, with `message` on the e-mail field and `status`.
fn login_again(
    state: &AppState,
    viewer: &Viewer,
    next: String,
    email: String,
    status: StatusCode,
    message: String,
    retry_after_s: Option<u64>,
) -> Result<Response, AppError> {
    let errors = vec![FieldError::new("email", message)];
    let mut res = page(
        state,
        viewer,
        "login.html",
        crate::ctx! { next, errors, email },
    )?;
    *res.status_mut() = status;
    if let Some(s) = retry_after_s {
        res.headers_mut().insert(header::RETRY_AFTER, s.into());
    }
    // Not the error middleware's 401 redirect or error page: this is the page itself.
    res.extensions_mut().clear();
    Ok(res)
}

/// "3 secondi", "un secondo", "2 minuti".
fn in_seconds(seconds: u64) -> String {
    match seconds {
        0 | 1 => "un secondo".into(),
        s if s < 120 => format!("{s} secondi"),
        s => format!("{} minuti", s.div_ceil(60)),
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
