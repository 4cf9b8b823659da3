//! The appendices every document ends with, lettered A, B…: `tracciabilita` (each card reported,
//! where and by whom) and `nascosti` (the cards moderation hid, only when the scope lists them
//! apart).

use std::borrow::Cow;

use super::layout::{Layout, count_word, non_empty, short};
use super::model::Column::{Short, Text};
use super::model::{Block, Span, Style};
use crate::export::outline::{Item, Kind};
use crate::export::scope::HiddenCards;

impl<'a: 'o, 'o> Layout<'a, 'o> {
    /// A page break and the heading "Allegato A –", "Allegato B –"… (appendices are lettered,
    /// not numbered).
    fn next_appendix(&mut self, title: &'o str, summary: Option<String>) {
        let letter = char::from(b'A' + self.appendix);
        self.appendix += 1;
        self.blocks.push(Block::PageBreak);
        self.blocks.push(Block::Heading {
            level: 1,
            number: format!("Allegato {letter} –"),
            text: Cow::Borrowed(title),
            summary,
        });
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
        self.next_appendix(
            title,
            Some(count_word(ids.len(), "contributo", "contributi")),
        );
        self.prose("tracciabilita");
        if o.unrevealed > 0 {
            self.para(
                Style::Note,
                vec![Span::plain(format!(
                    "{} non ancora rivelati in sala quando il documento è stato generato: non sono riportati.",
                    count_word(o.unrevealed, "contributo era", "contributi erano")
                ))],
            );
        }
        if ids.is_empty() {
            self.empty();
            return;
        }
        let rows = ids
            .iter()
            .map(|&i| {
                let it = self.item(i);
                let s = &o.sessions[it.session];
                vec![
                    Cow::Owned(it.reference.clone()),
                    Cow::Owned(s.session.meeting.date.format("%d/%m/%Y").to_string()),
                    Cow::Owned(
                        o.when(it.card.created_at)
                            .split(' ')
                            .nth(1)
                            .unwrap_or_default()
                            .to_string(),
                    ),
                    Cow::Borrowed(it.kind.label()),
                    Cow::Borrowed(if it.card.anonymous {
                        "—"
                    } else {
                        it.organisation().unwrap_or_default()
                    }),
                    Cow::Borrowed(it.author_name().unwrap_or("Anonimo")),
                    short(it.title(), 90),
                ]
            })
            .collect();
        self.table(
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

    /// Allegato: the cards moderation hid, with the reason, when the scope lists them apart.
    pub(super) fn hidden(&mut self, only: Option<&[Kind]>) {
        let o = self.o;
        if o.scope.hidden != HiddenCards::Apart {
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
        self.next_appendix(
            title,
            Some(count_word(hidden.len(), "contributo", "contributi")),
        );
        self.prose("nascosti");
        if hidden.is_empty() {
            self.empty();
            return;
        }
        let rows = hidden
            .into_iter()
            .map(|it| {
                vec![
                    Cow::Owned(it.reference.clone()),
                    Cow::Owned(
                        o.sessions[it.session]
                            .session
                            .meeting
                            .date
                            .format("%d/%m/%Y")
                            .to_string(),
                    ),
                    short(it.title(), 500),
                    Cow::Borrowed(it.hidden_reason.unwrap_or_default()),
                ]
            })
            .collect();
        self.table(
            &[Short, Short, Text(3), Text(2)],
            &["Rif.", "Incontro", "Contributo", "Motivo"],
            rows,
        );
    }
}
