//! The body of `word/document.xml`, streamed straight into a string.
//!
//! docx-rs builds an element tree and serialises it through a writer that is moved by value on
//! every call: measured here, that took 0.55 s of the 1.07 s a 5,000-card export needed, and
//! 2.0 s of 3.4 s at 20,000 cards (its output is also three times bigger than needed before
//! compression). The body is therefore written here, in one pass, with the markup Word itself
//! writes; docx-rs still writes the rest of the package (section and page setup, header and
//! footer with their fields, numbering, relationships, content types) around a placeholder
//! paragraph that `package::repack` replaces with this body.
//!
//! The same rules hold as for docx-rs input: every text goes through
//! [`xml_text`] (XML-illegal characters dropped), `& < >` are escaped, `\n` becomes
//! `w:br` and `\t` becomes `w:tab`, and user text never lands in an attribute — style ids,
//! bookmark names and numbers are ours.

use std::fmt::Write as _;

use super::document::measure::TEXT_WIDTH;
use super::document::{Block, Document, SHORT_ROW_LINES, Span, Style, Table, index_placement};
use super::xml::{escape_text_into, xml_text};

/// Numbering id of the bullet list (defined with docx-rs in `docx.rs`; docx-rs already
/// defines a numbering 1 of its own).
pub const BULLETS: usize = 2;

/// Bookmark of the n-th heading (the `_Toc` prefix keeps it out of Word's bookmark list).
pub fn bookmark(n: usize) -> String {
    format!("_Toc{n:06}")
}

/// Writes the body of `doc` (everything inside `w:body` before the section properties).
pub fn write(doc: &Document) -> String {
    let mut w = Writer {
        out: String::with_capacity(doc.blocks.len() * 400 + 4096),
    };
    let headings: Vec<(u8, String)> = doc
        .blocks
        .iter()
        .filter_map(|b| match b {
            Block::Heading {
                level,
                number,
                text,
                ..
            } => Some((*level, format!("{number} {text}"))),
            _ => None,
        })
        .collect();
    let mut heading_no = 0;
    let mut after_table = false;
    for (i, block) in doc.blocks.iter().enumerate() {
        // Two tables with nothing between them are one table to Word and LibreOffice: this is
        // the one place that writes blocks, so no document can forget the paragraph between.
        if after_table && matches!(block, Block::Table(_)) {
            w.out.push_str(TABLE_SEPARATOR);
        }
        after_table = matches!(block, Block::Table(_));
        match block {
            Block::Title { text } => w.simple("Title", text),
            Block::Subtitle { text } => w.simple("Subtitle", text),
            Block::Heading {
                level,
                number,
                text,
                ..
            } => {
                heading_no += 1;
                w.heading(*level, heading_no, number, text);
            }
            Block::Paragraph { style, spans } => w.paragraph(*style, spans),
            Block::Toc { title } => {
                let entries: Vec<(u8, &str)> = headings
                    .iter()
                    .filter(|(level, _)| *level <= 2)
                    .map(|(level, text)| (*level, text.as_str()))
                    .collect();
                let place = index_placement(&doc.blocks[..i], title, &entries);
                w.p_open(
                    "TOCHeading",
                    Props {
                        page_before: place.page_before,
                        ..Props::default()
                    },
                );
                w.run(title, false, false);
                w.out.push_str("</w:p>");
                w.toc(&headings);
                if place.page_after {
                    w.out.push_str(PAGE_BREAK);
                }
            }
            Block::Table(t) => w.table(t),
            Block::PageBreak => w.out.push_str(PAGE_BREAK),
        }
    }
    // Word ends a body with a paragraph, never with a table.
    if matches!(doc.blocks.last(), Some(Block::Table(_)) | None) {
        w.out.push_str("<w:p/>");
    }
    w.out
}

/// A paragraph holding a page break.
const PAGE_BREAK: &str = r#"<w:p><w:r><w:br w:type="page"/></w:r></w:p>"#;

/// The paragraph between two adjacent tables: empty and small (8 points), as Word itself
/// leaves one.
const TABLE_SEPARATOR: &str = "<w:p><w:pPr><w:spacing w:before=\"0\" w:after=\"0\" \
    w:line=\"160\" w:lineRule=\"exact\"/><w:rPr><w:sz w:val=\"8\"/><w:szCs w:val=\"8\"/></w:rPr>\
    </w:pPr></w:p>";

struct Writer {
    out: String,
}

/// Paragraph properties beyond the style.
#[derive(Debug, Default, Clone, Copy)]
struct Props {
    /// An item of the bullet list.
    bullet: bool,
    /// Kept on the page of the next paragraph.
    keep_next: bool,
    /// Starts a new page.
    page_before: bool,
}

impl Writer {
    /// Opens a paragraph of `style` (a style id of ours, never user text) with `props`.
    fn p_open(&mut self, style: &str, props: Props) {
        self.out.push_str("<w:p><w:pPr><w:pStyle w:val=\"");
        self.out.push_str(style);
        self.out.push_str("\"/>");
        // Schema order (CT_PPrBase): pStyle, keepNext, …, pageBreakBefore, …, numPr.
        if props.keep_next {
            self.out.push_str("<w:keepNext/>");
        }
        if props.page_before {
            self.out.push_str("<w:pageBreakBefore/>");
        }
        if props.bullet {
            let _ = write!(
                self.out,
                "<w:numPr><w:ilvl w:val=\"0\"/><w:numId w:val=\"{BULLETS}\"/></w:numPr>"
            );
        }
        self.out.push_str("</w:pPr>");
    }

    fn simple(&mut self, style: &str, text: &str) {
        self.simple_with(style, text, Props::default());
    }

    fn simple_with(&mut self, style: &str, text: &str, props: Props) {
        self.p_open(style, props);
        self.run(text, false, false);
        self.out.push_str("</w:p>");
    }

    fn heading(&mut self, level: u8, n: usize, number: &str, text: &str) {
        let _ = write!(
            self.out,
            "<w:p><w:pPr><w:pStyle w:val=\"Heading{level}\"/></w:pPr>\
             <w:bookmarkStart w:id=\"{n}\" w:name=\"{}\"/>",
            bookmark(n)
        );
        self.run(&format!("{number} {text}"), false, false);
        let _ = write!(self.out, "<w:bookmarkEnd w:id=\"{n}\"/></w:p>");
    }

    fn paragraph(&mut self, style: Style, spans: &[Span]) {
        self.p_open(
            style.id(),
            Props {
                bullet: style == Style::Bullet,
                ..Props::default()
            },
        );
        for s in spans {
            self.run(&s.text, s.bold, s.italic);
        }
        self.out.push_str("</w:p>");
    }

    /// A run: properties, then text split into `w:t`, `w:br` and `w:tab`.
    fn run(&mut self, text: &str, bold: bool, italic: bool) {
        let text = xml_text(text);
        if text.is_empty() {
            return;
        }
        self.out.push_str("<w:r>");
        if bold || italic {
            self.out.push_str("<w:rPr>");
            if bold {
                self.out.push_str("<w:b/><w:bCs/>");
            }
            if italic {
                self.out.push_str("<w:i/><w:iCs/>");
            }
            self.out.push_str("</w:rPr>");
        }
        for (i, line) in text.split('\n').enumerate() {
            if i > 0 {
                self.out.push_str("<w:br/>");
            }
            for (j, piece) in line.split('\t').enumerate() {
                if j > 0 {
                    self.out.push_str("<w:tab/>");
                }
                if !piece.is_empty() {
                    self.t(piece);
                }
            }
        }
        self.out.push_str("</w:r>");
    }

    fn t(&mut self, s: &str) {
        let preserve = s.starts_with(char::is_whitespace)
            || s.ends_with(char::is_whitespace)
            || s.contains("  ");
        self.out.push_str(if preserve {
            "<w:t xml:space=\"preserve\">"
        } else {
            "<w:t>"
        });
        escape_text_into(&mut self.out, s);
        self.out.push_str("</w:t>");
    }

    /// The index: a TOC field over one paragraph per heading of levels 1–2, dirty so that Word
    /// recomputes it (with page numbers); its result links each entry to its heading.
    fn toc(&mut self, headings: &[(u8, String)]) {
        const BEGIN: &str = "<w:r><w:fldChar w:fldCharType=\"begin\" w:dirty=\"true\"/></w:r>\
            <w:r><w:instrText xml:space=\"preserve\"> TOC \\o \"1-2\" \\h \\z \\u </w:instrText></w:r>\
            <w:r><w:fldChar w:fldCharType=\"separate\"/></w:r>";
        const END: &str = "<w:r><w:fldChar w:fldCharType=\"end\"/></w:r>";
        let entries: Vec<(usize, &(u8, String))> = headings
            .iter()
            .enumerate()
            .filter(|(_, (level, _))| *level <= 2)
            .collect();
        if entries.is_empty() {
            let _ = write!(self.out, "<w:p>{BEGIN}{END}</w:p>");
            return;
        }
        let last = entries.len() - 1;
        for (k, (i, (level, text))) in entries.into_iter().enumerate() {
            self.p_open(&format!("TOC{level}"), Props::default());
            if k == 0 {
                self.out.push_str(BEGIN);
            }
            let _ = write!(
                self.out,
                "<w:hyperlink w:anchor=\"{}\" w:history=\"1\">",
                bookmark(i + 1)
            );
            self.run(text, false, false);
            self.out.push_str("</w:hyperlink>");
            if k == last {
                self.out.push_str(END);
            }
            self.out.push_str("</w:p>");
        }
    }

    /// A table in the "Table Grid" style, with column widths chosen from its content
    /// (`document/columns.rs`) and fixed, so that every program draws them alike. Its first
    /// row is a header row (`w:tblHeader`: repeated on every page, announced by screen
    /// readers); rows of up to [`SHORT_ROW_LINES`] lines are not split across pages
    /// (`w:cantSplit`). A table kept together, when it fits on a page, keeps every row but
    /// the last with the next (`w:keepNext` in its paragraphs), as Word does it.
    fn table(&mut self, t: &Table) {
        let widths = t.widths();
        let _ = write!(
            self.out,
            "<w:tbl><w:tblPr><w:tblStyle w:val=\"TableGrid\"/><w:tblW w:w=\"{TEXT_WIDTH}\" w:type=\"dxa\"/>\
             <w:tblLayout w:type=\"fixed\"/><w:tblLook w:val=\"04A0\" w:firstRow=\"1\" \
             w:lastRow=\"0\" w:firstColumn=\"0\" w:lastColumn=\"0\" w:noHBand=\"0\" \
             w:noVBand=\"1\"/></w:tblPr><w:tblGrid>"
        );
        for width in &widths {
            let _ = write!(self.out, "<w:gridCol w:w=\"{width}\"/>");
        }
        let keep = t.keep_together && t.fits_on_a_page(&widths);
        self.out
            .push_str("</w:tblGrid><w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>");
        for (h, width) in t.header.iter().zip(&widths) {
            let _ = write!(
                self.out,
                "<w:tc><w:tcPr><w:tcW w:w=\"{width}\" w:type=\"dxa\"/>\
                 <w:shd w:val=\"clear\" w:color=\"auto\" w:fill=\"D9E2F3\"/></w:tcPr>"
            );
            self.simple("IntestazioneTabella", h);
            self.out.push_str("</w:tc>");
        }
        self.out.push_str("</w:tr>");
        let last = t.rows.len().saturating_sub(1);
        for (i, (row, lines)) in t.rows.iter().zip(t.row_lines(&widths)).enumerate() {
            self.out.push_str(if lines <= SHORT_ROW_LINES {
                "<w:tr><w:trPr><w:cantSplit/></w:trPr>"
            } else {
                "<w:tr>"
            });
            let props = Props {
                keep_next: keep && i < last,
                ..Props::default()
            };
            for cell in row {
                self.out.push_str("<w:tc>");
                self.simple_with("TestoTabella", cell, props);
                self.out.push_str("</w:tc>");
            }
            self.out.push_str("</w:tr>");
        }
        self.out.push_str("</w:tbl>");
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::export::document::Column;

    fn doc(blocks: Vec<Block<'static>>) -> Document<'static> {
        Document {
            title: String::new(),
            subject: String::new(),
            author: String::new(),
            description: String::new(),
            keywords: String::new(),
            header: String::new(),
            created: chrono::Utc::now(),
            blocks,
        }
    }

    #[test]
    fn text_is_escaped_cleaned_and_split_into_breaks_and_tabs() {
        let body = write(&doc(vec![Block::Paragraph {
            style: Style::Normal,
            spans: vec![Span::bold("<w:p> & ]]>\u{1}\u{b}\u{fffe} a\r\nb\tc  d ")],
        }]));
        assert_eq!(
            body,
            "<w:p><w:pPr><w:pStyle w:val=\"Normal\"/></w:pPr><w:r><w:rPr><w:b/><w:bCs/></w:rPr>\
             <w:t>&lt;w:p&gt; &amp; ]]&gt; a</w:t><w:br/><w:t>b</w:t><w:tab/>\
             <w:t xml:space=\"preserve\">c  d </w:t></w:r></w:p>"
        );
    }

    #[test]
    fn headings_are_bookmarked_and_indexed_and_tables_have_a_header_row() {
        let body = write(&doc(vec![
            Block::Toc {
                title: "Indice".into(),
            },
            Block::Heading {
                level: 1,
                number: "1.".into(),
                text: "Oggetto".into(),
                summary: None,
            },
            Block::Table(Table {
                columns: vec![Column::Short, Column::Text(1)],
                header: vec![Cow::Borrowed("A"), Cow::Borrowed("B")],
                rows: vec![vec!["1".into(), "".into()]],
                keep_together: false,
            }),
        ]));
        assert!(body.contains(r#"<w:pStyle w:val="Heading1"/></w:pPr><w:bookmarkStart w:id="1" w:name="_Toc000001"/><w:r><w:t>1. Oggetto</w:t></w:r><w:bookmarkEnd w:id="1"/>"#));
        assert!(body.contains(r#"<w:hyperlink w:anchor="_Toc000001" w:history="1"><w:r><w:t>1. Oggetto</w:t></w:r></w:hyperlink><w:r><w:fldChar w:fldCharType="end"/></w:r>"#));
        assert!(body.contains(r#"<w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>"#));
        assert!(body.contains(
            r#"<w:tc><w:p><w:pPr><w:pStyle w:val="TestoTabella"/></w:pPr></w:p></w:tc>"#
        ));
        assert!(body.contains(r#"<w:tr><w:trPr><w:cantSplit/></w:trPr><w:tc>"#));
        assert!(body.ends_with("</w:tbl><w:p/>"));
    }

    /// Every document type, for one meeting and for a module of two meetings with the hidden
    /// cards listed apart, laid out from the outline's fixtures with people present (the Ente
    /// and Ruolo tables, one after the other), a guest's card (the Ospiti table right after
    /// them) and indicators (the sheets): the blocks and the body written from them.
    fn every_document(mut check: impl FnMut(&str, &Document, &str)) {
        use crate::domain::board::{Actor, ActorId, ActorKind};
        use crate::export::format::DocType;
        use crate::export::outline::tests::*;
        use crate::export::outline::{Attendee, Outline};
        use crate::export::prose::Prose;
        use crate::export::scope::{Extent, HiddenCards, Scope};

        let w = workshop();
        let guest = Actor {
            id: ActorId::Guest(1),
            kind: ActorKind::Guest,
            name: "Giulia Ferri".into(),
            organisation: Some("Cooperativa sociale Il Sentiero".into()),
            ambito: None,
        };
        let sessions: Vec<_> = (0..2)
            .map(|m| {
                let (a, b) = (person(1, "Bergamo"), person(2, "Dalmine"));
                let mut board = BoardBuilder::new(m as i64 + 1);
                board
                    .card(
                        &a,
                        "c1",
                        need("Anziani soli nei Comuni montani", Some("Anziani")),
                    )
                    .card(&guest, "c2", need("Trasporti per le visite", None))
                    .card(
                        &b,
                        "p1",
                        proposal("Tavolo tecnico con gli ETS", Some("Tavolo tecnico")),
                    )
                    .card(&a, "i1", indicator("Utenti SAD ogni 100 residenti over 65"))
                    .card(
                        &b,
                        "i2",
                        indicator("Percentuale di interventi precipitevolissimevolmente attivati"),
                    )
                    .card(&b, "x1", need("Fuori tema", None))
                    .event(
                        &facilitator(),
                        crate::domain::board::Event::CardHidden {
                            card_id: "x1".into(),
                            reason: "Fuori tema".into(),
                        },
                    )
                    .votes(&a, "c1", 2);
                let mut s = session(&w, m, board.state);
                s.attendance = [
                    (1, "Comune 1", "Responsabile Ufficio di Piano"),
                    (2, "Comune 2", "Assistente sociale"),
                ]
                .into_iter()
                .map(|(person, organisation, role)| Attendee {
                    person,
                    organisation: organisation.into(),
                    role: role.into(),
                    ambito: Some("Ambito di Bergamo".into()),
                })
                .collect();
                s
            })
            .collect();
        let templates = crate::templates::Templates::new(None);
        let scopes = [
            (Extent::Meeting(1), HiddenCards::Omit, &sessions[..1]),
            (Extent::Module(1), HiddenCards::Apart, &sessions[..]),
        ];
        for (extent, hidden, sessions) in scopes {
            let scope = Scope {
                extent,
                ambito: None,
                hidden,
            };
            let o = Outline::build(&w, sessions, &scope, chrono::Utc::now());
            for doc in DocType::ALL {
                let prose =
                    Prose::render(&templates, doc, crate::export::document::blocks(doc), &o)
                        .expect("the default templates render");
                let d = crate::export::document::build(&o, &prose, doc);
                let body = write(&d);
                check(&format!("{} of {:?}", doc.id(), scope.extent), &d, &body);
            }
        }
    }

    #[test]
    fn no_document_writes_two_tables_without_a_paragraph_between() {
        let mut adjacent_in_all = 0;
        every_document(|name, d, body| {
            let adjacent = d
                .blocks
                .windows(2)
                .filter(|w| matches!(w, [Block::Table(_), Block::Table(_)]))
                .count();
            adjacent_in_all += adjacent;
            assert!(
                !body.contains("</w:tbl><w:tbl>"),
                "{name}: two tables touch"
            );
            assert_eq!(
                body.matches(&format!("</w:tbl>{TABLE_SEPARATOR}<w:tbl>"))
                    .count(),
                adjacent,
                "{name}: one small paragraph between each two adjacent tables"
            );
        });
        // The participation tables (Ente, Ruolo, Ospiti) come one after the other.
        assert!(adjacent_in_all >= 6, "{adjacent_in_all}");
    }

    #[test]
    fn every_table_spans_the_text_width_repeats_its_header_and_fits_its_words() {
        use crate::export::document::Column;
        use crate::export::document::measure::{self, CELL, CELL_MARGINS, HEADER_CELL};
        let mut tables = 0;
        every_document(|name, d, body| {
            for t in d.blocks.iter().filter_map(|b| match b {
                Block::Table(t) => Some(t),
                _ => None,
            }) {
                tables += 1;
                let widths = t.widths();
                assert_eq!(widths.len(), t.header.len(), "{name}");
                assert_eq!(
                    widths.iter().sum::<u32>(),
                    TEXT_WIDTH,
                    "{name}: {:?}",
                    t.header
                );
                let fits = |text: &str, font, i: usize| {
                    for word in text.split_whitespace() {
                        assert!(
                            measure::width(word, font) + CELL_MARGINS <= widths[i],
                            "{name}: «{word}» is wider than its column ({} twips) in {:?}",
                            widths[i],
                            t.header
                        );
                    }
                };
                for (i, h) in t.header.iter().enumerate() {
                    fits(h, HEADER_CELL, i);
                }
                for row in &t.rows {
                    for (i, cell) in row.iter().enumerate() {
                        if t.columns[i] == Column::Short {
                            fits(cell, CELL, i);
                        }
                    }
                }
            }
            // In the markup: each table's grid is its widths, its first row a header row.
            for table in body.split("<w:tbl>").skip(1) {
                let grid: u32 = table
                    .split("<w:gridCol w:w=\"")
                    .skip(1)
                    .map(|g| g[..g.find('"').unwrap()].parse::<u32>().unwrap())
                    .sum();
                assert_eq!(grid, TEXT_WIDTH, "{name}");
                assert!(
                    table.contains(
                        "</w:tblGrid><w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>"
                    ),
                    "{name}: the first row repeats on every page"
                );
                assert_eq!(table.matches("<w:tblHeader/>").count(), 1, "{name}");
            }
        });
        assert!(tables > 50, "{tables}");
    }

    #[test]
    fn an_indicator_sheet_keeps_together_and_names_itself_in_its_header() {
        every_document(|name, d, body| {
            let sheets: Vec<&Table> = d
                .blocks
                .iter()
                .filter_map(|b| match b {
                    Block::Table(t) if t.keep_together => Some(t),
                    _ => None,
                })
                .collect();
            if name.starts_with("verbale") {
                assert!(sheets.is_empty(), "{name}");
                return;
            }
            assert!(sheets.len() >= 2, "{name}");
            for t in sheets {
                assert!(
                    t.header[0].starts_with("Scheda M") && t.header[0].contains("/I"),
                    "{name}: {:?}",
                    t.header
                );
                let at = body
                    .find(&format!(">{}<", t.header[0]))
                    .expect("sheet written");
                let table = &body[at..at + body[at..].find("</w:tbl>").unwrap()];
                let rows: Vec<&str> = table.split("<w:tr>").skip(1).collect();
                assert_eq!(rows.len(), t.rows.len(), "{name}");
                // Every row but the last is kept with the next; the last is not, or the
                // sheet would be chained to the next one.
                for (i, row) in rows.iter().enumerate() {
                    assert_eq!(
                        row.contains("<w:keepNext/>"),
                        i + 1 < rows.len(),
                        "{name}: row {i} of {}",
                        t.header[0]
                    );
                    assert!(row.starts_with("<w:trPr><w:cantSplit/></w:trPr>"));
                }
            }
        });
    }
}
