//! Bare relay: the baseline of the live-board benchmark (`examples/board_load.rs`).
//!
//! ```text
//! cargo build --release --example bare_relay
//! taskset -c 0 target/release/examples/bare_relay --bind 127.0.0.1:9001
//! ```
//!
//! One room, no persistence, no validation, no authentication: every operation a client sends is
//! given the next sequence number and broadcast, as it came, to every connection (the sender
//! included). It speaks just enough of the board protocol (`docs/board-protocol.md`) for the
//! same load generator to drive it and the Tavolo server alike:
//!
//! - `{"type":"hello",…}` is answered with `{"seq":N,"server_time":ms,"state":null,
//!   "type":"welcome","you":{"id":"r<conn>"}}`;
//! - `{"type":"op","op_id":"…","op":{…}}` becomes `{"actor":{"id":"r<conn>"},"at":ms,
//!   "event":{…the op object, verbatim…},"op_id":"…","seq":N,"type":"event"}` for everybody and
//!   `{"op_id":"…","seq":N,"type":"ack"}` for the sender. The op is not parsed: `op_id` and the
//!   op object are cut out of the text (the generator writes `type`, `op_id`, `op` in this order).
//!   Keys are in the same (alphabetical) order as Tavolo's frames.
//!
//! The serving loop is the one the design asks of Tavolo: each event is serialised once and the
//! same bytes (`Utf8Bytes`, reference counted) fan out through a `tokio::sync::broadcast`
//! channel of 4,096 frames; each connection writes everything queued, then flushes once; read
//! buffer 4 KiB, write buffer 16 KiB, TCP_NODELAY; a connection that falls more than 4,096
//! frames behind is closed; listen backlog 4,096 (`--backlog`). The tokio runtime has as many
//! workers as CPUs it may run on (one under `taskset -c 0`), like `tavolo serve`.
//!
//! Options for the benchmark's comparisons, off by default: `--pad-to N` pads event frames to N
//! bytes (Tavolo's are ~560), `--presence` emulates Tavolo's former presence frames (the list of up
//! to 300 connected people to everybody, at most every 500 ms after a join; Tavolo now sends
//! participants the count only), `--backlog 128` is what `tokio::net::TcpListener::bind` uses
//! (and Tavolo used before `tavolo::listen`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::broadcast::{self, error::RecvError, error::TryRecvError};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

#[derive(Parser, Debug)]
#[command(
    name = "bare_relay",
    about = "Websocket broadcast relay without persistence or validation (benchmark baseline)"
)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:9001")]
    bind: SocketAddr,
    /// Frames buffered per connection before it is dropped (Tavolo: 4096).
    #[arg(long, default_value_t = 4096)]
    buffer: usize,
    /// Listen backlog (accept queue; the kernel caps it at net.core.somaxconn). 4096 lets 1,000
    /// clients connecting at once wait for `accept` instead of having their SYNs dropped and
    /// retried a second later; `tokio::net::TcpListener::bind` uses 128 (`tavolo::listen`: 4,096).
    #[arg(long, default_value_t = 4096)]
    backlog: u32,
    /// Pad every event frame (in `actor.name`) to at least this many bytes, to put as many
    /// bytes on the wire as Tavolo does for the same op (its `card_added` frames are ~560 B).
    #[arg(long, default_value_t = 0)]
    pad_to: usize,
    /// Emulate Tavolo's presence: every 500 ms after someone joined, broadcast the list of
    /// who is connected (the first 300, ~100 B each) to everybody. Off by default.
    #[arg(long)]
    presence: bool,
}

/// The room: the sequence counter and the fan-out channel. Sequence numbers are taken and the
/// frame is sent under one lock, so that every connection sees them in order.
struct Room {
    seq: Mutex<u64>,
    tx: broadcast::Sender<Utf8Bytes>,
    pad_to: usize,
    /// Connections welcomed so far and whether one joined since the last presence frame.
    joined: Mutex<(u64, bool)>,
}

fn main() {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(serve(args));
}

async fn serve(args: Args) {
    let socket = if args.bind.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    };
    let listener = match socket.and_then(|s| {
        s.set_reuseaddr(true)?;
        s.bind(args.bind)?;
        s.listen(args.backlog)
    }) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("bare_relay: cannot listen on {}: {e}", args.bind);
            std::process::exit(2);
        }
    };
    let (tx, _) = broadcast::channel(args.buffer);
    let room = Arc::new(Room {
        seq: Mutex::new(0),
        tx,
        pad_to: args.pad_to,
        joined: Mutex::new((0, false)),
    });
    if args.presence {
        tokio::spawn(presence(room.clone()));
    }
    println!("bare_relay listening on {}", args.bind);
    let mut next_id: u64 = 1;
    loop {
        let (tcp, _) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                // Out of file descriptors and the like: wait, do not spin.
                eprintln!("bare_relay: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let id = next_id;
        next_id += 1;
        tokio::spawn(connection(tcp, id, room.clone()));
    }
}

/// Tavolo's presence frame, emulated: `{"count":N,"people":[…first 300…],"type":"presence"}`.
async fn presence(room: Arc<Room>) {
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    loop {
        tick.tick().await;
        let n = {
            let mut j = room.joined.lock().unwrap_or_else(|p| p.into_inner());
            if !std::mem::take(&mut j.1) {
                continue;
            }
            j.0
        };
        let people: Vec<String> = (1..=n.min(300))
            .map(|i| {
                format!(
                    r#"{{"id":"e:{i}","kind":"participant","name":"Persona di carico {i}","organisation":"Comune di Bergamo"}}"#
                )
            })
            .collect();
        let frame = format!(
            r#"{{"count":{n},"people":[{}],"type":"presence"}}"#,
            people.join(",")
        );
        let _ = room.tx.send(Utf8Bytes::from(frame));
    }
}

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

/// The text between `"key":"` and the next quote.
fn string_field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let needle = format!("\"{key}\":\"");
    let start = text.find(&needle)? + needle.len();
    let len = text[start..].find('"')?;
    Some(&text[start..start + len])
}

async fn connection(tcp: TcpStream, id: u64, room: Arc<Room>) {
    let config = WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(16 * 1024)
        .max_message_size(Some(64 * 1024))
        .max_frame_size(Some(64 * 1024));
    let Ok(ws) = tokio_tungstenite::accept_async_with_config(tcp, Some(config)).await else {
        return;
    };
    let (mut sink, mut stream) = ws.split();
    // The first frame must be hello.
    match tokio::time::timeout(Duration::from_secs(15), stream.next()).await {
        Ok(Some(Ok(Message::Text(t)))) if t.contains("\"type\":\"hello\"") => {}
        _ => return,
    }
    // Subscribe before reading the sequence: nothing after `seq` can be missed.
    let (mut rx, seq) = {
        let seq = room.seq.lock().unwrap_or_else(|p| p.into_inner());
        (room.tx.subscribe(), *seq)
    };
    let welcome = format!(
        r#"{{"seq":{seq},"server_time":{},"state":null,"type":"welcome","you":{{"id":"r{id}"}}}}"#,
        now_ms()
    );
    if sink.send(Message::text(welcome)).await.is_err() {
        return;
    }
    {
        let mut j = room.joined.lock().unwrap_or_else(|p| p.into_inner());
        j.0 += 1;
        j.1 = true;
    }
    loop {
        tokio::select! {
            frame = rx.recv() => {
                // Write everything queued, then flush once.
                let mut next = frame;
                loop {
                    match next {
                        Ok(f) => {
                            if sink.feed(Message::Text(f)).await.is_err() {
                                return;
                            }
                        }
                        Err(RecvError::Lagged(_)) => {
                            let _ = sink.feed(Message::text(r#"{"type":"resync"}"#)).await;
                            let _ = sink.close().await;
                            return;
                        }
                        Err(RecvError::Closed) => return,
                    }
                    next = match rx.try_recv() {
                        Ok(f) => Ok(f),
                        Err(TryRecvError::Lagged(n)) => Err(RecvError::Lagged(n)),
                        Err(TryRecvError::Empty) => break,
                        Err(TryRecvError::Closed) => Err(RecvError::Closed),
                    };
                }
                if sink.flush().await.is_err() {
                    return;
                }
            }
            incoming = stream.next() => {
                let text = match incoming {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                    Some(Ok(_)) => continue,
                };
                if !text.starts_with(r#"{"type":"op""#) {
                    continue;
                }
                let Some(op_id) = string_field(&text, "op_id") else { continue };
                let Some(op_at) = text.find(r#""op":"#) else { continue };
                // The op object as sent: from after `"op":` to before the final `}`.
                let op = text[op_at + 5..].trim_end().strip_suffix('}').unwrap_or_default();
                let at = now_ms();
                // Without the sequence number, to size the padding before taking the lock.
                let bare = 64 + op.len() + op_id.len();
                let pad = "x".repeat(room.pad_to.saturating_sub(bare));
                let seq = {
                    let mut seq = room.seq.lock().unwrap_or_else(|p| p.into_inner());
                    *seq += 1;
                    let frame = if pad.is_empty() {
                        format!(
                            r#"{{"actor":{{"id":"r{id}"}},"at":{at},"event":{op},"op_id":"{op_id}","seq":{},"type":"event"}}"#,
                            *seq
                        )
                    } else {
                        format!(
                            r#"{{"actor":{{"id":"r{id}","name":"{pad}"}},"at":{at},"event":{op},"op_id":"{op_id}","seq":{},"type":"event"}}"#,
                            *seq
                        )
                    };
                    let _ = room.tx.send(Utf8Bytes::from(frame));
                    *seq
                };
                let ack = format!(r#"{{"op_id":"{op_id}","seq":{seq},"type":"ack"}}"#);
                if sink.send(Message::text(ack)).await.is_err() {
                    return;
                }
            }
        }
    }
}
