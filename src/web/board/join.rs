//! A meeting's address for someone who is not signed in — a phone that scanned the projector's
//! QR code, a participant who lost their private link: how to join, instead of a staff login.
//! Enrolled people open their personal link or ask for it again (the same answer whatever the
//! address, so the page tells nobody who is enrolled); guests go to the guest page with the code
//! shown in the room; staff sign in.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::meeting_context;
use crate::domain::text;
use crate::services::catalogue::MeetingRef;
use crate::web::auth::{CsrfForm, Viewer};
use crate::web::view::page;
use crate::web::{AppError, AppState};

/// What the page says after a request for the link, or about the address typed.
#[derive(Default)]
struct Outcome {
    sent: bool,
    email: String,
    error: Option<String>,
}

/// The page for a visitor without a session (`GET /incontri/{id}` and `/elenco`).
pub(super) fn page_for(
    state: &AppState,
    viewer: &Viewer,
    m: &MeetingRef<'_>,
    meeting_id: i64,
) -> Result<Response, AppError> {
    render(state, viewer, m, meeting_id, Outcome::default())
}

fn render(
    state: &AppState,
    viewer: &Viewer,
    m: &MeetingRef<'_>,
    meeting_id: i64,
    o: Outcome,
) -> Result<Response, AppError> {
    let status = if o.error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let mut res = page(
        state,
        viewer,
        "board/join.html",
        crate::ctx! {
            meeting => meeting_context(m, meeting_id),
            sent => o.sent,
            email => o.email,
            error => o.error,
            login_url => format!("/accedi?dopo=/incontri/{meeting_id}"),
        },
    )?;
    *res.status_mut() = status;
    Ok(res)
}

/// `email`: the address someone enrolled with.
#[derive(Deserialize)]
pub struct LinkForm {
    #[serde(default)]
    email: String,
}

/// `POST /incontri/{id}/link`: sends the private link again to the address, if it is enrolled
/// in this meeting's workshop; answers the same either way.
pub async fn resend_link(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(meeting_id): Path<i64>,
    CsrfForm(form): CsrfForm<LinkForm>,
) -> Result<Response, AppError> {
    let m = state
        .catalogue
        .meeting(meeting_id)
        .ok_or(AppError::NotFound)?;
    let mut errors = Vec::new();
    let email = text::email("email", &form.email, &mut errors);
    if let Some(e) = errors.first() {
        let o = Outcome {
            email: form.email.chars().take(200).collect(),
            error: Some(e.message.clone()),
            ..Outcome::default()
        };
        return render(&state, &viewer, &m, meeting_id, o);
    }
    state
        .desk
        .resend_link(m.entry.clone(), email.clone())
        .await?;
    let o = Outcome {
        sent: true,
        email,
        error: None,
    };
    render(&state, &viewer, &m, meeting_id, o)
}
