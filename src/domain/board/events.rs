//! Events: what happened on a board, as stored in `board_events`, and [`apply`], the fold that
//! turns them into the state. The live room, the replay after a restart, the history page and
//! the export all call this one `apply`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::actor::{Actor, ActorId};
use super::model::{
    BoardState, Card, CardState, CarriedFrom, Comment, Group, OnBehalf, PhaseChange, Timer,
};
use super::ops::CarriedCard;
use super::reference::{letter, next_number};
use super::synthesis::{
    CardMark, MarkKind, Objective, ObjectiveContent, ObjectiveState, Synthesis,
};
use crate::domain::cards::CardContent;

/// What happened: stored in `board_events`, applied by [`apply`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    CardAdded {
        card_id: String,
        column: String,
        anonymous: bool,
        #[serde(default)]
        on_behalf_of: Option<OnBehalf>,
        revealed: bool,
        content: CardContent,
        /// Its number among the cards of its letter (see [`super::reference`]); absent in
        /// events written before cards had numbers, when the fold counts instead.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        number: Option<u32>,
    },
    CardEdited {
        card_id: String,
        content: CardContent,
    },
    CardWithdrawn {
        card_id: String,
    },
    Voted {
        card_id: String,
        phase: String,
    },
    Unvoted {
        card_id: String,
        phase: String,
    },
    Commented {
        card_id: String,
        comment_id: String,
        text: String,
    },
    PhaseSet {
        phase: String,
    },
    Locked {
        locked: bool,
    },
    CardHidden {
        card_id: String,
        reason: String,
    },
    CardRestored {
        card_id: String,
    },
    CardsMerged {
        into: String,
        cards: Vec<String>,
    },
    GroupCreated {
        group_id: String,
        title: String,
        column: String,
    },
    GroupRenamed {
        group_id: String,
        title: String,
    },
    CardGrouped {
        card_id: String,
        group_id: Option<String>,
    },
    CardMoved {
        card_id: String,
        column: String,
    },
    BlindSet {
        blind: bool,
    },
    Revealed {
        cards: Vec<String>,
    },
    TimerSet {
        timer: Option<Timer>,
    },
    Spotlighted {
        card_id: Option<String>,
    },
    GuestCodeSet {
        code: Option<String>,
    },
    AnonymousSet {
        allowed: bool,
    },
    VotesHiddenSet {
        hidden: bool,
    },
    VoteBudgetSet {
        phase: String,
        budget: u32,
    },
    CardsCarriedOver {
        from_meeting: i64,
        cards: Vec<CarriedCard>,
    },
    /// The synthesis of a policy area written or replaced; an empty `text` deleted it.
    SynthesisWritten {
        policy_area: String,
        text: String,
    },
    ObjectiveCreated {
        objective_id: String,
        /// Its number among the objectives of this board (see [`super::reference`]).
        number: u32,
        objective: ObjectiveContent,
    },
    ObjectiveEdited {
        objective_id: String,
        objective: ObjectiveContent,
    },
    ObjectiveRemoved {
        objective_id: String,
    },
    /// Back in the plan as it was when taken out (content, number, comments).
    ObjectiveRestored {
        objective_id: String,
    },
    ObjectiveCommented {
        objective_id: String,
        comment_id: String,
        text: String,
    },
    CardMarked {
        card_id: String,
        mark: MarkKind,
        #[serde(default)]
        note: Option<String>,
    },
    CardUnmarked {
        card_id: String,
    },
}

impl Event {
    /// The one card an event is about, when it is about one card (a merge, a reveal and a
    /// carry-over are about several: they are not).
    pub fn touched_card(&self) -> Option<&str> {
        match self {
            Event::CardEdited { card_id, .. }
            | Event::CardWithdrawn { card_id }
            | Event::Voted { card_id, .. }
            | Event::Unvoted { card_id, .. }
            | Event::Commented { card_id, .. }
            | Event::CardHidden { card_id, .. }
            | Event::CardRestored { card_id }
            | Event::CardGrouped { card_id, .. }
            | Event::CardMoved { card_id, .. }
            | Event::CardMarked { card_id, .. }
            | Event::CardUnmarked { card_id } => Some(card_id),
            Event::Spotlighted {
                card_id: Some(card_id),
            } => Some(card_id),
            _ => None,
        }
    }
}

/// An event as stored, with its sequence number and actor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    pub seq: i64,
    pub op_id: String,
    pub actor: Actor,
    pub at: i64,
    pub event: Event,
}

/// Applies an event. Events were checked by [`decide`] when written; applying one that no longer
/// fits (e.g. a card that does not exist) leaves the state unchanged rather than failing, so a
/// replay can never be stopped by an old event.
pub fn apply(state: &mut BoardState, rec: &EventRecord) {
    state.seq = rec.seq;
    let at = rec.at;
    match &rec.event {
        Event::CardAdded {
            card_id,
            column,
            anonymous,
            on_behalf_of,
            revealed,
            content,
            number,
        } => {
            if state.cards.contains_key(card_id) {
                return;
            }
            let number = number.unwrap_or_else(|| next_number(state, letter(content)));
            state.card_order.push(card_id.clone());
            state.cards.insert(
                card_id.clone(),
                Card {
                    id: card_id.clone(),
                    column: column.clone(),
                    content: content.clone(),
                    author: rec.actor.clone(),
                    on_behalf_of: on_behalf_of.clone(),
                    anonymous: *anonymous,
                    state: CardState::Active,
                    group: None,
                    votes: BTreeMap::new(),
                    comments: Vec::new(),
                    revealed: *revealed,
                    created_seq: rec.seq,
                    created_at: at,
                    updated_at: at,
                    number,
                    carried_from: None,
                    merged: Vec::new(),
                    mark: None,
                },
            );
        }
        Event::CardEdited { card_id, content } => {
            if let Some(c) = state.cards.get_mut(card_id) {
                c.content = content.clone();
                c.updated_at = at;
            }
        }
        Event::CardWithdrawn { card_id } => {
            set_card_state(state, card_id, CardState::Withdrawn, at)
        }
        Event::Voted { card_id, phase } => {
            if let Some(c) = state.cards.get_mut(card_id) {
                *c.votes.entry(rec.actor.id).or_default() += 1;
                *state
                    .spent
                    .entry(phase.clone())
                    .or_default()
                    .entry(rec.actor.id)
                    .or_default() += 1;
            }
        }
        Event::Unvoted { card_id, phase } => {
            if let Some(c) = state.cards.get_mut(card_id) {
                if let Some(v) = c.votes.get_mut(&rec.actor.id) {
                    *v = v.saturating_sub(1);
                    if *v == 0 {
                        c.votes.remove(&rec.actor.id);
                    }
                }
                if let Some(s) = state
                    .spent
                    .get_mut(phase)
                    .and_then(|m| m.get_mut(&rec.actor.id))
                {
                    *s = s.saturating_sub(1);
                }
            }
        }
        Event::Commented {
            card_id,
            comment_id,
            text,
        } => {
            if let Some(c) = state.cards.get_mut(card_id) {
                // The author of an anonymous card answering under it would otherwise sign it.
                let anonymous = c.anonymous && c.author.id == rec.actor.id;
                c.comments.push(Comment {
                    id: comment_id.clone(),
                    author: rec.actor.clone(),
                    text: text.clone(),
                    at,
                    anonymous,
                });
            }
        }
        Event::PhaseSet { phase } => {
            state.phase = phase.clone();
            state.history.push(PhaseChange {
                phase: phase.clone(),
                at,
                by: rec.actor.name.clone(),
            });
        }
        Event::Locked { locked } => state.locked = *locked,
        Event::CardHidden { card_id, reason } => set_card_state(
            state,
            card_id,
            CardState::Hidden {
                reason: reason.clone(),
                by: rec.actor.name.clone(),
            },
            at,
        ),
        Event::CardRestored { card_id } => set_card_state(state, card_id, CardState::Active, at),
        Event::CardsMerged { into, cards } => {
            let mut moved_votes: BTreeMap<ActorId, u32> = BTreeMap::new();
            let mut moved_comments = Vec::new();
            for id in cards {
                if let Some(c) = state.cards.get_mut(id) {
                    c.state = CardState::Merged { into: into.clone() };
                    for (voter, n) in std::mem::take(&mut c.votes) {
                        *moved_votes.entry(voter).or_default() += n;
                    }
                    moved_comments.append(&mut c.comments);
                }
            }
            if let Some(target) = state.cards.get_mut(into) {
                for (voter, n) in moved_votes {
                    *target.votes.entry(voter).or_default() += n;
                }
                target.comments.append(&mut moved_comments);
                target.merged.extend(cards.iter().cloned());
            }
            if state.spotlight.as_ref().is_some_and(|s| cards.contains(s)) {
                state.spotlight = Some(into.clone());
            }
        }
        Event::GroupCreated {
            group_id,
            title,
            column,
        } => {
            state.groups.insert(
                group_id.clone(),
                Group {
                    id: group_id.clone(),
                    title: title.clone(),
                    column: column.clone(),
                },
            );
        }
        Event::GroupRenamed { group_id, title } => {
            if let Some(g) = state.groups.get_mut(group_id) {
                g.title = title.clone();
            }
        }
        Event::CardGrouped { card_id, group_id } => {
            if let Some(c) = state.cards.get_mut(card_id) {
                c.group = group_id.clone();
            }
        }
        Event::CardMoved { card_id, column } => {
            if let Some(c) = state.cards.get_mut(card_id) {
                if &c.column != column {
                    c.column = column.clone();
                    c.group = None;
                }
            }
        }
        Event::BlindSet { blind } => state.blind = *blind,
        Event::Revealed { cards } => {
            for id in cards {
                if let Some(c) = state.cards.get_mut(id) {
                    c.revealed = true;
                }
            }
        }
        Event::TimerSet { timer } => state.timer = timer.clone(),
        Event::Spotlighted { card_id } => state.spotlight = card_id.clone(),
        Event::GuestCodeSet { code } => state.guest_code = code.clone(),
        Event::AnonymousSet { allowed } => state.anonymous_allowed = *allowed,
        Event::VotesHiddenSet { hidden } => state.votes_hidden = *hidden,
        Event::VoteBudgetSet { phase, budget } => {
            state.vote_budgets.insert(phase.clone(), *budget);
        }
        Event::CardsCarriedOver {
            from_meeting,
            cards,
        } => {
            for c in cards {
                if state.cards.contains_key(&c.card_id) {
                    continue;
                }
                let number = c
                    .number
                    .unwrap_or_else(|| next_number(state, letter(&c.content)));
                state.card_order.push(c.card_id.clone());
                state.cards.insert(
                    c.card_id.clone(),
                    Card {
                        id: c.card_id.clone(),
                        column: c.column.clone(),
                        content: c.content.clone(),
                        author: c.author.clone(),
                        on_behalf_of: c.on_behalf_of.clone(),
                        anonymous: c.anonymous,
                        state: CardState::Active,
                        group: None,
                        // Votes belong to the meeting that cast them: a carried card starts
                        // with none.
                        votes: BTreeMap::new(),
                        comments: Vec::new(),
                        revealed: true,
                        created_seq: rec.seq,
                        created_at: at,
                        updated_at: at,
                        number,
                        carried_from: Some(CarriedFrom {
                            meeting: *from_meeting,
                            card: c.from_card.clone(),
                            reference: c.from_reference.clone(),
                            created_at: c.created_at,
                            comments: c.comments.clone(),
                            merged: c.merged.clone(),
                        }),
                        merged: Vec::new(),
                        mark: None,
                    },
                );
            }
        }
        Event::SynthesisWritten { policy_area, text } if text.is_empty() => {
            state.syntheses.remove(policy_area);
        }
        Event::SynthesisWritten { policy_area, text } => {
            state.syntheses.insert(
                policy_area.clone(),
                Synthesis {
                    policy_area: policy_area.clone(),
                    text: text.clone(),
                    by: rec.actor.name.clone(),
                    at,
                },
            );
        }
        Event::ObjectiveCreated {
            objective_id,
            number,
            objective,
        } => {
            if state.objectives.contains_key(objective_id) {
                return;
            }
            state.objective_order.push(objective_id.clone());
            state.objectives.insert(
                objective_id.clone(),
                Objective {
                    id: objective_id.clone(),
                    number: *number,
                    content: objective.clone(),
                    state: ObjectiveState::Active,
                    created_by: rec.actor.name.clone(),
                    created_seq: rec.seq,
                    created_at: at,
                    updated_by: rec.actor.name.clone(),
                    updated_at: at,
                    comments: Vec::new(),
                },
            );
        }
        Event::ObjectiveEdited {
            objective_id,
            objective,
        } => {
            if let Some(o) = state.objectives.get_mut(objective_id) {
                o.content = objective.clone();
                o.updated_by = rec.actor.name.clone();
                o.updated_at = at;
            }
        }
        Event::ObjectiveRemoved { objective_id } => {
            if let Some(o) = state.objectives.get_mut(objective_id) {
                o.state = ObjectiveState::Removed {
                    by: rec.actor.name.clone(),
                };
                o.updated_by = rec.actor.name.clone();
                o.updated_at = at;
            }
        }
        Event::ObjectiveRestored { objective_id } => {
            if let Some(o) = state.objectives.get_mut(objective_id) {
                o.state = ObjectiveState::Active;
                o.updated_by = rec.actor.name.clone();
                o.updated_at = at;
            }
        }
        Event::ObjectiveCommented {
            objective_id,
            comment_id,
            text,
        } => {
            if let Some(o) = state.objectives.get_mut(objective_id) {
                o.comments.push(Comment {
                    id: comment_id.clone(),
                    author: rec.actor.clone(),
                    text: text.clone(),
                    at,
                    anonymous: false,
                });
            }
        }
        Event::CardMarked {
            card_id,
            mark,
            note,
        } => {
            if let Some(c) = state.cards.get_mut(card_id) {
                c.mark = Some(CardMark {
                    kind: *mark,
                    note: note.clone(),
                    by: rec.actor.name.clone(),
                    at,
                });
            }
        }
        Event::CardUnmarked { card_id } => {
            if let Some(c) = state.cards.get_mut(card_id) {
                c.mark = None;
            }
        }
    }
}

/// A card's state changed (withdrawn, hidden, restored): that is an update of the card.
fn set_card_state(state: &mut BoardState, card_id: &str, new: CardState, at: i64) {
    if let Some(c) = state.cards.get_mut(card_id) {
        c.state = new;
        c.updated_at = at;
    }
    if state.spotlight.as_deref() == Some(card_id) {
        state.spotlight = None;
    }
}
