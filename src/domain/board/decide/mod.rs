//! `decide`: checks an operation against the board and the actor's rights and turns it into the
//! event to store, or refuses it with a code and an Italian message. Nothing here changes the
//! state; [`super::apply`] does, once the event is stored.
//!
//! The dispatch below is the table of who may do what: participants' contributions (subject to
//! the phase and the lock) in `contributions.rs`; everything else is for facilitators only,
//! moderation of cards and themes in `moderation.rs`, the running of the session in
//! `session.rs`. The synthesis step (phase «sintesi» and after: syntheses, objectives, marked
//! cards) is in `synthesis.rs`: facilitators write it, participants comment on objectives.

mod contributions;
mod moderation;
mod quotas;
mod session;
mod synthesis;

pub use quotas::{BOARD_FULL, QUOTA, cards_by, comments_by, text_by, text_size};

use serde::Serialize;

use super::actor::Actor;
use super::events::Event;
use super::limits;
use super::model::{BoardState, Card};
use super::ops::Op;
use super::phases::{Permission, phase_label, phase_rules};
use crate::domain::cards::CardContent;
use crate::domain::text::FieldError;

/// Why an operation was refused: a code for programs and an Italian message for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
}

impl Refusal {
    pub fn new(code: &'static str, message: impl Into<String>) -> Refusal {
        Refusal {
            code,
            message: message.into(),
            fields: vec![],
        }
    }
}

/// Checks an operation and turns it into the event to store. `policy_areas` come from the
/// workshop; `new_guest_code` is used only by `SetGuestCode` (randomness stays outside).
pub fn decide(
    state: &BoardState,
    actor: &Actor,
    op: Op,
    policy_areas: &[String],
    new_guest_code: impl FnOnce() -> String,
    now: i64,
) -> Result<Event, Refusal> {
    let ctx = Ctx {
        state,
        actor,
        policy_areas,
    };
    match op {
        // Participants, within what the phase allows.
        Op::AddCard {
            card_id,
            column,
            anonymous,
            on_behalf_of,
            content,
        } => contributions::add_card(&ctx, card_id, column, anonymous, on_behalf_of, content),
        Op::EditCard { card_id, content } => contributions::edit_card(&ctx, card_id, content),
        Op::WithdrawCard { card_id } => contributions::withdraw_card(&ctx, card_id),
        Op::Vote { card_id } => contributions::vote(&ctx, card_id),
        Op::Unvote { card_id } => contributions::unvote(&ctx, card_id),
        Op::Comment {
            card_id,
            comment_id,
            text,
        } => contributions::comment(&ctx, card_id, comment_id, text),

        // Facilitators: moderation of cards and themes.
        Op::Hide { card_id, reason } => {
            ctx.facilitator_only()?;
            moderation::hide(&ctx, card_id, reason)
        }
        Op::Restore { card_id } => {
            ctx.facilitator_only()?;
            moderation::restore(&ctx, card_id)
        }
        Op::Merge { into, cards } => {
            ctx.facilitator_only()?;
            moderation::merge(&ctx, into, cards)
        }
        Op::CreateGroup {
            group_id,
            title,
            column,
        } => {
            ctx.facilitator_only()?;
            moderation::create_group(&ctx, group_id, title, column)
        }
        Op::RenameGroup { group_id, title } => {
            ctx.facilitator_only()?;
            moderation::rename_group(&ctx, group_id, title)
        }
        Op::Group { card_id, group_id } => {
            ctx.facilitator_only()?;
            moderation::group(&ctx, card_id, group_id)
        }
        Op::Move { card_id, column } => {
            ctx.facilitator_only()?;
            moderation::move_card(&ctx, card_id, column)
        }
        Op::CarryOver { .. } => {
            ctx.facilitator_only()?;
            Err(Refusal::new(
                "invalid",
                "Riporto non risolto: scegli l'incontro e i contributi dalla console.",
            ))
        }
        Op::CarryOverCards {
            from_meeting,
            cards,
        } => {
            ctx.facilitator_only()?;
            moderation::carry_over(&ctx, from_meeting, cards)
        }

        // Facilitators: running the session.
        Op::SetPhase { phase } => {
            ctx.facilitator_only()?;
            session::set_phase(&ctx, phase)
        }
        Op::Lock { locked } => {
            ctx.facilitator_only()?;
            Ok(Event::Locked { locked })
        }
        Op::SetBlind { blind } => {
            ctx.facilitator_only()?;
            Ok(Event::BlindSet { blind })
        }
        Op::Reveal {} => {
            ctx.facilitator_only()?;
            Ok(session::reveal(&ctx))
        }
        Op::Timer { action, seconds } => {
            ctx.facilitator_only()?;
            session::timer(&ctx, action, seconds, now)
        }
        Op::Spotlight { card_id } => {
            ctx.facilitator_only()?;
            session::spotlight(&ctx, card_id)
        }
        Op::SetGuestCode { enabled } => {
            ctx.facilitator_only()?;
            Ok(Event::GuestCodeSet {
                code: enabled.then(new_guest_code),
            })
        }
        Op::SetAnonymous { allowed } => {
            ctx.facilitator_only()?;
            Ok(Event::AnonymousSet { allowed })
        }
        Op::SetVotesHidden { hidden } => {
            ctx.facilitator_only()?;
            Ok(Event::VotesHiddenSet { hidden })
        }
        Op::SetVoteBudget { phase, budget } => {
            ctx.facilitator_only()?;
            session::set_vote_budget(&ctx, phase, budget)
        }

        // The synthesis, from the phase «sintesi» on: facilitators write it…
        Op::WriteSynthesis { policy_area, text } => {
            ctx.facilitator_only()?;
            synthesis::write_synthesis(&ctx, policy_area, text)
        }
        Op::CreateObjective {
            objective_id,
            objective,
        } => {
            ctx.facilitator_only()?;
            synthesis::create_objective(&ctx, objective_id, objective)
        }
        Op::EditObjective {
            objective_id,
            objective,
        } => {
            ctx.facilitator_only()?;
            synthesis::edit_objective(&ctx, objective_id, objective)
        }
        Op::RemoveObjective { objective_id } => {
            ctx.facilitator_only()?;
            synthesis::remove_objective(&ctx, objective_id)
        }
        Op::RestoreObjective { objective_id } => {
            ctx.facilitator_only()?;
            synthesis::restore_objective(&ctx, objective_id)
        }
        Op::MarkCard {
            card_id,
            mark,
            note,
        } => {
            ctx.facilitator_only()?;
            synthesis::mark_card(&ctx, card_id, mark, note)
        }
        Op::UnmarkCard { card_id } => {
            ctx.facilitator_only()?;
            synthesis::unmark_card(&ctx, card_id)
        }
        // …and participants comment on the objectives, within what the phase allows.
        Op::CommentObjective {
            objective_id,
            comment_id,
            text,
        } => synthesis::comment_objective(&ctx, objective_id, comment_id, text),
    }
}

/// What every check needs: the board as it is, who asks, the workshop's policy areas.
struct Ctx<'a> {
    state: &'a BoardState,
    actor: &'a Actor,
    policy_areas: &'a [String],
}

fn check_id(id: &str) -> Result<(), Refusal> {
    if id.is_empty()
        || id.len() > limits::ID
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(Refusal::new("invalid_id", "Identificativo non valido."));
    }
    Ok(())
}

impl Ctx<'_> {
    fn facilitator_only(&self) -> Result<(), Refusal> {
        if self.actor.is_facilitator() {
            Ok(())
        } else {
            Err(Refusal::new(
                "forbidden",
                "Solo chi conduce l'incontro può farlo.",
            ))
        }
    }

    /// Whether the actor may do `p` now: facilitators always; participants when the board is
    /// not locked and the phase allows it.
    fn participant_may(&self, p: Permission) -> Result<(), Refusal> {
        if self.actor.is_facilitator() {
            return Ok(());
        }
        let state = self.state;
        if state.locked {
            return Err(Refusal::new(
                "locked",
                "La lavagna è bloccata dal conduttore.",
            ));
        }
        if !phase_rules(&state.phase).0.contains(&p) {
            let what = match p {
                Permission::AddCard => "aggiungere contributi",
                Permission::EditOwnCard => "modificare i contributi",
                Permission::Comment => "commentare",
                Permission::Vote => "votare",
            };
            return Err(Refusal::new(
                "phase",
                format!(
                    "In questa fase ({}) non si può {what}.",
                    phase_label(&state.phase)
                ),
            ));
        }
        Ok(())
    }

    fn card(&self, id: &str) -> Result<&Card, Refusal> {
        self.state
            .cards
            .get(id)
            .ok_or_else(|| Refusal::new("not_found", "Contributo non trovato."))
    }

    fn active_card(&self, id: &str) -> Result<&Card, Refusal> {
        let c = self.card(id)?;
        if !c.is_active() {
            return Err(Refusal::new(
                "not_active",
                "Questo contributo non è più sulla lavagna.",
            ));
        }
        Ok(c)
    }

    fn column_exists(&self, column: &str) -> Result<(), Refusal> {
        if self
            .state
            .template
            .columns
            .iter()
            .any(|c| c.card_type == column)
        {
            Ok(())
        } else {
            Err(Refusal::new(
                "invalid_column",
                "Colonna non prevista in questa lavagna.",
            ))
        }
    }

    /// The card's fields, checked against its kind's rules and the workshop's policy areas.
    fn validate(&self, mut content: CardContent) -> Result<CardContent, Refusal> {
        content
            .validate(self.policy_areas)
            .map_err(|fields| Refusal {
                code: "invalid",
                message: fields
                    .first()
                    .map(|f| f.message.clone())
                    .unwrap_or_default(),
                fields,
            })?;
        Ok(content)
    }
}
