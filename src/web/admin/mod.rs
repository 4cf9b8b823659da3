//! Staff pages: the dashboard, sign-in and setup (`login.rs`), enrollments (`enrollments.rs`),
//! the outbox, the attendance register (`register.rs`), staff accounts (`staff.rs`), privacy
//! requests (`privacy.rs`).

mod enrollments;
mod login;
mod privacy;
mod register;
mod staff;

pub use enrollments::{cancel, enrollments, enrollments_csv};
pub use login::{login, login_form, logout, setup, setup_form};
pub use privacy::{privacy_erase, privacy_export, privacy_page};
pub use register::{attendance, attendance_csv, mark_attendance};
pub use staff::{
    accounts, create_account, create_api_key, disable_account, enable_account, revoke_api_key,
};

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::domain::access::Action;
use crate::export::csv::Csv;
use crate::services::mail;
use crate::web::auth::Viewer;
use crate::web::view::{WorkshopView, page};
use crate::web::{AppError, AppState};

// --- the dashboard ------------------------------------------------------------------------------

/// `GET /admin`: the staff dashboard, with the workshops the viewer may see.
pub async fn index(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    viewer.require_staff()?;
    let mut workshops = Vec::new();
    for entry in state.catalogue.all() {
        if viewer.principal.may(Action::ViewEnrollments(entry.id)) {
            workshops.push(WorkshopView::load(&state, entry).await?);
        }
    }
    let (pending, sent) = if viewer.principal.may(Action::ViewOutbox) {
        mail::outbox_counts(&state.store).await?
    } else {
        (0, 0)
    };
    page(
        &state,
        &viewer,
        "admin/index.html",
        crate::ctx! {
            workshops, pending, sent, smtp_configured => state.smtp_configured,
        },
    )
}

// --- outbox --------------------------------------------------------------------------------------

/// `GET /admin/posta`: the newest notifications, sent or waiting.
pub async fn outbox(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    viewer.require(Action::ViewOutbox)?;
    let messages = mail::recent(&state.store, 500).await?;
    page(
        &state,
        &viewer,
        "admin/outbox.html",
        crate::ctx! {
            messages, smtp_configured => state.smtp_configured,
        },
    )
}

/// A CSV download named `filename`.
pub fn csv_response(csv: Csv, filename: &str) -> Response {
    let mut res = csv.finish().into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    // File names are built from slugs and ids only: ASCII, no quotes.
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

/// A form with no field but its CSRF token.
#[derive(Deserialize)]
pub struct Empty {}
