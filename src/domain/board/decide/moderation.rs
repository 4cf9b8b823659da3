//! Facilitators' work on the cards: hiding and restoring, merging duplicates, themes, moving
//! between columns, carrying cards over from an earlier meeting. The dispatcher has already
//! checked that the actor runs the meeting.

use std::collections::BTreeMap;

use super::{Ctx, Refusal, check_id};
use crate::domain::board::events::Event;
use crate::domain::board::limits;
use crate::domain::board::model::CardState;
use crate::domain::board::ops::CarriedCard;
use crate::domain::board::reference::{letter, next_number};

pub(super) fn hide(ctx: &Ctx, card_id: String, reason: String) -> Result<Event, Refusal> {
    ctx.active_card(&card_id)?;
    let reason = reason.trim().to_string();
    if reason.is_empty() || reason.chars().count() > limits::HIDE_REASON {
        return Err(Refusal::new(
            "invalid",
            "Indica il motivo (al massimo 500 caratteri).",
        ));
    }
    Ok(Event::CardHidden { card_id, reason })
}

pub(super) fn restore(ctx: &Ctx, card_id: String) -> Result<Event, Refusal> {
    let card = ctx.card(&card_id)?;
    if !matches!(card.state, CardState::Hidden { .. }) {
        return Err(Refusal::new("not_hidden", "Il contributo non è nascosto."));
    }
    Ok(Event::CardRestored { card_id })
}

pub(super) fn merge(ctx: &Ctx, into: String, cards: Vec<String>) -> Result<Event, Refusal> {
    ctx.active_card(&into)?;
    if cards.is_empty() || cards.contains(&into) {
        return Err(Refusal::new(
            "invalid",
            "Scegli i doppioni da unire a un altro contributo.",
        ));
    }
    for c in &cards {
        ctx.active_card(c)?;
    }
    Ok(Event::CardsMerged { into, cards })
}

pub(super) fn create_group(
    ctx: &Ctx,
    group_id: String,
    title: String,
    column: String,
) -> Result<Event, Refusal> {
    check_id(&group_id)?;
    ctx.column_exists(&column)?;
    if ctx.state.groups.contains_key(&group_id) {
        return Err(Refusal::new("duplicate_id", "Tema già presente."));
    }
    Ok(Event::GroupCreated {
        group_id,
        title: theme_title(&title)?,
        column,
    })
}

pub(super) fn rename_group(ctx: &Ctx, group_id: String, title: String) -> Result<Event, Refusal> {
    if !ctx.state.groups.contains_key(&group_id) {
        return Err(Refusal::new("not_found", "Tema non trovato."));
    }
    Ok(Event::GroupRenamed {
        group_id,
        title: theme_title(&title)?,
    })
}

pub(super) fn group(
    ctx: &Ctx,
    card_id: String,
    group_id: Option<String>,
) -> Result<Event, Refusal> {
    let card = ctx.active_card(&card_id)?;
    if let Some(g) = &group_id {
        let group = ctx
            .state
            .groups
            .get(g)
            .ok_or_else(|| Refusal::new("not_found", "Tema non trovato."))?;
        if group.column != card.column {
            return Err(Refusal::new(
                "invalid",
                "Il tema appartiene a un'altra colonna: sposta prima il contributo.",
            ));
        }
    }
    Ok(Event::CardGrouped { card_id, group_id })
}

pub(super) fn move_card(ctx: &Ctx, card_id: String, column: String) -> Result<Event, Refusal> {
    ctx.active_card(&card_id)?;
    ctx.column_exists(&column)?;
    Ok(Event::CardMoved { card_id, column })
}

/// A carry-over already resolved by the server into the cards themselves (clients can only ask
/// for card ids: see [`crate::domain::board::Op::CarryOver`]).
pub(super) fn carry_over(
    ctx: &Ctx,
    from_meeting: i64,
    cards: Vec<CarriedCard>,
) -> Result<Event, Refusal> {
    if cards.is_empty() {
        return Err(Refusal::new("invalid", "Nessun contributo da riportare."));
    }
    let mut cards = cards;
    // Each carried card takes the next number of its letter in this meeting.
    let mut taken: BTreeMap<char, u32> = BTreeMap::new();
    for c in &mut cards {
        check_id(&c.card_id)?;
        ctx.column_exists(&c.column)?;
        if ctx.state.cards.contains_key(&c.card_id) {
            return Err(Refusal::new("duplicate_id", "Contributo già riportato."));
        }
        let of = letter(&c.content);
        let next = taken
            .entry(of)
            .or_insert_with(|| next_number(ctx.state, of));
        c.number = Some(*next);
        *next += 1;
    }
    // What they bring counts against the board's limits like any new card.
    let text: usize = cards
        .iter()
        .map(|c| {
            c.content.text_len()
                + c.comments.iter().map(|m| m.text.len()).sum::<usize>()
                + c.merged.iter().map(|m| m.content.text_len()).sum::<usize>()
        })
        .sum();
    super::quotas::cards(ctx, cards.len(), text)?;
    Ok(Event::CardsCarriedOver {
        from_meeting,
        cards,
    })
}

fn theme_title(title: &str) -> Result<String, Refusal> {
    let t = title.trim();
    if t.is_empty() || t.chars().count() > limits::THEME_TITLE || t.chars().any(char::is_control) {
        return Err(Refusal::new(
            "invalid",
            "Indica il nome del tema (al massimo 200 caratteri).",
        ));
    }
    Ok(t.to_string())
}
