//! The enrollment rule, in one place.
//!
//! Seats go strictly by order of arrival: an application is `confirmed` while fewer than
//! `capacity` people are confirmed, otherwise `waitlisted`. A cancellation of a confirmed seat
//! promotes the earliest waiting person. When the enrollment window closes, everyone still
//! waiting becomes `not_admitted` and is told that no seat is left. The arrival order is the
//! stamp taken when the request entered the server (see `services::enrollment`), and every
//! decision on a workshop is serialised, so the confirmed set is always the first `capacity`
//! non-cancelled applications.

use serde::{Deserialize, Serialize};

use super::comuni;
use super::text::{self, FieldError};
use super::workshop::Workshop;

/// Where an application stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Confirmed,
    Waitlisted,
    Cancelled,
    /// Still waiting when the window closed: told that no seat is left.
    NotAdmitted,
}

impl Status {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Confirmed => "confirmed",
            Status::Waitlisted => "waitlisted",
            Status::Cancelled => "cancelled",
            Status::NotAdmitted => "not_admitted",
        }
    }

    /// A stored name.
    pub fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "confirmed" => Status::Confirmed,
            "waitlisted" => Status::Waitlisted,
            "cancelled" => Status::Cancelled,
            "not_admitted" => Status::NotAdmitted,
            _ => return None,
        })
    }

    /// The Italian label shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Status::Confirmed => "Iscrizione confermata",
            Status::Waitlisted => "In lista d'attesa",
            Status::Cancelled => "Iscrizione annullata",
            Status::NotAdmitted => "Posti esauriti",
        }
    }
}

/// The seat decision for the next application, given how many are confirmed now.
pub fn decide(confirmed: u32, capacity: u32) -> Status {
    if confirmed < capacity {
        Status::Confirmed
    } else {
        Status::Waitlisted
    }
}

/// What a person submits, before validation (form or JSON).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ApplicationForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub ente: String,
    /// ISTAT code of the Comune (API).
    #[serde(default)]
    pub comune_istat: Option<String>,
    /// The Comune as typed in the form: code, name or "Nome (SIGLA)".
    #[serde(default)]
    pub comune: Option<String>,
    #[serde(default)]
    pub ambito: Option<String>,
    #[serde(default, deserialize_with = "de_checkbox")]
    pub privacy_ack: bool,
}

/// A validated application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Application {
    pub name: String,
    pub email: String,
    /// Lower-cased e-mail: the key for "one enrollment per person per workshop".
    pub email_norm: String,
    pub role: String,
    pub ente: String,
    pub comune_istat: Option<String>,
    pub ambito: Option<String>,
}

/// Why an application cannot be admitted, before any seat is considered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inadmissible {
    /// Field errors (HTTP 422).
    Invalid(Vec<FieldError>),
    /// A valid role that this workshop does not admit (HTTP 403).
    RoleNotEligible { role_label: String },
}

/// Checks every field of an application against a workshop.
pub fn validate(form: &ApplicationForm, workshop: &Workshop) -> Result<Application, Inadmissible> {
    let mut errors = Vec::new();
    let name = text::required_line("name", "il nome e cognome", &form.name, 2, 120, &mut errors);
    let email_norm = text::email("email", &form.email, &mut errors);
    let email = form.email.trim().to_string();
    let role = form.role.trim().to_string();
    let role_label = workshop.role_label(&role).map(str::to_string);
    if role.is_empty() {
        errors.push(FieldError::new("role", "Scegli il tuo ruolo."));
    } else if role_label.is_none() {
        // A program may send the label it read instead of the id: say which id it means.
        let by_label = workshop
            .roles
            .iter()
            .find(|r| r.label.to_lowercase() == role.to_lowercase());
        errors.push(FieldError::new(
            "role",
            match by_label {
                Some(r) => format!(
                    "Ruolo non riconosciuto: «{}» è il nome del ruolo, indica il suo codice «{}».",
                    r.label, r.id
                ),
                None => "Ruolo non riconosciuto: sceglilo dall'elenco.".to_string(),
            },
        ));
    }
    // After the role: errors are listed in the order of the form's fields.
    let ente = text::required_line(
        "ente",
        "l'ente di appartenenza",
        &form.ente,
        2,
        200,
        &mut errors,
    );
    let comune_input = form
        .comune_istat
        .as_deref()
        .or(form.comune.as_deref())
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let comune_istat = match comune_input {
        None => None,
        Some(input) => match comuni::resolve(input) {
            Some(c) => Some(c.codice_istat.to_string()),
            // A name typed in part and not picked from the suggestions: taken when only one
            // Comune matches, else the candidates are named.
            None => match comuni::search(input, 4).as_slice() {
                [only] => Some(only.codice_istat.to_string()),
                [] => {
                    errors.push(FieldError::new(
                        "comune",
                        "Comune non trovato nell'elenco ISTAT: controlla il nome, oppure lascia vuoto il campo (è facoltativo).",
                    ));
                    None
                }
                several => {
                    let names: Vec<String> = several
                        .iter()
                        .take(3)
                        .map(|c| format!("{} ({})", c.denominazione, c.sigla))
                        .collect();
                    errors.push(FieldError::new(
                        "comune",
                        format!(
                            "«{input}» corrisponde a più Comuni ({}{}): scegli quello giusto tra i suggerimenti, oppure lascia vuoto il campo (è facoltativo).",
                            names.join(", "),
                            if several.len() > 3 { "…" } else { "" }
                        ),
                    ));
                    None
                }
            },
        },
    };
    let ambito = workshop.ambito_field("ambito", form.ambito.as_deref(), &mut errors);
    if !form.privacy_ack {
        errors.push(FieldError::new(
            "privacy_ack",
            "Per iscriverti devi dichiarare di aver letto l'informativa sul trattamento dei dati personali.",
        ));
    }
    if !errors.is_empty() {
        return Err(Inadmissible::Invalid(errors));
    }
    if !workshop.is_eligible(&role) {
        return Err(Inadmissible::RoleNotEligible {
            role_label: role_label.unwrap_or_default(),
        });
    }
    Ok(Application {
        name,
        email,
        email_norm,
        role,
        ente,
        comune_istat,
        ambito,
    })
}

/// Accepts `true`, `"on"`, `"true"`, `"1"` and `"yes"` (HTML checkboxes and JSON alike).
fn de_checkbox<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum B {
        Bool(bool),
        Text(String),
    }
    Ok(match B::deserialize(d)? {
        B::Bool(b) => b,
        B::Text(s) => matches!(s.as_str(), "on" | "true" | "1" | "yes" | "si" | "sì"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn workshop() -> Workshop {
        crate::workshop_files::parse_workshop(
            "co-programmazione-2021.toml",
            include_str!("../../workshops/co-programmazione-2021.toml"),
        )
        .expect("seed workshop parses")
    }

    fn good() -> ApplicationForm {
        ApplicationForm {
            name: "Maria Rossi".into(),
            email: "Maria.Rossi@comune.bergamo.it".into(),
            role: "responsabile-ufficio-di-piano".into(),
            ente: "Comune di Bergamo".into(),
            comune: Some("Bergamo".into()),
            privacy_ack: true,
            ..Default::default()
        }
    }

    #[test]
    fn seats_go_to_the_first_arrivals_then_the_waitlist() {
        assert_eq!(decide(0, 2), Status::Confirmed);
        assert_eq!(decide(1, 2), Status::Confirmed);
        assert_eq!(decide(2, 2), Status::Waitlisted);
        assert_eq!(decide(5, 2), Status::Waitlisted);
    }

    #[test]
    fn a_valid_application_is_normalised() {
        let a = validate(&good(), &workshop()).unwrap();
        assert_eq!(a.email_norm, "maria.rossi@comune.bergamo.it");
        assert_eq!(a.comune_istat.as_deref(), Some("016024"));
    }

    #[test]
    fn every_bad_field_is_reported_in_italian() {
        let form = ApplicationForm {
            name: " ".into(),
            email: "nope".into(),
            role: "astronauta".into(),
            ente: "".into(),
            comune: Some("Atlantide".into()),
            privacy_ack: false,
            ..Default::default()
        };
        let Err(Inadmissible::Invalid(errors)) = validate(&form, &workshop()) else {
            panic!("expected field errors")
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["name", "email", "role", "ente", "comune", "privacy_ack"]
        );
    }

    #[test]
    fn an_ineligible_role_is_refused_with_its_label() {
        let form = ApplicationForm {
            role: "referente-ets".into(),
            ..good()
        };
        assert!(matches!(
            validate(&form, &workshop()),
            Err(Inadmissible::RoleNotEligible { .. })
        ));
    }
}

#[cfg(test)]
mod comune_tests {
    use super::*;

    fn with_comune(input: &str) -> Result<Application, Inadmissible> {
        let form = ApplicationForm {
            name: "Maria Rossi".into(),
            email: "maria.rossi@comune.bergamo.it".into(),
            role: "responsabile-ufficio-di-piano".into(),
            ente: "Comune di Bergamo".into(),
            comune: Some(input.into()),
            privacy_ack: true,
            ..Default::default()
        };
        validate(&form, &tests::workshop())
    }

    #[test]
    fn a_comune_typed_in_part_is_taken_when_only_one_matches_else_the_candidates_are_named() {
        let ok = with_comune("Dalmin").unwrap();
        let code = ok.comune_istat.expect("taken");
        assert_eq!(comuni::by_code(&code).unwrap().denominazione, "Dalmine");
        let Err(Inadmissible::Invalid(errors)) = with_comune("San") else {
            panic!("several Comuni start with San")
        };
        assert_eq!(errors[0].field, "comune");
        assert!(
            errors[0].message.contains("corrisponde a più Comuni (")
                && errors[0].message.contains("facoltativo"),
            "{}",
            errors[0].message
        );
        let Err(Inadmissible::Invalid(errors)) = with_comune("Atlantide") else {
            panic!("no Comune is called so")
        };
        assert!(
            errors[0].message.contains("non trovato"),
            "{}",
            errors[0].message
        );
    }
}
