//! The board's pages: the participants' board, the accessible list, the facilitator console
//! and the projector. One page template each; the browser client (`static/board/`) draws
//! the board from the configuration embedded here and the websocket.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::Response;
use serde_json::{Value, json};

use super::{board_actor, meeting_context};
use crate::domain::access::Principal;
use crate::domain::board::{ActorKind, reference};
use crate::domain::board_config;
use crate::web::auth::Viewer;
use crate::web::view::page;
use crate::web::{AppError, AppState};

#[derive(Clone, Copy, PartialEq, Eq)]
enum View {
    Board,
    List,
    Console,
    Projector,
}

impl View {
    fn name(self) -> &'static str {
        match self {
            View::Board => "board",
            View::List => "list",
            View::Console => "console",
            View::Projector => "projector",
        }
    }
}

async fn board_page(
    state: AppState,
    viewer: Viewer,
    meeting_id: i64,
    view: View,
) -> Result<Response, AppError> {
    let m = state
        .catalogue
        .meeting(meeting_id)
        .ok_or(AppError::NotFound)?;
    // Someone without a session (a phone that scanned the projector's code, a participant who
    // lost their link) is shown how to join rather than a staff login.
    if matches!(viewer.principal, Principal::Anonymous) && matches!(view, View::Board | View::List)
    {
        return super::join::page_for(&state, &viewer, &m, meeting_id);
    }
    let actor = board_actor(&viewer, &m)?;
    if matches!(view, View::Console | View::Projector) && !actor.is_facilitator() {
        return Err(AppError::Forbidden(
            "Questa vista è riservata a chi conduce l'incontro.".into(),
        ));
    }
    let template = m.entry.workshop.board_template(m.meeting).clone();
    let base = format!("/incontri/{meeting_id}");
    // The board's rules (phases, card forms, limits) come from the domain; the page adds what
    // only it knows.
    let w = &m.entry.workshop;
    let mut config = board_config::client_config(&template, &w.policy_areas, &w.ambiti);
    let ws_url = match view {
        View::Projector => format!("/ws/meetings/{meeting_id}?vista=proiettore"),
        _ => format!("/ws/meetings/{meeting_id}"),
    };
    for (key, value) in [
        ("meeting_id", json!(meeting_id)),
        (
            "meeting_code",
            json!(reference::meeting_code(m.module.number, m.meeting.number)),
        ),
        ("view", json!(view.name())),
        // The workshop's zone: the browser shows every time in it, whatever its own.
        ("timezone", json!(w.timezone.name())),
        ("ws_url", json!(ws_url)),
        (
            "join_url",
            json!(format!("{}{base}/ospite", state.base_url)),
        ),
        ("board_url", json!(base)),
        ("list_url", json!(format!("{base}/elenco"))),
        ("console_url", json!(format!("{base}/conduzione"))),
        ("projector_url", json!(format!("{base}/proiettore"))),
        ("history_url", json!(format!("{base}/storia"))),
        ("export_url", json!(format!("{base}/esporta"))),
    ] {
        config.insert(key.to_string(), value);
    }
    let template_name = match view {
        View::Board => "board/board.html",
        View::List => "board/list.html",
        View::Console => "board/console.html",
        View::Projector => "board/projector.html",
    };
    // The projector shows a QR code of the board's address: phones in the room open it and
    // land on the page that tells them how to join.
    let qr_svg = match view {
        View::Projector => qr_svg(&format!("{}{base}", state.base_url)),
        _ => String::new(),
    };
    let mut res = page(
        &state,
        &viewer,
        template_name,
        crate::ctx! {
            meeting => meeting_context(&m, meeting_id),
            qr_svg,
            join_address => format!("{}{base}", state.base_url),
            view => view.name(),
            config_json => Value::Object(config).to_string(),
            you => json!({
                "name": actor.name,
                "is_facilitator": actor.is_facilitator(),
                // Ambito referents (participants whose enrollment names an Ambito) may export
                // the drafts of their Ambito: see `domain::access::export_grant`.
                "export_ambito": if actor.kind == ActorKind::Participant { actor.ambito.clone() } else { None },
                // Where to connect, for people with a seat and staff; guests join in the room.
                "video_link": if actor.kind == ActorKind::Guest { None } else { m.meeting.video_link.clone() },
            }),
        },
    )?;
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

pub async fn board(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    board_page(state, viewer, id, View::Board).await
}

pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    board_page(state, viewer, id, View::List).await
}

pub async fn console(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    board_page(state, viewer, id, View::Console).await
}

pub async fn projector(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    board_page(state, viewer, id, View::Projector).await
}

/// A QR code of `url` as inline SVG (no XML declaration), scaling with its box; empty if the
/// address is too long for a QR code (the address is printed beside it anyway).
fn qr_svg(url: &str) -> String {
    let Ok(code) = qrcode::QrCode::with_error_correction_level(url, qrcode::EcLevel::M) else {
        return String::new();
    };
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .quiet_zone(true)
        .module_dimensions(8, 8)
        .build();
    let start = svg.find("<svg").unwrap_or(0);
    // Width and height from the viewBox only, so CSS sizes it.
    svg[start..]
        .replacen(" width=\"", " data-w=\"", 1)
        .replacen(" height=\"", " data-h=\"", 1)
        .replacen("<svg ", "<svg aria-hidden=\"true\" focusable=\"false\" ", 1)
}
