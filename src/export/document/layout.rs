//! The cursor every document is laid out with, and the small text helpers its sections share.
//!
//! [`Layout`] appends blocks and numbers the headings as it goes, the way Word's lists will
//! (1., 1.1, 1.1.1, 1.1.1.1; one level deeper under each meeting's own heading when the minutes
//! cover several meetings; "Allegato A –", "Allegato B –" for the appendices): Word shows its
//! own numbers in the document, ours go into the index and the export page's preview. It reads
//! the template's blocks of the meeting being laid out, and a [`section`](Layout::section)
//! whose heading block an Ambito left empty is not written at all.

use std::borrow::Cow;

use super::model::{Block, Column, HeadingList, MAX_HEADING_LEVEL, Span, Style, Table};
use crate::domain::italian::{self, Agreement, Noun};
use crate::export::outline::{Item, Outline};
use crate::export::prose::{Prose, paragraphs};

/// A document being laid out: the data, the wording, the blocks so far.
pub(super) struct Layout<'a, 'o> {
    pub(super) o: &'o Outline<'a>,
    pub(super) prose: &'o Prose,
    /// Which prose part (meeting) is being laid out.
    pub(super) part: usize,
    pub(super) blocks: Vec<Block<'o>>,
    /// The numbers of the current heading at levels 1 to 4, as Word's outline list counts
    /// them: a heading counts at its level and starts the levels below it again.
    counters: [u32; MAX_HEADING_LEVEL as usize],
    /// The level of the last heading (0 before the first): where a heading
    /// [below](Layout::heading_below) the section goes.
    depth: u8,
    /// 1 when each meeting's minutes sit under their own level-1 heading.
    pub(super) base: u8,
    /// How many appendices ("Allegato A", …) are written.
    pub(super) appendix: u8,
    /// Whether cards show the room's votes: an act (the Accordo) records commitments, not
    /// polls, so it never prints a vote count.
    pub(super) votes: bool,
}

impl<'a: 'o, 'o> Layout<'a, 'o> {
    /// An empty document for `o`, worded by `prose`.
    pub(super) fn new(o: &'o Outline<'a>, prose: &'o Prose) -> Layout<'a, 'o> {
        Layout {
            o,
            prose,
            part: 0,
            blocks: Vec::with_capacity(o.items.len() * 3 + 64),
            counters: [0; MAX_HEADING_LEVEL as usize],
            depth: 0,
            base: 0,
            appendix: 0,
            votes: true,
        }
    }

    /// A template block of the meeting being laid out (trimmed; empty when missing).
    pub(super) fn text(&self, key: &str) -> &'o str {
        self.prose.get(self.part, key)
    }

    /// A numbered heading (one level deeper under a meeting's own heading).
    pub(super) fn heading(
        &mut self,
        level: u8,
        text: impl Into<Cow<'o, str>>,
        summary: Option<String>,
    ) {
        self.heading_at(level + self.base, text, summary);
    }

    /// The level of the last heading written (0 before the first), for the headings that
    /// group what a section holds — areas, objectives, themes — one level below it, wherever
    /// that section sits: see [`heading_below`](Layout::heading_below).
    pub(super) fn depth(&self) -> u8 {
        self.depth
    }

    /// A numbered heading one level below a section at level `section` (as [`depth`] gave it
    /// before the first of them): the groups of a section stay siblings of each other.
    ///
    /// [`depth`]: Layout::depth
    pub(super) fn heading_below(
        &mut self,
        section: u8,
        text: impl Into<Cow<'o, str>>,
        summary: Option<String>,
    ) {
        self.heading_at(section + 1, text, summary);
    }

    /// A heading of the outline list at `level` (at most [`MAX_HEADING_LEVEL`]), numbered as
    /// Word numbers it.
    fn heading_at(&mut self, level: u8, text: impl Into<Cow<'o, str>>, summary: Option<String>) {
        let level = level.clamp(1, MAX_HEADING_LEVEL);
        let i = usize::from(level - 1);
        self.counters[i] += 1;
        for c in &mut self.counters[i + 1..] {
            *c = 0;
        }
        // The list's level texts (`numbering.xml`): "%1." at level 1, "%1.%2" and so on below.
        let parts: Vec<String> = self.counters[..=i].iter().map(u32::to_string).collect();
        let number = if level == 1 {
            format!("{}.", parts[0])
        } else {
            parts.join(".")
        };
        self.depth = level;
        self.blocks.push(Block::Heading {
            level,
            list: HeadingList::Outline,
            number,
            text: text.into(),
            summary,
        });
    }

    /// The heading of the next appendix, "Allegato A –", "Allegato B –"…: lettered by a list
    /// of its own, which leaves the sections' numbers alone.
    pub(super) fn appendix_heading(&mut self, title: &'o str, summary: Option<String>) {
        let letter = char::from(b'A' + self.appendix);
        self.appendix += 1;
        self.depth = 1;
        self.blocks.push(Block::Heading {
            level: 1,
            list: HeadingList::Appendix,
            number: format!("Allegato {letter} –"),
            text: Cow::Borrowed(title),
            summary,
        });
    }

    /// A paragraph of `style`.
    pub(super) fn para(&mut self, style: Style, spans: Vec<Span<'o>>) {
        self.blocks.push(Block::Paragraph { style, spans });
    }

    /// The prose of a block, as paragraphs and bullets.
    pub(super) fn prose(&mut self, key: &str) {
        for (bullet, text) in paragraphs(self.text(key)) {
            let style = if bullet { Style::Bullet } else { Style::Normal };
            self.para(style, vec![Span::plain(text)]);
        }
    }

    /// A section: its heading and introduction from the template. False (and nothing
    /// written) when the template leaves the heading empty.
    pub(super) fn section(&mut self, key: &str, summary: Option<String>) -> bool {
        if !self.section_heading(key, summary) {
            return false;
        }
        self.prose(key);
        true
    }

    /// A section's heading alone, for a section whose introduction would describe what is
    /// not there (an empty meeting's contributions). False when the template leaves it empty.
    pub(super) fn section_heading(&mut self, key: &str, summary: Option<String>) -> bool {
        let Some(title) = non_empty(self.text(&format!("{key}_titolo"))) else {
            return false;
        };
        self.heading(1, title, summary);
        true
    }

    /// "Nothing was said on this": the template's `vuoto` block.
    pub(super) fn empty(&mut self) {
        let text = non_empty(self.text("vuoto")).unwrap_or("Nessun contributo su questo punto.");
        self.para(Style::Note, vec![Span::plain(text)]);
    }

    /// What stands where there is nothing to report: the template's block `key`, set apart,
    /// or the generic `vuoto` when the template leaves `key` empty.
    pub(super) fn empty_or(&mut self, key: &str) {
        match non_empty(self.text(key)) {
            Some(text) => self.para(Style::Note, vec![Span::plain(text)]),
            None => self.empty(),
        }
    }

    /// A table with a caption ("Tabella N – `caption`", see [`Table::caption`]) and a header
    /// row; `columns` say what each column holds, which decides its width (`columns.rs`).
    pub(super) fn table(
        &mut self,
        caption: impl Into<Cow<'o, str>>,
        columns: &[Column],
        header: &[&'static str],
        rows: Vec<Vec<Cow<'o, str>>>,
    ) {
        self.blocks.push(Block::Table(Table {
            caption: caption.into(),
            columns: columns.to_vec(),
            header: header.iter().map(|h| Cow::Borrowed(*h)).collect(),
            rows,
            keep_together: false,
        }));
    }

    /// The `i`-th card of the outline.
    pub(super) fn item(&self, i: usize) -> &'o Item<'a> {
        &self.o.items[i]
    }
}

/// `s` trimmed, or `None` when blank: a blank template block means "leave this out".
pub(super) fn non_empty(s: &str) -> Option<&str> {
    let s = s.trim();
    (!s.is_empty()).then_some(s)
}

/// "Anziani soli nei Comuni…": one line, at most `max` characters.
pub(super) fn short(s: &str, max: usize) -> Cow<'_, str> {
    let simple = !s.contains(['\n', '\r', '\t']);
    if simple && s.len() <= max {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(max.min(s.len()) + 3);
    let mut n = 0;
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if n >= max {
            out.push('…');
            return Cow::Owned(out);
        }
        if space {
            out.push(' ');
            n += 1;
            space = false;
        }
        out.push(c);
        n += 1;
    }
    Cow::Owned(out)
}

/// A count in words, for sentences and the preview's summaries: "nessun contributo",
/// "1 contributo", "3 contributi" ([`italian::count`]).
pub(super) fn count(n: usize, noun: Noun) -> String {
    italian::count(n as u64, noun)
}

/// A count in digits, for table cells: "0 enti", "1 ente" ([`italian::count_digits`]).
pub(super) fn count_digits(n: usize, noun: Noun) -> String {
    italian::count_digits(n as u64, noun)
}

/// The words around `n` `noun` written by [`count`] agreeing with it.
pub(super) fn agree(n: usize, noun: Noun) -> Agreement {
    Agreement::with(n as u64, noun)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_keeps_one_line_within_the_limit() {
        assert!(matches!(short("breve", 10), Cow::Borrowed("breve")));
        assert_eq!(short("due\nrighe  e\tspazi", 100), "due righe e spazi");
        assert_eq!(short("abcdefghij", 4), "abcd…");
        assert_eq!(short("😀😀😀", 2), "😀😀…");
    }
}
