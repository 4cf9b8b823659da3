//! `tavolo admin`: staff accounts from the terminal (the first organiser on a server without a
//! browser, scripts, benchmarks). The rules are those of the organisers' page
//! (`services::accounts`).

use std::io::Read;
use std::process::ExitCode;

use crate::config::Config;
use crate::domain::access::AccountRole;
use crate::services::accounts::{self, CreateError, NewAccount, Problem};
use crate::services::catalogue::Catalogue;
use crate::store::Store;

use super::refuse;

/// The `tavolo admin` subcommands.
#[derive(clap::Subcommand)]
pub enum AdminCommand {
    /// Create an organiser or facilitator account.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// organiser | facilitator
        #[arg(long)]
        role: String,
        /// Workshop slug a facilitator is assigned to (repeatable).
        #[arg(long)]
        workshop: Vec<String>,
        /// Read the password from standard input; otherwise a one-time link is printed.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Print a new API key for an account.
    ApiKey {
        #[arg(long)]
        email: String,
    },
}

/// Runs an admin subcommand.
pub async fn run(config: &Config, command: AdminCommand) -> anyhow::Result<ExitCode> {
    let store = Store::connect(&config.database_url).await?;
    match command {
        AdminCommand::Create {
            email,
            name,
            role,
            workshop,
            password_stdin,
        } => {
            let Some(parsed_role) = AccountRole::parse(&role) else {
                return Ok(refuse(role_problem(&role)));
            };
            let password = if password_stdin {
                let mut password = String::new();
                std::io::stdin().read_to_string(&mut password)?;
                Some(password.trim_end_matches(['\r', '\n']).to_string())
            } else {
                None
            };
            // Workshops are assigned by slug: the catalogue must be synced to know their ids.
            let catalogue = Catalogue::load(&config.workshops, &store).await?;
            let new = NewAccount {
                name,
                email: email.clone(),
                role: Some(parsed_role),
                workshops: workshop,
                password,
            };
            let checked = match accounts::check(&store, &catalogue, new).await {
                Ok(checked) => checked,
                Err(CreateError::Rejected(problems)) => {
                    let first = problems.first().map(|p| message(p, &email, &role));
                    return Ok(refuse(first.unwrap_or_default()));
                }
                Err(CreateError::Db(e)) => return Err(e.into()),
            };
            let created = accounts::create(&store, &config.base_url(), checked).await?;
            println!(
                "Creato l'account {} ({}).",
                created.email,
                created.role.label()
            );
            if let Some(link) = created.link {
                println!(
                    "Link per scegliere la password (valido 7 giorni, una sola volta):\n  {link}"
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        AdminCommand::ApiKey { email } => match accounts::new_api_key_for(&store, &email).await? {
            Some(key) => {
                println!("{key}");
                Ok(ExitCode::SUCCESS)
            }
            None => Ok(refuse(format!("nessun account con l'e-mail {email}"))),
        },
    }
}

fn role_problem(role: &str) -> String {
    format!("ruolo «{role}» non valido: usare organiser oppure facilitator")
}

/// A problem of the new account, as the terminal says it.
fn message(problem: &Problem, email: &str, role: &str) -> String {
    match problem {
        Problem::Field(e) => e.message.clone(),
        Problem::NoRole => role_problem(role),
        Problem::UnknownWorkshop(slug) => format!("nessun laboratorio con slug «{slug}»"),
        Problem::EmailTaken => format!(
            "esiste già un account con l'e-mail {}",
            email.trim().to_lowercase()
        ),
        Problem::Password(p) => (*p).to_string(),
        Problem::PasswordsDiffer => "le due password non coincidono".into(),
    }
}
