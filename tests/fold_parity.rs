//! One fold, proven twice. The browser keeps its own copy of the board's fold (`apply` in
//! static/board/model.js) to apply live events without asking the server; this test and
//! tests/js/fold_parity.test.mjs (run by `.ci/run`) fold the same stored events, from the same
//! empty board, and must both reach the one committed state in tests/fixtures/board-fold/, so
//! neither side can drift.
//!
//! After an intended change of the fold, regenerate `initial.json` and `expected.json` with
//! `TAVOLO_UPDATE_SNAPSHOTS=1 cargo test --test fold_parity`, review the diff, and make the
//! browser's fold agree (`node --test tests/js/`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;
use tavolo::domain::board::{BoardState, Event, EventRecord, apply};
use tavolo::domain::workshop::BoardTemplate;

#[derive(Deserialize)]
struct Fixture {
    meeting_id: i64,
    template: BoardTemplate,
    /// Kept as JSON to check that each record is in the form the server writes.
    events: Vec<Value>,
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/board-fold")
}

fn fixture() -> Fixture {
    let text = std::fs::read_to_string(dir().join("events.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Compares `value` with the committed file `name` (pretty JSON, keys sorted: serde_json's map
/// is ordered). Rewrites it only when asked; a missing file is a failure, never created quietly.
fn check_snapshot(name: &str, value: &Value) {
    let path = dir().join(name);
    let text = serde_json::to_string_pretty(value).unwrap() + "\n";
    if std::env::var_os("TAVOLO_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let kept = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; generate it with TAVOLO_UPDATE_SNAPSHOTS=1",
            path.display()
        )
    });
    assert!(
        kept == text,
        "{} differs from the Rust fold: review the change, then regenerate with \
         TAVOLO_UPDATE_SNAPSHOTS=1 and make the browser's fold agree",
        path.display()
    );
}

/// The wire name of an event's kind. The match has no catch-all: a new kind of event does not
/// compile here until it is named, and then the fixture must cover it (see below).
fn kind(event: &Event) -> &'static str {
    match event {
        Event::CardAdded { .. } => "card_added",
        Event::CardEdited { .. } => "card_edited",
        Event::CardWithdrawn { .. } => "card_withdrawn",
        Event::Voted { .. } => "voted",
        Event::Unvoted { .. } => "unvoted",
        Event::Commented { .. } => "commented",
        Event::PhaseSet { .. } => "phase_set",
        Event::Locked { .. } => "locked",
        Event::CardHidden { .. } => "card_hidden",
        Event::CardRestored { .. } => "card_restored",
        Event::CardsMerged { .. } => "cards_merged",
        Event::GroupCreated { .. } => "group_created",
        Event::GroupRenamed { .. } => "group_renamed",
        Event::CardGrouped { .. } => "card_grouped",
        Event::CardMoved { .. } => "card_moved",
        Event::BlindSet { .. } => "blind_set",
        Event::Revealed { .. } => "revealed",
        Event::TimerSet { .. } => "timer_set",
        Event::Spotlighted { .. } => "spotlighted",
        Event::GuestCodeSet { .. } => "guest_code_set",
        Event::AnonymousSet { .. } => "anonymous_set",
        Event::VotesHiddenSet { .. } => "votes_hidden_set",
        Event::VoteBudgetSet { .. } => "vote_budget_set",
        Event::CardsCarriedOver { .. } => "cards_carried_over",
        Event::SynthesisWritten { .. } => "synthesis_written",
        Event::ObjectiveCreated { .. } => "objective_created",
        Event::ObjectiveEdited { .. } => "objective_edited",
        Event::ObjectiveRemoved { .. } => "objective_removed",
        Event::ObjectiveRestored { .. } => "objective_restored",
        Event::ObjectiveCommented { .. } => "objective_commented",
        Event::CardMarked { .. } => "card_marked",
        Event::CardUnmarked { .. } => "card_unmarked",
    }
}

/// Every kind `kind` names.
const ALL_KINDS: [&str; 32] = [
    "card_added",
    "card_edited",
    "card_withdrawn",
    "voted",
    "unvoted",
    "commented",
    "phase_set",
    "locked",
    "card_hidden",
    "card_restored",
    "cards_merged",
    "group_created",
    "group_renamed",
    "card_grouped",
    "card_moved",
    "blind_set",
    "revealed",
    "timer_set",
    "spotlighted",
    "guest_code_set",
    "anonymous_set",
    "votes_hidden_set",
    "vote_budget_set",
    "cards_carried_over",
    "synthesis_written",
    "objective_created",
    "objective_edited",
    "objective_removed",
    "objective_restored",
    "objective_commented",
    "card_marked",
    "card_unmarked",
];

#[test]
fn the_fixture_covers_every_event_kind_as_the_server_stores_it() {
    let f = fixture();
    let mut seen = BTreeSet::new();
    for (i, json) in f.events.iter().enumerate() {
        let rec: EventRecord =
            serde_json::from_value(json.clone()).unwrap_or_else(|e| panic!("event {}: {e}", i + 1));
        // The browser receives the server's serialisation: the fixture must be exactly that
        // (every optional field present), or the two folds would not start from the same input.
        assert_eq!(
            &serde_json::to_value(&rec).unwrap(),
            json,
            "event {} is not in the stored form",
            i + 1
        );
        assert_eq!(rec.seq, i as i64 + 1, "events in seq order");
        assert_eq!(json["event"]["kind"], kind(&rec.event));
        seen.insert(kind(&rec.event));
    }
    let all: BTreeSet<&str> = ALL_KINDS.into_iter().collect();
    assert_eq!(seen, all, "every event kind is in the fixture");
    let blind = |e: &&Value| e["event"]["kind"] == "card_added" && e["event"]["revealed"] == false;
    let anonymous = |e: &&Value| e["event"]["anonymous"] == true;
    let on_behalf = |e: &&Value| !e["event"]["on_behalf_of"].is_null();
    let on_behalf_with_ambito = |e: &&Value| e["event"]["on_behalf_of"]["ambito"].is_string();
    let guest_with_ambito =
        |e: &&Value| e["actor"]["kind"] == "guest" && e["actor"]["ambito"].is_string();
    // The author of an anonymous card commenting under it (the comment is anonymous too).
    let anonymous_cards: BTreeSet<(String, String)> = f
        .events
        .iter()
        .filter(|e| anonymous(e) && e["event"]["kind"] == "card_added")
        .map(|e| {
            (
                e["event"]["card_id"].to_string(),
                e["actor"]["id"].to_string(),
            )
        })
        .collect();
    let authors_comment = |e: &&Value| {
        e["event"]["kind"] == "commented"
            && anonymous_cards.contains(&(
                e["event"]["card_id"].to_string(),
                e["actor"]["id"].to_string(),
            ))
    };
    for (what, found) in [
        (
            "a card added while blind",
            f.events.iter().any(|e| blind(&e)),
        ),
        ("an anonymous card", f.events.iter().any(|e| anonymous(&e))),
        (
            "a card on behalf of someone",
            f.events.iter().any(|e| on_behalf(&e)),
        ),
        (
            "a card on behalf of someone with an Ambito",
            f.events.iter().any(|e| on_behalf_with_ambito(&e)),
        ),
        (
            "a guest with an Ambito",
            f.events.iter().any(|e| guest_with_ambito(&e)),
        ),
        (
            "the author of an anonymous card commenting under it",
            f.events.iter().any(|e| authors_comment(&e)),
        ),
        (
            "the synthesis of an area deleted",
            f.events
                .iter()
                .any(|e| e["event"]["kind"] == "synthesis_written" && e["event"]["text"] == ""),
        ),
        (
            "an objective with links and resources",
            f.events.iter().any(|e| {
                let o = &e["event"]["objective"];
                o["needs"].as_array().is_some_and(|l| !l.is_empty())
                    && o["resources"].as_array().is_some_and(|l| !l.is_empty())
            }),
        ),
    ] {
        assert!(found, "the fixture has {what}");
    }
}

#[test]
fn the_rust_fold_of_the_fixture_is_the_committed_state() {
    let f = fixture();
    let mut state = BoardState::new(f.meeting_id, f.template);
    check_snapshot("initial.json", &serde_json::to_value(&state).unwrap());
    for json in f.events {
        let rec: EventRecord = serde_json::from_value(json).unwrap();
        apply(&mut state, &rec);
    }
    // What the welcome frame would carry for a facilitator: the whole state, serialised.
    check_snapshot("expected.json", &serde_json::to_value(&state).unwrap());
}
