//! The fields of each card kind, defined once: name, Italian label, widget, whether it is
//! required (with the message when it is left empty), the longest value, a hint, suggestions,
//! and the pairs shown together.
//!
//! [`super::cards::CardContent::validate`] takes the limits and the "missing" messages from
//! here, and the board page sends the same definitions to the browser (see
//! [`super::board_config`]), whose forms are built from them: the client keeps no copy of its
//! own, so the two cannot drift apart. A field's `name` is its key in the card's JSON.

use serde::Serialize;

use FormItem::{Field as F, Pair};

/// The longest free text of a card field (a long paragraph; documents stay readable).
pub const MAX_TEXT: usize = 10_000;
/// The longest short field (titles, units, names).
pub const MAX_SHORT: usize = 300;
/// A date is written AAAA-MM-GG.
const DATE_LEN: usize = 10;
/// The most secondary policy areas a need may name.
pub const MAX_SECONDARY_AREAS: usize = 5;

/// How a field is entered. The browser picks the widget from this (its names are those the
/// client's forms switch on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// One line of text.
    Text,
    /// Several lines.
    Textarea,
    /// One of the workshop's policy areas.
    Area,
    /// Several of the workshop's policy areas (at most `max`).
    Areas,
    /// One of [`super::cards::INDICATOR_TYPES`].
    #[serde(rename = "type")]
    IndicatorType,
    /// A date, AAAA-MM-GG.
    Date,
}

/// One field of a card form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Field {
    /// The key in the card's JSON (and the `field` of a validation error).
    pub name: &'static str,
    /// Italian label, also the field's name in the text views and on the projector.
    pub label: &'static str,
    pub kind: FieldKind,
    /// For a required field, the message when it is left empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required: Option<&'static str>,
    /// The longest value in characters; for [`FieldKind::Areas`], the most items.
    pub max: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<&'static str>,
    /// The key of the board configuration holding suggestions for this field
    /// (`"instruments"`, `"frequencies"`); any text is accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub list: Option<&'static str>,
    /// Visible lines of a [`FieldKind::Textarea`] (the browser's default is 3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<u8>,
}

/// An entry of a card form: a field, or two fields shown together under one title (a value
/// and the date it refers to).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum FormItem {
    Field(Field),
    Pair {
        group: &'static str,
        fields: [Field; 2],
    },
}

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

const fn text(name: &'static str, label: &'static str) -> Field {
    field(name, label, FieldKind::Text, MAX_SHORT)
}

const fn textarea(name: &'static str, label: &'static str) -> Field {
    field(name, label, FieldKind::Textarea, MAX_TEXT)
}

const fn date(name: &'static str, label: &'static str) -> Field {
    field(name, label, FieldKind::Date, DATE_LEN)
}

const POLICY_AREA: Field = field("policy_area", "Area di policy", FieldKind::Area, MAX_SHORT);

impl Field {
    const fn required(mut self, missing: &'static str) -> Field {
        self.required = Some(missing);
        self
    }

    const fn hint(mut self, hint: &'static str) -> Field {
        self.hint = Some(hint);
        self
    }

    const fn list(mut self, key: &'static str) -> Field {
        self.list = Some(key);
        self
    }

    const fn rows(mut self, rows: u8) -> Field {
        self.rows = Some(rows);
        self
    }
}

/// A need (`bisogno`).
pub const NEED: &[FormItem] = &[
    F(textarea("text", "Il bisogno")
        .required("Descrivi il bisogno.")
        .hint("Che cosa manca o non funziona, per chi e dove.")),
    F(POLICY_AREA),
    F(text("target_group", "Chi vive il bisogno")
        .hint("Per esempio: anziani soli, famiglie con minori, persone con disabilità.")),
    F(text("territory", "Territorio").hint("Comune, quartiere, Ambito.")),
    F(textarea("evidence", "Fonte o evidenza")
        .hint("Dati, servizi, sportelli, enti del Terzo settore o esperienze su cui vi basate.")),
    F(field(
        "secondary_areas",
        "Aree di policy secondarie",
        FieldKind::Areas,
        MAX_SECONDARY_AREAS,
    )),
];

/// A governance proposal (`proposta`).
pub const PROPOSAL: &[FormItem] = &[
    F(text("title", "Titolo della proposta").required("Dai un titolo alla proposta.")),
    F(textarea("description", "Descrizione")),
    F(textarea("actors", "Attori coinvolti")
        .rows(2)
        .hint("Comuni, ATS, ASST, enti del Terzo settore…")),
    F(text("instrument", "Strumento")
        .list("instruments")
        .hint("Tavolo tecnico, accordo, co-progettazione, patto di collaborazione…")),
    F(textarea("terzo_settore_role", "Ruolo del Terzo settore").rows(2)),
    F(POLICY_AREA),
];

/// A monitoring indicator (`indicatore`): the statutory indicator sheet.
pub const INDICATOR: &[FormItem] = &[
    F(text("name", "Nome dell'indicatore")
        .required("Dai un nome all'indicatore.")
        .hint("Per esempio: utenti SAD ogni 100 residenti over 65.")),
    F(textarea("definition", "Definizione").rows(2)),
    F(field(
        "indicator_type",
        "Tipo",
        FieldKind::IndicatorType,
        MAX_SHORT,
    )),
    F(text("unit", "Unità di misura")),
    F(textarea("formula", "Formula o metodo di calcolo").rows(2)),
    F(text("source", "Fonte del dato")),
    Pair {
        group: "Valore di partenza",
        fields: [
            text("baseline_value", "Valore di partenza"),
            date("baseline_date", "Data di riferimento"),
        ],
    },
    Pair {
        group: "Obiettivo",
        fields: [
            text("target_value", "Valore obiettivo"),
            date("target_deadline", "Scadenza"),
        ],
    },
    F(text("frequency", "Frequenza di rilevazione").list("frequencies")),
    F(text("responsible", "Responsabile della rilevazione")),
    F(POLICY_AREA),
    F(text("disaggregation", "Disaggregazione").hint("Per Comune, sesso, età…")),
];

/// Any other kind a board template defines: one text.
pub const PLAIN: &[FormItem] = &[F(
    textarea("text", "Testo").required("Scrivi il contenuto della scheda.")
)];

/// The kinds with a form of their own, by `card_type`; every other kind uses [`PLAIN`].
pub const FORMS: &[(&str, &[FormItem])] = &[
    ("bisogno", NEED),
    ("proposta", PROPOSAL),
    ("indicatore", INDICATOR),
];

/// The form of a card kind.
pub fn form(card_type: &str) -> &'static [FormItem] {
    FORMS
        .iter()
        .find(|(t, _)| *t == card_type)
        .map_or(PLAIN, |(_, form)| form)
}

/// The fields of a form in order, pairs opened.
pub fn fields(form: &'static [FormItem]) -> impl Iterator<Item = &'static Field> {
    form.iter().flat_map(|item| match item {
        FormItem::Field(f) => std::slice::from_ref(f),
        FormItem::Pair { fields, .. } => fields.as_slice(),
    })
}

/// The field `name` of `form`. Names come from the validation code, never from a request: a
/// missing one is a programming error, caught by the tests of every kind.
pub fn field_of(form: &'static [FormItem], name: &str) -> &'static Field {
    fields(form)
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no card field {name:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browser_receives_the_definitions_in_its_shape() {
        let v = serde_json::to_value(INDICATOR).unwrap();
        assert_eq!(
            v[0],
            serde_json::json!({"name": "name", "label": "Nome dell'indicatore", "kind": "text",
                "required": "Dai un nome all'indicatore.", "max": 300,
                "hint": "Per esempio: utenti SAD ogni 100 residenti over 65."})
        );
        assert_eq!(v[2]["kind"], "type");
        assert_eq!(v[6]["group"], "Valore di partenza");
        assert_eq!(v[6]["fields"][1]["kind"], "date");
        assert_eq!(v[6]["fields"][1]["max"], 10);
    }
}
