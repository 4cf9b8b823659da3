//! The documents as the acts an Ambito adopts: a filled module of two meetings (needs in two
//! areas, votes, a synthesis, objectives with links and resources, marked cards, a hidden
//! card an objective links) is exported as each document type, once for a training
//! `laboratorio` and once for a `procedimento` with its parties.
//!
//! - each document's outline (every heading, in order, with Word's number) is compared with a
//!   snapshot in `tests/snapshots/outline_<process>_<type>.txt`: a section that moves, appears
//!   or vanishes shows as a small diff (`TAVOLO_UPDATE_SNAPSHOTS=1` rewrites them);
//! - the Accordo names every party of the file and never shows a vote;
//! - every heading is numbered by Word's list and every table has a caption;
//! - a laboratorio's documents say they are an exercise, a procedimento's name who is
//!   responsible; the hidden card an objective links is cited by reference, never by its text.

use std::collections::HashMap;
use std::io::{Cursor, Read};
use std::path::Path;
use std::sync::Arc;

use serde_json::{Value, json};
use tavolo::domain::board::{Actor, ActorId, ActorKind, BoardState, EventRecord};
use tavolo::export::document::{self, Block};
use tavolo::export::outline::{Attendee, Outline, Session};
use tavolo::export::{DocType, Extent, Format, HiddenCards, Scope, prose};
use tavolo::services::catalogue::Entry;

const COMMON: &str = r#"slug = "atti"
title = "Co-programmazione del Piano di Zona"
organiser = "Comune di Bergamo"
funding = "Fondo nazionale politiche sociali"
capacity = 20
enrollment_opens = 2027-01-15T09:00:00+01:00
enrollment_closes = 2027-02-05T23:59:59+01:00
eligible_roles = ["responsabile-ufficio-di-piano"]
facilitators = ["Silvia De Aloe"]
policy_areas = ["Anziani", "Domiciliarità", "Politiche abitative"]
"#;

const PROCEDURE: &str = r#"process = "procedimento"

[procedure]
authority = "Comune di Bergamo"
lead_body = "Comune di Bergamo"
ambito = "Ambito di Bergamo"
responsible = "dott.ssa Anna Bianchi"
minutes_by = "Luca Verdi"
opening_act = { kind = "determinazione dirigenziale", number = "123", date = 2027-01-10 }
public_notice = 2027-01-15
plan_period = "2025–2027"

  [[procedure.parties]]
  kind = "ente_capofila"
  name = "Comune di Bergamo"
  represented_by = "il Sindaco pro tempore o suo delegato"

  [[procedure.parties]]
  kind = "comune"
  name = "Comune di Gorle"

  [[procedure.parties]]
  kind = "ats"
  name = "ATS di Bergamo"

  [[procedure.parties]]
  kind = "asst"
  name = "ASST Papa Giovanni XXIII"

  [[procedure.parties]]
  kind = "ets"
  name = "Cooperativa sociale Il Sentiero"
"#;

const MODULE: &str = r#"
[[modules]]
title = "Bisogni e obiettivi"

  [[modules.meetings]]
  date = 2027-02-12
  start = 09:30:00
  end = 12:30:00
  place = "Bergamo, Palazzo Frizzoni"
  agenda = ["Analisi dei bisogni", "Priorità"]

  [[modules.meetings]]
  date = 2027-02-19
  start = 09:30:00
  end = 12:30:00
  place = "online"
"#;

const PARTIES: [&str; 5] = [
    "Comune di Bergamo",
    "Comune di Gorle",
    "ATS di Bergamo",
    "ASST Papa Giovanni XXIII",
    "Cooperativa sociale Il Sentiero",
];

fn entry(procedimento: bool) -> Arc<Entry> {
    let text = if procedimento {
        format!("{COMMON}{PROCEDURE}{MODULE}")
    } else {
        format!("{COMMON}{MODULE}")
    };
    let workshop = tavolo::workshop_files::parse_workshop("atti.toml", &text).unwrap();
    let ids: HashMap<String, i64> = workshop
        .meetings()
        .enumerate()
        .map(|(i, (_, m))| (m.key.clone(), i as i64 + 1))
        .collect();
    Arc::new(Entry::new(1, workshop, ids))
}

fn person(i: i64) -> Actor {
    Actor {
        id: ActorId::Enrollment(i),
        kind: ActorKind::Participant,
        name: format!("Persona {i}"),
        organisation: Some(format!("Comune {i}")),
        ambito: Some("Ambito di Bergamo".into()),
    }
}

fn facilitator() -> Actor {
    Actor {
        id: ActorId::Account(1),
        kind: ActorKind::Facilitator,
        name: "Silvia De Aloe".into(),
        organisation: None,
        ambito: None,
    }
}

fn need(id: &str, text: &str, area: &str) -> Value {
    json!({"kind": "card_added", "card_id": id, "column": "bisogno", "anonymous": false,
           "revealed": true,
           "content": {"card_type": "bisogno", "text": text, "policy_area": area}})
}

fn fold(meeting_id: i64, events: Vec<(Actor, Value)>) -> BoardState {
    let mut board = BoardState::new(meeting_id, tavolo::domain::defaults::board_template());
    for (i, (actor, event)) in events.into_iter().enumerate() {
        tavolo::domain::board::apply(
            &mut board,
            &EventRecord {
                seq: i as i64 + 1,
                op_id: format!("op{i}"),
                actor,
                at: 1_802_000_000_000 + meeting_id * 604_800_000 + i as i64 * 60_000,
                event: serde_json::from_value(event).unwrap(),
            },
        );
    }
    board
}

/// The text a facilitator hid: no document may print it.
const HIDDEN_TEXT: &str = "Il signor Rossi di via Roma 3 non esce più di casa";

fn sessions(entry: &Entry) -> Vec<Session> {
    let (a, b, f) = (person(1), person(2), facilitator());
    let first = vec![
        (f.clone(), json!({"kind": "phase_set", "phase": "raccolta"})),
        (
            a.clone(),
            need("n1", "Anziani soli nei Comuni montani", "Anziani"),
        ),
        (
            b.clone(),
            need("n2", "Caregiver senza sollievo", "Domiciliarità"),
        ),
        (a.clone(), need("n3", HIDDEN_TEXT, "Anziani")),
        (
            b.clone(),
            json!({"kind": "card_added", "card_id": "p1", "column": "proposta", "anonymous": false,
                   "revealed": true, "content": {"card_type": "proposta",
                   "title": "Tavolo permanente con il Terzo settore", "instrument": "Tavolo tecnico"}}),
        ),
        (
            a.clone(),
            json!({"kind": "card_added", "card_id": "i1", "column": "indicatore", "anonymous": false,
                   "revealed": true, "content": {"card_type": "indicatore",
                   "name": "Anziani raggiunti dal SAD", "indicator_type": "outcome",
                   "unit": "persone", "responsible": "Ufficio di Piano"}}),
        ),
        (f.clone(), json!({"kind": "phase_set", "phase": "voto"})),
        (
            a.clone(),
            json!({"kind": "voted", "card_id": "n1", "phase": "voto"}),
        ),
        (
            b.clone(),
            json!({"kind": "voted", "card_id": "n1", "phase": "voto"}),
        ),
        (
            b.clone(),
            json!({"kind": "voted", "card_id": "n2", "phase": "voto"}),
        ),
        (
            a.clone(),
            json!({"kind": "voted", "card_id": "p1", "phase": "voto"}),
        ),
        (f.clone(), json!({"kind": "phase_set", "phase": "sintesi"})),
        (
            f.clone(),
            json!({"kind": "synthesis_written", "policy_area": "Anziani",
                   "text": "La solitudine degli anziani nei Comuni montani è il bisogno più sentito."}),
        ),
        (
            f.clone(),
            json!({"kind": "objective_created", "objective_id": "o1", "number": 1, "objective": {
                "title": "Rafforzare la domiciliarità degli anziani soli",
                "target_group": "Anziani soli over 75",
                "interventions": "Custodi sociali e trasporto solidale",
                "expected_result": "Più anziani raggiunti a casa",
                "timeline": "2025-2027",
                "needs": ["n1", "n3"], "indicators": ["i1"],
                "actors": ["Comuni dell'Ambito", "ASST", "Enti del Terzo settore (ETS)"],
                "sovrazonale": false, "policy_area": "Anziani",
                "resources": [{"amount_cents": 1_250_000, "fund": "fnps"},
                              {"amount_cents": 500_000, "fund": "fondi_propri"}],
                "staff": "Due assistenti sociali a tempo parziale"}}),
        ),
        (
            b.clone(),
            json!({"kind": "objective_commented", "objective_id": "o1", "comment_id": "k1",
                   "text": "Includere i caregiver"}),
        ),
        (
            f.clone(),
            json!({"kind": "card_hidden", "card_id": "n3", "reason": "dati personali"}),
        ),
        (
            f.clone(),
            json!({"kind": "card_marked", "card_id": "p1", "mark": "questione_aperta",
                   "note": "Chi lo convoca?"}),
        ),
    ];
    let second = vec![
        (f.clone(), json!({"kind": "phase_set", "phase": "raccolta"})),
        (
            a.clone(),
            need(
                "n1",
                "Alloggi per l'emergenza abitativa",
                "Politiche abitative",
            ),
        ),
        (f.clone(), json!({"kind": "phase_set", "phase": "voto"})),
        (
            b.clone(),
            json!({"kind": "voted", "card_id": "n1", "phase": "voto"}),
        ),
        (f.clone(), json!({"kind": "phase_set", "phase": "sintesi"})),
        (
            f.clone(),
            json!({"kind": "objective_created", "objective_id": "o1", "number": 1, "objective": {
                "title": "Una regia unica dei servizi tra gli Ambiti",
                "needs": [], "indicators": [], "actors": ["Ufficio di Piano"],
                "sovrazonale": true,
                "resources": [{"amount_cents": 2_000_000, "fund": "pnrr"}]}}),
        ),
        (
            f.clone(),
            json!({"kind": "card_marked", "card_id": "n1", "mark": "co_progettazione",
                   "note": "Con le cooperative dell'abitare"}),
        ),
    ];
    entry
        .workshop
        .meetings()
        .enumerate()
        .zip([first, second])
        .map(|((i, (module, meeting)), events)| Session {
            id: i as i64 + 1,
            module_number: module.number,
            module_title: module.title.clone(),
            meeting: meeting.clone(),
            board: fold(i as i64 + 1, events),
            attendance: (1..=3)
                .map(|person| Attendee {
                    person,
                    organisation: format!("Comune {person}"),
                    role: "Responsabile Ufficio di Piano".into(),
                    ambito: Some("Ambito di Bergamo".into()),
                })
                .collect(),
            guests: Vec::new(),
        })
        .collect()
}

fn module_scope() -> Scope {
    Scope {
        extent: Extent::Module(1),
        ambito: None,
        hidden: HiddenCards::Omit,
    }
}

/// A document of the module: its outline (headings with Word's numbers, indented by level)
/// and its .docx.
fn export(entry: &Entry, sessions: &[Session], doc: DocType) -> (String, Vec<u8>) {
    let templates = tavolo::templates::Templates::new(None);
    let at = chrono::DateTime::from_timestamp(1_803_000_000, 0).unwrap();
    let scope = module_scope();
    let outline = Outline::build(&entry.workshop, sessions, &scope, at);
    let prose = prose::Prose::render(&templates, doc, document::blocks(doc), &outline).unwrap();
    let built = document::build(&outline, &prose, doc);
    let mut lines = vec![format!("# {}", built.title)];
    for b in &built.blocks {
        if let Block::Heading {
            level,
            number,
            text,
            ..
        } = b
        {
            let indent = "  ".repeat(usize::from(*level) - 1);
            lines.push(format!("{indent}{number} {text}"));
        }
    }
    let file =
        tavolo::export::render(entry, sessions, &scope, Format::Docx(doc), &templates, at).unwrap();
    (lines.join("\n") + "\n", file.bytes)
}

fn part(bytes: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut xml = String::new();
    zip.by_name(name).unwrap().read_to_string(&mut xml).unwrap();
    xml
}

/// The text of the body, one paragraph per line (entities decoded).
fn text(bytes: &[u8]) -> String {
    use quick_xml::events::Event as X;
    let xml = part(bytes, "word/document.xml");
    let mut r = quick_xml::Reader::from_str(&xml);
    let (mut out, mut line, mut in_t) = (Vec::new(), String::new(), false);
    loop {
        match r.read_event().unwrap() {
            X::Start(e) if e.name().as_ref() == b"w:t" => in_t = true,
            X::End(e) if e.name().as_ref() == b"w:t" => in_t = false,
            X::Text(t) if in_t => line.push_str(&t.decode().unwrap()),
            X::GeneralRef(r) if in_t => line.push(match r.decode().unwrap().as_ref() {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                _ => '\'',
            }),
            X::End(e) if e.name().as_ref() == b"w:p" => out.push(std::mem::take(&mut line)),
            X::Eof => break,
            _ => {}
        }
    }
    out.join("\n")
}

fn compare_with_snapshot(name: &str, outline: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/snapshots/{name}"));
    let update = std::env::var_os("TAVOLO_UPDATE_SNAPSHOTS").is_some();
    let under_ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
    assert!(
        update || path.exists() || !under_ci,
        "{} is missing: under CI a snapshot is compared, never written. Generate it with \
         `TAVOLO_UPDATE_SNAPSHOTS=1 cargo test --test export_acts`, review it and commit it.",
        path.display()
    );
    if update || !path.exists() {
        std::fs::write(&path, outline).unwrap();
    }
    let kept = std::fs::read_to_string(&path).unwrap();
    assert!(
        kept == outline,
        "the outline differs from {}: review the change, then regenerate with \
         TAVOLO_UPDATE_SNAPSHOTS=1\n--- kept\n{kept}\n--- now\n{outline}",
        path.display()
    );
}

#[test]
fn each_document_has_the_outline_of_its_act_for_a_laboratorio_and_a_procedimento() {
    for procedimento in [false, true] {
        let entry = entry(procedimento);
        let sessions = sessions(&entry);
        let process = if procedimento {
            "procedimento"
        } else {
            "laboratorio"
        };
        for doc in DocType::ALL {
            let (outline, bytes) = export(&entry, &sessions, doc);
            compare_with_snapshot(&format!("outline_{process}_{}.txt", doc.id()), &outline);
            let xml = part(&bytes, "word/document.xml");
            let body = text(&bytes);
            let what = format!("{process} {}", doc.id());

            // Every heading is numbered by Word's outline list: its style carries the list.
            let styles = part(&bytes, "word/styles.xml");
            for level in 1..=4 {
                let style = styles
                    .split("<w:style ")
                    .find(|s| s.contains(&format!("w:styleId=\"Heading{level}\"")))
                    .unwrap_or_else(|| panic!("{what}: no Heading{level} style"));
                assert!(
                    style.contains("<w:numPr>"),
                    "{what}: Heading{level} has no numPr"
                );
            }
            assert!(xml.contains("w:val=\"Heading1\""), "{what}");
            // Every table has a caption and alternative text.
            let tables = xml.matches("<w:tbl>").count();
            assert!(tables > 3, "{what}: {tables} tables");
            assert_eq!(xml.matches("<w:tblCaption ").count(), tables, "{what}");
            assert_eq!(xml.matches("<w:tblDescription ").count(), tables, "{what}");

            // What a facilitator hid is never reprinted, even where an objective links it.
            assert!(!body.contains(HIDDEN_TEXT), "{what} prints the hidden card");

            if procedimento {
                assert!(!body.contains("esercitazione"), "{what}");
                assert!(body.contains("determinazione dirigenziale"), "{what}");
            } else {
                assert!(
                    body.contains("esercitazione") || body.contains("attività formativa"),
                    "{what}"
                );
                for wrong in ["seduta del procedimento", "responsabile del procedimento"] {
                    assert!(!body.contains(wrong), "{what} says {wrong:?}");
                }
            }
            match doc {
                DocType::Accordo => {
                    // No vote count anywhere in the act.
                    let words: Vec<&str> = body
                        .split(|c: char| !c.is_alphanumeric())
                        .filter(|w| !w.is_empty())
                        .collect();
                    for w in &words {
                        let w = w.to_lowercase();
                        assert!(
                            w != "voti" && w != "voto" && w != "votato" && w != "votati",
                            "{what}: {w}"
                        );
                    }
                    if procedimento {
                        for party in PARTIES {
                            assert!(body.contains(party), "{what} does not name {party}");
                        }
                    }
                    assert!(body.contains("Rafforzare la domiciliarità degli anziani soli"));
                    assert!(
                        body.contains("€\u{a0}37.500,00"),
                        "{what}: total of the resources"
                    );
                }
                DocType::Coprogrammazione => {
                    // The sheet of the objective: its resources, its links, the hidden need
                    // cited by its reference alone.
                    for expected in [
                        "Scheda M1-1/O01",
                        "FNPS: €\u{a0}12.500,00",
                        "Fondi propri: €\u{a0}5.000,00",
                        "Totale: €\u{a0}17.500,00",
                        "M1-1/B01 — Anziani soli nei Comuni montani",
                        "M1-1/B03 (non riportato in questo documento)",
                        "M1-1/I01 — Anziani raggiunti dal SAD",
                        "Sì: l'obiettivo riguarda più Ambiti",
                        "Integrazione sociosanitaria\nCon ASST",
                        "Progettualità premiali",
                        "La solitudine degli anziani nei Comuni montani è il bisogno più sentito.",
                        "Questione aperta: Chi lo convoca?",
                        "Tema per la co-progettazione: Con le cooperative dell'abitare",
                        "Analisi del contesto",
                        "Valutazione del triennio precedente",
                        "Quadro delle risorse",
                    ] {
                        assert!(body.contains(expected), "{what} lacks {expected:?}");
                    }
                }
                DocType::Verbale => {
                    assert!(body.contains("Obiettivi definiti"), "{what}");
                    assert!(body.contains("Chi lo convoca?"), "{what}");
                    if procedimento {
                        for expected in [
                            "dott.ssa Anna Bianchi",
                            "Luca Verdi",
                            "Letto, approvato e sottoscritto.",
                            "Analisi dei bisogni",
                        ] {
                            assert!(body.contains(expected), "{what} lacks {expected:?}");
                        }
                    }
                }
            }
        }
    }
}

/// The indicators' table ties each indicator to the objectives it measures, with its unit and
/// who is responsible; one no objective links says so.
#[test]
fn indicators_name_the_objective_they_measure() {
    let entry = entry(true);
    let sessions = sessions(&entry);
    let (_, bytes) = export(&entry, &sessions, DocType::Coprogrammazione);
    let body = text(&bytes);
    let row = body
        .lines()
        .position(|l| l == "M1-1/I01")
        .expect("the indicator's row");
    let cells: Vec<&str> = body.lines().skip(row).take(7).collect();
    assert_eq!(cells[1], "Anziani raggiunti dal SAD");
    assert_eq!(cells[2], "M1-1/O01");
    assert_eq!(cells[3], "persone");
    assert_eq!(cells[6], "Ufficio di Piano");
}
