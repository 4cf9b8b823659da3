//! What docx-rs 0.4.22 gets wrong, fixed between its output and the file people receive.
//!
//! 1. **Illegal characters.** docx-rs escapes `& < > " '` but copies every other character into
//!    the XML, including the ones XML 1.0 forbids (U+0000–U+0008, U+000B, U+000C,
//!    U+000E–U+001F, U+FFFE, U+FFFF): Word and LibreOffice then refuse the whole file. Every
//!    string goes through [`xml_text`](super::xml::xml_text) before it reaches docx-rs (see
//!    `docx.rs`).
//! 2. **Unescaped attributes.** Comment authors and custom-property values are written
//!    verbatim. Tavolo writes no comments and no custom properties. Style ids, bookmark names
//!    and anchors are generated; the one attribute with words in it, a table's alternative
//!    text, is escaped by `body.rs`.
//! 3. **No language, title or author.** There is no API for `w:lang` or for the core
//!    properties: [`repack`] replaces `docProps/core.xml` (title, subject, creator, language,
//!    escaped here), `word/styles.xml` (our styles, with `w:lang w:val="it-IT"` in the
//!    document defaults) and `word/settings.xml` (Italian theme language, decimal comma, list
//!    separator; no `updateFields`, which would have Word ask about updating fields on every
//!    opening: see `Writer::toc` in `body.rs`).
//! 4. **Broken automatic index.** `TableOfContents::auto()` escapes its instruction twice;
//!    `body.rs` writes the TOC field itself, with its entries already in place.
//! 5. **Stored, not compressed.** docx-rs writes every entry uncompressed; [`repack`] rewrites
//!    the archive with deflate (a large export shrinks about tenfold).
//!
//! 6. **Elements out of schema order.** docx-rs writes the header and footer references at the
//!    end of `w:sectPr` (the schema wants them first) and an empty `w:rPr` before the other
//!    paragraph properties (it belongs last): [`references_first`] and [`tidy`] put them right,
//!    so that strict readers do not reject or misread the file.
//!
//! 7. **Numbering levels out of schema order.** docx-rs writes a level's `w:pStyle` and
//!    `w:suff` after its `w:rPr` (the schema wants them before `w:lvlText`), and cannot write a
//!    list's `w:multiLevelType`: [`repack`] replaces `word/numbering.xml` with
//!    [`NUMBERING_XML`] — the headings' outline list linked to the heading styles, the
//!    appendices' list, the bullets.
//!
//! Two more things happen in [`repack`]: the [`PLACEHOLDER`] paragraph of `word/document.xml` is
//! replaced by the body `body.rs` streamed (docx-rs's own serialiser was too slow for big
//! boards, see `body.rs`), and [`tidy`] drops docx-rs's numbered paragraph ids (`w14:paraId`)
//! and empty property elements, so that the same board gives the same bytes.

use std::borrow::Cow;
use std::io::{Cursor, Read, Write};

use chrono::{DateTime, Utc};
use zip::write::SimpleFileOptions;

use super::xml::escape;

/// Text of the paragraph [`repack`] replaces with the body: `docx.rs` builds the document
/// around one paragraph holding it. The only user text docx-rs sees is the page header, in
/// another part, so this text occurs nowhere else in `word/document.xml`.
pub const PLACEHOLDER: &str = "TAVOLO-CORPO-DEL-DOCUMENTO";

/// The document properties Word shows under File › Info.
#[derive(Debug, Clone)]
pub struct Properties {
    pub title: String,
    pub subject: String,
    pub creator: String,
    pub description: String,
    pub keywords: String,
    pub created: DateTime<Utc>,
}

/// The language of every document.
pub const LANGUAGE: &str = "it-IT";

/// `docProps/core.xml` with our properties, escaped.
pub fn core_xml(p: &Properties) -> String {
    let when = p.created.format("%Y-%m-%dT%H:%M:%SZ");
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" \
         xmlns:dcmitype=\"http://purl.org/dc/dcmitype/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\
         <dc:title>{title}</dc:title><dc:subject>{subject}</dc:subject><dc:creator>{creator}</dc:creator>\
         <cp:keywords>{keywords}</cp:keywords><dc:description>{description}</dc:description>\
         <cp:lastModifiedBy>Tavolo</cp:lastModifiedBy><cp:revision>1</cp:revision>\
         <dcterms:created xsi:type=\"dcterms:W3CDTF\">{when}</dcterms:created>\
         <dcterms:modified xsi:type=\"dcterms:W3CDTF\">{when}</dcterms:modified>\
         <dc:language>{LANGUAGE}</dc:language><cp:category>Bozza</cp:category></cp:coreProperties>",
        title = escape(&p.title),
        subject = escape(&p.subject),
        creator = escape(&p.creator),
        keywords = escape(&p.keywords),
        description = escape(&p.description),
    )
}

/// `word/settings.xml`: elements in schema order (CT_Settings).
pub const SETTINGS_XML: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n",
    "<w:settings xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">",
    "<w:zoom w:percent=\"100\"/>",
    "<w:defaultTabStop w:val=\"709\"/>",
    "<w:hyphenationZone w:val=\"283\"/>",
    "<w:characterSpacingControl w:val=\"doNotCompress\"/>",
    // No `w:updateFields`: Word would ask on every opening whether to update the fields (see
    // `Writer::toc` in `body.rs`: the index is written in full).
    "<w:compat><w:compatSetting w:name=\"compatibilityMode\" ",
    "w:uri=\"http://schemas.microsoft.com/office/word\" w:val=\"15\"/></w:compat>",
    "<w:themeFontLang w:val=\"it-IT\"/>",
    "<w:decimalSymbol w:val=\",\"/>",
    "<w:listSeparator w:val=\";\"/>",
    "</w:settings>"
);

/// `word/styles.xml`: the document language, the fonts and every style `docx.rs` uses, with
/// Word's built-in names (`heading 1`…) so that the navigation pane, the index and other
/// programs (LibreOffice, python-docx, screen readers) recognise the headings.
pub const STYLES_XML: &str = include_str!("styles.xml");

/// `word/numbering.xml`: Word's lists, numbered as `body.rs` refers to them — 1 the headings'
/// outline list (1., 1.1, 1.1.1, 1.1.1.1; each level linked to `Heading1`–`Heading4`, whose
/// styles name it back), 2 the bullets, 3 the appendices ("Allegato A –"). The numbers follow
/// the heading text after a space, at the margin, as they did when they were written as text.
pub const NUMBERING_XML: &str = include_str!("numbering.xml");

/// Rewrites docx-rs's stored archive: deflate, our properties, styles and settings, `body` in
/// place of the placeholder paragraph of `document.xml`, tidied parts. Directory entries are
/// dropped.
pub fn repack(stored: &[u8], props: &Properties, body: &str) -> zip::result::ZipResult<Vec<u8>> {
    let mut archive = zip::ZipArchive::new(Cursor::new(stored))?;
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::with_capacity(stored.len() / 6 + 4096)));
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(COMPRESSION_LEVEL));
    let core = core_xml(props);
    // [Content_Types].xml first, as Office writes it (some readers sniff the first entry).
    let mut order: Vec<usize> = (0..archive.len()).collect();
    order.sort_by_key(|&i| {
        archive
            .name_for_index(i)
            .is_none_or(|n| n != "[Content_Types].xml")
    });
    let mut buf = Vec::new();
    for i in order {
        let mut entry = archive.by_index(i)?;
        if entry.is_dir() {
            continue;
        }
        let name = entry.name().to_string();
        buf.clear();
        entry.read_to_end(&mut buf)?;
        drop(entry);
        let data: Cow<[u8]> = match name.as_str() {
            "docProps/core.xml" => Cow::Borrowed(core.as_bytes()),
            "word/styles.xml" => Cow::Borrowed(STYLES_XML.as_bytes()),
            "word/settings.xml" => Cow::Borrowed(SETTINGS_XML.as_bytes()),
            "word/numbering.xml" => Cow::Borrowed(NUMBERING_XML.as_bytes()),
            "word/document.xml" => Cow::Owned(splice(&references_first(&tidy(&buf)), body)?),
            n if (n.starts_with("word/header") || n.starts_with("word/footer"))
                && n.ends_with(".xml") =>
            {
                Cow::Owned(tidy(&buf))
            }
            _ => Cow::Borrowed(&buf[..]),
        };
        out.start_file(name, options)?;
        out.write_all(&data)?;
    }
    Ok(out.finish()?.into_inner())
}

/// Replaces the paragraph holding [`PLACEHOLDER`] with `body`.
fn splice(document: &[u8], body: &str) -> zip::result::ZipResult<Vec<u8>> {
    let missing = || {
        zip::result::ZipError::Io(std::io::Error::other(
            "the document has no placeholder for its body",
        ))
    };
    let doc = std::str::from_utf8(document).map_err(|_| missing())?;
    let at = doc.find(PLACEHOLDER).ok_or_else(missing)?;
    let start = doc[..at].rfind("<w:p>").ok_or_else(missing)?;
    let end = at + doc[at..].find("</w:p>").ok_or_else(missing)? + "</w:p>".len();
    let mut out = Vec::with_capacity(doc.len() + body.len());
    out.extend_from_slice(&doc.as_bytes()[..start]);
    out.extend_from_slice(body.as_bytes());
    out.extend_from_slice(&doc.as_bytes()[end..]);
    Ok(out)
}

/// Moves `w:headerReference` and `w:footerReference` to the front of the last `w:sectPr`
/// (docx-rs writes them after the page size and margins). Left unchanged if the section holds
/// anything but empty elements.
pub fn references_first(doc: &[u8]) -> Vec<u8> {
    let unchanged = || doc.to_vec();
    let Ok(s) = std::str::from_utf8(doc) else {
        return unchanged();
    };
    const OPEN: &str = "<w:sectPr>";
    let Some(start) = s.rfind(OPEN) else {
        return unchanged();
    };
    let inner_start = start + OPEN.len();
    let Some(len) = s[inner_start..].find("</w:sectPr>") else {
        return unchanged();
    };
    let inner = &s[inner_start..inner_start + len];
    let mut references = String::new();
    let mut others = String::new();
    for piece in inner.split_inclusive("/>") {
        let piece = piece.trim();
        if piece.is_empty() {
            continue;
        }
        if !piece.starts_with('<') || piece[1..].contains('<') {
            return unchanged();
        }
        if piece.starts_with("<w:headerReference") || piece.starts_with("<w:footerReference") {
            references.push_str(piece);
        } else {
            others.push_str(piece);
        }
    }
    let mut out = String::with_capacity(s.len());
    out.push_str(&s[..inner_start]);
    out.push_str(&references);
    out.push_str(&others);
    out.push_str(&s[inner_start + len..]);
    out.into_bytes()
}

/// Deflate level: 6 (zlib's default, what python-docx uses) measured best here for XML — level 1
/// is barely faster on this markup and a third larger.
const COMPRESSION_LEVEL: i64 = 6;

/// Paragraph ids and empty properties (see the module docs). docx-rs escapes `<` in every
/// text, so each `<` here opens markup that docx-rs wrote.
pub fn tidy(xml: &[u8]) -> Vec<u8> {
    let Ok(s) = std::str::from_utf8(xml) else {
        return xml.to_vec();
    };
    const DROP: [&str; 4] = [
        "<w:pPr><w:rPr /></w:pPr>",
        "<w:rPr />",
        "<w:trPr />",
        "<w:tcPr />",
    ];
    const PARA: &str = "<w:p w14:paraId=\"";
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    'scan: while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        for d in DROP {
            if let Some(r) = rest.strip_prefix(d) {
                rest = r;
                continue 'scan;
            }
        }
        if rest.starts_with(PARA) {
            if let Some(end) = rest.find('>') {
                out.push_str(if rest[..end].ends_with('/') {
                    "<w:p/>"
                } else {
                    "<w:p>"
                });
                rest = &rest[end + 1..];
                continue;
            }
        }
        out.push('<');
        rest = &rest[1..];
    }
    out.push_str(rest);
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::xml::is_xml_char;

    /// Parses a part with quick-xml: well-formed, names balanced, entities known.
    pub fn parse(xml: &str) {
        let mut r = quick_xml::Reader::from_str(xml);
        r.config_mut().check_end_names = true;
        loop {
            match r.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(quick_xml::events::Event::Text(t)) => {
                    t.decode().expect("text decodes");
                }
                Ok(_) => {}
                Err(e) => panic!("XML error at {}: {e}", r.buffer_position()),
            }
        }
        assert!(
            xml.chars().all(is_xml_char),
            "illegal character in {xml:.200}"
        );
    }

    #[test]
    fn core_properties_are_escaped_and_say_italian() {
        let xml = core_xml(&Properties {
            title: "Verbale <b> & \"x\"\u{1}".into(),
            subject: "Ambito ]]> di Forlì".into(),
            creator: "ANCI Lombardia".into(),
            description: "d".into(),
            keywords: "k".into(),
            created: DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
        });
        parse(&xml);
        assert!(xml.contains("<dc:title>Verbale &lt;b&gt; &amp; &quot;x&quot;</dc:title>"));
        assert!(xml.contains("<dc:creator>ANCI Lombardia</dc:creator>"));
        assert!(xml.contains("<dc:language>it-IT</dc:language>"));
        assert!(xml.contains("2027-01-15T08:00:00Z"));
    }

    #[test]
    fn styles_and_settings_parse_and_set_the_language() {
        parse(STYLES_XML);
        parse(SETTINGS_XML);
        assert!(STYLES_XML.contains(r#"<w:lang w:val="it-IT""#));
        for (id, name, level) in [
            ("Heading1", "heading 1", 0),
            ("Heading2", "heading 2", 1),
            ("Heading3", "heading 3", 2),
        ] {
            let start = STYLES_XML
                .find(&format!(r#"w:styleId="{id}""#))
                .unwrap_or_else(|| panic!("{id} defined"));
            let style = &STYLES_XML[start..start + STYLES_XML[start..].find("</w:style>").unwrap()];
            assert!(style.contains(&format!(r#"<w:name w:val="{name}"/>"#)));
            assert!(style.contains(&format!(r#"<w:outlineLvl w:val="{level}"/>"#)));
        }
        assert!(SETTINGS_XML.contains(r#"<w:themeFontLang w:val="it-IT"/>"#));
        // Nothing asks Word to update fields when the file opens.
        assert!(!SETTINGS_XML.contains("updateFields"));
    }

    #[test]
    fn numbering_parses_and_links_each_heading_style_to_its_level() {
        use crate::export::body::{APPENDICES, BULLETS, HEADINGS};
        parse(NUMBERING_XML);
        let list = |num: usize| {
            let at = NUMBERING_XML
                .find(&format!(
                    r#"<w:num w:numId="{num}"><w:abstractNumId w:val=""#
                ))
                .unwrap_or_else(|| panic!("list {num} defined"));
            let rest = &NUMBERING_XML[at..];
            let id = &rest[rest.find("w:val=\"").unwrap() + 7..];
            let id = &id[..id.find('"').unwrap()];
            let start = NUMBERING_XML
                .find(&format!(r#"<w:abstractNum w:abstractNumId="{id}">"#))
                .unwrap_or_else(|| panic!("abstract list {id} of list {num}"));
            &NUMBERING_XML[start..start + NUMBERING_XML[start..].find("</w:abstractNum>").unwrap()]
        };
        let headings = list(HEADINGS);
        assert!(headings.contains(r#"<w:multiLevelType w:val="multilevel"/>"#));
        for (level, text) in [
            (1, "%1."),
            (2, "%1.%2"),
            (3, "%1.%2.%3"),
            (4, "%1.%2.%3.%4"),
        ] {
            // The level names its style, and the style names the level back.
            assert!(headings.contains(&format!(
                r#"<w:lvl w:ilvl="{}"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:pStyle w:val="Heading{level}"/><w:suff w:val="space"/><w:lvlText w:val="{text}"/>"#,
                level - 1
            )));
            let at = STYLES_XML
                .find(&format!(r#"w:styleId="Heading{level}""#))
                .unwrap();
            let style = &STYLES_XML[at..at + STYLES_XML[at..].find("</w:style>").unwrap()];
            let num_pr = if level == 1 {
                format!(r#"<w:numPr><w:numId w:val="{HEADINGS}"/></w:numPr>"#)
            } else {
                format!(
                    r#"<w:numPr><w:ilvl w:val="{}"/><w:numId w:val="{HEADINGS}"/></w:numPr>"#,
                    level - 1
                )
            };
            assert!(style.contains(&num_pr), "Heading{level}: {style}");
        }
        assert!(list(BULLETS).contains(r#"<w:numFmt w:val="bullet"/>"#));
        let appendices = list(APPENDICES);
        assert!(appendices.contains(
            r#"<w:numFmt w:val="upperLetter"/><w:suff w:val="space"/><w:lvlText w:val="Allegato %1 –"/>"#
        ));
        // Linked to no style: the appendices' headings name it themselves.
        assert!(!appendices.contains("w:pStyle"));
    }

    #[test]
    fn tidy_drops_ids_and_empty_properties_and_splice_replaces_the_placeholder() {
        let xml = r#"<w:tbl><w:tr><w:tc><w:tcPr /><w:p w14:paraId="0000000a"><w:pPr><w:rPr /></w:pPr><w:r><w:rPr /><w:t xml:space="preserve">&lt;w:trPr /&gt; a</w:t></w:r></w:p></w:tc></w:tr><w:tr><w:trPr /></w:tr></w:tbl>"#;
        let out = String::from_utf8(tidy(xml.as_bytes())).unwrap();
        assert_eq!(
            out,
            r#"<w:tbl><w:tr><w:tc><w:p><w:r><w:t xml:space="preserve">&lt;w:trPr /&gt; a</w:t></w:r></w:p></w:tc></w:tr><w:tr></w:tr></w:tbl>"#
        );
        let doc = format!(
            "<w:body><w:p>a</w:p><w:p><w:pPr><w:numPr/></w:pPr><w:r><w:t>{}</w:t></w:r></w:p><w:sectPr/></w:body>",
            PLACEHOLDER
        );
        let spliced = splice(doc.as_bytes(), "<w:p>corpo</w:p>").unwrap();
        assert_eq!(
            String::from_utf8(spliced).unwrap(),
            "<w:body><w:p>a</w:p><w:p>corpo</w:p><w:sectPr/></w:body>"
        );
        assert!(splice(b"<w:body/>", "x").is_err());
    }

    #[test]
    fn header_and_footer_references_come_first_in_the_section() {
        let doc = r#"<w:body><w:p/><w:sectPr><w:pgSz w:w="11906" w:h="16838" /><w:pgMar w:top="1134" /><w:cols w:space="425" w:num="1" /><w:headerReference w:type="default" r:id="rIdHeader1" /><w:footerReference w:type="default" r:id="rIdFooter1" /></w:sectPr></w:body>"#;
        assert_eq!(
            String::from_utf8(references_first(doc.as_bytes())).unwrap(),
            r#"<w:body><w:p/><w:sectPr><w:headerReference w:type="default" r:id="rIdHeader1" /><w:footerReference w:type="default" r:id="rIdFooter1" /><w:pgSz w:w="11906" w:h="16838" /><w:pgMar w:top="1134" /><w:cols w:space="425" w:num="1" /></w:sectPr></w:body>"#
        );
        let nested = r#"<w:sectPr><w:cols><w:col w:w="1"/></w:cols><w:headerReference r:id="x"/></w:sectPr>"#;
        assert_eq!(references_first(nested.as_bytes()), nested.as_bytes());
    }

    #[test]
    fn repacked_entries_are_deflated_and_patched() {
        let mut stored = Cursor::new(Vec::new());
        docx_rs::Docx::new()
            .add_paragraph(
                docx_rs::Paragraph::new()
                    .add_run(docx_rs::Run::new().add_text("ciao ".repeat(500))),
            )
            .build()
            .pack(&mut stored)
            .unwrap();
        let stored = stored.into_inner();
        let props = Properties {
            title: "T".into(),
            subject: "S".into(),
            creator: "C".into(),
            description: String::new(),
            keywords: String::new(),
            created: Utc::now(),
        };
        let packed = repack(&stored, &props, "<w:p/>").unwrap_err();
        assert!(
            packed.to_string().contains("placeholder"),
            "no placeholder in a foreign document"
        );
        let mut stored = Cursor::new(Vec::new());
        docx_rs::Docx::new()
            .add_paragraph(
                docx_rs::Paragraph::new().add_run(docx_rs::Run::new().add_text(PLACEHOLDER)),
            )
            .build()
            .pack(&mut stored)
            .unwrap();
        let stored = stored.into_inner();
        let packed = repack(
            &stored,
            &props,
            &"<w:p><w:r><w:t>ciao</w:t></w:r></w:p>".repeat(500),
        )
        .unwrap();
        assert!(packed.len() < stored.len());
        let mut zip = zip::ZipArchive::new(Cursor::new(&packed)).unwrap();
        assert_eq!(zip.name_for_index(0), Some("[Content_Types].xml"));
        for i in 0..zip.len() {
            let mut f = zip.by_index(i).unwrap();
            assert_eq!(
                f.compression(),
                zip::CompressionMethod::Deflated,
                "{}",
                f.name()
            );
            let mut s = String::new();
            f.read_to_string(&mut s).unwrap();
            parse(&s);
        }
        let mut core = String::new();
        zip.by_name("docProps/core.xml")
            .unwrap()
            .read_to_string(&mut core)
            .unwrap();
        assert!(core.contains("<dc:title>T</dc:title>"));
    }
}
