//! The blocks a Word document is made of, before it is Word: what the layout writes, `body.rs`
//! turns into Word markup and the export page previews (the headings), so all three say the
//! same. Also serialised as JSON for the python-docx comparison of `examples/bench_export.rs`.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::italian::{self, Noun};

/// A Word document before it is Word.
#[derive(Debug, Serialize)]
pub struct Document<'a> {
    /// The document properties (Word's File › Info): title, subject, author (the organiser),
    /// description and keywords.
    pub title: String,
    pub subject: String,
    pub author: String,
    pub description: String,
    pub keywords: String,
    /// Page header text (the footer is always "Pagina X di Y").
    pub header: String,
    /// When the export was generated.
    pub created: DateTime<Utc>,
    /// The body, in order.
    pub blocks: Vec<Block<'a>>,
}

/// One piece of the body. User text stays borrowed from the board where it can (a big export
/// holds thousands of cards).
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block<'a> {
    /// The document's title, on the first page.
    Title { text: Cow<'a, str> },
    /// The line under the title.
    Subtitle { text: Cow<'a, str> },
    /// Levels 1–4 (at most [`MAX_HEADING_LEVEL`]). Word numbers it with one of its own lists
    /// (`list`, see `numbering.xml`), never with text: `number` is what Word will show, computed
    /// the same way ("3.", "3.2", "3.2.1", "3.2.1.1" or "Allegato A –"), for the index and the
    /// preview. `summary` is the preview's word on the section ("12 contributi"), not written
    /// in the document.
    Heading {
        level: u8,
        list: HeadingList,
        number: String,
        text: Cow<'a, str>,
        #[serde(skip)]
        summary: Option<String>,
    },
    /// A paragraph of one style, its text in spans.
    Paragraph { style: Style, spans: Vec<Span<'a>> },
    /// The index (the headings of levels 1 and 2), with its own title; it ends the front
    /// matter. It stays under the blocks before it when they fit on the first page together,
    /// else it opens a page of its own; the body starts on a new page after it, unless the
    /// index runs over more than a page (see `pages::index_placement`).
    Toc { title: Cow<'a, str> },
    /// A table with a header row.
    Table(Table<'a>),
    /// A page break.
    PageBreak,
}

/// The deepest heading level: 1., 1.1, 1.1.1, 1.1.1.1 (`Heading1`–`Heading4`).
pub const MAX_HEADING_LEVEL: u8 = 4;

/// Which of Word's lists numbers a heading (`numbering.xml`): moving a heading in Word moves
/// its number with it, and the ones after it follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HeadingList {
    /// The sections: the outline list linked to the heading styles (1., 1.1, 1.1.1, 1.1.1.1).
    Outline,
    /// The appendices, lettered by a list of their own ("Allegato A –", "Allegato B –").
    Appendix,
}

/// Paragraph styles (ids in `styles.xml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Style {
    /// Body text.
    Normal,
    /// The first line of a card: reference and text.
    Card,
    /// Fields of a card, under it.
    Detail,
    /// A remark of the document itself ("Nessun contributo su questo punto"), set apart.
    Note,
    /// An item of the bullet list.
    Bullet,
    /// A line for a signature, in the minutes.
    Signature,
}

impl Style {
    /// The style id in `styles.xml`.
    pub fn id(self) -> &'static str {
        match self {
            Style::Normal => "Normal",
            Style::Card => "Contributo",
            Style::Detail => "Dettaglio",
            Style::Note => "Nota",
            Style::Bullet => "ListBullet",
            Style::Signature => "Firma",
        }
    }
}

/// A run of text with its emphasis.
#[derive(Debug, Serialize)]
pub struct Span<'a> {
    pub text: Cow<'a, str>,
    #[serde(skip_serializing_if = "is_false")]
    pub bold: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub italic: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl<'a> Span<'a> {
    /// Text without emphasis.
    pub fn plain(text: impl Into<Cow<'a, str>>) -> Span<'a> {
        Span {
            text: text.into(),
            bold: false,
            italic: false,
        }
    }

    /// Bold text.
    pub fn bold(text: impl Into<Cow<'a, str>>) -> Span<'a> {
        Span {
            bold: true,
            ..Span::plain(text)
        }
    }

    /// Italic text.
    pub fn italic(text: impl Into<Cow<'a, str>>) -> Span<'a> {
        Span {
            italic: true,
            ..Span::plain(text)
        }
    }
}

/// A table with a header row. Its column widths are not written here but chosen from its
/// content (`columns.rs`): each column says what it holds, and the widths follow from the
/// header's words and the cells' at the table's font size, on the width of the page.
#[derive(Debug, Serialize)]
pub struct Table<'a> {
    /// What the table shows, in a few words ("Presenti per ente"): its caption says "Tabella
    /// N – " and this, and its alternative text starts with it. Our words, never user text.
    pub caption: Cow<'a, str>,
    /// What each column holds, one per column.
    pub columns: Vec<Column>,
    /// The header row's cells (repeated on every page).
    pub header: Vec<Cow<'a, str>>,
    /// The other rows, one cell per column.
    pub rows: Vec<Vec<Cow<'a, str>>>,
    /// Kept on one page with the heading before it, when it fits on a page: a table that
    /// is one thing to read (an indicator's sheet) rather than a list.
    #[serde(skip_serializing_if = "is_false")]
    pub keep_together: bool,
}

/// A table row, for the sentences that count them.
const RIGA: Noun = Noun::f("riga", "righe");
/// A table column, for the sentences that count them.
const COLONNA: Noun = Noun::f("colonna", "colonne");

impl Table<'_> {
    /// The alternative text of the table (`w:tblDescription`), for those who cannot see it:
    /// what it shows, how many rows and which columns. "Presenti per ente. Tabella di 3 righe
    /// e 3 colonne: Ente, Ambito e Presenti."
    pub fn description(&self) -> String {
        format!(
            "{}. Tabella di {} e {}: {}.",
            self.caption,
            italian::count_digits(self.rows.len() as u64, RIGA),
            italian::count_digits(self.header.len() as u64, COLONNA),
            italian::list(&self.header),
        )
    }
}

/// What a table column holds, which decides its width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Column {
    /// Short values — numbers, dates, times, references ("B12"), units, a kind, a label: as
    /// wide as its longest word needs, and as its longest value when the page has room.
    Short,
    /// Running text: shares what the short columns leave with the other text columns, in
    /// proportion to its weight.
    Text(u16),
}

/// One line of the export page's preview.
#[derive(Debug, Clone, Serialize)]
pub struct PreviewEntry {
    /// 1 or 2.
    pub level: u8,
    /// "3.", "3.2" or "Allegato A –", as Word will number it.
    pub number: String,
    /// The heading.
    pub text: String,
    /// What the section holds ("12 contributi").
    pub summary: Option<String>,
}

impl Document<'_> {
    /// The headings (levels 1–2) with a word on what each section holds.
    pub fn preview(&self) -> Vec<PreviewEntry> {
        self.blocks
            .iter()
            .filter_map(|b| match b {
                Block::Heading {
                    level,
                    number,
                    text,
                    summary,
                    ..
                } if *level <= 2 => Some(PreviewEntry {
                    level: *level,
                    number: number.clone(),
                    text: text.to_string(),
                    summary: summary.clone(),
                }),
                _ => None,
            })
            .collect()
    }
}
