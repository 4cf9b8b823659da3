//! What participants do on the board — add, edit and withdraw their cards, comment, vote —
//! within what the phase allows. Facilitators may do all of it at any time.

use super::{Ctx, Refusal, check_id, quotas};
use crate::domain::board::events::Event;
use crate::domain::board::limits;
use crate::domain::board::model::OnBehalf;
use crate::domain::board::phases::Permission;
use crate::domain::board::reference::{letter, next_number};
use crate::domain::board::visibility::visible_to;
use crate::domain::cards::CardContent;

pub(super) fn add_card(
    ctx: &Ctx,
    card_id: String,
    column: Option<String>,
    anonymous: bool,
    on_behalf_of: Option<OnBehalf>,
    content: CardContent,
) -> Result<Event, Refusal> {
    let (state, actor) = (ctx.state, ctx.actor);
    check_id(&card_id)?;
    if state.cards.contains_key(&card_id) {
        return Err(Refusal::new(
            "duplicate_id",
            "Esiste già un contributo con questo identificativo.",
        ));
    }
    ctx.participant_may(Permission::AddCard)?;
    quotas::cards(ctx, 1, 0)?;
    let column = column.unwrap_or_else(|| content.card_type().to_string());
    ctx.column_exists(&column)?;
    if !state
        .template
        .columns
        .iter()
        .any(|c| c.card_type == content.card_type())
    {
        return Err(Refusal::new(
            "invalid_type",
            "Tipo di contributo non previsto in questa lavagna.",
        ));
    }
    if anonymous && !state.anonymous_allowed && !actor.is_facilitator() {
        return Err(Refusal::new(
            "anonymous_off",
            "Il conduttore non ha abilitato i contributi anonimi.",
        ));
    }
    if on_behalf_of.is_some() {
        ctx.facilitator_only()?;
    }
    let on_behalf_of = match on_behalf_of {
        Some(mut o) => {
            o.name = o.name.trim().to_string();
            let optional =
                |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
            o.organisation = optional(o.organisation);
            o.ambito = optional(o.ambito);
            if o.name.is_empty() || o.name.chars().count() > limits::ON_BEHALF_NAME {
                return Err(Refusal::new(
                    "invalid",
                    "Indica il nome della persona per cui scrivi.",
                ));
            }
            if o.organisation
                .as_ref()
                .is_some_and(|org| org.chars().count() > limits::ON_BEHALF_ORGANISATION)
            {
                return Err(Refusal::new(
                    "invalid",
                    format!(
                        "Ente della persona per cui scrivi troppo lungo (al massimo {} caratteri).",
                        limits::ON_BEHALF_ORGANISATION
                    ),
                ));
            }
            if o.ambito
                .as_ref()
                .is_some_and(|a| a.chars().count() > limits::ON_BEHALF_AMBITO)
            {
                return Err(Refusal::new(
                    "invalid",
                    format!(
                        "Ambito della persona per cui scrivi troppo lungo (al massimo {} caratteri).",
                        limits::ON_BEHALF_AMBITO
                    ),
                ));
            }
            let has_control =
                |v: &Option<String>| v.as_ref().is_some_and(|s| s.chars().any(char::is_control));
            if o.name.chars().any(char::is_control)
                || has_control(&o.organisation)
                || has_control(&o.ambito)
            {
                return Err(Refusal::new(
                    "invalid",
                    "Nome, ente o ambito della persona per cui scrivi contengono caratteri non ammessi.",
                ));
            }
            Some(o)
        }
        None => None,
    };
    let content = ctx.validate(content)?;
    quotas::text_fits(ctx, content.text_len(), 0)?;
    Ok(Event::CardAdded {
        card_id,
        column,
        anonymous,
        on_behalf_of,
        revealed: !state.blind,
        number: Some(next_number(state, letter(&content))),
        content,
    })
}

pub(super) fn edit_card(
    ctx: &Ctx,
    card_id: String,
    content: CardContent,
) -> Result<Event, Refusal> {
    let card = ctx.active_card(&card_id)?;
    if card.author.id != ctx.actor.id && !ctx.actor.is_facilitator() {
        return Err(Refusal::new(
            "not_author",
            "Puoi modificare solo i tuoi contributi.",
        ));
    }
    ctx.participant_may(Permission::EditOwnCard)?;
    if content.card_type() != card.content.card_type() {
        return Err(Refusal::new(
            "invalid_type",
            "Non si può cambiare il tipo di un contributo.",
        ));
    }
    let content = ctx.validate(content)?;
    quotas::text_fits(ctx, content.text_len(), card.content.text_len())?;
    Ok(Event::CardEdited { card_id, content })
}

pub(super) fn withdraw_card(ctx: &Ctx, card_id: String) -> Result<Event, Refusal> {
    let card = ctx.active_card(&card_id)?;
    if card.author.id != ctx.actor.id && !ctx.actor.is_facilitator() {
        return Err(Refusal::new(
            "not_author",
            "Puoi ritirare solo i tuoi contributi.",
        ));
    }
    ctx.participant_may(Permission::EditOwnCard)?;
    Ok(Event::CardWithdrawn { card_id })
}

pub(super) fn vote(ctx: &Ctx, card_id: String) -> Result<Event, Refusal> {
    let (state, actor) = (ctx.state, ctx.actor);
    let card = ctx.active_card(&card_id)?;
    if !visible_to(card, actor) {
        return Err(Refusal::new("not_found", "Contributo non trovato."));
    }
    ctx.participant_may(Permission::Vote)?;
    let budget = state.vote_budget(&state.phase);
    if budget == 0 {
        return Err(Refusal::new("phase", "In questa fase non si vota."));
    }
    if state.votes_spent(&state.phase, actor.id) >= budget {
        // "il tuo voto" for a budget of one: "tutti i tuoi 1 voti" is not Italian.
        let used = if budget == 1 {
            "Hai già usato il tuo voto di questa fase: toglilo per votare altro.".to_string()
        } else {
            format!(
                "Hai già usato tutti i tuoi {} di questa fase: togline uno per votare altro.",
                crate::domain::italian::count(
                    u64::from(budget),
                    crate::domain::italian::nouns::VOTO
                )
            )
        };
        return Err(Refusal::new("budget", used));
    }
    Ok(Event::Voted {
        card_id,
        phase: state.phase.clone(),
    })
}

pub(super) fn unvote(ctx: &Ctx, card_id: String) -> Result<Event, Refusal> {
    let (state, actor) = (ctx.state, ctx.actor);
    let card = ctx.active_card(&card_id)?;
    ctx.participant_may(Permission::Vote)?;
    let mine = card.votes.get(&actor.id).copied().unwrap_or(0);
    if mine == 0 || state.votes_spent(&state.phase, actor.id) == 0 {
        return Err(Refusal::new(
            "no_vote",
            "Non hai voti da togliere da questo contributo in questa fase.",
        ));
    }
    Ok(Event::Unvoted {
        card_id,
        phase: state.phase.clone(),
    })
}

pub(super) fn comment(
    ctx: &Ctx,
    card_id: String,
    comment_id: String,
    text: String,
) -> Result<Event, Refusal> {
    check_id(&comment_id)?;
    let card = ctx.active_card(&card_id)?;
    if !visible_to(card, ctx.actor) {
        return Err(Refusal::new("not_found", "Contributo non trovato."));
    }
    ctx.participant_may(Permission::Comment)?;
    if card.comments.iter().any(|c| c.id == comment_id) {
        return Err(Refusal::new("duplicate_id", "Commento già presente."));
    }
    let text = comment_text(&text)?;
    quotas::comment(ctx, text.len())?;
    Ok(Event::Commented {
        card_id,
        comment_id,
        text,
    })
}

/// The text of a comment (on a card or an objective) as stored: trimmed, no control characters
/// but newlines, not empty, within [`limits::COMMENT`].
pub(super) fn comment_text(text: &str) -> Result<String, Refusal> {
    let text: String = text
        .trim()
        .chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .collect();
    if text.is_empty() {
        return Err(Refusal::new("invalid", "Scrivi il testo del commento."));
    }
    if text.chars().count() > limits::COMMENT {
        return Err(Refusal::new(
            "invalid",
            format!(
                "Commento troppo lungo (al massimo {} caratteri).",
                limits::COMMENT
            ),
        ));
    }
    Ok(text)
}
