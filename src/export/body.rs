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

use super::document::{Block, Document, Span, Style, Table};
use super::xml::{escape_text_into, xml_text};

/// Width of the text on an A4 page with 2 cm margins, in twentieths of a point.
pub const TEXT_WIDTH: u32 = 9638;
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
    for block in &doc.blocks {
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
                w.simple("TOCHeading", title);
                w.toc(&headings);
            }
            Block::Table(t) => w.table(t),
            Block::PageBreak => w
                .out
                .push_str(r#"<w:p><w:r><w:br w:type="page"/></w:r></w:p>"#),
        }
    }
    // Word ends a body with a paragraph, never with a table.
    if matches!(doc.blocks.last(), Some(Block::Table(_)) | None) {
        w.out.push_str("<w:p/>");
    }
    w.out
}

struct Writer {
    out: String,
}

impl Writer {
    fn p_open(&mut self, style: &str, bullet: bool) {
        self.out.push_str("<w:p><w:pPr><w:pStyle w:val=\"");
        self.out.push_str(style);
        self.out.push_str("\"/>");
        if bullet {
            let _ = write!(
                self.out,
                "<w:numPr><w:ilvl w:val=\"0\"/><w:numId w:val=\"{BULLETS}\"/></w:numPr>"
            );
        }
        self.out.push_str("</w:pPr>");
    }

    fn simple(&mut self, style: &str, text: &str) {
        self.p_open(style, false);
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
        self.p_open(style.id(), style == Style::Bullet);
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
            self.p_open(&format!("TOC{level}"), false);
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

    /// A table in the "Table Grid" style with fixed column widths; its first row is a header
    /// row (`w:tblHeader`: repeated on every page, announced by screen readers).
    fn table(&mut self, t: &Table) {
        let total: u32 = t.widths.iter().sum();
        let _ = write!(
            self.out,
            "<w:tbl><w:tblPr><w:tblStyle w:val=\"TableGrid\"/><w:tblW w:w=\"{}\" w:type=\"dxa\"/>\
             <w:tblLayout w:type=\"fixed\"/><w:tblLook w:val=\"04A0\" w:firstRow=\"1\" \
             w:lastRow=\"0\" w:firstColumn=\"0\" w:lastColumn=\"0\" w:noHBand=\"0\" \
             w:noVBand=\"1\"/></w:tblPr><w:tblGrid>",
            total.min(TEXT_WIDTH)
        );
        for width in &t.widths {
            let _ = write!(self.out, "<w:gridCol w:w=\"{width}\"/>");
        }
        self.out
            .push_str("</w:tblGrid><w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>");
        for (i, h) in t.header.iter().enumerate() {
            let _ = write!(
                self.out,
                "<w:tc><w:tcPr><w:tcW w:w=\"{}\" w:type=\"dxa\"/>\
                 <w:shd w:val=\"clear\" w:color=\"auto\" w:fill=\"D9E2F3\"/></w:tcPr>",
                t.widths.get(i).copied().unwrap_or(1000)
            );
            self.simple("IntestazioneTabella", h);
            self.out.push_str("</w:tc>");
        }
        self.out.push_str("</w:tr>");
        for row in &t.rows {
            self.out.push_str("<w:tr>");
            for cell in row {
                self.out.push_str("<w:tc>");
                self.simple("TestoTabella", cell);
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
                widths: vec![1000, 2000],
                header: vec![Cow::Borrowed("A"), Cow::Borrowed("B")],
                rows: vec![vec!["1".into(), "".into()]],
            }),
        ]));
        assert!(body.contains(r#"<w:pStyle w:val="Heading1"/></w:pPr><w:bookmarkStart w:id="1" w:name="_Toc000001"/><w:r><w:t>1. Oggetto</w:t></w:r><w:bookmarkEnd w:id="1"/>"#));
        assert!(body.contains(r#"<w:hyperlink w:anchor="_Toc000001" w:history="1"><w:r><w:t>1. Oggetto</w:t></w:r></w:hyperlink><w:r><w:fldChar w:fldCharType="end"/></w:r>"#));
        assert!(body.contains(r#"<w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>"#));
        assert!(body.contains(
            r#"<w:tc><w:p><w:pPr><w:pStyle w:val="TestoTabella"/></w:pPr></w:p></w:tc>"#
        ));
        assert!(body.ends_with("</w:tbl><w:p/>"));
    }
}
