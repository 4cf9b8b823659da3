//! Services: the application's use cases, between the web layer and the store.

pub mod accounts;
pub mod board;
pub mod catalogue;
pub mod deadlines;
pub mod enrollment;
pub mod mail;
pub mod room;
