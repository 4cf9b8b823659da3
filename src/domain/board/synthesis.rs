//! The synthesis step of a meeting (phase «sintesi» and after): what turns the contributions
//! into a plan, in the same event model as the cards. Facilitators write it, participants
//! comment on it, everyone sees it live, and the documents read it from [`super::BoardState`]:
//!
//! - `syntheses`: per policy area (macro-area of the workshop), a written [`Synthesis`];
//! - `objectives` (in `objective_order`): the [`Objective`]s (obiettivi) built from the
//!   prioritised needs, each a *scheda obiettivo*: [`ObjectiveContent`] with the needs it
//!   answers and the indicators that measure it (links to cards), actors, whether it spans
//!   several Ambiti, economic [`Resource`]s by [`Fund`] and staff;
//! - on any card, a [`CardMark`] (`Card::mark`): an open question or a topic for
//!   co-progettazione, with a note.
//!
//! The fields an objective form shows (labels, limits, the message when the title is missing)
//! are defined once in [`OBJECTIVE_FIELDS`]: `decide` validates with them and the board page
//! sends them to the browser.

use serde::{Deserialize, Serialize};

use super::model::{BoardState, Card, CardState, Comment};
use super::phases::SYNTHESIS_PHASE;
use crate::domain::card_fields::{Field, FieldKind, MAX_SHORT, MAX_TEXT};

/// The written synthesis of one policy area: who wrote its current text and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Synthesis {
    /// One of the workshop's policy areas (the key of `BoardState::syntheses`).
    pub policy_area: String,
    pub text: String,
    /// The facilitator who wrote (or last replaced) it, by name.
    pub by: String,
    /// When, in milliseconds since the epoch.
    pub at: i64,
}

/// An objective (obiettivo) of the plan, with its history: removing it keeps the record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Objective {
    pub id: String,
    /// Its number among the objectives of this board: the reference is "M3-1/O01"
    /// ([`super::reference`]), assigned by `decide` and carried in `objective_created`.
    pub number: u32,
    pub content: ObjectiveContent,
    pub state: ObjectiveState,
    /// The facilitator who created it, by name, and when.
    pub created_by: String,
    pub created_seq: i64,
    pub created_at: i64,
    /// The facilitator who last changed it (edited or removed), by name, and when.
    pub updated_by: String,
    pub updated_at: i64,
    /// Participants' and facilitators' comments, in order (never anonymous).
    pub comments: Vec<Comment>,
}

/// Whether an objective is part of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ObjectiveState {
    Active,
    /// Taken out of the plan by a facilitator (named): participants no longer see it, the
    /// history and the facilitators still do.
    Removed {
        by: String,
    },
}

/// What an objective says: a *scheda obiettivo* of a Piano di Zona. Every field but the title
/// may be empty; texts are trimmed, optional ones are `None` when empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ObjectiveContent {
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Interventions and actions (interventi/azioni) through which it is pursued.
    #[serde(default)]
    pub interventions: Option<String>,
    /// Who it is for (target).
    #[serde(default)]
    pub target_group: Option<String>,
    /// The expected result (risultato atteso, esito).
    #[serde(default)]
    pub expected_result: Option<String>,
    /// When (tempi): a period or milestones, as written.
    #[serde(default)]
    pub timeline: Option<String>,
    /// Ids of the `bisogno` cards of this board it answers (active when linked; a card merged
    /// since is found with [`BoardState::resolve_card`]).
    #[serde(default)]
    pub needs: Vec<String>,
    /// Ids of the `indicatore` cards of this board that measure it.
    #[serde(default)]
    pub indicators: Vec<String>,
    /// The bodies involved (Comuni, ente capofila, ATS, ASST, ETS…), one short text each.
    #[serde(default)]
    pub actors: Vec<String>,
    /// Whether it spans several Ambiti (sovrazonale).
    #[serde(default)]
    pub sovrazonale: bool,
    /// One of the workshop's policy areas; `None` for an objective across areas.
    #[serde(default)]
    pub policy_area: Option<String>,
    /// Economic resources, one line per amount and fund.
    #[serde(default)]
    pub resources: Vec<Resource>,
    /// Staff resources (risorse di personale), as written.
    #[serde(default)]
    pub staff: Option<String>,
}

/// One line of an objective's economic resources.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    /// The amount in euro cents (`1_250_000` is € 12.500,00; see `domain::money`).
    pub amount_cents: u64,
    pub fund: Fund,
    /// Which fund or budget line exactly, when the fund alone does not say (e.g. for
    /// [`Fund::Altro`]).
    #[serde(default)]
    pub description: Option<String>,
}

/// The funds of Lombard social planning an amount comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fund {
    /// Fondo nazionale per le politiche sociali.
    Fnps,
    /// Fondo sociale regionale.
    Fsr,
    /// Fondo per le non autosufficienze.
    Fna,
    /// Fondo povertà (Fondo per la lotta alla povertà e all'esclusione sociale).
    FondoPoverta,
    /// Piano nazionale di ripresa e resilienza.
    Pnrr,
    /// The Comuni's or the Ambito's own funds.
    FondiPropri,
    Altro,
}

impl Fund {
    /// Every fund, in the order forms and tables list them.
    pub const ALL: [Fund; 7] = [
        Fund::Fnps,
        Fund::Fsr,
        Fund::Fna,
        Fund::FondoPoverta,
        Fund::Pnrr,
        Fund::FondiPropri,
        Fund::Altro,
    ];

    /// Its id in events and on the wire: "fnps", "fondo_poverta"…
    pub fn id(self) -> &'static str {
        match self {
            Fund::Fnps => "fnps",
            Fund::Fsr => "fsr",
            Fund::Fna => "fna",
            Fund::FondoPoverta => "fondo_poverta",
            Fund::Pnrr => "pnrr",
            Fund::FondiPropri => "fondi_propri",
            Fund::Altro => "altro",
        }
    }

    /// The fund of an id, if it is one.
    pub fn from_id(id: &str) -> Option<Fund> {
        Fund::ALL.into_iter().find(|f| f.id() == id)
    }

    /// Its short Italian name, for tables and lines: "FNPS", "Fondo povertà", "Fondi propri".
    pub fn label(self) -> &'static str {
        match self {
            Fund::Fnps => "FNPS",
            Fund::Fsr => "FSR",
            Fund::Fna => "FNA",
            Fund::FondoPoverta => "Fondo povertà",
            Fund::Pnrr => "PNRR",
            Fund::FondiPropri => "Fondi propri",
            Fund::Altro => "Altro",
        }
    }

    /// Its full Italian name, for forms and legends.
    pub fn name(self) -> &'static str {
        match self {
            Fund::Fnps => "Fondo nazionale per le politiche sociali",
            Fund::Fsr => "Fondo sociale regionale",
            Fund::Fna => "Fondo per le non autosufficienze",
            Fund::FondoPoverta => "Fondo per la lotta alla povertà e all'esclusione sociale",
            Fund::Pnrr => "Piano nazionale di ripresa e resilienza",
            Fund::FondiPropri => "Fondi propri dei Comuni o dell'Ambito",
            Fund::Altro => "Altro fondo o finanziamento",
        }
    }
}

/// A card marked by a facilitator for the documents' last sections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardMark {
    pub kind: MarkKind,
    /// Why, or what remains to decide.
    #[serde(default)]
    pub note: Option<String>,
    /// The facilitator who marked it, by name, and when.
    pub by: String,
    pub at: i64,
}

/// What a marked card is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkKind {
    /// A point of disagreement or a question left open (questione aperta).
    QuestioneAperta,
    /// A topic to take to co-progettazione (art. 55 c.3 CTS).
    CoProgettazione,
}

impl MarkKind {
    pub const ALL: [MarkKind; 2] = [MarkKind::QuestioneAperta, MarkKind::CoProgettazione];

    /// Its id in events and on the wire.
    pub fn id(self) -> &'static str {
        match self {
            MarkKind::QuestioneAperta => "questione_aperta",
            MarkKind::CoProgettazione => "co_progettazione",
        }
    }

    pub fn from_id(id: &str) -> Option<MarkKind> {
        MarkKind::ALL.into_iter().find(|m| m.id() == id)
    }

    /// "Questione aperta", "Tema per la co-progettazione".
    pub fn label(self) -> &'static str {
        match self {
            MarkKind::QuestioneAperta => "Questione aperta",
            MarkKind::CoProgettazione => "Tema per la co-progettazione",
        }
    }
}

/// Bodies suggested for an objective's actors (any short text is accepted).
pub const ACTORS: &[&str] = &[
    "Comuni dell'Ambito",
    "Ente capofila",
    "Ufficio di Piano",
    "ATS",
    "ASST",
    "Enti del Terzo settore (ETS)",
];

/// The longest staff text, in characters.
const MAX_STAFF: usize = 2000;

const fn field(name: &'static str, label: &'static str, kind: FieldKind, max: usize) -> Field {
    Field {
        name,
        label,
        kind,
        required: None,
        max,
        hint: None,
        list: None,
        rows: None,
    }
}

/// The text fields of an objective, in the order of the form (the links, actors, resources and
/// `sovrazonale` have widgets of their own). Its first field is the title.
pub const OBJECTIVE_FIELDS: &[Field] = &[
    Field {
        required: Some("Dai un titolo all'obiettivo."),
        ..field("title", "Titolo dell'obiettivo", FieldKind::Text, MAX_SHORT)
    },
    Field {
        rows: Some(3),
        ..field("description", "Descrizione", FieldKind::Textarea, MAX_TEXT)
    },
    Field {
        hint: Some("Servizi, progetti e azioni con cui si persegue l'obiettivo."),
        rows: Some(3),
        ..field(
            "interventions",
            "Interventi e azioni",
            FieldKind::Textarea,
            MAX_TEXT,
        )
    },
    Field {
        hint: Some("Per esempio: anziani soli over 75, famiglie con minori 0-6 anni."),
        ..field(
            "target_group",
            "Destinatari (target)",
            FieldKind::Text,
            MAX_SHORT,
        )
    },
    Field {
        rows: Some(2),
        ..field(
            "expected_result",
            "Risultato atteso",
            FieldKind::Textarea,
            MAX_TEXT,
        )
    },
    Field {
        hint: Some("Per esempio: 2025-2027, avvio entro giugno 2025."),
        ..field("timeline", "Tempi", FieldKind::Text, MAX_SHORT)
    },
    field("policy_area", "Area di policy", FieldKind::Area, MAX_SHORT),
    Field {
        hint: Some("Figure professionali, ore, enti che le mettono a disposizione."),
        rows: Some(2),
        ..field(
            "staff",
            "Risorse di personale",
            FieldKind::Textarea,
            MAX_STAFF,
        )
    },
];

/// The definition of the objective field `name` (names come from the code, never a request).
pub fn objective_field(name: &str) -> &'static Field {
    OBJECTIVE_FIELDS
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no objective field {name:?}"))
}

impl Objective {
    pub fn is_active(&self) -> bool {
        self.state == ObjectiveState::Active
    }
}

impl ObjectiveContent {
    /// The sum of its economic resources, in cents.
    pub fn total_cents(&self) -> u64 {
        self.resources.iter().map(|r| r.amount_cents).sum()
    }
}

/// Whether the synthesis is open in `phase` of a board with `phases`: from the phase «sintesi»
/// on; on a board whose template has no such phase, always (there is nothing to wait for).
pub fn synthesis_open(phases: &[String], phase: &str) -> bool {
    match phases.iter().position(|p| p == SYNTHESIS_PHASE) {
        Some(from) => phases
            .iter()
            .position(|p| p == phase)
            .is_some_and(|at| at >= from),
        None => true,
    }
}

impl BoardState {
    /// Whether facilitators may write the synthesis now (see [`synthesis_open`]).
    pub fn synthesis_open(&self) -> bool {
        synthesis_open(&self.template.phases, &self.phase)
    }

    /// The objectives that are part of the plan, in the order they were created.
    pub fn active_objectives(&self) -> impl Iterator<Item = &Objective> {
        self.objective_order
            .iter()
            .filter_map(|id| self.objectives.get(id))
            .filter(|o| o.is_active())
    }

    /// The card `id`, or the card it was merged into (following merges), as a link from an
    /// objective should be read. `None` for an unknown id.
    pub fn resolve_card(&self, id: &str) -> Option<&Card> {
        let mut card = self.cards.get(id)?;
        // A merge chain cannot loop (only active cards are merged into active ones), but a
        // board is data: stop after as many steps as there are cards.
        for _ in 0..self.cards.len() {
            match &card.state {
                CardState::Merged { into } => match self.cards.get(into) {
                    Some(next) => card = next,
                    None => break,
                },
                _ => break,
            }
        }
        Some(card)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phases(list: &[&str]) -> Vec<String> {
        list.iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn the_synthesis_opens_with_its_phase() {
        let default = phases(&["preparazione", "raccolta", "voto", "sintesi", "chiuso"]);
        let open: Vec<bool> = default
            .iter()
            .map(|p| synthesis_open(&default, p))
            .collect();
        assert_eq!(open, [false, false, false, true, true]);
        assert!(!synthesis_open(&default, "sconosciuta"));
        let without = phases(&["raccolta", "restituzione"]);
        assert!(synthesis_open(&without, "raccolta"));
    }

    #[test]
    fn funds_and_marks_have_ids_labels_and_wire_names() {
        for f in Fund::ALL {
            assert_eq!(Fund::from_id(f.id()), Some(f));
            assert_eq!(serde_json::to_value(f).unwrap(), f.id());
            assert!(!f.label().is_empty() && !f.name().is_empty());
        }
        assert_eq!(Fund::from_id("FNPS"), None, "ids are exact");
        for m in MarkKind::ALL {
            assert_eq!(MarkKind::from_id(m.id()), Some(m));
            assert_eq!(serde_json::to_value(m).unwrap(), m.id());
        }
    }

    #[test]
    fn the_first_objective_field_is_the_required_title() {
        let first = &OBJECTIVE_FIELDS[0];
        assert_eq!(first.name, "title");
        assert!(first.required.is_some());
        assert!(OBJECTIVE_FIELDS[1..].iter().all(|f| f.required.is_none()));
        // Every text field of the content has a definition.
        let content = serde_json::to_value(ObjectiveContent::default()).unwrap();
        for f in OBJECTIVE_FIELDS {
            assert!(content.get(f.name).is_some(), "{}", f.name);
        }
    }
}
