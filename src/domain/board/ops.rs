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
    /// Hides vote totals from the screens while a vote runs (`true`), or shows them (`false`).
    SetVotesHidden {
        hidden: bool,
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
    /// Writes (or replaces) the synthesis of a policy area; an empty `text` deletes it.
    WriteSynthesis {
        policy_area: String,
        text: String,
    },
    /// Creates an objective with a client-chosen id.
    CreateObjective {
        objective_id: String,
        objective: ObjectiveDraft,
    },
    /// Replaces everything an objective says.
    EditObjective {
        objective_id: String,
        objective: ObjectiveDraft,
    },
    /// Takes an objective out of the plan (its record stays).
    RemoveObjective {
        objective_id: String,
    },
    /// Puts an objective taken out of the plan back in it, as it was.
    RestoreObjective {
        objective_id: String,
    },
    CommentObjective {
        objective_id: String,
        comment_id: String,
        text: String,
    },
    /// Marks a card as an open question or a topic for co-progettazione (`mark`: an id of
    /// [`super::MarkKind`]), replacing any earlier mark.
    MarkCard {
        card_id: String,
        mark: String,
        #[serde(default)]
        note: Option<String>,
    },
    UnmarkCard {
        card_id: String,
    },
}

/// An objective as a client sends it: `decide` checks every field and turns it into an
/// [`super::ObjectiveContent`]. Loosely typed where people type (amounts, funds), so that a
/// wrong value gets an Italian message naming its line rather than a parse error.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectiveDraft {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub interventions: Option<String>,
    #[serde(default)]
    pub target_group: Option<String>,
    #[serde(default)]
    pub expected_result: Option<String>,
    #[serde(default)]
    pub timeline: Option<String>,
    /// Ids of `bisogno` cards.
    #[serde(default)]
    pub needs: Vec<String>,
    /// Ids of `indicatore` cards.
    #[serde(default)]
    pub indicators: Vec<String>,
    #[serde(default)]
    pub actors: Vec<String>,
    #[serde(default)]
    pub sovrazonale: bool,
    #[serde(default)]
    pub policy_area: Option<String>,
    #[serde(default)]
    pub resources: Vec<ResourceDraft>,
    #[serde(default)]
    pub staff: Option<String>,
}

/// A line of economic resources as a client sends it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceDraft {
    /// Whole euro cents, a JSON integer ≥ 0 (anything else is refused with a message).
    #[serde(default)]
    pub amount_cents: serde_json::Value,
    /// An id of [`super::Fund`].
    #[serde(default)]
    pub fund: String,
    #[serde(default)]
    pub description: Option<String>,
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
