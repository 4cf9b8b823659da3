//! Allegato all'Accordo di programma (bozza), shaped like the act that puts a Piano di Zona into
//! effect (art. 34 D.Lgs. 267/2000). Its sections, in order (template blocks): `parti` (the
//! parties the workshop file names, by kind; a placeholder when it names none), `premesse` (the
//! norms), `finalita` (oggetto e finalità), `obiettivi`, `governance` (the proposals as a table),
//! `collaborazione` (the proposals in full), `impegni` (of each party), `risorse`, `monitoraggio`
//! (indicators), `durata`, `vigilanza`, `dati` (personal data), `conflitti` (conflicts of
//! interest), `adesioni`, `firme` (a line per party). An act records commitments, not polls: no
//! vote count appears anywhere in it (`Layout::votes` is off). Its appendices list proposals and
//! indicators only.

use std::borrow::Cow;

use super::layout::{Layout, count, short};
use super::model::Column::{Short, Text};
use super::model::{Span, Style};
use crate::domain::cards::CardContent;
use crate::domain::italian::nouns::*;
use crate::domain::process::PartyKind;

impl<'a: 'o, 'o> Layout<'a, 'o> {
    /// The sections of the document, after the front matter.
    pub(super) fn accordo(&mut self) {
        let o = self.o;
        let parties = o
            .workshop
            .process
            .procedure()
            .map(|p| p.parties.as_slice())
            .unwrap_or_default();
        if self.section("parti", Some(count(parties.len(), PARTE))) && !parties.is_empty() {
            let rows = PartyKind::ALL
                .iter()
                .flat_map(|kind| parties.iter().filter(move |p| p.kind == *kind))
                .map(|p| {
                    vec![
                        Cow::Borrowed(p.name.as_str()),
                        Cow::Borrowed(p.kind.group_label()),
                        Cow::Borrowed(p.represented_by.as_deref().unwrap_or("—")),
                    ]
                })
                .collect();
            self.table(
                "Parti dell'Accordo e loro rappresentanti",
                &[Text(2), Text(2), Text(2)],
                &["Parte", "In qualità di", "Rappresentata da"],
                rows,
            );
        }
        self.section("premesse", None);
        self.section("finalita", None);
        let objectives: Vec<_> = o.objectives.iter().collect();
        if self.section("obiettivi", Some(count(objectives.len(), OBIETTIVO))) {
            if objectives.is_empty() {
                self.empty_or("obiettivi_vuoto");
            } else {
                self.objectives_table("Obiettivi del Piano richiamati dall'Accordo", &objectives);
            }
        }
        let proposals = o.proposals_by_votes();
        if self.section("governance", Some(count(proposals.len(), PROPOSTA))) {
            if proposals.is_empty() {
                self.empty();
            } else {
                let rows = proposals
                    .iter()
                    .map(|&i| {
                        let it = self.item(i);
                        let instrument = match &it.card.content {
                            CardContent::Proposta(p) => p.instrument.as_deref().unwrap_or_default(),
                            _ => "",
                        };
                        vec![
                            Cow::Owned(it.reference.clone()),
                            short(it.title(), 300),
                            Cow::Borrowed(instrument),
                        ]
                    })
                    .collect();
                self.table(
                    "Proposte di governance e strumenti previsti",
                    &[Short, Text(2), Text(1)],
                    &["Rif.", "Proposta", "Strumento"],
                    rows,
                );
            }
        }
        self.proposals_section("collaborazione", &proposals);
        self.section("impegni", None);
        if self.section("risorse", None) && !self.resources_tables() {
            self.empty_or("risorse_vuoto");
        }
        self.indicators_section("monitoraggio", o);
        self.section("durata", None);
        self.section("vigilanza", None);
        self.section("dati", None);
        self.section("conflitti", None);
        self.section("adesioni", None);
        if self.section("firme", None) && !parties.is_empty() {
            for p in PartyKind::ALL
                .iter()
                .flat_map(|kind| parties.iter().filter(move |p| p.kind == *kind))
            {
                let who = match &p.represented_by {
                    Some(r) => format!("{} ({r})", p.name),
                    None => p.name.clone(),
                };
                self.para(Style::Signature, vec![Span::plain(who)]);
                self.para(
                    Style::Signature,
                    vec![Span::plain("_________________________")],
                );
            }
        }
    }
}
