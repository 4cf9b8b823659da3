//! The workshop catalogue as plain data: what a `workshops/*.toml` file describes once validated.
//!
//! These types are built only by [`crate::workshop_files`], which checks every invariant stated
//! here, so code elsewhere may rely on them (e.g. meetings are in date order, slugs are URL-safe,
//! every meeting has its board template). The format of the files is `docs/workshop-format.md`;
//! what a workshop has when its file is silent is in [`super::defaults`].

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::process::Process;
use super::text::{self, FieldError};

/// The longest Ambito territoriale typed by hand, in characters.
pub const AMBITO_MAX: usize = 120;

/// A workshop ("Laboratorio") with its modules, meetings and enrollment rules.
#[derive(Debug, Clone, Serialize)]
pub struct Workshop {
    /// URL id: lowercase ASCII letters, digits and '-'.
    pub slug: String,
    pub title: String,
    pub organiser: String,
    /// Funding line as printed on documents (e.g. "POR FSE 2014-2020 … CUP …").
    pub funding: String,
    pub description: String,
    #[serde(serialize_with = "ser_tz")]
    pub timezone: Tz,
    /// Seats; applications beyond this go to the waitlist.
    pub capacity: u32,
    pub enrollment_opens: DateTime<Utc>,
    pub enrollment_closes: DateTime<Utc>,
    /// Role ids (see [`Role`]) that may enroll.
    pub eligible_roles: Vec<String>,
    pub facilitators: Vec<String>,
    /// The video-call address of the online meetings that name none of their own. Shown only
    /// to people with a seat and to staff; never on public pages (so never serialised).
    #[serde(skip)]
    pub video_link: Option<String>,
    pub modules: Vec<Module>,
    /// Roles known to this workshop (defaults plus the file's own).
    pub roles: Vec<Role>,
    /// Policy areas (macro-aree) known to this workshop.
    pub policy_areas: Vec<String>,
    /// Ambiti territoriali that participants may choose from (may be empty: free text then).
    pub ambiti: Vec<String>,
    /// A training laboratorio or a procedimento of an Ambito: the documents take its shape.
    pub process: Process,
    /// Board templates this workshop's meetings may use: the built-in "co-programmazione" first
    /// (or the file's redefinition of it), then the file's own. Every meeting's
    /// `board_template` names one of these.
    pub board_templates: Vec<BoardTemplate>,
}

/// One module of a workshop: a theme covered by one or more meetings.
#[derive(Debug, Clone, Serialize)]
pub struct Module {
    /// 1-based position in the workshop.
    pub number: u32,
    pub title: String,
    pub topics: Vec<String>,
    pub meetings: Vec<Meeting>,
}

/// One meeting (incontro) of a module; each is a minuted session with its own board.
#[derive(Debug, Clone, Serialize)]
pub struct Meeting {
    /// Stable key inside the workshop, "M{module}-{meeting}" (e.g. "M1-2"), used to match
    /// meetings across edits of the file so that their data is never lost.
    pub key: String,
    /// 1-based position inside the module.
    pub number: u32,
    pub date: NaiveDate,
    pub start: NaiveTime,
    pub end: NaiveTime,
    /// "online" or an address.
    pub place: String,
    /// Optional title for this meeting (defaults to the module's).
    pub title: Option<String>,
    /// Name of the board template for this meeting ("co-programmazione" by default).
    pub board_template: String,
    /// The ordine del giorno: the points the meeting treats, in order (may be empty).
    pub agenda: Vec<String>,
    /// Where to connect: the meeting's own video-call address, or the workshop's for an online
    /// meeting. Private like [`Workshop::video_link`].
    #[serde(skip)]
    pub video_link: Option<String>,
    /// That template, found when the file was checked: a meeting cannot name one that does not
    /// exist, so no caller needs a fallback. Not public, so that only the checker builds
    /// meetings.
    #[serde(skip)]
    pub(crate) template: Arc<BoardTemplate>,
}

/// A role a person may declare when enrolling (e.g. "Responsabile Ufficio di Piano").
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Role {
    pub id: String,
    pub label: String,
}

/// A board template: the columns (card kinds) and phases a meeting's board uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct BoardTemplate {
    pub name: String,
    pub columns: Vec<BoardColumn>,
    pub phases: Vec<String>,
}

/// One column of a board: a card kind with its heading and prompt for participants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct BoardColumn {
    /// Card kind: "bisogno", "proposta", "indicatore" or a template's own.
    pub card_type: String,
    pub title: String,
    pub prompt: String,
}

fn ser_tz<S: serde::Serializer>(tz: &Tz, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(tz.name())
}

impl Workshop {
    /// Every meeting in calendar order, with its module.
    pub fn meetings(&self) -> impl Iterator<Item = (&Module, &Meeting)> {
        self.modules
            .iter()
            .flat_map(|m| m.meetings.iter().map(move |mt| (m, mt)))
    }

    /// Whether a role id may enroll.
    pub fn is_eligible(&self, role: &str) -> bool {
        self.eligible_roles.iter().any(|r| r == role)
    }

    /// The board template a meeting of this workshop uses (resolved when the file was checked).
    pub fn board_template<'a>(&self, meeting: &'a Meeting) -> &'a BoardTemplate {
        &meeting.template
    }

    /// The label of a role id, if known.
    pub fn role_label(&self, role: &str) -> Option<&str> {
        self.roles
            .iter()
            .find(|r| r.id == role)
            .map(|r| r.label.as_str())
    }

    /// The Ambito territoriale of a form (optional; empty means none): trimmed, at most
    /// [`AMBITO_MAX`] characters, and one of this workshop's Ambiti when it lists them, so
    /// that an Ambito filter finds everyone who chose it. Enrollment and guests ask it alike.
    pub fn ambito_field(
        &self,
        field: &str,
        value: Option<&str>,
        errors: &mut Vec<FieldError>,
    ) -> Option<String> {
        let ambito =
            text::optional_line(field, "l'ambito territoriale", value, AMBITO_MAX, errors)?;
        if !self.ambiti.is_empty() && !self.ambiti.contains(&ambito) {
            errors.push(FieldError::new(
                field,
                "Ambito territoriale non riconosciuto: sceglilo dall'elenco.",
            ));
        }
        Some(ambito)
    }

    /// Where the enrollment window stands at `now`.
    pub fn window(&self, now: DateTime<Utc>) -> Window {
        if now < self.enrollment_opens {
            Window::NotYetOpen
        } else if now > self.enrollment_closes {
            Window::Closed
        } else {
            Window::Open
        }
    }
}

/// The enrollment window relative to a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Window {
    NotYetOpen,
    Open,
    Closed,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workshop(ambiti: &[&str]) -> Workshop {
        let mut w = crate::workshop_files::parse_workshop(
            "co-programmazione-2021.toml",
            include_str!("../../workshops/co-programmazione-2021.toml"),
        )
        .expect("seed workshop parses");
        w.ambiti = ambiti.iter().map(|a| a.to_string()).collect();
        w
    }

    #[test]
    fn an_ambito_is_one_of_the_workshops_when_it_lists_them_else_free_text() {
        let listed = workshop(&["Ambito di Bergamo", "Ambito di Dalmine"]);
        let free = workshop(&[]);
        let long = "x".repeat(AMBITO_MAX + 1);
        // (workshop, value, kept, error)
        let cases: [(&Workshop, Option<&str>, Option<&str>, bool); 8] = [
            (&listed, None, None, false),
            (&listed, Some("   "), None, false),
            (
                &listed,
                Some(" Ambito di Dalmine "),
                Some("Ambito di Dalmine"),
                false,
            ),
            (
                &listed,
                Some("Ambito di Lecco"),
                Some("Ambito di Lecco"),
                true,
            ),
            (
                &free,
                Some("Ambito di Lecco"),
                Some("Ambito di Lecco"),
                false,
            ),
            (&free, Some(&long), Some(&long), true),
            (&free, Some("riga\u{7}"), Some("riga\u{7}"), true),
            (&free, None, None, false),
        ];
        for (w, value, kept, error) in cases {
            let mut errors = Vec::new();
            let got = w.ambito_field("ambito", value, &mut errors);
            assert_eq!(got.as_deref(), kept, "{value:?}");
            assert_eq!(!errors.is_empty(), error, "{value:?}: {errors:?}");
            assert!(errors.iter().all(|e| e.field == "ambito"));
        }
    }
}
