//! The synthesis step (phase «sintesi» and after, see [`crate::domain::board::synthesis`]):
//! facilitators write the synthesis of each policy area, create, edit and remove objectives and
//! mark cards as open questions or topics for co-progettazione; participants comment on the
//! objectives. The dispatcher has already checked that the actor runs the meeting, except for
//! comments.

use super::contributions::comment_text;
use super::{Ctx, Refusal, check_id};
use crate::domain::board::events::Event;
use crate::domain::board::limits;
use crate::domain::board::ops::{ObjectiveDraft, ResourceDraft};
use crate::domain::board::phases::{Permission, phase_label};
use crate::domain::board::reference::next_objective_number;
use crate::domain::board::synthesis::{
    Fund, MarkKind, Objective, ObjectiveContent, Resource, objective_field,
};
use crate::domain::card_fields::{Field, MAX_SHORT};
use crate::domain::italian;
use crate::domain::money::format_euro;
use crate::domain::text::FieldError;

/// Whether the synthesis is open in the board's phase.
fn open(ctx: &Ctx) -> Result<(), Refusal> {
    if ctx.state.synthesis_open() {
        return Ok(());
    }
    Err(Refusal::new(
        "phase",
        format!(
            "La sintesi si scrive dalla fase «{}» in poi: ora la fase è «{}».",
            phase_label(crate::domain::board::SYNTHESIS_PHASE),
            phase_label(&ctx.state.phase)
        ),
    ))
}

/// Cleans a text for storage: trims, drops control characters but newlines and tabs.
fn clean(s: &str) -> String {
    let kept: String = s
        .replace("\r\n", "\n")
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect();
    kept.trim().to_string()
}

/// A refusal carrying the errors of a form: the first one is its message.
fn refused(code: &'static str, fields: Vec<FieldError>) -> Refusal {
    Refusal {
        code,
        message: fields
            .first()
            .map(|f| f.message.clone())
            .unwrap_or_default(),
        fields,
    }
}

/// One of the workshop's policy areas (any short text when the workshop lists none).
fn policy_area(ctx: &Ctx, field: &str, value: &str, errors: &mut Vec<FieldError>) -> String {
    let area = value.trim().to_string();
    let known = ctx.policy_areas.is_empty() || ctx.policy_areas.contains(&area);
    if area.is_empty()
        || !known
        || area.chars().count() > MAX_SHORT
        || area.chars().any(char::is_control)
    {
        errors.push(FieldError::new(
            field,
            "Area di policy non riconosciuta: sceglila dall'elenco.",
        ));
    }
    area
}

pub(super) fn write_synthesis(
    ctx: &Ctx,
    policy_area: String,
    text: String,
) -> Result<Event, Refusal> {
    open(ctx)?;
    let mut errors = Vec::new();
    let area = self::policy_area(ctx, "policy_area", &policy_area, &mut errors);
    let text = clean(&text);
    if text.is_empty() && !ctx.state.syntheses.contains_key(&area) {
        errors.push(FieldError::new("text", "Scrivi il testo della sintesi."));
    } else if text.chars().count() > limits::SYNTHESIS {
        errors.push(FieldError::new(
            "text",
            format!(
                "Sintesi troppo lunga (al massimo {} caratteri).",
                limits::SYNTHESIS
            ),
        ));
    }
    if !errors.is_empty() {
        return Err(refused("invalid", errors));
    }
    Ok(Event::SynthesisWritten {
        policy_area: area,
        text,
    })
}

pub(super) fn create_objective(
    ctx: &Ctx,
    objective_id: String,
    draft: ObjectiveDraft,
) -> Result<Event, Refusal> {
    check_id(&objective_id)?;
    if ctx.state.objectives.contains_key(&objective_id) {
        return Err(Refusal::new(
            "duplicate_id",
            "Esiste già un obiettivo con questo identificativo.",
        ));
    }
    open(ctx)?;
    Ok(Event::ObjectiveCreated {
        objective_id,
        number: next_objective_number(ctx.state),
        objective: objective_content(ctx, draft)?,
    })
}

pub(super) fn edit_objective(
    ctx: &Ctx,
    objective_id: String,
    draft: ObjectiveDraft,
) -> Result<Event, Refusal> {
    active_objective(ctx, &objective_id)?;
    open(ctx)?;
    Ok(Event::ObjectiveEdited {
        objective_id,
        objective: objective_content(ctx, draft)?,
    })
}

pub(super) fn remove_objective(ctx: &Ctx, objective_id: String) -> Result<Event, Refusal> {
    active_objective(ctx, &objective_id)?;
    open(ctx)?;
    Ok(Event::ObjectiveRemoved { objective_id })
}

pub(super) fn restore_objective(ctx: &Ctx, objective_id: String) -> Result<Event, Refusal> {
    if objective(ctx, &objective_id)?.is_active() {
        return Err(Refusal::new(
            "already_active",
            "Questo obiettivo è già nel piano.",
        ));
    }
    open(ctx)?;
    Ok(Event::ObjectiveRestored { objective_id })
}

/// A comment on an objective: participants within what the phase allows (and not before the
/// synthesis), facilitators too.
pub(super) fn comment_objective(
    ctx: &Ctx,
    objective_id: String,
    comment_id: String,
    text: String,
) -> Result<Event, Refusal> {
    check_id(&comment_id)?;
    let objective = active_objective(ctx, &objective_id)?;
    open(ctx)?;
    ctx.participant_may(Permission::Comment)?;
    if objective.comments.iter().any(|c| c.id == comment_id) {
        return Err(Refusal::new("duplicate_id", "Commento già presente."));
    }
    let text = comment_text(&text)?;
    super::quotas::comment(ctx, text.len())?;
    Ok(Event::ObjectiveCommented {
        objective_id,
        comment_id,
        text,
    })
}

pub(super) fn mark_card(
    ctx: &Ctx,
    card_id: String,
    mark: String,
    note: Option<String>,
) -> Result<Event, Refusal> {
    ctx.active_card(&card_id)?;
    open(ctx)?;
    let Some(mark) = MarkKind::from_id(&mark) else {
        return Err(refused(
            "invalid",
            vec![FieldError::new(
                "mark",
                "Segno non valido: scegli «questione aperta» o «tema per la co-progettazione».",
            )],
        ));
    };
    let note = note.map(|n| clean(&n)).filter(|n| !n.is_empty());
    if note
        .as_ref()
        .is_some_and(|n| n.chars().count() > limits::MARK_NOTE)
    {
        return Err(refused(
            "invalid",
            vec![FieldError::new(
                "note",
                format!(
                    "Nota troppo lunga (al massimo {} caratteri).",
                    limits::MARK_NOTE
                ),
            )],
        ));
    }
    Ok(Event::CardMarked {
        card_id,
        mark,
        note,
    })
}

pub(super) fn unmark_card(ctx: &Ctx, card_id: String) -> Result<Event, Refusal> {
    let card = ctx.card(&card_id)?;
    if card.mark.is_none() {
        return Err(Refusal::new("not_marked", "Il contributo non è segnato."));
    }
    open(ctx)?;
    Ok(Event::CardUnmarked { card_id })
}

/// The objective `id`, in the plan or not.
fn objective<'a>(ctx: &Ctx<'a>, id: &str) -> Result<&'a Objective, Refusal> {
    ctx.state
        .objectives
        .get(id)
        .ok_or_else(|| Refusal::new("not_found", "Obiettivo non trovato."))
}

fn active_objective<'a>(ctx: &Ctx<'a>, id: &str) -> Result<&'a Objective, Refusal> {
    let o = objective(ctx, id)?;
    if !o.is_active() {
        return Err(Refusal::new(
            "not_active",
            "Questo obiettivo è stato tolto dal piano.",
        ));
    }
    Ok(o)
}

/// Checks every field of an objective and the cards it links; the content to store, or a
/// refusal listing every problem (`invalid_link` when only links are wrong).
fn objective_content(ctx: &Ctx, d: ObjectiveDraft) -> Result<ObjectiveContent, Refusal> {
    let mut e = Vec::new();
    let title = {
        let f = objective_field("title");
        let t = clean(&d.title);
        if t.is_empty() {
            e.push(FieldError::new(f.name, f.required.unwrap_or_default()));
        }
        too_long(&t, f, &mut e);
        t
    };
    let text = |value: Option<String>, name: &str, e: &mut Vec<FieldError>| {
        let f = objective_field(name);
        let v = value.map(|v| clean(&v)).filter(|v| !v.is_empty());
        if let Some(v) = &v {
            too_long(v, f, e);
        }
        v
    };
    let description = text(d.description, "description", &mut e);
    let interventions = text(d.interventions, "interventions", &mut e);
    let target_group = text(d.target_group, "target_group", &mut e);
    let expected_result = text(d.expected_result, "expected_result", &mut e);
    let timeline = text(d.timeline, "timeline", &mut e);
    let staff = text(d.staff, "staff", &mut e);
    let policy_area = d
        .policy_area
        .filter(|a| !a.trim().is_empty())
        .map(|a| self::policy_area(ctx, "policy_area", &a, &mut e));
    let actors = actors(d.actors, &mut e);
    let resources = resources(d.resources, &mut e);
    let fields_wrong = !e.is_empty();
    let needs = links(ctx, d.needs, Link::NEEDS, &mut e);
    let indicators = links(ctx, d.indicators, Link::INDICATORS, &mut e);
    if !e.is_empty() {
        let code = if fields_wrong {
            "invalid"
        } else {
            "invalid_link"
        };
        return Err(refused(code, e));
    }
    Ok(ObjectiveContent {
        title,
        description,
        interventions,
        target_group,
        expected_result,
        timeline,
        needs,
        indicators,
        actors,
        sovrazonale: d.sovrazonale,
        policy_area,
        resources,
        staff,
    })
}

fn too_long(v: &str, f: &Field, e: &mut Vec<FieldError>) {
    if v.chars().count() > f.max {
        e.push(FieldError::new(
            f.name,
            format!(
                "{}: testo troppo lungo (al massimo {} caratteri).",
                f.label, f.max
            ),
        ));
    }
}

/// The first line of a card's title, at most 60 characters, for a message.
fn short(title: &str) -> String {
    let line = title.lines().next().unwrap_or_default();
    if line.chars().count() > 60 {
        line.chars().take(59).collect::<String>() + "…"
    } else {
        line.to_string()
    }
}

/// What an objective may link, and how a wrong link is explained.
struct Link {
    field: &'static str,
    card_type: &'static str,
    /// "bisogni", with its article: "i bisogni".
    what: &'static str,
    /// "un bisogno".
    one: &'static str,
    column: &'static str,
}

impl Link {
    const NEEDS: Link = Link {
        field: "needs",
        card_type: "bisogno",
        what: "bisogni",
        one: "un bisogno",
        column: "Bisogni",
    };
    const INDICATORS: Link = Link {
        field: "indicators",
        card_type: "indicatore",
        what: "indicatori",
        one: "un indicatore",
        column: "Indicatori",
    };
}

/// The cards an objective links, each once, in the order given: a card merged since it was
/// chosen is replaced by the card it was merged into. Each must be on the board, active, and
/// of the right kind.
fn links(ctx: &Ctx, ids: Vec<String>, link: Link, e: &mut Vec<FieldError>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for id in ids {
        let Some(card) = ctx.state.resolve_card(id.trim()) else {
            e.push(FieldError::new(
                link.field,
                format!(
                    "Uno dei {} collegati non esiste su questa lavagna.",
                    link.what
                ),
            ));
            continue;
        };
        let title = short(card.content.title());
        if card.content.card_type() != link.card_type {
            e.push(FieldError::new(
                link.field,
                format!(
                    "«{title}» non è {}: collega solo contributi della colonna {}.",
                    link.one, link.column
                ),
            ));
        } else if !card.is_active() {
            e.push(FieldError::new(
                link.field,
                format!("«{title}» non è più sulla lavagna: toglilo dai collegamenti."),
            ));
        } else if !out.contains(&card.id) {
            out.push(card.id.clone());
        }
    }
    if out.len() > limits::OBJECTIVE_LINKS {
        e.push(FieldError::new(
            link.field,
            format!(
                "Collega al massimo {} {}.",
                limits::OBJECTIVE_LINKS,
                link.what
            ),
        ));
    }
    out
}

/// The bodies involved: trimmed, each once, short, at most [`limits::OBJECTIVE_ACTORS`].
fn actors(list: Vec<String>, e: &mut Vec<FieldError>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for a in list {
        let a = a.trim().to_string();
        if a.is_empty() || out.contains(&a) {
            continue;
        }
        if a.chars().count() > limits::ACTOR || a.chars().any(char::is_control) {
            e.push(FieldError::new(
                "actors",
                format!(
                    "Ogni soggetto coinvolto va scritto in una riga di al massimo {} caratteri.",
                    limits::ACTOR
                ),
            ));
            continue;
        }
        out.push(a);
    }
    if out.len() > limits::OBJECTIVE_ACTORS {
        e.push(FieldError::new(
            "actors",
            format!(
                "Indica al massimo {} soggetti coinvolti.",
                limits::OBJECTIVE_ACTORS
            ),
        ));
    }
    out
}

/// The lines of economic resources: an amount in whole cents from 0 to
/// [`limits::AMOUNT_CENTS`] and a fund of [`Fund::ALL`] each. Errors name the line ("Risorsa 2")
/// and its field (`resources.1.amount_cents`).
fn resources(lines: Vec<ResourceDraft>, e: &mut Vec<FieldError>) -> Vec<Resource> {
    if lines.len() > limits::RESOURCE_LINES {
        e.push(FieldError::new(
            "resources",
            format!(
                "Indica al massimo {} voci di risorse economiche.",
                limits::RESOURCE_LINES
            ),
        ));
        return Vec::new();
    }
    let funds: Vec<&str> = Fund::ALL.iter().map(|f| f.label()).collect();
    let mut out = Vec::new();
    for (i, line) in lines.into_iter().enumerate() {
        let n = i + 1;
        let field = |name: &str| format!("resources.{i}.{name}");
        let amount = match &line.amount_cents {
            serde_json::Value::Null => Err("indica l'importo in euro.".to_string()),
            serde_json::Value::Number(x) => match (x.as_u64(), x.as_i64()) {
                (Some(c), _) if c <= limits::AMOUNT_CENTS => Ok(c),
                (Some(_), _) => Err(format!(
                    "l'importo supera {}: controlla le cifre.",
                    format_euro(limits::AMOUNT_CENTS)
                )),
                (None, Some(_)) => Err("l'importo non può essere negativo.".to_string()),
                // Not an integer: a fraction of a cent, or a number written as a float.
                (None, None) => match x.as_f64().unwrap_or(f64::NAN) {
                    f if f < 0.0 => Err("l'importo non può essere negativo.".to_string()),
                    f if f > limits::AMOUNT_CENTS as f64 => Err(format!(
                        "l'importo supera {}: controlla le cifre.",
                        format_euro(limits::AMOUNT_CENTS)
                    )),
                    _ => Err("l'importo va indicato in centesimi interi.".to_string()),
                },
            },
            _ => Err("l'importo deve essere un numero (per esempio 12.500,00).".to_string()),
        };
        let amount = amount.map_err(|why| {
            e.push(FieldError::new(
                &field("amount_cents"),
                format!("Risorsa {n}: {why}"),
            ))
        });
        let fund = match line.fund.trim() {
            "" => Err("scegli il fondo.".to_string()),
            id => Fund::from_id(id).ok_or_else(|| {
                format!(
                    "fondo non riconosciuto: scegli tra {}.",
                    italian::list(&funds)
                )
            }),
        };
        let fund = fund.map_err(|why| {
            e.push(FieldError::new(
                &field("fund"),
                format!("Risorsa {n}: {why}"),
            ))
        });
        let description = line
            .description
            .map(|d| clean(&d))
            .filter(|d| !d.is_empty());
        if description.as_ref().is_some_and(|d| {
            d.chars().count() > limits::RESOURCE_DESCRIPTION || d.contains(['\n', '\t'])
        }) {
            e.push(FieldError::new(
                &field("description"),
                format!(
                    "Risorsa {n}: descrizione su una riga di al massimo {} caratteri.",
                    limits::RESOURCE_DESCRIPTION
                ),
            ));
        }
        if let (Ok(amount_cents), Ok(fund)) = (amount, fund) {
            out.push(Resource {
                amount_cents,
                fund,
                description,
            });
        }
    }
    out
}
