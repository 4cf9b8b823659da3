//! Public pages: the catalogue, a workshop, the privacy notice, the accessibility statement,
//! and the static files (compiled in, so the binary runs from anywhere).

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

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
    page(&state, &viewer, "privacy.html", crate::ctx! { organisers })
}

pub async fn accessibility(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, AppError> {
    page(&state, &viewer, "accessibility.html", crate::ctx! {})
}

macro_rules! static_files {
    ($($name:literal => $mime:literal),* $(,)?) => {
        &[$(($name, $mime, include_bytes!(concat!("../../static/", $name)) as &[u8])),*]
    };
}

const STATIC: &[(&str, &str, &[u8])] = static_files![
    "tavolo.css" => "text/css; charset=utf-8",
    "tavolo.js" => "text/javascript; charset=utf-8",
    "board.js" => "text/javascript; charset=utf-8",
    "board.css" => "text/css; charset=utf-8",
    "favicon.svg" => "image/svg+xml",
    "fonts/titillium-web-latin-400-normal.woff2" => "font/woff2",
    "fonts/titillium-web-latin-600-normal.woff2" => "font/woff2",
    "fonts/titillium-web-latin-700-normal.woff2" => "font/woff2",
];

pub async fn static_file(Path(path): Path<String>) -> Result<Response, AppError> {
    let (_, mime, bytes) = STATIC
        .iter()
        .find(|(name, _, _)| *name == path)
        .ok_or(AppError::NotFound)?;
    let mut res = bytes.into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    Ok(res)
}
