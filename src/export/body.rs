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
//! `w:br` and `\t` becomes `w:tab`. Style ids, bookmark names and numbers in attributes are
//! ours; the one attribute with words in it, a table's alternative text (its caption and
//! header), is escaped with [`escape`] and kept on one line.
//!
//! What an office needs to restructure the draft in Word is written here too: headings carry
//! no number in their text (Word's lists number them, see `numbering.xml`), every table has a
//! caption with a `SEQ Tabella` field (Word builds a list of tables from them) and alternative
//! text, and the index is an ordinary Word index already filled in (see [`Writer::toc`]).

use std::fmt::Write as _;

use super::document::measure::TEXT_WIDTH;
use super::document::{
    Block, Document, HeadingList, SHORT_ROW_LINES, Span, Style, Table, index_placement,
};
use super::xml::{escape, escape_text_into, xml_text};

/// Numbering id of the headings' outline list (`numbering.xml`), linked to the heading styles
/// in `styles.xml`: a heading paragraph gets its number from its style.
pub const HEADINGS: usize = 1;
/// Numbering id of the bullet list (`numbering.xml`).
pub const BULLETS: usize = 2;
/// Numbering id of the appendices' list, "Allegato A –" (`numbering.xml`), set on each
/// appendix heading over its style's outline list.
pub const APPENDICES: usize = 3;

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
    let mut table_no = 0;
    for (i, block) in doc.blocks.iter().enumerate() {
        match block {
            Block::Title { text } => w.simple("Title", text),
            Block::Subtitle { text } => w.simple("Subtitle", text),
            Block::Heading {
                level, list, text, ..
            } => {
                heading_no += 1;
                w.heading(*level, *list, heading_no, text);
            }
            Block::Paragraph { style, spans } => w.paragraph(*style, spans),
            Block::Toc { title } => {
                let entries: Vec<(u8, &str)> = headings
                    .iter()
                    .filter(|(level, _)| *level <= 2)
                    .map(|(level, text)| (*level, text.as_str()))
                    .collect();
                let place = index_placement(&doc.blocks[..i], title, &entries);
                w.toc(title, place.page_before, &headings);
                if place.page_after {
                    w.out.push_str(PAGE_BREAK);
                }
            }
            Block::Table(t) => {
                // Two tables with nothing between them are one table to Word and LibreOffice:
                // every table opens with its caption paragraph, written here, the one place
                // that writes blocks, so no document can put two tables together.
                table_no += 1;
                w.caption(table_no, &t.caption);
                w.table(t);
            }
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

    /// A heading: its text alone, numbered by Word. An outline heading takes its number from
    /// its style (`Heading1`… are linked to the outline list); an appendix heading names the
    /// appendices' list, which overrides its style's.
    fn heading(&mut self, level: u8, list: HeadingList, n: usize, text: &str) {
        let _ = write!(self.out, "<w:p><w:pPr><w:pStyle w:val=\"Heading{level}\"/>");
        if list == HeadingList::Appendix {
            let _ = write!(
                self.out,
                "<w:numPr><w:ilvl w:val=\"0\"/><w:numId w:val=\"{APPENDICES}\"/></w:numPr>"
            );
        }
        let _ = write!(
            self.out,
            "</w:pPr><w:bookmarkStart w:id=\"{n}\" w:name=\"{}\"/>",
            bookmark(n)
        );
        self.run(text, false, false);
        let _ = write!(self.out, "<w:bookmarkEnd w:id=\"{n}\"/></w:p>");
    }

    /// A table's caption, "Tabella N – what it shows", as Word's Insert Caption writes it: the
    /// `Caption` style (kept with the table) and the number in a `SEQ Tabella` field, whose
    /// result is filled in here, so that Word can list the tables (Insert › Table of figures,
    /// label "Tabella") and renumber them (F9) after a table is moved.
    fn caption(&mut self, n: usize, caption: &str) {
        self.out
            .push_str("<w:p><w:pPr><w:pStyle w:val=\"Caption\"/></w:pPr>");
        self.run("Tabella ", false, false);
        let _ = write!(
            self.out,
            "<w:r><w:fldChar w:fldCharType=\"begin\"/></w:r>\
             <w:r><w:instrText xml:space=\"preserve\"> SEQ Tabella \\* ARABIC </w:instrText></w:r>\
             <w:r><w:fldChar w:fldCharType=\"separate\"/></w:r>\
             <w:r><w:t>{n}</w:t></w:r><w:r><w:fldChar w:fldCharType=\"end\"/></w:r>"
        );
        if !caption.is_empty() {
            self.run(&format!(" – {caption}"), false, false);
        }
        self.out.push_str("</w:p>");
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

    /// The index: its title and one entry per heading of levels 1–2 ("3.2 Presenze", the
    /// number as Word's lists will show it), each a link to its heading, inside a TOC field
    /// inside Word's own "Table of Contents" content control.
    ///
    /// Why it is filled in here, without page numbers, and never marked for updating: a file
    /// cannot have Word refresh its index silently on opening. `w:updateFields` in the
    /// settings, or `w:dirty` on the field, makes Word ask on every opening whether to "update
    /// the fields in this document, which may refer to other files" (reported by every .docx
    /// generator: dolanmiu/docx#1212, unidoc/unioffice#323 — "there is no way to have Word
    /// create the TOC without asking"); a dirty field with entries already written is also
    /// thrown away or broken by the update (drmacro/wordinator#151, PumasAI/WriteDocx.jl#48).
    /// Word recomputes PAGE and NUMPAGES by itself as it paginates, never an index or a
    /// PAGEREF: they stay as written until someone updates them. LibreOffice likewise shows an
    /// index as the file holds it and does not rebuild it on loading (checked in
    /// `.ci/export-checks`: its PDF shows these entries). So the file holds the finished list:
    /// it opens without a question in both, every entry leads to its section, and the
    /// navigation pane follows the headings. Page numbers are left out rather than guessed:
    /// our page estimates (`document/pages.rs`) are good enough to place the index, not to
    /// print a number a reader would trust, and the office restructures the draft anyway. One
    /// click on "Aggiorna sommario" above the index (the content control), or F9, has Word
    /// rebuild it with page numbers from the same headings (`\o "1-2"`: levels 1 and 2, `\h`
    /// links, `\u` outline levels), with the same numbers.
    fn toc(&mut self, title: &str, page_before: bool, headings: &[(u8, String)]) {
        const BEGIN: &str = "<w:r><w:fldChar w:fldCharType=\"begin\"/></w:r>\
            <w:r><w:instrText xml:space=\"preserve\"> TOC \\o \"1-2\" \\h \\z \\u </w:instrText></w:r>\
            <w:r><w:fldChar w:fldCharType=\"separate\"/></w:r>";
        const END: &str = "<w:r><w:fldChar w:fldCharType=\"end\"/></w:r>";
        self.out.push_str(
            "<w:sdt><w:sdtPr><w:docPartObj><w:docPartGallery w:val=\"Table of Contents\"/>\
             <w:docPartUnique/></w:docPartObj></w:sdtPr><w:sdtContent>",
        );
        self.p_open(
            "TOCHeading",
            Props {
                page_before,
                ..Props::default()
            },
        );
        self.run(title, false, false);
        self.out.push_str("</w:p>");
        let entries: Vec<(usize, &(u8, String))> = headings
            .iter()
            .enumerate()
            .filter(|(_, (level, _))| *level <= 2)
            .collect();
        if entries.is_empty() {
            let _ = write!(self.out, "<w:p>{BEGIN}{END}</w:p>");
        }
        let last = entries.len().saturating_sub(1);
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
        self.out.push_str("</w:sdtContent></w:sdt>");
    }

    /// A table in the "Table Grid" style, with column widths chosen from its content
    /// (`document/columns.rs`) and fixed, so that every program draws them alike. Its first
    /// row is a header row (`w:tblHeader`: repeated on every page, announced by screen
    /// readers); rows of up to [`SHORT_ROW_LINES`] lines are not split across pages
    /// (`w:cantSplit`). A table kept together, when it fits on a page, keeps every row but
    /// the last with the next (`w:keepNext` in its paragraphs), as Word does it.
    ///
    /// Its alternative text (`w:tblCaption`, `w:tblDescription`: Word's Alt Text, read by
    /// screen readers) says what it shows and how it is made ([`Table::description`]).
    fn table(&mut self, t: &Table) {
        let widths = t.widths();
        let _ = write!(
            self.out,
            "<w:tbl><w:tblPr><w:tblStyle w:val=\"TableGrid\"/><w:tblW w:w=\"{TEXT_WIDTH}\" w:type=\"dxa\"/>\
             <w:tblLayout w:type=\"fixed\"/><w:tblLook w:val=\"04A0\" w:firstRow=\"1\" \
             w:lastRow=\"0\" w:firstColumn=\"0\" w:lastColumn=\"0\" w:noHBand=\"0\" \
             w:noVBand=\"1\"/><w:tblCaption w:val=\"{}\"/><w:tblDescription w:val=\"{}\"/>\
             </w:tblPr><w:tblGrid>",
            attribute(&t.caption),
            attribute(&t.description()),
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

/// Text for an attribute value: escaped, on one line (a line break in an attribute is read
/// back as a space anyway, and a tab too).
fn attribute(s: &str) -> String {
    escape(&s.split_whitespace().collect::<Vec<_>>().join(" "))
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
                list: HeadingList::Outline,
                number: "1.".into(),
                text: "Oggetto".into(),
                summary: None,
            },
            Block::Heading {
                level: 1,
                list: HeadingList::Appendix,
                number: "Allegato A –".into(),
                text: "Tracciabilità".into(),
                summary: None,
            },
            Block::Table(Table {
                caption: "Prova".into(),
                columns: vec![Column::Short, Column::Text(1)],
                header: vec![Cow::Borrowed("A"), Cow::Borrowed("B")],
                rows: vec![vec!["1".into(), "".into()]],
                keep_together: false,
            }),
        ]));
        // The text alone: the outline heading takes its number from its style, the appendix
        // from the appendices' list; the index shows the numbers Word will.
        assert!(body.contains(r#"<w:pStyle w:val="Heading1"/></w:pPr><w:bookmarkStart w:id="1" w:name="_Toc000001"/><w:r><w:t>Oggetto</w:t></w:r><w:bookmarkEnd w:id="1"/>"#));
        assert!(body.contains(r#"<w:pStyle w:val="Heading1"/><w:numPr><w:ilvl w:val="0"/><w:numId w:val="3"/></w:numPr></w:pPr><w:bookmarkStart w:id="2" w:name="_Toc000002"/><w:r><w:t>Tracciabilità</w:t></w:r>"#));
        assert!(body.contains(r#"<w:hyperlink w:anchor="_Toc000001" w:history="1"><w:r><w:t>1. Oggetto</w:t></w:r></w:hyperlink></w:p>"#));
        assert!(body.contains(r#"<w:hyperlink w:anchor="_Toc000002" w:history="1"><w:r><w:t>Allegato A – Tracciabilità</w:t></w:r></w:hyperlink><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p></w:sdtContent></w:sdt>"#));
        // Nothing asks Word to update the index when the file opens.
        assert!(!body.contains("w:dirty"));
        assert!(body.starts_with(
            r#"<w:sdt><w:sdtPr><w:docPartObj><w:docPartGallery w:val="Table of Contents"/>"#
        ));
        // The caption, numbered by a SEQ field, then the table with its alternative text.
        assert!(body.contains(r#"<w:p><w:pPr><w:pStyle w:val="Caption"/></w:pPr><w:r><w:t xml:space="preserve">Tabella </w:t></w:r><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> SEQ Tabella \* ARABIC </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>1</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r><w:r><w:t xml:space="preserve"> – Prova</w:t></w:r></w:p><w:tbl>"#));
        assert!(body.contains(r#"<w:tblCaption w:val="Prova"/><w:tblDescription w:val="Prova. Tabella di 1 riga e 2 colonne: A e B."/></w:tblPr>"#));
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
            // Between two adjacent tables, the second one's caption.
            assert_eq!(
                body.matches(r#"</w:tbl><w:p><w:pPr><w:pStyle w:val="Caption"/>"#)
                    .count(),
                adjacent,
                "{name}: a caption between each two adjacent tables"
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
