//! The organisers' list of a workshop's enrollments (page and CSV) and cancelling one on a
//! person's behalf.

use super::csv_response;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use crate::domain::access::Action;
use crate::domain::comuni;
use crate::export::csv::Csv;
use crate::services::{audit, enrollment};
use crate::web::auth::{CsrfForm, Viewer};
use crate::web::view::{WorkshopView, page};
use crate::web::{AppError, AppState};

async fn enrollment_rows(
    state: &AppState,
    workshop_id: i64,
) -> Result<Vec<serde_json::Value>, AppError> {
    let entry = state
        .catalogue
        .by_id(workshop_id)
        .ok_or(AppError::NotFound)?;
    let roster = enrollment::roster(&state.store, workshop_id).await?;
    Ok(roster
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let r = &line.enrollment;
            let status = r.status();
            json!({
                "n": i + 1, "id": r.id, "name": r.name, "email": r.email,
                "role": entry.workshop.role_label(&r.role).unwrap_or(&r.role),
                "ente": r.ente,
                "comune": r.comune_istat.as_deref().and_then(comuni::by_code).map(|c| format!("{} ({})", c.denominazione, c.sigla)),
                "ambito": r.ambito, "status": status, "status_label": status.label(),
                "position": line.position, "created_at": r.created_at, "arrival": r.arrival,
            })
        })
        .collect())
}

/// `GET /admin/laboratori/{slug}/iscrizioni`: a workshop's enrollments and audit log.
pub async fn enrollments(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let entry = state.catalogue.by_slug(&slug).ok_or(AppError::NotFound)?;
    viewer.require(Action::ViewEnrollments(entry.id))?;
    let rows = enrollment_rows(&state, entry.id).await?;
    let audit = audit::for_workshop(&state.store, entry.id).await?;
    page(
        &state,
        &viewer,
        "admin/enrollments.html",
        crate::ctx! {
            w => WorkshopView::load(&state, entry).await?,
            rows, audit,
            may_cancel => viewer.principal.may(Action::CancelEnrollment(entry.id)),
        },
    )
}

/// `GET /admin/laboratori/{slug}/iscrizioni.csv`: the same list as CSV.
pub async fn enrollments_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let entry = state.catalogue.by_slug(&slug).ok_or(AppError::NotFound)?;
    viewer.require(Action::ViewEnrollments(entry.id))?;
    let mut csv = Csv::new();
    csv.row([
        "N. arrivo",
        "Nome e cognome",
        "E-mail",
        "Ruolo",
        "Ente",
        "Comune",
        "Ambito",
        "Stato",
        "Posizione in lista d'attesa",
        "Data iscrizione",
    ]);
    for r in enrollment_rows(&state, entry.id).await? {
        let s = |k: &str| match &r[k] {
            serde_json::Value::Null => String::new(),
            serde_json::Value::String(s) => s.clone(),
            v => v.to_string(),
        };
        let when = chrono::DateTime::from_timestamp_millis(r["created_at"].as_i64().unwrap_or(0))
            .map(|t| {
                t.with_timezone(&entry.workshop.timezone)
                    .format("%d/%m/%Y %H:%M:%S")
                    .to_string()
            })
            .unwrap_or_default();
        csv.row([
            s("n"),
            s("name"),
            s("email"),
            s("role"),
            s("ente"),
            s("comune"),
            s("ambito"),
            s("status_label"),
            s("position"),
            when,
        ]);
    }
    Ok(csv_response(
        csv,
        &format!("iscrizioni-{}.csv", entry.workshop.slug),
    ))
}

/// A staff cancellation: the reason goes to the audit log.
#[derive(Deserialize)]
pub struct StaffCancelForm {
    #[serde(default)]
    reason: String,
}

/// `POST /admin/iscrizioni/{id}/annulla`: cancels someone's enrollment on their behalf.
pub async fn cancel(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<StaffCancelForm>,
) -> Result<Response, AppError> {
    viewer.require_staff()?;
    let row = enrollment::find(&state.store, id)
        .await?
        .ok_or(AppError::NotFound)?;
    viewer.require(Action::CancelEnrollment(row.workshop_id))?;
    let entry = enrollment::cancel_by_staff(
        &state.catalogue,
        &state.desk,
        &state.revocations,
        &row,
        viewer.actor(),
        &form.reason,
    )
    .await?;
    Ok(Redirect::to(&format!(
        "/admin/laboratori/{}/iscrizioni",
        entry.workshop.slug
    ))
    .into_response())
}
