//! Blocks → a .docx file: docx-rs writes the package, `body.rs` the body, `package.rs` fixes
//! what docx-rs gets wrong and compresses.
//!
//! docx-rs builds the document around one placeholder paragraph: A4 page with 2 cm margins,
//! the page header ("`<workshop> · BOZZA`") and the footer ("Pagina X di Y" with PAGE and
//! NUMPAGES fields), and every relationship between the parts. Its text (the header) goes
//! through [`xml_text`] first: docx-rs would copy XML-illegal characters into the file.
//! `package::repack` then swaps the [`PLACEHOLDER`] paragraph for the body streamed by
//! `body.rs`, and writes our own styles, settings and numbering (the headings' outline list,
//! the appendices' list, the bullets: `numbering.xml`) over docx-rs's.

use std::io::Cursor;

use docx_rs::{
    Docx, FieldCharType, Footer, Header, IndentLevel, InstrText, NumberingId, PageMargin,
    Paragraph, Run,
};

use super::body::{self, BULLETS};
use super::document::Document;
use super::document::measure::{HEADER_DISTANCE, MARGIN, PAGE_HEIGHT, PAGE_WIDTH};
use super::package::{self, PLACEHOLDER, Properties};
use super::xml::xml_text;

/// Writes the document as a compressed .docx.
pub fn write(doc: &Document) -> Result<Vec<u8>, zip::result::ZipError> {
    let docx = Docx::new()
        .page_size(PAGE_WIDTH, PAGE_HEIGHT)
        .page_margin(
            // The page the layout measures against (`document/measure.rs`).
            PageMargin::new()
                .top(MARGIN as i32)
                .bottom(MARGIN as i32)
                .left(MARGIN as i32)
                .right(MARGIN as i32)
                .header(HEADER_DISTANCE as i32)
                .footer(HEADER_DISTANCE as i32),
        )
        .header(
            Header::new().add_paragraph(
                Paragraph::new()
                    .style("Header")
                    .add_run(Run::new().add_text(xml_text(&doc.header))),
            ),
        )
        .footer(
            Footer::new().add_paragraph(
                Paragraph::new()
                    .style("Footer")
                    .add_run(Run::new().add_text("Pagina "))
                    .add_run(field("PAGE", "1"))
                    .add_run(Run::new().add_text(" di "))
                    .add_run(field("NUMPAGES", "1")),
            ),
        )
        // The body's headings and bullets are numbered (`numbering.xml`, which `package.rs`
        // writes over docx-rs's): without a numbered paragraph docx-rs leaves numbering.xml
        // out of the relationships, and Word drops every number.
        .add_paragraph(
            Paragraph::new()
                .add_run(Run::new().add_text(PLACEHOLDER))
                .numbering(NumberingId::new(BULLETS), IndentLevel::new(0)),
        );
    let body = body::write(doc);
    let mut stored = Cursor::new(Vec::new());
    docx.pack(&mut stored)?;
    package::repack(
        stored.get_ref(),
        &Properties {
            title: doc.title.clone(),
            subject: doc.subject.clone(),
            creator: doc.author.clone(),
            description: doc.description.clone(),
            keywords: doc.keywords.clone(),
            created: doc.created,
        },
        &body,
    )
}

/// A simple field (`PAGE`, `NUMPAGES`) with its cached result.
fn field(instruction: &str, cached: &str) -> Run {
    Run::new()
        .add_field_char(FieldCharType::Begin, false)
        .add_instr_text(InstrText::Unsupported(format!(" {instruction} ")))
        .add_field_char(FieldCharType::Separate, false)
        .add_text(cached)
        .add_field_char(FieldCharType::End, false)
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::io::Read;

    use super::*;
    use crate::export::document::{Block, Column, Span, Style, Table as DocTable};

    fn parts(bytes: &[u8]) -> Vec<(String, String)> {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        (0..zip.len())
            .map(|i| {
                let mut f = zip.by_index(i).unwrap();
                let mut s = String::new();
                f.read_to_string(&mut s).unwrap();
                (f.name().to_string(), s)
            })
            .collect()
    }

    fn parse(xml: &str) {
        let mut r = quick_xml::Reader::from_str(xml);
        r.config_mut().check_end_names = true;
        loop {
            match r.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("XML error at {}: {e}", r.buffer_position()),
            }
        }
        assert!(xml.chars().all(crate::export::xml::is_xml_char));
    }

    #[test]
    fn hostile_text_everywhere_still_makes_a_valid_package() {
        let hostile = "<w:p> & ]]> \"x\" 'y' \u{1}\u{b}\u{fffe} 😀 مرحبا\r\nriga\tcolonna";
        let doc = Document {
            title: hostile.into(),
            subject: hostile.into(),
            author: hostile.into(),
            description: hostile.into(),
            keywords: hostile.into(),
            header: hostile.into(),
            created: chrono::Utc::now(),
            blocks: vec![
                Block::Title {
                    text: hostile.into(),
                },
                Block::Toc {
                    title: "Indice".into(),
                },
                Block::Heading {
                    level: 1,
                    list: crate::export::document::HeadingList::Outline,
                    number: "1.".into(),
                    text: hostile.into(),
                    summary: None,
                },
                Block::Paragraph {
                    style: Style::Bullet,
                    spans: vec![Span::bold(hostile), Span::plain(hostile)],
                },
                Block::Table(DocTable {
                    caption: hostile.into(),
                    columns: vec![Column::Short, Column::Text(1)],
                    header: vec![Cow::Borrowed("a"), Cow::Borrowed("b")],
                    rows: vec![vec![hostile.into(), hostile.into()]],
                    keep_together: true,
                }),
            ],
        };
        let bytes = write(&doc).unwrap();
        let parts = parts(&bytes);
        for (name, xml) in &parts {
            if name.ends_with(".xml") || name.ends_with(".rels") {
                parse(xml);
            }
        }
        let document = &parts
            .iter()
            .find(|(n, _)| n == "word/document.xml")
            .unwrap()
            .1;
        assert!(document.contains("&lt;w:p&gt; &amp; ]]&gt;"));
        assert!(document.contains(r#"<w:pStyle w:val="Heading1"/>"#));
        assert!(document.contains("<w:tblHeader/>"));
        assert!(document.contains(r#"w:anchor="_Toc000001""#));
        assert!(document.contains(r#"<w:bookmarkStart w:id="1" w:name="_Toc000001"/>"#));
        assert!(document.contains(r#"TOC \o "1-2" \h \z \u"#));
        assert!(!document.contains("paraId") && !document.contains(PLACEHOLDER));
        assert!(document.contains("<w:sectPr>") || document.contains("<w:sectPr "));
        assert!(document.contains("w:headerReference") && document.contains("w:footerReference"));
        assert!(
            document.contains("<w:sectPr><w:headerReference"),
            "references first"
        );
        let rels = &parts
            .iter()
            .find(|(n, _)| n == "word/_rels/document.xml.rels")
            .unwrap()
            .1;
        assert!(rels.contains("numbering.xml"));
        // Our bullets do not collide with docx-rs's own numbering 1.
        let numbering = &parts
            .iter()
            .find(|(n, _)| n == "word/numbering.xml")
            .unwrap()
            .1;
        assert_eq!(numbering.matches(r#"<w:num w:numId="2">"#).count(), 1);
        assert_eq!(
            numbering
                .matches(r#"<w:abstractNum w:abstractNumId="2">"#)
                .count(),
            1
        );
        assert!(document.contains(r#"<w:numId w:val="2"/>"#));
        let footer = &parts
            .iter()
            .find(|(n, _)| n.starts_with("word/footer"))
            .unwrap()
            .1;
        assert!(footer.contains("PAGE") && footer.contains("NUMPAGES"));
        let header = &parts
            .iter()
            .find(|(n, _)| n.starts_with("word/header"))
            .unwrap()
            .1;
        assert!(header.contains("&lt;w:p&gt;"));
    }
}
