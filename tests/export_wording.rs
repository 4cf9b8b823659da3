//! The Italian of the documents, at 0, 1 and 2: a small workshop of two meetings is built in
//! memory with `n` of everything that is counted (needs, proposals, indicators, votes, merged
//! duplicates, cards under a theme, people present, guests, cards never revealed), and every
//! document type is rendered for the workshop and for each meeting. Each rendered text (and the
//! export page's section summaries) is scanned for the mistakes Italian readers reported
//! ("1 contributo è stato uniti", "ha unito 1 doppioni", "oltre a 1 rappresentanti", "in 1
//! seduta, condotte da", "ciascuno dei 1", "Maiocchi e Ettore", "hanno proposto 0 contributi",
//! "1 ottobre"), and the sentences with a count are checked at each `n`.
//!
//! The first meeting falls on the 1st of the month and the second on the 8th ("del 1° marzo",
//! "dell'8 marzo"); the facilitators' names make a list that needs "ed". With `n = 0` the first
//! meeting's board was opened (phases, no cards) and the second was never used: each gets one
//! sentence instead of sections of zeros.

use std::collections::HashMap;
use std::io::{Cursor, Read};
use std::sync::Arc;

use serde_json::{Value, json};
use tavolo::domain::board::{Actor, ActorId, ActorKind, BoardState, EventRecord};
use tavolo::domain::italian::NOUNS;
use tavolo::export::outline::{Attendee, Outline, Session};
use tavolo::export::{DocType, Extent, Format, HiddenCards, Scope, document, prose};
use tavolo::services::catalogue::Entry;

const WORKSHOP: &str = r#"slug = "parole"
title = "Laboratorio delle parole"
organiser = "ANCI Lombardia"
funding = "Fondo nazionale politiche sociali"
capacity = 10
enrollment_opens = 2027-01-01T09:00:00Z
enrollment_closes = 2027-02-01T09:00:00Z
eligible_roles = ["responsabile-ufficio-di-piano"]
facilitators = ["Nucci Maiocchi", "Ettore Vittorio Uccellini"]

[[modules]]
title = "Il Piano di Zona"
topics = ["Governance"]

  [[modules.meetings]]
  date = 2027-03-01
  start = 09:30:00
  end = 12:30:00
  place = "online"

  [[modules.meetings]]
  date = 2027-03-08
  start = 09:30:00
  end = 12:30:00
  place = "Bergamo, via Tasso 8"
"#;

/// The same workshop as a real procedimento of an Ambito.
const PROCEDURE: &str = r#"
process = "procedimento"

[procedure]
authority = "Comune di Bergamo"
lead_body = "Comune di Bergamo"
ambito = "Ambito di Bergamo"
responsible = "Anna Bianchi"
minutes_by = "Luca Verdi"
opening_act = { kind = "determinazione", number = "12", date = 2027-01-08 }
"#;

fn entry() -> Arc<Entry> {
    entry_of(WORKSHOP)
}

fn entry_of(text: &str) -> Arc<Entry> {
    let workshop = tavolo::workshop_files::parse_workshop("parole.toml", text).unwrap();
    let ids: HashMap<String, i64> = workshop
        .meetings()
        .enumerate()
        .map(|(i, (_, m))| (m.key.clone(), i as i64 + 1))
        .collect();
    Arc::new(Entry::new(1, workshop, ids))
}

fn person(i: usize) -> Actor {
    Actor {
        id: ActorId::Enrollment(i as i64 + 1),
        kind: ActorKind::Participant,
        name: format!("Persona {i}"),
        organisation: Some(format!("Comune {i}")),
        ambito: Some("Ambito di Bergamo".into()),
    }
}

fn guest(i: usize) -> Actor {
    Actor {
        id: ActorId::Guest(i as i64 + 1),
        kind: ActorKind::Guest,
        name: format!("Ospite {i}"),
        organisation: Some(format!("Cooperativa {i}")),
        ambito: None,
    }
}

fn facilitator() -> Actor {
    Actor {
        id: ActorId::Account(1),
        kind: ActorKind::Facilitator,
        name: "Nucci Maiocchi".into(),
        organisation: None,
        ambito: None,
    }
}

fn card(id: &str, column: &str, content: Value, revealed: bool) -> Value {
    json!({"kind": "card_added", "card_id": id, "column": column, "anonymous": false,
           "revealed": revealed, "content": content})
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
                at: 1_803_900_000_000 + meeting_id * 604_800_000 + i as i64 * 60_000,
                event: serde_json::from_value(event).unwrap(),
            },
        );
    }
    board
}

/// The two meetings with `n` of everything counted.
fn sessions(entry: &Entry, n: usize) -> Vec<Session> {
    let me = person(0);
    let f = facilitator();
    // Meeting 1: phases always; n needs (under one theme), n duplicates merged into the first,
    // n votes on it, n guests' comments, n people present.
    let mut first = vec![(f.clone(), json!({"kind": "phase_set", "phase": "raccolta"}))];
    for i in 0..n {
        let content = json!({"card_type": "bisogno", "text": format!("Bisogno {i}")});
        first.push((person(i), card(&format!("b{i}"), "bisogno", content, true)));
    }
    if n > 0 {
        first.push((
            f.clone(),
            json!({"kind": "group_created", "group_id": "g1", "title": "Domiciliarità", "column": "bisogno"}),
        ));
        for i in 0..n {
            first.push((
                f.clone(),
                json!({"kind": "card_grouped", "card_id": format!("b{i}"), "group_id": "g1"}),
            ));
            let content = json!({"card_type": "bisogno", "text": format!("Doppione {i}")});
            first.push((me.clone(), card(&format!("d{i}"), "bisogno", content, true)));
            first.push((
                guest(i),
                json!({"kind": "commented", "card_id": "b0", "comment_id": format!("k{i}"), "text": "Sono d'accordo"}),
            ));
        }
        let merged: Vec<String> = (0..n).map(|i| format!("d{i}")).collect();
        first.push((
            f.clone(),
            json!({"kind": "cards_merged", "into": "b0", "cards": merged}),
        ));
    }
    first.push((f.clone(), json!({"kind": "phase_set", "phase": "voto"})));
    // n objectives, each with one euro of FNPS: the resources add up in the documents.
    for i in 0..n {
        first.push((
            f.clone(),
            json!({"kind": "objective_created", "objective_id": format!("o{i}"), "number": i + 1,
                   "objective": {"title": format!("Obiettivo {i}"),
                                 "resources": [{"amount_cents": 100, "fund": "fnps"}]}}),
        ));
    }
    for _ in 0..n {
        first.push((
            me.clone(),
            json!({"kind": "voted", "card_id": "b0", "phase": "voto"}),
        ));
    }
    // Meeting 2: nothing at all for n = 0; else n proposals, n indicators and n cards never
    // revealed.
    let mut second = Vec::new();
    if n > 0 {
        second.push((f.clone(), json!({"kind": "phase_set", "phase": "raccolta"})));
        for i in 0..n {
            let p = json!({"card_type": "proposta", "title": format!("Proposta {i}"), "instrument": "Tavolo tecnico"});
            second.push((person(i), card(&format!("p{i}"), "proposta", p, true)));
            let ind = json!({"card_type": "indicatore", "name": format!("Indicatore {i}"), "indicator_type": "output"});
            second.push((person(i), card(&format!("i{i}"), "indicatore", ind, true)));
            let hidden = json!({"card_type": "bisogno", "text": format!("Non rivelato {i}")});
            second.push((person(i), card(&format!("u{i}"), "bisogno", hidden, false)));
        }
    }
    let attendance = (0..n)
        .map(|i| Attendee {
            person: i as i64 + 1,
            organisation: format!("Comune {i}"),
            role: "Responsabile Ufficio di Piano".into(),
            ambito: Some("Ambito di Bergamo".into()),
        })
        .collect::<Vec<_>>();
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
            attendance: if i == 0 {
                attendance.clone()
            } else {
                Vec::new()
            },
            guests: Vec::new(),
        })
        .collect()
}

/// The text of a .docx body, one paragraph (or table cell) per line.
fn docx_text(bytes: &[u8]) -> String {
    use quick_xml::events::Event as X;
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut xml = String::new();
    zip.by_name("word/document.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    let mut r = quick_xml::Reader::from_str(&xml);
    let (mut out, mut line, mut in_t) = (Vec::new(), String::new(), false);
    loop {
        match r.read_event().unwrap() {
            X::Start(e) if e.name().as_ref() == b"w:t" => in_t = true,
            X::End(e) if e.name().as_ref() == b"w:t" => in_t = false,
            X::Text(t) if in_t => line.push_str(&t.decode().unwrap()),
            X::GeneralRef(r) if in_t => {
                let name = r.decode().unwrap();
                line.push_str(match name.as_ref() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    other => panic!("unexpected entity {other}"),
                });
            }
            X::End(e) if e.name().as_ref() == b"w:p" => out.push(std::mem::take(&mut line)),
            X::Empty(e) if e.name().as_ref() == b"w:tab" => line.push('\t'),
            X::Eof => break,
            _ => {}
        }
    }
    out.join("\n")
}

/// What a document says for `scope`: its text, then the export page's section summaries.
fn render(entry: &Entry, sessions: &[Session], scope: &Scope, doc: DocType) -> String {
    let templates = tavolo::templates::Templates::new(None);
    let at = chrono::DateTime::from_timestamp(1_805_000_000, 0).unwrap();
    let file =
        tavolo::export::render(entry, sessions, scope, Format::Docx(doc), &templates, at).unwrap();
    let outline = Outline::build(&entry.workshop, sessions, scope, at);
    let prose = prose::Prose::render(&templates, doc, document::blocks(doc), &outline).unwrap();
    let summaries: Vec<String> = document::build(&outline, &prose, doc)
        .preview()
        .into_iter()
        .filter_map(|p| p.summary)
        .collect();
    format!("{}\n{}", docx_text(&file.bytes), summaries.join("\n"))
}

fn scope(extent: Extent) -> Scope {
    Scope {
        extent,
        ambito: None,
        hidden: HiddenCards::Omit,
    }
}

/// Whether the character before byte `at` of `s` ends a word (or `s` starts there).
fn boundary_before(s: &str, at: usize) -> bool {
    s[..at]
        .chars()
        .next_back()
        .is_none_or(|c| !c.is_alphanumeric() && c != '.' && c != ',')
}

fn boundary_after(s: &str, at: usize) -> bool {
    s[at..].chars().next().is_none_or(|c| !c.is_alphanumeric())
}

/// Occurrences of `needle` in `text` as whole words.
fn has_word(text: &str, needle: &str) -> bool {
    text.match_indices(needle)
        .any(|(i, m)| boundary_before(text, i) && boundary_after(text, i + m.len()))
}

/// The known mistakes of generated Italian found in `text`, each with its line.
fn bad_italian(text: &str) -> Vec<String> {
    const MONTHS: [&str; 12] = [
        "gennaio",
        "febbraio",
        "marzo",
        "aprile",
        "maggio",
        "giugno",
        "luglio",
        "agosto",
        "settembre",
        "ottobre",
        "novembre",
        "dicembre",
    ];
    let mut found = Vec::new();
    for line in text.lines() {
        let mut bad = |what: String| found.push(format!("{what}: «{line}»"));
        for noun in NOUNS {
            for wrong in [
                format!("1 {}", noun.plural),
                format!("0 {}", noun.plural),
                format!("0 {}", noun.singular),
                format!("nessun {}", noun.plural),
                format!("nessuna {}", noun.plural),
            ] {
                if has_word(line, &wrong) {
                    bad(wrong);
                }
            }
        }
        for month in MONTHS {
            if has_word(line, &format!("1 {month}")) {
                bad(format!("1 {month} (1° {month})"));
            }
        }
        for wrong in [
            " e E",
            " e È",
            "ciascuno dei 1",
            "dei 1 ",
            "seduta, condotte",
        ] {
            if line.contains(wrong) {
                bad(wrong.to_string());
            }
        }
        for article in ["il", "del", "al", "dal", "nel"] {
            for number in ["8", "11"] {
                let wrong = format!("{article} {number}");
                if has_word(line, &wrong) {
                    bad(wrong);
                }
            }
        }
        // A singular auxiliary with a plural participle, and the reverse.
        let words: Vec<&str> = line
            .split(|c: char| !c.is_alphanumeric() && c != 'è')
            .filter(|w| !w.is_empty())
            .collect();
        for w in words.windows(3) {
            let participle = w[2];
            let plural = participle.ends_with('i') || participle.ends_with('e');
            let singular = participle.ends_with('o') || participle.ends_with('a');
            match (w[0], w[1]) {
                ("è", "stato" | "stata") if plural && participle.len() > 3 => {
                    bad(format!("è {} {participle}", w[1]))
                }
                ("sono", "stati" | "state") if singular => {
                    bad(format!("sono {} {participle}", w[1]))
                }
                _ => {}
            }
        }
    }
    found
}

/// The scanner catches every mistake reported, and passes their corrections.
#[test]
fn the_scanner_knows_the_reported_mistakes() {
    for wrong in [
        "1 contributo è stato uniti ad altri simili.",
        "ha unito 1 doppioni a «X»",
        "ha rivelato 1 contributi",
        "oltre a 1 rappresentanti di organizzazioni",
        "in 1 seduta, condotte da Silvia",
        "una scheda per ciascuno dei 1",
        "Nucci Maiocchi e Ettore Vittorio Uccellini",
        "I partecipanti hanno proposto 0 contributi.",
        "venerdì 1 ottobre 2021",
        "Seduta del 8 marzo 2027",
        "nessuna proposte",
        "2 contributi sono stati unito",
    ] {
        assert!(!bad_italian(wrong).is_empty(), "not caught: {wrong}");
    }
    for right in [
        "1 contributo è stato unito a un altro simile: è riportato insieme a quello.",
        "ha unito 1 doppione a «X»",
        "oltre a 1 rappresentante di organizzazioni intervenuto come ospite",
        "in 1 seduta, condotta da Nucci Maiocchi ed Ettore Vittorio Uccellini",
        "venerdì 1° ottobre 2021, 11 contributi, 10 contributi, 2021 voti",
        "Seduta dell'8 marzo 2027, del 18 marzo, il 1° marzo",
        "nessuna proposta",
    ] {
        assert_eq!(bad_italian(right), Vec::<String>::new(), "{right}");
    }
}

/// Every document type, for the workshop and for each meeting, at 0, 1 and 2: no known
/// mistake anywhere, and the sentences with a count say what they should.
#[test]
fn every_document_agrees_with_its_numbers_at_zero_one_and_two() {
    let entry = entry();
    // (n, document, scope, sentences it must hold, sentences it must not).
    type Expect = (&'static [&'static str], &'static [&'static str]);
    let verbale: [Expect; 3] = [
        (
            &[
                "Incontro del 1° marzo 2027",
                "Incontro dell'8 marzo 2027",
                "Nucci Maiocchi ed Ettore Vittorio Uccellini",
                "Nell'incontro non sono stati raccolti contributi sulla lavagna, né espressi voti.",
                "Nell'incontro la lavagna non è stata usata: non sono stati raccolti contributi, né espressi voti.",
                "Il registro presenze non riporta partecipanti",
            ],
            &[
                "Decisioni ed esiti",
                "I partecipanti hanno proposto",
                "Svolgimento della seduta\nLa seduta si è svolta nelle fasi seguenti.\nNessun",
            ],
        ),
        (
            &[
                "I partecipanti hanno proposto 1 contributo, riportato per colonna",
                "È presente una persona di 1 ente",
                "1 contributo è stato unito a un altro simile: è riportato insieme a quello.",
                "1 voto\nUnito [M1-1/",
                "Tema «Domiciliarità»: 1 contributo",
                "1 contributo non era ancora rivelato in sala quando il documento è stato generato: non è riportato.",
                "Decisioni ed esiti",
            ],
            &[],
        ),
        (
            &[
                "I partecipanti hanno proposto 2 contributi, riportati per colonna",
                "Sono presenti 2 persone di 2 enti",
                "2 contributi sono stati uniti ad altri simili: sono riportati insieme a quelli.",
                "2 voti\nUnito [M1-1/",
                "Tema «Domiciliarità»: 2 contributi",
                "2 contributi non erano ancora rivelati in sala quando il documento è stato generato: non sono riportati.",
            ],
            &[],
        ),
    ];
    let coprogrammazione: [Expect; 3] = [
        (
            &[
                "Il laboratorio si è svolto in 2 incontri, condotti da Nucci Maiocchi ed Ettore Vittorio Uccellini. Sulla lavagna non sono stati raccolti contributi. Ogni incontro è documentato dal proprio resoconto.",
                "Negli obiettivi non sono state indicate risorse economiche.",
            ],
            &[
                "Hanno partecipato",
                "Sono stati rilevati",
                "definit",
                "0 persone",
            ],
        ),
        (
            &[
                "Ha partecipato agli incontri 1 persona di 1 ente, oltre a 1 rappresentante di organizzazioni intervenuto come ospite.",
                "Il laboratorio si è svolto in 2 incontri, condotti da Nucci Maiocchi ed Ettore Vittorio Uccellini. Su una lavagna condivisa i partecipanti hanno proposto",
                "È stato rilevato 1 bisogno e definito 1 obiettivo.",
                "Fondo nazionale per le politiche sociali\n1 obiettivo\n€\u{a0}1,00",
                "Proposto nell'incontro\ndell'8 marzo 2027",
            ],
            &[],
        ),
        (
            &[
                "Hanno partecipato agli incontri 2 persone di 2 enti, oltre a 2 rappresentanti di organizzazioni intervenuti come ospiti.",
                "Sono stati rilevati 2 bisogni e definiti 2 obiettivi.",
                "Fondo nazionale per le politiche sociali\n2 obiettivi\n€\u{a0}2,00",
            ],
            &[],
        ),
    ];
    for n in 0..3 {
        let sessions = sessions(&entry, n);
        // Each scope with the sessions it loads (`export::load`): all, or its one meeting.
        let scopes = [
            (scope(Extent::Workshop), &sessions[..]),
            (scope(Extent::Meeting(1)), &sessions[..1]),
            (scope(Extent::Meeting(2)), &sessions[1..]),
        ];
        for doc in [
            DocType::Verbale,
            DocType::Coprogrammazione,
            DocType::Accordo,
        ] {
            for (s, sessions) in &scopes {
                let text = render(&entry, sessions, s, doc);
                let bad: Vec<String> = bad_italian(&text);
                assert!(
                    bad.is_empty(),
                    "{doc:?} {:?} at n = {n}:\n{}",
                    s.extent,
                    bad.join("\n")
                );
            }
        }
        let whole = |doc| render(&entry, &sessions, &scopes[0].0, doc);
        for (doc, expect) in [
            (DocType::Verbale, &verbale[n]),
            (DocType::Coprogrammazione, &coprogrammazione[n]),
        ] {
            let text = whole(doc);
            for want in expect.0 {
                assert!(
                    text.contains(want),
                    "{doc:?} at n = {n}: missing {want:?} in\n{text}"
                );
            }
            for unwanted in expect.1 {
                assert!(
                    !text.contains(unwanted),
                    "{doc:?} at n = {n}: {unwanted:?} in\n{text}"
                );
            }
        }
        // One meeting: one incontro, and its own agreement.
        let one = render(&entry, scopes[1].1, &scopes[1].0, DocType::Coprogrammazione);
        let want = if n == 0 {
            "Il laboratorio si è svolto in 1 incontro, condotto da Nucci Maiocchi ed Ettore Vittorio Uccellini. Sulla lavagna non sono stati raccolti contributi."
        } else {
            "Il laboratorio si è svolto in 1 incontro, condotto da Nucci Maiocchi ed Ettore Vittorio Uccellini. Su una lavagna condivisa i partecipanti"
        };
        assert!(one.contains(want), "n = {n}: missing {want:?} in\n{one}");
        assert!(one.contains("L'incontro è documentato dal proprio resoconto."));
    }
}

/// A procedimento's documents speak of sedute, verbali and acts: the same numbers, the same
/// agreement.
#[test]
fn a_procedimento_agrees_with_its_numbers_at_zero_one_and_two() {
    // The top-level keys go before the first [[modules]] table.
    let (head, modules) = WORKSHOP.split_at(WORKSHOP.find("[[modules]]").unwrap());
    let procedure_head = PROCEDURE.split("[procedure]").next().unwrap();
    let procedure_table = &PROCEDURE[PROCEDURE.find("[procedure]").unwrap()..];
    let entry = entry_of(&format!(
        "{head}{procedure_head}\n{procedure_table}\n{modules}"
    ));
    for n in 0..3 {
        let sessions = sessions(&entry, n);
        let whole = scope(Extent::Workshop);
        for doc in DocType::ALL {
            let text = render(&entry, &sessions, &whole, doc);
            let bad = bad_italian(&text);
            assert!(bad.is_empty(), "{doc:?} at n = {n}:\n{}", bad.join("\n"));
            assert!(!text.contains("esercitazione"), "{doc:?} at n = {n}");
        }
        let text = render(&entry, &sessions, &whole, DocType::Coprogrammazione);
        let want = if n == 0 {
            "Il tavolo di co-programmazione si è riunito in 2 sedute, condotte da Nucci Maiocchi ed Ettore Vittorio Uccellini. Sulla lavagna non sono stati raccolti contributi. Ogni seduta è documentata dal proprio verbale."
        } else {
            "Il tavolo di co-programmazione si è riunito in 2 sedute, condotte da Nucci Maiocchi ed Ettore Vittorio Uccellini. Su una lavagna condivisa"
        };
        assert!(text.contains(want), "n = {n}: missing {want:?} in\n{text}");
        let one = render(
            &entry,
            &sessions[..1],
            &scope(Extent::Meeting(1)),
            DocType::Coprogrammazione,
        );
        assert!(
            one.contains("si è riunito in 1 seduta, condotta da")
                && one.contains("La seduta è documentata dal proprio verbale."),
            "n = {n}:\n{one}"
        );
    }
}
