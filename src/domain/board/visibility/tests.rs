//! Who sees what, as tables: viewer kind × event kind × the card's flags (blind, anonymous,
//! hidden), for the live events and for the board a viewer loads.

use super::*;
use crate::domain::board::{Op, apply, decide};

fn actor(id: ActorId, kind: ActorKind, name: &str) -> Actor {
    Actor {
        id,
        kind,
        name: name.into(),
        organisation: Some("Comune di Lecco".into()),
        ambito: None,
    }
}

/// The four kinds of viewer, the author always being `maria`.
struct People {
    facilitator: Actor,
    maria: Actor,
    luca: Actor,
    guest: Actor,
}

fn people() -> People {
    People {
        facilitator: actor(ActorId::Account(1), ActorKind::Facilitator, "Silvia"),
        maria: actor(ActorId::Enrollment(1), ActorKind::Participant, "Maria"),
        luca: actor(ActorId::Enrollment(2), ActorKind::Participant, "Luca"),
        guest: actor(ActorId::Guest(1), ActorKind::Guest, "Ospite"),
    }
}

/// A board with a running session, ready for cards.
struct Board {
    state: BoardState,
}

impl Board {
    fn new() -> Board {
        let template = crate::domain::defaults::board_template();
        let mut b = Board {
            state: BoardState::new(1, template),
        };
        let f = people().facilitator;
        b.op(&f, r#"{"kind":"set_phase","phase":"raccolta"}"#);
        b
    }

    /// Decides and applies an operation; returns the record and what the public could see of
    /// the touched card before it.
    fn op(&mut self, actor: &Actor, json: &str) -> (EventRecord, Option<bool>) {
        let op: Op = serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"));
        let event = decide(&self.state, actor, op, &[], || "ABC234".into(), 1000)
            .unwrap_or_else(|r| panic!("{json}: {r:?}"));
        let rec = EventRecord {
            seq: self.state.seq + 1,
            op_id: format!("op{}", self.state.seq + 1),
            actor: actor.clone(),
            at: 1000,
            event,
        };
        let before = card_was_public(&self.state, &rec.event);
        apply(&mut self.state, &rec);
        (rec, before)
    }

    fn add(&mut self, author: &Actor, id: &str, extra: &str) {
        self.op(
            author,
            &format!(
                r#"{{"kind":"add_card","card_id":"{id}","card_type":"bisogno","text":"Bisogno {id}"{extra}}}"#
            ),
        );
    }
}

/// What one viewer receives of one event.
#[derive(Debug, PartialEq)]
enum Got {
    Full,
    AsIs,
    Anonymised,
    VoteCounted,
    Redacted,
    Removed,
    /// Cards revealed: how many.
    Revealed(usize),
    /// An objective back in the plan, whole.
    ObjectiveShown,
}

fn received(after: &BoardState, rec: &EventRecord, before: Option<bool>, viewer: &Actor) -> Got {
    if FullAudience::of(after, rec, before).includes(viewer) {
        return Got::Full;
    }
    match public_event(after, rec, before) {
        PublicEvent::AsIs => Got::AsIs,
        PublicEvent::Anonymised => Got::Anonymised,
        PublicEvent::VoteCounted => Got::VoteCounted,
        PublicEvent::Redacted => Got::Redacted,
        PublicEvent::CardRemoved { .. } => Got::Removed,
        PublicEvent::CardsRevealed { cards } => Got::Revealed(cards.len()),
        PublicEvent::ObjectiveShown { .. } => Got::ObjectiveShown,
    }
}

/// One row: a board prepared by `setup`, an operation by `who`, what each viewer receives
/// (facilitator, the author Maria, another participant Luca, a guest).
struct Row {
    case: &'static str,
    setup: fn(&mut Board, &People),
    who: fn(&People) -> &Actor,
    op: &'static str,
    expect: [Got; 4],
}

fn by_facilitator(p: &People) -> &Actor {
    &p.facilitator
}
fn by_maria(p: &People) -> &Actor {
    &p.maria
}
fn by_luca(p: &People) -> &Actor {
    &p.luca
}
fn nothing(_: &mut Board, _: &People) {}
fn card(b: &mut Board, p: &People) {
    b.add(&p.maria, "c1", "");
}
fn blind_card(b: &mut Board, p: &People) {
    b.op(&p.facilitator, r#"{"kind":"set_blind","blind":true}"#);
    b.add(&p.maria, "c1", "");
}
fn anonymous_card(b: &mut Board, p: &People) {
    b.op(&p.facilitator, r#"{"kind":"set_anonymous","allowed":true}"#);
    b.add(&p.maria, "c1", r#","anonymous":true"#);
}
fn hidden_card(b: &mut Board, p: &People) {
    card(b, p);
    b.op(
        &p.facilitator,
        r#"{"kind":"hide","card_id":"c1","reason":"dati personali"}"#,
    );
}
fn voting(b: &mut Board, p: &People) {
    card(b, p);
    b.op(&p.facilitator, r#"{"kind":"set_phase","phase":"voto"}"#);
}
fn voting_with_totals_hidden(b: &mut Board, p: &People) {
    voting(b, p);
    b.op(
        &p.facilitator,
        r#"{"kind":"set_votes_hidden","hidden":true}"#,
    );
}
fn allow_anonymous(b: &mut Board, p: &People) {
    b.op(&p.facilitator, r#"{"kind":"set_anonymous","allowed":true}"#);
}
fn blind(b: &mut Board, p: &People) {
    b.op(&p.facilitator, r#"{"kind":"set_blind","blind":true}"#);
}
fn synthesis(b: &mut Board, p: &People) {
    card(b, p);
    b.op(&p.facilitator, r#"{"kind":"set_phase","phase":"sintesi"}"#);
}
fn blind_card_in_synthesis(b: &mut Board, p: &People) {
    blind_card(b, p);
    b.op(&p.facilitator, r#"{"kind":"set_phase","phase":"sintesi"}"#);
}
fn objective(b: &mut Board, p: &People) {
    synthesis(b, p);
    b.op(
        &p.facilitator,
        r#"{"kind":"create_objective","objective_id":"o1","objective":{"title":"Dimissioni protette","needs":["c1"]}}"#,
    );
}
fn removed_objective(b: &mut Board, p: &People) {
    objective(b, p);
    b.op(
        &p.luca,
        r#"{"kind":"comment_objective","objective_id":"o1","comment_id":"k1","text":"Bene"}"#,
    );
    b.op(
        &p.facilitator,
        r#"{"kind":"remove_objective","objective_id":"o1"}"#,
    );
}

#[test]
fn each_viewer_receives_what_the_rules_allow_of_each_event() {
    use Got::*;
    let add = r#"{"kind":"add_card","card_id":"c9","card_type":"bisogno","text":"Nuovo"}"#;
    let add_anonymous = r#"{"kind":"add_card","card_id":"c9","card_type":"bisogno","text":"Nuovo","anonymous":true}"#;
    let edit = r#"{"kind":"edit_card","card_id":"c1","card_type":"bisogno","text":"Modificato"}"#;
    let comment = r#"{"kind":"comment","card_id":"c1","comment_id":"k1","text":"Sono d'accordo"}"#;
    let hide = r#"{"kind":"hide","card_id":"c1","reason":"dati personali"}"#;
    let rows = [
        Row {
            case: "a card added",
            setup: nothing,
            who: by_maria,
            op: add,
            expect: [Full, Full, AsIs, AsIs],
        },
        Row {
            case: "a card added while blind",
            setup: blind,
            who: by_maria,
            op: add,
            expect: [Full, Full, Redacted, Redacted],
        },
        Row {
            case: "an anonymous card added",
            setup: allow_anonymous,
            who: by_maria,
            op: add_anonymous,
            expect: [Full, Full, Anonymised, Anonymised],
        },
        Row {
            case: "a visible card edited",
            setup: card,
            who: by_maria,
            op: edit,
            expect: [Full, Full, AsIs, AsIs],
        },
        Row {
            case: "an anonymous card edited",
            setup: anonymous_card,
            who: by_maria,
            op: edit,
            expect: [Full, Full, Anonymised, Anonymised],
        },
        Row {
            case: "a blind card edited by its author",
            setup: blind_card,
            who: by_maria,
            op: edit,
            expect: [Full, Full, Redacted, Redacted],
        },
        Row {
            case: "a visible card withdrawn",
            setup: card,
            who: by_maria,
            op: r#"{"kind":"withdraw_card","card_id":"c1"}"#,
            expect: [Full, Full, AsIs, AsIs],
        },
        Row {
            case: "a comment on a visible card",
            setup: card,
            who: by_luca,
            op: comment,
            expect: [Full, AsIs, Full, AsIs],
        },
        Row {
            case: "the author's comment on their anonymous card",
            setup: anonymous_card,
            who: by_maria,
            op: comment,
            expect: [Full, Full, Anonymised, Anonymised],
        },
        Row {
            case: "someone else's comment on an anonymous card",
            setup: anonymous_card,
            who: by_luca,
            op: comment,
            expect: [Full, AsIs, Full, AsIs],
        },
        Row {
            case: "a facilitator's comment on an anonymous card",
            setup: anonymous_card,
            who: by_facilitator,
            op: comment,
            expect: [Full, AsIs, AsIs, AsIs],
        },
        Row {
            case: "the author's comment on their own named card",
            setup: card,
            who: by_maria,
            op: comment,
            expect: [Full, Full, AsIs, AsIs],
        },
        Row {
            case: "a comment by a facilitator on a blind card",
            setup: blind_card,
            who: by_facilitator,
            op: comment,
            expect: [Full, Full, Redacted, Redacted],
        },
        Row {
            case: "a vote",
            setup: voting,
            who: by_luca,
            op: r#"{"kind":"vote","card_id":"c1"}"#,
            expect: [Full, VoteCounted, Full, VoteCounted],
        },
        Row {
            case: "a vote while the totals are hidden",
            setup: voting_with_totals_hidden,
            who: by_luca,
            op: r#"{"kind":"vote","card_id":"c1"}"#,
            expect: [Full, Redacted, Full, Redacted],
        },
        Row {
            case: "a visible card hidden",
            setup: card,
            who: by_facilitator,
            op: hide,
            // Its author reads why; the others see it leave.
            expect: [Full, Full, Removed, Removed],
        },
        Row {
            case: "a blind card hidden",
            setup: blind_card,
            who: by_facilitator,
            op: hide,
            expect: [Full, Full, Redacted, Redacted],
        },
        Row {
            case: "a hidden card restored",
            setup: hidden_card,
            who: by_facilitator,
            op: r#"{"kind":"restore","card_id":"c1"}"#,
            expect: [Full, Full, Revealed(1), Revealed(1)],
        },
        Row {
            case: "blind cards revealed",
            setup: blind_card,
            who: by_facilitator,
            op: r#"{"kind":"reveal"}"#,
            expect: [Full, Revealed(1), Revealed(1), Revealed(1)],
        },
        Row {
            case: "a visible card spotlighted",
            setup: card,
            who: by_facilitator,
            op: r#"{"kind":"spotlight","card_id":"c1"}"#,
            expect: [Full, AsIs, AsIs, AsIs],
        },
        Row {
            case: "a blind card spotlighted",
            setup: blind_card,
            who: by_facilitator,
            op: r#"{"kind":"spotlight","card_id":"c1"}"#,
            expect: [Full, Full, Redacted, Redacted],
        },
        Row {
            case: "a guest code enabled",
            setup: nothing,
            who: by_facilitator,
            op: r#"{"kind":"set_guest_code","enabled":true}"#,
            expect: [Full, Redacted, Redacted, Redacted],
        },
        Row {
            case: "a phase opened",
            setup: nothing,
            who: by_facilitator,
            op: r#"{"kind":"set_phase","phase":"voto"}"#,
            expect: [Full, AsIs, AsIs, AsIs],
        },
        Row {
            case: "the synthesis of an area written",
            setup: synthesis,
            who: by_facilitator,
            op: r#"{"kind":"write_synthesis","policy_area":"Anziani","text":"In sintesi"}"#,
            expect: [Full, AsIs, AsIs, AsIs],
        },
        Row {
            case: "an objective created",
            setup: synthesis,
            who: by_facilitator,
            op: r#"{"kind":"create_objective","objective_id":"o1","objective":{"title":"Dimissioni protette","needs":["c1"],"resources":[{"amount_cents":100,"fund":"fnps"}]}}"#,
            expect: [Full, AsIs, AsIs, AsIs],
        },
        Row {
            case: "an objective edited",
            setup: objective,
            who: by_facilitator,
            op: r#"{"kind":"edit_objective","objective_id":"o1","objective":{"title":"Dimissioni"}}"#,
            expect: [Full, AsIs, AsIs, AsIs],
        },
        Row {
            case: "an objective removed",
            setup: objective,
            who: by_facilitator,
            op: r#"{"kind":"remove_objective","objective_id":"o1"}"#,
            expect: [Full, AsIs, AsIs, AsIs],
        },
        Row {
            case: "an objective put back in the plan",
            setup: removed_objective,
            who: by_facilitator,
            op: r#"{"kind":"restore_objective","objective_id":"o1"}"#,
            expect: [Full, ObjectiveShown, ObjectiveShown, ObjectiveShown],
        },
        Row {
            case: "a participant's comment on an objective",
            setup: objective,
            who: by_luca,
            op: r#"{"kind":"comment_objective","objective_id":"o1","comment_id":"k1","text":"Bene"}"#,
            expect: [Full, AsIs, Full, AsIs],
        },
        Row {
            case: "a visible card marked as an open question",
            setup: synthesis,
            who: by_facilitator,
            op: r#"{"kind":"mark_card","card_id":"c1","mark":"questione_aperta","note":"Da decidere"}"#,
            expect: [Full, AsIs, AsIs, AsIs],
        },
        Row {
            case: "a blind card marked",
            setup: blind_card_in_synthesis,
            who: by_facilitator,
            op: r#"{"kind":"mark_card","card_id":"c1","mark":"co_progettazione"}"#,
            expect: [Full, Full, Redacted, Redacted],
        },
    ];
    for row in rows {
        let p = people();
        let mut b = Board::new();
        (row.setup)(&mut b, &p);
        let (rec, before) = b.op((row.who)(&p), row.op);
        let viewers = [&p.facilitator, &p.maria, &p.luca, &p.guest];
        let got: Vec<Got> = viewers
            .iter()
            .map(|v| received(&b.state, &rec, before, v))
            .collect();
        assert_eq!(got, row.expect, "{}", row.case);
    }
}

#[test]
fn public_frames_name_nobody_they_should_not() {
    let p = people();
    let mut b = Board::new();
    anonymous_card(&mut b, &p);
    let (rec, before) = b.op(
        &p.maria,
        r#"{"kind":"edit_card","card_id":"c1","card_type":"bisogno","text":"Di nuovo"}"#,
    );
    let public = public_event(&b.state, &rec, before);
    let (actor, event) = public.shown(&rec);
    let actor = serde_json::to_value(&actor).unwrap();
    assert_eq!(actor["id"], "anonimo");
    assert_eq!(actor["name"], "Anonimo");
    assert_eq!(serde_json::to_value(&event).unwrap()["kind"], "card_edited");

    b.op(&p.facilitator, r#"{"kind":"set_phase","phase":"voto"}"#);
    let (rec, before) = b.op(&p.luca, r#"{"kind":"vote","card_id":"c1"}"#);
    let public = public_event(&b.state, &rec, before);
    let actor = serde_json::to_value(public.shown(&rec).0).unwrap();
    assert_eq!(
        actor,
        serde_json::json!({"id": "*", "kind": "participant", "name": ""})
    );

    let (rec, before) = b.op(
        &p.facilitator,
        r#"{"kind":"hide","card_id":"c1","reason":"dati personali di un utente"}"#,
    );
    let public = public_event(&b.state, &rec, before);
    let (actor, event) = public.shown(&rec);
    assert_eq!(
        serde_json::to_value(&actor).unwrap(),
        serde_json::json!({"id": "*"})
    );
    let event = serde_json::to_value(&event).unwrap();
    assert_eq!(
        event,
        serde_json::json!({"kind": "card_removed", "card_id": "c1"}),
        "the reason stays with the facilitators"
    );
}

#[test]
fn revealed_cards_reach_the_public_as_the_public_sees_them() {
    let p = people();
    let mut b = Board::new();
    b.op(&p.facilitator, r#"{"kind":"set_blind","blind":true}"#);
    b.op(&p.facilitator, r#"{"kind":"set_anonymous","allowed":true}"#);
    b.add(&p.maria, "c1", r#","anonymous":true"#);
    let (rec, before) = b.op(&p.facilitator, r#"{"kind":"reveal"}"#);
    let PublicEvent::CardsRevealed { cards } = public_event(&b.state, &rec, before) else {
        panic!("a reveal is sent as the cards revealed")
    };
    assert_eq!(cards.len(), 1);
    assert_eq!(cards[0].author.id, ActorId::Anonymous);
    assert_eq!(cards[0].author.name, "Anonimo");
}

/// An objective put back in the plan reaches people whole (their boards dropped it), under the
/// facilitator's name, with the plan's order; live and loaded boards then agree.
#[test]
fn a_restored_objective_reaches_the_public_whole() {
    let p = people();
    let mut b = Board::new();
    removed_objective(&mut b, &p);
    b.op(
        &p.facilitator,
        r#"{"kind":"create_objective","objective_id":"o2","objective":{"title":"Dopo"}}"#,
    );
    assert!(!view_for(&b.state, &p.luca).objectives.contains_key("o1"));
    let (rec, before) = b.op(
        &p.facilitator,
        r#"{"kind":"restore_objective","objective_id":"o1"}"#,
    );
    let public = public_event(&b.state, &rec, before);
    let (actor, event) = public.shown(&rec);
    assert_eq!(serde_json::to_value(&actor).unwrap()["name"], "Silvia");
    let event = serde_json::to_value(&event).unwrap();
    assert_eq!(event["kind"], "objective_shown");
    assert_eq!(event["objective_order"], serde_json::json!(["o1", "o2"]));
    let loaded = view_for(&b.state, &p.luca);
    assert_eq!(
        event["objective"],
        serde_json::to_value(&loaded.objectives["o1"]).unwrap(),
        "the objective as a board loaded now holds it"
    );
    assert_eq!(event["objective"]["comments"][0]["text"], "Bene");
    assert_eq!(loaded.objective_order, ["o1", "o2"]);
}

/// While the totals are hidden a participant loads their own votes only, and cards revealed
/// meanwhile come without counts; shown (or the vote closed), everyone's count again.
#[test]
fn hidden_totals_are_not_loaded() {
    let p = people();
    let mut b = Board::new();
    b.add(&p.maria, "c1", "");
    b.op(&p.facilitator, r#"{"kind":"set_phase","phase":"voto"}"#);
    b.op(
        &p.facilitator,
        r#"{"kind":"set_votes_hidden","hidden":true}"#,
    );
    assert!(b.state.totals_hidden());
    b.op(&p.luca, r#"{"kind":"vote","card_id":"c1"}"#);
    b.op(&p.maria, r#"{"kind":"vote","card_id":"c1"}"#);
    b.op(&p.maria, r#"{"kind":"vote","card_id":"c1"}"#);
    let votes = |b: &Board, v: &Actor| view_for(&b.state, v).cards["c1"].votes.clone();
    assert_eq!(votes(&b, &p.maria), BTreeMap::from([(p.maria.id, 2)]));
    assert_eq!(votes(&b, &p.guest), BTreeMap::new());
    assert_eq!(votes(&b, &p.facilitator).values().sum::<u32>(), 3);
    assert!(public_totals(&b.state).is_empty());
    b.op(&p.facilitator, r#"{"kind":"set_phase","phase":"sintesi"}"#);
    assert!(!b.state.totals_hidden(), "moving on closes the vote");
    assert_eq!(
        votes(&b, &p.maria),
        BTreeMap::from([(ActorId::Others, 1), (p.maria.id, 2)])
    );
    assert_eq!(
        public_totals(&b.state),
        BTreeMap::from([("c1".to_string(), 3)])
    );
}

/// The state a viewer loads: which cards, under which author, with which votes.
#[test]
fn each_viewer_loads_the_board_the_rules_allow() {
    let p = people();
    let mut b = Board::new();
    b.op(&p.facilitator, r#"{"kind":"set_anonymous","allowed":true}"#);
    b.add(&p.maria, "visible", "");
    b.add(&p.maria, "anonymous", r#","anonymous":true"#);
    b.add(&p.maria, "hidden", "");
    b.op(
        &p.facilitator,
        r#"{"kind":"hide","card_id":"hidden","reason":"fuori tema"}"#,
    );
    b.add(&p.maria, "withdrawn", "");
    b.op(
        &p.maria,
        r#"{"kind":"withdraw_card","card_id":"withdrawn"}"#,
    );
    b.add(&p.maria, "merged", "");
    b.op(
        &p.facilitator,
        r#"{"kind":"merge","into":"visible","cards":["merged"]}"#,
    );
    b.op(&p.facilitator, r#"{"kind":"set_blind","blind":true}"#);
    b.add(&p.maria, "blind", "");
    b.op(&p.facilitator, r#"{"kind":"set_phase","phase":"voto"}"#);
    b.op(&p.luca, r#"{"kind":"vote","card_id":"visible"}"#);
    b.op(&p.maria, r#"{"kind":"vote","card_id":"visible"}"#);
    b.op(&p.maria, r#"{"kind":"vote","card_id":"visible"}"#);
    b.op(
        &p.facilitator,
        r#"{"kind":"set_guest_code","enabled":true}"#,
    );

    // (card, facilitator, maria = author, luca, guest): visible?
    let table = [
        ("visible", [true, true, true, true]),
        ("anonymous", [true, true, true, true]),
        ("hidden", [true, false, false, false]),
        ("withdrawn", [true, false, false, false]),
        ("merged", [true, false, false, false]),
        ("blind", [true, true, false, false]),
    ];
    let viewers = [&p.facilitator, &p.maria, &p.luca, &p.guest];
    for (card, expected) in table {
        for (viewer, visible) in viewers.iter().zip(expected) {
            let view = view_for(&b.state, viewer);
            assert_eq!(
                view.cards.contains_key(card),
                visible,
                "{card} seen by {}",
                viewer.name
            );
            assert_eq!(
                view.card_order.iter().any(|c| c == card),
                visible,
                "{card} in the order of {}",
                viewer.name
            );
        }
    }

    // Anonymous authors: named to facilitators and to themselves only.
    let author_seen_by = |v: &Actor| view_for(&b.state, v).cards["anonymous"].author.name.clone();
    assert_eq!(author_seen_by(&p.facilitator), "Maria");
    assert_eq!(author_seen_by(&p.maria), "Maria");
    assert_eq!(author_seen_by(&p.luca), "Anonimo");
    assert_eq!(author_seen_by(&p.guest), "Anonimo");

    // Votes: named to facilitators, one's own by id, the others' counted under `*`.
    let votes_seen_by = |v: &Actor| view_for(&b.state, v).cards["visible"].votes.clone();
    assert_eq!(votes_seen_by(&p.facilitator).len(), 2);
    let maria = votes_seen_by(&p.maria);
    assert_eq!(maria[&ActorId::Enrollment(1)], 2);
    assert_eq!(maria[&ActorId::Others], 1);
    let guest = votes_seen_by(&p.guest);
    assert_eq!(guest.len(), 1);
    assert_eq!(guest[&ActorId::Others], 3);
    assert_eq!(
        view_for(&b.state, &p.luca).spent["voto"].len(),
        1,
        "one sees only one's own spent votes"
    );

    // The guest code: staff only.
    assert!(view_for(&b.state, &p.facilitator).guest_code.is_some());
    for v in [&p.maria, &p.luca, &p.guest] {
        assert!(view_for(&b.state, v).guest_code.is_none());
    }

    // Whose view is their own.
    assert!(has_own(&b.state, p.maria.id));
    assert!(
        has_own(&b.state, p.luca.id),
        "a vote is something of one's own"
    );
    assert!(!has_own(&b.state, p.guest.id));
}

/// A carried card brings its history; who wrote an anonymous part of it stays unnamed.
#[test]
fn the_history_a_carried_card_brings_names_no_anonymous_author() {
    use crate::domain::board::{CarriedCard, Comment, MergedCard};
    let p = people();
    let mut b = Board::new();
    let content: crate::domain::cards::CardContent =
        serde_json::from_str(r#"{"card_type":"bisogno","text":"Anziani soli"}"#).unwrap();
    let carried = CarriedCard {
        from_card: "c1".into(),
        card_id: "k1".into(),
        column: "bisogno".into(),
        content: content.clone(),
        author: p.maria.clone(),
        anonymous: true,
        number: None,
        from_reference: Some("M1-1/B01".into()),
        created_at: Some(500),
        on_behalf_of: None,
        comments: vec![
            Comment {
                id: "m1".into(),
                author: p.maria.clone(),
                text: "Lo confermo".into(),
                at: 600,
                anonymous: true,
            },
            Comment {
                id: "m2".into(),
                author: p.guest.clone(),
                text: "Anche noi".into(),
                at: 700,
                anonymous: false,
            },
        ],
        merged: vec![MergedCard {
            meeting: 1,
            reference: Some("M1-1/B02".into()),
            content,
            author: p.luca.clone(),
            on_behalf_of: None,
            anonymous: true,
            created_at: 550,
        }],
    };
    // As the room receives it once `services::board::resolve_carry_over` filled it in.
    let op = Op::CarryOverCards {
        from_meeting: 1,
        cards: vec![carried],
    };
    let event = decide(&b.state, &p.facilitator, op, &[], || "X".into(), 1000).unwrap();
    let rec = EventRecord {
        seq: b.state.seq + 1,
        op_id: "carry".into(),
        actor: p.facilitator.clone(),
        at: 1000,
        event,
    };
    let before = card_was_public(&b.state, &rec.event);
    apply(&mut b.state, &rec);

    let history = |v: &Actor| {
        let card = view_for(&b.state, v).cards["k1"].clone();
        let from = card.carried_from.unwrap();
        (
            from.comments[0].author.name.clone(),
            from.comments[1].author.name.clone(),
            from.merged[0].author.name.clone(),
        )
    };
    assert_eq!(
        history(&p.facilitator),
        ("Maria".into(), "Ospite".into(), "Luca".into())
    );
    assert_eq!(
        history(&p.maria),
        ("Maria".into(), "Ospite".into(), "Anonimo".into())
    );
    assert_eq!(
        history(&p.luca),
        ("Anonimo".into(), "Ospite".into(), "Luca".into())
    );
    assert_eq!(
        history(&p.guest),
        ("Anonimo".into(), "Ospite".into(), "Anonimo".into())
    );
    // And live: the carried cards reach the public as the public sees them.
    let PublicEvent::CardsRevealed { cards } = public_event(&b.state, &rec, before) else {
        panic!("a carry-over reaches the public as the cards revealed")
    };
    let from = cards[0].carried_from.as_ref().unwrap();
    assert_eq!(from.comments[0].author.name, "Anonimo");
    assert_eq!(from.merged[0].author.name, "Anonimo");
    assert_eq!(cards[0].author.name, "Anonimo");
}

/// The author of an anonymous card who answers under it stays "Anonimo" to everyone but the
/// facilitators and themselves: in the board one loads, in the live frame, in cards revealed
/// again, and after the card is merged into another.
#[test]
fn the_author_of_an_anonymous_card_comments_under_it_as_anonimo() {
    let p = people();
    let mut b = Board::new();
    anonymous_card(&mut b, &p);
    b.add(&p.luca, "c2", "");
    let (rec, before) = b.op(
        &p.maria,
        r#"{"kind":"comment","card_id":"c1","comment_id":"k1","text":"Lo dico io"}"#,
    );
    b.op(
        &p.luca,
        r#"{"kind":"comment","card_id":"c1","comment_id":"k2","text":"D'accordo"}"#,
    );
    b.op(
        &p.maria,
        r#"{"kind":"comment","card_id":"c2","comment_id":"k3","text":"Anche qui"}"#,
    );

    // The live frame the public receives names nobody.
    let public = public_event(&b.state, &rec, before);
    assert_eq!(public, PublicEvent::Anonymised);
    let (actor, event) = public.shown(&rec);
    let actor = serde_json::to_value(&actor).unwrap();
    assert_eq!(
        (actor["id"].as_str(), actor["name"].as_str()),
        (Some("anonimo"), Some("Anonimo"))
    );
    assert_eq!(serde_json::to_value(&event).unwrap()["text"], "Lo dico io");

    // (card, comment, facilitator, maria = author, luca, guest): the name each one reads.
    let names = |card: &str, comment: &str| -> Vec<String> {
        [&p.facilitator, &p.maria, &p.luca, &p.guest]
            .iter()
            .map(|v| {
                let view = view_for(&b.state, v);
                let c = view.cards[card]
                    .comments
                    .iter()
                    .find(|k| k.id == comment)
                    .unwrap();
                c.author.name.clone()
            })
            .collect()
    };
    let table = [
        ("c1", "k1", ["Maria", "Maria", "Anonimo", "Anonimo"]),
        ("c1", "k2", ["Luca", "Luca", "Luca", "Luca"]),
        ("c2", "k3", ["Maria", "Maria", "Maria", "Maria"]),
    ];
    for (card, comment, expected) in table {
        assert_eq!(names(card, comment), expected, "{comment} on {card}");
    }
    let hidden_id = view_for(&b.state, &p.luca).cards["c1"].comments[0]
        .author
        .id;
    assert_eq!(hidden_id, ActorId::Anonymous, "not even the id");

    // Hidden and restored: the card comes back as the public sees it.
    b.op(
        &p.facilitator,
        r#"{"kind":"hide","card_id":"c1","reason":"fuori tema"}"#,
    );
    let (rec, before) = b.op(&p.facilitator, r#"{"kind":"restore","card_id":"c1"}"#);
    let PublicEvent::CardsRevealed { cards } = public_event(&b.state, &rec, before) else {
        panic!("a restored card is sent as revealed")
    };
    assert_eq!(cards[0].comments[0].author.id, ActorId::Anonymous);
    assert_eq!(cards[0].comments[1].author.name, "Luca");

    // Merged into a named card, the comment keeps its anonymity.
    b.op(
        &p.facilitator,
        r#"{"kind":"merge","into":"c2","cards":["c1"]}"#,
    );
    let moved = |v: &Actor| {
        view_for(&b.state, v).cards["c2"]
            .comments
            .iter()
            .find(|k| k.id == "k1")
            .unwrap()
            .author
            .name
            .clone()
    };
    assert_eq!(moved(&p.luca), "Anonimo");
    assert_eq!(moved(&p.guest), "Anonimo");
    assert_eq!(moved(&p.maria), "Maria");
    assert_eq!(moved(&p.facilitator), "Maria");
}

/// The synthesis as each viewer loads it: syntheses and objectives for everyone, the
/// objectives taken out of the plan for facilitators only, marks with the cards one may see.
#[test]
fn each_viewer_loads_the_synthesis_the_rules_allow() {
    let p = people();
    let mut b = Board::new();
    b.add(&p.maria, "visible", "");
    b.add(&p.maria, "hidden", "");
    b.op(&p.facilitator, r#"{"kind":"set_phase","phase":"sintesi"}"#);
    for card in ["visible", "hidden"] {
        b.op(
            &p.facilitator,
            &format!(r#"{{"kind":"mark_card","card_id":"{card}","mark":"questione_aperta"}}"#),
        );
    }
    b.op(
        &p.facilitator,
        r#"{"kind":"hide","card_id":"hidden","reason":"dati personali"}"#,
    );
    b.op(
        &p.facilitator,
        r#"{"kind":"write_synthesis","policy_area":"Anziani","text":"Sintesi"}"#,
    );
    for id in ["kept", "removed"] {
        b.op(
            &p.facilitator,
            &format!(
                r#"{{"kind":"create_objective","objective_id":"{id}","objective":{{"title":"{id}"}}}}"#
            ),
        );
    }
    b.op(
        &p.facilitator,
        r#"{"kind":"remove_objective","objective_id":"removed"}"#,
    );
    // (what, facilitator, maria, luca, guest): seen?
    let viewers = [&p.facilitator, &p.maria, &p.luca, &p.guest];
    type Seen = fn(&BoardState) -> bool;
    let table: [(&str, Seen, [bool; 4]); 4] = [
        (
            "the synthesis",
            |v| v.syntheses.contains_key("Anziani"),
            [true; 4],
        ),
        (
            "the objective kept",
            |v| v.objectives.contains_key("kept"),
            [true; 4],
        ),
        (
            "the objective removed",
            |v| v.objectives.contains_key("removed") && v.objective_order.len() == 2,
            [true, false, false, false],
        ),
        (
            "the mark of the hidden card",
            |v| v.cards.get("hidden").is_some_and(|c| c.mark.is_some()),
            [true, false, false, false],
        ),
    ];
    for (what, seen, expected) in table {
        for (viewer, want) in viewers.iter().zip(expected) {
            assert_eq!(
                seen(&view_for(&b.state, viewer)),
                want,
                "{what} seen by {}",
                viewer.name
            );
        }
    }
    assert!(view_for(&b.state, &p.luca).cards["visible"].mark.is_some());
}
