//! Documento istruttorio di co-programmazione (bozza): what a Lombard Piano di Zona holds, filled
//! with what the board can give and headed placeholders for what it cannot. Its sections, in
//! order (template blocks):
//!
//! 1. `oggetto` — premessa, norms, who took part;
//! 2. `metodo` — the meetings;
//! 3. `contesto`, `valutazione` — analisi del contesto and valutazione del triennio precedente:
//!    placeholders with a line of guidance (the board cannot know them);
//! 4. `risorse` — quadro delle risorse: guidance, then the resources the objectives name, by
//!    fund; `premiali` — progettualità premiali, a placeholder;
//! 5. `servizi` — the cards of the other columns a template adds (services, critical points…);
//! 6. `aree` — per macro-area (policy area): the synthesis, the needs ranked by the votes of each
//!    meeting, the needs by theme, the objectives as *schede obiettivo*, the area's open
//!    questions and topics for co-progettazione; then what spans the areas;
//! 7. `governance` — proposals: the first of each meeting, then all by theme;
//! 8. `indicatori` — each tied to the objectives it measures, with unit and responsible;
//! 9. `questioni`, `coprogettazione` — those not tied to one area.

use std::borrow::Cow;

use super::layout::{Layout, count, non_empty, short};
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
            self.meetings_table();
        }
        // What the board cannot know: the structure is complete, the office writes these.
        self.section("contesto", None);
        self.section("valutazione", None);
        if self.section("risorse", None) && !self.resources_tables() {
            self.empty_or("risorse_vuoto");
        }
        self.section("premiali", None);
        let others = o.by_column(Kind::Other);
        let n_others: usize = others.iter().map(|c| c.1.len()).sum();
        if !others.is_empty() && self.section("servizi", Some(count(n_others, CONTRIBUTO))) {
            for (title, ids) in others {
                self.heading(2, title, Some(count(ids.len(), CONTRIBUTO)));
                self.cards_by_theme(&ids, true, false);
            }
        }
        let areas = o.synthesis_areas();
        self.areas(&areas);
        self.governance();
        self.indicators_section("indicatori", o);
        // Open questions and topics of one area are in that area; the others here.
        let elsewhere = |i: &usize| {
            o.items[*i]
                .policy_area()
                .is_none_or(|a| !areas.contains(&a))
        };
        let questions: Vec<usize> = o.open_questions().into_iter().filter(elsewhere).collect();
        if self.section("questioni", Some(count(questions.len(), QUESTIONE))) {
            if questions.is_empty() {
                self.empty_or("questioni_vuoto");
            }
            self.cards_by_theme(&questions, true, false);
        }
        let topics: Vec<usize> = o.codesign_topics().into_iter().filter(elsewhere).collect();
        let codesign = o.codesign_proposals();
        if self.section(
            "coprogettazione",
            Some(count(topics.len() + codesign.len(), TEMA)),
        ) {
            if topics.is_empty() && codesign.is_empty() {
                self.empty_or("coprogettazione_vuoto");
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

    /// The meetings of the path, one row each.
    fn meetings_table(&mut self) {
        let o = self.o;
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

    /// Section 6: each macro-area, then what spans the areas (needs without an area, objectives
    /// across areas).
    fn areas(&mut self, areas: &[&'o str]) {
        let o = self.o;
        if !self.section("aree", Some(count(areas.len(), AREA))) {
            return;
        }
        let section = self.depth();
        let loose_needs: Vec<usize> = o
            .of_kind(Kind::Need)
            .into_iter()
            .filter(|&i| o.items[i].policy_area().is_none())
            .collect();
        let across = o.objectives_of(None);
        if areas.is_empty() && loose_needs.is_empty() && across.is_empty() {
            self.empty_or("vuoto");
            return;
        }
        for &area in areas {
            let objectives = o.objectives_of(Some(area));
            self.heading_below(section, area, Some(count(objectives.len(), OBIETTIVO)));
            let level = self.depth();
            if let Some(title) = self.title_of("area_sintesi_titolo") {
                self.heading_below(level, title, None);
                if !self.syntheses(area) {
                    self.empty_or("area_sintesi_vuota");
                }
            }
            let needs: Vec<usize> = o
                .of_kind(Kind::Need)
                .into_iter()
                .filter(|&i| o.items[i].policy_area() == Some(area))
                .collect();
            self.area_needs(level, &needs, |it| it.policy_area() == Some(area));
            self.area_objectives(level, &objectives);
            let in_area = |i: &usize| o.items[*i].policy_area() == Some(area);
            let questions: Vec<usize> = o.open_questions().into_iter().filter(in_area).collect();
            self.area_marked(level, "area_questioni_titolo", &questions, QUESTIONE);
            let topics: Vec<usize> = o.codesign_topics().into_iter().filter(in_area).collect();
            self.area_marked(level, "area_coprogettazione_titolo", &topics, TEMA);
        }
        if !loose_needs.is_empty() || !across.is_empty() {
            let title = self
                .title_of("area_trasversale_titolo")
                .unwrap_or("Trasversale alle aree di policy");
            self.heading_below(section, title, Some(count(across.len(), OBIETTIVO)));
            let level = self.depth();
            if !loose_needs.is_empty() {
                self.area_needs(level, &loose_needs, |it| {
                    it.kind == Kind::Need && it.policy_area().is_none()
                });
            }
            self.area_objectives(level, &across);
        }
    }

    /// An area's needs: those the room voted first in each meeting, then all of them by theme.
    fn area_needs(
        &mut self,
        level: u8,
        needs: &[usize],
        in_area: impl Fn(&crate::export::outline::Item) -> bool,
    ) {
        if let Some(title) = self.title_of("area_priorita_titolo") {
            self.heading_below(level, title, None);
            let voted = self.priorities_by_meeting("Bisogni più votati", |it| {
                it.kind == Kind::Need && in_area(it)
            });
            if !voted {
                self.empty_or("area_priorita_vuota");
            }
        }
        if let Some(title) = self.title_of("area_bisogni_titolo") {
            self.heading_below(level, title, Some(count(needs.len(), BISOGNO)));
            if needs.is_empty() {
                self.empty_or("vuoto");
            }
            self.cards_by_theme(needs, false, false);
        }
    }

    /// An area's objectives, each with its sheet.
    fn area_objectives(
        &mut self,
        level: u8,
        objectives: &[&'o crate::export::outline::ObjectiveItem<'a>],
    ) {
        let Some(title) = self.title_of("area_obiettivi_titolo") else {
            return;
        };
        self.heading_below(level, title, Some(count(objectives.len(), OBIETTIVO)));
        let sub = self.depth();
        if objectives.is_empty() {
            self.empty_or("area_obiettivi_vuoto");
        }
        for it in objectives {
            self.objective_sheet(sub, it);
        }
    }

    /// An area's marked cards of one kind, under their heading; nothing when there are none.
    fn area_marked(
        &mut self,
        level: u8,
        key: &str,
        ids: &[usize],
        noun: crate::domain::italian::Noun,
    ) {
        if ids.is_empty() {
            return;
        }
        if let Some(title) = self.title_of(key) {
            self.heading_below(level, title, Some(count(ids.len(), noun)));
            for &i in ids {
                self.card(i, false, false);
            }
        }
    }

    /// The governance proposals: the first of each meeting by votes, then all by theme.
    fn governance(&mut self) {
        let o = self.o;
        let proposals = o.proposals_by_votes();
        if !self.section("governance", Some(count(proposals.len(), PROPOSTA))) {
            return;
        }
        if proposals.is_empty() {
            self.empty_or("vuoto");
            return;
        }
        self.priorities_by_meeting("Proposte più votate", |it| it.kind == Kind::Proposal);
        self.cards_by_theme(&proposals, true, false);
    }

    /// A heading the template gives (`None` when it leaves the block empty: no heading).
    fn title_of(&self, key: &str) -> Option<&'o str> {
        non_empty(self.text(key))
    }
}
