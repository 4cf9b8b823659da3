//! Sections and tables more than one document uses: the front matter (every document), the
//! participation tables (minutes, co-programmazione, accordo), the priorities table (minutes,
//! co-programmazione), the proposals and the indicators sections (co-programmazione, accordo).

use std::borrow::Cow;

use super::layout::{Layout, count, count_digits, non_empty, short};
use super::model::Column::{Short, Text};
use super::model::{Block, Span, Style, Table};
use crate::domain::cards::CardContent;
use crate::domain::italian::{self, nouns::*};
use crate::export::format::DocType;
use crate::export::outline::{Item, Kind, Outline, Participation, indicator_type_label};
use crate::export::prose::paragraphs;

/// How many priorities of each kind the documents list, meeting by meeting: the first five
/// by votes (more when several tie for the fifth place).
pub(super) const PRIORITIES: usize = 5;

impl<'a: 'o, 'o> Layout<'a, 'o> {
    /// Title, subtitle, the facts of the scope, the template's notice and the index (which
    /// places itself and the page break after it, see [`Block::Toc`]), else a page break: the
    /// same opening for every document.
    pub(super) fn front_matter(&mut self, doc: DocType) {
        let o = self.o;
        let title = non_empty(self.text("titolo")).unwrap_or(doc.label());
        self.blocks.push(Block::Title {
            text: Cow::Borrowed(title),
        });
        if let Some(s) = non_empty(self.text("sottotitolo")) {
            self.blocks.push(Block::Subtitle {
                text: Cow::Borrowed(s),
            });
        }
        let mut facts = vec![
            ("Incontri considerati: ", o.scope_label()),
            ("Organizzazione: ", o.workshop.organiser.clone()),
        ];
        if let Some(a) = &o.scope.ambito {
            facts.insert(1, ("Ambito territoriale: ", a.clone()));
        }
        if !o.workshop.funding.is_empty() {
            facts.push(("Finanziamento: ", o.workshop.funding.clone()));
        }
        for (label, value) in facts {
            self.para(Style::Normal, vec![Span::bold(label), Span::plain(value)]);
        }
        if let Some(a) = non_empty(self.text("avvertenza")) {
            for (_, p) in paragraphs(a) {
                self.para(Style::Note, vec![Span::plain(p)]);
            }
        }
        match non_empty(self.text("indice")) {
            Some(t) => self.blocks.push(Block::Toc {
                title: Cow::Borrowed(t),
            }),
            None => self.blocks.push(Block::PageBreak),
        }
    }

    /// Who took part: people by organisation (and presences, over several meetings), by role,
    /// and the guests (who joined with the meeting's code) by organisation.
    pub(super) fn participation(&mut self, p: &Participation, several_meetings: bool) {
        if p.people == 0 && p.guests_by_organisation.is_empty() {
            self.para(
                Style::Note,
                vec![Span::plain(
                    "Il registro presenze non riporta partecipanti per questo ambito.",
                )],
            );
            return;
        }
        if p.people > 0 {
            let mut rows: Vec<Vec<Cow<'o, str>>> = p
                .by_organisation
                .iter()
                .map(|r| {
                    let mut row = vec![
                        Cow::Owned(r.organisation.clone()),
                        Cow::Owned(r.ambito.clone().unwrap_or_default()),
                        Cow::Owned(r.people.to_string()),
                    ];
                    if several_meetings {
                        row.push(Cow::Owned(r.presences.to_string()));
                    }
                    row
                })
                .collect();
            let mut total = vec![
                Cow::Borrowed("Totale"),
                Cow::Owned(count_digits(p.by_organisation.len(), ENTE)),
                Cow::Owned(p.people.to_string()),
            ];
            if several_meetings {
                total.push(Cow::Owned(p.presences.to_string()));
                rows.push(total);
                self.table(
                    "Persone e presenze per ente",
                    &[Text(3), Text(2), Short, Short],
                    &["Ente", "Ambito", "Persone", "Presenze"],
                    rows,
                );
            } else {
                rows.push(total);
                self.table(
                    "Presenti per ente",
                    &[Text(3), Text(2), Short],
                    &["Ente", "Ambito", "Presenti"],
                    rows,
                );
            }
            let rows = p
                .by_role
                .iter()
                .map(|(r, n)| vec![Cow::Owned(r.clone()), Cow::Owned(n.to_string())])
                .collect();
            self.table(
                "Partecipanti per ruolo",
                &[Text(1), Short],
                &["Ruolo", "Persone"],
                rows,
            );
        }
        if !p.guests_by_organisation.is_empty() {
            let rows = p
                .guests_by_organisation
                .iter()
                .map(|(o, n)| vec![Cow::Owned(o.clone()), Cow::Owned(n.to_string())])
                .collect();
            self.table(
                "Ospiti per organizzazione",
                &[Text(1), Short],
                &["Ospiti presenti (organizzazione)", "Ospiti"],
                rows,
            );
        }
    }

    /// Cards of one kind the room voted for, ranked (ties share a rank).
    pub(super) fn priorities_table(&mut self, caption: String, ranked: &[(usize, usize)]) {
        let rows = ranked
            .iter()
            .map(|&(rank, i)| {
                let it = self.item(i);
                vec![
                    Cow::Owned(rank.to_string()),
                    Cow::Owned(it.reference.clone()),
                    short(it.title(), 200),
                    Cow::Owned(it.votes.to_string()),
                ]
            })
            .collect();
        self.table(
            caption,
            &[Short, Short, Text(1), Short],
            &["Pos.", "Rif.", "Contributo", "Voti"],
            rows,
        );
    }

    /// The first [`PRIORITIES`] cards that pass `filter`, ranked meeting by meeting (each
    /// meeting's votes are its own), one table per meeting captioned `what` and the meeting's
    /// date. False when no such card received a vote.
    pub(super) fn priorities_by_meeting(
        &mut self,
        what: &str,
        filter: impl Fn(&Item) -> bool,
    ) -> bool {
        let o = self.o;
        let ranked = o.top_per_meeting(PRIORITIES, filter);
        for (si, ranked) in &ranked {
            let date = &o.sessions[*si].date_label;
            let caption = format!(
                "{what}, incontro {}",
                italian::with_article("del", date).unwrap_or_default()
            );
            self.priorities_table(caption, ranked);
        }
        !ranked.is_empty()
    }

    /// A section of the governance proposals, by theme, most voted first.
    pub(super) fn proposals_section(&mut self, key: &str, proposals: &[usize]) {
        if self.section(key, Some(count(proposals.len(), PROPOSTA))) {
            if proposals.is_empty() {
                self.empty();
            }
            self.cards_by_theme(proposals, true, false);
        }
    }

    /// A section of the monitoring indicators, each with its sheet.
    pub(super) fn indicators_section(&mut self, key: &str, o: &Outline) {
        let n = o.of_kind(Kind::Indicator).len();
        if self.section(key, Some(count(n, INDICATORE))) {
            self.indicators();
        }
    }

    /// The indicator table (one row each) and one sheet per indicator.
    fn indicators(&mut self) {
        let ids = self.o.of_kind(Kind::Indicator);
        if ids.is_empty() {
            self.empty();
            return;
        }
        let value_at = |v: &Option<String>, d: &Option<String>, word: &str| -> String {
            match (v, d) {
                (Some(v), Some(d)) => format!("{v} ({word} {})", date_it(d)),
                (Some(v), None) => v.clone(),
                (None, Some(d)) => format!("({word} {})", date_it(d)),
                (None, None) => String::new(),
            }
        };
        // What each indicator measures: the objectives that link it.
        let o = self.o;
        let tied = |i: usize| -> String {
            let objectives = o.objectives_measured_by(i);
            if objectives.is_empty() {
                "da collegare a un obiettivo".to_string()
            } else {
                objectives.join(", ")
            }
        };
        let mut rows = Vec::with_capacity(ids.len());
        for &i in &ids {
            let it = self.item(i);
            let CardContent::Indicatore(ind) = &it.card.content else {
                continue;
            };
            let todo = || Cow::Borrowed("da definire");
            let opt = |v: &'o Option<String>| -> Cow<'o, str> {
                v.as_deref().map(Cow::Borrowed).unwrap_or_else(todo)
            };
            rows.push(vec![
                Cow::Owned(it.reference.clone()),
                short(&ind.name, 300),
                Cow::Owned(tied(i)),
                opt(&ind.unit),
                Cow::Owned(value_at(&ind.baseline_value, &ind.baseline_date, "al")),
                Cow::Owned(value_at(&ind.target_value, &ind.target_deadline, "entro")),
                opt(&ind.responsible),
            ]);
        }
        let n = ids.len();
        let quadro =
            non_empty(self.text("indicatori_quadro_titolo")).unwrap_or("Quadro degli indicatori");
        self.heading(2, quadro, Some(count(n, INDICATORE)));
        self.table(
            "Indicatori di monitoraggio",
            &[Short, Text(3), Short, Text(1), Short, Short, Text(1)],
            &[
                "Rif.",
                "Indicatore",
                "Misura l'obiettivo",
                "Unità di misura",
                "Valore di partenza",
                "Valore obiettivo",
                "Responsabile",
            ],
            rows,
        );
        let schede =
            non_empty(self.text("indicatori_schede_titolo")).unwrap_or("Schede degli indicatori");
        self.heading(2, schede, Some(count(n, SCHEDA)));
        for i in ids {
            let it = self.item(i);
            let CardContent::Indicatore(ind) = &it.card.content else {
                continue;
            };
            self.heading(
                3,
                format!("{} — {}", it.reference, short(&ind.name, 300)),
                None,
            );
            let todo = || Cow::Borrowed("da definire");
            let opt = |v: &'o Option<String>| -> Cow<'o, str> {
                v.as_deref().map(Cow::Borrowed).unwrap_or_else(todo)
            };
            let session = &self.o.sessions[it.session];
            let mut rows = vec![
                vec![Cow::Borrowed("Nome"), Cow::Borrowed(ind.name.as_str())],
                vec![Cow::Borrowed("Definizione"), opt(&ind.definition)],
                vec![
                    Cow::Borrowed("Tipo"),
                    ind.indicator_type
                        .as_deref()
                        .map(|t| Cow::Borrowed(indicator_type_label(t)))
                        .unwrap_or_else(todo),
                ],
                vec![Cow::Borrowed("Unità di misura"), opt(&ind.unit)],
                vec![
                    Cow::Borrowed("Formula o metodo di calcolo"),
                    opt(&ind.formula),
                ],
                vec![Cow::Borrowed("Fonte del dato"), opt(&ind.source)],
                vec![
                    Cow::Borrowed("Valore di partenza"),
                    non_empty(&value_at(&ind.baseline_value, &ind.baseline_date, "al"))
                        .map(|s| Cow::Owned(s.to_string()))
                        .unwrap_or_else(todo),
                ],
                vec![
                    Cow::Borrowed("Valore obiettivo"),
                    non_empty(&value_at(&ind.target_value, &ind.target_deadline, "entro"))
                        .map(|s| Cow::Owned(s.to_string()))
                        .unwrap_or_else(todo),
                ],
                vec![
                    Cow::Borrowed("Frequenza di rilevazione"),
                    opt(&ind.frequency),
                ],
                vec![
                    Cow::Borrowed("Soggetto responsabile"),
                    opt(&ind.responsible),
                ],
                vec![Cow::Borrowed("Area di policy"), opt(&ind.policy_area)],
                vec![Cow::Borrowed("Misura l'obiettivo"), Cow::Owned(tied(i))],
                vec![Cow::Borrowed("Disaggregazione"), opt(&ind.disaggregation)],
            ];
            rows.push(vec![
                Cow::Borrowed("Proposto nell'incontro"),
                Cow::Owned(italian::with_article("del", &session.date_label).unwrap_or_default()),
            ]);
            if self.votes && it.votes > 0 {
                rows.push(vec![
                    Cow::Borrowed("Voti ricevuti"),
                    Cow::Owned(it.votes.to_string()),
                ]);
            }
            // A sheet is read as one thing: kept on one page with its heading when it fits.
            // One longer than a page (a long definition or formula) must break; its header
            // row, repeated on the next page, names the sheet there by its reference.
            self.blocks.push(Block::Table(Table {
                caption: Cow::Owned(format!("Scheda dell'indicatore {}", it.reference)),
                columns: vec![Short, Text(1)],
                header: vec![
                    Cow::Owned(format!("Scheda {}", it.reference)),
                    Cow::Borrowed("Contenuto"),
                ],
                rows,
                keep_together: true,
            }));
        }
    }
}

/// "31/12/2023" from "2023-12-31" (kept as written when it is not a date).
fn date_it(s: &str) -> String {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(|d| d.format("%d/%m/%Y").to_string())
        .unwrap_or_else(|_| s.to_string())
}
