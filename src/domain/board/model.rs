//! The board's state: cards, themes, votes, timer, phase — what the fold of the events
//! ([`super::apply`]) produces and every screen and document shows.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::actor::{Actor, ActorId};
use super::phases::{Permission, phase_rules};
use super::synthesis::{CardMark, Objective, Synthesis};
use crate::domain::cards::CardContent;
use crate::domain::workshop::BoardTemplate;

/// Why a card is not shown on the board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum CardState {
    Active,
    /// Withdrawn by its author.
    Withdrawn,
    /// Hidden by a facilitator, with the reason.
    Hidden {
        reason: String,
        by: String,
    },
    /// Merged into another card (a duplicate).
    Merged {
        into: String,
    },
}

/// A card on the board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Card {
    pub id: String,
    /// Column (card kind) it currently sits in.
    pub column: String,
    pub content: CardContent,
    pub author: Actor,
    /// Entered by a facilitator for someone without a device: that person's name and body.
    pub on_behalf_of: Option<OnBehalf>,
    pub anonymous: bool,
    pub state: CardState,
    pub group: Option<String>,
    /// Votes by voter id.
    pub votes: BTreeMap<ActorId, u32>,
    pub comments: Vec<Comment>,
    /// False while the phase keeps new cards hidden until the facilitator reveals them.
    pub revealed: bool,
    pub created_seq: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// Its number among the cards of its letter on this board (see [`super::reference`]).
    #[serde(default)]
    pub number: u32,
    /// Carried over from an earlier meeting: where from, and what it brings.
    pub carried_from: Option<CarriedFrom>,
    /// Ids of the cards merged into this one.
    pub merged: Vec<String>,
    /// Marked by a facilitator as an open question or a topic for co-progettazione, with a
    /// note (see [`super::synthesis`]); cards written before marks existed have none.
    #[serde(default)]
    pub mark: Option<CardMark>,
}

/// Where a card carried over from an earlier meeting came from, and what it brings with it:
/// its history stays with it, while its votes belong to the meeting that cast them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CarriedFrom {
    pub meeting: i64,
    pub card: String,
    /// The card's reference there, "M3-1/B01" (carry-overs written before cards had numbers
    /// lack it).
    #[serde(default)]
    pub reference: Option<String>,
    /// When it was first written (in the first meeting, for a card carried more than once).
    #[serde(default)]
    pub created_at: Option<i64>,
    /// The comments it received in earlier meetings.
    #[serde(default)]
    pub comments: Vec<Comment>,
    /// The duplicates merged into it in earlier meetings.
    #[serde(default)]
    pub merged: Vec<MergedCard>,
}

/// A duplicate merged into a card in an earlier meeting, as it was written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergedCard {
    pub meeting: i64,
    /// Its reference in that meeting, "M3-1/B04".
    #[serde(default)]
    pub reference: Option<String>,
    pub content: CardContent,
    pub author: Actor,
    #[serde(default)]
    pub on_behalf_of: Option<OnBehalf>,
    pub anonymous: bool,
    pub created_at: i64,
}

impl Card {
    pub fn total_votes(&self) -> u32 {
        self.votes.values().sum()
    }

    pub fn is_active(&self) -> bool {
        self.state == CardState::Active
    }

    /// The body the card speaks for: that of the person it was written for, else its author's.
    /// Whether it may be shown (anonymous cards) is for the caller to decide.
    pub fn organisation(&self) -> Option<&str> {
        match &self.on_behalf_of {
            Some(o) => o.organisation.as_deref(),
            None => self.author.organisation.as_deref(),
        }
    }

    /// The Ambito the card speaks for: that of the person it was written for, else its
    /// author's (a participant's from enrollment, a guest's as declared). Whether it may be
    /// shown (anonymous cards) is for the caller to decide.
    pub fn ambito(&self) -> Option<&str> {
        match &self.on_behalf_of {
            Some(o) => o.ambito.as_deref(),
            None => self.author.ambito.as_deref(),
        }
    }
}

/// The person a facilitator wrote a card for (someone without a device, or who spoke aloud).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnBehalf {
    pub name: String,
    #[serde(default)]
    pub organisation: Option<String>,
    /// Their Ambito territoriale, so that an Ambito filter keeps their card (events stored
    /// before it was asked have none).
    #[serde(default)]
    pub ambito: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    pub id: String,
    pub author: Actor,
    pub text: String,
    pub at: i64,
    /// Written by the author of an anonymous card, on that card: shown under "Anonimo" to
    /// everyone but facilitators and its author, wherever the comment goes (a merge moves it
    /// to another card). Set by `apply`.
    #[serde(default)]
    pub anonymous: bool,
}

/// A named theme grouping cards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub id: String,
    pub title: String,
    pub column: String,
}

/// The shared timer: every screen shows the same countdown from `ends_at` (server time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Timer {
    Running { ends_at: i64, duration_ms: i64 },
    Paused { remaining_ms: i64, duration_ms: i64 },
}

/// The whole board of one meeting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoardState {
    pub meeting_id: i64,
    /// Last applied event.
    pub seq: i64,
    pub template: BoardTemplate,
    pub phase: String,
    pub locked: bool,
    /// Whether participants may post anonymous cards.
    pub anonymous_allowed: bool,
    /// New cards stay hidden from other participants until revealed.
    pub blind: bool,
    /// Vote totals are kept from participants while a vote runs, until a facilitator shows
    /// them or the phase moves on (against bandwagon voting): see [`BoardState::totals_hidden`].
    #[serde(default)]
    pub votes_hidden: bool,
    /// Vote budget per person per phase, when a facilitator changed the default.
    pub vote_budgets: BTreeMap<String, u32>,
    /// Votes spent: phase → voter → count.
    pub spent: BTreeMap<String, BTreeMap<ActorId, u32>>,
    pub cards: BTreeMap<String, Card>,
    pub card_order: Vec<String>,
    pub groups: BTreeMap<String, Group>,
    pub timer: Option<Timer>,
    pub spotlight: Option<String>,
    /// Guest join code, when a facilitator enabled one.
    pub guest_code: Option<String>,
    /// Phases that have been visited, in order (for the minutes).
    pub history: Vec<PhaseChange>,
    /// The written synthesis of each policy area, by area (phase «sintesi» and after; see
    /// [`super::synthesis`]).
    #[serde(default)]
    pub syntheses: BTreeMap<String, Synthesis>,
    /// The objectives of the plan by id, removed ones included (`Objective::state`).
    #[serde(default)]
    pub objectives: BTreeMap<String, Objective>,
    /// Objective ids in the order they were created (see `BoardState::active_objectives`).
    #[serde(default)]
    pub objective_order: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseChange {
    pub phase: String,
    pub at: i64,
    pub by: String,
}

impl BoardState {
    /// Whether other people's votes are kept from participants now: a facilitator hid the
    /// totals and the phase is a vote (moving on closes the vote and shows them). Participants
    /// then receive and load only their own votes (`visibility`).
    pub fn totals_hidden(&self) -> bool {
        self.votes_hidden && phase_rules(&self.phase).0.contains(&Permission::Vote)
    }

    /// An empty board for a meeting, from its template.
    pub fn new(meeting_id: i64, template: BoardTemplate) -> BoardState {
        let phase = template
            .phases
            .first()
            .cloned()
            .unwrap_or_else(|| "raccolta".into());
        BoardState {
            meeting_id,
            seq: 0,
            template,
            phase,
            locked: false,
            anonymous_allowed: false,
            votes_hidden: false,
            blind: false,
            vote_budgets: BTreeMap::new(),
            spent: BTreeMap::new(),
            cards: BTreeMap::new(),
            card_order: Vec::new(),
            groups: BTreeMap::new(),
            timer: None,
            spotlight: None,
            guest_code: None,
            history: Vec::new(),
            syntheses: BTreeMap::new(),
            objectives: BTreeMap::new(),
            objective_order: Vec::new(),
        }
    }

    /// The vote budget per person in a phase.
    pub fn vote_budget(&self, phase: &str) -> u32 {
        self.vote_budgets
            .get(phase)
            .copied()
            .unwrap_or(phase_rules(phase).1)
    }

    /// The votes a person has cast in a phase.
    pub fn votes_spent(&self, phase: &str, voter: ActorId) -> u32 {
        self.spent
            .get(phase)
            .and_then(|m| m.get(&voter))
            .copied()
            .unwrap_or(0)
    }

    /// The cards on the board that are shown (for counts and exports), in board order.
    pub fn active_cards(&self) -> impl Iterator<Item = &Card> {
        self.card_order
            .iter()
            .filter_map(|id| self.cards.get(id))
            .filter(|c| c.is_active())
    }
}
