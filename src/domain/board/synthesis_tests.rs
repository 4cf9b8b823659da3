//! The synthesis step end to end: syntheses, objectives and marks decided and applied as the
//! room does, with the rights of each role in each phase, the links to cards, the resources,
//! and the replay of the stored events.

use serde_json::{Value, json};

use super::tests::{Board, conductor, person};
use super::*;

const ANZIANI: &str = "Anziani";
const DOMICILIARITA: &str = "Domiciliarità";

/// A board of a workshop with two policy areas, cards of every kind written in «raccolta»,
/// and the phase `phase` open.
fn board_in(phase: &str) -> Board {
    let mut b = Board::new();
    b.areas = vec![ANZIANI.into(), DOMICILIARITA.into()];
    let (f, maria) = (conductor(), person(1));
    b.op(&f, r#"{"kind":"set_phase","phase":"raccolta"}"#)
        .unwrap();
    for (id, kind, field) in [
        ("n1", "bisogno", "text"),
        ("n2", "bisogno", "text"),
        ("n3", "bisogno", "text"),
        ("p1", "proposta", "title"),
        ("i1", "indicatore", "name"),
    ] {
        b.op(
            &maria,
            &format!(
                r#"{{"kind":"add_card","card_id":"{id}","card_type":"{kind}","{field}":"Scheda {id}"}}"#
            ),
        )
        .unwrap();
    }
    b.op(&f, &format!(r#"{{"kind":"set_phase","phase":"{phase}"}}"#))
        .unwrap();
    b
}

fn objective(title: &str, extra: Value) -> Value {
    let mut o = json!({"title": title});
    if let (Some(o), Some(extra)) = (o.as_object_mut(), extra.as_object()) {
        o.extend(extra.clone());
    }
    o
}

fn create(id: &str, objective: Value) -> String {
    json!({"kind": "create_objective", "objective_id": id, "objective": objective}).to_string()
}

fn edit(id: &str, objective: Value) -> String {
    json!({"kind": "edit_objective", "objective_id": id, "objective": objective}).to_string()
}

fn synthesis(area: &str, text: &str) -> String {
    json!({"kind": "write_synthesis", "policy_area": area, "text": text}).to_string()
}

fn comment(objective: &str, id: &str, text: &str) -> String {
    json!({"kind": "comment_objective", "objective_id": objective, "comment_id": id, "text": text})
        .to_string()
}

fn code(b: &mut Board, actor: &Actor, op: &str) -> &'static str {
    match b.op(actor, op) {
        Ok(()) => "ok",
        Err(r) => r.code,
    }
}

#[test]
fn facilitators_write_the_synthesis_from_its_phase_on_and_participants_comment() {
    let (f, maria) = (conductor(), person(1));
    let writes = [
        synthesis(ANZIANI, "Gli anziani soli sono il primo bisogno."),
        create("o1", objective("Dimissioni protette", json!({}))),
        json!({"kind": "mark_card", "card_id": "n2", "mark": "questione_aperta"}).to_string(),
    ];
    // Before «sintesi»: refused to facilitators for the phase, to participants for their role.
    for phase in ["raccolta", "raggruppamento", "voto"] {
        let mut b = board_in(phase);
        for op in &writes {
            assert_eq!(code(&mut b, &f, op), "phase", "{phase}: {op}");
            assert_eq!(code(&mut b, &maria, op), "forbidden", "{phase}: {op}");
        }
    }
    // In «sintesi» and after («chiuso»): facilitators write; participants still may not.
    for phase in ["sintesi", "chiuso"] {
        let mut b = board_in(phase);
        for op in &writes {
            assert_eq!(code(&mut b, &maria, op), "forbidden", "{phase}: {op}");
            assert_eq!(code(&mut b, &f, op), "ok", "{phase}: {op}");
        }
        let others = [
            edit(
                "o1",
                objective("Dimissioni protette e domiciliarità", json!({})),
            ),
            json!({"kind": "unmark_card", "card_id": "n2"}).to_string(),
            json!({"kind": "remove_objective", "objective_id": "o1"}).to_string(),
        ];
        for op in &others {
            assert_eq!(code(&mut b, &maria, op), "forbidden", "{phase}: {op}");
            assert_eq!(code(&mut b, &f, op), "ok", "{phase}: {op}");
        }
    }
    // Comments: participants in «sintesi», not once it is closed nor while the board is locked;
    // facilitators always.
    let mut b = board_in("sintesi");
    b.op(
        &f,
        &create("o1", objective("Dimissioni protette", json!({}))),
    )
    .unwrap();
    assert_eq!(code(&mut b, &maria, &comment("o1", "k1", "Bene")), "ok");
    b.op(&f, r#"{"kind":"lock","locked":true}"#).unwrap();
    assert_eq!(
        code(&mut b, &maria, &comment("o1", "k2", "Ancora")),
        "locked"
    );
    b.op(&f, r#"{"kind":"lock","locked":false}"#).unwrap();
    b.op(&f, r#"{"kind":"set_phase","phase":"chiuso"}"#)
        .unwrap();
    assert_eq!(code(&mut b, &maria, &comment("o1", "k2", "Tardi")), "phase");
    assert_eq!(code(&mut b, &f, &comment("o1", "k3", "Chiudo io")), "ok");
    // Back to «voto»: the synthesis is closed again, comments on objectives too.
    b.op(&f, r#"{"kind":"set_phase","phase":"voto"}"#).unwrap();
    assert_eq!(code(&mut b, &maria, &comment("o1", "k4", "Ora?")), "phase");
    let comments: Vec<(&str, &str)> = b.state.objectives["o1"]
        .comments
        .iter()
        .map(|c| (c.id.as_str(), c.author.name.as_str()))
        .collect();
    assert_eq!(comments, [("k1", "e:1"), ("k3", "Silvia")]);
}

#[test]
fn a_board_without_a_synthesis_phase_lets_facilitators_write_it_at_any_time() {
    let mut b = Board::new();
    b.state.template.phases = vec!["raccolta".into(), "restituzione".into()];
    b.state.phase = "raccolta".into();
    b.op(&conductor(), &synthesis("Anziani", "Sintesi"))
        .unwrap();
    assert_eq!(b.state.syntheses["Anziani"].text, "Sintesi");
}

#[test]
fn each_area_has_one_synthesis_written_replaced_or_deleted_with_who_and_when() {
    let mut b = board_in("sintesi");
    let f = conductor();
    b.now = 5000;
    b.op(
        &f,
        &synthesis(ANZIANI, "  Prima stesura\r\ncon due righe \u{7} "),
    )
    .unwrap();
    let s = &b.state.syntheses[ANZIANI];
    assert_eq!(
        (s.text.as_str(), s.by.as_str(), s.at),
        ("Prima stesura\ncon due righe", "Silvia", 5000)
    );
    b.now = 6000;
    b.op(&f, &synthesis(ANZIANI, "Seconda stesura")).unwrap();
    assert_eq!(b.state.syntheses[ANZIANI].text, "Seconda stesura");
    assert_eq!(b.state.syntheses[ANZIANI].at, 6000);
    // Areas are the workshop's.
    let err = b.op(&f, &synthesis("Sport", "x")).unwrap_err();
    assert_eq!(
        (err.code, err.fields[0].field.as_str()),
        ("invalid", "policy_area")
    );
    assert!(err.message.contains("Area di policy"), "{}", err.message);
    // Nothing to delete: an empty text is a missing text.
    let err = b.op(&f, &synthesis(DOMICILIARITA, "   ")).unwrap_err();
    assert_eq!(err.message, "Scrivi il testo della sintesi.");
    let long = "x".repeat(limits::SYNTHESIS + 1);
    let err = b.op(&f, &synthesis(DOMICILIARITA, &long)).unwrap_err();
    assert!(err.message.contains("20000"), "{}", err.message);
    assert!(!b.state.syntheses.contains_key(DOMICILIARITA));
    // An empty text deletes the area's synthesis.
    b.op(&f, &synthesis(ANZIANI, "")).unwrap();
    assert!(b.state.syntheses.is_empty());
}

#[test]
fn objectives_link_needs_and_indicators_that_exist_are_active_and_of_their_kind() {
    let mut b = board_in("sintesi");
    let (f, maria) = (conductor(), person(1));
    let refused = |b: &mut Board, extra: Value| {
        let err = b
            .op(&f, &create("o9", objective("Obiettivo", extra)))
            .unwrap_err();
        assert!(!b.state.objectives.contains_key("o9"), "nothing stored");
        err
    };
    // A proposal is not a need, a need is not an indicator, an unknown id is nothing.
    for (extra, field, words) in [
        (json!({"needs": ["p1"]}), "needs", "non è un bisogno"),
        (json!({"needs": ["nessuno"]}), "needs", "non esiste"),
        (
            json!({"indicators": ["n1"]}),
            "indicators",
            "non è un indicatore",
        ),
        (json!({"indicators": ["zzz"]}), "indicators", "non esiste"),
    ] {
        let err = refused(&mut b, extra.clone());
        assert_eq!(err.code, "invalid_link", "{extra}");
        assert_eq!(err.fields[0].field, field, "{extra}");
        assert!(err.message.contains(words), "{extra}: {}", err.message);
    }
    // A withdrawn need is not on the board any more.
    b.op(&f, r#"{"kind":"set_phase","phase":"raccolta"}"#)
        .unwrap();
    b.op(&maria, r#"{"kind":"withdraw_card","card_id":"n3"}"#)
        .unwrap();
    b.op(&f, r#"{"kind":"merge","into":"n1","cards":["n2"]}"#)
        .unwrap();
    b.op(&f, r#"{"kind":"set_phase","phase":"sintesi"}"#)
        .unwrap();
    let err = refused(&mut b, json!({"needs": ["n3"]}));
    assert!(
        err.message.contains("non è più sulla lavagna"),
        "{}",
        err.message
    );
    // A field error and a link error: the form's errors come first, code «invalid».
    let err = b
        .op(&f, &create("o9", json!({"title": " ", "needs": ["p1"]})))
        .unwrap_err();
    assert_eq!(err.code, "invalid");
    assert_eq!(err.message, "Dai un titolo all'obiettivo.");
    assert_eq!(err.fields.len(), 2);

    // A merged need stands for the card it was merged into; each card is linked once.
    b.op(
        &f,
        &create(
            "o1",
            objective(
                "Dimissioni protette",
                json!({"needs": ["n1", "n2", "n1"], "indicators": ["i1"], "policy_area": ANZIANI}),
            ),
        ),
    )
    .unwrap();
    let o = &b.state.objectives["o1"];
    assert_eq!(o.content.needs, ["n1"]);
    assert_eq!(o.content.indicators, ["i1"]);
    assert_eq!(
        b.state.resolve_card("n2").map(|c| c.id.as_str()),
        Some("n1")
    );
}

#[test]
fn objectives_are_numbered_edited_and_removed_keeping_the_record() {
    let mut b = board_in("sintesi");
    let f = conductor();
    b.now = 2000;
    b.op(
        &f,
        &create(
            "o1",
            json!({
                "title": "  Dimissioni protette ",
                "description": "Dall'ospedale a casa.",
                "interventions": "Équipe integrata ASST-Comuni",
                "target_group": "Over 75",
                "expected_result": "Meno ricoveri ripetuti",
                "timeline": "2025-2027",
                "needs": ["n1"],
                "indicators": ["i1"],
                "actors": ["Comuni dell'Ambito", " ASST ", "", "ASST"],
                "sovrazonale": true,
                "policy_area": ANZIANI,
                "resources": [{"amount_cents": 1_250_000, "fund": "fnps"}],
                "staff": "Due assistenti sociali",
            }),
        ),
    )
    .unwrap();
    assert_eq!(
        b.op(&f, &create("o1", objective("Altro", json!({}))))
            .unwrap_err()
            .code,
        "duplicate_id"
    );
    b.op(&f, &create("o2", objective("Caregiver", json!({}))))
        .unwrap();
    let o = &b.state.objectives["o1"];
    assert_eq!(o.reference("M2-1"), "M2-1/O01");
    assert_eq!(b.state.objectives["o2"].reference("M2-1"), "M2-1/O02");
    assert_eq!(o.content.title, "Dimissioni protette");
    assert_eq!(o.content.actors, ["Comuni dell'Ambito", "ASST"]);
    assert!(o.content.sovrazonale);
    assert_eq!(o.content.total_cents(), 1_250_000);
    assert_eq!((o.created_by.as_str(), o.created_at), ("Silvia", 2000));

    b.now = 3000;
    b.op(
        &f,
        &edit(
            "o1",
            objective("Dimissioni protette e continuità", json!({})),
        ),
    )
    .unwrap();
    let o = &b.state.objectives["o1"];
    assert_eq!(o.content.title, "Dimissioni protette e continuità");
    assert!(o.content.needs.is_empty(), "an edit replaces every field");
    assert_eq!((o.updated_at, o.created_at), (3000, 2000));

    b.op(&f, r#"{"kind":"remove_objective","objective_id":"o1"}"#)
        .unwrap();
    assert_eq!(
        b.state.objectives["o1"].state,
        ObjectiveState::Removed {
            by: "Silvia".into()
        }
    );
    let ids: Vec<&str> = b.state.active_objectives().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, ["o2"]);
    for op in [
        edit("o1", objective("Di nuovo", json!({}))),
        r#"{"kind":"remove_objective","objective_id":"o1"}"#.to_string(),
        comment("o1", "k1", "Perché?"),
    ] {
        assert_eq!(code(&mut b, &f, &op), "not_active", "{op}");
    }
    assert_eq!(
        code(&mut b, &f, &edit("o7", objective("x", json!({})))),
        "not_found"
    );
    // Removed objectives keep their number: the next one is the third.
    b.op(&f, &create("o3", objective("Terzo", json!({}))))
        .unwrap();
    assert_eq!(b.state.objectives["o3"].number, 3);
    // Participants no longer see a removed objective; facilitators do.
    assert!(!view_for(&b.state, &person(2)).objectives.contains_key("o1"));
    assert_eq!(view_for(&b.state, &person(2)).objective_order, ["o2", "o3"]);
    assert!(view_for(&b.state, &f).objectives.contains_key("o1"));

    // Put back in the plan as it was, by a facilitator only, and only once.
    let restore = r#"{"kind":"restore_objective","objective_id":"o1"}"#;
    assert_eq!(code(&mut b, &person(2), restore), "forbidden");
    b.now = 4000;
    b.op(&f, restore).unwrap();
    let o = &b.state.objectives["o1"];
    assert_eq!(o.state, ObjectiveState::Active);
    assert_eq!(
        (o.number, o.content.title.as_str()),
        (1, "Dimissioni protette e continuità")
    );
    assert_eq!((o.updated_by.as_str(), o.updated_at), ("Silvia", 4000));
    assert_eq!(code(&mut b, &f, restore), "already_active");
    assert_eq!(
        code(
            &mut b,
            &f,
            r#"{"kind":"restore_objective","objective_id":"o9"}"#
        ),
        "not_found"
    );
    assert_eq!(
        view_for(&b.state, &person(2)).objective_order,
        ["o1", "o2", "o3"]
    );
}

#[test]
fn resources_are_amounts_in_euro_cents_from_a_list_of_funds() {
    let mut b = board_in("sintesi");
    let f = conductor();
    let with = |lines: Value| create("o1", objective("Risorse", json!({ "resources": lines })));
    // Whole cents from zero to a billion euro, a fund of the list, a description.
    b.op(
        &f,
        &with(json!([
            {"amount_cents": 0, "fund": "fondi_propri"},
            {"amount_cents": 1_250_000, "fund": "fondo_poverta", "description": " Quota 2025 "},
            {"amount_cents": limits::AMOUNT_CENTS, "fund": "pnrr"},
        ])),
    )
    .unwrap();
    let r = &b.state.objectives["o1"].content.resources;
    assert_eq!(r[1].fund, Fund::FondoPoverta);
    assert_eq!(r[1].description.as_deref(), Some("Quota 2025"));
    assert_eq!(
        b.state.objectives["o1"].content.total_cents(),
        1_250_000 + limits::AMOUNT_CENTS
    );
    // Each wrong line is named, with its field.
    let ok = json!({"amount_cents": 100, "fund": "fnps"});
    for (line, field, words) in [
        (
            json!({"amount_cents": -100, "fund": "fnps"}),
            "amount_cents",
            "negativo",
        ),
        (
            json!({"amount_cents": -0.5, "fund": "fnps"}),
            "amount_cents",
            "negativo",
        ),
        (
            json!({"amount_cents": "12.500,00", "fund": "fnps"}),
            "amount_cents",
            "un numero",
        ),
        (
            json!({"amount_cents": 12.5, "fund": "fnps"}),
            "amount_cents",
            "centesimi interi",
        ),
        (
            json!({"amount_cents": limits::AMOUNT_CENTS + 1, "fund": "fnps"}),
            "amount_cents",
            "supera",
        ),
        (
            json!({"amount_cents": u64::MAX, "fund": "fnps"}),
            "amount_cents",
            "supera",
        ),
        (
            json!({"amount_cents": 1e15, "fund": "fnps"}),
            "amount_cents",
            "supera",
        ),
        (json!({"fund": "fnps"}), "amount_cents", "indica l'importo"),
        (json!({"amount_cents": 100}), "fund", "scegli il fondo"),
        (
            json!({"amount_cents": 100, "fund": "FNPS"}),
            "fund",
            "FNPS, FSR, FNA, Fondo povertà, PNRR, Fondi propri e Altro",
        ),
        (
            json!({"amount_cents": 100, "fund": "fnps", "description": "a\nb"}),
            "description",
            "una riga",
        ),
    ] {
        let err = b
            .op(
                &f,
                &edit("o1", objective("Risorse", json!({"resources": [ok, line]}))),
            )
            .unwrap_err();
        assert_eq!(err.code, "invalid", "{line}");
        assert_eq!(
            err.fields[0].field,
            format!("resources.1.{field}"),
            "{line}"
        );
        assert!(
            err.message.starts_with("Risorsa 2: "),
            "{line}: {}",
            err.message
        );
        assert!(err.message.contains(words), "{line}: {}", err.message);
    }
    let too_many = vec![ok.clone(); limits::RESOURCE_LINES + 1];
    let err = b
        .op(
            &f,
            &edit("o1", objective("Risorse", json!({"resources": too_many}))),
        )
        .unwrap_err();
    assert_eq!(err.fields[0].field, "resources");
    // Nothing refused was stored.
    assert_eq!(b.state.objectives["o1"].content.resources.len(), 3);
    // A field the form does not have is refused when the operation is read.
    let unknown = create(
        "o2",
        json!({"title": "x", "resources": [{"amount_cents": 1, "fund": "fnps", "iva": 22}]}),
    );
    assert!(serde_json::from_str::<Op>(&unknown).is_err());
}

#[test]
fn objective_fields_are_trimmed_and_kept_within_their_limits() {
    let mut b = board_in("sintesi");
    let f = conductor();
    let long = "x".repeat(301);
    let err = b
        .op(
            &f,
            &create("o1", objective("t", json!({"target_group": long}))),
        )
        .unwrap_err();
    assert_eq!(err.fields[0].field, "target_group");
    assert!(err.message.contains("300"), "{}", err.message);
    let actors: Vec<String> = (0..=limits::OBJECTIVE_ACTORS)
        .map(|i| format!("Ente {i}"))
        .collect();
    let err = b
        .op(&f, &create("o1", objective("t", json!({"actors": actors}))))
        .unwrap_err();
    assert_eq!(err.fields[0].field, "actors");
    let err = b
        .op(
            &f,
            &create("o1", objective("t", json!({"policy_area": "Sport"}))),
        )
        .unwrap_err();
    assert_eq!(err.fields[0].field, "policy_area");
    // Empty optional texts are no text.
    b.op(
        &f,
        &create(
            "o1",
            objective("t", json!({"description": "  ", "policy_area": ""})),
        ),
    )
    .unwrap();
    let o = &b.state.objectives["o1"].content;
    assert_eq!(
        (o.description.as_ref(), o.policy_area.as_ref()),
        (None, None)
    );
}

#[test]
fn cards_are_marked_as_open_questions_or_topics_for_co_design_and_unmarked() {
    let mut b = board_in("sintesi");
    let (f, luca) = (conductor(), person(2));
    b.now = 4000;
    b.op(
        &f,
        r#"{"kind":"mark_card","card_id":"n1","mark":"questione_aperta","note":" Chi paga il trasporto? "}"#,
    )
    .unwrap();
    let mark = b.state.cards["n1"].mark.clone().unwrap();
    assert_eq!(mark.kind, MarkKind::QuestioneAperta);
    assert_eq!(mark.note.as_deref(), Some("Chi paga il trasporto?"));
    assert_eq!((mark.by.as_str(), mark.at), ("Silvia", 4000));
    // Participants see the mark on the card.
    assert_eq!(
        view_for(&b.state, &luca).cards["n1"]
            .mark
            .as_ref()
            .map(|m| m.kind),
        Some(MarkKind::QuestioneAperta)
    );
    // A new mark replaces the old one.
    b.op(
        &f,
        r#"{"kind":"mark_card","card_id":"n1","mark":"co_progettazione"}"#,
    )
    .unwrap();
    let mark = b.state.cards["n1"].mark.clone().unwrap();
    assert_eq!((mark.kind, mark.note), (MarkKind::CoProgettazione, None));
    let err = b
        .op(
            &f,
            r#"{"kind":"mark_card","card_id":"n1","mark":"urgente"}"#,
        )
        .unwrap_err();
    assert_eq!(
        (err.code, err.fields[0].field.as_str()),
        ("invalid", "mark")
    );
    let note = "x".repeat(limits::MARK_NOTE + 1);
    let err = b
        .op(
            &f,
            &json!({"kind": "mark_card", "card_id": "n1", "mark": "co_progettazione", "note": note})
                .to_string(),
        )
        .unwrap_err();
    assert_eq!(err.fields[0].field, "note");
    assert_eq!(
        code(
            &mut b,
            &f,
            r#"{"kind":"mark_card","card_id":"zz","mark":"co_progettazione"}"#
        ),
        "not_found"
    );
    b.op(&f, r#"{"kind":"unmark_card","card_id":"n1"}"#)
        .unwrap();
    assert_eq!(b.state.cards["n1"].mark, None);
    assert_eq!(
        code(&mut b, &f, r#"{"kind":"unmark_card","card_id":"n1"}"#),
        "not_marked"
    );
}

#[test]
fn comments_on_objectives_are_checked_like_comments_on_cards() {
    let mut b = board_in("sintesi");
    let (f, maria) = (conductor(), person(1));
    b.op(&f, &create("o1", objective("Obiettivo", json!({}))))
        .unwrap();
    assert_eq!(code(&mut b, &maria, &comment("o1", "k1", "  ")), "invalid");
    assert_eq!(
        code(&mut b, &maria, &comment("o1", "bad id!", "x")),
        "invalid_id"
    );
    assert_eq!(code(&mut b, &maria, &comment("o9", "k1", "x")), "not_found");
    b.op(&maria, &comment("o1", "k1", " Sono d'accordo "))
        .unwrap();
    assert_eq!(
        code(&mut b, &maria, &comment("o1", "k1", "Di nuovo")),
        "duplicate_id"
    );
    let c = &b.state.objectives["o1"].comments[0];
    assert_eq!((c.text.as_str(), c.anonymous), ("Sono d'accordo", false));
}

/// The state the room reaches live is the state any later replay of the stored events reaches
/// (the history page, the export, a restart), and it survives its own serialisation.
#[test]
fn replaying_the_stored_events_gives_the_same_synthesis() {
    let mut b = board_in("sintesi");
    let (f, maria) = (conductor(), person(1));
    for op in [
        synthesis(ANZIANI, "Sintesi degli anziani"),
        synthesis(DOMICILIARITA, "Da cancellare"),
        synthesis(DOMICILIARITA, ""),
        create(
            "o1",
            objective(
                "Dimissioni protette",
                json!({"needs": ["n1"], "indicators": ["i1"], "actors": ["ATS"],
                    "resources": [{"amount_cents": 500_000, "fund": "fna"}]}),
            ),
        ),
        create("o2", objective("Da togliere", json!({}))),
        r#"{"kind":"remove_objective","objective_id":"o2"}"#.to_string(),
        edit(
            "o1",
            objective("Dimissioni protette", json!({"needs": ["n1", "n2"]})),
        ),
        r#"{"kind":"mark_card","card_id":"p1","mark":"co_progettazione","note":"Con gli ETS"}"#
            .to_string(),
    ] {
        b.now += 1000;
        b.op(&f, &op).unwrap();
    }
    b.op(&maria, &comment("o1", "k1", "Bene")).unwrap();

    let mut replayed = BoardState::new(1, super::tests::template());
    for stored in &b.stored {
        apply(&mut replayed, &serde_json::from_str(stored).unwrap());
    }
    assert_eq!(replayed, b.state);
    let json = serde_json::to_string(&b.state).unwrap();
    assert_eq!(serde_json::from_str::<BoardState>(&json).unwrap(), b.state);
    assert_eq!(replayed.syntheses.len(), 1);
    assert_eq!(replayed.objective_order, ["o1", "o2"]);
}

/// A board serialised before the synthesis existed (no `syntheses`, `objectives`,
/// `objective_order`, no `mark` on its cards) still loads, empty of them.
#[test]
fn a_board_from_before_the_synthesis_still_loads() {
    let mut b = board_in("sintesi");
    b.op(&conductor(), &synthesis(ANZIANI, "x")).unwrap();
    let mut old = serde_json::to_value(&b.state).unwrap();
    let o = old.as_object_mut().unwrap();
    for key in ["syntheses", "objectives", "objective_order"] {
        assert!(o.remove(key).is_some(), "{key}");
    }
    for card in o["cards"].as_object_mut().unwrap().values_mut() {
        card.as_object_mut().unwrap().remove("mark");
    }
    let loaded: BoardState = serde_json::from_value(old).unwrap();
    assert!(loaded.syntheses.is_empty() && loaded.objectives.is_empty());
    assert_eq!(loaded.cards.len(), 5);
    assert!(loaded.cards.values().all(|c| c.mark.is_none()));
}
