//! How the synthesis of the meetings reads in the documents: the written synthesis of a policy
//! area, an objective's *scheda obiettivo*, the objectives as one list (for the Accordo, which
//! never shows a vote), and the economic resources by fund.
//!
//! An objective cites the cards it links by reference; a linked card this document does not
//! report (hidden since, outside the Ambito filter, an anonymous card withheld) is cited by its
//! reference alone, never by its text.

use std::borrow::Cow;

use super::layout::{Layout, count, short};
use super::model::Column::{Short, Text};
use super::model::{Block, Span, Style, Table};
use crate::domain::italian::{self, nouns::*};
use crate::domain::money::format_euro;
use crate::export::outline::{Link, ObjectiveItem};

/// What an empty field of a sheet says: the office completes it.
const TO_DEFINE: &str = "da definire";

impl<'a: 'o, 'o> Layout<'a, 'o> {
    /// The syntheses written for `area`, each meeting's introduced by its date when the
    /// document covers several meetings. False when none was written.
    pub(super) fn syntheses(&mut self, area: &str) -> bool {
        let o = self.o;
        let found = o.syntheses_of(area);
        for s in &found {
            if o.sessions.len() > 1 {
                let date = &o.sessions[s.session].date_label;
                self.para(
                    Style::Detail,
                    vec![Span::italic(format!(
                        "Sintesi scritta nell'incontro {}",
                        italian::with_article("del", date).unwrap_or_default()
                    ))],
                );
            }
            for (bullet, line) in crate::export::prose::paragraphs(&s.synthesis.text) {
                let style = if bullet { Style::Bullet } else { Style::Normal };
                self.para(style, vec![Span::plain(line)]);
            }
        }
        !found.is_empty()
    }

    /// "M3-1/B01 — Anziani soli…", or "M3-1/B04 (non riportato in questo documento)".
    fn link_line(&self, link: &Link) -> String {
        match link.item {
            Some(i) => format!("{} — {}", link.reference, short(self.item(i).title(), 160)),
            None => format!("{} (non riportato in questo documento)", link.reference),
        }
    }

    /// One objective: a heading one level below `section`, then its sheet as a table read as
    /// one thing (kept on one page when it fits).
    pub(super) fn objective_sheet(&mut self, section: u8, it: &'o ObjectiveItem<'a>) {
        let c = &it.objective.content;
        self.heading_below(
            section,
            format!("{} — {}", it.reference, short(&c.title, 300)),
            None,
        );
        let text = |v: &'o Option<String>| -> Cow<'o, str> {
            Cow::Borrowed(v.as_deref().unwrap_or(TO_DEFINE))
        };
        let lines = |v: Vec<String>| -> Cow<'o, str> {
            if v.is_empty() {
                Cow::Borrowed(TO_DEFINE)
            } else {
                Cow::Owned(v.join("\n"))
            }
        };
        let needs = it.needs.iter().map(|l| self.link_line(l)).collect();
        let indicators = it.indicators.iter().map(|l| self.link_line(l)).collect();
        let mut money: Vec<String> = c
            .resources
            .iter()
            .map(|r| {
                let what = match &r.description {
                    Some(d) => format!("{} ({d})", r.fund.label()),
                    None => r.fund.label().to_string(),
                };
                format!("{what}: {}", format_euro(r.amount_cents))
            })
            .collect();
        if c.resources.len() > 1 {
            money.push(format!("Totale: {}", format_euro(c.total_cents())));
        }
        let date = &self.o.sessions[it.session].date_label;
        let rows = vec![
            vec![Cow::Borrowed("Obiettivo"), Cow::Borrowed(c.title.as_str())],
            vec![Cow::Borrowed("Descrizione"), text(&c.description)],
            vec![Cow::Borrowed("Destinatari (target)"), text(&c.target_group)],
            vec![Cow::Borrowed("Interventi e azioni"), text(&c.interventions)],
            vec![Cow::Borrowed("Risultato atteso"), text(&c.expected_result)],
            vec![Cow::Borrowed("Bisogni a cui risponde"), lines(needs)],
            vec![Cow::Borrowed("Indicatori di esito"), lines(indicators)],
            vec![Cow::Borrowed("Risorse economiche"), lines(money)],
            vec![Cow::Borrowed("Risorse di personale"), text(&c.staff)],
            vec![Cow::Borrowed("Soggetti coinvolti"), lines(c.actors.clone())],
            vec![
                Cow::Borrowed("Integrazione sociosanitaria"),
                sociosanitary(&c.actors),
            ],
            vec![
                Cow::Borrowed("Sovrazonalità"),
                Cow::Borrowed(if c.sovrazonale {
                    "Sì: l'obiettivo riguarda più Ambiti"
                } else {
                    "No: l'obiettivo riguarda l'Ambito"
                }),
            ],
            vec![Cow::Borrowed("Tempi"), text(&c.timeline)],
            vec![
                Cow::Borrowed("Area di policy"),
                Cow::Borrowed(c.policy_area.as_deref().unwrap_or("Trasversale alle aree")),
            ],
            vec![
                Cow::Borrowed("Definito nell'incontro"),
                Cow::Owned(italian::with_article("del", date).unwrap_or_default()),
            ],
        ];
        self.blocks.push(Block::Table(Table {
            caption: Cow::Owned(format!("Scheda dell'obiettivo {}", it.reference)),
            columns: vec![Short, Text(1)],
            header: vec![
                Cow::Owned(format!("Scheda {}", it.reference)),
                Cow::Borrowed("Contenuto"),
            ],
            rows,
            keep_together: true,
        }));
        for m in &it.comments {
            let who = match m.author.organisation.as_deref() {
                Some(org) => format!("Osservazione di {} ({org}): ", m.author.name),
                None => format!("Osservazione di {}: ", m.author.name),
            };
            self.para(
                Style::Detail,
                vec![Span::italic(who), Span::plain(m.text.as_str())],
            );
        }
    }

    /// The objectives as one table, without any vote: for the Accordo, which recalls them.
    pub(super) fn objectives_table(
        &mut self,
        caption: &'o str,
        objectives: &[&'o ObjectiveItem<'a>],
    ) {
        let rows = objectives
            .iter()
            .map(|it| {
                let c = &it.objective.content;
                vec![
                    Cow::Owned(it.reference.clone()),
                    short(&c.title, 300),
                    Cow::Borrowed(c.policy_area.as_deref().unwrap_or("Trasversale")),
                    Cow::Borrowed(c.expected_result.as_deref().unwrap_or(TO_DEFINE)),
                    Cow::Borrowed(c.timeline.as_deref().unwrap_or(TO_DEFINE)),
                ]
            })
            .collect();
        self.table(
            caption,
            &[Short, Text(2), Text(1), Text(2), Short],
            &[
                "Rif.",
                "Obiettivo",
                "Area di policy",
                "Risultato atteso",
                "Tempi",
            ],
            rows,
        );
    }

    /// The economic resources the objectives name: the totals by fund, then each line by
    /// objective. Nothing when no objective names an amount.
    pub(super) fn resources_tables(&mut self) -> bool {
        let o = self.o;
        let totals = o.resources_by_fund();
        if totals.is_empty() {
            return false;
        }
        let mut rows: Vec<Vec<Cow<'o, str>>> = totals
            .iter()
            .map(|t| {
                vec![
                    Cow::Borrowed(t.fund.label()),
                    Cow::Borrowed(t.fund.name()),
                    Cow::Owned(count(t.objectives, OBIETTIVO)),
                    Cow::Owned(format_euro(t.cents)),
                ]
            })
            .collect();
        let all: u64 = totals.iter().map(|t| t.cents).fold(0, u64::saturating_add);
        rows.push(vec![
            Cow::Borrowed("Totale"),
            Cow::Borrowed(""),
            Cow::Borrowed(""),
            Cow::Owned(format_euro(all)),
        ]);
        self.table(
            "Risorse economiche indicate negli obiettivi, per fondo",
            &[Short, Text(2), Short, Short],
            &["Fondo", "Denominazione", "Obiettivi", "Importo"],
            rows,
        );
        let rows = o
            .objectives
            .iter()
            .flat_map(|it| {
                it.objective.content.resources.iter().map(move |r| {
                    vec![
                        Cow::Owned(it.reference.clone()),
                        short(&it.objective.content.title, 200),
                        Cow::Borrowed(r.fund.label()),
                        Cow::Borrowed(r.description.as_deref().unwrap_or("")),
                        Cow::Owned(format_euro(r.amount_cents)),
                    ]
                })
            })
            .collect();
        self.table(
            "Risorse economiche per obiettivo",
            &[Short, Text(2), Short, Text(1), Short],
            &["Rif.", "Obiettivo", "Fondo", "Voce", "Importo"],
            rows,
        );
        true
    }
}

/// The health bodies among an objective's actors (ATS, ASST): the integrazione sociosanitaria
/// the sheet can state from the data; "da definire" when none is involved.
fn sociosanitary(actors: &[String]) -> Cow<'_, str> {
    let health: Vec<&str> = actors
        .iter()
        .map(String::as_str)
        .filter(|a| {
            a.split(|c: char| !c.is_alphanumeric())
                .any(|w| w == "ASST" || w == "ATS")
        })
        .collect();
    if health.is_empty() {
        Cow::Borrowed(TO_DEFINE)
    } else {
        Cow::Owned(format!("Con {}", crate::domain::italian::list(&health)))
    }
}
