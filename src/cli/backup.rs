//! `tavolo backup FILE`: a consistent copy of the SQLite database, taken while Tavolo serves.

use std::path::Path;
use std::process::ExitCode;

use crate::Config;
use crate::store::backup;

pub async fn run(config: &Config, dest: &Path) -> ExitCode {
    match backup::sqlite(&config.database_url, dest).await {
        Ok(s) => {
            use crate::domain::italian::{count_digits, nouns::*};
            println!(
                "Copia scritta: {} ({} byte): {}, {}, {}; integrità verificata.",
                dest.display(),
                s.bytes,
                count_digits(s.enrollments as u64, ISCRIZIONE),
                count_digits(s.board_events as u64, EVENTO),
                count_digits(s.accounts as u64, ACCOUNT),
            );
            ExitCode::SUCCESS
        }
        Err(e) => super::refuse(e),
    }
}
