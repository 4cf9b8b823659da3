//! Exports, end to end: a fixed board built through real websockets (and, for text the
//! websocket would have cleaned, through the event store), every document type downloaded over
//! HTTP and opened: each XML part parses, hostile text comes back intact, headings use heading
//! styles, the language is Italian; CSV and JSON; who may download what; and a reviewed
//! snapshot of `word/document.xml` for a small board.

mod common;
#[path = "common/ws.rs"]
mod ws;

use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::path::Path;
use std::sync::Arc;

use common::{Browser, TestApp, WorkshopSpec};
use serde_json::{Value, json};
use tavolo::domain::board::{Actor, ActorId, ActorKind, BoardState, Event, EventRecord};
use tavolo::domain::cards::{CardContent, Indicator, Need, Proposal};
use tavolo::export::outline::{Attendee, Session};
use tavolo::export::{DocType, Extent, Format, HiddenCards, Scope};
use ws::Client;

const SLUG: &str = "esporta";

/// XML-illegal characters the export must drop: U+0001, U+000B, U+FFFE.
const ILLEGAL: &str = "prima\u{1}dopo\u{b}fine\u{fffe}.";
const MARKUP: &str = "<w:p>Testo</w:p> & ]]> \"virgolette\" 'apici' <![CDATA[x]]>";
const EMOJI: &str = "Anziani 👵🏽 e famiglie 👨‍👩‍👧 ✓";
const RTL: &str = "مرحبا بالعالم — שלום עולם";

fn long_text() -> String {
    let mut s = String::from("INIZIO ");
    while s.chars().count() < 9_990 {
        s.push_str("testo lungo àèìòù ");
    }
    s.truncate(9_990);
    s.push_str(" FINE");
    assert!(s.chars().count() <= 10_000);
    s
}

fn without_illegal(s: &str) -> String {
    s.chars()
        .filter(|&c| tavolo::export::xml::is_xml_char(c))
        .collect()
}

struct Fixture {
    app: TestApp,
    meeting: i64,
    second: i64,
    facilitator: String,
    bergamo: String,
    dalmine: String,
    no_ambito: String,
}

/// The fixed board: two participants of two Ambiti and a facilitator run the first meeting
/// over websockets; hostile cards are stored directly for the second meeting.
async fn fixture() -> Fixture {
    let app = TestApp::spawn(WorkshopSpec::open(SLUG, 10)).await;
    let (_, a) = app.enroll_n(SLUG, 1).await; // Ambito di Bergamo
    let mut b = common::application(2);
    b["ambito"] = json!("Ambito di Dalmine");
    b["ente"] = json!("Comune di Dalmine");
    let (_, b) = app.enroll(SLUG, b).await;
    let mut c = common::application(3);
    c["ambito"] = Value::Null;
    let (_, c) = app.enroll(SLUG, c).await;
    let facilitator = app.account_key("facilitator", &[SLUG]).await;
    let entry = app.state.catalogue.by_slug(SLUG).unwrap().clone();
    let meeting = entry.meeting_id("M1-1");
    let second = entry.meeting_id("M1-2");
    // The third person is in the first meeting's register: three people could have written its
    // anonymous card, so the documents may report it (`outline::ANONYMITY_SET`).
    let first = app.state.catalogue.meeting(meeting).unwrap();
    for person in [&a, &b, &c] {
        let marked = tavolo::services::attendance::mark_by_hand(
            &app.state.store,
            &first,
            person["id"].as_i64().unwrap(),
            true,
            "Org <org@example.it>",
        )
        .await
        .unwrap();
        assert!(matches!(
            marked,
            tavolo::services::attendance::HandMark::Changed
        ));
    }
    let fx = Fixture {
        meeting,
        second,
        facilitator,
        bergamo: common::personal_token(&a),
        dalmine: common::personal_token(&b),
        no_ambito: common::personal_token(&c),
        app,
    };
    let base = fx.app.base.clone();
    let mut f = Client::connect(&base, meeting, &fx.facilitator, "f").await;
    let mut maria = Client::connect(&base, meeting, &fx.bergamo, "maria").await;
    let mut luca = Client::connect(&base, meeting, &fx.dalmine, "luca").await;
    f.ok(json!({"kind": "set_anonymous", "allowed": true}))
        .await;
    f.ok(json!({"kind": "set_phase", "phase": "raccolta"}))
        .await;
    maria
        .ok(
            json!({"kind": "add_card", "card_id": "c1", "card_type": "bisogno",
            "text": "Anziani soli nei Comuni montani", "policy_area": "Anziani",
            "target_group": "over 75", "territory": "Valle Brembana",
            "evidence": "Dati SAD 2021"}),
        )
        .await;
    luca.ok(
        json!({"kind": "add_card", "card_id": "c2", "card_type": "bisogno",
        "text": "Anziani isolati in montagna", "policy_area": "Anziani"}),
    )
    .await;
    luca.ok(
        json!({"kind": "add_card", "card_id": "c3", "card_type": "bisogno",
        "text": "Solo di Dalmine: trasporto", "policy_area": "Domiciliarità"}),
    )
    .await;
    maria
        .ok(
            json!({"kind": "add_card", "card_id": "c4", "card_type": "bisogno",
            "text": "Segnalazione anonima di Bergamo", "anonymous": true}),
        )
        .await;
    maria
        .ok(
            json!({"kind": "add_card", "card_id": "p1", "card_type": "proposta",
            "title": "Tavolo tecnico permanente con gli ETS", "instrument": "Tavolo tecnico",
            "terzo_settore_role": "Co-conduzione del tavolo", "actors": "Comuni, ATS, ETS"}),
        )
        .await;
    maria
        .ok(
            json!({"kind": "add_card", "card_id": "p2", "card_type": "proposta",
            "title": "=HYPERLINK(\"http://x\")", "instrument": "Co-progettazione"}),
        )
        .await;
    luca.ok(
        json!({"kind": "add_card", "card_id": "i1", "card_type": "indicatore",
        "name": "Utenti SAD ogni 100 residenti over 65", "indicator_type": "output",
        "unit": "utenti/100 residenti", "source": "Cartella sociale",
        "baseline_value": "3,2", "baseline_date": "2021-12-31",
        "target_value": "4", "target_deadline": "2023-12-31", "frequency": "annuale"}),
    )
    .await;
    maria
        .ok(
            json!({"kind": "add_card", "card_id": "i2", "card_type": "indicatore",
            "name": "% di anziani ancora a domicilio a 12 mesi", "indicator_type": "outcome"}),
        )
        .await;
    maria
        .ok(
            json!({"kind": "add_card", "card_id": "x1", "card_type": "bisogno",
            "text": "Contributo fuori luogo"}),
        )
        .await;
    f.ok(json!({"kind": "hide", "card_id": "x1", "reason": "Fuori tema"}))
        .await;
    f.ok(json!({"kind": "set_phase", "phase": "raggruppamento"}))
        .await;
    f.ok(json!({"kind": "merge", "into": "c1", "cards": ["c2"]}))
        .await;
    f.ok(json!({"kind": "create_group", "group_id": "g1", "title": "Solitudine & isolamento", "column": "bisogno"}))
        .await;
    f.ok(json!({"kind": "group", "card_id": "c1", "group_id": "g1"}))
        .await;
    f.ok(json!({"kind": "set_phase", "phase": "voto"})).await;
    maria.ok(json!({"kind": "vote", "card_id": "c1"})).await;
    maria.ok(json!({"kind": "vote", "card_id": "p1"})).await;
    luca.ok(json!({"kind": "vote", "card_id": "c1"})).await;
    luca.ok(json!({"kind": "vote", "card_id": "i1"})).await;
    luca.ok(json!({"kind": "comment", "card_id": "p1", "comment_id": "m1", "text": "D'accordo"}))
        .await;
    f.ok(json!({"kind": "set_phase", "phase": "chiuso"})).await;
    hostile_cards(&fx).await;
    fx
}

/// Cards whose text the websocket would have cleaned (control characters), stored directly
/// as events of the second meeting, as an old database or an import could hold them.
async fn hostile_cards(fx: &Fixture) {
    let author = Actor {
        id: ActorId::Enrollment(99),
        kind: ActorKind::Participant,
        name: MARKUP.into(),
        organisation: Some(format!("Ente {ILLEGAL}")),
        ambito: Some("Ambito di Bergamo".into()),
    };
    let contents = vec![
        CardContent::Bisogno(Need {
            text: MARKUP.into(),
            policy_area: Some(RTL.into()),
            evidence: Some(format!("Fonte\tcon tab\ne a capo {EMOJI}")),
            ..Default::default()
        }),
        CardContent::Bisogno(Need {
            text: ILLEGAL.into(),
            ..Default::default()
        }),
        CardContent::Bisogno(Need {
            text: EMOJI.into(),
            ..Default::default()
        }),
        CardContent::Bisogno(Need {
            text: RTL.into(),
            ..Default::default()
        }),
        CardContent::Bisogno(Need {
            text: long_text(),
            ..Default::default()
        }),
        CardContent::Proposta(Proposal {
            title: format!("{MARKUP} {ILLEGAL}"),
            description: Some(format!("{RTL}\n{EMOJI}")),
            ..Default::default()
        }),
        CardContent::Indicatore(Indicator {
            name: format!("{ILLEGAL} {EMOJI}"),
            formula: Some(MARKUP.into()),
            ..Default::default()
        }),
    ];
    let mut events: Vec<EventRecord> = contents
        .into_iter()
        .enumerate()
        .map(|(i, content)| EventRecord {
            seq: i as i64 + 1,
            op_id: format!("h{i}"),
            actor: author.clone(),
            at: 1_801_000_000_000 + i as i64 * 60_000,
            event: Event::CardAdded {
                card_id: format!("h{i}"),
                column: content.card_type().into(),
                anonymous: false,
                on_behalf_of: None,
                revealed: true,
                content,
                number: None,
            },
        })
        .collect();
    let n = events.len() as i64;
    events.push(EventRecord {
        seq: n + 1,
        op_id: "hg".into(),
        actor: author.clone(),
        at: 1_801_000_900_000,
        event: Event::GroupCreated {
            group_id: "g".into(),
            title: format!("Tema {MARKUP}"),
            column: "bisogno".into(),
        },
    });
    events.push(EventRecord {
        seq: n + 2,
        op_id: "hgg".into(),
        actor: author,
        at: 1_801_000_960_000,
        event: Event::CardGrouped {
            card_id: "h0".into(),
            group_id: Some("g".into()),
        },
    });
    tavolo::store::board::append(&fx.app.state.store, fx.second, &events)
        .await
        .unwrap();
}

/// A downloaded .docx, unzipped.
struct Docx {
    parts: BTreeMap<String, String>,
}

impl Docx {
    fn open(bytes: &[u8]) -> Docx {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip archive");
        let mut parts = BTreeMap::new();
        for i in 0..zip.len() {
            let mut f = zip.by_index(i).unwrap();
            assert_eq!(
                f.compression(),
                zip::CompressionMethod::Deflated,
                "{} is compressed",
                f.name()
            );
            let mut s = String::new();
            f.read_to_string(&mut s).expect("parts are UTF-8 text");
            parts.insert(f.name().to_string(), s);
        }
        for (name, xml) in &parts {
            parse(name, xml);
        }
        Docx { parts }
    }

    fn part(&self, name: &str) -> &str {
        self.parts
            .get(name)
            .unwrap_or_else(|| panic!("{name} missing"))
    }

    /// Every paragraph of the body as (style id, text with `\n` for breaks and `\t` for tabs).
    fn paragraphs(&self) -> Vec<(String, String)> {
        use quick_xml::events::Event as X;
        let xml = self.part("word/document.xml");
        let mut r = quick_xml::Reader::from_str(xml);
        let mut out = Vec::new();
        let mut style = String::new();
        let mut text = String::new();
        let mut in_t = false;
        loop {
            match r.read_event().unwrap() {
                X::Start(e) if e.name().as_ref() == b"w:p" => {
                    style.clear();
                    text.clear();
                }
                X::End(e) if e.name().as_ref() == b"w:p" => {
                    out.push((style.clone(), text.clone()));
                }
                X::Empty(e) if e.name().as_ref() == b"w:pStyle" => {
                    style = attr(&e, b"w:val");
                }
                X::Empty(e) if e.name().as_ref() == b"w:br" => text.push('\n'),
                X::Empty(e) if e.name().as_ref() == b"w:tab" => text.push('\t'),
                X::Start(e) if e.name().as_ref() == b"w:t" => in_t = true,
                X::End(e) if e.name().as_ref() == b"w:t" => in_t = false,
                X::Text(t) if in_t => text.push_str(&t.decode().unwrap()),
                X::GeneralRef(r) if in_t => {
                    let name = r.decode().unwrap();
                    text.push(match name.as_ref() {
                        "lt" => '<',
                        "gt" => '>',
                        "amp" => '&',
                        "quot" => '"',
                        "apos" => '\'',
                        other => other
                            .strip_prefix("#x")
                            .and_then(|h| u32::from_str_radix(h, 16).ok())
                            .or_else(|| other.strip_prefix('#').and_then(|d| d.parse().ok()))
                            .and_then(char::from_u32)
                            .unwrap_or_else(|| panic!("unexpected entity {other}")),
                    });
                }
                X::Eof => break,
                _ => {}
            }
        }
        out
    }

    fn text(&self) -> String {
        self.paragraphs()
            .into_iter()
            .map(|(_, t)| t)
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn attr(e: &quick_xml::events::BytesStart, name: &[u8]) -> String {
    e.attributes()
        .filter_map(Result::ok)
        .find(|a| a.key.as_ref() == name)
        .map(|a| String::from_utf8_lossy(&a.value).into_owned())
        .unwrap_or_default()
}

/// An attribute's value, entities replaced.
fn attr_text(e: &quick_xml::events::BytesStart, name: &[u8]) -> String {
    let raw = attr(e, name);
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw.as_str();
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let end = rest[at..].find(';').expect("an entity ends with ;");
        out.push(entity(&rest[at + 1..at + end]));
        rest = &rest[at + end + 1..];
    }
    out.push_str(rest);
    out
}

/// Well-formed, balanced, only characters XML allows.
fn parse(name: &str, xml: &str) {
    let mut r = quick_xml::Reader::from_str(xml);
    r.config_mut().check_end_names = true;
    loop {
        match r.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("{name}: XML error at byte {}: {e}", r.buffer_position()),
        }
    }
    if let Some(c) = xml.chars().find(|&c| !tavolo::export::xml::is_xml_char(c)) {
        panic!("{name}: character U+{:04X} is not allowed in XML", c as u32);
    }
    for bad in ["&#1;", "&#x1;", "&#xB;", "&#xFFFE;", "&#11;"] {
        assert!(!xml.contains(bad), "{name}: {bad}");
    }
}

async fn get(fx: &Fixture, path: &str, key: &str) -> reqwest::Response {
    fx.app
        .client
        .get(fx.app.url(path))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
}

async fn docx(fx: &Fixture, path: &str, key: &str) -> (reqwest::header::HeaderMap, Docx) {
    let res = get(fx, path, key).await;
    assert_eq!(res.status(), 200, "{path}");
    let headers = res.headers().clone();
    let bytes = res.bytes().await.unwrap();
    (headers, Docx::open(&bytes))
}

#[tokio::test]
async fn every_document_type_opens_with_headings_italian_and_hostile_text_intact() {
    let fx = fixture().await;
    let hostile = [
        MARKUP.to_string(),
        without_illegal(ILLEGAL),
        EMOJI.to_string(),
        RTL.to_string(),
        long_text(),
        format!("Fonte\tcon tab\ne a capo {EMOJI}"),
        format!("{RTL}\n{EMOJI}"),
    ];
    for doc in DocType::ALL {
        for path in [
            format!(
                "/api/v1/meetings/{}/export.docx?type={}",
                fx.meeting,
                doc.id()
            ),
            format!(
                "/api/v1/meetings/{}/export.docx?type={}",
                fx.second,
                doc.id()
            ),
            format!(
                "/api/v1/workshops/{SLUG}/export.docx?modulo=1&type={}",
                doc.id()
            ),
            format!(
                "/api/v1/workshops/{SLUG}/export.docx?type={}&nascosti=allegato",
                doc.id()
            ),
        ] {
            let (headers, d) = docx(&fx, &path, &fx.facilitator).await;
            assert_eq!(
                headers["content-type"],
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            );
            let disposition = headers["content-disposition"].to_str().unwrap();
            assert!(
                disposition.starts_with(&format!("attachment; filename=\"{}_{SLUG}_", doc.id()))
                    && disposition.ends_with(".docx\""),
                "{disposition}"
            );
            assert_eq!(headers["cache-control"], "no-store");

            // Language, properties, header and footer.
            let styles = d.part("word/styles.xml");
            assert!(styles.contains(r#"<w:lang w:val="it-IT""#), "{path}");
            assert!(
                d.part("word/settings.xml")
                    .contains(r#"<w:themeFontLang w:val="it-IT"/>"#)
            );
            let core = d.part("docProps/core.xml");
            assert!(core.contains("<dc:language>it-IT</dc:language>"));
            assert!(core.contains("<dc:creator>ANCI Lombardia</dc:creator>"));
            assert!(core.contains("<dc:title>") && core.contains("<dc:subject>"));
            let header = d
                .parts
                .iter()
                .find(|(n, _)| n.starts_with("word/header"))
                .unwrap()
                .1;
            assert!(header.contains("BOZZA"));
            let footer = d
                .parts
                .iter()
                .find(|(n, _)| n.starts_with("word/footer"))
                .unwrap()
                .1;
            assert!(
                footer.contains("Pagina")
                    && footer.contains(" PAGE ")
                    && footer.contains(" NUMPAGES ")
            );
            let body = d.part("word/document.xml");
            assert!(body.contains(r#"TOC \o "1-2" \h \z \u"#), "an index field");

            // Headings use heading styles (and the style says so to Word).
            let paragraphs = d.paragraphs();
            let headings: Vec<&(String, String)> = paragraphs
                .iter()
                .filter(|(s, _)| s.starts_with("Heading"))
                .collect();
            assert!(headings.len() >= 5, "{path}: {headings:?}");
            // Word numbers them (`headings_are_numbered_by_word_as_the_index_says`); the
            // index shows the numbers.
            assert!(
                paragraphs
                    .iter()
                    .any(|(s, t)| s == "TOC1" && t.starts_with("1. ")),
                "{path}"
            );
            assert!(
                paragraphs
                    .iter()
                    .any(|(s, t)| s == "TOC1" && t.starts_with("Allegato A – ")),
                "{path}"
            );
            for (s, t) in &paragraphs {
                if t.starts_with("Allegato A ") || t.starts_with("1. ") {
                    assert!(s.starts_with("Heading") || s.starts_with("TOC"), "{t}: {s}");
                }
            }
            assert!(styles.contains(
                r#"<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/>"#
            ));

            // What the room saw, once; hidden only when asked; anonymous stays anonymous.
            let text = d.text();
            let hidden_apart = path.contains("nascosti=allegato");
            // Listed apart by reference, date and reason; their text never, unless an
            // organiser asks for it (see `hidden_text_only_for_organisers`). (The Accordo lists
            // only proposals and indicators, hidden ones included.)
            assert!(!text.contains("Contributo fuori luogo"), "{path}");
            assert_eq!(
                text.contains("Fuori tema"),
                hidden_apart && doc != DocType::Accordo,
                "{path}"
            );
            // A merged duplicate stays readable, once, inside the card it joined.
            let duplicate = text.matches("Anziani isolati in montagna").count();
            let second_alone = path.contains(&format!("meetings/{}/", fx.second));
            if doc == DocType::Accordo || second_alone {
                assert_eq!(duplicate, 0, "{path}: no needs of the first meeting here");
            } else {
                // Inside the card it joined, and in the traceability annex.
                assert_eq!(
                    duplicate, 2,
                    "{path}: merged card in its card and the annex"
                );
                let at = text.find("Anziani isolati in montagna").unwrap();
                assert!(
                    text[..at].ends_with("]: ") && text[..at].rfind("Unito [").is_some(),
                    "{path}: shown as merged into its card"
                );
                assert!(
                    text.contains("Anziani isolati in montagna (unito a "),
                    "{path}: traced in the annex"
                );
            }
            if path.contains(&format!("meetings/{}/", fx.second)) {
                if doc != DocType::Accordo {
                    for h in &hostile {
                        assert!(text.contains(h.as_str()), "{path}: {h:.60} intact");
                    }
                } else {
                    assert!(text.contains(&format!("{MARKUP} {}", without_illegal(ILLEGAL))));
                    assert!(text.contains(&format!("{RTL}\n{EMOJI}")));
                }
                assert!(!text.contains('\u{fffe}') && !text.contains('\u{1}'));
            } else {
                assert!(
                    text.contains("Tavolo tecnico permanente con gli ETS"),
                    "{path}"
                );
                let anon = paragraphs
                    .iter()
                    .position(|(_, t)| t.ends_with("Segnalazione anonima di Bergamo"));
                if doc != DocType::Accordo {
                    assert!(anon.is_some(), "{path}");
                    assert!(text.contains("Anonimo"));
                }
            }
        }
    }

    // The indicator table: a header row (marked as such) and one row per indicator.
    let (_, d) = docx(
        &fx,
        &format!(
            "/api/v1/meetings/{}/export.docx?type=coprogrammazione",
            fx.meeting
        ),
        &fx.facilitator,
    )
    .await;
    let body = d.part("word/document.xml");
    let table_start = body.find(">Valore di partenza<").expect("indicator table");
    let table = &body[body[..table_start].rfind("<w:tbl>").unwrap()..];
    let table = &table[..table.find("</w:tbl>").unwrap()];
    assert_eq!(table.matches("<w:tr>").count(), 3, "header + 2 indicators");
    assert_eq!(table.matches("<w:tblHeader/>").count(), 1);
    // A sheet per indicator, as level-3 headings.
    let sheets: Vec<_> = d
        .paragraphs()
        .into_iter()
        .filter(|(s, t)| s == "Heading3" && t.contains(" — "))
        .collect();
    assert_eq!(sheets.len(), 2, "{sheets:?}");
    // Ranked by the room's votes: the merged card carries both votes.
    let text = d.text();
    assert!(text.contains("/B01] Anziani soli nei Comuni montani"));
    assert!(text.contains("Tema: Solitudine & isolamento"));
}

/// The tables of every document, as Word and LibreOffice will draw them: never two touching
/// (they would merge into one), each spanning the text width (9,638 twips: A4 less 2 cm
/// margins) with its header row repeated on every page, short rows kept whole, and an
/// indicator's sheet kept on one page and named in its header row.
#[tokio::test]
async fn tables_stand_apart_span_the_page_and_repeat_their_header_row() {
    let fx = fixture().await;
    // Everyone enrolled in the register of both meetings: the participation tables (by
    // organisation, by role) follow each other.
    for meeting in [fx.meeting, fx.second] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO attendance (meeting_id, enrollment_id, present, source, first_seen_at, \
             updated_at) SELECT {meeting}, id, 1, 'manuale', 0, 0 FROM enrollments \
             WHERE status = 'confirmed' ON CONFLICT (meeting_id, enrollment_id) DO NOTHING"
        )))
        .execute(&fx.app.sql)
        .await
        .unwrap();
    }
    let mut adjacent = 0;
    for doc in DocType::ALL {
        for path in [
            format!(
                "/api/v1/meetings/{}/export.docx?type={}",
                fx.meeting,
                doc.id()
            ),
            format!(
                "/api/v1/meetings/{}/export.docx?type={}",
                fx.second,
                doc.id()
            ),
            format!(
                "/api/v1/workshops/{SLUG}/export.docx?modulo=1&type={}&nascosti=allegato",
                doc.id()
            ),
        ] {
            let (_, d) = docx(&fx, &path, &fx.facilitator).await;
            let body = d.part("word/document.xml");
            assert!(
                !body.contains("</w:tbl><w:tbl>"),
                "{path}: two tables touch"
            );
            // The caption of the next table keeps them apart.
            adjacent += body
                .matches(r#"</w:tbl><w:p><w:pPr><w:pStyle w:val="Caption"/>"#)
                .count();
            let tables: Vec<&str> = body.split("<w:tbl>").skip(1).collect();
            assert!(!tables.is_empty(), "{path}");
            for table in tables {
                let table = &table[..table.find("</w:tbl>").unwrap()];
                let grid: Vec<u32> = table
                    .split("<w:gridCol w:w=\"")
                    .skip(1)
                    .map(|g| g[..g.find('"').unwrap()].parse().unwrap())
                    .collect();
                assert_eq!(grid.iter().sum::<u32>(), 9638, "{path}: {grid:?}");
                assert!(grid.iter().all(|&w| w >= 300), "{path}: {grid:?}");
                let rows: Vec<&str> = table.split("<w:tr>").skip(1).collect();
                assert!(
                    rows[0].starts_with("<w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>"),
                    "{path}: the header row repeats on every page"
                );
                assert!(rows[1..].iter().all(|r| !r.contains("<w:tblHeader/>")));
                let sheet = rows[0].contains(">Scheda M") && rows[0].contains("/I");
                for (i, row) in rows.iter().enumerate().skip(1) {
                    // The 10,000-character card is cut short in tables: every row is short.
                    assert!(row.starts_with("<w:trPr><w:cantSplit/></w:trPr>"), "{path}");
                    assert_eq!(
                        row.contains("<w:keepNext/>"),
                        sheet && i + 1 < rows.len(),
                        "{path}: only a sheet's rows keep with the next, all but its last"
                    );
                }
            }
        }
    }
    // Ente, Ruolo and the other participation tables follow each other in the verbale and the
    // documento di co-programmazione (the Accordo names its parties instead of counting people).
    assert!(adjacent >= 6, "{adjacent}");
}

#[tokio::test]
async fn csv_and_json_carry_the_data_safely() {
    let fx = fixture().await;
    let res = get(
        &fx,
        &format!("/api/v1/meetings/{}/export.csv", fx.meeting),
        &fx.facilitator,
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"dati_esporta_2027-02-12")
    );
    let csv = res.text().await.unwrap();
    assert!(csv.starts_with('\u{feff}'), "BOM for Excel");
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').split("\r\n").collect();
    assert!(lines[0].starts_with("Rif.;ID;Stato;Incontro;"));
    let columns = lines[0].split(';').count();
    assert!(
        csv.contains("\"'=HYPERLINK(\"\"http://x\"\")\""),
        "formula neutralised"
    );
    assert!(csv.contains("Anziani soli nei Comuni montani"));
    assert!(!csv.contains("Contributo fuori luogo"));
    // The merged duplicate: a row of its own, "unito" to the card it joined.
    let header: Vec<&str> = lines[0].split(';').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let merged = lines
        .iter()
        .find(|l| l.contains("Anziani isolati in montagna"))
        .expect("the merged duplicate has a row");
    let merged: Vec<&str> = merged.split(';').collect();
    let c1 = lines
        .iter()
        .find(|l| l.contains("Anziani soli nei Comuni montani"))
        .unwrap();
    let c1: Vec<&str> = c1.split(';').collect();
    assert_eq!(merged[col("Stato")], "unito");
    assert_eq!(merged[col("Unito a")], c1[col("Rif.")]);
    assert_eq!(c1[col("Contributi uniti")], merged[col("Rif.")]);
    assert_eq!(merged[col("Autore")], "Persona 2");
    assert_eq!(c1[col("ID")], format!("{}:c1", fx.meeting));
    let anon = lines
        .iter()
        .find(|l| l.contains("Segnalazione anonima"))
        .unwrap();
    assert!(!anon.contains("Persona 1") && !anon.contains("Comune di Bergamo"));
    assert_eq!(anon.split(';').count(), columns);

    let res = get(
        &fx,
        &format!("/api/v1/workshops/{SLUG}/export.json?nascosti=allegato"),
        &fx.facilitator,
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["schema"], "tavolo-export/2");
    assert_eq!(v["scope"]["kind"], "workshop");
    assert_eq!(v["meetings"].as_array().unwrap().len(), 2);
    let cards = v["cards"].as_array().unwrap();
    let c1 = cards.iter().find(|c| c["id"] == "c1").unwrap();
    assert_eq!(c1["votes"], 2);
    assert_eq!(
        c1["merged"][0]["content"]["text"],
        "Anziani isolati in montagna"
    );
    assert_eq!(c1["merged"][0]["author"]["name"], "Persona 2");
    assert_eq!(c1["theme"], "Solitudine & isolamento");
    assert_eq!(c1["author"]["organisation"], "Comune di Bergamo");
    let anon = cards.iter().find(|c| c["id"] == "c4").unwrap();
    assert_eq!(anon["author"], Value::Null);
    assert_eq!(v["hidden_cards"][0]["hidden_reason"], "Fuori tema");
    assert_eq!(
        v["hidden_cards"][0]["content"],
        Value::Null,
        "the text of a hidden card only when an organiser asks"
    );
    assert!(v["hidden_cards"][0]["hidden_at"].is_string());
    let hostile = cards.iter().find(|c| c["id"] == "h1").unwrap();
    assert_eq!(
        hostile["content"]["text"], ILLEGAL,
        "JSON keeps the data as stored"
    );
    assert!(
        !serde_json::to_string(&v).unwrap().contains("\"e:1\""),
        "no voter ids"
    );
}

#[tokio::test]
async fn who_may_export_what() {
    let fx = fixture().await;
    let m = fx.meeting;
    let docx = |q: &str| format!("/api/v1/meetings/{m}/export.docx?{q}");

    // An Ambito referent: their own Ambito only, never another's, never the hidden cards.
    let res = get(
        &fx,
        &docx("type=coprogrammazione&ambito=Ambito%20di%20Dalmine"),
        &fx.bergamo,
    )
    .await;
    assert_eq!(res.status(), 403);
    let res = get(
        &fx,
        &docx("type=coprogrammazione&nascosti=allegato"),
        &fx.bergamo,
    )
    .await;
    assert_eq!(res.status(), 403);
    let res = get(
        &fx,
        &format!("/api/v1/workshops/{SLUG}/export.json?ambito=Ambito%20di%20Dalmine"),
        &fx.bergamo,
    )
    .await;
    assert_eq!(res.status(), 403);
    let res = get(&fx, &docx("type=coprogrammazione"), &fx.bergamo).await;
    assert_eq!(res.status(), 200);
    let disposition = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.contains("_ambito-di-bergamo.docx"),
        "{disposition}"
    );
    let text = Docx::open(&res.bytes().await.unwrap()).text();
    assert!(text.contains("Anziani soli nei Comuni montani"));
    assert!(!text.contains("Solo di Dalmine"), "another Ambito's card");
    let res = get(
        &fx,
        &format!("/api/v1/meetings/{m}/export.json"),
        &fx.dalmine,
    )
    .await;
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["scope"]["ambito"], "Ambito di Dalmine");
    assert!(
        v["cards"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["content"]["text"] != "Anziani soli nei Comuni montani")
    );

    // A participant without an Ambito, a guest, an anonymous visitor: no export.
    let res = get(&fx, &docx(""), &fx.no_ambito).await;
    assert_eq!(res.status(), 403);
    let mut f = Client::connect(&fx.app.base, m, &fx.facilitator, "f-codice").await;
    f.ok(json!({"kind": "set_guest_code", "enabled": true}))
        .await;
    let code = fx
        .app
        .state
        .rooms
        .get(m)
        .await
        .unwrap()
        .state()
        .await
        .unwrap()
        .guest_code
        .unwrap();
    let mut guest = Browser::new(&fx.app);
    let (status, _, _) = guest
        .post(
            &format!("/incontri/{m}/ospite"),
            &[
                ("code", &code),
                ("name", "Ospite Prova"),
                ("organisation", "Cooperativa Sole"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (status, _, _) = guest.get(&docx("type=verbale")).await;
    assert_eq!(status, 403, "a guest cannot export");
    let (status, _, _) = guest.get(&format!("/incontri/{m}/esporta")).await;
    assert_eq!(status, 403);
    let res = fx.app.get(&docx("type=verbale")).await;
    assert_eq!(res.status(), 401);

    // A facilitator of another workshop cannot; bad parameters are told apart.
    let other = fx.app.account_key("facilitator", &[]).await;
    assert_eq!(get(&fx, &docx(""), &other).await.status(), 403);
    assert_eq!(
        get(&fx, &docx("type=romanzo"), &fx.facilitator)
            .await
            .status(),
        400
    );
    assert_eq!(
        get(
            &fx,
            &format!("/api/v1/workshops/{SLUG}/export.docx?modulo=9"),
            &fx.facilitator
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        get(&fx, "/api/v1/meetings/999999/export.docx", &fx.facilitator)
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn the_export_page_previews_the_outline() {
    let fx = fixture().await;
    let m = fx.meeting;
    // Staff: every filter, the download links, the outline.
    let res = get(
        &fx,
        &format!(
            "/incontri/{m}/esporta?tipo=coprogrammazione&estensione=modulo&ambito=Ambito+di+Bergamo"
        ),
        &fx.facilitator,
    )
    .await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("<strong>7.</strong> Macro-aree: bisogni, obiettivi e interventi"),
        "{html}"
    );
    assert!(html.contains("<strong>Allegato A –</strong>"));
    assert!(html.contains(&format!(
        "workshops&#x2f;{SLUG}&#x2f;export.docx?modulo=1&amp;ambito=Ambito+di+Bergamo&amp;type=coprogrammazione"
    )), "{html}");
    assert!(html.contains("name=\"nascosti\""));
    // A referent: their Ambito, no hidden cards option.
    let res = get(&fx, &format!("/incontri/{m}/esporta"), &fx.dalmine).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("Ambito di Dalmine"));
    assert!(!html.contains("name=\"nascosti\""));
    assert!(
        html.contains("Data, luogo e conduzione"),
        "the minutes by default"
    );
}

/// A small board, in memory, rendered at a fixed time: its `word/document.xml` is reviewed and
/// kept in `tests/snapshots/`. After an intended change, regenerate with
/// `TAVOLO_UPDATE_SNAPSHOTS=1 cargo test --test export snapshot` and review the diff.
///
/// A missing snapshot is written on a local run (review it and commit it). Under CI (`CI` set
/// and not empty, as `.ci/run` sets it) a missing snapshot fails instead: a file nobody has
/// reviewed must not make the test pass.
#[test]
fn snapshot_of_the_minutes_of_a_small_board() {
    let workshop = tavolo::workshop_files::parse_workshop(
        "prova.toml",
        &WorkshopSpec::open("prova", 10).toml(),
    )
    .unwrap();
    let meeting_ids = workshop
        .meetings()
        .enumerate()
        .map(|(i, (_, m))| (m.key.clone(), i as i64 + 1))
        .collect();
    let entry = Arc::new(tavolo::services::catalogue::Entry::new(
        1,
        workshop,
        meeting_ids,
    ));
    let (module, meeting) = entry.workshop.meetings().next().unwrap();
    let maria = Actor {
        id: ActorId::Enrollment(1),
        kind: ActorKind::Participant,
        name: "Maria Rossi".into(),
        organisation: Some("Comune di Bergamo".into()),
        ambito: Some("Ambito di Bergamo".into()),
    };
    let silvia = Actor {
        id: ActorId::Account(1),
        kind: ActorKind::Facilitator,
        name: "Silvia De Aloe".into(),
        organisation: None,
        ambito: None,
    };
    let events = [
        (&silvia, json!({"kind": "phase_set", "phase": "raccolta"})),
        (
            &maria,
            json!({"kind": "card_added", "card_id": "c1", "column": "bisogno", "anonymous": false, "revealed": true,
            "content": {"card_type": "bisogno", "text": "Anziani soli nei Comuni montani", "policy_area": "Anziani", "territory": "Valle Brembana"}}),
        ),
        (
            &maria,
            json!({"kind": "card_added", "card_id": "p1", "column": "proposta", "anonymous": false, "revealed": true,
            "content": {"card_type": "proposta", "title": "Tavolo tecnico con gli ETS", "instrument": "Tavolo tecnico"}}),
        ),
        (
            &maria,
            json!({"kind": "card_added", "card_id": "i1", "column": "indicatore", "anonymous": true, "revealed": true,
            "content": {"card_type": "indicatore", "name": "Utenti SAD ogni 100 residenti over 65", "indicator_type": "output"}}),
        ),
        (&silvia, json!({"kind": "phase_set", "phase": "voto"})),
        (
            &maria,
            json!({"kind": "voted", "card_id": "c1", "phase": "voto"}),
        ),
        (&silvia, json!({"kind": "phase_set", "phase": "chiuso"})),
    ];
    let mut board = BoardState::new(1, tavolo::domain::defaults::board_template());
    for (i, (actor, event)) in events.into_iter().enumerate() {
        tavolo::domain::board::apply(
            &mut board,
            &EventRecord {
                seq: i as i64 + 1,
                op_id: format!("op{i}"),
                actor: actor.clone(),
                at: 1_802_000_000_000 + i as i64 * 600_000,
                event: serde_json::from_value(event).unwrap(),
            },
        );
    }
    let sessions = vec![Session {
        id: 1,
        module_number: module.number,
        module_title: module.title.clone(),
        meeting: meeting.clone(),
        board,
        // Three people present: enough for the anonymous card to be reported.
        attendance: (1..=3)
            .map(|person| Attendee {
                person,
                organisation: "Comune di Bergamo".into(),
                role: "Responsabile Ufficio di Piano".into(),
                ambito: Some("Ambito di Bergamo".into()),
            })
            .collect(),
        guests: vec![],
    }];
    let scope = Scope {
        extent: Extent::Meeting(1),
        ambito: None,
        hidden: HiddenCards::Omit,
    };
    let templates = tavolo::templates::Templates::new(None);
    let at = chrono::DateTime::from_timestamp(1_802_010_000, 0).unwrap();
    let file = tavolo::export::render(
        &entry,
        &sessions,
        &scope,
        Format::Docx(DocType::Verbale),
        &templates,
        at,
    )
    .unwrap();
    assert_eq!(file.filename, "verbale_prova_2027-02-12.docx");
    let d = Docx::open(&file.bytes);
    // One element per line, so that a change reads as a small diff.
    let xml = d
        .part("word/document.xml")
        .replace("><w:p>", ">\n<w:p>")
        .replace("><w:tbl>", ">\n<w:tbl>")
        .replace("><w:sdt>", ">\n<w:sdt>");
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/export_verbale_document.xml");
    let update = std::env::var_os("TAVOLO_UPDATE_SNAPSHOTS").is_some();
    let under_ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
    assert!(
        update || path.exists() || !under_ci,
        "{} is missing: under CI a snapshot is compared, never written. Generate it with \
         `TAVOLO_UPDATE_SNAPSHOTS=1 cargo test --test export snapshot`, review it and commit it.",
        path.display()
    );
    if update || !path.exists() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &xml).unwrap();
    }
    let kept = std::fs::read_to_string(&path).unwrap();
    assert!(
        kept == xml,
        "word/document.xml differs from {}: review the change, then regenerate with \
         TAVOLO_UPDATE_SNAPSHOTS=1",
        path.display()
    );
    // The same board, all three types: every part parses (Docx::open checks).
    for doc in [DocType::Coprogrammazione, DocType::Accordo] {
        let f =
            tavolo::export::render(&entry, &sessions, &scope, Format::Docx(doc), &templates, at)
                .unwrap();
        Docx::open(&f.bytes);
    }
}

/// A card is often hidden because it held personal data: its text leaves only when an organiser
/// asks for it, and the file name says so.
#[tokio::test]
async fn hidden_text_only_for_organisers() {
    let fx = fixture().await;
    let path = format!(
        "/api/v1/meetings/{}/export.docx?type=verbale&nascosti=testo",
        fx.meeting
    );
    let res = get(&fx, &path, &fx.facilitator).await;
    assert_eq!(res.status(), 403, "a facilitator alone may not");
    let organiser = fx.app.organiser_key().await;
    let (headers, d) = docx(&fx, &path, &organiser).await;
    assert!(d.text().contains("Contributo fuori luogo"));
    assert!(d.text().contains("Fuori tema"));
    let name =
        |h: &reqwest::header::HeaderMap| h["content-disposition"].to_str().unwrap().to_string();
    assert!(
        name(&headers).contains("con-testo-dei-nascosti"),
        "{}",
        name(&headers)
    );
    let (without, d) = docx(
        &fx,
        &format!(
            "/api/v1/meetings/{}/export.docx?type=verbale&nascosti=allegato",
            fx.meeting
        ),
        &organiser,
    )
    .await;
    assert!(!d.text().contains("Contributo fuori luogo"));
    assert!(name(&without).contains("con-nascosti"));
    assert_ne!(name(&headers), name(&without));
    let res = get(
        &fx,
        &format!("/api/v1/meetings/{}/export.json?nascosti=testo", fx.meeting),
        &organiser,
    )
    .await;
    let v: Value = res.json().await.unwrap();
    assert_eq!(
        v["hidden_cards"][0]["content"]["text"],
        "Contributo fuori luogo"
    );
    assert_eq!(v["scope"]["hidden_cards"], "apart_with_text");
}

/// A .docx as Word reads its structure: the paragraph styles with what they inherit, the lists
/// of `word/numbering.xml`, and the body's blocks in order (paragraphs of the body and of the
/// index, tables with their alternative text; the paragraphs inside tables are left out).
struct WordModel {
    /// Style id → (the style it is based on, its `w:numPr`).
    styles: BTreeMap<String, (Option<String>, Option<NumPr>)>,
    /// `w:num` id → `w:abstractNum` id.
    nums: BTreeMap<String, String>,
    /// `w:abstractNum` id → its levels by `w:ilvl`.
    lists: BTreeMap<String, BTreeMap<u32, ListLevel>>,
    blocks: Vec<BodyBlock>,
}

#[derive(Debug, Clone, Default)]
struct NumPr {
    num_id: Option<String>,
    ilvl: Option<u32>,
}

#[derive(Debug, Default)]
struct ListLevel {
    start: u32,
    format: String,
    text: String,
    style: Option<String>,
}

#[derive(Debug)]
enum BodyBlock {
    Para(Para),
    Table {
        caption: String,
        description: String,
        /// Rows, the header row included.
        rows: usize,
    },
}

#[derive(Debug, Default)]
struct Para {
    style: String,
    num: Option<NumPr>,
    text: String,
    /// The field instructions in it.
    instr: String,
    /// Inside Word's "Table of Contents" content control.
    in_index: bool,
}

/// Word's number of a heading, its level and text.
#[derive(Debug)]
struct Numbered {
    level: u8,
    label: String,
    text: String,
}

fn entity(name: &str) -> char {
    match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        "apos" => '\'',
        other => other
            .strip_prefix("#x")
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .or_else(|| other.strip_prefix('#').and_then(|d| d.parse().ok()))
            .and_then(char::from_u32)
            .unwrap_or_else(|| panic!("unexpected entity {other}")),
    }
}

impl WordModel {
    fn read(d: &Docx) -> WordModel {
        use quick_xml::events::Event as X;
        let mut styles = BTreeMap::new();
        let mut r = quick_xml::Reader::from_str(d.part("word/styles.xml"));
        let (mut id, mut based, mut num) = (String::new(), None, None::<NumPr>);
        loop {
            match r.read_event().unwrap() {
                X::Start(e) if e.name().as_ref() == b"w:style" => {
                    id = attr(&e, b"w:styleId");
                    (based, num) = (None, None);
                }
                X::End(e) if e.name().as_ref() == b"w:style" => {
                    styles.insert(id.clone(), (based.take(), num.take()));
                }
                X::Empty(e) if e.name().as_ref() == b"w:basedOn" => {
                    based = Some(attr(&e, b"w:val"))
                }
                X::Start(e) if e.name().as_ref() == b"w:numPr" => num = Some(NumPr::default()),
                X::Empty(e) if e.name().as_ref() == b"w:numId" => {
                    num.get_or_insert_default().num_id = Some(attr(&e, b"w:val"));
                }
                X::Empty(e) if e.name().as_ref() == b"w:ilvl" => {
                    num.get_or_insert_default().ilvl = attr(&e, b"w:val").parse().ok();
                }
                X::Eof => break,
                _ => {}
            }
        }
        let (mut nums, mut lists) = (BTreeMap::new(), BTreeMap::new());
        let mut r = quick_xml::Reader::from_str(d.part("word/numbering.xml"));
        let (mut list, mut num_id, mut level) = (String::new(), String::new(), None::<u32>);
        loop {
            match r.read_event().unwrap() {
                X::Start(e) if e.name().as_ref() == b"w:abstractNum" => {
                    list = attr(&e, b"w:abstractNumId");
                    lists.insert(list.clone(), BTreeMap::new());
                }
                X::Start(e) if e.name().as_ref() == b"w:lvl" => {
                    let ilvl: u32 = attr(&e, b"w:ilvl").parse().unwrap();
                    lists
                        .get_mut(&list)
                        .unwrap()
                        .insert(ilvl, ListLevel::default());
                    level = Some(ilvl);
                }
                X::End(e) if e.name().as_ref() == b"w:lvl" => level = None,
                X::Empty(e) if level.is_some() => {
                    let l = lists
                        .get_mut(&list)
                        .unwrap()
                        .get_mut(&level.unwrap())
                        .unwrap();
                    let v = attr(&e, b"w:val");
                    match e.name().as_ref() {
                        b"w:start" => l.start = v.parse().unwrap(),
                        b"w:numFmt" => l.format = v,
                        b"w:lvlText" => l.text = v,
                        b"w:pStyle" => l.style = Some(v),
                        _ => {}
                    }
                }
                X::Start(e) if e.name().as_ref() == b"w:num" => num_id = attr(&e, b"w:numId"),
                X::Empty(e) if e.name().as_ref() == b"w:abstractNumId" => {
                    nums.insert(num_id.clone(), attr(&e, b"w:val"));
                }
                X::Eof => break,
                _ => {}
            }
        }
        let mut blocks = Vec::new();
        let mut r = quick_xml::Reader::from_str(d.part("word/document.xml"));
        let (mut tables, mut rows, mut sdt, mut index_at) = (0, 0, 0, None::<u32>);
        let (mut caption, mut description) = (String::new(), String::new());
        let (mut para, mut in_ppr, mut in_t, mut in_instr) = (None::<Para>, false, false, false);
        loop {
            match r.read_event().unwrap() {
                X::Start(e) if e.name().as_ref() == b"w:sdt" => sdt += 1,
                X::End(e) if e.name().as_ref() == b"w:sdt" => {
                    if index_at == Some(sdt) {
                        index_at = None;
                    }
                    sdt -= 1;
                }
                X::Empty(e)
                    if e.name().as_ref() == b"w:docPartGallery"
                        && attr(&e, b"w:val") == "Table of Contents" =>
                {
                    index_at = Some(sdt);
                }
                X::Start(e) if e.name().as_ref() == b"w:tbl" => {
                    tables += 1;
                    if tables == 1 {
                        (caption, description, rows) = (String::new(), String::new(), 0);
                    }
                }
                X::End(e) if e.name().as_ref() == b"w:tbl" => {
                    tables -= 1;
                    if tables == 0 {
                        blocks.push(BodyBlock::Table {
                            caption: std::mem::take(&mut caption),
                            description: std::mem::take(&mut description),
                            rows,
                        });
                    }
                }
                X::Start(e) if e.name().as_ref() == b"w:tr" && tables == 1 => rows += 1,
                X::Empty(e) if e.name().as_ref() == b"w:tblCaption" && tables == 1 => {
                    caption = attr_text(&e, b"w:val");
                }
                X::Empty(e) if e.name().as_ref() == b"w:tblDescription" && tables == 1 => {
                    description = attr_text(&e, b"w:val");
                }
                X::Start(e) if e.name().as_ref() == b"w:p" && tables == 0 => {
                    para = Some(Para {
                        in_index: index_at.is_some(),
                        ..Para::default()
                    });
                }
                X::Empty(e) if e.name().as_ref() == b"w:p" && tables == 0 => {
                    blocks.push(BodyBlock::Para(Para::default()));
                }
                X::End(e) if e.name().as_ref() == b"w:p" && tables == 0 => {
                    blocks.push(BodyBlock::Para(para.take().unwrap()));
                }
                X::Start(e) if e.name().as_ref() == b"w:pPr" => in_ppr = true,
                X::End(e) if e.name().as_ref() == b"w:pPr" => in_ppr = false,
                X::Empty(e) if in_ppr && para.is_some() => {
                    let p = para.as_mut().unwrap();
                    match e.name().as_ref() {
                        b"w:pStyle" => p.style = attr(&e, b"w:val"),
                        b"w:numId" => {
                            p.num.get_or_insert_default().num_id = Some(attr(&e, b"w:val"));
                        }
                        b"w:ilvl" => {
                            p.num.get_or_insert_default().ilvl = attr(&e, b"w:val").parse().ok();
                        }
                        _ => {}
                    }
                }
                X::Start(e) if e.name().as_ref() == b"w:t" => in_t = true,
                X::End(e) if e.name().as_ref() == b"w:t" => in_t = false,
                X::Start(e) if e.name().as_ref() == b"w:instrText" => in_instr = true,
                X::End(e) if e.name().as_ref() == b"w:instrText" => in_instr = false,
                X::Text(t) if para.is_some() && (in_t || in_instr) => {
                    let p = para.as_mut().unwrap();
                    let t = t.decode().unwrap();
                    if in_t { &mut p.text } else { &mut p.instr }.push_str(&t);
                }
                X::GeneralRef(g) if para.is_some() && in_t => {
                    para.as_mut()
                        .unwrap()
                        .text
                        .push(entity(&g.decode().unwrap()));
                }
                X::Eof => break,
                _ => {}
            }
        }
        WordModel {
            styles,
            nums,
            lists,
            blocks,
        }
    }

    /// The list and level that number `p`: its own `w:numPr`, else the first one up its style
    /// chain, as Word resolves it (`w:numId` 0 means no list).
    fn list_of(&self, p: &Para) -> Option<(String, u32)> {
        let mut num = p.num.clone();
        let mut style = Some(p.style.clone());
        while num.is_none() {
            let (based, n) = self.styles.get(style.as_ref()?)?;
            num = n.clone();
            style = based.clone();
        }
        let num = num?;
        let id = num.num_id.filter(|id| id != "0")?;
        Some((self.nums.get(&id)?.clone(), num.ilvl.unwrap_or(0)))
    }

    /// The heading paragraphs of the body with the numbers Word gives them: each heading
    /// counts at its level of its list and starts the deeper levels of that list again; the
    /// level text ("%1.%2", "Allegato %1 –") shows the counters in each level's format.
    /// Panics on a heading no list numbers.
    fn numbered_headings(&self) -> Vec<Numbered> {
        let mut counters: BTreeMap<String, BTreeMap<u32, u32>> = BTreeMap::new();
        let mut out = Vec::new();
        for b in &self.blocks {
            let BodyBlock::Para(p) = b else { continue };
            let Some(level) = p.style.strip_prefix("Heading") else {
                continue;
            };
            let (list, ilvl) = self
                .list_of(p)
                .unwrap_or_else(|| panic!("heading «{}» is not numbered by a list", p.text));
            let levels = &self.lists[&list];
            assert!(levels.contains_key(&ilvl), "{list} has no level {ilvl}");
            let c = counters.entry(list.clone()).or_default();
            let n = c.get(&ilvl).copied().unwrap_or(levels[&ilvl].start - 1) + 1;
            c.retain(|&k, _| k < ilvl);
            c.insert(ilvl, n);
            let mut label = levels[&ilvl].text.clone();
            for k in 0..=ilvl {
                let shown = c.get(&k).copied().unwrap_or(levels[&k].start);
                let shown = match levels[&k].format.as_str() {
                    "decimal" => shown.to_string(),
                    "upperLetter" => char::from(b'A' + shown as u8 - 1).to_string(),
                    other => panic!("format {other}"),
                };
                label = label.replace(&format!("%{}", k + 1), &shown);
            }
            out.push(Numbered {
                level: level.parse().unwrap(),
                label,
                text: p.text.clone(),
            });
        }
        out
    }

    /// The entries of the index: the paragraphs of Word's Table of Contents control but its
    /// title.
    fn index_entries(&self) -> Vec<&str> {
        self.blocks
            .iter()
            .filter_map(|b| match b {
                BodyBlock::Para(p) if p.in_index && p.style.starts_with("TOC") => {
                    (p.style != "TOCHeading").then_some(p.text.as_str())
                }
                _ => None,
            })
            .collect()
    }
}

/// Every scope of every document type, as the office downloads them.
fn every_download(fx: &Fixture) -> Vec<String> {
    let mut out = Vec::new();
    for doc in DocType::ALL {
        for query in [
            format!("meetings/{}/export.docx?type={}", fx.meeting, doc.id()),
            format!("meetings/{}/export.docx?type={}", fx.second, doc.id()),
            format!("workshops/{SLUG}/export.docx?modulo=1&type={}", doc.id()),
            format!(
                "workshops/{SLUG}/export.docx?type={}&nascosti=allegato",
                doc.id()
            ),
        ] {
            out.push(format!("/api/v1/{query}"));
        }
    }
    out
}

/// Headings carry no number in their text: Word numbers them with its lists (the outline list
/// through the heading styles, the appendices' list on each appendix heading), so that a
/// section moved in Word takes its number along. The index is filled with the numbers Word
/// will show, computed here from the lists as Word does; so is the export page's preview.
/// Nothing makes Word ask to update fields when the file opens. Themes are headings one level
/// below their section.
#[tokio::test]
async fn headings_are_numbered_by_word_as_the_index_says() {
    let fx = fixture().await;
    for path in every_download(&fx) {
        let (_, d) = docx(&fx, &path, &fx.facilitator).await;
        let word = WordModel::read(&d);
        let headings = word.numbered_headings();
        assert!(headings.len() >= 5, "{path}");
        for h in &headings {
            assert!(
                !starts_with_a_number(&h.text),
                "{path}: «{}» carries its number as text",
                h.text
            );
            assert!((1..=4).contains(&h.level), "{path}: level {}", h.level);
        }
        // The outline: no level skipped; the sections numbered 1., 2., …; the appendices last,
        // lettered from A.
        for w in headings.windows(2) {
            assert!(w[1].level <= w[0].level + 1, "{path}: {w:?}");
        }
        let appendices: Vec<&Numbered> = headings
            .iter()
            .filter(|h| h.label.starts_with("Allegato"))
            .collect();
        assert!(!appendices.is_empty(), "{path}");
        for (k, a) in appendices.iter().enumerate() {
            assert_eq!(
                a.label,
                format!("Allegato {} –", char::from(b'A' + k as u8)),
                "{path}"
            );
        }
        let first_appendix = headings
            .iter()
            .position(|h| h.label.starts_with("Allegato"))
            .unwrap();
        assert!(
            headings[first_appendix..]
                .iter()
                .all(|h| h.label.starts_with("Allegato")),
            "{path}: the appendices come last"
        );
        let tops: Vec<&str> = headings[..first_appendix]
            .iter()
            .filter(|h| h.level == 1)
            .map(|h| h.label.as_str())
            .collect();
        let want: Vec<String> = (1..=tops.len()).map(|n| format!("{n}.")).collect();
        assert_eq!(tops, want, "{path}");
        // The index lists levels 1 and 2 with Word's numbers.
        let expected: Vec<String> = headings
            .iter()
            .filter(|h| h.level <= 2)
            .map(|h| format!("{} {}", h.label, h.text))
            .collect();
        assert_eq!(word.index_entries(), expected, "{path}");
        let index = word
            .blocks
            .iter()
            .find_map(|b| match b {
                BodyBlock::Para(p) if p.in_index && p.instr.contains("TOC ") => Some(p),
                _ => None,
            })
            .expect("the index is a TOC field inside Word's Table of Contents control");
        assert!(index.instr.contains(r#"TOC \o "1-2" \h \z \u"#), "{path}");
        // Opening asks nothing.
        assert!(
            !d.part("word/settings.xml").contains("updateFields"),
            "{path}"
        );
        assert!(!d.part("word/document.xml").contains("w:dirty"), "{path}");
    }

    // Themes are headings below their section: in the macro-areas section, an area (level 2)
    // holds its needs (level 3), which hold their themes (level 4), in the navigation pane.
    let (_, d) = docx(
        &fx,
        &format!(
            "/api/v1/meetings/{}/export.docx?type=coprogrammazione",
            fx.meeting
        ),
        &fx.facilitator,
    )
    .await;
    let headings = WordModel::read(&d).numbered_headings();
    let theme = headings
        .iter()
        .position(|h| h.text == "Tema: Solitudine & isolamento")
        .expect("the theme is a heading");
    assert_eq!(headings[theme].level, 4);
    let needs = headings[..theme]
        .iter()
        .rev()
        .find(|h| h.level < 4)
        .unwrap();
    assert_eq!((needs.level, needs.text.as_str()), (3, "Bisogni rilevati"));
    assert!(
        headings[theme]
            .label
            .starts_with(&format!("{}.", needs.label)),
    );
    let area = headings[..theme]
        .iter()
        .rev()
        .find(|h| h.level < 3)
        .unwrap();
    assert_eq!(area.level, 2);
    assert!(
        headings[theme]
            .label
            .starts_with(&format!("{}.", area.label)),
        "{} under {}",
        headings[theme].label,
        area.label
    );

    // The export page's preview shows the numbers Word shows, in order.
    let page = get(
        &fx,
        &format!(
            "/incontri/{}/esporta?tipo=coprogrammazione&estensione=modulo",
            fx.meeting
        ),
        &fx.facilitator,
    )
    .await
    .text()
    .await
    .unwrap();
    let shown: Vec<&str> = page
        .split("<strong>")
        .skip(1)
        .filter_map(|s| s.split_once("</strong>").map(|(n, _)| n))
        .filter(|n| n.starts_with(|c: char| c.is_ascii_digit()) || n.starts_with("Allegato"))
        .collect();
    let (_, d) = docx(
        &fx,
        &format!("/api/v1/workshops/{SLUG}/export.docx?modulo=1&type=coprogrammazione"),
        &fx.facilitator,
    )
    .await;
    let word: Vec<String> = WordModel::read(&d)
        .numbered_headings()
        .into_iter()
        .filter(|h| h.level <= 2)
        .map(|h| h.label)
        .collect();
    assert!(word.len() > 10, "{word:?}");
    assert_eq!(shown, word);
}

/// Whether `text` starts with a heading number ("3.", "3.2 ", "Allegato A –").
fn starts_with_a_number(text: &str) -> bool {
    let digits = text.split(' ').next().unwrap_or_default();
    let numbered = !digits.is_empty()
        && digits.starts_with(|c: char| c.is_ascii_digit())
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.');
    numbered || text.starts_with("Allegato ")
}

/// Every table opens with its caption — "Tabella N – what it shows", Word's Caption style, the
/// number in a SEQ Tabella field counting the tables — and has alternative text saying what it
/// shows and how many rows and columns it has.
#[tokio::test]
async fn tables_carry_captions_and_alternative_text() {
    let fx = fixture().await;
    let mut seen = 0;
    for path in every_download(&fx) {
        let (_, d) = docx(&fx, &path, &fx.facilitator).await;
        let word = WordModel::read(&d);
        let mut n = 0;
        for (i, b) in word.blocks.iter().enumerate() {
            let BodyBlock::Table {
                caption,
                description,
                rows,
            } = b
            else {
                continue;
            };
            n += 1;
            let Some(BodyBlock::Para(p)) = i.checked_sub(1).map(|i| &word.blocks[i]) else {
                panic!("{path}: table {n} has no paragraph before it");
            };
            assert_eq!(p.style, "Caption", "{path}: table {n}");
            assert!(
                p.instr.contains("SEQ Tabella"),
                "{path}: table {n}: {}",
                p.instr
            );
            assert_eq!(
                p.text,
                format!("Tabella {n} – {caption}"),
                "{path}: the caption says what the alternative text says"
            );
            assert!(caption.len() > 5, "{path}: table {n}");
            let body_rows = rows - 1;
            let count = if body_rows == 1 {
                "1 riga".to_string()
            } else {
                format!("{body_rows} righe")
            };
            assert!(
                description.starts_with(&format!("{caption}. Tabella di {count} e ")),
                "{path}: table {n}: «{description}»"
            );
        }
        assert!(n > 0, "{path}");
        seen += n;
    }
    assert!(seen > 50, "{seen}");
}

/// `word/numbering.xml` parses (every part does, in `Docx::open`), is declared and referenced;
/// every list a paragraph or a style names is defined, each heading style is linked to its
/// level of the outline list and that level to the style, the appendices are lettered.
#[tokio::test]
async fn the_numbering_part_is_valid_and_referenced() {
    let fx = fixture().await;
    for doc in DocType::ALL {
        let (_, d) = docx(
            &fx,
            &format!(
                "/api/v1/workshops/{SLUG}/export.docx?type={}&nascosti=allegato",
                doc.id()
            ),
            &fx.facilitator,
        )
        .await;
        assert!(
            d.part("[Content_Types].xml").contains(
                r#"PartName="/word/numbering.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml""#
            ),
            "{doc:?}"
        );
        assert!(
            d.part("word/_rels/document.xml.rels").contains(
                r#"Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering" Target="numbering.xml""#
            ),
            "{doc:?}"
        );
        let word = WordModel::read(&d);
        for (num, list) in &word.nums {
            assert!(word.lists.contains_key(list), "num {num} → {list}");
        }
        // Every list named in the body and the styles exists.
        let named = word
            .blocks
            .iter()
            .filter_map(|b| match b {
                BodyBlock::Para(p) => p.num.clone(),
                _ => None,
            })
            .chain(word.styles.values().filter_map(|(_, n)| n.clone()));
        for n in named {
            let id = n.num_id.expect("a numPr names its list");
            assert!(word.nums.contains_key(&id), "{doc:?}: list {id} undefined");
        }
        // Heading k ↔ level k-1 of the outline list.
        for k in 1..=4u32 {
            let style = format!("Heading{k}");
            let p = Para {
                style: style.clone(),
                ..Para::default()
            };
            let (list, ilvl) = word.list_of(&p).expect("heading styles are numbered");
            assert_eq!(ilvl, k - 1, "{style}");
            assert_eq!(
                word.lists[&list][&ilvl].style.as_deref(),
                Some(style.as_str())
            );
            assert_eq!(word.lists[&list][&ilvl].format, "decimal");
        }
        let appendix = word
            .blocks
            .iter()
            .find_map(|b| match b {
                BodyBlock::Para(p) if p.style == "Heading1" && p.num.is_some() => Some(p),
                _ => None,
            })
            .expect("an appendix heading names its list");
        let (list, _) = word.list_of(appendix).unwrap();
        assert_eq!(word.lists[&list][&0].format, "upperLetter");
        assert_eq!(word.lists[&list][&0].text, "Allegato %1 –");
    }
}
