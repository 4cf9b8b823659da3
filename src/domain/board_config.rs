//! The board's rules as the browser receives them: the board page embeds this object in its
//! `data-config` (see `templates/board/*.html`) beside what only the page knows (the meeting,
//! the view, addresses). Everything here comes from the definitions the server itself checks
//! with, so the client keeps no copy of its own:
//!
//! - `phase_rules` / `phase_labels`: for each phase of the template, what participants may do
//!   and their vote budget ([`super::board::phase_rules`]), and its Italian name;
//! - `card_fields` (by card kind) and `plain_card_fields` (any other kind): the card forms of
//!   [`super::card_fields`], with their limits and "missing" messages;
//! - `limits`: how long comments, reasons, theme titles may be, the longest timer, the largest
//!   vote budget ([`super::board::limits`]);
//! - `policy_areas` (the workshop's), `indicator_types`, and the suggestions a field's `list`
//!   names (`instruments`, `frequencies`);
//! - `ambiti`: the workshop's Ambiti, suggested for the person a facilitator writes for;
//! - the synthesis ([`super::board::synthesis`]): `synthesis_phases` (the phases of the
//!   template in which it is open), `objective_fields` (the text fields of an objective, in the
//!   shape of the card fields), `funds` (`[{id, label, name}]`), `mark_kinds` (`[[id, label]]`)
//!   and `objective_actors` (suggested bodies); their limits are in `limits`.

use serde_json::{Map, Value, json};

use super::board::limits::LIMITS;
use super::board::synthesis::{ACTORS, OBJECTIVE_FIELDS, synthesis_open};
use super::board::{Fund, MarkKind, Permission, phase_label, phase_rules};
use super::card_fields::{FORMS, PLAIN};
use super::cards::{FREQUENCIES, INDICATOR_TYPES, INSTRUMENTS};
use super::workshop::BoardTemplate;

/// The rules part of a board page's configuration, for a board with `template` in a workshop
/// with `policy_areas` and `ambiti`.
pub fn client_config(
    template: &BoardTemplate,
    policy_areas: &[String],
    ambiti: &[String],
) -> Map<String, Value> {
    let phase_rules: Map<String, Value> = template
        .phases
        .iter()
        .map(|p| {
            let (permissions, budget) = phase_rules(p);
            let permissions: Vec<&str> = permissions.iter().copied().map(permission_name).collect();
            (
                p.clone(),
                json!({"permissions": permissions, "budget": budget}),
            )
        })
        .collect();
    let phase_labels: Map<String, Value> = template
        .phases
        .iter()
        .map(|p| (p.clone(), Value::from(phase_label(p))))
        .collect();
    let synthesis_phases: Vec<&String> = template
        .phases
        .iter()
        .filter(|p| synthesis_open(&template.phases, p))
        .collect();
    let funds: Vec<Value> = Fund::ALL
        .iter()
        .map(|f| json!({"id": f.id(), "label": f.label(), "name": f.name()}))
        .collect();
    let mark_kinds: Vec<[&str; 2]> = MarkKind::ALL.iter().map(|m| [m.id(), m.label()]).collect();
    let card_fields: Map<String, Value> = FORMS
        .iter()
        .map(|(card_type, form)| (card_type.to_string(), json!(form)))
        .collect();
    [
        ("policy_areas", json!(policy_areas)),
        ("ambiti", json!(ambiti)),
        ("indicator_types", json!(INDICATOR_TYPES)),
        ("frequencies", json!(FREQUENCIES)),
        ("instruments", json!(INSTRUMENTS)),
        ("phase_rules", Value::Object(phase_rules)),
        ("phase_labels", Value::Object(phase_labels)),
        ("card_fields", Value::Object(card_fields)),
        ("plain_card_fields", json!(PLAIN)),
        ("limits", json!(LIMITS)),
        ("synthesis_phases", json!(synthesis_phases)),
        ("objective_fields", json!(OBJECTIVE_FIELDS)),
        ("objective_actors", json!(ACTORS)),
        ("funds", json!(funds)),
        ("mark_kinds", json!(mark_kinds)),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_string(), value))
    .collect()
}

/// The name of a permission in the configuration (and in the client's checks).
fn permission_name(p: Permission) -> &'static str {
    match p {
        Permission::AddCard => "add_card",
        Permission::EditOwnCard => "edit_own_card",
        Permission::Comment => "comment",
        Permission::Vote => "vote",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_configuration_carries_the_rules_of_every_phase_and_every_card_form() {
        let template = BoardTemplate {
            name: "Prova".into(),
            columns: vec![],
            phases: vec![
                "raccolta".into(),
                "voto".into(),
                "sintesi".into(),
                "restituzione".into(),
            ],
        };
        let c = Value::Object(client_config(
            &template,
            &["Anziani".into()],
            &["Ambito di Dalmine".into()],
        ));
        assert_eq!(
            c["phase_rules"],
            json!({
                "raccolta": {"permissions": ["add_card", "edit_own_card", "comment"], "budget": 0},
                "voto": {"permissions": ["vote", "comment"], "budget": 5},
                "sintesi": {"permissions": ["comment"], "budget": 0},
                "restituzione": {"permissions": ["comment"], "budget": 0},
            })
        );
        assert_eq!(c["phase_labels"]["voto"], "Voto delle priorità");
        assert_eq!(c["phase_labels"]["restituzione"], "Restituzione");
        assert_eq!(c["policy_areas"], json!(["Anziani"]));
        assert_eq!(c["ambiti"], json!(["Ambito di Dalmine"]));
        assert_eq!(
            c["indicator_types"][0],
            json!(["output", "Output (che cosa fa il servizio)"])
        );
        for kind in ["bisogno", "proposta", "indicatore"] {
            assert!(
                c["card_fields"][kind]
                    .as_array()
                    .is_some_and(|f| !f.is_empty()),
                "{kind}"
            );
        }
        assert_eq!(c["plain_card_fields"][0]["name"], "text");
        assert_eq!(c["card_fields"]["proposta"][3]["list"], "instruments");
        assert!(c["instruments"].as_array().is_some_and(|l| !l.is_empty()));
        // The limits `decide` enforces.
        assert_eq!(c["limits"]["comment"], 2000);
        assert_eq!(c["limits"]["hide_reason"], 500);
        assert_eq!(c["limits"]["theme_title"], 200);
        assert_eq!(c["limits"]["timer_minutes"], 240);
        assert_eq!(c["limits"]["vote_budget"], 50);
        assert_eq!(c["limits"]["on_behalf_name"], 120);
        assert_eq!(c["limits"]["on_behalf_organisation"], 300);
        assert_eq!(c["limits"]["on_behalf_ambito"], 120);
        // The synthesis: open from «sintesi» on, its forms and lists.
        assert_eq!(c["synthesis_phases"], json!(["sintesi", "restituzione"]));
        assert_eq!(c["objective_fields"][0]["name"], "title");
        assert_eq!(
            c["objective_fields"][0]["required"],
            "Dai un titolo all'obiettivo."
        );
        assert_eq!(
            c["funds"][0],
            json!({"id": "fnps", "label": "FNPS", "name": "Fondo nazionale per le politiche sociali"})
        );
        assert_eq!(c["funds"].as_array().map(Vec::len), Some(7));
        assert_eq!(
            c["mark_kinds"][0],
            json!(["questione_aperta", "Questione aperta"])
        );
        assert!(
            c["objective_actors"]
                .as_array()
                .is_some_and(|l| l.contains(&json!("ASST")))
        );
        assert_eq!(c["limits"]["amount_cents"], 100_000_000_000_u64);
        assert_eq!(c["limits"]["synthesis"], 20_000);
        assert_eq!(c["limits"]["resource_lines"], 20);
    }
}
