//! The live board over HTTP: its pages (participant board, accessible list, facilitator console,
//! projector, history, guest join) and the websocket of `docs/board-protocol.md`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use futures_util::stream::FuturesUnordered;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

use crate::domain::access::{AccountRole, Action, Principal};
use crate::domain::board::{self, Actor, ActorKind, Event, Op};
use crate::domain::cards::{FREQUENCIES, INDICATOR_TYPES};
use crate::domain::dates;
use crate::domain::enrollment::Status;
use crate::domain::text::{self, FieldError};
use crate::services::accounts;
use crate::services::catalogue::MeetingRef;
use crate::services::room::{Connection, OpError, RoomHandle};
use crate::store;
use crate::web::AppError;
use crate::web::AppState;
use crate::web::auth::{self, CsrfForm, Viewer};
use crate::web::view::page;

/// Largest websocket message accepted; bigger ones close the connection with 1009.
pub const MAX_MESSAGE: usize = 64 * 1024;
/// Per-connection rate limit: a burst of this many operations…
const RATE_BURST: f64 = 30.0;
/// …refilled at this many per second.
const RATE_PER_SECOND: f64 = 10.0;

static CONNECTION_IDS: AtomicU64 = AtomicU64::new(1);

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

/// The board identity of whoever asks, for one meeting; refuses anyone else.
pub async fn board_actor(
    state: &AppState,
    viewer: &Viewer,
    m: &MeetingRef<'_>,
) -> Result<Actor, AppError> {
    match &viewer.principal {
        Principal::Anonymous => Err(AppError::Unauthorized),
        Principal::Participant {
            enrollment_id,
            workshop_id,
        } => {
            if *workshop_id != m.entry.id {
                return Err(AppError::Forbidden(
                    "Questa lavagna è di un altro laboratorio.".into(),
                ));
            }
            let mut conn = state.store.pool.acquire().await?;
            let row = store::enrollments::by_id(&mut conn, *enrollment_id)
                .await?
                .ok_or(AppError::Unauthorized)?;
            if row.status() != Status::Confirmed {
                return Err(AppError::Forbidden(
                    "La lavagna è riservata a chi ha l'iscrizione confermata.".into(),
                ));
            }
            Ok(Actor {
                id: format!("e:{enrollment_id}"),
                kind: ActorKind::Participant,
                name: row.name,
                organisation: Some(row.ente),
                ambito: row.ambito,
            })
        }
        Principal::Guest {
            guest_id,
            meeting_id,
        } => {
            if *meeting_id != m.entry.meeting_id(&m.meeting.key) {
                return Err(AppError::Forbidden(
                    "Il codice ospite vale solo per il suo incontro.".into(),
                ));
            }
            Ok(Actor {
                id: format!("g:{guest_id}"),
                kind: ActorKind::Guest,
                name: viewer.name.clone().unwrap_or_default(),
                organisation: viewer.organisation.clone(),
                ambito: None,
            })
        }
        Principal::Account { id, role, .. } => {
            if !viewer.principal.may(Action::RunMeeting(m.entry.id)) {
                return Err(AppError::Forbidden(
                    "Non conduci questo laboratorio.".into(),
                ));
            }
            Ok(Actor {
                id: format!("a:{id}"),
                kind: match role {
                    AccountRole::Organiser => ActorKind::Organiser,
                    AccountRole::Facilitator => ActorKind::Facilitator,
                },
                name: viewer.name.clone().unwrap_or_default(),
                organisation: None,
                ambito: None,
            })
        }
    }
}

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
    let template = m
        .entry
        .workshop
        .board_template(m.meeting)
        .cloned()
        .unwrap_or_else(crate::catalog::default_board_template);
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

/// The meeting's history: every event in order, in Italian.
pub async fn history(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let m = state.catalogue.meeting(id).ok_or(AppError::NotFound)?;
    let actor = board_actor(&state, &viewer, &m).await?;
    if !actor.is_facilitator() {
        return Err(AppError::Forbidden(
            "La cronologia è riservata a chi conduce l'incontro.".into(),
        ));
    }
    let template = m
        .entry
        .workshop
        .board_template(m.meeting)
        .cloned()
        .unwrap_or_else(crate::catalog::default_board_template);
    let mut board = board::BoardState::new(id, template);
    let mut events = Vec::new();
    for rec in store::board::events_after(&state.store, id, 0).await? {
        let summary = describe(&board, &rec.event);
        board::apply(&mut board, &rec);
        events.push(json!({
            "seq": rec.seq,
            "at_label": chrono::DateTime::from_timestamp_millis(rec.at)
                .map(|t| t.with_timezone(&m.entry.workshop.timezone).format("%H:%M:%S").to_string())
                .unwrap_or_default(),
            "actor": rec.actor.name,
            "summary": summary,
        }));
    }
    page(
        &state,
        &viewer,
        "board/history.html",
        crate::ctx! { meeting => meeting_context(&m, id), events },
    )
}

/// One line of the history.
fn describe(state: &board::BoardState, e: &Event) -> String {
    let title = |id: &str| {
        state
            .cards
            .get(id)
            .map(|c| format!("«{}»", short(c.content.title())))
            .unwrap_or_else(|| "un contributo".into())
    };
    let column = |c: &str| {
        state
            .template
            .columns
            .iter()
            .find(|x| x.card_type == c)
            .map(|x| x.title.clone())
            .unwrap_or_else(|| c.to_string())
    };
    match e {
        Event::CardAdded {
            content,
            column: col,
            ..
        } => format!(
            "ha aggiunto in «{}» {}",
            column(col),
            format_args!("«{}»", short(content.title()))
        ),
        Event::CardEdited { card_id, .. } => format!("ha modificato {}", title(card_id)),
        Event::CardWithdrawn { card_id } => format!("ha ritirato {}", title(card_id)),
        Event::Voted { card_id, .. } => format!("ha votato {}", title(card_id)),
        Event::Unvoted { card_id, .. } => format!("ha tolto un voto a {}", title(card_id)),
        Event::Commented { card_id, .. } => format!("ha commentato {}", title(card_id)),
        Event::PhaseSet { phase } => format!("ha aperto la fase «{}»", board::phase_label(phase)),
        Event::Locked { locked: true } => "ha bloccato la lavagna".into(),
        Event::Locked { locked: false } => "ha sbloccato la lavagna".into(),
        Event::CardHidden { card_id, reason } => {
            format!("ha nascosto {} (motivo: {reason})", title(card_id))
        }
        Event::CardRestored { card_id } => format!("ha ripristinato {}", title(card_id)),
        Event::CardsMerged { into, cards } => {
            format!("ha unito {} doppioni a {}", cards.len(), title(into))
        }
        Event::GroupCreated { title: t, .. } => format!("ha creato il tema «{t}»"),
        Event::GroupRenamed { title: t, .. } => format!("ha rinominato un tema in «{t}»"),
        Event::CardGrouped {
            card_id,
            group_id: Some(g),
        } => format!(
            "ha messo {} nel tema «{}»",
            title(card_id),
            state.groups.get(g).map(|g| g.title.as_str()).unwrap_or("?")
        ),
        Event::CardGrouped {
            card_id,
            group_id: None,
        } => format!("ha tolto {} dal suo tema", title(card_id)),
        Event::CardMoved { card_id, column: c } => {
            format!("ha spostato {} in «{}»", title(card_id), column(c))
        }
        Event::BlindSet { blind: true } => {
            "ha nascosto i nuovi contributi fino alla rivelazione".into()
        }
        Event::BlindSet { blind: false } => "ha reso subito visibili i nuovi contributi".into(),
        Event::Revealed { cards } => format!("ha rivelato {} contributi", cards.len()),
        Event::TimerSet {
            timer: Some(board::Timer::Running { duration_ms, .. }),
        } => {
            format!(
                "ha avviato il timer ({} min)",
                (duration_ms + 59_999) / 60_000
            )
        }
        Event::TimerSet {
            timer: Some(board::Timer::Paused { .. }),
        } => "ha messo in pausa il timer".into(),
        Event::TimerSet { timer: None } => "ha fermato il timer".into(),
        Event::Spotlighted { card_id: Some(id) } => format!("ha messo in evidenza {}", title(id)),
        Event::Spotlighted { card_id: None } => "ha tolto l'evidenza".into(),
        Event::GuestCodeSet { code: Some(_) } => "ha attivato il codice ospite".into(),
        Event::GuestCodeSet { code: None } => "ha disattivato il codice ospite".into(),
        Event::AnonymousSet { allowed: true } => "ha consentito i contributi anonimi".into(),
        Event::AnonymousSet { allowed: false } => "ha disattivato i contributi anonimi".into(),
        Event::VoteBudgetSet { phase, budget } => format!(
            "ha fissato {budget} voti a testa per la fase «{}»",
            board::phase_label(phase)
        ),
        Event::CardsCarriedOver { cards, .. } => format!(
            "ha riportato {} contributi da un incontro precedente",
            cards.len()
        ),
    }
}

fn short(s: &str) -> String {
    let line = s.lines().next().unwrap_or_default();
    if line.chars().count() > 80 {
        line.chars().take(79).collect::<String>() + "…"
    } else {
        line.to_string()
    }
}

// --- guests ----------------------------------------------------------------------------------

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
    let room = state.rooms.get(id).await?;
    let current = room.state().await.and_then(|s| s.guest_code);
    let typed = form.code.trim().to_uppercase();
    match &current {
        None => errors.push(FieldError::new(
            "code",
            "Il codice ospite non è attivo per questo incontro: chiedilo a chi conduce.",
        )),
        Some(code) if !crate::secret::same(code, &typed) => errors.push(FieldError::new(
            "code",
            "Codice non valido: controlla il codice mostrato sullo schermo.",
        )),
        _ => {}
    }
    if !errors.is_empty() {
        let mut res = page(
            &state,
            &viewer,
            "board/guest.html",
            crate::ctx! {
                meeting => meeting_context(&m, id), errors,
                values => json!({"code": form.code, "name": form.name, "organisation": form.organisation}),
            },
        )?;
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(res);
    }
    let guest_id = store::board::create_guest(&state.store, id, &name, Some(&organisation)).await?;
    let (raw, hash) = crate::secret::new_token();
    store::accounts::create_guest_session(&state.store, &hash, guest_id, accounts::SESSION_TTL_MS)
        .await?;
    let mut res = Redirect::to(&format!("/incontri/{id}")).into_response();
    auth::set_session_cookie(&state, &mut res, &raw);
    Ok(res)
}

// --- the websocket -----------------------------------------------------------------------------

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

#[derive(Deserialize)]
pub struct WsQuery {
    #[serde(default)]
    vista: Option<String>,
}

/// `GET /ws/meetings/{id}`: checks Origin and identity before upgrading.
pub async fn ws(
    State(state): State<AppState>,
    Path(meeting_id): Path<i64>,
    Query(q): Query<WsQuery>,
    headers: HeaderMap,
    viewer: Viewer,
    upgrade: WebSocketUpgrade,
) -> Result<Response, AppError> {
    // Browsers always send Origin on a websocket: it must be ours. Scripts authenticate with a
    // bearer token instead of a cookie, so a page on another site cannot ride on a session.
    match headers.get(header::ORIGIN) {
        Some(origin) if origin.to_str().ok() == Some(auth::origin_of(&state.base_url)) => {}
        Some(_) => {
            return Err(AppError::Forbidden(
                "Origine della connessione non ammessa.".into(),
            ));
        }
        None if headers.contains_key(header::AUTHORIZATION) => {}
        None => {
            return Err(AppError::Forbidden(
                "Origine della connessione mancante.".into(),
            ));
        }
    }
    let m = state
        .catalogue
        .meeting(meeting_id)
        .ok_or(AppError::NotFound)?;
    let actor = board_actor(&state, &viewer, &m).await?;
    let read_only = q.vista.as_deref() == Some("proiettore");
    if read_only && !actor.is_facilitator() {
        return Err(AppError::forbidden());
    }
    let Some(slot) = state.sockets.take_slot(meeting_id, &actor.id) else {
        // Upgrade, then close with a code of our own: a browser cannot read an HTTP refusal
        // of a websocket, and would just show "connection lost" and retry.
        return Ok(upgrade.on_upgrade(|mut socket| async move {
            let _ = socket
                .send(close(
                    4002,
                    "troppe finestre aperte su questa lavagna: chiudine una",
                ))
                .await;
        }));
    };
    // Joining the board marks an enrolled person present: the room writes the register.
    let room = state.rooms.get(meeting_id).await?;
    // Cancelled on logout or revocation of the session, and on shutdown.
    let stop = match viewer.session_hash.as_deref() {
        Some(h) => state.sockets.register(h, &state.shutdown),
        None => state.shutdown.child_token(),
    };
    let shutdown = state.shutdown.clone();
    let tasks = state.tasks.clone();
    let app = state.clone();
    Ok(upgrade
        .max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(16 * 1024)
        .on_upgrade(move |socket| {
            tasks.track_future(async move {
                let conn = Connection {
                    id: CONNECTION_IDS.fetch_add(1, Ordering::Relaxed),
                    actor,
                    read_only,
                };
                serve_connection(socket, app, meeting_id, room, conn, stop, shutdown).await;
                drop(slot);
            })
        }))
}

fn close(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: Utf8Bytes::from(reason.to_string()),
    }))
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientFrame {
    Hello {
        #[serde(default)]
        last_seq: i64,
    },
    Op {
        op_id: String,
        op: Value,
    },
}

fn error_frame(op_id: &str, code: &str, message: &str, fields: Option<&[FieldError]>) -> Message {
    let mut v = json!({"type": "error", "op_id": op_id, "code": code, "message": message});
    if let Some(f) = fields.filter(|f| !f.is_empty()) {
        v["fields"] = json!(f);
    }
    Message::Text(Utf8Bytes::from(v.to_string()))
}

/// A write that cannot complete in this time means the client stopped reading (a phone asleep,
/// a frozen tab) and its socket buffers are full: the connection is dropped, and the client
/// reloads from its `last_seq` when it comes back. Without this bound its task waited forever,
/// and a graceful shutdown with it.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

type Sink = futures_util::stream::SplitSink<WebSocket, Message>;

/// Sends one frame (and flushes), within `SEND_TIMEOUT`.
async fn send(sink: &mut Sink, msg: Message) -> bool {
    matches!(
        tokio::time::timeout(SEND_TIMEOUT, sink.send(msg)).await,
        Ok(Ok(()))
    )
}

/// Writes the frame received and everything else queued, then flushes once: one syscall for
/// a burst of events. A connection that fell more than the room's buffer behind is told to
/// resync and closed. Returns whether the connection is still good.
async fn write_burst(
    sink: &mut Sink,
    rx: &mut tokio::sync::broadcast::Receiver<crate::services::room::Frame>,
    first: Result<crate::services::room::Frame, RecvError>,
    viewer: &Actor,
    full_access: bool,
) -> bool {
    let mut next = first;
    loop {
        match next {
            Ok(f) => {
                let text = f.for_viewer(viewer, full_access).clone();
                if sink.feed(Message::Text(text)).await.is_err() {
                    return false;
                }
            }
            Err(RecvError::Lagged(_)) => {
                let resync = Utf8Bytes::from_static(r#"{"type":"resync"}"#);
                let _ = sink.feed(Message::Text(resync)).await;
                let _ = sink
                    .feed(close(1008, "connessione troppo lenta: ricarica"))
                    .await;
                let _ = sink.flush().await;
                return false;
            }
            Err(RecvError::Closed) => return false,
        }
        next = match rx.try_recv() {
            Ok(f) => Ok(f),
            Err(TryRecvError::Lagged(n)) => Err(RecvError::Lagged(n)),
            Err(TryRecvError::Empty) => break,
            Err(TryRecvError::Closed) => Err(RecvError::Closed),
        };
    }
    sink.flush().await.is_ok()
}

async fn serve_connection(
    socket: WebSocket,
    state: AppState,
    meeting_id: i64,
    room: RoomHandle,
    conn: Connection,
    stop: tokio_util::sync::CancellationToken,
    shutdown: tokio_util::sync::CancellationToken,
) {
    // This connection's token is cancelled when it ends, so that the session's list of sockets
    // (and the shutdown token's children) forget it instead of growing with every reconnect.
    let _forget = stop.clone().drop_guard();
    let (mut sink, mut stream) = socket.split();
    // The first frame must be hello.
    let last_seq = match tokio::time::timeout(Duration::from_secs(15), stream.next()).await {
        Ok(Some(Ok(Message::Text(t)))) => match serde_json::from_str::<ClientFrame>(&t) {
            Ok(ClientFrame::Hello { last_seq }) => last_seq,
            _ => {
                let _ = send(&mut sink, close(1008, "primo messaggio atteso: hello")).await;
                return;
            }
        },
        _ => return,
    };
    let Some(joined) = room.join(conn.clone(), last_seq).await else {
        let _ = send(&mut sink, close(1011, "lavagna non disponibile")).await;
        return;
    };
    let full_access = conn.actor.is_facilitator();
    let mut rx = joined.rx;
    let catch_up = async {
        sink.feed(Message::Text(joined.welcome)).await?;
        for f in &joined.missed {
            let text = f.for_viewer(&conn.actor, full_access).clone();
            sink.feed(Message::Text(text)).await?;
        }
        sink.flush().await
    };
    let ok = matches!(
        tokio::time::timeout(SEND_TIMEOUT, catch_up).await,
        Ok(Ok(()))
    );
    if !ok {
        room.leave(conn.id);
        return;
    }
    // Reading runs in a task of its own, which writes its answers (acks, errors) itself and
    // watches for shutdown and logout: a connection woken for an outgoing event then polls
    // only the room's channel and a one-shot, never a shared token nor the socket's read side
    // (each read attempt costs tungstenite a zero-filled buffer: ~7% of the server's CPU when
    // it happened once per event sent; the token's lock another 1–2%).
    let sink = Arc::new(tokio::sync::Mutex::new(sink));
    let (reader_alive, mut reader_gone) = tokio::sync::oneshot::channel::<()>();
    let reader = tokio::spawn(read_ops(
        stream,
        sink.clone(),
        stop.clone(),
        reader_alive,
        state,
        meeting_id,
        room.clone(),
        conn.clone(),
    ));
    loop {
        tokio::select! {
            biased;
            frame = rx.recv() => {
                // The reader holds the sink only while it writes an answer.
                let mut sink = match sink.try_lock() {
                    Ok(sink) => sink,
                    Err(_) => sink.lock().await,
                };
                let mut burst = std::pin::pin!(write_burst(&mut sink, &mut rx, frame, &conn.actor, full_access));
                // Almost always the socket takes the burst at once: arm the timer only when not.
                let first = std::future::poll_fn(|cx| std::task::Poll::Ready(burst.as_mut().poll(cx))).await;
                let ok = match first {
                    std::task::Poll::Ready(ok) => ok,
                    std::task::Poll::Pending => match tokio::time::timeout(SEND_TIMEOUT, burst).await {
                        Ok(ok) => ok,
                        Err(_) => {
                            tracing::info!(meeting_id, "websocket not read for {SEND_TIMEOUT:?}: closed");
                            false
                        }
                    },
                };
                if !ok {
                    break;
                }
            }
            _ = &mut reader_gone => break,
        }
    }
    reader.abort();
    // Say why, so the client knows what to do: reconnect after a restart (also when the room
    // closed first), log in again after a logout.
    let goodbye = if shutdown.is_cancelled() {
        Some(close(1001, "server in riavvio: riconnessione automatica"))
    } else if stop.is_cancelled() {
        Some(close(4001, "sessione terminata"))
    } else {
        None
    };
    if let Some(goodbye) = goodbye {
        let _ = send(&mut *sink.lock().await, goodbye).await;
    }
    room.leave(conn.id);
}

type AckFuture =
    std::pin::Pin<Box<dyn std::future::Future<Output = (String, Result<i64, OpError>)> + Send>>;

/// The reading side of a board connection: checks each incoming frame, rate-limits, sends
/// operations to the room and writes every answer (ack, error, close). It returns when the
/// client goes away or `stop` is cancelled (shutdown, logout); dropping `alive` then ends the
/// writing side too.
#[allow(clippy::too_many_arguments)]
async fn read_ops(
    mut stream: futures_util::stream::SplitStream<WebSocket>,
    sink: Arc<tokio::sync::Mutex<Sink>>,
    stop: tokio_util::sync::CancellationToken,
    alive: tokio::sync::oneshot::Sender<()>,
    state: AppState,
    meeting_id: i64,
    room: RoomHandle,
    conn: Connection,
) {
    let _alive = alive;
    let stopped = stop.cancelled();
    tokio::pin!(stopped);
    let mut acks: FuturesUnordered<AckFuture> = FuturesUnordered::new();
    let mut tokens = RATE_BURST;
    let mut last_refill = Instant::now();
    loop {
        let reply = tokio::select! {
            _ = &mut stopped => return,
            Some((op_id, result)) = acks.next(), if !acks.is_empty() => match result {
                Ok(seq) => Message::Text(Utf8Bytes::from(json!({"type": "ack", "op_id": op_id, "seq": seq}).to_string())),
                Err(OpError::Refused(r)) => error_frame(&op_id, r.code, &r.message, Some(&r.fields)),
                Err(OpError::Unavailable) => error_frame(&op_id, "unavailable", "Salvataggio non riuscito: riprovo tra poco.", None),
            },
            incoming = stream.next() => {
                let text = match incoming {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Binary(_))) => {
                        let refusal = error_frame("", "invalid", "Messaggio non valido: attesi testi JSON.", None);
                        if !send(&mut *sink.lock().await, refusal).await {
                            return;
                        }
                        continue;
                    }
                    Some(Ok(Message::Close(_))) | None => return,
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => {
                        if is_too_big(&e) {
                            let _ = send(&mut *sink.lock().await, close(1009, "messaggio troppo grande (massimo 64 KiB)")).await;
                        }
                        return;
                    }
                };
                match check_op(&text, &conn, &mut tokens, &mut last_refill) {
                    Ok((op_id, op)) => {
                        let room = room.clone();
                        let actor = conn.actor.clone();
                        let app = state.clone();
                        acks.push(Box::pin(async move {
                            let r = match resolve_carry_over(&app, meeting_id, op).await {
                                Ok(op) => room.op(actor, op_id.clone(), op).await,
                                Err(e) => Err(e),
                            };
                            (op_id, r)
                        }));
                        continue;
                    }
                    Err(None) => continue,
                    Err(Some(refusal)) => refusal,
                }
            }
        };
        if !send(&mut *sink.lock().await, reply).await {
            return;
        }
    }
}

/// An incoming text frame as an operation to send to the room, or the error frame to answer
/// (`None`: nothing to answer, e.g. a repeated hello).
fn check_op(
    text: &str,
    conn: &Connection,
    tokens: &mut f64,
    last_refill: &mut Instant,
) -> Result<(String, Op), Option<Message>> {
    let Ok(frame) = serde_json::from_str::<ClientFrame>(text) else {
        return Err(Some(error_frame(
            "",
            "invalid",
            "Messaggio non valido.",
            None,
        )));
    };
    let ClientFrame::Op { op_id, op } = frame else {
        return Err(None);
    };
    if conn.read_only {
        return Err(Some(error_frame(
            &op_id,
            "read_only",
            "Questa è una vista in sola lettura.",
            None,
        )));
    }
    let now = Instant::now();
    *tokens = (*tokens + now.duration_since(*last_refill).as_secs_f64() * RATE_PER_SECOND)
        .min(RATE_BURST);
    *last_refill = now;
    if *tokens < 1.0 {
        return Err(Some(error_frame(
            &op_id,
            "rate_limited",
            "Stai inviando troppe operazioni: riprovo tra un attimo.",
            None,
        )));
    }
    *tokens -= 1.0;
    match serde_json::from_value::<Op>(op) {
        Ok(op) => Ok((op_id, op)),
        Err(e) => {
            let msg = format!("Operazione non valida: {}", italian_serde(&e.to_string()));
            Err(Some(error_frame(&op_id, "invalid", &msg, None)))
        }
    }
}

/// Turns a carry-over by card ids into the cards themselves, read from the earlier meeting's
/// board (same workshop, an earlier meeting). Other operations pass through.
async fn resolve_carry_over(state: &AppState, meeting_id: i64, op: Op) -> Result<Op, OpError> {
    let Op::CarryOver {
        from_meeting,
        cards,
    } = op
    else {
        return Ok(op);
    };
    let refuse = |m: &str| {
        OpError::Refused(board::Refusal {
            code: "invalid",
            message: m.into(),
            fields: vec![],
        })
    };
    let (Some(here), Some(there)) = (
        state.catalogue.meeting(meeting_id),
        state.catalogue.meeting(from_meeting),
    ) else {
        return Err(refuse("Incontro di provenienza non trovato."));
    };
    if here.entry.id != there.entry.id
        || from_meeting == meeting_id
        || there.meeting.date > here.meeting.date
    {
        return Err(refuse(
            "Si possono riportare solo contributi di un incontro precedente dello stesso laboratorio.",
        ));
    }
    let source = state
        .rooms
        .get(from_meeting)
        .await
        .map_err(|_| OpError::Unavailable)?;
    let source = source.state().await.ok_or(OpError::Unavailable)?;
    let columns = here
        .entry
        .workshop
        .board_template(here.meeting)
        .map(|t| t.columns.clone())
        .unwrap_or_default();
    let mut carried = Vec::new();
    for id in cards {
        let card = source
            .cards
            .get(&id)
            .filter(|c| c.is_active())
            .ok_or_else(|| {
                refuse(&format!(
                    "Il contributo {id} non è sulla lavagna di quell'incontro."
                ))
            })?;
        let column = if columns.iter().any(|c| c.card_type == card.column) {
            card.column.clone()
        } else {
            card.content.card_type().to_string()
        };
        carried.push(board::CarriedCard {
            from_card: id.clone(),
            card_id: format!("m{from_meeting}-{id}").chars().take(64).collect(),
            column,
            content: card.content.clone(),
            author: card.author.clone(),
            anonymous: card.anonymous,
        });
    }
    Ok(Op::CarryOverCards {
        from_meeting,
        cards: carried,
    })
}

fn is_too_big(e: &axum::Error) -> bool {
    let s = format!("{e:?}");
    s.contains("Capacity") || s.contains("too long") || s.contains("TooLong")
}

fn italian_serde(msg: &str) -> String {
    if msg.contains("unknown variant") {
        "tipo di operazione sconosciuto".into()
    } else if msg.contains("missing field") {
        format!(
            "manca un campo obbligatorio ({})",
            msg.split('`').nth(1).unwrap_or("?")
        )
    } else if msg.contains("unknown field") {
        format!(
            "campo sconosciuto ({})",
            msg.split('`').nth(1).unwrap_or("?")
        )
    } else {
        "formato dei dati non valido".into()
    }
}
