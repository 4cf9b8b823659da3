//! The `tavolo` command's work besides serving: checking the workshop files, managing staff
//! accounts, exporting, backing up. `main.rs` parses the arguments and calls these. Each returns the exit
//! code: 0, or 1 for a failure, or 2 for a request that cannot be carried out (unknown
//! workshop, invalid e-mail…), with its message already printed to standard error.

pub mod admin;
pub mod backup;
pub mod export;
pub mod privacy;

use std::path::Path;
use std::process::ExitCode;

/// `tavolo check`: validates the workshop files of `dir` without serving, one line per workshop.
pub fn check(dir: &Path) -> ExitCode {
    match crate::workshop_files::load_dir(dir) {
        Ok(workshops) => {
            for w in &workshops {
                use crate::domain::italian::{count_digits, nouns::*};
                println!(
                    "ok  {}: {}, {}, {}",
                    w.slug,
                    count_digits(w.modules.len() as u64, MODULO),
                    count_digits(w.meetings().count() as u64, INCONTRO),
                    count_digits(u64::from(w.capacity), POSTO)
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}

/// Prints `errore: …` and returns the exit code of a request that cannot be carried out.
fn refuse(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("errore: {message}");
    ExitCode::from(2)
}
