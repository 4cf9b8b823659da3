//! The event model end to end: operations decided and applied, as the room does.

use super::*;
use crate::domain::board::limits;
use crate::domain::cards::CardContent;
use crate::domain::workshop::BoardTemplate;

pub(super) fn template() -> BoardTemplate {
    crate::domain::defaults::board_template()
}

/// Enrolled participant number `n`, named after their id.
pub(super) fn person(n: i64) -> Actor {
    Actor {
        id: ActorId::Enrollment(n),
        kind: ActorKind::Participant,
        name: format!("e:{n}"),
        organisation: Some("Comune di Lecco".into()),
        ambito: None,
    }
}

pub(super) fn conductor() -> Actor {
    Actor {
        id: ActorId::Account(1),
        kind: ActorKind::Facilitator,
        name: "Silvia".into(),
        organisation: None,
        ambito: None,
    }
}

pub(super) struct Board {
    pub(super) state: BoardState,
    /// The clock of the next operation.
    pub(super) now: i64,
    /// The workshop's policy areas (none: any area is accepted).
    pub(super) areas: Vec<String>,
    /// Every event stored so far, as stored.
    pub(super) stored: Vec<String>,
}

impl Board {
    pub(super) fn new() -> Board {
        Board {
            state: BoardState::new(1, template()),
            now: 1000,
            areas: Vec::new(),
            stored: Vec::new(),
        }
    }

    pub(super) fn op(&mut self, actor: &Actor, json: &str) -> Result<(), Refusal> {
        let op: Op = serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"));
        let event = decide(
            &self.state,
            actor,
            op,
            &self.areas,
            || "ABC123".into(),
            self.now,
        )?;
        let rec = EventRecord {
            seq: self.state.seq + 1,
            op_id: format!("op{}", self.state.seq + 1),
            actor: actor.clone(),
            at: self.now,
            event,
        };
        // Events survive a round trip through their stored form.
        let stored = serde_json::to_string(&rec).unwrap();
        apply(&mut self.state, &serde_json::from_str(&stored).unwrap());
        self.stored.push(stored);
        Ok(())
    }
}

#[test]
fn ops_use_the_flat_wire_format() {
    let op: Op = serde_json::from_str(r#"{"kind":"add_card","card_id":"c1","card_type":"bisogno","text":"Solitudine degli anziani","policy_area":"Anziani"}"#).unwrap();
    let Op::AddCard {
        content: CardContent::Bisogno(n),
        ..
    } = op
    else {
        panic!("{op:?}")
    };
    assert_eq!(n.policy_area.as_deref(), Some("Anziani"));
    let op: Op = serde_json::from_str(r#"{"kind":"add_card","card_id":"c2","card_type":"indicatore","name":"Utenti SAD","baseline_value":"3","baseline_date":"2021-12-31"}"#).unwrap();
    assert!(matches!(
        op,
        Op::AddCard {
            content: CardContent::Indicatore(_),
            ..
        }
    ));
    assert!(serde_json::from_str::<Op>(r#"{"kind":"teleport"}"#).is_err());
}

#[test]
fn phases_say_what_participants_may_do() {
    let mut b = Board::new();
    let maria = person(1);
    let err = b
        .op(
            &maria,
            r#"{"kind":"add_card","card_id":"c1","card_type":"bisogno","text":"x"}"#,
        )
        .unwrap_err();
    assert_eq!(err.code, "phase");
    assert!(err.message.contains("Preparazione"));
    assert_eq!(
        b.op(&maria, r#"{"kind":"set_phase","phase":"raccolta"}"#)
            .unwrap_err()
            .code,
        "forbidden"
    );
    b.op(&conductor(), r#"{"kind":"set_phase","phase":"raccolta"}"#)
        .unwrap();
    b.op(
        &maria,
        r#"{"kind":"add_card","card_id":"c1","card_type":"bisogno","text":"Solitudine"}"#,
    )
    .unwrap();
    b.op(&conductor(), r#"{"kind":"lock","locked":true}"#)
        .unwrap();
    assert_eq!(
        b.op(
            &maria,
            r#"{"kind":"add_card","card_id":"c2","card_type":"bisogno","text":"y"}"#
        )
        .unwrap_err()
        .code,
        "locked"
    );
    b.op(&conductor(), r#"{"kind":"lock","locked":false}"#)
        .unwrap();
    // Only the author edits a card.
    let luca = person(2);
    assert_eq!(
        b.op(
            &luca,
            r#"{"kind":"edit_card","card_id":"c1","card_type":"bisogno","text":"z"}"#
        )
        .unwrap_err()
        .code,
        "not_author"
    );
    b.op(&maria, r#"{"kind":"edit_card","card_id":"c1","card_type":"bisogno","text":"Solitudine degli anziani soli"}"#).unwrap();
    assert_eq!(
        b.state.cards["c1"].content.title(),
        "Solitudine degli anziani soli"
    );
}

#[test]
fn votes_stay_within_the_budget_of_the_phase() {
    let mut b = Board::new();
    let maria = person(1);
    b.op(&conductor(), r#"{"kind":"set_phase","phase":"raccolta"}"#)
        .unwrap();
    b.op(
        &maria,
        r#"{"kind":"add_card","card_id":"c1","card_type":"bisogno","text":"a"}"#,
    )
    .unwrap();
    assert_eq!(
        b.op(&maria, r#"{"kind":"vote","card_id":"c1"}"#)
            .unwrap_err()
            .code,
        "phase"
    );
    b.op(&conductor(), r#"{"kind":"set_phase","phase":"voto"}"#)
        .unwrap();
    b.op(
        &conductor(),
        r#"{"kind":"set_vote_budget","phase":"voto","budget":2}"#,
    )
    .unwrap();
    b.op(&maria, r#"{"kind":"vote","card_id":"c1"}"#).unwrap();
    b.op(&maria, r#"{"kind":"vote","card_id":"c1"}"#).unwrap();
    let err = b
        .op(&maria, r#"{"kind":"vote","card_id":"c1"}"#)
        .unwrap_err();
    assert_eq!(err.code, "budget");
    assert!(
        err.message.contains("tutti i tuoi 2 voti"),
        "{}",
        err.message
    );
    b.op(&maria, r#"{"kind":"unvote","card_id":"c1"}"#).unwrap();
    b.op(&maria, r#"{"kind":"vote","card_id":"c1"}"#).unwrap();
    assert_eq!(b.state.cards["c1"].total_votes(), 2);
    // A budget of one: the refusal speaks of "il tuo voto", not of "tutti i tuoi 1 voti".
    b.op(
        &conductor(),
        r#"{"kind":"set_vote_budget","phase":"voto","budget":1}"#,
    )
    .unwrap();
    let err = b
        .op(&maria, r#"{"kind":"vote","card_id":"c1"}"#)
        .unwrap_err();
    assert_eq!(err.code, "budget");
    assert!(
        err.message.starts_with("Hai già usato il tuo voto"),
        "{}",
        err.message
    );
}

#[test]
fn blind_cards_are_seen_by_their_author_and_facilitators_until_revealed() {
    let mut b = Board::new();
    let (maria, luca) = (person(1), person(2));
    b.op(&conductor(), r#"{"kind":"set_phase","phase":"raccolta"}"#)
        .unwrap();
    b.op(&conductor(), r#"{"kind":"set_blind","blind":true}"#)
        .unwrap();
    b.op(
        &maria,
        r#"{"kind":"add_card","card_id":"c1","card_type":"bisogno","text":"segreto"}"#,
    )
    .unwrap();
    assert!(view_for(&b.state, &maria).cards.contains_key("c1"));
    assert!(!view_for(&b.state, &luca).cards.contains_key("c1"));
    assert!(view_for(&b.state, &conductor()).cards.contains_key("c1"));
    b.op(&conductor(), r#"{"kind":"reveal"}"#).unwrap();
    assert!(view_for(&b.state, &luca).cards.contains_key("c1"));
}

#[test]
fn hide_merge_group_move_spotlight_and_timer() {
    let mut b = Board::new();
    let maria = person(1);
    let f = conductor();
    b.op(&f, r#"{"kind":"set_phase","phase":"raccolta"}"#)
        .unwrap();
    for id in ["c1", "c2", "c3"] {
        b.op(
            &maria,
            &format!(
                r#"{{"kind":"add_card","card_id":"{id}","card_type":"bisogno","text":"{id}"}}"#
            ),
        )
        .unwrap();
    }
    assert_eq!(
        b.op(
            &maria,
            r#"{"kind":"hide","card_id":"c3","reason":"fuori tema"}"#
        )
        .unwrap_err()
        .code,
        "forbidden"
    );
    b.op(
        &f,
        r#"{"kind":"hide","card_id":"c3","reason":"fuori tema"}"#,
    )
    .unwrap();
    assert!(!view_for(&b.state, &maria).cards.contains_key("c3"));
    b.op(&f, r#"{"kind":"restore","card_id":"c3"}"#).unwrap();
    b.op(&f, r#"{"kind":"merge","into":"c1","cards":["c2"]}"#)
        .unwrap();
    assert_eq!(
        b.state.cards["c2"].state,
        CardState::Merged { into: "c1".into() }
    );
    assert_eq!(b.state.active_cards().count(), 2);
    b.op(
        &f,
        r#"{"kind":"create_group","group_id":"g1","title":"Anziani soli","column":"bisogno"}"#,
    )
    .unwrap();
    b.op(&f, r#"{"kind":"group","card_id":"c1","group_id":"g1"}"#)
        .unwrap();
    assert_eq!(b.state.cards["c1"].group.as_deref(), Some("g1"));
    b.op(&f, r#"{"kind":"move","card_id":"c1","column":"proposta"}"#)
        .unwrap();
    assert_eq!(
        b.state.cards["c1"].group, None,
        "moving leaves the theme of the old column"
    );
    b.op(&f, r#"{"kind":"spotlight","card_id":"c3"}"#).unwrap();
    assert_eq!(b.state.spotlight.as_deref(), Some("c3"));
    b.op(&f, r#"{"kind":"timer","action":"start","seconds":300}"#)
        .unwrap();
    assert_eq!(
        b.state.timer,
        Some(Timer::Running {
            ends_at: 301_000,
            duration_ms: 300_000
        })
    );
    b.op(&f, r#"{"kind":"timer","action":"pause"}"#).unwrap();
    assert!(matches!(b.state.timer, Some(Timer::Paused { .. })));
    assert_eq!(
        b.op(&f, r#"{"kind":"timer","action":"start","seconds":0}"#)
            .unwrap_err()
            .code,
        "invalid"
    );
}

#[test]
fn withdrawing_hiding_and_restoring_update_the_card() {
    let mut b = Board::new();
    let maria = person(1);
    let f = conductor();
    b.op(&f, r#"{"kind":"set_phase","phase":"raccolta"}"#)
        .unwrap();
    b.op(
        &maria,
        r#"{"kind":"add_card","card_id":"c1","card_type":"bisogno","text":"a"}"#,
    )
    .unwrap();
    b.op(
        &maria,
        r#"{"kind":"add_card","card_id":"c2","card_type":"bisogno","text":"b"}"#,
    )
    .unwrap();
    b.now = 2000;
    b.op(
        &f,
        r#"{"kind":"hide","card_id":"c1","reason":"dati personali"}"#,
    )
    .unwrap();
    assert_eq!(b.state.cards["c1"].updated_at, 2000);
    b.now = 3000;
    b.op(&f, r#"{"kind":"restore","card_id":"c1"}"#).unwrap();
    assert_eq!(b.state.cards["c1"].updated_at, 3000);
    b.now = 4000;
    b.op(&maria, r#"{"kind":"withdraw_card","card_id":"c2"}"#)
        .unwrap();
    assert_eq!(b.state.cards["c2"].updated_at, 4000);
    assert_eq!(b.state.cards["c2"].created_at, 1000);
}

#[test]
fn anonymous_cards_hide_their_author_from_others() {
    let mut b = Board::new();
    let (maria, luca) = (person(1), person(2));
    b.op(&conductor(), r#"{"kind":"set_phase","phase":"raccolta"}"#)
        .unwrap();
    assert_eq!(b.op(&maria, r#"{"kind":"add_card","card_id":"c1","card_type":"bisogno","text":"a","anonymous":true}"#).unwrap_err().code, "anonymous_off");
    b.op(&conductor(), r#"{"kind":"set_anonymous","allowed":true}"#)
        .unwrap();
    b.op(
        &maria,
        r#"{"kind":"add_card","card_id":"c1","card_type":"bisogno","text":"a","anonymous":true}"#,
    )
    .unwrap();
    assert_eq!(view_for(&b.state, &luca).cards["c1"].author.name, "Anonimo");
    assert_eq!(view_for(&b.state, &maria).cards["c1"].author.name, "e:1");
}

/// Events stored before a field existed still load: the fold reads them with its default.
#[test]
fn a_card_written_for_someone_before_the_ambito_was_asked_still_loads() {
    let stored = r#"{"kind":"card_added","card_id":"c1","column":"bisogno","anonymous":false,"on_behalf_of":{"name":"Anna","organisation":"ATS Bergamo"},"revealed":true,"content":{"card_type":"bisogno","text":"a"}}"#;
    let event: Event = serde_json::from_str(stored).unwrap();
    let Event::CardAdded { on_behalf_of, .. } = event else {
        panic!("a card added")
    };
    let behalf = on_behalf_of.unwrap();
    assert_eq!(behalf.organisation.as_deref(), Some("ATS Bergamo"));
    assert_eq!(behalf.ambito, None);
}

#[test]
fn a_card_written_for_someone_names_them_within_the_limits() {
    let mut b = Board::new();
    let f = conductor();
    b.op(&f, r#"{"kind":"set_phase","phase":"raccolta"}"#)
        .unwrap();
    let long_body = "x".repeat(limits::ON_BEHALF_ORGANISATION + 1);
    let err = b
        .op(
            &f,
            &format!(
                r#"{{"kind":"add_card","card_id":"c1","card_type":"bisogno","text":"a","on_behalf_of":{{"name":"Anna Bianchi","organisation":"{long_body}"}}}}"#
            ),
        )
        .unwrap_err();
    assert_eq!(err.code, "invalid");
    assert!(err.message.contains("300"), "{}", err.message);
    assert!(b.state.cards.is_empty());
    b.op(
        &f,
        r#"{"kind":"add_card","card_id":"c1","card_type":"bisogno","text":"a","on_behalf_of":{"name":"  Anna Bianchi ","organisation":"ATS Bergamo"}}"#,
    )
    .unwrap();
    let card = &b.state.cards["c1"];
    let behalf = card.on_behalf_of.as_ref().unwrap();
    assert_eq!(behalf.name, "Anna Bianchi");
    assert_eq!(behalf.organisation.as_deref(), Some("ATS Bergamo"));
    assert_eq!(behalf.ambito, None, "the Ambito is optional");

    // The Ambito of the person written for: trimmed, within its limit, no control characters;
    // the card then speaks for that body and Ambito, not the facilitator's.
    let long_ambito = "x".repeat(limits::ON_BEHALF_AMBITO + 1);
    let with = |id: &str, ambito: &str| {
        format!(
            r#"{{"kind":"add_card","card_id":"{id}","card_type":"bisogno","text":"a","on_behalf_of":{{"name":"Anna","organisation":"ATS Bergamo","ambito":"{ambito}"}}}}"#
        )
    };
    let err = b.op(&f, &with("c9", &long_ambito)).unwrap_err();
    assert_eq!(err.code, "invalid");
    assert!(err.message.contains("120"), "{}", err.message);
    // A control character, as JSON sends it.
    let err = b.op(&f, &with("c9", r"Ambito\u0007")).unwrap_err();
    assert_eq!(err.code, "invalid");
    assert!(err.message.contains("non ammessi"), "{}", err.message);
    assert!(!b.state.cards.contains_key("c9"));
    b.op(&f, &with("c3", "  Ambito di Dalmine ")).unwrap();
    let card = &b.state.cards["c3"];
    assert_eq!(
        card.on_behalf_of.as_ref().unwrap().ambito.as_deref(),
        Some("Ambito di Dalmine")
    );
    assert_eq!(card.ambito(), Some("Ambito di Dalmine"));
    assert_eq!(card.organisation(), Some("ATS Bergamo"));
    b.op(&f, &with("c4", "   ")).unwrap();
    assert_eq!(
        b.state.cards["c4"].on_behalf_of.as_ref().unwrap().ambito,
        None
    );
    let maria = person(1);
    assert_eq!(
        b.op(
            &maria,
            r#"{"kind":"add_card","card_id":"c2","card_type":"bisogno","text":"a","on_behalf_of":{"name":"Anna"}}"#,
        )
        .unwrap_err()
        .code,
        "forbidden",
        "only facilitators write for someone else"
    );
}

#[test]
fn each_card_is_numbered_once_per_kind_and_keeps_its_number() {
    let mut b = Board::new();
    let (maria, f) = (person(1), conductor());
    b.op(&f, r#"{"kind":"set_phase","phase":"raccolta"}"#)
        .unwrap();
    for (id, kind, field) in [
        ("c1", "bisogno", "text"),
        ("c2", "proposta", "title"),
        ("c3", "bisogno", "text"),
        ("c4", "indicatore", "name"),
    ] {
        b.op(
            &maria,
            &format!(
                r#"{{"kind":"add_card","card_id":"{id}","card_type":"{kind}","{field}":"x"}}"#
            ),
        )
        .unwrap();
    }
    b.op(&maria, r#"{"kind":"withdraw_card","card_id":"c3"}"#)
        .unwrap();
    b.op(
        &maria,
        r#"{"kind":"add_card","card_id":"c5","card_type":"bisogno","text":"y"}"#,
    )
    .unwrap();
    let refs: Vec<String> = ["c1", "c2", "c3", "c4", "c5"]
        .iter()
        .map(|id| b.state.cards[*id].reference("M1-2"))
        .collect();
    assert_eq!(
        refs,
        ["M1-2/B01", "M1-2/P01", "M1-2/B02", "M1-2/I01", "M1-2/B03"],
        "a withdrawn card keeps its number: numbers are never reused"
    );
}

#[test]
fn the_number_in_the_event_is_the_one_everybody_keeps_and_old_events_are_counted() {
    let mut state = BoardState::new(1, template());
    let maria = person(1);
    let add = |seq: i64, id: &str, number: Option<u32>| EventRecord {
        seq,
        op_id: format!("op{seq}"),
        actor: maria.clone(),
        at: 1000,
        event: Event::CardAdded {
            card_id: id.into(),
            column: "bisogno".into(),
            anonymous: false,
            on_behalf_of: None,
            revealed: true,
            content: serde_json::from_str(r#"{"card_type":"bisogno","text":"x"}"#).unwrap(),
            number,
        },
    };
    // Written before cards had numbers: the fold counts.
    apply(&mut state, &add(1, "a", None));
    apply(&mut state, &add(2, "b", None));
    // Written with a number: the fold keeps it (a browser that missed a hidden card still
    // shows the right one).
    apply(&mut state, &add(3, "c", Some(7)));
    let numbers: Vec<u32> = ["a", "b", "c"]
        .iter()
        .map(|id| state.cards[*id].number)
        .collect();
    assert_eq!(numbers, [1, 2, 7]);
    let stored = serde_json::to_string(&add(1, "a", None).event).unwrap();
    assert!(!stored.contains("number"), "old events keep their form");
}

#[test]
fn only_facilitators_hide_and_show_vote_totals() {
    let mut b = Board::new();
    let refused = b
        .op(&person(1), r#"{"kind":"set_votes_hidden","hidden":true}"#)
        .unwrap_err();
    assert_eq!(refused.code, "forbidden");
    assert!(!b.state.votes_hidden);
    b.op(&conductor(), r#"{"kind":"set_votes_hidden","hidden":true}"#)
        .unwrap();
    assert!(b.state.votes_hidden);
    assert!(
        b.stored
            .last()
            .unwrap()
            .contains(r#""kind":"votes_hidden_set","hidden":true"#)
    );
    b.op(
        &conductor(),
        r#"{"kind":"set_votes_hidden","hidden":false}"#,
    )
    .unwrap();
    assert!(!b.state.votes_hidden);
}
