//! `tavolo privacy`: a person's data as JSON (art. 15 GDPR) or erased (art. 17), from the
//! server, with the same effect and audit entry as the organisers' page `/admin/privacy`.
//!
//! A command runs in a process of its own: on PostgreSQL the running instances are told to
//! reload the boards it rewrote; on SQLite a live board keeps the erased names in memory until
//! its room closes (nobody connected for a while, or a restart). See docs/privacy.md.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::Config;
use crate::services::catalogue::Catalogue;
use crate::services::privacy;
use crate::store::Store;

use super::refuse;

/// Who acts, in the audit log, when the command line does.
const ACTOR: &str = "riga di comando (tavolo privacy)";

#[derive(clap::Subcommand)]
pub enum PrivacyCommand {
    /// Everything held about an e-mail address, as JSON (art. 15 GDPR).
    Export {
        #[arg(long)]
        email: String,
        /// Output file; `-` (the default) writes to standard output.
        #[arg(short = 'o', long, default_value = "-")]
        output: PathBuf,
    },
    /// Erase the personal data of an e-mail address (art. 17 GDPR): enrollments pseudonymised,
    /// mail and sessions deleted, board contributions kept without the name.
    Erase {
        #[arg(long)]
        email: String,
    },
}

pub async fn run(config: &Config, command: PrivacyCommand) -> anyhow::Result<ExitCode> {
    let store = Store::connect(&config.database_url).await?;
    let code = match command {
        PrivacyCommand::Export { email, output } => {
            let email = match privacy::parse_email(&email) {
                Ok(e) => e,
                Err(e) => return Ok(refuse(e)),
            };
            let catalogue = Catalogue::load(&config.workshops, &store).await?;
            let data = privacy::export(&store, &catalogue, &email).await?;
            privacy::record_export(&store, &data, ACTOR).await?;
            let json = serde_json::to_vec_pretty(&data)?;
            if output.as_os_str() == "-" {
                std::io::Write::write_all(&mut std::io::stdout().lock(), &json)?;
            } else {
                std::fs::write(&output, &json).map_err(|e| {
                    anyhow::anyhow!("impossibile scrivere {}: {e}", output.display())
                })?;
                eprintln!("Scritto {} ({} byte).", output.display(), json.len());
            }
            ExitCode::SUCCESS
        }
        PrivacyCommand::Erase { email } => {
            let email = match privacy::parse_email(&email) {
                Ok(e) => e,
                Err(e) => return Ok(refuse(e)),
            };
            let done = privacy::erase(&store, None, &email, ACTOR).await?;
            if done.enrollments.is_empty() {
                eprintln!("Nessuna iscrizione con l'indirizzo {email}: nulla da cancellare.");
            } else {
                eprintln!("Dati personali cancellati: {}.", done.summary());
            }
            ExitCode::SUCCESS
        }
    };
    store.close().await;
    Ok(code)
}
