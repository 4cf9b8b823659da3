//! The JSON API under `/api/v1` (see docs/api.md).

use axum::Json;
use axum::extract::{Path, Query, State, rejection::JsonRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::domain::access::Action;
use crate::domain::comuni;
use crate::domain::enrollment::{ApplicationForm, Status};
use crate::services::catalogue::Entry;
use crate::services::enrollment::{self, Enrolled, manage_url};
use crate::web::api_schema;
use crate::web::auth::Viewer;
use crate::web::{AppError, AppState};

/// `GET /api/v1/workshops`: every workshop with its seats.
pub async fn workshops(State(state): State<AppState>) -> Result<Json<Value>, AppError> {
    let mut out = Vec::new();
    for entry in state.catalogue.all() {
        out.push(workshop_of(&state, entry).await?);
    }
    Ok(Json(json!({ "workshops": out })))
}

/// `GET /api/v1/workshops/{slug}`.
pub async fn workshop(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<api_schema::Workshop>, AppError> {
    let entry = state.catalogue.by_slug(&slug).ok_or(AppError::NotFound)?;
    Ok(Json(workshop_of(&state, entry).await?))
}

async fn workshop_of(state: &AppState, entry: &Entry) -> Result<api_schema::Workshop, AppError> {
    let (confirmed, waitlisted) = enrollment::seats(&state.store, entry.id).await?;
    Ok(api_schema::Workshop::build(
        entry,
        confirmed,
        waitlisted,
        chrono::Utc::now(),
    ))
}

/// `POST /api/v1/workshops/{slug}/enrollments`. No CSRF token: a JSON body cannot be sent
/// cross-site without a CORS preflight, which we never grant.
pub async fn enroll(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    body: Result<Json<ApplicationForm>, JsonRejection>,
) -> Result<Response, AppError> {
    let entry = state
        .catalogue
        .by_slug(&slug)
        .ok_or(AppError::NotFound)?
        .clone();
    let Json(form) = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::TooLarge
        } else {
            AppError::BadRequest(
                "Corpo della richiesta non valido: serve un oggetto JSON con i campi del modulo \
                 (name, email, role, ente, comune_istat, ambito, privacy_ack)."
                    .into(),
            )
        }
    })?;
    let Enrolled {
        id,
        status,
        position,
        token,
    } = enrollment::apply(&state.desk, &entry, &form).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "id": id,
            "status": status,
            "position": position,
            "manage_url": manage_url(&state.base_url, &token),
        })),
    )
        .into_response())
}

/// `POST /api/v1/enrollments/{token}/cancel`: the person's own cancellation.
pub async fn cancel(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Json<Value>, AppError> {
    let promoted = enrollment::cancel_by_link(
        &state.store,
        &state.catalogue,
        &state.desk,
        &state.revocations,
        &token,
    )
    .await?;
    Ok(Json(json!({
        "status": Status::Cancelled,
        "promoted": promoted.is_some(),
    })))
}

/// Every enrollment of a workshop in arrival order (organisers, and facilitators of it).
pub async fn enrollments(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> Result<Json<Value>, AppError> {
    let entry = state.catalogue.by_slug(&slug).ok_or(AppError::NotFound)?;
    viewer.require(Action::ViewEnrollments(entry.id))?;
    let roster = enrollment::roster(&state.store, entry.id).await?;
    let out: Vec<Value> = roster
        .iter()
        .map(|line| {
            let (r, position) = (&line.enrollment, line.position);
            json!({
                "id": r.id, "arrival": r.arrival, "name": r.name, "email": r.email,
                "role": r.role, "ente": r.ente, "comune_istat": r.comune_istat,
                "ambito": r.ambito, "status": r.status(), "position": position,
                "created_at": r.created_at,
            })
        })
        .collect();
    Ok(Json(
        json!({ "workshop": entry.workshop.slug, "capacity": entry.workshop.capacity, "enrollments": out }),
    ))
}

/// `?q=`: what was typed in the Comune field.
#[derive(Deserialize)]
pub struct ComuniQuery {
    #[serde(default)]
    q: String,
}

/// Autocompletion of the Comune field (Fonte: ISTAT).
pub async fn comuni(Query(q): Query<ComuniQuery>) -> impl IntoResponse {
    let q = q.q.chars().take(60).collect::<String>();
    let found: Vec<Value> = if q.trim().chars().count() < 2 {
        vec![]
    } else {
        comuni::search(&q, 12)
            .into_iter()
            .map(|c| {
                json!({
                    "codice_istat": c.codice_istat,
                    "nome": c.denominazione,
                    "sigla": c.sigla,
                    "regione": c.regione,
                    "etichetta": format!("{} ({})", c.denominazione, c.sigla),
                })
            })
            .collect()
    };
    Json(json!({ "comuni": found, "fonte": "ISTAT" }))
}
