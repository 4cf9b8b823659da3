//! The appendices every document ends with, lettered A, B…: `tracciabilita` (each card reported,
//! where and by whom) and `nascosti` (the cards moderation hid, only when the scope lists them
//! apart).

use std::borrow::Cow;

use super::layout::{Layout, agree, count, non_empty, short};
use super::model::Column::{Short, Text};
use super::model::{Block, Span, Style};
use crate::domain::italian::nouns::*;
use crate::export::outline::{Item, Kind};

impl<'a: 'o, 'o> Layout<'a, 'o> {
    /// A page break and the heading "Allegato A –", "Allegato B –"… (appendices are lettered,
    /// not numbered).
    fn next_appendix(&mut self, title: &'o str, summary: Option<String>) {
        self.blocks.push(Block::PageBreak);
        self.appendix_heading(title, summary);
    }

    /// Allegato: every card reported (of the `only` kinds), with meeting, time, kind,
    /// organisation and author (anonymous cards stay anonymous).
    pub(super) fn traceability(&mut self, only: Option<&[Kind]>) {
        let o = self.o;
        let Some(title) = non_empty(self.text("tracciabilita_titolo")) else {
            return;
        };
        let ids: Vec<usize> = (0..o.items.len())
            .filter(|&i| only.is_none_or(|k| k.contains(&o.items[i].kind)))
            .collect();
        self.next_appendix(title, Some(count(ids.len(), CONTRIBUTO)));
        self.prose("tracciabilita");
        if o.unrevealed > 0 {
            // "1 contributo non era ancora rivelato in sala …: non è riportato."
            let a = agree(o.unrevealed, CONTRIBUTO);
            self.para(
                Style::Note,
                vec![Span::plain(format!(
                    "{} non {} ancora {} in sala quando il documento è stato generato: non {} {}.",
                    count(o.unrevealed, CONTRIBUTO),
                    a.pick("era", "erano"),
                    a.word("rivelato"),
                    a.pick("è", "sono"),
                    a.word("riportato"),
                ))],
            );
        }
        if o.anonymous_withheld {
            self.para(
                Style::Note,
                vec![Span::plain(
                    "Alcuni contributi anonimi non sono riportati: in questo ambito meno di tre \
                     persone avrebbero potuto scriverli, e riportarli ne rivelerebbe l'autore.",
                )],
            );
        }
        if ids.is_empty() {
            self.empty();
            return;
        }
        let time = |at: i64| o.when(at).split(' ').nth(1).unwrap_or_default().to_string();
        let mut rows = Vec::new();
        for &i in &ids {
            let it = self.item(i);
            let date = o.sessions[it.session]
                .session
                .meeting
                .date
                .format("%d/%m/%Y")
                .to_string();
            let mut what = short(it.title(), 90).into_owned();
            if let Some(origin) = &it.origin {
                what = format!("{what} ({})", self.origin_line(origin));
            }
            rows.push(vec![
                Cow::Owned(it.reference.clone()),
                Cow::Owned(date.clone()),
                Cow::Owned(time(it.card.created_at)),
                Cow::Borrowed(it.kind.label()),
                Cow::Borrowed(if it.card.anonymous {
                    "—"
                } else {
                    it.organisation().unwrap_or_default()
                }),
                Cow::Borrowed(it.author_name().unwrap_or("Anonimo")),
                Cow::Owned(what),
            ]);
            // The duplicates merged into it in this meeting are part of this meeting's record.
            for m in it.merged.iter().filter(|m| !m.earlier) {
                rows.push(vec![
                    Cow::Owned(m.reference.clone().unwrap_or_default()),
                    Cow::Owned(date.clone()),
                    Cow::Owned(time(m.created_at)),
                    Cow::Borrowed(it.kind.label()),
                    Cow::Borrowed(m.organisation().unwrap_or("—")),
                    Cow::Borrowed(m.author_name().unwrap_or("Anonimo")),
                    Cow::Owned(format!(
                        "{} (unito a {})",
                        short(m.content.title(), 90),
                        it.reference
                    )),
                ]);
            }
        }
        self.table(
            "Contributi riportati, con incontro, ora, ente e autore",
            &[Short, Short, Short, Short, Text(2), Text(2), Text(3)],
            &[
                "Rif.",
                "Incontro",
                "Ora",
                "Tipo",
                "Ente",
                "Autore",
                "Contributo",
            ],
            rows,
        );
    }

    /// Allegato: the cards moderation hid, when the scope lists them apart: by reference, the
    /// day and time they were hidden and the reason; their text only when an organiser asked
    /// for it (a card is often hidden because it held personal data).
    pub(super) fn hidden(&mut self, only: Option<&[Kind]>) {
        let o = self.o;
        if !o.scope.hidden.listed() {
            return;
        }
        let Some(title) = non_empty(self.text("nascosti_titolo")) else {
            return;
        };
        let hidden: Vec<&Item> = o
            .hidden
            .iter()
            .filter(|it| only.is_none_or(|k| k.contains(&it.kind)))
            .collect();
        self.next_appendix(title, Some(count(hidden.len(), CONTRIBUTO)));
        self.prose("nascosti");
        if hidden.is_empty() {
            self.empty();
            return;
        }
        let with_text = o.scope.hidden.with_text();
        let rows = hidden
            .into_iter()
            .map(|it| {
                // The card's state changed when it was hidden: `updated_at` is that moment.
                let mut row = vec![
                    Cow::Owned(it.reference.clone()),
                    Cow::Owned(o.when(it.card.updated_at)),
                    Cow::Borrowed(it.kind.label()),
                ];
                if with_text {
                    row.push(short(it.title(), 500));
                }
                row.push(Cow::Borrowed(it.hidden_reason.unwrap_or_default()));
                row
            })
            .collect();
        if with_text {
            self.table(
                "Contributi nascosti dalla moderazione, con il testo",
                &[Short, Short, Short, Text(3), Text(2)],
                &["Rif.", "Nascosto il", "Tipo", "Contributo", "Motivo"],
                rows,
            );
        } else {
            self.table(
                "Contributi nascosti dalla moderazione",
                &[Short, Short, Short, Text(3)],
                &["Rif.", "Nascosto il", "Tipo", "Motivo"],
                rows,
            );
        }
    }
}
