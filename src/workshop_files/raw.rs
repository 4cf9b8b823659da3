//! The file's shape, as serde reads it: which keys exist in which table, which are required,
//! and their TOML types. `deny_unknown_fields` makes a misspelt key an error instead of a
//! silently ignored line. Nothing here is checked for meaning; that is the checker's work.
//!
//! Spans are kept wherever a later check needs a line. Every key here is documented in
//! `docs/workshop-format.md` (a test in `tests.rs` keeps the two in step).

use serde::Deserialize;
use toml::Spanned;

pub(super) type Text = Spanned<String>;
pub(super) type TextList = Spanned<Vec<Spanned<String>>>;
/// Dates and times are read as any TOML value so that a wrong one gets our own message.
pub(super) type Moment = Spanned<toml::Value>;

/// The keys of the file's top level, in the order of [`RawWorkshop`], for the hint when one is
/// written inside a table.
pub(super) const TOP_LEVEL_KEYS: &[&str] = &[
    "slug",
    "title",
    "organiser",
    "funding",
    "description",
    "timezone",
    "capacity",
    "enrollment_opens",
    "enrollment_closes",
    "eligible_roles",
    "facilitators",
    "video_link",
    "ambiti",
    "process",
    "procedure",
    "policy_areas",
    "roles",
    "board_templates",
    "modules",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWorkshop {
    pub slug: Text,
    pub title: Text,
    pub organiser: Text,
    pub funding: Text,
    pub description: Option<Text>,
    pub timezone: Option<Text>,
    pub capacity: Spanned<i64>,
    pub enrollment_opens: Moment,
    pub enrollment_closes: Moment,
    pub eligible_roles: TextList,
    pub facilitators: TextList,
    pub video_link: Option<Text>,
    pub ambiti: Option<TextList>,
    pub process: Option<Text>,
    pub procedure: Option<Spanned<RawProcedure>>,
    pub policy_areas: Option<TextList>,
    #[serde(default)]
    pub roles: Vec<Spanned<RawRole>>,
    #[serde(default)]
    pub board_templates: Vec<Spanned<RawBoardTemplate>>,
    pub modules: Spanned<Vec<Spanned<RawModule>>>,
}

/// `[procedure]`: the facts of a procedimento (with `process = "procedimento"`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProcedure {
    pub authority: Text,
    pub lead_body: Text,
    pub ambito: Text,
    pub responsible: Text,
    pub minutes_by: Text,
    pub opening_act: Spanned<RawOpeningAct>,
    pub public_notice: Option<Moment>,
    pub plan_period: Option<Text>,
    #[serde(default)]
    pub parties: Vec<Spanned<RawParty>>,
}

/// `opening_act = { kind, number, date }`
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOpeningAct {
    pub kind: Text,
    pub number: Text,
    pub date: Moment,
}

/// `[[procedure.parties]]`
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawParty {
    pub kind: Text,
    pub name: Text,
    pub represented_by: Option<Text>,
}

/// `[[roles]]`
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRole {
    pub id: Text,
    pub label: Text,
}

/// `[[board_templates]]`
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBoardTemplate {
    pub name: Text,
    pub phases: TextList,
    pub columns: Spanned<Vec<Spanned<RawColumn>>>,
}

/// `[[board_templates.columns]]`
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawColumn {
    pub card_type: Text,
    pub title: Text,
    pub prompt: Text,
}

/// `[[modules]]`
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawModule {
    pub title: Text,
    pub topics: Option<TextList>,
    pub meetings: Spanned<Vec<Spanned<RawMeeting>>>,
}

/// `[[modules.meetings]]`
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMeeting {
    pub date: Moment,
    pub start: Moment,
    pub end: Moment,
    pub place: Text,
    pub title: Option<Text>,
    pub board_template: Option<Text>,
    pub agenda: Option<TextList>,
    pub video_link: Option<Text>,
}
