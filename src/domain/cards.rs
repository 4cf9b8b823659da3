//! Typed cards (DOMAIN.md): a need, a governance proposal, a monitoring indicator, or a plain
//! card for kinds that a board template adds. Each kind validates its own fields with messages
//! in Italian; the limits and the "missing" messages are those of the field definitions in
//! [`super::card_fields`], which the browser's forms are built from too.

use serde::{Deserialize, Serialize};

use super::card_fields::{Field, INDICATOR, NEED, PLAIN, PROPOSAL, field_of};
use super::text::FieldError;

/// The card kinds with fields of their own (the others are plain text).
const TYPED_KINDS: &[&str] = &["bisogno", "proposta", "indicatore"];

/// What a card says, by kind. The JSON has `"card_type"` beside the fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "card_type", rename_all = "snake_case")]
pub enum CardContent {
    /// A need, for the needs analysis.
    Bisogno(Need),
    /// A governance proposal.
    Proposta(Proposal),
    /// A monitoring indicator, with the statutory indicator sheet.
    Indicatore(Indicator),
    /// Any other kind defined by a board template: free text.
    #[serde(untagged)]
    Altro(Plain),
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Need {
    pub text: String,
    #[serde(default)]
    pub policy_area: Option<String>,
    #[serde(default)]
    pub secondary_areas: Vec<String>,
    #[serde(default)]
    pub target_group: Option<String>,
    #[serde(default)]
    pub territory: Option<String>,
    /// Evidence or data source.
    #[serde(default)]
    pub evidence: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Proposal {
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Actors involved (Comuni, ATS, ETS…).
    #[serde(default)]
    pub actors: Option<String>,
    /// Tavolo tecnico, accordo, co-progettazione, patto di collaborazione…
    #[serde(default)]
    pub instrument: Option<String>,
    /// Role of the Terzo settore.
    #[serde(default)]
    pub terzo_settore_role: Option<String>,
    #[serde(default)]
    pub policy_area: Option<String>,
}

/// The indicator sheet (DPCM 18/9/2012 art. 3 plus planning practice).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    pub name: String,
    #[serde(default)]
    pub definition: Option<String>,
    /// output | outcome | process | financial
    #[serde(default)]
    pub indicator_type: Option<String>,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub formula: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub baseline_value: Option<String>,
    /// AAAA-MM-GG
    #[serde(default)]
    pub baseline_date: Option<String>,
    #[serde(default)]
    pub target_value: Option<String>,
    /// AAAA-MM-GG
    #[serde(default)]
    pub target_deadline: Option<String>,
    #[serde(default)]
    pub frequency: Option<String>,
    #[serde(default)]
    pub responsible: Option<String>,
    #[serde(default)]
    pub policy_area: Option<String>,
    /// Comune, sex, age…
    #[serde(default)]
    pub disaggregation: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Plain {
    pub card_type: String,
    pub text: String,
}

/// Indicator types and their Italian labels.
pub const INDICATOR_TYPES: &[(&str, &str)] = &[
    ("output", "Output (che cosa fa il servizio)"),
    ("outcome", "Esito (che cosa cambia per le persone)"),
    ("process", "Processo"),
    ("financial", "Finanziario"),
];

/// Instruments of collaboration suggested in the proposal form (free text is accepted too).
pub const INSTRUMENTS: &[&str] = &[
    "Tavolo tecnico",
    "Co-progettazione",
    "Accordo di collaborazione",
    "Patto di collaborazione",
    "Convenzione",
    "Protocollo d'intesa",
    "Accordo di programma",
];

/// Suggested frequencies (free text is accepted too).
pub const FREQUENCIES: &[&str] = &[
    "mensile",
    "trimestrale",
    "semestrale",
    "annuale",
    "triennale",
];

impl CardContent {
    pub fn card_type(&self) -> &str {
        match self {
            CardContent::Bisogno(_) => "bisogno",
            CardContent::Proposta(_) => "proposta",
            CardContent::Indicatore(_) => "indicatore",
            CardContent::Altro(p) => &p.card_type,
        }
    }

    /// The one-line title of a card (for lists, documents, the projector).
    pub fn title(&self) -> &str {
        match self {
            CardContent::Bisogno(n) => &n.text,
            CardContent::Proposta(p) => &p.title,
            CardContent::Indicatore(i) => &i.name,
            CardContent::Altro(p) => &p.text,
        }
    }

    pub fn policy_area(&self) -> Option<&str> {
        match self {
            CardContent::Bisogno(n) => n.policy_area.as_deref(),
            CardContent::Proposta(p) => p.policy_area.as_deref(),
            CardContent::Indicatore(i) => i.policy_area.as_deref(),
            CardContent::Altro(_) => None,
        }
    }

    /// How much text the card holds, in bytes: every field, for the board's text budget
    /// ([`super::board::limits::TEXT_PER_BOARD`]).
    pub fn text_len(&self) -> usize {
        fn opt(v: &Option<String>) -> usize {
            v.as_ref().map_or(0, String::len)
        }
        match self {
            CardContent::Bisogno(n) => {
                n.text.len()
                    + opt(&n.policy_area)
                    + n.secondary_areas.iter().map(String::len).sum::<usize>()
                    + opt(&n.target_group)
                    + opt(&n.territory)
                    + opt(&n.evidence)
            }
            CardContent::Proposta(p) => {
                p.title.len()
                    + opt(&p.description)
                    + opt(&p.actors)
                    + opt(&p.instrument)
                    + opt(&p.terzo_settore_role)
                    + opt(&p.policy_area)
            }
            CardContent::Indicatore(i) => {
                i.name.len()
                    + [
                        &i.definition,
                        &i.indicator_type,
                        &i.unit,
                        &i.formula,
                        &i.source,
                        &i.baseline_value,
                        &i.baseline_date,
                        &i.target_value,
                        &i.target_deadline,
                        &i.frequency,
                        &i.responsible,
                        &i.policy_area,
                        &i.disaggregation,
                    ]
                    .into_iter()
                    .map(opt)
                    .sum::<usize>()
            }
            CardContent::Altro(p) => p.card_type.len() + p.text.len(),
        }
    }

    /// Trims every field and checks it; `policy_areas` are the workshop's macro-aree.
    pub fn validate(&mut self, policy_areas: &[String]) -> Result<(), Vec<FieldError>> {
        let mut e = Vec::new();
        let area = |v: &mut Option<String>, f: &Field, e: &mut Vec<FieldError>| {
            opt(v, f, e);
            if let Some(a) = v {
                if !policy_areas.is_empty() && !policy_areas.iter().any(|p| p == a) {
                    e.push(FieldError::new(
                        f.name,
                        "Area di policy non riconosciuta: sceglila dall'elenco.",
                    ));
                }
            }
        };
        match self {
            CardContent::Bisogno(n) => {
                let f = |name| field_of(NEED, name);
                req(&mut n.text, f("text"), &mut e);
                area(&mut n.policy_area, f("policy_area"), &mut e);
                for s in &mut n.secondary_areas {
                    *s = s.trim().to_string();
                }
                n.secondary_areas.retain(|s| !s.is_empty());
                let most = f("secondary_areas").max;
                if n.secondary_areas.len() > most {
                    e.push(FieldError::new(
                        "secondary_areas",
                        format!("Indica al massimo {most} aree secondarie."),
                    ));
                }
                for s in &n.secondary_areas {
                    if !policy_areas.is_empty() && !policy_areas.contains(s) {
                        e.push(FieldError::new(
                            "secondary_areas",
                            "Area secondaria non riconosciuta.",
                        ));
                    }
                }
                opt(&mut n.target_group, f("target_group"), &mut e);
                opt(&mut n.territory, f("territory"), &mut e);
                opt(&mut n.evidence, f("evidence"), &mut e);
            }
            CardContent::Proposta(p) => {
                let f = |name| field_of(PROPOSAL, name);
                req(&mut p.title, f("title"), &mut e);
                opt(&mut p.description, f("description"), &mut e);
                opt(&mut p.actors, f("actors"), &mut e);
                opt(&mut p.instrument, f("instrument"), &mut e);
                opt(&mut p.terzo_settore_role, f("terzo_settore_role"), &mut e);
                area(&mut p.policy_area, f("policy_area"), &mut e);
            }
            CardContent::Indicatore(i) => {
                let f = |name| field_of(INDICATOR, name);
                req(&mut i.name, f("name"), &mut e);
                opt(&mut i.definition, f("definition"), &mut e);
                opt(&mut i.indicator_type, f("indicator_type"), &mut e);
                if let Some(t) = &i.indicator_type {
                    if !INDICATOR_TYPES.iter().any(|(id, _)| id == t) {
                        e.push(FieldError::new(
                            "indicator_type",
                            "Tipo non valido: scegli output, esito, processo o finanziario.",
                        ));
                    }
                }
                for (v, name) in [
                    (&mut i.unit, "unit"),
                    (&mut i.source, "source"),
                    (&mut i.baseline_value, "baseline_value"),
                    (&mut i.target_value, "target_value"),
                    (&mut i.frequency, "frequency"),
                    (&mut i.responsible, "responsible"),
                    (&mut i.disaggregation, "disaggregation"),
                ] {
                    opt(v, f(name), &mut e);
                }
                opt(&mut i.formula, f("formula"), &mut e);
                for (v, name, label) in [
                    (
                        &mut i.baseline_date,
                        "baseline_date",
                        "del valore di partenza",
                    ),
                    (
                        &mut i.target_deadline,
                        "target_deadline",
                        "della scadenza dell'obiettivo",
                    ),
                ] {
                    opt(v, f(name), &mut e);
                    if let Some(d) = v.as_deref() {
                        if chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err() {
                            e.push(FieldError::new(
                                name,
                                format!("La data {label} non è valida (usa AAAA-MM-GG)."),
                            ));
                        }
                    }
                }
                if let (Some(b), Some(t)) = (&i.baseline_date, &i.target_deadline) {
                    if t < b && e.is_empty() {
                        e.push(FieldError::new(
                            "target_deadline",
                            "La scadenza dell'obiettivo deve venire dopo la data del valore di partenza.",
                        ));
                    }
                }
                if i.baseline_value.is_some() != i.baseline_date.is_some() {
                    e.push(FieldError::new(
                        "baseline_date",
                        "Indica insieme il valore di partenza e la data a cui si riferisce.",
                    ));
                }
                if i.target_value.is_some() != i.target_deadline.is_some() {
                    e.push(FieldError::new(
                        "target_deadline",
                        "Indica insieme il valore obiettivo e la scadenza entro cui raggiungerlo.",
                    ));
                }
                area(&mut i.policy_area, f("policy_area"), &mut e);
            }
            // A typed kind with a field it does not have lands here (the plain kind is the
            // untagged fallback of deserialisation): refuse it rather than store a need,
            // proposal or indicator that skipped its own checks.
            CardContent::Altro(p) if TYPED_KINDS.contains(&p.card_type.as_str()) => {
                e.push(FieldError::new(
                    "card_type",
                    "Il contributo contiene campi non previsti per il suo tipo: aggiorna la pagina e riprova.",
                ));
            }
            CardContent::Altro(p) => req(&mut p.text, field_of(PLAIN, "text"), &mut e),
        }
        if e.is_empty() { Ok(()) } else { Err(e) }
    }
}

/// Cleans a text for storage: trims, drops control characters except newlines and tabs.
fn clean(s: &str) -> String {
    s.trim()
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect::<String>()
        .replace("\r\n", "\n")
}

/// A required text (a `String` field: its definition carries the message when it is empty).
fn req(v: &mut String, f: &Field, e: &mut Vec<FieldError>) {
    *v = clean(v);
    if v.is_empty() {
        e.push(FieldError::new(
            f.name,
            f.required.expect("a required card field has its message"),
        ));
    } else {
        too_long(v, f, e);
    }
}

/// An optional text: emptied to `None`.
fn opt(v: &mut Option<String>, f: &Field, e: &mut Vec<FieldError>) {
    if let Some(s) = v {
        *s = clean(s);
        if s.is_empty() {
            *v = None;
        } else {
            too_long(s, f, e);
        }
    }
}

fn too_long(v: &str, f: &Field, e: &mut Vec<FieldError>) {
    if v.chars().count() > f.max {
        e.push(FieldError::new(
            f.name,
            format!("Testo troppo lungo (al massimo {} caratteri).", f.max),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::card_fields::{FORMS, FieldKind, FormItem, fields, form};

    fn areas() -> Vec<String> {
        vec!["Anziani".into(), "Domiciliarità".into()]
    }

    #[test]
    fn cards_deserialise_by_type_and_fall_back_to_plain() {
        let c: CardContent =
            serde_json::from_str(r#"{"card_type":"bisogno","text":"Solitudine"}"#).unwrap();
        assert_eq!(c.card_type(), "bisogno");
        let c: CardContent =
            serde_json::from_str(r#"{"card_type":"rischio","text":"Ritardi"}"#).unwrap();
        assert_eq!(c.card_type(), "rischio");
        assert!(
            serde_json::from_str::<CardContent>(r#"{"card_type":"bisogno","testo":"x"}"#).is_err()
        );
    }

    #[test]
    fn an_indicator_sheet_is_checked() {
        let mut c = CardContent::Indicatore(Indicator {
            name: " Utenti SAD ogni 100 residenti over 65 ".into(),
            indicator_type: Some("output".into()),
            baseline_value: Some("3,2".into()),
            baseline_date: Some("2021-12-31".into()),
            target_value: Some("4".into()),
            target_deadline: Some("2023-12-31".into()),
            policy_area: Some("Anziani".into()),
            ..Default::default()
        });
        c.validate(&areas()).unwrap();
        assert_eq!(c.title(), "Utenti SAD ogni 100 residenti over 65");

        let mut bad = CardContent::Indicatore(Indicator {
            name: "".into(),
            indicator_type: Some("magico".into()),
            baseline_value: Some("3".into()),
            target_deadline: Some("31/12/2023".into()),
            policy_area: Some("Sport".into()),
            ..Default::default()
        });
        let errors = bad.validate(&areas()).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"name") && fields.contains(&"indicator_type"));
        assert!(fields.contains(&"target_deadline") && fields.contains(&"baseline_date"));
        assert!(fields.contains(&"policy_area"));
    }

    /// A card of each kind with every field filled in validly.
    fn full_cards() -> Vec<(serde_json::Value, &'static [FormItem])> {
        use serde_json::json;
        vec![
            (
                json!({"card_type": "bisogno", "text": "t", "policy_area": "a", "secondary_areas": ["a"],
                    "target_group": "t", "territory": "t", "evidence": "e"}),
                NEED,
            ),
            (
                json!({"card_type": "proposta", "title": "t", "description": "d", "actors": "a",
                    "instrument": "i", "terzo_settore_role": "r", "policy_area": "a"}),
                PROPOSAL,
            ),
            (
                json!({"card_type": "indicatore", "name": "n", "definition": "d", "indicator_type": "output",
                    "unit": "u", "formula": "f", "source": "s", "baseline_value": "1",
                    "baseline_date": "2021-01-01", "target_value": "2", "target_deadline": "2023-12-31",
                    "frequency": "annuale", "responsible": "r", "policy_area": "a", "disaggregation": "d"}),
                INDICATOR,
            ),
            (json!({"card_type": "rischio", "text": "t"}), PLAIN),
        ]
    }

    fn errors_of(v: &serde_json::Value) -> Vec<FieldError> {
        let mut c: CardContent = serde_json::from_value(v.clone()).unwrap();
        c.validate(&[]).err().unwrap_or_default()
    }

    #[test]
    fn validation_enforces_the_limits_and_messages_of_the_field_definitions() {
        for (card, form) in full_cards() {
            assert_eq!(errors_of(&card), vec![], "{card}");
            for f in fields(form) {
                let at_most = |n: usize| match f.kind {
                    FieldKind::Areas => serde_json::json!(vec!["a"; n]),
                    _ => serde_json::json!("1".repeat(n)),
                };
                let mut longest = card.clone();
                longest[f.name] = at_most(f.max);
                let mut over = card.clone();
                over[f.name] = at_most(f.max + 1);
                let too_long = |e: &[FieldError]| {
                    e.iter().any(|e| {
                        e.field == f.name && (e.message.contains(&format!("al massimo {} ", f.max)))
                    })
                };
                assert!(
                    !too_long(&errors_of(&longest)),
                    "{}: {} fits",
                    card["card_type"],
                    f.name
                );
                assert!(
                    too_long(&errors_of(&over)),
                    "{}: {} is too long",
                    card["card_type"],
                    f.name
                );
                if let Some(missing) = f.required {
                    let mut empty = card.clone();
                    empty[f.name] = serde_json::json!(" ");
                    assert_eq!(errors_of(&empty), vec![FieldError::new(f.name, missing)]);
                }
            }
        }
    }

    /// The keys of a card's JSON but `card_type`.
    fn keys(content: &CardContent) -> Vec<String> {
        let mut k: Vec<String> = serde_json::to_value(content)
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| *k != "card_type")
            .cloned()
            .collect();
        k.sort();
        k
    }

    fn names(form: &'static [FormItem]) -> Vec<String> {
        let mut n: Vec<String> = fields(form).map(|f| f.name.to_string()).collect();
        n.sort();
        n
    }

    #[test]
    fn every_field_of_every_kind_has_a_definition_and_no_more() {
        for (content, defs) in [
            (CardContent::Bisogno(Need::default()), NEED),
            (CardContent::Proposta(Proposal::default()), PROPOSAL),
            (CardContent::Indicatore(Indicator::default()), INDICATOR),
            (
                CardContent::Altro(Plain {
                    card_type: "rischio".into(),
                    text: String::new(),
                }),
                PLAIN,
            ),
        ] {
            assert_eq!(keys(&content), names(defs), "{}", content.card_type());
            assert_eq!(defs, form(content.card_type()));
        }
    }

    #[test]
    fn the_required_fields_are_those_a_card_cannot_lack() {
        for (content, defs) in [
            (CardContent::Bisogno(Need::default()), NEED),
            (CardContent::Proposta(Proposal::default()), PROPOSAL),
            (CardContent::Indicatore(Indicator::default()), INDICATOR),
        ] {
            let v = serde_json::to_value(&content).unwrap();
            for f in fields(defs) {
                // A `String` field serialises as "" when empty, an optional one as null or [].
                assert_eq!(f.required.is_some(), v[f.name] == "", "{}", f.name);
            }
        }
    }

    #[test]
    fn the_first_field_of_each_form_is_the_card_title() {
        // The browser shows a card's other fields under its title and skips the first.
        for (card_type, defs) in FORMS.iter().copied().chain([("rischio", PLAIN)]) {
            let first = fields(defs).next().unwrap().name;
            let content: CardContent = serde_json::from_value(
                serde_json::json!({"card_type": card_type, first: "Il titolo"}),
            )
            .unwrap();
            assert_eq!(content.title(), "Il titolo", "{card_type}");
        }
    }

    #[test]
    fn control_characters_are_dropped_and_newlines_kept() {
        let mut c = CardContent::Bisogno(Need {
            text: "a\u{1}b\r\nc\u{b}".into(),
            ..Default::default()
        });
        c.validate(&[]).unwrap();
        assert_eq!(c.title(), "ab\nc");
    }

    #[test]
    fn a_typed_card_with_a_field_it_lacks_is_refused_not_stored_as_plain() {
        let mut c: CardContent = serde_json::from_str(
            r#"{"card_type":"bisogno","text":"Anziani soli","colore":"rosso"}"#,
        )
        .unwrap();
        assert!(matches!(c, CardContent::Altro(_)), "serde's fallback");
        let errors = c.validate(&[]).unwrap_err();
        assert_eq!(errors[0].field, "card_type");
        // A kind a board template adds is plain text, as before.
        let mut c: CardContent =
            serde_json::from_str(r#"{"card_type":"risorsa","text":"Sportello sociale"}"#).unwrap();
        assert!(c.validate(&[]).is_ok());
    }
}
