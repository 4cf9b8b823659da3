//! The board's state as one audience sees it, served over HTTP (`GET
//! /api/v1/meetings/{id}/board`) instead of in every connection's welcome: serialised once per
//! `seq` for each shared audience (facilitators; participants with nothing of their own on the
//! board) and gzip-compressed at most once, by the first request that accepts it. A welcome of
//! 190 KiB (300 cards) sent to 1,000 reconnecting sockets made every connection's write buffer
//! keep that size; now the socket carries a marker and the bytes of one shared answer.

use std::sync::{Arc, OnceLock};

use axum::body::Bytes;

use crate::domain::board::visibility::{has_own, view_for};
use crate::domain::board::{Actor, BoardState, nobody};

/// A shared view up to this size still travels in the welcome (an empty or nearly empty board:
/// the template, the phase): a round trip less for a fresh board, and a buffer no larger than
/// a few event frames. Anything larger is loaded over HTTP.
pub const INLINE_STATE_MAX: usize = 4 * 1024;

/// Who a view is built for: the two shared audiences, or one person with cards, votes or
/// anonymous cards of their own (whose view is theirs alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Facilitators,
    Public,
    Own,
}

impl Audience {
    pub fn of(state: &BoardState, viewer: &Actor) -> Audience {
        if viewer.is_facilitator() {
            Audience::Facilitators
        } else if has_own(state, viewer.id) {
            Audience::Own
        } else {
            Audience::Public
        }
    }

    /// The entity tag of this audience's view at `seq`. The view of one audience at one `seq`
    /// is always the same bytes; an `Own` tag is only ever compared with the same viewer's.
    pub fn etag(self, seq: i64) -> String {
        let who = match self {
            Audience::Facilitators => "f",
            Audience::Public => "p",
            Audience::Own => "o",
        };
        format!("\"{seq}-{who}\"")
    }
}

/// One view, serialised; compressed on first demand.
pub struct BoardBody {
    pub seq: i64,
    pub etag: String,
    json: Bytes,
    gzip: OnceLock<Bytes>,
}

impl BoardBody {
    fn new(seq: i64, audience: Audience, state: &BoardState) -> BoardBody {
        let json = serde_json::to_vec(state).expect("the board state serialises");
        BoardBody {
            seq,
            etag: audience.etag(seq),
            json: Bytes::from(json),
            gzip: OnceLock::new(),
        }
    }

    pub fn json(&self) -> Bytes {
        self.json.clone()
    }

    /// Small enough to travel in the welcome frame itself (see `INLINE_STATE_MAX`).
    pub(super) fn inline(&self) -> Option<&[u8]> {
        (self.json.len() <= INLINE_STATE_MAX).then_some(&self.json[..])
    }

    /// The gzip bytes, compressed by the first caller (the others wait for it and share them).
    pub fn gzip(&self) -> Bytes {
        self.gzip
            .get_or_init(|| {
                use std::io::Write;
                let mut z = flate2::write::GzEncoder::new(
                    Vec::with_capacity(self.json.len() / 6),
                    flate2::Compression::default(),
                );
                z.write_all(&self.json).expect("compressing in memory");
                Bytes::from(z.finish().expect("compressing in memory"))
            })
            .clone()
    }
}

/// What a request for the board gets from the room: nothing new when its tag is current.
pub enum BoardView {
    NotModified { etag: String },
    Body(Arc<BoardBody>),
}

/// The shared views of the current `seq` (a room filling up must not serialise the board a
/// thousand times).
#[derive(Default)]
pub(super) struct ViewCache {
    seq: i64,
    full: Option<Arc<BoardBody>>,
    public: Option<Arc<BoardBody>>,
}

impl ViewCache {
    /// The board as `viewer` may see it now, or `NotModified` when `known` is its tag.
    pub(super) fn view(
        &mut self,
        state: &BoardState,
        viewer: &Actor,
        known: Option<&str>,
    ) -> BoardView {
        let audience = Audience::of(state, viewer);
        let etag = audience.etag(state.seq);
        if known == Some(etag.as_str()) {
            return BoardView::NotModified { etag };
        }
        let body = match self.shared(state, audience) {
            Some(body) => body,
            None => Arc::new(BoardBody::new(
                state.seq,
                audience,
                &view_for(state, viewer),
            )),
        };
        BoardView::Body(body)
    }

    /// The view of a shared audience at the current `seq` (`None` for a person's own view).
    pub(super) fn shared(
        &mut self,
        state: &BoardState,
        audience: Audience,
    ) -> Option<Arc<BoardBody>> {
        if self.seq != state.seq {
            *self = ViewCache {
                seq: state.seq,
                ..ViewCache::default()
            };
        }
        let slot = match audience {
            Audience::Facilitators => &mut self.full,
            Audience::Public => &mut self.public,
            Audience::Own => return None,
        };
        let body = slot.get_or_insert_with(|| {
            let view;
            let shown = if audience == Audience::Facilitators {
                state
            } else {
                view = view_for(state, &nobody());
                &view
            };
            Arc::new(BoardBody::new(state.seq, audience, shown))
        });
        Some(body.clone())
    }
}
