//! What leaves a room, serialised once: each event in full and in its public version, the
//! welcome, the presence. Keys are in alphabetical order in every frame, so `type` comes last
//! (the load generator reads it from the end).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::ws::Utf8Bytes;
use serde::Serialize;
use serde_json::{Value, json};

use crate::domain::board::visibility::{
    self, FullAudience, PublicEvent, ShownActor, ShownEvent, card_was_public, totals_change,
};
use crate::domain::board::{Actor, BoardState, EventRecord};

/// One frame as sent: the full bytes, the public bytes, and who receives the full ones.
pub struct Broadcast {
    audience: FullAudience,
    full: Utf8Bytes,
    public: Utf8Bytes,
}

pub type Frame = Arc<Broadcast>;

impl Broadcast {
    /// The bytes for a connection of `viewer`.
    pub fn for_viewer(&self, viewer: &Actor) -> &Utf8Bytes {
        if self.audience.includes(viewer) {
            &self.full
        } else {
            &self.public
        }
    }
}

/// What the public could see before an event is applied, which its frame needs afterwards:
/// the card it touches (see [`card_was_public`]) and whether vote totals were hidden.
pub struct Before {
    card_public: Option<bool>,
    totals_hidden: bool,
}

impl Before {
    pub fn of(state: &BoardState, rec: &EventRecord) -> Before {
        Before {
            card_public: card_was_public(state, &rec.event),
            totals_hidden: state.totals_hidden(),
        }
    }
}

/// The frames of an event, built once the event is applied to `after`.
pub fn event(after: &BoardState, rec: &EventRecord, before: Before) -> Frame {
    let full = event_frame(
        rec,
        &ShownActor::Named(&rec.actor),
        &ShownEvent::Stored(&rec.event),
        None,
    );
    let totals = totals_change(before.totals_hidden, after);
    let public = match (
        visibility::public_event(after, rec, before.card_public),
        &totals,
    ) {
        (PublicEvent::AsIs, None) => full.clone(),
        (shown, totals) => {
            let (actor, event) = shown.shown(rec);
            event_frame(rec, &actor, &event, totals.as_ref())
        }
    };
    Arc::new(Broadcast {
        audience: FullAudience::of(after, rec, before.card_public),
        full,
        public,
    })
}

/// An event frame, serialised straight from the types (no intermediate `Value`).
fn event_frame(
    rec: &EventRecord,
    actor: &ShownActor,
    event: &ShownEvent,
    totals: Option<&BTreeMap<String, u32>>,
) -> Utf8Bytes {
    #[derive(Serialize)]
    struct EventFrame<'a> {
        actor: &'a ShownActor<'a>,
        at: i64,
        event: &'a ShownEvent<'a>,
        op_id: &'a str,
        seq: i64,
        #[serde(skip_serializing_if = "Option::is_none")]
        totals: Option<&'a BTreeMap<String, u32>>,
        r#type: &'static str,
    }
    let frame = EventFrame {
        actor,
        at: rec.at,
        event,
        op_id: &rec.op_id,
        seq: rec.seq,
        totals,
        r#type: "event",
    };
    Utf8Bytes::from(serde_json::to_string(&frame).expect("event frames serialise"))
}

/// The first frame of a connection: who they are, and how to get the board — `state` (a small
/// board, as they may see it), or `load` (read it from `GET /api/v1/meetings/{id}/board`), or
/// neither (the missed events follow). The state of a large board is never in the welcome: a
/// frame of 190 KiB (300 cards) sent to every reconnecting socket made each connection's write
/// buffer keep that size.
pub fn welcome(
    seq: i64,
    server_time: i64,
    state: Option<&[u8]>,
    load: bool,
    viewer: &Actor,
    read_only: bool,
) -> Utf8Bytes {
    let you = json!({
        "id": viewer.id, "kind": viewer.kind, "name": viewer.name,
        "organisation": viewer.organisation,
        "is_facilitator": viewer.is_facilitator(), "read_only": read_only,
    });
    // The state is serialised JSON already (shared by every welcome at this `seq`).
    let state = state
        .and_then(|s| std::str::from_utf8(s).ok())
        .unwrap_or("null");
    Utf8Bytes::from(format!(
        r#"{{"load":{load},"seq":{seq},"server_time":{server_time},"state":{state},"type":"welcome","you":{you}}}"#
    ))
}

/// Who is connected now: the list for facilitators and the projector, the count for everyone
/// else. A list of 300 names sent to 1,000 phones made every connection's write buffer keep
/// 29 KiB (29 MiB of the server's memory); participants read the list over HTTP when they open
/// it (`GET /api/v1/meetings/{id}/presence`).
pub fn presence(count: usize, people: &[Value]) -> Frame {
    let full = json!({"type": "presence", "count": count, "people": people}).to_string();
    let public = json!({"type": "presence", "count": count}).to_string();
    Arc::new(Broadcast {
        audience: FullAudience::facilitators(),
        full: Utf8Bytes::from(full),
        public: Utf8Bytes::from(public),
    })
}
