//! Pure types and rules: no IO, no async. Everything here is unit-testable on its own.

pub mod access;
pub mod attendance;
pub mod board;
pub mod board_config;
pub mod card_fields;
pub mod cards;
pub mod comuni;
pub mod dates;
pub mod defaults;
pub mod enrollment;
pub mod guest_code;
pub mod ics;
pub mod italian;
pub mod money;
pub mod privacy;
pub mod process;
pub mod text;
pub mod workshop;
