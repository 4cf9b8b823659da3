//! Privacy requests on the organisers' page: a person's data as JSON (art. 15 GDPR) or erased
//! (art. 17), by e-mail address. Erasing asks for a confirmation that shows what will go; both
//! leave an entry in the audit log (`services::privacy`).

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::domain::access::Action;
use crate::domain::text::FieldError;
use crate::services::privacy;
use crate::services::revocation::Access;
use crate::web::auth::{CsrfForm, Viewer};
use crate::web::view::page;
use crate::web::{AppError, AppState};

/// `GET /admin/privacy`: the form and the requests answered so far.
pub async fn privacy_page(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, AppError> {
    viewer.require(Action::ManagePersonalData)?;
    render(&state, &viewer, Outcome::default()).await
}

/// What the page shows besides the form.
#[derive(Default)]
struct Outcome {
    email: String,
    errors: Vec<FieldError>,
    /// Data found, waiting for the confirmation of the erasure.
    confirm: Option<privacy::PersonalData>,
    /// The erasure done.
    erased: Option<String>,
}

async fn render(state: &AppState, viewer: &Viewer, o: Outcome) -> Result<Response, AppError> {
    let log: Vec<_> = privacy::log(&state.store)
        .await?
        .into_iter()
        .map(|e| {
            let what = match e.action.as_str() {
                privacy::EXPORT => "Richiesta di accesso (art. 15)",
                _ => "Cancellazione (art. 17)",
            };
            serde_json::json!({"at": e.at, "actor": e.actor, "what": what, "detail": e.detail})
        })
        .collect();
    let confirm = o.confirm.map(|d| {
        let enrollments: Vec<_> = d
            .enrollments
            .iter()
            .map(|e| {
                serde_json::json!({
                    "id": e.id, "workshop": e.workshop_title.clone().unwrap_or(e.workshop.clone()),
                    "name": e.name, "status": e.status,
                    "cards": e.board.cards.len(), "comments": e.board.comments.len(),
                    "mail": e.mail.len(), "attendance": e.attendance.len(),
                })
            })
            .collect();
        serde_json::json!({"enrollments": enrollments, "account": d.account.is_some()})
    });
    page(
        state,
        viewer,
        "admin/privacy.html",
        crate::ctx! {
            email => o.email, errors => o.errors, confirm, erased => o.erased, log,
            retention_days => state.retention.after_workshop_days,
            cancelled_days => state.retention.after_cancellation_days,
        },
    )
}

/// A privacy request: the e-mail address; `conferma` once the erasure is confirmed.
#[derive(Deserialize)]
pub struct PrivacyForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    conferma: String,
}

fn invalid(email: &str, e: privacy::InvalidEmail) -> Outcome {
    Outcome {
        email: email.to_string(),
        errors: vec![FieldError::new("email", e.0)],
        ..Outcome::default()
    }
}

/// `POST /admin/privacy/esporta`: everything held about the address, as a JSON download.
pub async fn privacy_export(
    State(state): State<AppState>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<PrivacyForm>,
) -> Result<Response, AppError> {
    viewer.require(Action::ManagePersonalData)?;
    let email = match privacy::parse_email(&form.email) {
        Ok(e) => e,
        Err(e) => return bad_request(render(&state, &viewer, invalid(&form.email, e)).await),
    };
    let data = privacy::export(&state.store, &state.catalogue, &email).await?;
    privacy::record_export(&state.store, &data, &viewer.actor()).await?;
    let body = serde_json::to_vec_pretty(&data).map_err(|e| AppError::Internal(e.into()))?;
    let mut res = body.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    res.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"dati-personali.json\""),
    );
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

/// `POST /admin/privacy/cancella`: without `conferma`, shows what would be erased and asks;
/// with `conferma=si`, erases and says what was done.
pub async fn privacy_erase(
    State(state): State<AppState>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<PrivacyForm>,
) -> Result<Response, AppError> {
    viewer.require(Action::ManagePersonalData)?;
    let email = match privacy::parse_email(&form.email) {
        Ok(e) => e,
        Err(e) => return bad_request(render(&state, &viewer, invalid(&form.email, e)).await),
    };
    if form.conferma != "si" {
        let data = privacy::export(&state.store, &state.catalogue, &email).await?;
        if data.enrollments.is_empty() {
            let e = privacy::InvalidEmail(format!(
                "Nessuna iscrizione con l'indirizzo {email}: nulla da cancellare."
            ));
            return render(&state, &viewer, invalid(&email, e)).await;
        }
        let o = Outcome {
            email,
            confirm: Some(data),
            ..Outcome::default()
        };
        return render(&state, &viewer, o).await;
    }
    let done = privacy::erase(&state.store, Some(&state.rooms), &email, &viewer.actor()).await?;
    // Signed out everywhere: every access resting on the erased enrollments (sessions and
    // private-link sockets) ends now, on every instance.
    for id in &done.enrollments {
        state.revocations.end(Access::Enrollment(*id)).await?;
    }
    let o = Outcome {
        erased: Some(format!(
            "Dati personali di {email} cancellati: {}.",
            done.summary()
        )),
        ..Outcome::default()
    };
    render(&state, &viewer, o).await
}

fn bad_request(res: Result<Response, AppError>) -> Result<Response, AppError> {
    let mut res = res?;
    *res.status_mut() = axum::http::StatusCode::BAD_REQUEST;
    Ok(res)
}
