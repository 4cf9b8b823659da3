//! The board's event model, in one place.
//!
//! A board is the fold of its events: [`apply`] is the only way state changes, and the live
//! room, the replay after a restart, the history page and the export all call it, so what the
//! room saw is what the document says. A client sends an [`Op`]; [`decide`] checks it against
//! the current state and the actor's rights and turns it into an [`Event`] (or refuses it with
//! an Italian message); the room stores the event, then applies it. What each person may see
//! of the state and of each event is decided in [`visibility`].
//!
//! - `actor.rs` — who acts ([`Actor`], [`ActorId`]);
//! - `model.rs` — the state ([`BoardState`], [`Card`], themes, timer);
//! - `synthesis.rs` — the synthesis step: syntheses by area, objectives, marked cards;
//! - `phases.rs` — what each phase allows participants to do;
//! - `limits.rs` — how much the board accepts (lengths, timer, votes);
//! - `reference.rs` — how a contribution is cited ("M3-1/B01");
//! - `ops.rs` — what clients ask ([`Op`]);
//! - `decide/` — the rules that turn an operation into an event or a [`Refusal`];
//! - `events.rs` — what happened ([`Event`]) and [`apply`];
//! - `visibility.rs` — who sees what.

mod actor;
mod decide;
mod events;
pub mod limits;
mod model;
mod ops;
mod phases;
pub mod reference;
pub mod synthesis;
pub mod visibility;

pub use actor::{Actor, ActorId, ActorKind, NotAnActorId, anonymous_actor, nobody};
pub use decide::{BOARD_FULL, QUOTA, Refusal, cards_by, comments_by, decide, text_by, text_size};
pub use events::{Event, EventRecord, apply};
pub use model::{
    BoardState, Card, CardState, CarriedFrom, Comment, Group, MergedCard, OnBehalf, PhaseChange,
    Timer,
};
pub use ops::{CarriedCard, ObjectiveDraft, Op, ResourceDraft, TimerAction};
pub use phases::{Permission, SYNTHESIS_PHASE, phase_label, phase_rules};
pub use synthesis::{
    CardMark, Fund, MarkKind, Objective, ObjectiveContent, ObjectiveState, Resource, Synthesis,
};
pub use visibility::view_for;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod synthesis_tests;

#[cfg(test)]
mod quota_tests;
