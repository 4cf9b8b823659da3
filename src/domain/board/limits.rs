//! How much the board accepts, in one place: `decide` refuses anything beyond these, and the
//! board page sends them to the browser (`limits` in its configuration, see
//! `domain::board_config`) so that forms stop people before the server has to. Card fields
//! have their own limits in `domain::card_fields`, an objective's text fields in
//! `domain::board::synthesis`.

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
/// The longest synthesis of a policy area, in characters (a few pages).
pub const SYNTHESIS: usize = 20_000;
/// The most needs, and the most indicators, one objective may link.
pub const OBJECTIVE_LINKS: usize = 50;
/// The most actors (bodies involved) of one objective.
pub const OBJECTIVE_ACTORS: usize = 30;
/// The longest actor, in characters.
pub const ACTOR: usize = 120;
/// The most lines of economic resources of one objective.
pub const RESOURCE_LINES: usize = 20;
/// The longest description of a resource line, in characters.
pub const RESOURCE_DESCRIPTION: usize = crate::domain::card_fields::MAX_SHORT;
/// The largest amount of one resource line, in euro cents.
pub const AMOUNT_CENTS: u64 = crate::domain::money::MAX_CENTS;
/// The longest note of a marked card, in characters.
pub const MARK_NOTE: usize = 2000;

// Volume quotas. A real workshop is three hours with up to a hundred or so people: in the
// busiest boards seen, a participant writes 10–30 cards and a few dozen comments, and a board
// holds a few hundred cards. The quotas sit well above that, so nobody in good faith meets them,
// and well below what makes a board unusable: every welcome carries the whole board, so a board
// flooded with cards made every connection download tens of megabytes. `decide` checks them on
// the board's state, so they hold across instances (every instance decides on the same events)
// and replay gives the same answers.

/// The most cards one person may write on one board (withdrawn ones count: they stay in the
/// record). Facilitators have no personal quota: they write on behalf of others.
pub const CARDS_PER_PERSON: usize = 100;
/// The most comments one person may write on one board (on cards and on objectives).
pub const COMMENTS_PER_PERSON: usize = 300;
/// The most text one person may write on one board, in bytes (cards' fields and comments):
/// a hundred long cards, so that one person cannot fill the board's budget alone.
pub const TEXT_PER_PERSON: usize = 300_000;
/// The most cards on one board, for everyone, facilitators and carry-overs included.
pub const CARDS_PER_BOARD: usize = 2_000;
/// The most text on one board, in bytes: cards' fields and comments, for everyone. 5 MB is some
/// 2,000 pages; 2,000 cards of average length take less than a tenth of it.
pub const TEXT_PER_BOARD: usize = 5_000_000;

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
    pub synthesis: usize,
    pub objective_links: usize,
    pub objective_actors: usize,
    pub actor: usize,
    pub resource_lines: usize,
    pub resource_description: usize,
    pub amount_cents: u64,
    pub mark_note: usize,
    pub cards_per_person: usize,
    pub comments_per_person: usize,
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
    synthesis: SYNTHESIS,
    objective_links: OBJECTIVE_LINKS,
    objective_actors: OBJECTIVE_ACTORS,
    actor: ACTOR,
    resource_lines: RESOURCE_LINES,
    resource_description: RESOURCE_DESCRIPTION,
    amount_cents: AMOUNT_CENTS,
    mark_note: MARK_NOTE,
    cards_per_person: CARDS_PER_PERSON,
    comments_per_person: COMMENTS_PER_PERSON,
};
