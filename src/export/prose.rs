//! The wording of the Word documents, from the minijinja templates `templates/export/*.txt`.
//!
//! Each document type has one template; each heading and each introductory text is a
//! `{% block %}` of it (`oggetto_titolo`, `oggetto`, …). The layout says which blocks it reads
//! (`document::blocks`, next to the document outline) and [`Prose::render`] renders them with a
//! context of plain data — workshop, scope, meetings, counts; never a card's text. The layout
//! places them between the tables and lists it builds from the board. A block left empty (or
//! removed) in an Ambito's copy of the template removes that heading or text: a heading block
//! left empty drops its whole section.
//!
//! Text conventions in the blocks: a blank line separates paragraphs; a line starting with
//! `- ` is a bullet; other line breaks inside a paragraph are spaces.

use std::collections::HashMap;

use serde::Serialize;

use super::format::DocType;
use super::outline::{Kind, Outline, SessionView};
use super::scope::Extent;
use crate::domain::process::{PartyKind, Procedure, Process};
use crate::domain::{dates, italian};
use crate::templates::Templates;

/// The rendered blocks: one set for the document, or one per meeting for the minutes.
#[derive(Debug)]
pub struct Prose {
    parts: Vec<HashMap<&'static str, String>>,
}

impl Prose {
    /// Renders the blocks `names` of `doc`'s template (`document::blocks(doc)`: the blocks the
    /// layout reads). For the minutes, once per meeting (each with that meeting as `meeting`).
    pub fn render(
        templates: &Templates,
        doc: DocType,
        names: &'static [&'static str],
        outline: &Outline,
    ) -> Result<Prose, minijinja::Error> {
        let name = doc.template();
        let base = Context::new(outline, doc);
        let contexts: Vec<Context> = match doc {
            DocType::Verbale => (0..outline.sessions.len().max(1))
                .map(|i| {
                    let mut c = base.clone();
                    c.meeting = outline
                        .sessions
                        .get(i)
                        .map(|s| MeetingCtx::new(outline, s, i));
                    c
                })
                .collect(),
            _ => vec![base],
        };
        let mut parts = Vec::with_capacity(contexts.len());
        for ctx in contexts {
            let texts = templates.render_blocks(&name, &ctx, names)?;
            parts.push(names.iter().copied().zip(texts).collect());
        }
        Ok(Prose { parts })
    }

    /// A block of part `part` (0 unless minutes), trimmed; empty when missing.
    pub fn get(&self, part: usize, block: &str) -> &str {
        self.parts
            .get(part)
            .or_else(|| self.parts.first())
            .and_then(|p| p.get(block))
            .map(|s| s.trim())
            .unwrap_or_default()
    }
}

/// Splits prose into paragraphs and bullets (see the module docs).
pub fn paragraphs(text: &str) -> Vec<(bool, String)> {
    let mut out = Vec::new();
    for para in text.split("\n\n") {
        let mut current = String::new();
        for line in para.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if let Some(b) = line.strip_prefix("- ").or_else(|| line.strip_prefix("• ")) {
                if !current.is_empty() {
                    out.push((false, std::mem::take(&mut current)));
                }
                out.push((true, b.trim().to_string()));
            } else {
                if !current.is_empty() {
                    current.push(' ');
                }
                current.push_str(line);
            }
        }
        if !current.is_empty() {
            out.push((false, current));
        }
    }
    out
}

/// What the templates can use. Documented in `templates/export/README.md`.
#[derive(Debug, Clone, Serialize)]
struct Context {
    documento: &'static str,
    /// "laboratorio" (a training activity: its documents are exercises) or "procedimento".
    processo: &'static str,
    /// The facts of a procedimento (absent for a laboratorio).
    procedimento: Option<ProcedureCtx>,
    workshop: WorkshopCtx,
    scope: ScopeCtx,
    ambito: Option<String>,
    meetings: Vec<MeetingCtx>,
    /// The meeting of these minutes (verbale only).
    meeting: Option<MeetingCtx>,
    counts: Counts,
    /// "3 marzo 2027", "1° marzo 2027".
    generated: String,
    /// "9:05".
    generated_time: String,
}

#[derive(Debug, Clone, Serialize)]
struct WorkshopCtx {
    title: String,
    organiser: String,
    funding: String,
    facilitators: Vec<String>,
    facilitators_list: String,
    modules: Vec<String>,
}

/// A procedimento's facts, as its acts print them.
#[derive(Debug, Clone, Serialize)]
struct ProcedureCtx {
    /// L'amministrazione procedente.
    procedente: String,
    ente_capofila: String,
    ambito: String,
    responsabile: String,
    verbalizzante: String,
    /// "determinazione dirigenziale n. 123 del 10 gennaio 2027".
    atto_avvio: String,
    /// "15 gennaio 2027", when an avviso pubblico was published.
    avviso_pubblico: Option<String>,
    /// "2025–2027".
    periodo: Option<String>,
    /// The parties of the Accordo, by kind: `{kind, gruppo, nomi}`.
    parti: Vec<PartiesCtx>,
}

#[derive(Debug, Clone, Serialize)]
struct PartiesCtx {
    kind: &'static str,
    gruppo: &'static str,
    nomi: Vec<String>,
}

impl ProcedureCtx {
    fn new(p: &Procedure) -> ProcedureCtx {
        let act = &p.opening_act;
        ProcedureCtx {
            procedente: p.authority.clone(),
            ente_capofila: p.lead_body.clone(),
            ambito: p.ambito.clone(),
            responsabile: p.responsible.clone(),
            verbalizzante: p.minutes_by.clone(),
            atto_avvio: format!(
                "{} n. {} {}",
                act.kind,
                act.number,
                italian::with_article("del", &dates::format_date(act.date)).unwrap_or_default()
            ),
            avviso_pubblico: p.public_notice.map(dates::format_date),
            periodo: p.plan_period.clone(),
            parti: PartyKind::ALL
                .iter()
                .map(|k| PartiesCtx {
                    kind: k.id(),
                    gruppo: k.group_label(),
                    nomi: p
                        .parties
                        .iter()
                        .filter(|x| x.kind == *k)
                        .map(|x| x.name.clone())
                        .collect(),
                })
                .filter(|g| !g.nomi.is_empty())
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
struct ScopeCtx {
    /// "incontro" | "modulo" | "laboratorio"
    kind: &'static str,
    label: String,
    module_number: Option<u32>,
    module_title: Option<String>,
    first_date: String,
    last_date: String,
    hidden_apart: bool,
    /// Hidden cards are listed with their text (an organiser asked for it).
    hidden_text: bool,
}

#[derive(Debug, Clone, Serialize)]
struct MeetingCtx {
    index: usize,
    id: i64,
    number: u32,
    module_number: u32,
    module_title: String,
    title: String,
    date: String,
    date_label: String,
    date_long: String,
    start: String,
    end: String,
    time_label: String,
    place: String,
    online: bool,
    phases: Vec<String>,
    staff: Vec<String>,
    /// The ordine del giorno, as the workshop file lists it.
    agenda: Vec<String>,
    contributions: usize,
    people: usize,
    organisations: usize,
    /// Guests of the Terzo settore who joined with the meeting's code.
    guests: usize,
    /// Whether the board was used at all: a phase opened or a card written.
    board_used: bool,
    /// Whether any card was written on the board, whatever became of it (withdrawn, hidden,
    /// never revealed, of another Ambito): tells "nothing was written" from "nothing is
    /// reported here".
    cards_written: bool,
}

impl MeetingCtx {
    fn new(outline: &Outline, s: &SessionView, index: usize) -> MeetingCtx {
        let m = &s.session.meeting;
        MeetingCtx {
            index,
            id: s.session.id,
            number: m.number,
            module_number: s.session.module_number,
            module_title: s.session.module_title.clone(),
            title: s.title.clone(),
            date: m.date.to_string(),
            date_label: s.date_label.clone(),
            date_long: s.date_long.clone(),
            start: dates::format_time(m.start),
            end: dates::format_time(m.end),
            time_label: s.time_label.clone(),
            place: m.place.clone(),
            online: m.place.eq_ignore_ascii_case("online"),
            phases: s.phases.iter().map(|p| p.label.clone()).collect(),
            staff: s.staff.clone(),
            agenda: m.agenda.clone(),
            contributions: outline.in_session(index).len(),
            people: s.participation.people,
            organisations: s.participation.by_organisation.len(),
            guests: s
                .participation
                .guests_by_organisation
                .iter()
                .map(|g| g.1)
                .sum(),
            board_used: !s.phases.is_empty() || !s.session.board.cards.is_empty(),
            cards_written: !s.session.board.cards.is_empty(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
struct Counts {
    contributi: usize,
    bisogni: usize,
    proposte: usize,
    indicatori: usize,
    questioni: usize,
    temi_coprogettazione: usize,
    altri: usize,
    /// The objectives of the meetings' synthesis, and the syntheses written (one per area
    /// and meeting).
    obiettivi: usize,
    sintesi: usize,
    /// The sum of the resources the objectives name, "€ 12.500,00" ("" when none).
    risorse: String,
    voti: u32,
    persone: usize,
    presenze: usize,
    enti: usize,
    ospiti: usize,
    incontri: usize,
    nascosti: usize,
    non_rivelati: usize,
}

impl Context {
    fn new(o: &Outline, doc: DocType) -> Context {
        let w = o.workshop;
        let count = |k: Kind| o.items.iter().filter(|i| i.kind == k).count();
        let (kind, module_number) = match &o.scope.extent {
            Extent::Meeting(_) => (
                "incontro",
                o.sessions.first().map(|s| s.session.module_number),
            ),
            Extent::Module(n) => ("modulo", Some(*n)),
            Extent::Workshop => ("laboratorio", None),
        };
        let generated = o.generated_at.with_timezone(&w.timezone);
        Context {
            documento: doc.label(),
            processo: match w.process {
                Process::Laboratorio => "laboratorio",
                Process::Procedimento(_) => "procedimento",
            },
            procedimento: w.process.procedure().map(ProcedureCtx::new),
            workshop: WorkshopCtx {
                title: w.title.clone(),
                organiser: w.organiser.clone(),
                funding: w.funding.clone(),
                facilitators: w.facilitators.clone(),
                facilitators_list: italian::list(&w.facilitators),
                modules: w.modules.iter().map(|m| m.title.clone()).collect(),
            },
            scope: ScopeCtx {
                kind,
                label: o.scope_label(),
                module_number,
                module_title: module_number.and_then(|n| {
                    w.modules
                        .iter()
                        .find(|m| m.number == n)
                        .map(|m| m.title.clone())
                }),
                first_date: o
                    .sessions
                    .first()
                    .map(|s| s.date_label.clone())
                    .unwrap_or_default(),
                last_date: o
                    .sessions
                    .last()
                    .map(|s| s.date_label.clone())
                    .unwrap_or_default(),
                hidden_apart: o.scope.hidden.listed(),
                hidden_text: o.scope.hidden.with_text(),
            },
            ambito: o.scope.ambito.clone(),
            meetings: o
                .sessions
                .iter()
                .enumerate()
                .map(|(i, s)| MeetingCtx::new(o, s, i))
                .collect(),
            meeting: None,
            counts: Counts {
                contributi: o.items.len(),
                bisogni: count(Kind::Need),
                proposte: count(Kind::Proposal),
                indicatori: count(Kind::Indicator),
                questioni: o.open_questions().len(),
                temi_coprogettazione: o.codesign_topics().len(),
                altri: count(Kind::Other),
                obiettivi: o.objectives.len(),
                sintesi: o.syntheses.len(),
                risorse: {
                    let funds = o.resources_by_fund();
                    if funds.is_empty() {
                        String::new()
                    } else {
                        let cents = funds.iter().map(|f| f.cents).fold(0, u64::saturating_add);
                        crate::domain::money::format_euro(cents)
                    }
                },
                voti: o.items.iter().map(|i| i.votes).sum(),
                persone: o.participation.people,
                presenze: o.participation.presences,
                enti: o.participation.by_organisation.len(),
                ospiti: o
                    .participation
                    .guests_by_organisation
                    .iter()
                    .map(|g| g.1)
                    .sum(),
                incontri: o.sessions.len(),
                nascosti: o.hidden.len(),
                non_rivelati: o.unrevealed,
            },
            generated: dates::format_date_long(generated.date_naive()),
            generated_time: dates::format_time(generated.time()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_and_bullets() {
        let p = paragraphs("Primo\nrigo.\n\n- uno\n- due\nDopo\n\n\n  Ultimo  ");
        assert_eq!(
            p,
            vec![
                (false, "Primo rigo.".to_string()),
                (true, "uno".to_string()),
                (true, "due".to_string()),
                (false, "Dopo".to_string()),
                (false, "Ultimo".to_string()),
            ]
        );
    }
}
