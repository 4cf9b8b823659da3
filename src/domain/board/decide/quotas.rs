//! Volume quotas ([`limits::CARDS_PER_PERSON`] and the others): how many cards and comments
//! one person may write on a board, and how many cards and how much text a board holds. They
//! are counted on the board's state, so every instance and every replay decides alike.
//! Facilitators have no personal quota (they write on behalf of people without a device); the
//! board's limits hold for everyone.

use super::{Ctx, Refusal};
use crate::domain::board::actor::ActorId;
use crate::domain::board::limits;
use crate::domain::board::model::{BoardState, Comment};
use crate::domain::italian::{self, nouns};

/// Refusal code of a personal quota reached.
pub const QUOTA: &str = "quota";
/// Refusal code of a board full (cards or text).
pub const BOARD_FULL: &str = "board_full";

/// Whether `n` more cards, holding `text` bytes, fit: the author's quota, then the board's.
pub(super) fn cards(ctx: &Ctx, n: usize, text: usize) -> Result<(), Refusal> {
    let state = ctx.state;
    if !ctx.actor.is_facilitator() && cards_by(state, ctx.actor.id) + n > limits::CARDS_PER_PERSON {
        return Err(Refusal::new(
            QUOTA,
            format!(
                "Hai raggiunto il numero massimo di contributi per questo incontro ({}).",
                limits::CARDS_PER_PERSON
            ),
        ));
    }
    let room = limits::CARDS_PER_BOARD.saturating_sub(state.cards.len());
    if n > room {
        let message = if room == 0 {
            format!(
                "La lavagna ha raggiunto il numero massimo di contributi ({}): non se ne possono aggiungere altri.",
                limits::CARDS_PER_BOARD
            )
        } else {
            format!(
                "La lavagna può accogliere ancora {} (al massimo {} in tutto).",
                italian::count(room as u64, nouns::CONTRIBUTO),
                limits::CARDS_PER_BOARD
            )
        };
        return Err(Refusal::new(BOARD_FULL, message));
    }
    text_fits(ctx, text, 0)
}

/// Whether one more comment of `text` bytes fits: the author's quota, then the board's text.
pub(super) fn comment(ctx: &Ctx, text: usize) -> Result<(), Refusal> {
    if !ctx.actor.is_facilitator()
        && comments_by(ctx.state, ctx.actor.id) >= limits::COMMENTS_PER_PERSON
    {
        return Err(Refusal::new(
            QUOTA,
            format!(
                "Hai raggiunto il numero massimo di commenti per questo incontro ({}).",
                limits::COMMENTS_PER_PERSON
            ),
        ));
    }
    text_fits(ctx, text, 0)
}

/// Whether the author's text stays within [`limits::TEXT_PER_PERSON`] (facilitators have no
/// such quota) and the board's within [`limits::TEXT_PER_BOARD`] when `added` bytes replace
/// `removed` ones (an edit). Shrinking is always allowed.
pub(super) fn text_fits(ctx: &Ctx, added: usize, removed: usize) -> Result<(), Refusal> {
    if added <= removed {
        return Ok(());
    }
    let state = ctx.state;
    if !ctx.actor.is_facilitator()
        && text_by(state, ctx.actor.id).saturating_sub(removed) + added > limits::TEXT_PER_PERSON
    {
        return Err(Refusal::new(
            QUOTA,
            "Hai raggiunto lo spazio massimo per i tuoi testi in questo incontro: non puoi aggiungere altro testo.",
        ));
    }
    if text_size(state).saturating_sub(removed) + added > limits::TEXT_PER_BOARD {
        return Err(Refusal::new(
            BOARD_FULL,
            format!(
                "La lavagna ha raggiunto lo spazio massimo per i testi ({} MB): non si possono aggiungere altri testi.",
                limits::TEXT_PER_BOARD / 1_000_000
            ),
        ));
    }
    Ok(())
}

/// The cards a person wrote on this board, withdrawn, hidden and merged ones included (they
/// stay in the record); cards carried over from earlier meetings are not theirs to count here.
pub fn cards_by(state: &BoardState, id: ActorId) -> usize {
    state
        .cards
        .values()
        .filter(|c| c.author.id == id && c.carried_from.is_none())
        .count()
}

/// The comments a person wrote on this board, on cards and on objectives.
pub fn comments_by(state: &BoardState, id: ActorId) -> usize {
    let on_cards = state.cards.values().flat_map(|c| &c.comments);
    let on_objectives = state.objectives.values().flat_map(|o| &o.comments);
    on_cards
        .chain(on_objectives)
        .filter(|c| c.author.id == id)
        .count()
}

/// The text a person wrote on this board, in bytes: their cards' fields and their comments.
pub fn text_by(state: &BoardState, id: ActorId) -> usize {
    let cards: usize = state
        .cards
        .values()
        .filter(|c| c.author.id == id && c.carried_from.is_none())
        .map(|c| c.content.text_len())
        .sum();
    let on_cards = state.cards.values().flat_map(|c| &c.comments);
    let on_objectives = state.objectives.values().flat_map(|o| &o.comments);
    let comments: usize = on_cards
        .chain(on_objectives)
        .filter(|c| c.author.id == id)
        .map(|c| c.text.len())
        .sum();
    cards + comments
}

/// The text a board holds, in bytes: every card's fields and comments, what carried cards
/// bring with them, the objectives' comments.
pub fn text_size(state: &BoardState) -> usize {
    fn comments(cs: &[Comment]) -> usize {
        cs.iter().map(|c| c.text.len()).sum()
    }
    let cards: usize = state
        .cards
        .values()
        .map(|c| {
            let carried = c.carried_from.as_ref().map_or(0, |f| {
                comments(&f.comments) + f.merged.iter().map(|m| m.content.text_len()).sum::<usize>()
            });
            c.content.text_len() + comments(&c.comments) + carried
        })
        .sum();
    let objectives: usize = state
        .objectives
        .values()
        .map(|o| comments(&o.comments))
        .sum();
    cards + objectives
}
