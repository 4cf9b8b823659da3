//! The board's pages: the participants' board, the accessible list, the facilitator console
//! and the projector. One page template each; the browser client (`static/board.js`) draws
//! the board from the configuration embedded here and the websocket.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::Response;
use serde_json::{Value, json};

use super::{board_actor, meeting_context};
use crate::AppState;
use crate::domain::board::{self, ActorKind};
use crate::domain::cards::{FREQUENCIES, INDICATOR_TYPES};
use crate::error::AppError;
use crate::web::auth::Viewer;
use crate::web::view::page;

/// Instruments of collaboration suggested in the proposal form.
const INSTRUMENTS: &[&str] = &[
    "Tavolo tecnico",
    "Co-progettazione",
    "Accordo di collaborazione",
    "Patto di collaborazione",
    "Convenzione",
    "Protocollo d'intesa",
    "Accordo di programma",
];

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
    let actor = board_actor(&state, &viewer, &m).await?;
    if matches!(view, View::Console | View::Projector) && !actor.is_facilitator() {
        return Err(AppError::Forbidden(
            "Questa vista è riservata a chi conduce l'incontro.".into(),
        ));
    }
    let template = m.entry.workshop.board_template(m.meeting).clone();
    let base = format!("/incontri/{meeting_id}");
    let config = json!({
        "meeting_id": meeting_id,
        "view": view.name(),
        "ws_url": if view == View::Projector { format!("/ws/meetings/{meeting_id}?vista=proiettore") } else { format!("/ws/meetings/{meeting_id}") },
        "policy_areas": m.entry.workshop.policy_areas,
        "indicator_types": INDICATOR_TYPES,
        "frequencies": FREQUENCIES,
        "instruments": INSTRUMENTS,
        "phase_labels": template.phases.iter().map(|p| (p.clone(), Value::from(board::phase_label(p)))).collect::<serde_json::Map<_, _>>(),
        "phase_rules": template.phases.iter().map(|p| {
            let (perms, budget) = board::phase_rules(p);
            let perms: Vec<&str> = perms.iter().map(|x| match x {
                board::Permission::AddCard => "add_card",
                board::Permission::EditOwnCard => "edit_own_card",
                board::Permission::Comment => "comment",
                board::Permission::Vote => "vote",
            }).collect();
            (p.clone(), json!({"permissions": perms, "budget": budget}))
        }).collect::<serde_json::Map<_, _>>(),
        "join_url": format!("{}{base}/ospite", state.base_url),
        "board_url": base,
        "list_url": format!("{base}/elenco"),
        "console_url": format!("{base}/conduzione"),
        "projector_url": format!("{base}/proiettore"),
        "history_url": format!("{base}/storia"),
        "export_url": format!("{base}/esporta"),
    });
    let template_name = match view {
        View::Board => "board/board.html",
        View::List => "board/list.html",
        View::Console => "board/console.html",
        View::Projector => "board/projector.html",
    };
    let mut res = page(
        &state,
        &viewer,
        template_name,
        crate::ctx! {
            meeting => meeting_context(&m, meeting_id),
            view => view.name(),
            config_json => config.to_string(),
            you => json!({
                "name": actor.name,
                "is_facilitator": actor.is_facilitator(),
                // Ambito referents (participants whose enrollment names an Ambito) may export
                // the drafts of their Ambito: see `domain::access::export_grant`.
                "export_ambito": if actor.kind == ActorKind::Participant { actor.ambito.clone() } else { None },
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
