//! The live board over HTTP: its pages (participant board, accessible list, facilitator
//! console, projector), the history, guests joining with a code, who is present, and the
//! websocket of `docs/board-protocol.md`. Handlers are thin: the rules are in
//! `domain::board`, the live room in `services::room`, the other use cases in
//! `services::board`.

mod guest;
mod history;
mod join;
mod pages;
mod socket;

pub use guest::{GuestGate, guest_form, guest_join};
pub use history::history;
pub use join::resend_link;
pub use pages::{board, console, list, projector};
pub use socket::{MAX_MESSAGE, ws};

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::domain::board::Actor;
use crate::domain::dates;
use crate::services::board::{self as boards, Asking, Denied};
use crate::services::catalogue::MeetingRef;
use crate::services::room::RoomError;
use crate::web::auth::Viewer;
use crate::web::{AppError, AppState};

/// The board identity of whoever asks, for one meeting; refuses anyone else.
pub async fn board_actor(
    state: &AppState,
    viewer: &Viewer,
    m: &MeetingRef<'_>,
) -> Result<Actor, AppError> {
    let asking = Asking {
        principal: &viewer.principal,
        name: viewer.name.as_deref(),
        organisation: viewer.organisation.as_deref(),
        ambito: viewer.ambito.as_deref(),
    };
    boards::actor_for(&state.store, asking, m)
        .await
        .map_err(|e| match e {
            Denied::NotSignedIn => AppError::Unauthorized,
            Denied::Forbidden(why) => AppError::Forbidden(why.into()),
            Denied::Store(e) => e.into(),
        })
}

impl From<RoomError> for AppError {
    fn from(e: RoomError) -> AppError {
        match e {
            RoomError::UnknownMeeting => AppError::NotFound,
            RoomError::Store(e) => e.into(),
        }
    }
}

/// What the board's pages say about their meeting.
fn meeting_context(m: &MeetingRef<'_>, id: i64) -> Value {
    let w = &m.entry.workshop;
    json!({
        "id": id,
        "key": m.meeting.key,
        "number": m.meeting.number,
        "title": m.meeting.title.clone().unwrap_or_else(|| m.module.title.clone()),
        "date_label": dates::format_date(m.meeting.date),
        "time_label": dates::format_time_range(m.meeting.start, m.meeting.end),
        "place": m.meeting.place,
        "online": m.meeting.place.eq_ignore_ascii_case("online"),
        "module_number": m.module.number,
        "module_title": m.module.title,
        "module_topics": m.module.topics,
        "workshop_title": w.title,
        "workshop_slug": w.slug,
    })
}

/// `GET /api/v1/meetings/{id}/presence`: who is connected to the board now (anyone who may
/// join it may ask). Participants' sockets carry only the count; the list is read here when
/// someone opens it.
pub async fn presence(
    State(state): State<AppState>,
    Path(meeting_id): Path<i64>,
    viewer: Viewer,
) -> Result<Response, AppError> {
    let m = state
        .catalogue
        .meeting(meeting_id)
        .ok_or(AppError::NotFound)?;
    board_actor(&state, &viewer, &m).await?;
    let room = state.rooms.get(meeting_id).await?;
    let (count, people) = room.presence().await.ok_or(AppError::Unavailable)?;
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(json!({"count": count, "people": people})),
    )
        .into_response())
}
