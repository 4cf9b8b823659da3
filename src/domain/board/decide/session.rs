//! Facilitators running the session: phases, reveal, the shared timer, the spotlight, vote
//! budgets. The dispatcher has already checked that the actor runs the meeting; the switches
//! that need no check (lock, blind, anonymous cards, guest code) are decided there.

use super::{Ctx, Refusal};
use crate::domain::board::events::Event;
use crate::domain::board::limits;
use crate::domain::board::model::Timer;
use crate::domain::board::ops::TimerAction;

pub(super) fn set_phase(ctx: &Ctx, phase: String) -> Result<Event, Refusal> {
    if !ctx.state.template.phases.contains(&phase) {
        return Err(Refusal::new(
            "invalid_phase",
            "Fase non prevista in questa lavagna.",
        ));
    }
    Ok(Event::PhaseSet { phase })
}

/// Reveals every card still hidden by the blind phase.
pub(super) fn reveal(ctx: &Ctx) -> Event {
    let state = ctx.state;
    let cards = state
        .card_order
        .iter()
        .filter(|id| state.cards.get(*id).is_some_and(|c| !c.revealed))
        .cloned()
        .collect();
    Event::Revealed { cards }
}

pub(super) fn timer(
    ctx: &Ctx,
    action: TimerAction,
    seconds: Option<i64>,
    now: i64,
) -> Result<Event, Refusal> {
    let timer = match (action, &ctx.state.timer) {
        (TimerAction::Start, _) => {
            let s = seconds.unwrap_or(0);
            if !(1..=limits::TIMER_SECONDS).contains(&s) {
                return Err(Refusal::new(
                    "invalid",
                    "Durata del timer non valida (da 1 secondo a 4 ore).",
                ));
            }
            Some(Timer::Running {
                ends_at: now + s * 1000,
                duration_ms: s * 1000,
            })
        }
        (
            TimerAction::Pause,
            Some(Timer::Running {
                ends_at,
                duration_ms,
            }),
        ) => Some(Timer::Paused {
            remaining_ms: (ends_at - now).max(0),
            duration_ms: *duration_ms,
        }),
        (
            TimerAction::Resume,
            Some(Timer::Paused {
                remaining_ms,
                duration_ms,
            }),
        ) => Some(Timer::Running {
            ends_at: now + remaining_ms,
            duration_ms: *duration_ms,
        }),
        (TimerAction::Stop, _) => None,
        _ => {
            return Err(Refusal::new(
                "invalid",
                "Il timer non è in uno stato che lo consente.",
            ));
        }
    };
    Ok(Event::TimerSet { timer })
}

pub(super) fn spotlight(ctx: &Ctx, card_id: Option<String>) -> Result<Event, Refusal> {
    if let Some(id) = &card_id {
        ctx.active_card(id)?;
    }
    Ok(Event::Spotlighted { card_id })
}

pub(super) fn set_vote_budget(ctx: &Ctx, phase: String, budget: u32) -> Result<Event, Refusal> {
    if !ctx.state.template.phases.contains(&phase) || budget > limits::VOTE_BUDGET {
        return Err(Refusal::new(
            "invalid",
            "Fase o numero di voti non valido (al massimo 50).",
        ));
    }
    Ok(Event::VoteBudgetSet { phase, budget })
}
