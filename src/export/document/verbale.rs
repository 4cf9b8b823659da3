//! Verbale della seduta (a procedimento) or resoconto dell'incontro (a laboratorio): the minutes
//! of each meeting in scope. Its sections, in order (template blocks): `seduta` (date, place,
//! who presides and who takes the minutes, or who conducts), `ordine` (the ordine del giorno),
//! `presenze` (the register by ente and role, the Terzo settore's guests), `svolgimento` (the
//! phases and what each produced, then `discussione`, where the minutes-taker writes the
//! discussion), `contributi` (the cards by board column), `esiti` (priorities by kind of card,
//! themes), `chiusura` ("letto, approvato e sottoscritto" and the `firme`: the responsabile del
//! procedimento and the verbalizzante, or who conducted). With several meetings, each meeting's
//! sections sit under its own level-1 heading (`seduta_intestazione`) and the template is
//! rendered once per meeting.
//!
//! A meeting with no contribution in the document (its board never used, or nothing on it for
//! this scope) says so once, in the `contributi` section (the template's `seduta_vuota`), and
//! has no `esiti` section: minutes that list zeros under three headings read as a broken record.

use std::borrow::Cow;

use super::layout::{Layout, agree, count, non_empty, short};
use super::model::Column::{Short, Text};
use super::model::{Block, Span, Style};
use super::sections::PRIORITIES;
use crate::domain::italian::{self, nouns::*};
use crate::export::outline::Kind;
use crate::export::prose::paragraphs;

impl<'a: 'o, 'o> Layout<'a, 'o> {
    /// The minutes of every meeting in scope, after the front matter.
    pub(super) fn verbale(&mut self) {
        let o = self.o;
        let several = o.sessions.len() > 1;
        for si in 0..o.sessions.len() {
            self.part = si;
            let s = &o.sessions[si];
            if several {
                if si > 0 {
                    self.blocks.push(Block::PageBreak);
                }
                self.base = 0;
                let title = non_empty(self.text("seduta_intestazione"))
                    .map(Cow::Borrowed)
                    .unwrap_or_else(|| {
                        Cow::Owned(format!(
                            "{} {}",
                            if o.workshop.process.procedure().is_some() {
                                "Seduta"
                            } else {
                                "Incontro"
                            },
                            italian::with_article("del", &s.date_label).unwrap_or_default()
                        ))
                    });
                self.heading(1, title, Some(count(o.in_session(si).len(), CONTRIBUTO)));
                self.base = 1;
            }
            if self.section("seduta", Some(s.date_label.clone())) {
                let w = o.workshop;
                let mut rows = vec![
                    vec![Cow::Borrowed("Data"), Cow::Owned(s.date_long.clone())],
                    vec![Cow::Borrowed("Orario"), Cow::Owned(s.time_label.clone())],
                    vec![
                        Cow::Borrowed("Luogo"),
                        Cow::Borrowed(s.session.meeting.place.as_str()),
                    ],
                    vec![
                        Cow::Borrowed("Modulo"),
                        Cow::Owned(format!(
                            "{} — {}",
                            s.session.module_number, s.session.module_title
                        )),
                    ],
                    vec![
                        Cow::Borrowed("Conduzione"),
                        Cow::Owned(italian::list(&w.facilitators)),
                    ],
                ];
                if !s.staff.is_empty() {
                    rows.push(vec![
                        Cow::Borrowed("Hanno guidato la lavagna"),
                        Cow::Owned(italian::list(&s.staff)),
                    ]);
                }
                self.table(
                    "Data, luogo e conduzione",
                    &[Short, Text(1)],
                    &["Voce", "Dettaglio"],
                    rows,
                );
            }
            if self.section("ordine", None) {
                // The points are bullets of the template's text (`meeting.agenda`).
            }
            if self.section("presenze", Some(count(s.participation.people, PERSONA))) {
                self.participation(&s.participation, false);
            }
            // No phase was opened: there is no proceeding to list (the `contributi` section
            // says what the board holds).
            if !s.phases.is_empty()
                && self.section("svolgimento", Some(count(s.phases.len(), FASE)))
            {
                let rows = s
                    .phases
                    .iter()
                    .map(|p| {
                        vec![
                            Cow::Borrowed(p.at.as_str()),
                            Cow::Borrowed(p.label.as_str()),
                            Cow::Borrowed(p.by.as_str()),
                            Cow::Owned(if p.produced == 0 {
                                "—".to_string()
                            } else {
                                italian::count_digits(p.produced as u64, CONTRIBUTO)
                            }),
                        ]
                    })
                    .collect();
                self.table(
                    "Fasi: ora, apertura e contributi raccolti",
                    &[Short, Text(1), Text(1), Short],
                    &["Ora", "Fase", "Aperta da", "Contributi raccolti"],
                    rows,
                );
                for (_, line) in paragraphs(self.text("discussione")) {
                    self.para(Style::Note, vec![Span::plain(line)]);
                }
            }
            let mine = o.in_session(si);
            if mine.is_empty() {
                // One sentence for an empty meeting, and no `esiti` (see the module docs).
                if self.section_heading("contributi", Some(count(0, CONTRIBUTO))) {
                    let text = non_empty(self.text("seduta_vuota")).unwrap_or(
                        "Nella seduta non sono stati raccolti contributi sulla lavagna, né espressi voti.",
                    );
                    self.para(Style::Normal, vec![Span::plain(text)]);
                }
            } else if self.section("contributi", Some(count(mine.len(), CONTRIBUTO))) {
                let columns = &s.session.board.template.columns;
                let mut done = vec![false; mine.len()];
                for col in columns {
                    let ids: Vec<usize> = mine
                        .iter()
                        .enumerate()
                        .filter(|(_, i)| self.item(**i).card.column == col.card_type)
                        .map(|(k, i)| {
                            done[k] = true;
                            *i
                        })
                        .collect();
                    if ids.is_empty() {
                        continue;
                    }
                    self.heading(2, col.title.as_str(), Some(count(ids.len(), CONTRIBUTO)));
                    self.cards_by_theme(&ids, true, true);
                }
                let rest: Vec<usize> = mine
                    .iter()
                    .zip(&done)
                    .filter(|(_, d)| !**d)
                    .map(|(i, _)| *i)
                    .collect();
                if !rest.is_empty() {
                    self.heading(2, "Altri contributi", None);
                    self.cards_by_theme(&rest, true, true);
                }
            }
            let synthesis = o.syntheses.iter().any(|x| x.session == si)
                || o.objectives.iter().any(|x| x.session == si);
            if (!mine.is_empty() || synthesis) && self.section("esiti", None) {
                // Priorities by kind of card: a need and a proposal do not compete.
                let mut voted = false;
                for (kind, heading) in [
                    (Kind::Need, "Bisogni prioritari"),
                    (Kind::Proposal, "Proposte prioritarie"),
                    (Kind::Indicator, "Indicatori prioritari"),
                ] {
                    let ranked = o.top(PRIORITIES, |it| it.session == si && it.kind == kind);
                    if ranked.is_empty() {
                        continue;
                    }
                    voted = true;
                    self.heading(2, heading, Some(count(ranked.len(), CONTRIBUTO)));
                    self.priorities_table(format!("{heading}, in ordine di voti"), &ranked);
                }
                if !voted {
                    let text = if o.workshop.process.procedure().is_some() {
                        "Nella seduta non si sono espressi voti."
                    } else {
                        "Nell'incontro non si sono espressi voti."
                    };
                    self.para(Style::Note, vec![Span::plain(text)]);
                }
                self.meeting_synthesis(si);
                let themes: Vec<_> = o
                    .by_theme(&mine)
                    .into_iter()
                    .filter(|(t, _)| t.is_some())
                    .collect();
                if !themes.is_empty() {
                    self.para(
                        Style::Normal,
                        vec![Span::plain("Temi individuati nella seduta:")],
                    );
                }
                for (theme, ids) in themes {
                    if let Some(t) = theme {
                        self.para(
                            Style::Bullet,
                            vec![
                                Span::plain(format!("Tema «{t}»: ")),
                                Span::plain(count(ids.len(), CONTRIBUTO)),
                            ],
                        );
                    }
                }
                let merged: usize = mine.iter().map(|&i| self.item(i).card.merged.len()).sum();
                if merged > 0 {
                    // "1 contributo è stato unito a un altro simile: è riportato insieme a quello."
                    let a = agree(merged, CONTRIBUTO);
                    self.para(
                        Style::Note,
                        vec![Span::plain(format!(
                            "{} {} {} {}: {} {} insieme a {}.",
                            count(merged, CONTRIBUTO),
                            a.was(),
                            a.word("unito"),
                            a.pick("a un altro simile", "ad altri simili"),
                            a.pick("è", "sono"),
                            a.word("riportato"),
                            a.pick("quello", "quelli"),
                        ))],
                    );
                }
            }
            if self.section("chiusura", None) {
                for (_, line) in paragraphs(self.text("firme")) {
                    self.para(Style::Signature, vec![Span::plain(line)]);
                }
            }
        }
        self.base = 0;
    }

    /// What the meeting's synthesis decided: its syntheses by area, its objectives (as a
    /// list: the sheets are in the documento di co-programmazione), the cards it left as open
    /// questions or topics for co-progettazione, each with the facilitator's note.
    fn meeting_synthesis(&mut self, si: usize) {
        let o = self.o;
        let syntheses: Vec<_> = o.syntheses.iter().filter(|x| x.session == si).collect();
        if !syntheses.is_empty() {
            self.heading(
                2,
                "Sintesi per area di policy",
                Some(count(syntheses.len(), AREA)),
            );
            for x in syntheses {
                self.para(
                    Style::Card,
                    vec![Span::bold(x.synthesis.policy_area.as_str())],
                );
                for (bullet, line) in paragraphs(&x.synthesis.text) {
                    let style = if bullet { Style::Bullet } else { Style::Normal };
                    self.para(style, vec![Span::plain(line)]);
                }
            }
        }
        let objectives: Vec<_> = o.objectives.iter().filter(|x| x.session == si).collect();
        if !objectives.is_empty() {
            self.heading(
                2,
                "Obiettivi definiti",
                Some(count(objectives.len(), OBIETTIVO)),
            );
            self.objectives_table("Obiettivi definiti nell'incontro", &objectives);
        }
        for (heading, ids, noun) in [
            ("Questioni aperte", o.open_questions(), QUESTIONE),
            ("Temi per la co-progettazione", o.codesign_topics(), TEMA),
        ] {
            let ids: Vec<usize> = ids
                .into_iter()
                .filter(|&i| o.items[i].session == si)
                .collect();
            if ids.is_empty() {
                continue;
            }
            self.heading(2, heading, Some(count(ids.len(), noun)));
            for i in ids {
                let it = self.item(i);
                let mut line = vec![
                    Span::bold(format!("[{}] ", it.reference)),
                    Span::plain(short(it.title(), 300)),
                ];
                if let Some(note) = it.card.mark.as_ref().and_then(|m| m.note.as_deref()) {
                    line.push(Span::italic(format!(" — {note}")));
                }
                self.para(Style::Bullet, line);
            }
        }
    }
}
