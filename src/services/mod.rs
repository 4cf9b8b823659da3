//! Services: the application's use cases, between the front ends (`web`, `cli`) and the store.
//! A web handler parses the request, calls one of these and renders the answer; the rules and
//! the reading of the database are here.

pub mod accounts;
pub mod attendance;
pub mod audit;
pub mod board;
pub mod catalogue;
pub mod deadlines;
pub mod enrollment;
pub mod hashing;
pub mod login_throttle;
pub mod mail;
pub mod privacy;
pub mod revocation;
pub mod room;
pub mod throttle;
