//! The meeting's history for facilitators: every event in order, in Italian, with its time and
//! who did it.

use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::json;

use super::{meeting_and_actor, meeting_context};
use crate::domain::board::{self, Event, reference};
use crate::domain::italian::{self, nouns::*};
use crate::services::board as boards;
use crate::web::auth::Viewer;
use crate::web::view::page;
use crate::web::{AppError, AppState};

/// The meeting's history: every event in order, in Italian.
pub async fn history(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (m, actor) = meeting_and_actor(&state, &viewer, id)?;
    if !actor.is_facilitator() {
        return Err(AppError::Forbidden(
            "La cronologia è riservata a chi conduce l'incontro.".into(),
        ));
    }
    let template = m.entry.workshop.board_template(m.meeting).clone();
    let code = reference::meeting_code(m.module.number, m.meeting.number);
    let mut board = board::BoardState::new(id, template);
    let mut events = Vec::new();
    for rec in boards::events(&state.store, id).await? {
        let summary = describe(&board, &rec.event, &code);
        board::apply(&mut board, &rec);
        events.push(json!({
            "seq": rec.seq,
            "at_label": chrono::DateTime::from_timestamp_millis(rec.at)
                .map(|t| t.with_timezone(&m.entry.workshop.timezone).format("%H:%M:%S").to_string())
                .unwrap_or_default(),
            "actor": rec.actor.name,
            "summary": summary,
        }));
    }
    page(
        &state,
        &viewer,
        "board/history.html",
        crate::ctx! { meeting => meeting_context(&m, id), events },
    )
}

/// One line of the history; cards are named by their reference in the meeting with code
/// `code` ("M1-2/B03"), the same as in every document.
fn describe(state: &board::BoardState, e: &Event, code: &str) -> String {
    let title = |id: &str| {
        state
            .cards
            .get(id)
            .map(|c| format!("{} «{}»", c.reference(code), short(c.content.title())))
            .unwrap_or_else(|| "un contributo".into())
    };
    let objective = |id: &str| {
        state
            .objectives
            .get(id)
            .map(|o| format!("{} «{}»", o.reference(code), short(&o.content.title)))
            .unwrap_or_else(|| "un obiettivo".into())
    };
    let column = |c: &str| {
        state
            .template
            .columns
            .iter()
            .find(|x| x.card_type == c)
            .map(|x| x.title.clone())
            .unwrap_or_else(|| c.to_string())
    };
    match e {
        Event::CardAdded {
            content,
            column: col,
            number,
            ..
        } => {
            let of = reference::letter(content);
            let n = number.unwrap_or_else(|| reference::next_number(state, of));
            format!(
                "ha aggiunto in «{}» {} «{}»",
                column(col),
                reference::full(code, of, n),
                short(content.title())
            )
        }
        Event::CardEdited { card_id, .. } => format!("ha modificato {}", title(card_id)),
        Event::CardWithdrawn { card_id } => format!("ha ritirato {}", title(card_id)),
        Event::Voted { card_id, .. } => format!("ha votato {}", title(card_id)),
        Event::Unvoted { card_id, .. } => format!("ha tolto un voto a {}", title(card_id)),
        Event::Commented { card_id, .. } => format!("ha commentato {}", title(card_id)),
        Event::PhaseSet { phase } => format!("ha aperto la fase «{}»", board::phase_label(phase)),
        Event::Locked { locked: true } => "ha bloccato la lavagna".into(),
        Event::Locked { locked: false } => "ha sbloccato la lavagna".into(),
        Event::CardHidden { card_id, reason } => {
            format!("ha nascosto {} (motivo: {reason})", title(card_id))
        }
        Event::CardRestored { card_id } => format!("ha ripristinato {}", title(card_id)),
        Event::CardsMerged { into, cards } if cards.is_empty() => {
            format!("non ha unito doppioni a {}", title(into))
        }
        Event::CardsMerged { into, cards } => format!(
            "ha unito {} a {}",
            italian::count(cards.len() as u64, DOPPIONE),
            title(into)
        ),
        Event::GroupCreated { title: t, .. } => format!("ha creato il tema «{t}»"),
        Event::GroupRenamed { title: t, .. } => format!("ha rinominato un tema in «{t}»"),
        Event::CardGrouped {
            card_id,
            group_id: Some(g),
        } => format!(
            "ha messo {} nel tema «{}»",
            title(card_id),
            state.groups.get(g).map(|g| g.title.as_str()).unwrap_or("?")
        ),
        Event::CardGrouped {
            card_id,
            group_id: None,
        } => format!("ha tolto {} dal suo tema", title(card_id)),
        Event::CardMoved { card_id, column: c } => {
            format!("ha spostato {} in «{}»", title(card_id), column(c))
        }
        Event::BlindSet { blind: true } => {
            "ha nascosto i nuovi contributi fino alla rivelazione".into()
        }
        Event::BlindSet { blind: false } => "ha reso subito visibili i nuovi contributi".into(),
        // A reveal with nothing hidden is recorded too: "nessun contributo" needs a "non".
        Event::Revealed { cards } if cards.is_empty() => {
            "ha chiesto di rivelare i contributi, ma nessuno era nascosto".into()
        }
        Event::Revealed { cards } => format!(
            "ha rivelato {}",
            italian::count(cards.len() as u64, CONTRIBUTO)
        ),
        Event::TimerSet {
            timer: Some(board::Timer::Running { duration_ms, .. }),
        } => {
            format!(
                "ha avviato il timer ({} min)",
                (duration_ms + 59_999) / 60_000
            )
        }
        Event::TimerSet {
            timer: Some(board::Timer::Paused { .. }),
        } => "ha messo in pausa il timer".into(),
        Event::TimerSet { timer: None } => "ha fermato il timer".into(),
        Event::Spotlighted { card_id: Some(id) } => format!("ha messo in evidenza {}", title(id)),
        Event::Spotlighted { card_id: None } => "ha tolto l'evidenza".into(),
        Event::GuestCodeSet { code: Some(_) } => "ha attivato il codice ospite".into(),
        Event::GuestCodeSet { code: None } => "ha disattivato il codice ospite".into(),
        Event::AnonymousSet { allowed: true } => "ha consentito i contributi anonimi".into(),
        Event::AnonymousSet { allowed: false } => "ha disattivato i contributi anonimi".into(),
        Event::VotesHiddenSet { hidden: true } => {
            "ha nascosto i totali dei voti fino alla chiusura della votazione".into()
        }
        Event::VotesHiddenSet { hidden: false } => "ha mostrato i totali dei voti".into(),
        Event::VoteBudgetSet { phase, budget: 0 } => format!(
            "ha tolto i voti a testa per la fase «{}»: nessun voto",
            board::phase_label(phase)
        ),
        Event::VoteBudgetSet { phase, budget } => format!(
            "ha fissato {} a testa per la fase «{}»",
            italian::count(u64::from(*budget), VOTO),
            board::phase_label(phase)
        ),
        Event::CardsCarriedOver { cards, .. } if cards.is_empty() => {
            "non ha riportato contributi da un incontro precedente".into()
        }
        Event::CardsCarriedOver { cards, .. } => format!(
            "ha riportato {} da un incontro precedente",
            italian::count(cards.len() as u64, CONTRIBUTO)
        ),
        Event::SynthesisWritten { policy_area, text } => {
            let before = state.syntheses.contains_key(policy_area);
            let verb = match (text.is_empty(), before) {
                (true, _) => "ha cancellato",
                (false, true) => "ha riscritto",
                (false, false) => "ha scritto",
            };
            format!("{verb} la sintesi dell'area «{policy_area}»")
        }
        Event::ObjectiveCreated {
            number, objective, ..
        } => {
            let mut line = format!(
                "ha creato l'obiettivo {} «{}»",
                reference::full(code, reference::OBJECTIVE, *number),
                short(&objective.title)
            );
            let mut links = Vec::new();
            for (n, noun) in [
                (objective.needs.len(), BISOGNO),
                (objective.indicators.len(), INDICATORE),
            ] {
                if n > 0 {
                    links.push(italian::count(n as u64, noun));
                }
            }
            if !links.is_empty() {
                line += &format!(" collegato a {}", italian::list(&links));
            }
            if !objective.resources.is_empty() {
                line += &format!(
                    "{} con risorse per {}",
                    if links.is_empty() { "" } else { "," },
                    crate::domain::money::format_euro(objective.total_cents())
                );
            }
            line
        }
        Event::ObjectiveEdited { objective_id, .. } => {
            format!("ha modificato l'obiettivo {}", objective(objective_id))
        }
        Event::ObjectiveRemoved { objective_id } => {
            format!("ha tolto dal piano l'obiettivo {}", objective(objective_id))
        }
        Event::ObjectiveRestored { objective_id } => {
            format!(
                "ha rimesso nel piano l'obiettivo {}",
                objective(objective_id)
            )
        }
        Event::ObjectiveCommented { objective_id, .. } => {
            format!("ha commentato l'obiettivo {}", objective(objective_id))
        }
        Event::CardMarked { card_id, mark, .. } => {
            format!("ha segnato {} come «{}»", title(card_id), mark.label())
        }
        Event::CardUnmarked { card_id } => {
            match state.cards.get(card_id).and_then(|c| c.mark.as_ref()) {
                Some(m) => format!(
                    "ha tolto il segno «{}» da {}",
                    m.kind.label(),
                    title(card_id)
                ),
                None => format!("ha tolto il segno da {}", title(card_id)),
            }
        }
    }
}

fn short(s: &str) -> String {
    let line = s.lines().next().unwrap_or_default();
    if line.chars().count() > 80 {
        line.chars().take(79).collect::<String>() + "…"
    } else {
        line.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::board::{Actor, ActorId, ActorKind, CarriedCard};

    fn board() -> board::BoardState {
        board::BoardState::new(1, crate::domain::defaults::board_template())
    }

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("c{i}")).collect()
    }

    fn carried(n: usize) -> Vec<CarriedCard> {
        (0..n)
            .map(|i| CarriedCard {
                from_card: format!("old{i}"),
                card_id: format!("c{i}"),
                column: "bisogno".into(),
                content: serde_json::from_value(
                    json!({"card_type": "bisogno", "text": "Anziani soli"}),
                )
                .unwrap(),
                author: Actor {
                    id: ActorId::Enrollment(1),
                    kind: ActorKind::Participant,
                    name: "Maria Rossi".into(),
                    organisation: None,
                    ambito: None,
                },
                anonymous: false,
                number: None,
                from_reference: None,
                created_at: None,
                on_behalf_of: None,
                comments: Vec::new(),
                merged: Vec::new(),
            })
            .collect()
    }

    /// Every history line with a count, at 0, 1 and 2.
    #[test]
    fn history_lines_agree_with_their_counts() {
        let b = board();
        let voto = board::phase_label("voto");
        let lines = |make: &dyn Fn(usize) -> Event| -> Vec<String> {
            (0..3).map(|n| describe(&b, &make(n), "M1-1")).collect()
        };
        assert_eq!(
            lines(&|n| Event::CardsMerged {
                into: "x".into(),
                cards: ids(n)
            }),
            [
                "non ha unito doppioni a un contributo",
                "ha unito 1 doppione a un contributo",
                "ha unito 2 doppioni a un contributo",
            ]
        );
        assert_eq!(
            lines(&|n| Event::Revealed { cards: ids(n) }),
            [
                "ha chiesto di rivelare i contributi, ma nessuno era nascosto",
                "ha rivelato 1 contributo",
                "ha rivelato 2 contributi",
            ]
        );
        assert_eq!(
            lines(&|n| Event::CardsCarriedOver {
                from_meeting: 2,
                cards: carried(n)
            }),
            [
                "non ha riportato contributi da un incontro precedente",
                "ha riportato 1 contributo da un incontro precedente",
                "ha riportato 2 contributi da un incontro precedente",
            ]
        );
        assert_eq!(
            lines(&|n| Event::VoteBudgetSet {
                phase: "voto".into(),
                budget: n as u32
            }),
            [
                format!("ha tolto i voti a testa per la fase «{voto}»: nessun voto"),
                format!("ha fissato 1 voto a testa per la fase «{voto}»"),
                format!("ha fissato 2 voti a testa per la fase «{voto}»"),
            ]
        );
    }

    /// Cards are named in the history by their references, as in every document.
    #[test]
    fn history_lines_cite_cards_by_reference() {
        let mut b = board();
        let maria = carried(1).remove(0).author;
        let added = Event::CardAdded {
            card_id: "c1".into(),
            column: "bisogno".into(),
            anonymous: false,
            on_behalf_of: None,
            revealed: true,
            content: serde_json::from_value(json!({"card_type": "bisogno", "text": "Trasporti"}))
                .unwrap(),
            number: Some(1),
        };
        assert_eq!(
            describe(&b, &added, "M2-1"),
            "ha aggiunto in «Bisogni» M2-1/B01 «Trasporti»"
        );
        board::apply(
            &mut b,
            &crate::domain::board::EventRecord {
                seq: 1,
                op_id: "a".into(),
                actor: maria,
                at: 0,
                event: added,
            },
        );
        let edited = Event::CardWithdrawn {
            card_id: "c1".into(),
        };
        assert_eq!(
            describe(&b, &edited, "M2-1"),
            "ha ritirato M2-1/B01 «Trasporti»"
        );
    }

    /// The synthesis in the history: objectives by reference, with their links counted in
    /// agreement and their resources in euro; syntheses and marks by area and card.
    #[test]
    fn history_lines_tell_the_synthesis() {
        use crate::domain::board::{EventRecord, MarkKind, ObjectiveContent, Resource};
        let mut b = board();
        let facilitator = Actor {
            id: ActorId::Account(1),
            kind: ActorKind::Facilitator,
            name: "Silvia".into(),
            organisation: None,
            ambito: None,
        };
        let mut seq = 0;
        let mut run = |b: &mut board::BoardState, event: Event| {
            let line = describe(b, &event, "M2-1");
            seq += 1;
            let actor = facilitator.clone();
            board::apply(
                b,
                &EventRecord {
                    seq,
                    op_id: format!("o{seq}"),
                    actor,
                    at: 0,
                    event,
                },
            );
            line
        };
        let written = |text: &str| Event::SynthesisWritten {
            policy_area: "Anziani".into(),
            text: text.into(),
        };
        assert_eq!(
            run(&mut b, written("a")),
            "ha scritto la sintesi dell'area «Anziani»"
        );
        assert_eq!(
            run(&mut b, written("b")),
            "ha riscritto la sintesi dell'area «Anziani»"
        );
        assert_eq!(
            run(&mut b, written("")),
            "ha cancellato la sintesi dell'area «Anziani»"
        );

        let created =
            |number: u32, needs: usize, indicators: usize, cents: &[u64]| Event::ObjectiveCreated {
                objective_id: format!("o{number}"),
                number,
                objective: ObjectiveContent {
                    title: "Dimissioni protette".into(),
                    needs: ids(needs),
                    indicators: ids(indicators),
                    resources: cents
                        .iter()
                        .map(|&amount_cents| Resource {
                            amount_cents,
                            fund: crate::domain::board::Fund::Fnps,
                            description: None,
                        })
                        .collect(),
                    ..Default::default()
                },
            };
        let lines: Vec<String> = [
            created(1, 0, 0, &[]),
            created(2, 1, 0, &[]),
            created(3, 2, 1, &[1_000_000, 250_000]),
            created(4, 0, 2, &[0]),
        ]
        .into_iter()
        .map(|e| run(&mut b, e))
        .collect();
        assert_eq!(
            lines,
            [
                "ha creato l'obiettivo M2-1/O01 «Dimissioni protette»",
                "ha creato l'obiettivo M2-1/O02 «Dimissioni protette» collegato a 1 bisogno",
                "ha creato l'obiettivo M2-1/O03 «Dimissioni protette» collegato a 2 bisogni e 1 indicatore, con risorse per €\u{a0}12.500,00",
                "ha creato l'obiettivo M2-1/O04 «Dimissioni protette» collegato a 2 indicatori, con risorse per €\u{a0}0,00",
            ]
        );
        let removed = Event::ObjectiveRemoved {
            objective_id: "o3".into(),
        };
        assert_eq!(
            run(&mut b, removed),
            "ha tolto dal piano l'obiettivo M2-1/O03 «Dimissioni protette»"
        );
        let restored = Event::ObjectiveRestored {
            objective_id: "o3".into(),
        };
        assert_eq!(
            run(&mut b, restored),
            "ha rimesso nel piano l'obiettivo M2-1/O03 «Dimissioni protette»"
        );

        let mut cards = carried(1);
        cards[0].number = Some(4);
        run(
            &mut b,
            Event::CardsCarriedOver {
                from_meeting: 1,
                cards,
            },
        );
        let marked = Event::CardMarked {
            card_id: "c0".into(),
            mark: MarkKind::CoProgettazione,
            note: None,
        };
        assert_eq!(
            run(&mut b, marked),
            "ha segnato M2-1/B04 «Anziani soli» come «Tema per la co-progettazione»"
        );
        let unmarked = Event::CardUnmarked {
            card_id: "c0".into(),
        };
        assert_eq!(
            run(&mut b, unmarked),
            "ha tolto il segno «Tema per la co-progettazione» da M2-1/B04 «Anziani soli»"
        );
    }
}
