//! Who sees what on a board, in one place.
//!
//! Facilitators (and the projector they open) see everything. Everyone else sees:
//! - active cards that are revealed, and their own cards even before the reveal of a blind
//!   phase; never withdrawn, hidden or merged cards;
//! - anonymous cards under the author "Anonimo" (their author sees their own name), and so
//!   the comments their author writes under them (`Comment::anonymous`);
//! - other people's votes counted under `*`, never named, and not at all while the totals are
//!   hidden ([`BoardState::totals_hidden`]); their own votes by their id;
//! - no guest join code (staff hand it out; the projector shows it in the room);
//! - the synthesis (syntheses by area, objectives with their comments, marks of the cards they
//!   see) as it is, but not the objectives a facilitator took out of the plan.
//!
//! The same rules shape the events sent live: an event goes in full to facilitators, to whoever
//! did it, and to the author of a card the public could not see; everyone else receives its
//! [`PublicEvent`]. The browser applies the public events with the same fold (see
//! `docs/board-protocol.md`).

use std::collections::BTreeMap;

use serde::{Serialize, Serializer};

use super::actor::{Actor, ActorId, ActorKind, anonymous_actor};
use super::events::{Event, EventRecord};
use super::model::{BoardState, Card, CardState};
use super::synthesis::Objective;

/// Whether `viewer` may see a card (facilitators see everything).
pub fn visible_to(card: &Card, viewer: &Actor) -> bool {
    if viewer.is_facilitator() {
        return true;
    }
    match &card.state {
        CardState::Active => card.revealed || card.author.id == viewer.id,
        _ => false,
    }
}

/// Whether the board holds anything of this person's own (a card, a vote): then their view
/// differs from the public one.
pub fn has_own(state: &BoardState, actor_id: ActorId) -> bool {
    state
        .cards
        .values()
        .any(|c| c.author.id == actor_id || c.votes.contains_key(&actor_id))
        || state.spent.values().any(|m| m.contains_key(&actor_id))
}

/// The state as one viewer may see it: invisible cards removed, anonymous authors hidden,
/// facilitator-only data blanked.
pub fn view_for(state: &BoardState, viewer: &Actor) -> BoardState {
    let mut v = state.clone();
    if viewer.is_facilitator() {
        return v;
    }
    v.cards.retain(|_, c| visible_to(c, viewer));
    v.card_order.retain(|id| v.cards.contains_key(id));
    let totals = !state.totals_hidden();
    for c in v.cards.values_mut() {
        scrub_history(c, viewer.id);
        if c.anonymous && c.author.id != viewer.id {
            c.author = anonymous_actor();
        }
        for k in &mut c.comments {
            if k.anonymous && k.author.id != viewer.id {
                k.author = anonymous_actor();
            }
        }
        // Other people's votes are counted, not named (nor counted while totals are hidden).
        let total = c.total_votes();
        let mine = c.votes.get(&viewer.id).copied();
        c.votes.clear();
        if totals && total > 0 {
            c.votes.insert(ActorId::Others, total - mine.unwrap_or(0));
        }
        if let Some(m) = mine {
            c.votes.insert(viewer.id, m);
        }
    }
    for m in v.spent.values_mut() {
        m.retain(|voter, _| *voter == viewer.id);
    }
    // The join code is for staff to hand out (the projector shows it in the room).
    v.guest_code = None;
    // Objectives taken out of the plan leave the board, as withdrawn cards do.
    v.objectives.retain(|_, o| o.is_active());
    v.objective_order.retain(|id| v.objectives.contains_key(id));
    v
}

/// A card as the public sees it (once it may see it at all): anonymous author hidden (on the
/// card and on the comments they wrote under it), votes counted, not named, and only when
/// `totals` may be seen.
pub fn public_card(card: &Card, totals: bool) -> Card {
    let mut c = card.clone();
    scrub_history(&mut c, ActorId::Nobody);
    if c.anonymous {
        c.author = anonymous_actor();
    }
    for k in c.comments.iter_mut().filter(|k| k.anonymous) {
        k.author = anonymous_actor();
    }
    let total = c.total_votes();
    c.votes.clear();
    if totals && total > 0 {
        c.votes.insert(ActorId::Others, total);
    }
    c
}

/// What a carried card brings from earlier meetings, as `viewer` may see it: the authors of
/// anonymous duplicates, and the anonymous author's own comments, are not named (to anyone but
/// themselves).
fn scrub_history(card: &mut Card, viewer: ActorId) {
    let author = card.author.id;
    let anonymous = card.anonymous;
    if let Some(from) = &mut card.carried_from {
        for m in &mut from.merged {
            if m.anonymous && m.author.id != viewer {
                m.author = anonymous_actor();
            }
        }
        for comment in &mut from.comments {
            let theirs = comment.anonymous || (anonymous && comment.author.id == author);
            if theirs && comment.author.id != viewer {
                comment.author = anonymous_actor();
            }
        }
    }
}

/// Whether the public sees a card: active and revealed.
fn public_sees(card: &Card) -> bool {
    card.is_active() && card.revealed
}

/// The totals people's boards take with an event that showed or hid the vote totals (a
/// facilitator's switch, a vote opened or closed): `None` when it did neither. `before_hidden`
/// is [`BoardState::totals_hidden`] before the event, `after` the state with it applied.
pub fn totals_change(before_hidden: bool, after: &BoardState) -> Option<BTreeMap<String, u32>> {
    (before_hidden != after.totals_hidden()).then(|| public_totals(after))
}

/// Every vote total the public may see now, by card (cards they see, with votes); none while
/// the totals are hidden.
fn public_totals(state: &BoardState) -> BTreeMap<String, u32> {
    if state.totals_hidden() {
        return BTreeMap::new();
    }
    state
        .cards
        .values()
        .filter(|c| public_sees(c) && c.total_votes() > 0)
        .map(|c| (c.id.clone(), c.total_votes()))
        .collect()
}

/// Whether the card an event touches is visible to the public before the event is applied
/// (`None`: the event touches no single card). Call it on the state *before* `apply`.
pub fn card_was_public(state: &BoardState, event: &Event) -> Option<bool> {
    event
        .touched_card()
        .and_then(|id| state.cards.get(id))
        .map(public_sees)
}

/// What people who do not receive an event in full receive instead.
#[derive(Debug, Clone, PartialEq)]
pub enum PublicEvent {
    /// The event itself, with its actor: nothing in it is private.
    AsIs,
    /// The event itself under the author "Anonimo": an anonymous card added, edited, withdrawn,
    /// or its author's comment under it.
    Anonymised,
    /// The event itself, the voter not named: a vote given or taken back.
    VoteCounted,
    /// Only that something happened (`seq` advances): a card not yet revealed, something done
    /// to such a card, a guest code.
    Redacted,
    /// A card people could see left the board (hidden by a facilitator); the reason stays with
    /// the facilitators.
    CardRemoved { card_id: String },
    /// Cards people may see from now on, as the public sees them: revealed, restored or carried
    /// over.
    CardsRevealed { cards: Vec<Card> },
    /// An objective back in the plan, whole (people's boards dropped it when it was taken out),
    /// with the order of the objectives in the plan now.
    ObjectiveShown {
        objective: Box<Objective>,
        objective_order: Vec<String>,
    },
}

/// The public version of an event. `after` is the state with the event applied; `before` is
/// [`card_was_public`] of the state before it.
pub fn public_event(after: &BoardState, rec: &EventRecord, before: Option<bool>) -> PublicEvent {
    let totals = !after.totals_hidden();
    let revealed = |ids: &mut dyn Iterator<Item = &String>| PublicEvent::CardsRevealed {
        cards: ids
            .filter_map(|id| after.cards.get(id))
            .filter(|c| public_sees(c))
            .map(|c| public_card(c, totals))
            .collect(),
    };
    let was_public = before == Some(true);
    match &rec.event {
        Event::CardAdded {
            revealed: false, ..
        }
        | Event::GuestCodeSet { .. } => PublicEvent::Redacted,
        Event::CardAdded {
            anonymous: true, ..
        } => PublicEvent::Anonymised,
        Event::CardHidden { card_id, .. } if was_public => PublicEvent::CardRemoved {
            card_id: card_id.clone(),
        },
        Event::CardHidden { .. } => PublicEvent::Redacted,
        Event::CardRestored { card_id } => revealed(&mut std::iter::once(card_id)),
        Event::Revealed { cards } => revealed(&mut cards.iter()),
        Event::CardsCarriedOver { cards, .. } => revealed(&mut cards.iter().map(|c| &c.card_id)),
        Event::ObjectiveRestored { objective_id } => match after.objectives.get(objective_id) {
            Some(o) if o.is_active() => PublicEvent::ObjectiveShown {
                objective: Box::new(o.clone()),
                objective_order: after.active_objectives().map(|o| o.id.clone()).collect(),
            },
            _ => PublicEvent::Redacted,
        },
        // Anything else done to a card the public cannot see.
        e if e.touched_card().is_some() && !was_public => PublicEvent::Redacted,
        Event::Voted { .. } | Event::Unvoted { .. } if !totals => PublicEvent::Redacted,
        Event::Voted { .. } | Event::Unvoted { .. } => PublicEvent::VoteCounted,
        Event::CardEdited { card_id, .. } | Event::CardWithdrawn { card_id }
            if after.cards.get(card_id).is_some_and(|c| c.anonymous) =>
        {
            PublicEvent::Anonymised
        }
        Event::Commented {
            card_id,
            comment_id,
            ..
        } if after.cards.get(card_id).is_some_and(|c| {
            // The comment just added is the last with its id (a merge may bring an older one).
            c.comments
                .iter()
                .rev()
                .find(|k| k.id == *comment_id)
                .is_some_and(|k| k.anonymous)
        }) =>
        {
            PublicEvent::Anonymised
        }
        _ => PublicEvent::AsIs,
    }
}

/// Who receives an event in full rather than its [`PublicEvent`]: facilitators, whoever did it
/// (their own card, their own vote), the author of a card the public could not see (a blind
/// card's author follows what happens to it), and the author of a card being hidden (who reads
/// why).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FullAudience {
    actor: ActorId,
    card_author: Option<ActorId>,
}

impl FullAudience {
    /// Facilitators only (e.g. the list of people present).
    pub fn facilitators() -> FullAudience {
        FullAudience {
            actor: ActorId::Nobody,
            card_author: None,
        }
    }

    /// The audience of an event. `after` is the state with the event applied; `before` is
    /// [`card_was_public`] of the state before it.
    pub fn of(after: &BoardState, rec: &EventRecord, before: Option<bool>) -> FullAudience {
        // The author of a card people could see learns in full only that it was hidden: the
        // reason is theirs to read (the public is told that the card left the board).
        let authors_own_news = matches!(rec.event, Event::CardHidden { .. });
        let card_author = rec
            .event
            .touched_card()
            .filter(|_| before != Some(true) || authors_own_news)
            .and_then(|id| after.cards.get(id))
            .map(|c| c.author.id);
        FullAudience {
            actor: rec.actor.id,
            card_author,
        }
    }

    /// Whether `viewer` receives the event in full.
    pub fn includes(&self, viewer: &Actor) -> bool {
        viewer.is_facilitator()
            || (self.actor != ActorId::Nobody && self.actor == viewer.id)
            || self.card_author == Some(viewer.id)
    }
}

/// The actor of an event as its receivers see it (the `actor` of an event frame).
#[derive(Debug)]
pub enum ShownActor<'a> {
    /// Who did it.
    Named(&'a Actor),
    /// The author of an anonymous card.
    Anonymous,
    /// Someone who voted, not named.
    Voter,
    /// Nobody in particular: the event is not theirs to know about.
    Unnamed,
}

impl Serialize for ShownActor<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Someone {
            id: ActorId,
            #[serde(skip_serializing_if = "Option::is_none")]
            kind: Option<ActorKind>,
            #[serde(skip_serializing_if = "Option::is_none")]
            name: Option<&'static str>,
        }
        match self {
            ShownActor::Named(actor) => actor.serialize(s),
            ShownActor::Anonymous => anonymous_actor().serialize(s),
            ShownActor::Voter => Someone {
                id: ActorId::Others,
                kind: Some(ActorKind::Participant),
                name: Some(""),
            }
            .serialize(s),
            ShownActor::Unnamed => Someone {
                id: ActorId::Others,
                kind: None,
                name: None,
            }
            .serialize(s),
        }
    }
}

/// The `event` of an event frame: a stored event, or one of the kinds only the public receives.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum ShownEvent<'a> {
    Stored(&'a Event),
    PublicOnly(PublicOnlyEvent<'a>),
}

/// Event kinds that exist only on the way to the public (`docs/board-protocol.md`).
#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PublicOnlyEvent<'a> {
    Redacted,
    CardRemoved {
        card_id: &'a str,
    },
    CardsRevealed {
        cards: &'a [Card],
    },
    ObjectiveShown {
        objective: &'a Objective,
        objective_order: &'a [String],
    },
}

impl PublicEvent {
    /// The actor and event of the frame the public receives for `rec`.
    pub fn shown<'a>(&'a self, rec: &'a EventRecord) -> (ShownActor<'a>, ShownEvent<'a>) {
        match self {
            PublicEvent::AsIs => (
                ShownActor::Named(&rec.actor),
                ShownEvent::Stored(&rec.event),
            ),
            PublicEvent::Anonymised => (ShownActor::Anonymous, ShownEvent::Stored(&rec.event)),
            PublicEvent::VoteCounted => (ShownActor::Voter, ShownEvent::Stored(&rec.event)),
            PublicEvent::Redacted => (
                ShownActor::Unnamed,
                ShownEvent::PublicOnly(PublicOnlyEvent::Redacted),
            ),
            PublicEvent::CardRemoved { card_id } => (
                ShownActor::Unnamed,
                ShownEvent::PublicOnly(PublicOnlyEvent::CardRemoved { card_id }),
            ),
            PublicEvent::CardsRevealed { cards } => (
                ShownActor::Unnamed,
                ShownEvent::PublicOnly(PublicOnlyEvent::CardsRevealed { cards }),
            ),
            PublicEvent::ObjectiveShown {
                objective,
                objective_order,
            } => (
                ShownActor::Named(&rec.actor),
                ShownEvent::PublicOnly(PublicOnlyEvent::ObjectiveShown {
                    objective,
                    objective_order,
                }),
            ),
        }
    }
}

#[cfg(test)]
mod tests;
