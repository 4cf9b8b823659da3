//! Public pages: the catalogue, a workshop, the privacy notice, the accessibility statement,
//! and the static files (their list is `crate::assets`).

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};

use crate::assets::{self, Asset};
use crate::web::auth::Viewer;
use crate::web::view::{WorkshopView, page};
use crate::web::{AppError, AppState};

pub async fn catalogue(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, AppError> {
    let mut workshops = Vec::new();
    for entry in state.catalogue.all() {
        workshops.push(WorkshopView::load(&state, entry).await?);
    }
    // Open enrollments first, then upcoming, then past editions.
    workshops.sort_by_key(|w| match w.window {
        crate::domain::workshop::Window::Open => 0,
        crate::domain::workshop::Window::NotYetOpen => 1,
        crate::domain::workshop::Window::Closed => 2,
    });
    page(&state, &viewer, "catalogue.html", crate::ctx! { workshops })
}

pub async fn workshop(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let entry = state.catalogue.by_slug(&slug).ok_or(AppError::NotFound)?;
    let w = WorkshopView::load(&state, entry).await?;
    page(&state, &viewer, "workshop.html", crate::ctx! { w })
}

pub async fn privacy(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let organisers: Vec<String> = state
        .catalogue
        .all()
        .iter()
        .map(|e| e.workshop.organiser.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    page(
        &state,
        &viewer,
        "privacy.html",
        crate::ctx! {
            organisers,
            retention_days => state.retention.after_workshop_days,
            cancelled_days => state.retention.after_cancellation_days,
        },
    )
}

pub async fn accessibility(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, AppError> {
    page(&state, &viewer, "accessibility.html", crate::ctx! {})
}

/// `GET /static/{*path}`. The pages link `<version>/<file>` ([`assets::url`]): that content
/// never changes, so browsers may keep it for a year. A path of another version (a page rendered
/// before a deploy, another instance during a rolling one) is redirected to this version, never
/// cached. A bare `<file>` (a link from outside, an organiser's older template) is served too,
/// revalidated every time.
pub async fn static_file(Path(path): Path<String>) -> Result<Response, AppError> {
    if let Some(asset) = assets::get(&path) {
        return Ok(serve(asset, "no-cache"));
    }
    let (version, file) = path.split_once('/').ok_or(AppError::NotFound)?;
    let asset = assets::get(file).ok_or(AppError::NotFound)?;
    if version == assets::version() {
        Ok(serve(asset, "public, max-age=31536000, immutable"))
    } else if assets::is_version(version) {
        let mut res = Redirect::temporary(&assets::url(file)).into_response();
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        Ok(res)
    } else {
        Err(AppError::NotFound)
    }
}

fn serve(asset: &'static Asset, cache: &'static str) -> Response {
    let mut res = asset.bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.mime));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    res
}
