//! How much the board accepts, in one place: `decide` refuses anything beyond these, and the
//! board page sends them to the browser (`limits` in its configuration, see
//! `domain::board_config`) so that forms stop people before the server has to. Card fields
//! have their own limits in `domain::card_fields`.

use serde::Serialize;

/// The longest id a client may choose (cards, themes, comments), in bytes.
pub const ID: usize = 64;
/// The longest comment, in characters.
pub const COMMENT: usize = 2000;
/// The longest reason for hiding a card, in characters.
pub const HIDE_REASON: usize = 500;
/// The longest name of a person a facilitator writes for, in characters.
pub const ON_BEHALF_NAME: usize = 120;
/// The longest body (ente) of that person, in characters.
pub const ON_BEHALF_ORGANISATION: usize = crate::domain::card_fields::MAX_SHORT;
/// The longest Ambito of that person, in characters (as an Ambito typed at enrollment).
pub const ON_BEHALF_AMBITO: usize = crate::domain::workshop::AMBITO_MAX;
/// The longest theme title, in characters.
pub const THEME_TITLE: usize = 200;
/// The longest timer: a whole afternoon.
pub const TIMER_SECONDS: i64 = 4 * 3600;
/// The most votes a facilitator may give each person in a phase.
pub const VOTE_BUDGET: u32 = 50;

/// The limits as the browser receives them.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Limits {
    pub comment: usize,
    pub hide_reason: usize,
    pub on_behalf_name: usize,
    pub on_behalf_organisation: usize,
    pub on_behalf_ambito: usize,
    pub theme_title: usize,
    pub timer_minutes: i64,
    pub vote_budget: u32,
}

/// Every limit of the board.
pub const LIMITS: Limits = Limits {
    comment: COMMENT,
    hide_reason: HIDE_REASON,
    on_behalf_name: ON_BEHALF_NAME,
    on_behalf_organisation: ON_BEHALF_ORGANISATION,
    on_behalf_ambito: ON_BEHALF_AMBITO,
    theme_title: THEME_TITLE,
    timer_minutes: TIMER_SECONDS / 60,
    vote_budget: VOTE_BUDGET,
};
