//! The route table and what every response gets (security headers, CSRF cookie, error pages).
//! This is the only layer that knows HTTP.

pub mod admin;
pub mod api;
pub mod api_schema;
pub mod auth;
pub mod board;
pub mod client_address;
pub mod enroll;
pub mod error;
pub mod export;
pub mod pages;
pub mod redirect;
pub mod server;
pub mod sockets;
pub mod state;
pub mod view;

pub use error::{AppError, ErrorInfo};
pub use state::AppState;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

/// Requests larger than this are refused (413): no form or API body of ours comes close.
const BODY_LIMIT: usize = 64 * 1024;

/// Every route of the application, with the layers every response goes through.
pub fn router(state: AppState) -> Router {
    let pages = Router::new()
        .route("/", get(pages::catalogue))
        .route("/laboratori/{slug}", get(pages::workshop))
        .route(
            "/laboratori/{slug}/iscrizione",
            get(enroll::form).post(enroll::submit),
        )
        .route(
            "/laboratori/{slug}/calendario.ics",
            get(enroll::workshop_ics),
        )
        .route("/iscrizione/{token}", get(enroll::manage))
        .route("/iscrizione/{token}/annulla", post(enroll::cancel))
        .route(
            "/iscrizione/{token}/calendario.ics",
            get(enroll::private_ics),
        )
        .route("/privacy", get(pages::privacy))
        .route("/accessibilita", get(pages::accessibility))
        .route("/accedi", get(admin::login_form).post(admin::login))
        .route("/esci", post(admin::logout))
        .route(
            "/configura/{token}",
            get(admin::setup_form).post(admin::setup),
        )
        .route("/incontri/{id}", get(board::board))
        .route("/incontri/{id}/elenco", get(board::list))
        .route("/incontri/{id}/conduzione", get(board::console))
        .route("/incontri/{id}/proiettore", get(board::projector))
        .route("/incontri/{id}/storia", get(board::history))
        .route("/incontri/{id}/esporta", get(export::export_page))
        .route(
            "/incontri/{id}/ospite",
            get(board::guest_form).post(board::guest_join),
        )
        .route("/incontri/{id}/link", post(board::resend_link))
        .route("/admin", get(admin::index))
        .route(
            "/admin/laboratori/{slug}/iscrizioni",
            get(admin::enrollments),
        )
        .route(
            "/admin/laboratori/{slug}/iscrizioni.csv",
            get(admin::enrollments_csv),
        )
        .route("/admin/iscrizioni/{id}/annulla", post(admin::cancel))
        .route("/admin/posta", get(admin::outbox))
        .route(
            "/admin/incontri/{id}/presenze",
            get(admin::attendance).post(admin::mark_attendance),
        )
        .route(
            "/admin/incontri/{id}/presenze.csv",
            get(admin::attendance_csv),
        )
        .route(
            "/admin/account",
            get(admin::accounts).post(admin::create_account),
        )
        .route("/admin/account/chiave-api", post(admin::create_api_key))
        .route("/admin/privacy", get(admin::privacy_page))
        .route("/admin/privacy/esporta", post(admin::privacy_export))
        .route("/admin/privacy/cancella", post(admin::privacy_erase))
        .route(
            "/admin/account/{id}/disattiva",
            post(admin::disable_account),
        )
        .route("/admin/account/{id}/riattiva", post(admin::enable_account))
        .route("/admin/chiavi-api/{id}/revoca", post(admin::revoke_api_key))
        .layer(middleware::from_fn_with_state(state.clone(), html_errors));

    let api = Router::new()
        .route("/api/v1/workshops", get(api::workshops))
        .route("/api/v1/workshops/{slug}", get(api::workshop))
        .route(
            "/api/v1/workshops/{slug}/enrollments",
            get(api::enrollments).post(api::enroll),
        )
        .route("/api/v1/enrollments/{token}/cancel", post(api::cancel))
        .route("/api/v1/comuni", get(api::comuni))
        .route(
            "/api/v1/meetings/{id}/export.docx",
            get(export::meeting_docx),
        )
        .route("/api/v1/meetings/{id}/export.csv", get(export::meeting_csv))
        .route("/api/v1/meetings/{id}/presence", get(board::presence))
        .route("/api/v1/meetings/{id}/board", get(board::board_state))
        .route(
            "/api/v1/meetings/{id}/export.json",
            get(export::meeting_json),
        )
        .route(
            "/api/v1/workshops/{slug}/export.docx",
            get(export::workshop_docx),
        )
        .route(
            "/api/v1/workshops/{slug}/export.csv",
            get(export::workshop_csv),
        )
        .route(
            "/api/v1/workshops/{slug}/export.json",
            get(export::workshop_json),
        );

    Router::new()
        .merge(pages)
        .merge(api)
        .route("/ws/meetings/{id}", get(board::ws))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/static/{*path}", get(pages::static_file))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::csrf_layer,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), note_storage))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security_headers,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

/// Unknown paths: JSON under /api, an Italian page elsewhere.
async fn not_found(State(state): State<AppState>, req: Request) -> Response {
    if req.uri().path().starts_with("/api/") {
        return AppError::NotFound.into_response();
    }
    let csrf = req
        .extensions()
        .get::<auth::CsrfToken>()
        .map(|t| t.0.clone())
        .unwrap_or_default();
    let err = AppError::NotFound;
    let info = ErrorInfo {
        status: err.status(),
        message: err.to_string(),
    };
    error_page(&state, req.uri().path(), &csrf, info)
}

async fn readyz(State(state): State<AppState>) -> Response {
    if !state.store.ready().await {
        (StatusCode::SERVICE_UNAVAILABLE, "database not ready").into_response()
    } else if !state.store.storage_ok().await {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "storage failing: disk full or I/O error",
        )
            .into_response()
    } else {
        "ready".into_response()
    }
}

/// A request refused because the storage failed marks it failing, so that `/readyz` says so
/// until a write succeeds again.
async fn note_storage(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    if res.extensions().get::<error::StorageFailure>().is_some() {
        state
            .store
            .note_storage_failure(&"a request failed: storage full or failing");
    }
    res
}

/// Strict headers on every response. No inline script or style anywhere, so the CSP can forbid
/// both. `same-origin` keeps private links (tokens in the path) out of other sites' logs; it must
/// not be `no-referrer`, with which browsers send `Origin: null` on our own form posts. With an
/// https public address, HSTS tells browsers never to use plain http here.
async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let cacheable = may_be_cached(req.uri().path());
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
             form-action 'self'; frame-ancestors 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if !cacheable {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if state.secure_cookies {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    res
}

/// Whether responses on `path` may be kept by caches: only what is the same for everyone and
/// carries no personal data (static files, which set their own Cache-Control; the public
/// catalogue API; a workshop's calendar; health checks). Everything else gets `no-store`:
/// pages carry the visitor's CSRF token and, for staff, their name; the rest (enrollments,
/// boards, history, staff pages, private links, exports) carries personal data. A new route
/// is private until it is listed here.
fn may_be_cached(path: &str) -> bool {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    matches!(
        segments.as_slice(),
        ["static", ..]
            | ["healthz"]
            | ["readyz"]
            | ["api", "v1", "workshops"]
            | ["api", "v1", "workshops", _]
            | ["api", "v1", "comuni"]
            | ["laboratori", _, "calendario.ics"]
    )
}

/// On browser routes, errors become Italian pages (and "log in first" a redirect).
async fn html_errors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let csrf = req
        .extensions()
        .get::<auth::CsrfToken>()
        .map(|t| t.0.clone())
        .unwrap_or_default();
    let res = next.run(req).await;
    let Some(info) = res.extensions().get::<ErrorInfo>().cloned() else {
        return res;
    };
    let storage = res.extensions().get::<error::StorageFailure>().copied();
    let mut page = error_page(&state, &path, &csrf, info);
    if let Some(marker) = storage {
        page.extensions_mut().insert(marker);
    }
    page
}

/// The Italian error page of `info` (or, for "log in first", the redirect to the login page).
pub fn error_page(state: &AppState, path: &str, csrf: &str, info: ErrorInfo) -> Response {
    if info.status == StatusCode::UNAUTHORIZED {
        let next = serde_urlencoded::to_string([("dopo", path)]).unwrap_or_default();
        return Redirect::to(&format!("/accedi?{next}")).into_response();
    }
    let title = match info.status {
        StatusCode::NOT_FOUND => "Pagina non trovata",
        StatusCode::FORBIDDEN => "Accesso non consentito",
        StatusCode::GONE => "Non più disponibile",
        s if s.is_server_error() => "Servizio non disponibile",
        _ => "Richiesta non valida",
    };
    let ctx = crate::ctx! {
        title => title,
        message => info.message,
        status => info.status.as_u16(),
        csrf => csrf,
        // Error pages do not look up who is asking: they show the anonymous header.
        viewer => minijinja::context! { is_staff => false, is_organiser => false },
    };
    match state.templates.render("error.html", ctx) {
        Ok(html) => (info.status, axum::response::Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "cannot render the error page");
            (info.status, info.message).into_response()
        }
    }
}
