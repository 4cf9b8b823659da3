//! Allegato all'Accordo di programma (bozza): governance and collaboration with the Terzo
//! settore. Its sections, in order (template blocks): `parti` (the organisations), `finalita`,
//! `governance` (the proposals as a table), `collaborazione` (the proposals in full),
//! `monitoraggio` (indicators), `adesioni`. Its appendices list proposals and indicators only.

use std::borrow::Cow;

use super::layout::{Layout, count, short};
use super::model::Column::{Short, Text};
use crate::domain::cards::CardContent;
use crate::domain::italian::nouns::*;

impl<'a: 'o, 'o> Layout<'a, 'o> {
    /// The sections of the document, after the front matter.
    pub(super) fn accordo(&mut self) {
        let o = self.o;
        let p = &o.participation;
        if self.section("parti", Some(count(p.by_organisation.len(), ENTE))) {
            self.participation(p, o.sessions.len() > 1);
        }
        self.section("finalita", None);
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
                            Cow::Owned(it.votes.to_string()),
                        ]
                    })
                    .collect();
                self.table(
                    "Proposte di governance, con lo strumento e i voti",
                    &[Short, Text(2), Text(1), Short],
                    &["Rif.", "Proposta", "Strumento", "Voti"],
                    rows,
                );
            }
        }
        self.proposals_section("collaborazione", &proposals);
        self.indicators_section("monitoraggio", o);
        self.section("adesioni", None);
    }
}
