//! The workshop the live-board benchmarks (`board_load`, `board_pair`) write for the server
//! they start: one module of `meetings` meetings, a fresh one per measurement.

pub const SLUG: &str = "carico";
pub const ROLE: &str = "responsabile-ufficio-di-piano";

/// The operation a writer sends for its `n`-th card: a need of ~120 characters, the same size
/// in every benchmark so that their frames compare.
pub fn add_card_op(n: u64) -> String {
    format!(
        r#"{{"type":"op","op_id":"L{n}","op":{{"kind":"add_card","card_id":"c{n}","card_type":"bisogno","text":"Carico {n:09}: servizi di prossimità per persone anziane sole, trasporto sociale e pasti a domicilio nel distretto."}}}}"#
    )
}

/// The workshop file: `capacity` seats, enrollment open, meetings on consecutive days of 2100.
pub fn workshop_toml(capacity: usize, meetings: usize) -> String {
    let mut listed = String::new();
    let first = chrono::NaiveDate::from_ymd_opt(2100, 1, 4).expect("valid date");
    for i in 0..meetings {
        let date = first + chrono::Days::new(i as u64);
        listed.push_str(&format!(
            "\n  [[modules.meetings]]\n  date = {}\n  start = 09:30:00\n  end = 12:30:00\n  place = \"online\"\n",
            date.format("%Y-%m-%d")
        ));
    }
    format!(
        r#"# Workshop of the live-board benchmarks (examples/board_load.rs, examples/board_pair.rs).
slug = "{SLUG}"
title = "Laboratorio di prova del carico della lavagna"
organiser = "ANCI Lombardia"
funding = "Nessun finanziamento: laboratorio di prova"
description = "Laboratorio creato dal benchmark della lavagna."
timezone = "Europe/Rome"
capacity = {capacity}
enrollment_opens = 2020-01-01T00:00:00+01:00
enrollment_closes = 2099-12-31T23:59:59+01:00
eligible_roles = ["{ROLE}"]
facilitators = ["Silvia De Aloe"]

[[modules]]
title = "Modulo unico"
topics = ["Prova di carico della lavagna"]
{listed}"#
    )
}
