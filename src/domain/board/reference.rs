//! How a contribution is cited, in one place: the meeting's code, the letter of the card's kind
//! and its number in that meeting — "M3-1/B01" is the first need written in the first meeting of
//! module 3. The number is assigned once, when the card is written (`decide` puts it in the
//! event, so every screen shows the same one even when a card was still hidden from some of
//! them), and the fold keeps it; the board, the history and every export print the same
//! reference. A card carried over to a later meeting gets a number there too, and names the
//! card it came from ("ripreso da M3-1/B01"). Objectives of the synthesis are cited the same
//! way with the letter O: "M3-1/O01".

use super::model::{BoardState, Card};
use super::synthesis::Objective;
use crate::domain::cards::CardContent;

/// The letter of a kind of card: B (bisogno), P (proposta), I (indicatore), C (any other kind
/// a board template adds).
pub fn letter(content: &CardContent) -> char {
    match content {
        CardContent::Bisogno(_) => 'B',
        CardContent::Proposta(_) => 'P',
        CardContent::Indicatore(_) => 'I',
        CardContent::Altro(_) => 'C',
    }
}

/// The number the next card of this letter takes on this board: cards are never removed from a
/// board (withdrawn, hidden and merged ones stay), so this is one more than those already there.
pub fn next_number(state: &BoardState, of: char) -> u32 {
    let existing = state
        .cards
        .values()
        .filter(|c| letter(&c.content) == of)
        .count();
    u32::try_from(existing).unwrap_or(u32::MAX - 1) + 1
}

/// The letter of objectives (obiettivi): "M3-1/O01".
pub const OBJECTIVE: char = 'O';

/// The number the next objective takes on this board: removed objectives stay on the board, so
/// numbers are never reused.
pub fn next_objective_number(state: &BoardState) -> u32 {
    u32::try_from(state.objectives.len()).unwrap_or(u32::MAX - 1) + 1
}

/// A meeting's code: "M3-1" for the first meeting of module 3.
pub fn meeting_code(module_number: u32, meeting_number: u32) -> String {
    format!("M{module_number}-{meeting_number}")
}

/// A card's reference within its meeting: "B01".
pub fn local(of: char, number: u32) -> String {
    format!("{of}{number:02}")
}

/// A card's full reference: "M3-1/B01".
pub fn full(meeting_code: &str, of: char, number: u32) -> String {
    format!("{meeting_code}/{}", local(of, number))
}

impl Card {
    /// The letter of this card's kind.
    pub fn letter(&self) -> char {
        letter(&self.content)
    }

    /// This card's reference in the meeting with code `meeting_code`.
    pub fn reference(&self, meeting_code: &str) -> String {
        full(meeting_code, self.letter(), self.number)
    }
}

impl Objective {
    /// This objective's reference in the meeting with code `meeting_code`: "M3-1/O01".
    pub fn reference(&self, meeting_code: &str) -> String {
        full(meeting_code, OBJECTIVE, self.number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_read_meeting_kind_and_number() {
        assert_eq!(meeting_code(3, 1), "M3-1");
        assert_eq!(local('B', 1), "B01");
        assert_eq!(local('I', 12), "I12");
        assert_eq!(local('P', 104), "P104");
        assert_eq!(full("M3-1", 'B', 1), "M3-1/B01");
    }
}
