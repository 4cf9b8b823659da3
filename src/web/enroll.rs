//! Enrollment pages: the form, the private page of an enrollment, cancellation, calendar.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use crate::domain::access::Principal;
use crate::domain::enrollment::{ApplicationForm, Status};
use crate::domain::text::FieldError;
use crate::domain::{comuni, ics};
use crate::services::accounts;
use crate::services::catalogue::Entry;
use crate::services::enrollment::{self, ApplyError, Enrolled};
use crate::web::auth::{self, CsrfForm, Viewer};
use crate::web::view::{WorkshopView, page};
use crate::web::{AppError, AppState};

/// The enrollment form as posted.
#[derive(Deserialize, Default)]
pub struct FormPage {
    #[serde(flatten)]
    form: ApplicationForm,
}

/// `GET /laboratori/{slug}/iscrizione`: the enrollment form.
pub async fn form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let entry = state.catalogue.by_slug(&slug).ok_or(AppError::NotFound)?;
    render_form(
        &state,
        &viewer,
        entry,
        &ApplicationForm::default(),
        &[],
        None,
        StatusCode::OK,
    )
    .await
}

async fn render_form(
    state: &AppState,
    viewer: &Viewer,
    entry: &Arc<Entry>,
    values: &ApplicationForm,
    errors: &[FieldError],
    notice: Option<String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let w = &entry.workshop;
    let roles: Vec<_> = w
        .roles
        .iter()
        .filter(|r| w.is_eligible(&r.id))
        .map(|r| json!({ "id": r.id, "label": r.label }))
        .collect();
    let other_roles: Vec<_> = w
        .roles
        .iter()
        .filter(|r| !w.is_eligible(&r.id))
        .map(|r| r.label.clone())
        .collect();
    let comune_label = values
        .comune_istat
        .as_deref()
        .or(values.comune.as_deref())
        .map(|c| {
            comuni::resolve(c)
                .map(|c| format!("{} ({})", c.denominazione, c.sigla))
                .unwrap_or(c.to_string())
        });
    let mut res = page(
        state,
        viewer,
        "enroll.html",
        crate::ctx! {
            w => WorkshopView::load(state, entry).await?,
            roles,
            other_roles,
            ambiti => w.ambiti,
            values => json!({
                "name": values.name, "email": values.email, "role": values.role,
                "ente": values.ente, "comune": comune_label, "ambito": values.ambito,
                "privacy_ack": values.privacy_ack,
            }),
            errors,
            error_for => errors.iter().map(|e| (e.field.clone(), e.message.clone())).collect::<std::collections::BTreeMap<_, _>>(),
            notice,
        },
    )?;
    *res.status_mut() = status;
    Ok(res)
}

/// `POST /laboratori/{slug}/iscrizione`: applies, then shows the private page or the form
/// again with what is wrong.
pub async fn submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    CsrfForm(form): CsrfForm<FormPage>,
) -> Result<Response, AppError> {
    let entry = state
        .catalogue
        .by_slug(&slug)
        .ok_or(AppError::NotFound)?
        .clone();
    let form = form.form;
    let (errors, notice, status) = match enrollment::apply(&state.desk, &entry, &form).await {
        Ok(Enrolled { token, .. }) => {
            return Ok(Redirect::to(&format!("/iscrizione/{token}?nuova=1")).into_response());
        }
        Err(ApplyError::Invalid(errors)) => (errors, None, StatusCode::UNPROCESSABLE_ENTITY),
        Err(e @ ApplyError::RoleNotEligible { .. }) => (
            vec![FieldError::new("role", e.to_string())],
            None,
            StatusCode::FORBIDDEN,
        ),
        Err(e @ ApplyError::AlreadyEnrolled) => {
            (Vec::new(), Some(e.to_string()), StatusCode::CONFLICT)
        }
        Err(e) => return Err(e.into()),
    };
    render_form(&state, &viewer, &entry, &form, &errors, notice, status).await
}

/// `?nuova` (just enrolled), `?annullata` (just cancelled).
#[derive(Deserialize)]
pub struct ManageQuery {
    #[serde(default)]
    nuova: Option<String>,
    #[serde(default)]
    annullata: Option<String>,
}

/// The private page of an enrollment. Opening it also logs the person in (session cookie), so
/// that they can join the meeting boards from the same browser.
pub async fn manage(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
    Query(q): Query<ManageQuery>,
) -> Result<Response, AppError> {
    let found = enrollment::private_page(&state.store, &token)
        .await?
        .ok_or(AppError::NotFound)?;
    let row = found.enrollment;
    let entry = state
        .catalogue
        .by_id(row.workshop_id)
        .ok_or(AppError::NotFound)?;
    let status = row.status();
    let (position, messages) = (found.position, found.messages);
    let comune = row
        .comune_istat
        .as_deref()
        .and_then(comuni::by_code)
        .map(|c| format!("{} ({})", c.denominazione, c.sigla));
    let w = &entry.workshop;
    let already = matches!(viewer.principal, Principal::Participant { enrollment_id, .. } if enrollment_id == row.id);
    let mut res = page(
        &state,
        &viewer,
        "manage.html",
        crate::ctx! {
            w => WorkshopView::load(&state, entry).await?,
            e => json!({
                "name": row.name, "email": row.email, "ente": row.ente,
                "role": w.role_label(&row.role).unwrap_or(&row.role),
                "comune": comune, "ambito": row.ambito,
                "status": status, "status_label": status.label(), "position": position,
                "created_at": row.created_at,
            }),
            messages => messages.iter().map(|m| json!({
                "subject": m.subject, "status": m.status, "created_at": m.created_at, "sent_at": m.sent_at,
            })).collect::<Vec<_>>(),
            token,
            just_enrolled => q.nuova.is_some(),
            just_cancelled => q.annullata.is_some(),
            // Mail is only "sent" when a relay is configured; otherwise it waits in the outbox.
            smtp_configured => state.smtp_configured,
            // Where to connect, for people with a seat only: meeting id → address.
            video_links => if status == Status::Confirmed {
                w.meetings()
                    .filter_map(|(_, mt)| Some((entry.meeting_id(&mt.key).to_string(), mt.video_link.clone()?)))
                    .collect::<std::collections::BTreeMap<_, _>>()
            } else {
                Default::default()
            },
        },
    )?;
    // The link logs the person in (for the board), but never replaces a staff session: an
    // organiser opening someone's link from the same browser stays logged in as themselves.
    // The session is the link's own (`private_link_session`): opening it again renews that
    // one row instead of adding another.
    let staff = matches!(viewer.principal, Principal::Account { .. });
    if !already && !staff && status != Status::Cancelled {
        let raw = accounts::private_link_session(&state.store, row.id, &token).await?;
        auth::set_session_cookie(&state, &mut res, &raw);
    }
    Ok(res)
}

/// The cancellation form: `conferma` is the confirmation checkbox.
#[derive(Deserialize)]
pub struct CancelForm {
    #[serde(default)]
    conferma: Option<String>,
}

/// `POST /iscrizione/{token}/annulla`: the person's own cancellation.
pub async fn cancel(
    State(state): State<AppState>,
    Path(token): Path<String>,
    CsrfForm(form): CsrfForm<CancelForm>,
) -> Result<Response, AppError> {
    if form.conferma.as_deref() != Some("on") {
        return Err(AppError::BadRequest(
            "Per annullare l'iscrizione spunta la casella di conferma e invia di nuovo.".into(),
        ));
    }
    enrollment::cancel_by_link(
        &state.store,
        &state.catalogue,
        &state.desk,
        &state.revocations,
        &token,
    )
    .await?;
    Ok(Redirect::to(&format!("/iscrizione/{token}?annullata=1")).into_response())
}

/// The public calendar of a workshop's meetings.
pub async fn workshop_ics(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let slug = slug.trim_end_matches(".ics");
    let entry = state.catalogue.by_slug(slug).ok_or(AppError::NotFound)?;
    Ok(calendar_response(
        ics::workshop_calendar(&entry.workshop, &state.base_url, ics::Audience::Public),
        &entry.workshop.slug,
    ))
}

/// `GET /iscrizione/{token}/calendario.ics`: the calendar of the person's workshop, with the
/// video-call addresses when they have a seat (the public calendar has none).
pub async fn private_ics(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let found = enrollment::private_page(&state.store, &token)
        .await?
        .ok_or(AppError::NotFound)?;
    let entry = state
        .catalogue
        .by_id(found.enrollment.workshop_id)
        .ok_or(AppError::NotFound)?;
    let audience = if found.enrollment.status() == Status::Confirmed {
        ics::Audience::Seated
    } else {
        ics::Audience::Public
    };
    let mut res = calendar_response(
        ics::workshop_calendar(&entry.workshop, &state.base_url, audience),
        &entry.workshop.slug,
    );
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

fn calendar_response(body: String, slug: &str) -> Response {
    let mut res = body.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    // A slug is lowercase letters, digits and '-' (checked in the workshop file).
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{slug}.ics\"")) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    res
}
