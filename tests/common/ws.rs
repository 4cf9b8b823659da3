//! A real websocket client for the board (tokio-tungstenite).
#![allow(dead_code)]

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Message, http::HeaderValue};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Stream = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

pub struct Client {
    pub ws: Stream,
    /// Frames read while looking for something else, in arrival order.
    pending: std::collections::VecDeque<Value>,
    pub welcome: Value,
    pub last_seq: i64,
    /// Events up to this seq are already in a state loaded over HTTP: skipped when they arrive.
    loaded_through: i64,
    n: u64,
    name: String,
}

/// How a client proves who it is.
pub enum Auth<'a> {
    Bearer(&'a str),
    Cookie { cookie: &'a str, origin: &'a str },
}

pub async fn open(
    base: &str,
    meeting: i64,
    auth: Auth<'_>,
    query: &str,
) -> Result<Stream, tokio_tungstenite::tungstenite::Error> {
    let url = format!(
        "{}/ws/meetings/{meeting}{query}",
        base.replace("http://", "ws://")
    );
    let mut req = url.into_client_request().unwrap();
    match auth {
        Auth::Bearer(t) => {
            req.headers_mut().insert(
                "authorization",
                HeaderValue::from_str(&format!("Bearer {t}")).unwrap(),
            );
        }
        Auth::Cookie { cookie, origin } => {
            req.headers_mut()
                .insert("cookie", HeaderValue::from_str(cookie).unwrap());
            req.headers_mut()
                .insert("origin", HeaderValue::from_str(origin).unwrap());
        }
    }
    tokio_tungstenite::connect_async(req)
        .await
        .map(|(ws, _)| ws)
}

impl Client {
    pub async fn connect(base: &str, meeting: i64, token: &str, name: &str) -> Client {
        Self::connect_from(base, meeting, Auth::Bearer(token), name, 0).await
    }

    /// Connects as a participant, with the personal token of their enrollment answer.
    pub async fn participant(base: &str, meeting: i64, enrollment: &Value, name: &str) -> Client {
        Self::connect(
            base,
            meeting,
            &crate::common::personal_token(enrollment),
            name,
        )
        .await
    }

    pub async fn connect_from(
        base: &str,
        meeting: i64,
        auth: Auth<'_>,
        name: &str,
        last_seq: i64,
    ) -> Client {
        let http_auth = match &auth {
            Auth::Bearer(t) => ("authorization", format!("Bearer {t}")),
            Auth::Cookie { cookie, .. } => ("cookie", cookie.to_string()),
        };
        let ws = open(base, meeting, auth, "")
            .await
            .expect("websocket upgrade");
        let mut c = Client {
            ws,
            pending: Default::default(),
            welcome: Value::Null,
            last_seq,
            loaded_through: 0,
            n: 0,
            name: name.into(),
        };
        c.send(json!({"type": "hello", "last_seq": last_seq})).await;
        let mut w = c.next_of("welcome").await;
        // With a snapshot the client starts from the welcome's seq; otherwise the missed
        // events follow and are counted from the seq it asked for. A welcome that says `load`
        // is followed, as in a browser, by the board over HTTP (put into `welcome.state`);
        // the events the socket brings up to that state's seq are skipped.
        if w["load"] == true {
            let state = load_state(base, meeting, http_auth, w["seq"].as_i64().unwrap()).await;
            let seq = state["seq"].as_i64().unwrap();
            c.last_seq = seq;
            c.loaded_through = seq;
            w["state"] = state;
        } else if !w["state"].is_null() {
            c.last_seq = w["seq"].as_i64().unwrap();
        }
        c.welcome = w;
        c
    }

    pub async fn send(&mut self, v: Value) {
        self.ws.send(Message::text(v.to_string())).await.unwrap();
    }

    /// Sends an operation with a fresh op_id; returns the op_id.
    pub async fn op(&mut self, op: Value) -> String {
        self.n += 1;
        let op_id = format!("{}-{}", self.name, self.n);
        self.op_with_id(&op_id, op).await;
        op_id
    }

    pub async fn op_with_id(&mut self, op_id: &str, op: Value) {
        self.send(json!({"type": "op", "op_id": op_id, "op": op}))
            .await;
    }

    /// The next JSON frame (panics after 5 s).
    pub async fn next(&mut self) -> Value {
        if let Some(v) = self.pending.pop_front() {
            return v;
        }
        self.read().await
    }

    async fn read(&mut self) -> Value {
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(5), self.ws.next())
                .await
                .unwrap_or_else(|_| panic!("{}: no frame within 5 s", self.name))
                .unwrap_or_else(|| panic!("{}: connection closed", self.name))
                .unwrap();
            match msg {
                Message::Text(t) => {
                    let v: Value = serde_json::from_str(&t).unwrap();
                    if v["type"] == "event" {
                        let seq = v["seq"].as_i64().unwrap();
                        if seq <= self.loaded_through {
                            continue;
                        }
                        assert_eq!(
                            seq,
                            self.last_seq + 1,
                            "{}: events arrive in order without gaps",
                            self.name
                        );
                        self.last_seq = seq;
                    }
                    return v;
                }
                Message::Close(f) => panic!("{}: closed {f:?}", self.name),
                _ => continue,
            }
        }
    }

    /// The next frame of a type, skipping others (presence, events…).
    pub async fn next_of(&mut self, kind: &str) -> Value {
        loop {
            let v = self.next().await;
            if v["type"] == kind {
                return v;
            }
        }
    }

    /// The ack or error for an op_id.
    pub async fn reply(&mut self, op_id: &str) -> Value {
        let is_reply =
            |v: &Value| (v["type"] == "ack" || v["type"] == "error") && v["op_id"] == op_id;
        if let Some(i) = self.pending.iter().position(is_reply) {
            return self.pending.remove(i).unwrap();
        }
        loop {
            let v = self.read().await;
            if is_reply(&v) {
                return v;
            }
            self.pending.push_back(v);
        }
    }

    /// Sends an op and expects it acknowledged; returns its seq.
    pub async fn ok(&mut self, op: Value) -> i64 {
        let id = self.op(op.clone()).await;
        let r = self.reply(&id).await;
        assert_eq!(r["type"], "ack", "{}: {op} refused: {r}", self.name);
        r["seq"].as_i64().unwrap()
    }

    /// Sends an op and expects a refusal; returns the error code.
    pub async fn refused(&mut self, op: Value) -> String {
        let id = self.op(op.clone()).await;
        let r = self.reply(&id).await;
        assert_eq!(r["type"], "error", "{}: {op} accepted", self.name);
        r["code"].as_str().unwrap().to_string()
    }

    /// The next event frame (skipping acks, presence).
    pub async fn event(&mut self) -> Value {
        self.next_of("event").await
    }

    /// Reads events until `seq` is reached, returning them.
    pub async fn events_until(&mut self, seq: i64) -> Vec<Value> {
        let mut out = Vec::new();
        loop {
            let done = out
                .last()
                .is_some_and(|e: &Value| e["seq"].as_i64() >= Some(seq));
            if done
                || (out.is_empty()
                    && self.last_seq >= seq
                    && !self.pending.iter().any(|v| v["type"] == "event"))
            {
                return out;
            }
            out.push(self.event().await);
        }
    }
}

/// `GET /api/v1/meetings/{id}/board` with the socket's credentials, until the state is at
/// least at the welcome's seq (as `static/board/client.js` does).
pub async fn load_state(base: &str, meeting: i64, auth: (&str, String), at_least: i64) -> Value {
    let http = reqwest::Client::new();
    for _ in 0..20 {
        let r = http
            .get(format!("{base}/api/v1/meetings/{meeting}/board"))
            .header(auth.0, &auth.1)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "the board loads over HTTP");
        let state: Value = r.json().await.unwrap();
        if state["seq"].as_i64().unwrap() >= at_least {
            return state;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the board over HTTP stays older than the welcome's seq {at_least}");
}
