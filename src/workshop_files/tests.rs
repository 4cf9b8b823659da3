//! The checks of workshop files, end to end: a small valid file edited one line at a time, the
//! shipped files, and the format document kept in step with the keys serde accepts.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};

use super::checker::{DATE_HINT, TIME_HINT, is_ident};
use super::raw::TOP_LEVEL_KEYS;
use super::*;
use crate::domain::defaults;
use crate::domain::process::{PartyKind, Process};
use crate::domain::workshop::{Meeting, Window};

const SEED_2021: &str = include_str!("../../workshops/co-programmazione-2021.toml");
const EDITION_2027: &str = include_str!("../../workshops/co-programmazione-2027.toml");

/// A small valid file; tests change one line and look at the error.
const MINIMAL: &str = r#"slug = "prova"
title = "Laboratorio di prova"
organiser = "ANCI Lombardia"
funding = "Fondi propri"
capacity = 10
enrollment_opens = 2021-09-01T09:00:00+02:00
enrollment_closes = 2021-09-27T23:59:59+02:00
eligible_roles = ["responsabile-ufficio-di-piano", "responsabile-servizi-sociali"]
facilitators = ["Silvia De Aloe"]

[[modules]]
title = "Primo modulo"
topics = ["Un tema"]

  [[modules.meetings]]
  date = 2021-10-01
  start = 09:30:00
  end = 12:30:00
  place = "online"

  [[modules.meetings]]
  date = 2021-10-06
  start = 09:30:00
  end = 12:30:00
  place = "online"
"#;

fn parse(text: &str) -> Result<Workshop, WorkshopFileError> {
    parse_workshop("workshops/x.toml", text)
}

/// MINIMAL with `from` replaced by `to` (which must occur exactly once).
fn edited(from: &str, to: &str) -> String {
    assert_eq!(MINIMAL.matches(from).count(), 1, "{from:?} must occur once");
    MINIMAL.replace(from, to)
}

/// The error for `text`, as (line, key, message).
fn error(text: &str) -> (usize, String, String) {
    match parse(text) {
        Ok(_) => panic!("expected an error"),
        Err(WorkshopFileError::Invalid {
            file,
            line,
            key,
            message,
        }) => {
            assert_eq!(file, "workshops/x.toml");
            (line, key, message)
        }
        Err(other) => panic!("unexpected {other:?}"),
    }
}

fn line_of(text: &str, needle: &str) -> usize {
    let at = text.find(needle).expect("needle present");
    text[..at].matches('\n').count() + 1
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[test]
fn minimal_file_gets_the_defaults() {
    let w = parse(MINIMAL).unwrap();
    assert_eq!(w.slug, "prova");
    assert_eq!(w.description, "");
    assert_eq!(w.timezone, chrono_tz::Europe::Rome);
    assert_eq!(w.roles, defaults::roles());
    assert_eq!(w.policy_areas, defaults::policy_areas());
    assert!(w.ambiti.is_empty());
    assert_eq!(w.board_templates.len(), 1);
    assert_eq!(w.board_templates[0].name, defaults::BOARD_TEMPLATE_NAME);
    let keys: Vec<&str> = w.meetings().map(|(_, m)| m.key.as_str()).collect();
    assert_eq!(keys, ["M1-1", "M1-2"]);
    assert!(
        w.meetings()
            .all(|(_, m)| m.board_template == defaults::BOARD_TEMPLATE_NAME)
    );
    assert!(w.meetings().all(|(_, m)| m.title.is_none()));
}

#[test]
fn the_seed_workshop_file_matches_the_2021_laboratorio() {
    let w = parse_workshop("workshops/co-programmazione-2021.toml", SEED_2021).unwrap();
    assert_eq!(w.slug, "co-programmazione-2021");
    assert_eq!(
        w.title,
        "La Co-Programmazione come esercizio di amministrazione condivisa"
    );
    assert_eq!(w.organiser, "ANCI Lombardia");
    assert!(w.funding.contains("Azione 11.3.3"));
    assert!(w.funding.contains("CUP E49D20000010009"));
    assert!(w.description.contains("XI/4563"));
    assert_eq!(w.capacity, 40);
    assert_eq!(w.enrollment_closes, utc("2021-09-27T23:59:59+02:00"));
    assert_eq!(
        w.enrollment_opens.date_naive(),
        NaiveDate::from_ymd_opt(2021, 9, 1).unwrap()
    );
    assert_eq!(
        w.eligible_roles,
        [
            "responsabile-ufficio-di-piano",
            "responsabile-servizi-sociali"
        ]
    );
    assert_eq!(
        w.facilitators,
        [
            "Silvia De Aloe",
            "Luciano Gallo",
            "Chiara Girola",
            "Nucci Maiocchi",
            "Ettore Vittorio Uccellini"
        ]
    );
    assert_eq!(w.modules.len(), 3);
    assert!(
        w.modules
            .iter()
            .all(|m| m.topics.len() == 2 && m.meetings.len() == 2)
    );
    assert_eq!(w.modules[2].title, "Dalla teoria alla prassi");
    let dates: Vec<String> = w.meetings().map(|(_, m)| m.date.to_string()).collect();
    assert_eq!(
        dates,
        [
            "2021-10-01",
            "2021-10-06",
            "2021-10-15",
            "2021-10-28",
            "2021-11-12",
            "2021-11-25"
        ]
    );
    let keys: Vec<&str> = w.meetings().map(|(_, m)| m.key.as_str()).collect();
    assert_eq!(keys, ["M1-1", "M1-2", "M2-1", "M2-2", "M3-1", "M3-2"]);
    assert_eq!(w.window(utc("2021-09-27T23:00:00+02:00")), Window::Open);
    assert_eq!(w.window(utc("2021-09-28T00:00:00+02:00")), Window::Closed);
}

#[test]
fn the_2027_edition_is_open_for_enrollment_now() {
    let w = parse_workshop("workshops/co-programmazione-2027.toml", EDITION_2027).unwrap();
    assert_eq!(w.slug, "co-programmazione-2027");
    assert_eq!(w.capacity, 40);
    assert_eq!(w.window(utc("2026-11-26T12:00:00+01:00")), Window::Open);
    assert_eq!(w.window(utc("2027-02-01T00:00:00+01:00")), Window::Closed);
    let seed = parse(SEED_2021).unwrap();
    let titles = |w: &Workshop| {
        w.modules
            .iter()
            .map(|m| m.title.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(titles(&w), titles(&seed));
    let meetings: Vec<&Meeting> = w.meetings().map(|(_, m)| m).collect();
    assert_eq!(meetings.len(), 6);
    assert!(meetings.iter().all(|m| {
        use chrono::Datelike;
        m.date.year() == 2027
            && (2..=5).contains(&m.date.month())
            && m.date.weekday().num_days_from_monday() < 5
            && m.date > w.enrollment_closes.date_naive()
    }));
}

#[test]
fn the_shipped_folder_loads_in_file_name_order() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("workshops");
    let all = load_dir(&dir).unwrap();
    let slugs: Vec<&str> = all.iter().map(|w| w.slug.as_str()).collect();
    assert_eq!(slugs, ["co-programmazione-2021", "co-programmazione-2027"]);
}

#[test]
fn the_error_reads_file_line_key_message() {
    let text = edited("  date = 2021-10-06", "  date = \"6 ottobre\"");
    let err = parse(&text).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "workshops/x.toml:{}: modules[0].meetings[1].date: {DATE_HINT}",
            line_of(&text, "\"6 ottobre\"")
        )
    );
    assert_eq!(err.file(), "workshops/x.toml");
    assert_eq!(err.key(), Some("modules[0].meetings[1].date"));
}

#[test]
fn unknown_keys_are_named() {
    let text = edited("capacity = 10\n", "capacity = 10\ncolour = \"rosso\"\n");
    let (line, key, message) = error(&text);
    assert_eq!((line, key.as_str()), (line_of(&text, "colour"), "colour"));
    assert!(
        message.starts_with("chiave sconosciuta \"colour\""),
        "{message}"
    );
    let listed = message
        .split_once("ammesse: ")
        .unwrap()
        .1
        .trim_end_matches(')');
    assert_eq!(listed, TOP_LEVEL_KEYS.join(", "), "lists the allowed keys");

    let text = edited(
        "  date = 2021-10-06\n",
        "  date = 2021-10-06\n  room = \"B\"\n",
    );
    let (line, key, _) = error(&text);
    assert_eq!(
        (line, key.as_str()),
        (line_of(&text, "room"), "modules[0].meetings[1].room")
    );

    // A general key written after a [[...]] header lands in that table: say so.
    let text = format!("{MINIMAL}capacity = 12\n");
    let (line, key, message) = error(&text);
    assert_eq!(
        (line, key.as_str()),
        (
            line_of(&text, "capacity = 12"),
            "modules[0].meetings[1].capacity"
        )
    );
    assert!(message.contains("prima della prima sezione"), "{message}");

    let text = edited("topics = [", "topic = [");
    let (line, key, message) = error(&text);
    assert_eq!(
        (line, key.as_str()),
        (line_of(&text, "topic ="), "modules[0].topic")
    );
    assert!(
        message.contains("topics"),
        "suggests the right key: {message}"
    );
}

/// serde words a list of two keys differently ("`id` or `label`"): the hint must not garble it.
#[test]
fn the_allowed_keys_of_a_two_key_table_are_listed() {
    let text =
        format!("{MINIMAL}\n[[roles]]\nid = \"referente-csv\"\nlabel = \"CSV\"\nlabl = \"x\"\n");
    let (line, key, message) = error(&text);
    assert_eq!(
        (line, key.as_str()),
        (line_of(&text, "labl"), "roles[0].labl")
    );
    assert_eq!(
        message,
        "chiave sconosciuta \"labl\" (qui sono ammesse: id, label)"
    );
}

#[test]
fn bad_dates_and_times_are_reported_where_they_are() {
    for bad in ["2021-10-32", "\"1 ottobre\"", "2021-10-06T09:30:00", "6"] {
        let text = edited("  date = 2021-10-06", &format!("  date = {bad}"));
        let (line, key, message) = error(&text);
        assert_eq!(line, line_of(&text, &format!("date = {bad}")), "{bad}");
        assert_eq!(key, "modules[0].meetings[1].date", "{bad}");
        assert_eq!(message, DATE_HINT, "{bad}");
    }
    let text = MINIMAL.replacen("  start = 09:30:00", "  start = 25:00:00", 1);
    let (line, key, message) = error(&text);
    assert_eq!(
        (line, key.as_str()),
        (line_of(&text, "25:00"), "modules[0].meetings[0].start")
    );
    assert_eq!(message, TIME_HINT);
}

#[test]
fn times_may_be_written_loosely() {
    let text = MINIMAL
        .replacen("start = 09:30:00", "start = \"9:30\"", 1)
        .replacen("end = 12:30:00", "end = 12:30", 1);
    let w = parse(&text).unwrap();
    let m = &w.modules[0].meetings[0];
    assert_eq!(
        (m.start.to_string().as_str(), m.end.to_string().as_str()),
        ("09:30:00", "12:30:00")
    );
}

#[test]
fn slugs_must_be_url_safe() {
    for bad in [
        "Co-Programmazione",
        "co programmazione",
        "co--prog",
        "-co",
        "perché",
        "",
    ] {
        let text = edited("slug = \"prova\"", &format!("slug = \"{bad}\""));
        let (line, key, message) = error(&text);
        assert_eq!((line, key.as_str()), (1, "slug"), "{bad}");
        assert!(message.contains("lettere minuscole"), "{message}");
    }
}

#[test]
fn a_meeting_must_end_after_it_starts() {
    let text = MINIMAL.replacen("  end = 12:30:00", "  end = 09:30:00", 1);
    let (line, key, _) = error(&text);
    assert_eq!(key, "modules[0].meetings[0].end");
    assert_eq!(line, line_of(&text, "end = 09:30:00"));
}

#[test]
fn eligible_roles_must_be_known() {
    let text = edited("\"responsabile-servizi-sociali\"]", "\"assessore\"]");
    let (line, key, message) = error(&text);
    assert_eq!((line, key.as_str()), (8, "eligible_roles[1]"));
    assert!(
        message.contains("ruolo sconosciuto \"assessore\""),
        "{message}"
    );
    assert!(
        message.contains("sindaco-assessore"),
        "lists known roles: {message}"
    );

    let text = edited(
        "eligible_roles = [\"responsabile-ufficio-di-piano\", \"responsabile-servizi-sociali\"]",
        "eligible_roles = []",
    );
    assert_eq!(error(&text).1, "eligible_roles");
}

#[test]
fn enrollment_must_close_after_it_opens() {
    let text = edited("2021-09-27T23:59:59+02:00", "2021-09-01T09:00:00+02:00");
    let (line, key, message) = error(&text);
    assert_eq!((line, key.as_str()), (7, "enrollment_closes"));
    assert!(message.contains("dopo l'apertura"), "{message}");
}

#[test]
fn local_datetimes_are_read_in_the_workshop_time_zone() {
    let text = edited("2021-09-27T23:59:59+02:00", "2021-09-27T23:59:59");
    assert_eq!(
        parse(&text).unwrap().enrollment_closes,
        utc("2021-09-27T23:59:59+02:00")
    );

    let text = edited("2021-09-27T23:59:59+02:00", "2021-09-27");
    assert_eq!(
        parse(&text).unwrap().enrollment_closes,
        utc("2021-09-27T23:59:59+02:00")
    );

    let text = edited("capacity = 10", "capacity = 10\ntimezone = \"UTC\"")
        .replace("2021-09-27T23:59:59+02:00", "2021-09-27T23:59:59");
    assert_eq!(
        parse(&text).unwrap().enrollment_closes,
        utc("2021-09-27T23:59:59Z")
    );

    let text = edited("capacity = 10", "capacity = 10\ntimezone = \"Europa/Roma\"");
    let (line, key, message) = error(&text);
    assert_eq!((line, key.as_str()), (6, "timezone"));
    assert!(message.contains("fuso orario sconosciuto"), "{message}");

    // 02:30 on the last Sunday of March does not exist in Italy.
    let text = edited("2021-09-01T09:00:00+02:00", "2021-03-28T02:30:00");
    let (_, key, message) = error(&text);
    assert_eq!(key, "enrollment_opens");
    assert!(message.contains("ora legale"), "{message}");
}

#[test]
fn missing_keys_are_named_at_their_table() {
    let text = MINIMAL.replacen("  place = \"online\"\n", "", 1);
    let (line, key, message) = error(&text);
    assert_eq!(key, "modules[0].meetings[0].place");
    assert_eq!(line, line_of(&text, "[[modules.meetings]]"));
    assert_eq!(message, "chiave obbligatoria mancante");

    let text = edited("title = \"Laboratorio di prova\"\n", "");
    let (line, key, message) = error(&text);
    assert_eq!(
        (line, key.as_str(), message.as_str()),
        (1, "title", "chiave obbligatoria mancante")
    );
}

#[test]
fn wrong_types_are_explained() {
    let text = edited("capacity = 10", "capacity = \"dieci\"");
    let (line, key, message) = error(&text);
    assert_eq!((line, key.as_str()), (5, "capacity"));
    assert_eq!(
        message,
        "tipo non valido: trovato il testo \"dieci\", atteso un numero intero"
    );

    let text = edited(
        "facilitators = [\"Silvia De Aloe\"]",
        "facilitators = \"Silvia De Aloe\"",
    );
    let (line, key, message) = error(&text);
    assert_eq!((line, key.as_str()), (9, "facilitators"));
    assert!(message.contains("atteso una lista"), "{message}");

    let text = edited("capacity = 10", "capacity = 0");
    assert_eq!(error(&text).1, "capacity");
    let text = edited("capacity = 10", "capacity = -3");
    assert_eq!(error(&text).1, "capacity");
}

#[test]
fn syntax_errors_keep_their_line() {
    let text = edited("capacity = 10\n", "capacity = 10\ncapacity = 11\n");
    let (line, key, message) = error(&text);
    assert_eq!(
        (line, key.as_str(), message.as_str()),
        (6, "capacity", "chiave ripetuta")
    );

    let text = edited(
        "organiser = \"ANCI Lombardia\"",
        "organiser = ANCI Lombardia",
    );
    let (line, key, _) = error(&text);
    assert_eq!((line, key.as_str()), (3, "organiser"));
}

#[test]
fn meetings_must_be_in_calendar_order() {
    let text = edited("  date = 2021-10-06", "  date = 2021-09-30");
    let (line, key, message) = error(&text);
    assert_eq!(
        (line, key.as_str()),
        (line_of(&text, "2021-09-30"), "modules[0].meetings[1].date")
    );
    assert!(message.contains("M1-1"), "{message}");

    let text = format!(
        "{MINIMAL}\n[[modules]]\ntitle = \"Secondo\"\n[[modules.meetings]]\ndate = 2021-09-15\n\
         start = 10:00\nend = 11:00\nplace = \"online\"\n"
    );
    let (_, key, message) = error(&text);
    assert_eq!(key, "modules[1].meetings[0].date");
    assert!(message.contains("M1-2"), "{message}");
}

#[test]
fn meetings_may_only_use_known_board_templates() {
    let text = edited(
        "  date = 2021-10-06\n",
        "  date = 2021-10-06\n  board_template = \"world-cafe\"\n",
    );
    let (line, key, message) = error(&text);
    assert_eq!(
        (line, key.as_str()),
        (
            line_of(&text, "\"world-cafe\""),
            "modules[0].meetings[1].board_template"
        )
    );
    assert!(
        message.contains("co-programmazione"),
        "lists the available ones: {message}"
    );
}

#[test]
fn files_may_add_roles_areas_ambiti_and_templates() {
    let text = format!(
        r#"ambiti = ["Ambito di Bergamo", "Ambito di Dalmine"]
policy_areas = ["Anziani", "Domiciliarità"]
{MINIMAL}
[[roles]]
id = "osservatore"
label = "Osservatore esterno"

[[roles]]
id = "referente-csv"
label = "Referente del Centro di Servizio per il Volontariato"

[[board_templates]]
name = "world-cafe"
phases = ["raccolta", "chiuso"]

  [[board_templates.columns]]
  card_type = "domanda"
  title = "Domande"
  prompt = "Che cosa vorreste chiedere agli altri tavoli?"

[[board_templates]]
name = "co-programmazione"
phases = ["raccolta", "voto", "chiuso"]

  [[board_templates.columns]]
  card_type = "bisogno"
  title = "Bisogni del territorio"
  prompt = "Quali bisogni?"
"#
    )
    .replace(
        "  date = 2021-10-06\n",
        "  date = 2021-10-06\n  title = \"Tavolo aperto\"\n  board_template = \"world-cafe\"\n",
    );
    let w = parse(&text).unwrap();
    assert_eq!(w.ambiti, ["Ambito di Bergamo", "Ambito di Dalmine"]);
    assert_eq!(w.policy_areas, ["Anziani", "Domiciliarità"]);
    assert_eq!(w.role_label("osservatore"), Some("Osservatore esterno"));
    assert_eq!(w.roles.len(), defaults::roles().len() + 1);
    assert_eq!(w.roles.last().unwrap().id, "referente-csv");
    let names: Vec<&str> = w.board_templates.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["co-programmazione", "world-cafe"]);
    assert_eq!(w.board_templates[0].phases, ["raccolta", "voto", "chiuso"]);
    let second = &w.modules[0].meetings[1];
    assert_eq!(second.board_template, "world-cafe");
    assert_eq!(second.title.as_deref(), Some("Tavolo aperto"));
}

#[test]
fn every_meeting_gets_its_template_when_the_file_is_read() {
    let w = parse(MINIMAL).unwrap();
    assert!(
        w.meetings()
            .all(|(_, m)| *w.board_template(m) == defaults::board_template())
    );

    // A redefined built-in template is the one meetings without a name get.
    let text = MINIMAL.replacen(
        "  date = 2021-10-06\n",
        "  date = 2021-10-06\n  board_template = \"world-cafe\"\n",
        1,
    ) + r#"
[[board_templates]]
name = "world-cafe"
phases = ["raccolta", "chiuso"]

  [[board_templates.columns]]
  card_type = "domanda"
  title = "Domande"
  prompt = "Che cosa vorreste chiedere agli altri tavoli?"

[[board_templates]]
name = "co-programmazione"
phases = ["raccolta", "voto", "chiuso"]

  [[board_templates.columns]]
  card_type = "bisogno"
  title = "Bisogni del territorio"
  prompt = "Quali bisogni?"
"#;
    let w = parse(&text).unwrap();
    let first = w.board_template(&w.modules[0].meetings[0]);
    assert_eq!(first.name, "co-programmazione");
    assert_eq!(first.phases, ["raccolta", "voto", "chiuso"]);
    let second = w.board_template(&w.modules[0].meetings[1]);
    assert_eq!(second.name, "world-cafe");
    assert_eq!(second.columns[0].card_type, "domanda");
}

#[test]
fn text_fields_must_not_be_blank() {
    let text = edited("organiser = \"ANCI Lombardia\"", "organiser = \"   \"");
    assert_eq!(error(&text).0, 3);
    assert_eq!(error(&text).1, "organiser");
    let text = edited(
        "facilitators = [\"Silvia De Aloe\"]",
        "facilitators = [\"Silvia De Aloe\", \"\"]",
    );
    assert_eq!(error(&text).1, "facilitators[1]");
    let text = edited(
        "facilitators = [\"Silvia De Aloe\"]",
        "facilitators = [\"Silvia De Aloe\", \"Silvia De Aloe\"]",
    );
    assert!(error(&text).2.contains("ripetuto"));
}

/// The rest of the defaults' test is in `domain::defaults`; this half needs the checker's rule.
#[test]
fn the_default_roles_are_valid_identifiers() {
    assert!(defaults::roles().iter().all(|r| is_ident(&r.id)));
}

#[test]
fn duplicate_slugs_across_files_name_both_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.toml"), MINIMAL).unwrap();
    std::fs::write(dir.path().join("b.toml"), MINIMAL).unwrap();
    std::fs::write(dir.path().join("note.txt"), "not a workshop").unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    let err = load_dir(dir.path()).unwrap_err();
    let a = dir.path().join("a.toml").display().to_string();
    let b = dir.path().join("b.toml").display().to_string();
    assert_eq!(err.file(), b);
    assert_eq!(err.line(), Some(1));
    assert_eq!(err.key(), Some("slug"));
    assert!(err.to_string().contains(&a), "{err}");

    std::fs::remove_file(dir.path().join("b.toml")).unwrap();
    assert_eq!(load_dir(dir.path()).unwrap().len(), 1);

    let missing = load_dir(&dir.path().join("nope")).unwrap_err();
    assert!(matches!(missing, WorkshopFileError::Io { .. }));
    assert_eq!(missing.message(), "file o cartella inesistente");
}

/// Every table of the format once, with a `{table}` marker where an unknown key can go in each.
const EVERY_TABLE: &str = r#"{top}
slug = "prova"
title = "Laboratorio di prova"
organiser = "ANCI Lombardia"
funding = "Fondi propri"
capacity = 10
enrollment_opens = 2021-09-01
enrollment_closes = 2021-09-27
eligible_roles = ["referente-csv"]
facilitators = ["Silvia De Aloe"]
process = "procedimento"

[procedure]
authority = "Comune di Bergamo"
lead_body = "Comune di Bergamo"
ambito = "Ambito di Bergamo"
responsible = "dott.ssa Anna Bianchi"
minutes_by = "Luca Verdi"
opening_act = { kind = "determinazione", number = "12", date = 2021-08-01 {procedure.opening_act} }
{procedure}

  [[procedure.parties]]
  kind = "comune"
  name = "Comune di Dalmine"
  {procedure.parties}

[[roles]]
id = "referente-csv"
label = "Referente CSV"
{roles}

[[board_templates]]
name = "world-cafe"
phases = ["raccolta"]
{board_templates}

  [[board_templates.columns]]
  card_type = "domanda"
  title = "Domande"
  prompt = "Che cosa?"
  {board_templates.columns}

[[modules]]
title = "Primo modulo"
{modules}

  [[modules.meetings]]
  date = 2021-10-01
  start = 09:30:00
  end = 12:30:00
  place = "online"
  {modules.meetings}
"#;

/// The tables of a workshop file, by their TOML header ("" for the top level).
const TABLES: &[&str] = &[
    "",
    "procedure",
    "procedure.opening_act",
    "procedure.parties",
    "roles",
    "board_templates",
    "board_templates.columns",
    "modules",
    "modules.meetings",
];

/// The keys the checker accepts in `table`, as its "unknown key" message lists them: what serde
/// really accepts, not a copy that could drift.
fn accepted_keys(table: &str) -> Vec<String> {
    let mut text = EVERY_TABLE.to_string();
    for other in TABLES {
        let marker = if other.is_empty() {
            "{top}".to_string()
        } else {
            format!("{{{other}}}")
        };
        // An inline table takes its extra key after a comma.
        let line = match (*other == table, *other == "procedure.opening_act") {
            (true, true) => ", chiave_inventata = 1",
            (true, false) => "chiave_inventata = 1",
            (false, _) => "",
        };
        text = text.replace(&marker, line);
    }
    let (_, key, message) = error(&text);
    assert!(
        message.starts_with("chiave sconosciuta \"chiave_inventata\""),
        "{table}: {key}: {message}"
    );
    let listed = message.split_once("ammesse: ").expect(&message).1;
    let listed = listed.split(')').next().unwrap_or_default();
    listed.split(", ").map(String::from).collect()
}

/// The keys `docs/workshop-format.md` documents for each table: the first cell (`` `key` ``) of
/// the table rows under the heading `## Top-level keys`, `` ## `[[table]]`… ``, `` ## `[table]`… ``
/// or (an inline table) `` ## `table = { … }`… ``.
fn documented_keys(doc: &str) -> HashMap<String, Vec<String>> {
    let mut keys: HashMap<String, Vec<String>> = HashMap::new();
    let mut table: Option<String> = None;
    for line in doc.lines() {
        if line.starts_with('#') {
            table = if line.starts_with("## Top-level keys") {
                Some(String::new())
            } else {
                line.strip_prefix("## `")
                    .and_then(|rest| rest.split_once('`'))
                    .map(|(name, _)| {
                        let name = name.trim_start_matches('[').trim_end_matches(']');
                        name.split(" = ").next().unwrap_or(name).to_string()
                    })
            };
        } else if let (Some(table), Some(cell)) = (&table, line.strip_prefix("| `")) {
            let key = cell.split('`').next().unwrap_or_default();
            keys.entry(table.clone()).or_default().push(key.to_string());
        }
    }
    keys
}

#[test]
fn the_format_document_lists_exactly_the_keys_the_checker_accepts() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/workshop-format.md");
    let doc = std::fs::read_to_string(&path).expect("docs/workshop-format.md");
    let documented = documented_keys(&doc);
    assert_eq!(
        accepted_keys(""),
        TOP_LEVEL_KEYS,
        "the hint's list is serde's"
    );
    for table in TABLES {
        let mut accepted = accepted_keys(table);
        let mut listed = documented.get(*table).cloned().unwrap_or_default();
        accepted.sort();
        listed.sort();
        assert_eq!(
            listed, accepted,
            "docs/workshop-format.md, keys of [[{table}]] (\"\" = top level)"
        );
    }
    let mut tables: Vec<&str> = documented.keys().map(String::as_str).collect();
    tables.sort();
    let mut known = TABLES.to_vec();
    known.sort();
    assert_eq!(
        tables, known,
        "a section documents a table that does not exist"
    );
}

/// The TOML in the document is either a verbatim excerpt of the seed file or a whole file
/// that the checker accepts.
#[test]
fn the_format_document_examples_are_real() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/workshop-format.md");
    let doc = std::fs::read_to_string(&path).expect("docs/workshop-format.md");
    let mut blocks = 0;
    let mut rest = doc.as_str();
    while let Some((_, after)) = rest.split_once("```toml\n") {
        let (block, after) = after.split_once("```").expect("closed block");
        rest = after;
        blocks += 1;
        if SEED_2021.contains(block) {
            continue;
        }
        if let Err(e) = parse(block) {
            panic!("neither a seed excerpt nor a valid file ({e}):\n{block}");
        }
    }
    assert!(blocks >= 2, "the worked example is there");
}

/// MINIMAL as a procedimento with the `[procedure]` lines given.
fn procedimento(procedure: &str) -> String {
    edited(
        "facilitators = [\"Silvia De Aloe\"]\n",
        &format!(
            "facilitators = [\"Silvia De Aloe\"]\nprocess = \"procedimento\"\n\n{procedure}\n"
        ),
    )
}

const PROCEDURE: &str = r#"[procedure]
authority = "Comune di Bergamo"
lead_body = "Comune di Bergamo"
ambito = "Ambito di Bergamo"
responsible = "dott.ssa Anna Bianchi"
minutes_by = "Luca Verdi"
opening_act = { kind = "determinazione dirigenziale", number = "123", date = 2021-08-20 }
public_notice = 2021-08-25

  [[procedure.parties]]
  kind = "ente_capofila"
  name = "Comune di Bergamo"
  represented_by = "il Sindaco pro tempore"

  [[procedure.parties]]
  kind = "asst"
  name = "ASST Papa Giovanni XXIII"
"#;

#[test]
fn a_workshop_is_a_laboratorio_unless_it_names_its_procedure() {
    let w = parse(MINIMAL).unwrap();
    assert_eq!(w.process, Process::Laboratorio);
    assert!(w.meetings().all(|(_, m)| m.agenda.is_empty()));

    let w = parse(&procedimento(PROCEDURE)).unwrap();
    let p = w.process.procedure().expect("a procedimento");
    assert_eq!(p.authority, "Comune di Bergamo");
    assert_eq!(p.responsible, "dott.ssa Anna Bianchi");
    assert_eq!(p.minutes_by, "Luca Verdi");
    assert_eq!(p.opening_act.number, "123");
    assert_eq!(
        p.opening_act.date,
        NaiveDate::from_ymd_opt(2021, 8, 20).unwrap()
    );
    assert_eq!(
        p.public_notice,
        Some(NaiveDate::from_ymd_opt(2021, 8, 25).unwrap())
    );
    let parties: Vec<_> = p
        .parties
        .iter()
        .map(|x| (x.kind, x.name.as_str()))
        .collect();
    assert_eq!(
        parties,
        [
            (PartyKind::EnteCapofila, "Comune di Bergamo"),
            (PartyKind::Asst, "ASST Papa Giovanni XXIII")
        ]
    );
    assert_eq!(
        p.parties[0].represented_by.as_deref(),
        Some("il Sindaco pro tempore")
    );
}

#[test]
fn the_process_and_its_procedure_are_checked() {
    let (_, key, message) = error(&edited(
        "facilitators = [\"Silvia De Aloe\"]\n",
        "facilitators = [\"Silvia De Aloe\"]\nprocess = \"procedimento\"\n",
    ));
    assert_eq!(key, "procedure");
    assert!(message.starts_with("un procedimento ha bisogno della sezione [procedure]"));

    let (_, key, message) = error(&edited(
        "facilitators = [\"Silvia De Aloe\"]\n",
        &format!("facilitators = [\"Silvia De Aloe\"]\n\n{PROCEDURE}"),
    ));
    assert_eq!(key, "procedure");
    assert!(
        message.contains("vale solo con process = \"procedimento\""),
        "{message}"
    );

    let (_, key, message) = error(&edited(
        "facilitators = [\"Silvia De Aloe\"]\n",
        "facilitators = [\"Silvia De Aloe\"]\nprocess = \"corso\"\n",
    ));
    assert_eq!(key, "process");
    assert!(message.starts_with("tipo di processo sconosciuto \"corso\""));

    let (_, key, message) = error(&procedimento(
        &PROCEDURE.replace("kind = \"asst\"", "kind = \"regione\""),
    ));
    assert_eq!(key, "procedure.parties[1].kind");
    assert!(message.starts_with("tipo di parte sconosciuto \"regione\""));

    let (_, key, message) = error(&procedimento(
        &PROCEDURE.replace("ASST Papa Giovanni XXIII", "Comune di Bergamo"),
    ));
    assert_eq!(key, "procedure.parties[1].name");
    assert!(message.contains("è già tra le parti (procedure.parties[0])"));

    let (_, key, message) = error(&procedimento(
        &PROCEDURE.replace("date = 2021-08-20", "date = \"ieri\""),
    ));
    assert_eq!(key, "procedure.opening_act.date");
    assert_eq!(message, DATE_HINT);

    let (_, key, message) = error(&procedimento(&PROCEDURE.replace(
        "responsible = \"dott.ssa Anna Bianchi\"",
        "responsible = \" \"",
    )));
    assert_eq!(key, "procedure.responsible");
    assert_eq!(message, "il testo non può essere vuoto");
}

#[test]
fn a_meeting_may_have_an_ordine_del_giorno() {
    let w = parse(&MINIMAL.replacen(
        "  place = \"online\"\n",
        "  place = \"online\"\n  agenda = [\"Apertura\", \"Analisi dei bisogni\"]\n",
        1,
    ))
    .unwrap();
    let (_, first) = w.meetings().next().unwrap();
    assert_eq!(first.agenda, ["Apertura", "Analisi dei bisogni"]);
}
