//! Where pages will break, foreseen from the measures (`measure.rs`) rather than left to
//! chance: which table rows are kept whole, whether a table fits on one page, and where the
//! index goes so that it fits where it starts.
//!
//! These are estimates: Word and LibreOffice lay text out a little differently, and Word
//! rewrites the index with page numbers when the file opens. Each estimate errs on the side
//! that costs least when it is wrong (a row is "short" with room to spare; a page is counted
//! as slightly smaller than it is).

use super::measure::{self, CELL, CELL_MARGINS, Font, HEADER_CELL, TEXT_HEIGHT, TEXT_WIDTH};
use super::model::{Block, Span, Style, Table};

/// Rows up to this many lines are kept whole on one page (`w:cantSplit`): moving one to the
/// next page leaves at most a fifth of a page empty. A longer row may split, or it would leave
/// a page nearly empty (and a row taller than a page would be cut).
pub const SHORT_ROW_LINES: u32 = 12;

/// The part of a page the estimates count on: the rest absorbs their error. (They already
/// err high: spacing before and after is added up, as Word does; LibreOffice, measured, sets
/// the index 10% shorter.)
const ROOM: u32 = TEXT_HEIGHT * 95 / 100;

/// Height of one line of table text, with the cell paragraph's spacing (20 before, 20 after)
/// and the border.
fn row_height(lines: u32) -> u32 {
    lines * CELL.line_height(240) + 40 + 10
}

impl Table<'_> {
    /// How many lines each body row takes at `widths` (its tallest cell).
    pub fn row_lines<'t>(&'t self, widths: &'t [u32]) -> impl Iterator<Item = u32> + 't {
        self.rows.iter().map(move |row| {
            row.iter()
                .zip(widths)
                .map(|(cell, w)| measure::lines(cell, CELL, w.saturating_sub(CELL_MARGINS)))
                .max()
                .unwrap_or(1)
        })
    }

    /// Whether the whole table, its caption and header row included, fits on one page at
    /// `widths`.
    pub fn fits_on_a_page(&self, widths: &[u32]) -> bool {
        let caption = height(&CAPTION, &format!("Tabella 999 – {}", self.caption), 0);
        let header = self
            .header
            .iter()
            .zip(widths)
            .map(|(h, w)| measure::lines(h, HEADER_CELL, w.saturating_sub(CELL_MARGINS)))
            .max()
            .unwrap_or(1);
        let mut height = caption + row_height(header);
        for lines in self.row_lines(widths) {
            height += row_height(lines);
            if height > ROOM {
                return false;
            }
        }
        true
    }
}

/// Where the index goes, and whether a page break follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexPlacement {
    /// The index opens a page of its own: under the cover it would run onto the next page.
    pub page_before: bool,
    /// The body starts on a new page after the index. It does, unless the index runs over
    /// more than a page: then the body follows on the index's last page, which a break would
    /// leave nearly empty.
    pub page_after: bool,
}

/// A paragraph style's font, spacing before and after, and left indent (as in `styles.xml`).
struct Metrics {
    font: Font,
    line: u32,
    before: u32,
    after: u32,
    indent: u32,
}

const fn metrics(half_points: u32, bold: bool, before: u32, after: u32, indent: u32) -> Metrics {
    Metrics {
        font: Font::new(half_points, bold),
        line: 264,
        before,
        after,
        indent,
    }
}

const TITLE: Metrics = metrics(48, true, 1200, 240, 0);
const SUBTITLE: Metrics = metrics(30, false, 0, 480, 0);
const TOC_HEADING: Metrics = metrics(32, true, 480, 160, 0);
const TOC1: Metrics = metrics(22, true, 120, 40, 0);
const TOC2: Metrics = metrics(22, false, 0, 40, 284);
/// A table's caption (the `Caption` style).
const CAPTION: Metrics = metrics(19, true, 200, 80, 0);
/// Room an index entry keeps at its right for the dot leader and the page number Word adds.
const PAGE_NUMBER: u32 = 800;

fn style_metrics(style: Style) -> Metrics {
    match style {
        Style::Note | Style::Detail => metrics(20, false, 0, 120, 0),
        Style::Bullet => metrics(22, false, 0, 60, 567),
        Style::Card => metrics(22, false, 160, 40, 0),
        Style::Signature => metrics(22, false, 600, 120, 0),
        Style::Normal => metrics(22, false, 0, 120, 0),
    }
}

/// Height of a paragraph of `text` in twips, `right` twips kept free at its end.
fn height(m: &Metrics, text: &str, right: u32) -> u32 {
    let room = TEXT_WIDTH.saturating_sub(m.indent + right);
    m.before + measure::lines(text, m.font, room) * m.font.line_height(m.line) + m.after
}

/// Height of a block of the front matter (title, subtitle, paragraphs); others count nothing.
fn front_height(block: &Block) -> u32 {
    match block {
        Block::Title { text } => height(&TITLE, text, 0),
        Block::Subtitle { text } => height(&SUBTITLE, text, 0),
        Block::Paragraph { style, spans } => {
            let text: String = spans.iter().map(|s: &Span| s.text.as_ref()).collect();
            height(&style_metrics(*style), &text, 0)
        }
        _ => 0,
    }
}

/// Where the index of `entries` (level and text of each heading it lists) goes, after the
/// `cover` blocks on the first page.
pub fn index_placement(cover: &[Block], title: &str, entries: &[(u8, &str)]) -> IndexPlacement {
    let cover: u32 = cover.iter().map(front_height).sum();
    let mut index = height(&TOC_HEADING, title, 0);
    for (level, text) in entries {
        let m = if *level <= 1 { &TOC1 } else { &TOC2 };
        index += height(m, text, PAGE_NUMBER);
    }
    if cover + index <= ROOM {
        IndexPlacement {
            page_before: false,
            page_after: true,
        }
    } else {
        IndexPlacement {
            page_before: true,
            page_after: index <= ROOM,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::export::document::model::Column::{Short, Text};

    fn cover() -> Vec<Block<'static>> {
        vec![
            Block::Title {
                text: "Verbale delle sedute".into(),
            },
            Block::Subtitle {
                text: "La Co-Programmazione come esercizio di amministrazione condivisa".into(),
            },
            Block::Paragraph {
                style: Style::Normal,
                spans: vec![
                    Span::bold("Organizzazione: "),
                    Span::plain("ANCI Lombardia"),
                ],
            },
        ]
    }

    fn entries(n: usize) -> Vec<(u8, String)> {
        (0..n)
            .map(|i| {
                if i % 7 == 0 {
                    (
                        1,
                        format!("{}. Seduta del {} ottobre 2021", i / 7 + 1, i % 28 + 1),
                    )
                } else {
                    (
                        2,
                        format!("{}.{} Data, luogo e conduzione", i / 7 + 1, i % 7),
                    )
                }
            })
            .collect()
    }

    fn place(n: usize) -> IndexPlacement {
        let e = entries(n);
        let e: Vec<(u8, &str)> = e.iter().map(|(l, t)| (*l, t.as_str())).collect();
        index_placement(&cover(), "Indice", &e)
    }

    #[test]
    fn a_short_index_stays_under_the_cover_a_longer_one_gets_its_page() {
        assert_eq!(
            place(15),
            IndexPlacement {
                page_before: false,
                page_after: true
            }
        );
        // Too long for what the cover leaves, short enough for a page: a page of its own.
        assert_eq!(
            place(30),
            IndexPlacement {
                page_before: true,
                page_after: true
            }
        );
        // Longer than a page: no break after its last page.
        assert_eq!(
            place(120),
            IndexPlacement {
                page_before: true,
                page_after: false
            }
        );
        // Where it changes: the first count that does not fit under the cover opens a page.
        let first = (1..200).find(|&n| place(n).page_before).unwrap();
        assert!((15..30).contains(&first), "{first}");
    }

    #[test]
    fn short_rows_and_tables_that_fit_are_told_apart() {
        let long = "parola ".repeat(400);
        let t = Table {
            caption: "Scheda dell'indicatore M1-1/I01".into(),
            columns: vec![Short, Text(1)],
            header: vec![Cow::Borrowed("Voce"), Cow::Borrowed("Contenuto")],
            rows: vec![
                vec!["Nome".into(), "Utenti SAD".into()],
                vec!["Definizione".into(), long.clone().into()],
            ],
            keep_together: true,
        };
        let widths = t.widths();
        let lines: Vec<u32> = t.row_lines(&widths).collect();
        assert_eq!(lines[0], 1);
        assert!(lines[1] > SHORT_ROW_LINES, "{lines:?}");
        assert!(t.fits_on_a_page(&widths));
        let mut rows = t.rows.clone();
        for _ in 0..6 {
            rows.push(vec!["Formula".into(), long.clone().into()]);
        }
        let t = Table { rows, ..t };
        assert!(!t.fits_on_a_page(&widths));
    }
}
