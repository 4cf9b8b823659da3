//! Guests joining a meeting with the code a facilitator enabled (shown on the projector).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use super::meeting_context;
use crate::domain::text::{self, FieldError};
use crate::services::board::{self as boards, GuestRefused};
use crate::store::board::NewGuest;
use crate::web::auth::{self, CsrfForm, Viewer};
use crate::web::view::page;
use crate::web::{AppError, AppState};

pub async fn guest_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let m = state.catalogue.meeting(id).ok_or(AppError::NotFound)?;
    page(
        &state,
        &viewer,
        "board/guest.html",
        crate::ctx! {
            meeting => meeting_context(&m, id), errors => Vec::<FieldError>::new(), values => json!({}),
            ambiti => m.entry.workshop.ambiti,
        },
    )
}

#[derive(Deserialize)]
pub struct GuestForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    organisation: String,
    /// Optional: one of the workshop's Ambiti when it lists them, else free text.
    #[serde(default)]
    ambito: String,
}

pub async fn guest_join(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<GuestForm>,
) -> Result<Response, AppError> {
    let m = state.catalogue.meeting(id).ok_or(AppError::NotFound)?;
    let mut errors = Vec::new();
    let name = text::required_line("name", "il nome e cognome", &form.name, 2, 120, &mut errors);
    let organisation = text::required_line(
        "organisation",
        "l'ente o l'organizzazione",
        &form.organisation,
        2,
        200,
        &mut errors,
    );
    let ambito = m
        .entry
        .workshop
        .ambito_field("ambito", Some(&form.ambito), &mut errors);
    match boards::check_guest_code(&state.rooms, id, &form.code).await {
        Ok(()) => {}
        Err(GuestRefused::NoCode) => errors.push(FieldError::new(
            "code",
            "Il codice ospite non è attivo per questo incontro: chiedilo a chi conduce.",
        )),
        Err(GuestRefused::WrongCode) => errors.push(FieldError::new(
            "code",
            "Codice non valido: controlla il codice mostrato sullo schermo.",
        )),
        Err(GuestRefused::Store(e)) => return Err(e.into()),
        Err(GuestRefused::Unavailable) => return Err(AppError::Unavailable),
    }
    if !errors.is_empty() {
        let mut res = page(
            &state,
            &viewer,
            "board/guest.html",
            crate::ctx! {
                meeting => meeting_context(&m, id), errors,
                values => json!({"code": form.code, "name": form.name, "organisation": form.organisation, "ambito": form.ambito}),
                ambiti => m.entry.workshop.ambiti,
            },
        )?;
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(res);
    }
    let raw = boards::join_as_guest(
        &state.store,
        &state.rooms,
        id,
        &form.code,
        NewGuest {
            name: &name,
            organisation: Some(&organisation),
            ambito: ambito.as_deref(),
        },
    )
    .await
    .map_err(|e| match e {
        GuestRefused::Store(e) => e.into(),
        // The code was disabled between the check and now.
        _ => AppError::Forbidden(
            "Il codice ospite non è più attivo: chiedine uno nuovo a chi conduce.".into(),
        ),
    })?;
    let mut res = Redirect::to(&format!("/incontri/{id}")).into_response();
    auth::set_session_cookie(&state, &mut res, &raw);
    Ok(res)
}
