//! The board's websocket (`GET /ws/meetings/{id}`, protocol in `docs/board-protocol.md`): the
//! checks before the upgrade, then per connection a writer that forwards the room's frames and
//! a reader that checks, rate-limits (per person, see `RoomHandle::admit`) and forwards
//! operations and writes their answers.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use futures_util::stream::FuturesUnordered;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

use super::meeting_and_actor;
use crate::domain::board::{Actor, ActorId, Op};
use crate::domain::text::FieldError;
use crate::services::board as boards;
use crate::services::revocation::Access;
use crate::services::room::{Connection, Frame, OpError, RoomHandle};
use crate::web::auth::{self, Viewer};
use crate::web::{AppError, AppState};

static CONNECTION_IDS: AtomicU64 = AtomicU64::new(1);

/// Largest websocket message accepted; bigger ones close the connection with 1009.
pub const MAX_MESSAGE: usize = 64 * 1024;

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
    let (_, actor) = meeting_and_actor(&state, &viewer, meeting_id)?;
    let read_only = q.vista.as_deref() == Some("proiettore");
    if read_only && !actor.is_facilitator() {
        return Err(AppError::forbidden());
    }
    let Some(slot) = state.sockets.take_slot(meeting_id, actor.id) else {
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
    // The room is started (the board replayed) before the upgrade, so that a meeting whose
    // board cannot be read gets an HTTP error rather than a socket that closes at once.
    state.rooms.get(meeting_id).await?;
    // Cancelled when any access this connection rests on ends (logout, a revoked key, a
    // disabled account or new password, a cancelled enrollment, a disabled guest code), on
    // any instance, and on shutdown.
    let accesses = accesses_of(&viewer, &headers, &actor, meeting_id);
    let stop = state.sockets.register(&accesses, &state.shutdown);
    let link = Arc::new(Link {
        state: state.clone(),
        meeting_id,
        connection: Connection {
            id: CONNECTION_IDS.fetch_add(1, Ordering::Relaxed),
            actor,
            read_only,
        },
        stop,
        _slot: slot,
    });
    Ok(upgrade
        .max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        // Clients send small frames (hello, operations of a few hundred bytes; a larger one
        // grows the buffer as it arrives): 1 KiB instead of 4 saves 15 MiB on 5,000 sockets.
        .read_buffer_size(1024)
        .write_buffer_size(16 * 1024)
        .on_upgrade(move |socket| {
            let tasks = link.state.tasks.clone();
            tasks.track_future(serve_connection(Box::pin(open(socket, link))))
        }))
}

/// What a connection's access rests on: its session or API key, and who it is.
fn accesses_of(
    viewer: &Viewer,
    headers: &HeaderMap,
    actor: &Actor,
    meeting_id: i64,
) -> Vec<Access> {
    let mut out = Vec::with_capacity(2);
    if let Some(h) = &viewer.session_hash {
        out.push(Access::Session(h.clone()));
    }
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    if let Some(key) = bearer.filter(|k| !crate::secret::looks_like_token(k)) {
        out.push(Access::ApiKey(crate::secret::hash(key)));
    }
    match actor.id {
        ActorId::Account(id) => out.push(Access::Account(id)),
        ActorId::Enrollment(id) => out.push(Access::Enrollment(id)),
        ActorId::Guest(_) => out.push(Access::GuestsOfMeeting(meeting_id)),
        _ => {}
    }
    out
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
    rx: &mut tokio::sync::broadcast::Receiver<Frame>,
    first: Result<Frame, RecvError>,
    viewer: &Actor,
) -> bool {
    let mut next = first;
    loop {
        match next {
            Ok(f) => {
                let text = f.for_viewer(viewer).clone();
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

/// What a connection's two tasks (writer and reader) share, from the upgrade to the end.
///
/// Kept behind one pointer on purpose: an `async fn` stores its arguments twice (as received
/// and as moved into its body), and axum's upgrade task keeps its callback's captures for the
/// socket's whole life, so every byte passed around by value was paid two or three times by
/// each idle socket. The writer's task was ~5 KiB and the reader's ~1.2 KiB, more than half
/// the live memory of 5,000 idle connections; see `docs/benchmarks.md`.
struct Link {
    state: AppState,
    meeting_id: i64,
    connection: Connection,
    /// Cancelled when any access the connection rests on ends, on shutdown, and when the
    /// connection ends (so that the session's list of sockets and the shutdown token's
    /// children forget it instead of growing with every reconnect).
    stop: tokio_util::sync::CancellationToken,
    /// The person's slot among their open windows, given back when both tasks are done.
    _slot: crate::web::sockets::Slot,
}

impl Drop for Link {
    /// The connection has ended, or its upgrade never completed.
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// A connection that said hello, joined its room, received the welcome and has its reader
/// running.
struct Open {
    link: Arc<Link>,
    sink: Arc<tokio::sync::Mutex<Sink>>,
    rx: tokio::sync::broadcast::Receiver<Frame>,
    room: RoomHandle,
    reader: tokio::task::JoinHandle<()>,
    reader_gone: tokio::sync::oneshot::Receiver<()>,
}

/// The start of a connection: its hello, joining the room, the welcome and the events it
/// missed, then its reader. `None` when the connection ends there (told why when there is
/// something to say).
///
/// Its futures (finding or starting the room, joining it, the catch-up) are large and used
/// once: `serve_connection` receives this one boxed and frees it when it is done, so the task
/// a connection keeps for hours holds only what its loop needs.
async fn open(socket: WebSocket, link: Arc<Link>) -> Option<Open> {
    let conn = &link.connection;
    let (mut sink, mut stream) = socket.split();
    // The first frame must be hello.
    let last_seq = match tokio::time::timeout(Duration::from_secs(15), stream.next()).await {
        Ok(Some(Ok(Message::Text(t)))) => match serde_json::from_str::<ClientFrame>(&t) {
            Ok(ClientFrame::Hello { last_seq }) => last_seq,
            _ => {
                let _ = send(&mut sink, close(1008, "primo messaggio atteso: hello")).await;
                return None;
            }
        },
        _ => return None,
    };
    // The room found at the upgrade may have closed (idle) since: `ask` joins the next one.
    let joined = link
        .state
        .rooms
        .ask(link.meeting_id, |room| {
            let conn = conn.clone();
            async move { Some((room.clone(), room.join(conn, last_seq).await?)) }
        })
        .await;
    let Ok(Some((room, joined))) = joined else {
        let _ = send(&mut sink, close(1011, "lavagna non disponibile")).await;
        return None;
    };
    let catch_up = async {
        sink.feed(Message::Text(joined.welcome)).await?;
        for f in &joined.missed {
            let text = f.for_viewer(&conn.actor).clone();
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
        return None;
    }
    // Reading runs in a task of its own, which writes its answers (acks, errors) itself and
    // watches for shutdown and logout: a connection woken for an outgoing event then polls
    // only the room's channel and a one-shot, never a shared token nor the socket's read side
    // (each read attempt costs tungstenite a zero-filled buffer: ~7% of the server's CPU when
    // it happened once per event sent; the token's lock another 1–2%).
    let sink = Arc::new(tokio::sync::Mutex::new(sink));
    let (reader_alive, reader_gone) = tokio::sync::oneshot::channel::<()>();
    let reader = tokio::spawn(read_ops(
        link.clone(),
        stream,
        sink.clone(),
        reader_alive,
        room.clone(),
    ));
    Some(Open {
        link,
        sink,
        rx: joined.rx,
        room,
        reader,
        reader_gone,
    })
}

/// The writing side of a board connection, for its whole life: forwards the room's frames.
async fn serve_connection(opening: std::pin::Pin<Box<impl Future<Output = Option<Open>>>>) {
    let Some(Open {
        link,
        sink,
        mut rx,
        room,
        reader,
        mut reader_gone,
    }) = opening.await
    else {
        return;
    };
    loop {
        tokio::select! {
            biased;
            frame = rx.recv() => {
                // The reader holds the sink only while it writes an answer.
                let mut sink = match sink.try_lock() {
                    Ok(sink) => sink,
                    Err(_) => Box::pin(sink.lock()).await,
                };
                let mut burst = std::pin::pin!(write_burst(&mut sink, &mut rx, frame, &link.connection.actor));
                // Almost always the socket takes the burst at once: arm the timer only when not.
                let first = std::future::poll_fn(|cx| std::task::Poll::Ready(burst.as_mut().poll(cx))).await;
                let ok = match first {
                    std::task::Poll::Ready(ok) => ok,
                    std::task::Poll::Pending => match Box::pin(tokio::time::timeout(SEND_TIMEOUT, burst)).await {
                        Ok(ok) => ok,
                        Err(_) => {
                            tracing::info!(meeting_id = link.meeting_id, "websocket not read for {SEND_TIMEOUT:?}: closed");
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
    let goodbye = if link.state.shutdown.is_cancelled() {
        Some(close(1001, "server in riavvio: riconnessione automatica"))
    } else if link.stop.is_cancelled() {
        Some(close(4001, "sessione terminata"))
    } else {
        None
    };
    if let Some(goodbye) = goodbye {
        answer(&sink, goodbye).await;
    }
    room.leave(link.connection.id);
}

/// Writes one frame between the writer's bursts (an ack, an error, a close), within
/// `SEND_TIMEOUT`. Boxed: it is rare next to waiting, and its future (the lock, the send, the
/// timer) would otherwise make every idle socket's tasks larger by as much.
fn answer(
    sink: &tokio::sync::Mutex<Sink>,
    msg: Message,
) -> std::pin::Pin<Box<dyn Future<Output = bool> + Send + '_>> {
    Box::pin(async move { send(&mut *sink.lock().await, msg).await })
}

type AckFuture =
    std::pin::Pin<Box<dyn std::future::Future<Output = (String, Result<i64, OpError>)> + Send>>;

/// The reading side of a board connection: checks each incoming frame, rate-limits, sends
/// operations to the room and writes every answer (ack, error, close). It returns when the
/// client goes away or `stop` is cancelled (shutdown, logout); dropping `alive` then ends the
/// writing side too.
async fn read_ops(
    link: Arc<Link>,
    mut stream: futures_util::stream::SplitStream<WebSocket>,
    sink: Arc<tokio::sync::Mutex<Sink>>,
    alive: tokio::sync::oneshot::Sender<()>,
    room: RoomHandle,
) {
    let _alive = alive;
    let (conn, meeting_id) = (&link.connection, link.meeting_id);
    let stopped = link.stop.cancelled();
    tokio::pin!(stopped);
    let mut acks: FuturesUnordered<AckFuture> = FuturesUnordered::new();
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
                        if !answer(&sink, refusal).await {
                            return;
                        }
                        continue;
                    }
                    Some(Ok(Message::Close(_))) | None => return,
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => {
                        if is_too_big(&e) {
                            answer(&sink, close(1009, "messaggio troppo grande (massimo 64 KiB)")).await;
                        }
                        return;
                    }
                };
                match check_op(&text, conn, &room) {
                    Ok((op_id, op)) => {
                        let room = room.clone();
                        let actor = conn.actor.clone();
                        let app = link.state.clone();
                        let disables_guests = matches!(op, Op::SetGuestCode { enabled: false });
                        acks.push(Box::pin(async move {
                            let r = match boards::resolve_carry_over(&app.catalogue, &app.rooms, meeting_id, op).await {
                                Ok(op) => room.op(actor, op_id.clone(), op).await,
                                Err(e) => Err(e),
                            };
                            if disables_guests && r.is_ok() {
                                // The code is off: the guests who joined with it leave now.
                                if let Err(e) = app.revocations.end(Access::GuestsOfMeeting(meeting_id)).await {
                                    tracing::error!(error = %e, meeting_id, "could not end the guests' sessions");
                                }
                            }
                            (op_id, r)
                        }));
                        continue;
                    }
                    Err(None) => continue,
                    Err(Some(refusal)) => refusal,
                }
            }
        };
        if !answer(&sink, reply).await {
            return;
        }
    }
}

/// An incoming text frame as an operation to send to the room, or the error frame to answer
/// (`None`: nothing to answer, e.g. a repeated hello). The rate is the person's on this board,
/// shared by all their connections (see [`RoomHandle::admit`]).
fn check_op(
    text: &str,
    conn: &Connection,
    room: &RoomHandle,
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
    if !room.admit(conn.actor.id) {
        return Err(Some(error_frame(
            &op_id,
            "rate_limited",
            "Stai inviando troppe operazioni: riprovo tra un attimo.",
            None,
        )));
    }
    match serde_json::from_value::<Op>(op) {
        Ok(op) => Ok((op_id, op)),
        Err(e) => {
            let msg = format!("Operazione non valida: {}", italian_serde(&e.to_string()));
            Err(Some(error_frame(&op_id, "invalid", &msg, None)))
        }
    }
}

/// Whether a read failed because the message was over `MAX_MESSAGE`. axum hands the socket's
/// error over as an opaque `axum::Error` around tungstenite's `CapacityError` (message or frame
/// too long), and its tungstenite is a private dependency of a version of its own, so the type
/// cannot be downcast from here: its debug text is all there is. The websocket tests send an
/// oversized message and expect the 1009 close, so a change of that text fails a test.
fn is_too_big(e: &axum::Error) -> bool {
    let s = format!("{e:?}");
    s.contains("Capacity") || s.contains("too long") || s.contains("TooLong")
}

/// An Italian reading of why an operation did not deserialise. serde_json tells only the
/// category of an error (syntax, data, end of input), not which rule failed, so the message is
/// read: serde's wording for an unknown variant, a missing field and an unknown field (with the
/// name between backticks). The unit test below pins that wording.
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

#[cfg(test)]
mod tests {
    use super::italian_serde;
    use crate::domain::board::Op;

    fn reading(json: &str) -> String {
        let e = serde_json::from_str::<Op>(json).expect_err(json);
        italian_serde(&e.to_string())
    }

    #[test]
    fn operations_that_do_not_parse_are_explained_in_italian() {
        assert_eq!(
            reading(r#"{"kind":"teleport"}"#),
            "tipo di operazione sconosciuto"
        );
        assert_eq!(
            reading(r#"{"kind":"vote"}"#),
            "manca un campo obbligatorio (card_id)"
        );
        // Card fields are closed sets (`deny_unknown_fields`).
        let e =
            serde_json::from_str::<crate::domain::cards::Need>(r#"{"text":"x","colore":"rosso"}"#)
                .expect_err("an unknown field");
        assert_eq!(italian_serde(&e.to_string()), "campo sconosciuto (colore)");
        assert_eq!(
            reading(r#"{"kind":"vote","card_id":7}"#),
            "formato dei dati non valido"
        );
    }
}
