//! Documento di co-programmazione (bozza): the closing document of the workshop for the Piano di
//! Zona. Its sections, in order (template blocks): `oggetto` (who took part), `metodo` (the
//! meetings), `bisogni` (needs by policy area), `servizi` (the other columns a template adds),
//! `priorita` (what the room voted), `governance` (proposals), `indicatori`, `questioni` (open
//! questions), `coprogettazione` (topics to carry into co-progettazione).

use std::borrow::Cow;

use super::layout::{Layout, count, short};
use super::model::Column::{Short, Text};
use super::model::{Span, Style};
use crate::domain::italian::nouns::*;
use crate::export::outline::Kind;

impl<'a: 'o, 'o> Layout<'a, 'o> {
    /// The sections of the document, after the front matter.
    pub(super) fn coprogrammazione(&mut self) {
        let o = self.o;
        let several = o.sessions.len() > 1;
        let p = &o.participation;
        if self.section(
            "oggetto",
            Some(format!(
                "{} di {}",
                count(p.people, PERSONA),
                count(p.by_organisation.len(), ENTE)
            )),
        ) {
            self.participation(p, several);
        }
        if self.section("metodo", Some(count(o.sessions.len(), INCONTRO))) {
            let rows = o
                .sessions
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    vec![
                        Cow::Owned(format!(
                            "Modulo {}, n. {}",
                            s.session.module_number, s.session.meeting.number
                        )),
                        Cow::Owned(s.date_label.clone()),
                        Cow::Owned(s.time_label.clone()),
                        Cow::Owned(s.session.meeting.place.clone()),
                        Cow::Owned(
                            s.phases
                                .iter()
                                .map(|p| p.label.as_str())
                                .collect::<Vec<_>>()
                                .join(", "),
                        ),
                        Cow::Owned(o.in_session(i).len().to_string()),
                    ]
                })
                .collect();
            self.table(
                "Incontri del percorso",
                &[Short, Short, Short, Text(1), Text(2), Short],
                &[
                    "Incontro",
                    "Data",
                    "Orario",
                    "Luogo",
                    "Fasi svolte",
                    "Contributi",
                ],
                rows,
            );
        }
        let needs = o.of_kind(Kind::Need);
        if self.section("bisogni", Some(count(needs.len(), BISOGNO))) {
            let areas = o.needs_by_area();
            if areas.is_empty() {
                self.empty();
            }
            for (area, ids) in areas {
                self.heading(
                    2,
                    area.unwrap_or("Area di policy non indicata"),
                    Some(count(ids.len(), BISOGNO)),
                );
                self.cards_by_theme(&ids, false, false);
            }
        }
        let others = o.by_column(Kind::Other);
        let n_others: usize = others.iter().map(|c| c.1.len()).sum();
        if self.section("servizi", Some(count(n_others, CONTRIBUTO))) {
            if others.is_empty() {
                self.empty();
            }
            for (title, ids) in others {
                self.heading(2, title, Some(count(ids.len(), CONTRIBUTO)));
                self.cards_by_theme(&ids, true, false);
            }
        }
        let ranked = o.priorities(|_| true);
        let voted = super::layout::agree(ranked.len(), CONTRIBUTO).word("votato");
        if self.section(
            "priorita",
            Some(format!("{} {voted}", count(ranked.len(), CONTRIBUTO))),
        ) {
            if ranked.is_empty() {
                self.empty();
            } else {
                self.priorities_table(&ranked);
            }
        }
        let proposals = o.proposals_by_votes();
        self.proposals_section("governance", &proposals);
        self.indicators_section("indicatori", o);
        let questions = o.of_kind(Kind::OpenQuestion);
        if self.section("questioni", Some(count(questions.len(), QUESTIONE))) {
            if questions.is_empty() {
                self.empty();
            }
            self.cards_by_theme(&questions, true, false);
        }
        let topics = o.of_kind(Kind::CoDesign);
        let codesign = o.codesign_proposals();
        if self.section(
            "coprogettazione",
            Some(count(topics.len() + codesign.len(), TEMA)),
        ) {
            if topics.is_empty() && codesign.is_empty() {
                self.empty();
            }
            self.cards_by_theme(&topics, true, false);
            for i in codesign {
                let it = self.item(i);
                self.para(
                    Style::Bullet,
                    vec![
                        Span::bold(format!("[{}] ", it.reference)),
                        Span::plain(short(it.title(), 300)),
                        Span::italic(
                            " (proposta di co-progettazione: vedi le proposte di governance)",
                        ),
                    ],
                );
            }
        }
    }
}
