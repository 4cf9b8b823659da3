//! Operations: what a client asks the board to do. [`super::decide`] checks each one and turns
//! it into an [`super::Event`].

use serde::{Deserialize, Serialize};

use super::actor::Actor;
use super::model::{Comment, MergedCard, OnBehalf};
use crate::domain::cards::CardContent;

/// An operation a client asks for.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Op {
    AddCard {
        card_id: String,
        #[serde(default)]
        column: Option<String>,
        #[serde(default)]
        anonymous: bool,
        #[serde(default)]
        on_behalf_of: Option<OnBehalf>,
        #[serde(flatten)]
        content: CardContent,
    },
    EditCard {
        card_id: String,
        #[serde(flatten)]
        content: CardContent,
    },
    WithdrawCard {
        card_id: String,
    },
    Vote {
        card_id: String,
    },
    Unvote {
        card_id: String,
    },
    Comment {
        card_id: String,
        comment_id: String,
        text: String,
    },
    SetPhase {
        phase: String,
    },
    Lock {
        locked: bool,
    },
    Hide {
        card_id: String,
        reason: String,
    },
    Restore {
        card_id: String,
    },
    Merge {
        into: String,
        cards: Vec<String>,
    },
    CreateGroup {
        group_id: String,
        title: String,
        column: String,
    },
    RenameGroup {
        group_id: String,
        title: String,
    },
    Group {
        card_id: String,
        group_id: Option<String>,
    },
    Move {
        card_id: String,
        column: String,
    },
    SetBlind {
        blind: bool,
    },
    Reveal {},
    Timer {
        action: TimerAction,
        #[serde(default)]
        seconds: Option<i64>,
    },
    Spotlight {
        card_id: Option<String>,
    },
    SetGuestCode {
        enabled: bool,
    },
    SetAnonymous {
        allowed: bool,
    },
    SetVoteBudget {
        phase: String,
        budget: u32,
    },
    /// Carry cards over from an earlier meeting of the workshop, by their ids there. The server
    /// resolves it into [`Op::CarryOverCards`] with the cards' content and authors.
    CarryOver {
        from_meeting: i64,
        cards: Vec<String>,
    },
    /// A resolved carry-over. Never accepted from clients: they could invent authors.
    #[serde(skip_deserializing)]
    CarryOverCards {
        from_meeting: i64,
        cards: Vec<CarriedCard>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimerAction {
    Start,
    Pause,
    Resume,
    Stop,
}

/// A card copied from an earlier meeting (the room fills these from that meeting's board).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CarriedCard {
    pub from_card: String,
    pub card_id: String,
    pub column: String,
    pub content: CardContent,
    pub author: Actor,
    pub anonymous: bool,
    /// Its number in this meeting, assigned by `decide` (absent in events written before cards
    /// had numbers: the fold then counts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<u32>,
    /// The card's reference in the meeting it comes from, "M3-1/B01".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_reference: Option<String>,
    /// When it was first written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    /// The person a facilitator wrote it for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<OnBehalf>,
    /// The comments it received in earlier meetings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub comments: Vec<Comment>,
    /// The duplicates merged into it in earlier meetings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged: Vec<MergedCard>,
}
