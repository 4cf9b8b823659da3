//! Verbale della seduta: the minutes of each meeting in scope. Its sections, in order (template
//! blocks): `seduta` (date, place, who led), `presenze` (the register), `svolgimento` (the
//! phases), `contributi` (the cards by board column), `esiti` (votes and themes), `chiusura`
//! (with the `firme` lines). With several meetings, each meeting's sections sit under its own
//! level-1 heading (`seduta_intestazione`) and the template is rendered once per meeting.
//!
//! A meeting with no contribution in the document (its board never used, or nothing on it for
//! this scope) says so once, in the `contributi` section (the template's `seduta_vuota`), and
//! has no `esiti` section: minutes that list zeros under three headings read as a broken record.

use std::borrow::Cow;

use super::layout::{Layout, agree, count, non_empty};
use super::model::Column::{Short, Text};
use super::model::{Block, Span, Style};
use crate::domain::italian::{self, nouns::*};
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
                            "Seduta {}",
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
                    "Data, luogo e conduzione della seduta",
                    &[Short, Text(1)],
                    &["Voce", "Dettaglio"],
                    rows,
                );
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
                        ]
                    })
                    .collect();
                self.table(
                    "Fasi della seduta",
                    &[Short, Text(1), Text(1)],
                    &["Ora", "Fase", "Aperta da"],
                    rows,
                );
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
            let ranked = o.priorities(|it| it.session == si);
            if !mine.is_empty() && self.section("esiti", None) {
                if ranked.is_empty() {
                    self.para(
                        Style::Note,
                        vec![Span::plain("Nella seduta non si sono espressi voti.")],
                    );
                } else {
                    self.priorities_table(&ranked);
                }
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
}
