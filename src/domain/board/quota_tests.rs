//! The volume quotas, decided on the board's state: per person (cards, comments, text) and per
//! board (cards, text), refused with their code and an Italian message, the board unchanged.

use super::tests::{Board, conductor, person};
use super::*;

fn collecting() -> Board {
    let mut b = Board::new();
    b.op(&conductor(), r#"{"kind":"set_phase","phase":"raccolta"}"#)
        .unwrap();
    b
}

fn add(b: &mut Board, who: &Actor, id: &str) -> Result<(), Refusal> {
    b.op(
        who,
        &format!(
            r#"{{"kind":"add_card","card_id":"{id}","card_type":"bisogno","text":"Bisogno {id}"}}"#
        ),
    )
}

/// Refused, with the board as it was.
fn refused(b: &mut Board, who: &Actor, json: &str) -> Refusal {
    let before = b.state.clone();
    let r = b.op(who, json).unwrap_err();
    assert_eq!(b.state, before, "a refusal changes nothing");
    r
}

#[test]
fn a_person_writes_at_most_their_quota_of_cards_withdrawn_ones_included() {
    let mut b = collecting();
    let maria = person(1);
    for i in 0..limits::CARDS_PER_PERSON {
        add(&mut b, &maria, &format!("m{i}")).unwrap();
    }
    // Withdrawing gives nothing back: the card stays in the record.
    b.op(&maria, r#"{"kind":"withdraw_card","card_id":"m0"}"#)
        .unwrap();
    let r = refused(
        &mut b,
        &maria,
        r#"{"kind":"add_card","card_id":"over","card_type":"bisogno","text":"Uno di troppo"}"#,
    );
    assert_eq!(r.code, QUOTA);
    assert_eq!(
        r.message,
        "Hai raggiunto il numero massimo di contributi per questo incontro (100)."
    );
    assert_eq!(cards_by(&b.state, maria.id), limits::CARDS_PER_PERSON);
    // Someone else still writes, and so does a facilitator beyond any personal quota.
    add(&mut b, &person(2), "l0").unwrap();
    for i in 0..=limits::CARDS_PER_PERSON {
        add(&mut b, &conductor(), &format!("f{i}")).unwrap();
    }
}

#[test]
fn a_person_writes_at_most_their_quota_of_comments_on_cards_and_objectives() {
    let mut b = collecting();
    let maria = person(1);
    add(&mut b, &conductor(), "c1").unwrap();
    for i in 0..limits::COMMENTS_PER_PERSON {
        b.op(
            &maria,
            &format!(
                r#"{{"kind":"comment","card_id":"c1","comment_id":"k{i}","text":"Commento {i}"}}"#
            ),
        )
        .unwrap();
    }
    let r = refused(
        &mut b,
        &maria,
        r#"{"kind":"comment","card_id":"c1","comment_id":"over","text":"Ancora uno"}"#,
    );
    assert_eq!(r.code, QUOTA);
    assert_eq!(
        r.message,
        "Hai raggiunto il numero massimo di commenti per questo incontro (300)."
    );
    assert_eq!(comments_by(&b.state, maria.id), limits::COMMENTS_PER_PERSON);
    b.op(
        &person(2),
        r#"{"kind":"comment","card_id":"c1","comment_id":"l1","text":"Il mio"}"#,
    )
    .unwrap();
}

#[test]
fn a_person_cannot_fill_the_board_with_text_alone() {
    let mut b = collecting();
    let maria = person(1);
    // Long needs (10,000 two-byte characters: 20,000 bytes each) until the quota refuses.
    let long = "è".repeat(crate::domain::card_fields::MAX_TEXT);
    let mut written = 0;
    let refusal = loop {
        let json = format!(
            r#"{{"kind":"add_card","card_id":"t{written}","card_type":"bisogno","text":"{long}"}}"#
        );
        match b.op(&maria, &json) {
            Ok(()) => written += 1,
            Err(r) => break r,
        }
    };
    assert_eq!(refusal.code, QUOTA, "{} after {written}", refusal.message);
    assert_eq!(written, limits::TEXT_PER_PERSON / long.len());
    assert!(text_by(&b.state, maria.id) <= limits::TEXT_PER_PERSON);
    // Shortening a card is always allowed, and gives its room back to its author only.
    b.op(
        &maria,
        r#"{"kind":"edit_card","card_id":"t0","card_type":"bisogno","text":"Breve"}"#,
    )
    .unwrap();
    let again =
        format!(r#"{{"kind":"add_card","card_id":"again","card_type":"bisogno","text":"{long}"}}"#);
    assert_eq!(refused(&mut b, &maria, &again).code, QUOTA);
    b.op(
        &maria,
        &format!(r#"{{"kind":"edit_card","card_id":"t0","card_type":"bisogno","text":"{long}"}}"#),
    )
    .unwrap();
    add(&mut b, &person(2), "luca").unwrap();
}

#[test]
fn the_board_holds_at_most_its_cards_for_everyone() {
    let mut b = collecting();
    let f = conductor();
    for i in 0..limits::CARDS_PER_BOARD - 1 {
        add(&mut b, &f, &format!("c{i}")).unwrap();
    }
    // One place left: a carry-over of two cards is refused, saying how many still fit.
    let carried = |id: &str| CarriedCard {
        from_card: id.into(),
        card_id: format!("m9-{id}"),
        column: "bisogno".into(),
        content: serde_json::from_str(r#"{"card_type":"bisogno","text":"Riportato"}"#).unwrap(),
        author: person(1),
        anonymous: false,
        number: None,
        from_reference: None,
        created_at: None,
        on_behalf_of: None,
        comments: vec![],
        merged: vec![],
    };
    let op = Op::CarryOverCards {
        from_meeting: 9,
        cards: vec![carried("a"), carried("b")],
    };
    let r = decide(&b.state, &f, op, &[], String::new, b.now).unwrap_err();
    assert_eq!(r.code, BOARD_FULL);
    assert_eq!(
        r.message,
        "La lavagna può accogliere ancora 1 contributo (al massimo 2000 in tutto)."
    );
    add(&mut b, &person(1), "last").unwrap();
    for who in [f.clone(), person(2)] {
        let r = refused(
            &mut b,
            &who,
            r#"{"kind":"add_card","card_id":"over","card_type":"bisogno","text":"Troppi"}"#,
        );
        assert_eq!(r.code, BOARD_FULL);
        assert_eq!(
            r.message,
            "La lavagna ha raggiunto il numero massimo di contributi (2000): non se ne possono aggiungere altri."
        );
    }
    assert_eq!(b.state.cards.len(), limits::CARDS_PER_BOARD);
}

#[test]
fn the_board_holds_at_most_its_text_for_everyone() {
    let mut b = collecting();
    let f = conductor();
    add(&mut b, &f, "c1").unwrap();
    let long = "è".repeat(limits::COMMENT);
    let mut n = 0;
    let refusal = loop {
        let json =
            format!(r#"{{"kind":"comment","card_id":"c1","comment_id":"k{n}","text":"{long}"}}"#);
        match b.op(&f, &json) {
            Ok(()) => n += 1,
            Err(r) => break r,
        }
        assert!(n <= limits::TEXT_PER_BOARD / long.len(), "never refused");
    };
    assert_eq!(refusal.code, BOARD_FULL);
    assert_eq!(
        refusal.message,
        "La lavagna ha raggiunto lo spazio massimo per i testi (5 MB): non si possono aggiungere altri testi."
    );
    assert!(text_size(&b.state) <= limits::TEXT_PER_BOARD);
    assert!(text_size(&b.state) + long.len() > limits::TEXT_PER_BOARD);
    // A participant is refused too, though far from their own quota.
    let r = refused(
        &mut b,
        &person(1),
        &format!(r#"{{"kind":"add_card","card_id":"p1","card_type":"bisogno","text":"{long}"}}"#),
    );
    assert_eq!(r.code, BOARD_FULL);
}
