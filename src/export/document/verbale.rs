//! Verbale della seduta: the minutes of each meeting in scope. Its sections, in order (template
//! blocks): `seduta` (date, place, who led), `presenze` (the register), `svolgimento` (the
//! phases), `contributi` (the cards by board column), `esiti` (votes and themes), `chiusura`
//! (with the `firme` lines). With several meetings, each meeting's sections sit under its own
//! level-1 heading (`seduta_intestazione`) and the template is rendered once per meeting.

use std::borrow::Cow;

use super::layout::{Layout, count_word, non_empty};
use super::model::Column::{Short, Text};
use super::model::{Block, Span, Style};
use crate::export::prose::{list_it, paragraphs};

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
                    .unwrap_or_else(|| Cow::Owned(format!("Seduta del {}", s.date_label)));
                self.heading(
                    1,
                    title,
                    Some(count_word(
                        o.in_session(si).len(),
                        "contributo",
                        "contributi",
                    )),
                );
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
                        Cow::Owned(list_it(&w.facilitators)),
                    ],
                ];
                if !s.staff.is_empty() {
                    rows.push(vec![
                        Cow::Borrowed("Hanno guidato la lavagna"),
                        Cow::Owned(list_it(&s.staff)),
                    ]);
                }
                self.table(&[Short, Text(1)], &["Voce", "Dettaglio"], rows);
            }
            if self.section(
                "presenze",
                Some(format!("{} persone", s.participation.people)),
            ) {
                self.participation(&s.participation, false);
            }
            if self.section(
                "svolgimento",
                Some(count_word(s.phases.len(), "fase", "fasi")),
            ) {
                if s.phases.is_empty() {
                    self.empty();
                } else {
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
                        &[Short, Text(1), Text(1)],
                        &["Ora", "Fase", "Aperta da"],
                        rows,
                    );
                }
            }
            let mine = o.in_session(si);
            if self.section(
                "contributi",
                Some(count_word(mine.len(), "contributo", "contributi")),
            ) {
                if mine.is_empty() {
                    self.empty();
                }
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
                    self.heading(
                        2,
                        col.title.as_str(),
                        Some(count_word(ids.len(), "contributo", "contributi")),
                    );
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
            if self.section("esiti", None) {
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
                                Span::plain(count_word(ids.len(), "contributo", "contributi")),
                            ],
                        );
                    }
                }
                let merged: usize = mine.iter().map(|&i| self.item(i).card.merged.len()).sum();
                if merged > 0 {
                    self.para(
                        Style::Note,
                        vec![Span::plain(format!(
                            "{} uniti ad altri simili: ciascuno compare una sola volta.",
                            count_word(merged, "contributo è stato", "contributi sono stati")
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
