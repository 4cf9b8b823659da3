//! How a card reads, in every document: its reference and text, then its fields, votes, merges
//! and carry-over on detail lines (and, in the minutes, its comments); cards under their themes.

use super::layout::Layout;
use super::model::{Span, Style};
use crate::domain::cards::CardContent;
use crate::domain::italian::{self, nouns::*};
use crate::export::outline::{Origin, indicator_type_label};

impl<'a: 'o, 'o> Layout<'a, 'o> {
    /// A card: reference and text, then its fields, votes and history.
    pub(super) fn card(&mut self, i: usize, show_area: bool, show_comments: bool) {
        let it = self.item(i);
        self.para(
            Style::Card,
            vec![
                Span::bold(format!("[{}] ", it.reference)),
                Span::plain(it.title()),
            ],
        );
        let mut short: Vec<String> = Vec::new();
        let mut long: Vec<(&'static str, &'o str)> = Vec::new();
        let mut field = |label: &str, v: &Option<String>| {
            if let Some(v) = v {
                short.push(format!("{label}: {v}"));
            }
        };
        match &it.card.content {
            CardContent::Bisogno(n) => {
                if show_area {
                    field("Area", &n.policy_area);
                }
                if !n.secondary_areas.is_empty() {
                    field("Aree secondarie", &Some(n.secondary_areas.join(", ")));
                }
                field("Destinatari", &n.target_group);
                field("Territorio", &n.territory);
                if let Some(e) = &n.evidence {
                    long.push(("Fonti e dati: ", e));
                }
            }
            CardContent::Proposta(p) => {
                field("Strumento", &p.instrument);
                if show_area {
                    field("Area", &p.policy_area);
                }
                for (label, v) in [
                    ("Descrizione: ", &p.description),
                    ("Attori coinvolti: ", &p.actors),
                    ("Ruolo del Terzo settore: ", &p.terzo_settore_role),
                ] {
                    if let Some(v) = v {
                        long.push((label, v));
                    }
                }
            }
            CardContent::Indicatore(ind) => {
                field(
                    "Tipo",
                    &ind.indicator_type
                        .as_deref()
                        .map(|t| indicator_type_label(t).to_string()),
                );
                field("Unità di misura", &ind.unit);
                field("Fonte", &ind.source);
                if let Some(d) = &ind.definition {
                    long.push(("Definizione: ", d));
                }
            }
            CardContent::Altro(_) => {}
        }
        if self.votes && it.votes > 0 {
            short.push(italian::count(u64::from(it.votes), VOTO));
        }
        if let Some(origin) = &it.origin {
            short.push(self.origin_line(origin));
        }
        if !short.is_empty() {
            self.para(Style::Detail, vec![Span::plain(short.join(" · "))]);
        }
        for (label, text) in long {
            self.para(Style::Detail, vec![Span::bold(label), Span::plain(text)]);
        }
        // A facilitator's mark: an open question or a topic for co-progettazione, with why.
        if let Some(m) = &it.card.mark {
            let mut line = vec![Span::bold(m.kind.label())];
            if let Some(note) = &m.note {
                line.push(Span::plain(format!(": {note}")));
            }
            self.para(Style::Detail, line);
        }
        // Duplicates merged into it, each as it was written: nothing a person wrote vanishes.
        for m in &it.merged {
            let mut who: Vec<&str> = Vec::new();
            who.extend(m.author_name());
            who.extend(m.organisation());
            let mut line = vec![
                Span::italic(match &m.reference {
                    Some(r) => format!("Unito [{r}]: "),
                    None => "Unito: ".to_string(),
                }),
                Span::plain(m.content.title()),
            ];
            let by = if who.is_empty() {
                "anonimo".to_string()
            } else {
                who.join(", ")
            };
            line.push(Span::plain(format!(
                " ({by}, {})",
                self.o.when(m.created_at)
            )));
            self.para(Style::Detail, line);
        }
        if show_comments {
            for (c, author) in it.earlier_comments() {
                let who = match author.and_then(|a| a.organisation.as_deref()) {
                    Some(org) => format!("Commento in un incontro precedente ({org}): "),
                    None => "Commento in un incontro precedente: ".into(),
                };
                self.para(
                    Style::Detail,
                    vec![Span::italic(who), Span::plain(c.text.as_str())],
                );
            }
            for (c, author) in it.comments() {
                let who = match author.and_then(|a| a.organisation.as_deref()) {
                    Some(org) => format!("Commento ({org}): "),
                    None => "Commento: ".into(),
                };
                self.para(
                    Style::Detail,
                    vec![Span::italic(who), Span::plain(c.text.as_str())],
                );
            }
        }
    }

    /// "ripreso da M3-1/B01, scritto il 01/10/2021 10:40": where a carried card came from.
    pub(super) fn origin_line(&self, origin: &Origin) -> String {
        let from = match (
            origin.reference,
            origin.session.and_then(|s| self.o.sessions.get(s)),
        ) {
            (Some(r), _) => format!("ripreso da {r}"),
            (None, Some(s)) => format!(
                "ripreso dall'incontro {}",
                italian::with_article("del", &s.date_label).unwrap_or_default()
            ),
            (None, None) => "ripreso da un incontro precedente".to_string(),
        };
        match origin.created_at {
            Some(at) => format!("{from}, scritto il {}", self.o.when(at)),
            None => from,
        }
    }

    /// Cards under their themes: each theme a heading one level below the section, so that
    /// it shows in Word's navigation pane and moves with its cards.
    pub(super) fn cards_by_theme(
        &mut self,
        indices: &[usize],
        show_area: bool,
        show_comments: bool,
    ) {
        let section = self.depth();
        for (theme, ids) in self.o.by_theme(indices) {
            let summary = Some(italian::count(ids.len() as u64, CONTRIBUTO));
            if let Some(t) = theme {
                self.heading_below(section, format!("Tema: {t}"), summary);
            } else if ids.len() < indices.len() {
                self.heading_below(section, "Altri contributi", summary);
            }
            for i in ids {
                self.card(i, show_area, show_comments);
            }
        }
    }
}
