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
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::domain::board::Actor;
use crate::domain::dates;
use crate::services::board::{self as boards, Asking, Denied};
use crate::services::catalogue::MeetingRef;
use crate::services::room::{BoardView, RoomError};
use crate::web::auth::Viewer;
use crate::web::{AppError, AppState};

/// The board identity of whoever asks, for one meeting; refuses anyone else.
pub fn board_actor(viewer: &Viewer, m: &MeetingRef<'_>) -> Result<Actor, AppError> {
    let asking = Asking {
        principal: &viewer.principal,
        name: viewer.name.as_deref(),
        organisation: viewer.organisation.as_deref(),
        ambito: viewer.ambito.as_deref(),
        participant_status: viewer.participant_status,
    };
    boards::actor_for(asking, m).map_err(|e| match e {
        Denied::NotSignedIn => AppError::Unauthorized,
        Denied::Forbidden(why) => AppError::Forbidden(why.into()),
    })
}

/// The meeting (404 when there is none) and whoever asks as they act on its board (401, 403).
pub fn meeting_and_actor<'s>(
    state: &'s AppState,
    viewer: &Viewer,
    meeting_id: i64,
) -> Result<(MeetingRef<'s>, Actor), AppError> {
    let m = state
        .catalogue
        .meeting(meeting_id)
        .ok_or(AppError::NotFound)?;
    let actor = board_actor(viewer, &m)?;
    Ok((m, actor))
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
    meeting_and_actor(&state, &viewer, meeting_id)?;
    let room = state.rooms.get(meeting_id).await?;
    let (count, people) = room.presence().await.ok_or(AppError::Unavailable)?;
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(json!({"count": count, "people": people})),
    )
        .into_response())
}

/// `GET /api/v1/meetings/{id}/board`: the board as whoever asks may see it (same
/// authentication as the socket), for a client whose welcome said `load`. Everyone who sees the
/// same board (facilitators; participants with nothing of their own on it) gets the same bytes,
/// serialised and compressed once per `seq`; the tag names that view at that `seq`, and a
/// request that already holds it gets `304`. Not kept by caches: it is personal data.
pub async fn board_state(
    State(state): State<AppState>,
    Path(meeting_id): Path<i64>,
    headers: HeaderMap,
    viewer: Viewer,
) -> Result<Response, AppError> {
    let (_, actor) = meeting_and_actor(&state, &viewer, meeting_id)?;
    let known = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string());
    let view = state
        .rooms
        .ask(meeting_id, |room| {
            let (actor, known) = (actor.clone(), known.clone());
            async move { room.board(actor, known).await }
        })
        .await?
        .ok_or(AppError::Unavailable)?;
    let vary = (header::VARY, HeaderValue::from_static("accept-encoding"));
    let body = match view {
        BoardView::NotModified { etag } => {
            return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)], [vary]).into_response());
        }
        BoardView::Body(body) => body,
    };
    let json = (
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let etag = (header::ETAG, body.etag.clone());
    if accepts_gzip(&headers) {
        let gzip = (header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        Ok(([etag], [json, gzip, vary], body.gzip()).into_response())
    } else {
        Ok(([etag], [json, vary], body.json()).into_response())
    }
}

/// Whether `Accept-Encoding` lists gzip (or `*`) without `q=0`.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| {
                let p = p.trim().replace(' ', "");
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
        })
}

#[cfg(test)]
mod tests {
    use super::accepts_gzip;
    use axum::http::{HeaderMap, HeaderValue, header};

    fn with(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn gzip_only_when_accepted() {
        assert!(accepts_gzip(&with("gzip, deflate, br")));
        assert!(accepts_gzip(&with("br;q=1.0, GZIP;q=0.5")));
        assert!(accepts_gzip(&with("*")));
        assert!(!accepts_gzip(&with("gzip;q=0")));
        assert!(!accepts_gzip(&with("br, deflate")));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }
}
