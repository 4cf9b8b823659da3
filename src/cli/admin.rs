//! `tavolo admin`: staff accounts from the terminal (the first organiser on a server without a
//! browser, scripts, benchmarks). The rules are those of the organisers' page
//! (`services::accounts`).

use std::io::Read;
use std::process::ExitCode;

use crate::config::Config;
use crate::domain::access::AccountRole;
use crate::services::accounts::{self, AccessError, CreateError, NewAccount, Problem};
use crate::services::catalogue::Catalogue;
use crate::services::revocation::Revocations;
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
        /// A label to tell the key apart when listing or revoking (default: the date).
        #[arg(long, default_value = "")]
        label: String,
    },
    /// List the API keys (never the keys themselves): id, account, label, created, revoked.
    ApiKeys {
        /// Only the keys of this account.
        #[arg(long)]
        email: Option<String>,
    },
    /// Revoke an API key by its id (see `api-keys`): refused from then on, its board
    /// connections closed.
    RevokeKey {
        #[arg(long)]
        id: i64,
    },
    /// Disable an account: no login, its sessions end, its API keys stop working.
    Disable {
        #[arg(long)]
        email: String,
    },
    /// Enable a disabled account again.
    Enable {
        #[arg(long)]
        email: String,
    },
}

/// How the audit log names what the command line did.
const CLI_ACTOR: &str = "riga di comando (tavolo admin)";

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
        AdminCommand::ApiKey { email, label } => {
            match accounts::new_api_key_for(&store, &email, &label).await? {
                Some(key) => {
                    println!("{key}");
                    Ok(ExitCode::SUCCESS)
                }
                None => Ok(refuse(no_account(&email))),
            }
        }
        AdminCommand::ApiKeys { email } => {
            let only = match &email {
                Some(email) => match accounts::find_by_email(&store, email).await? {
                    Some(a) => Some(a.id),
                    None => return Ok(refuse(no_account(email))),
                },
                None => None,
            };
            let keys = accounts::api_keys(&store, only).await?;
            if keys.is_empty() {
                println!("Nessuna chiave API.");
            }
            for k in keys {
                println!(
                    "{}\t{}\t{}\tcreata {}\t{}",
                    k.id,
                    k.account_email,
                    k.label.as_deref().unwrap_or("-"),
                    when(k.created_at),
                    match k.revoked_at {
                        Some(at) => format!("revocata {}", when(at)),
                        None => "attiva".into(),
                    }
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        AdminCommand::RevokeKey { id } => {
            let revocations = Revocations::new(store.clone());
            match accounts::revoke_api_key(&store, &revocations, id, CLI_ACTOR).await {
                Ok(()) => {
                    println!("Chiave API #{id} revocata.");
                    Ok(ExitCode::SUCCESS)
                }
                Err(AccessError::Db(e)) => Err(e.into()),
                Err(e) => Ok(refuse(format!("chiave #{id}: {e}"))),
            }
        }
        AdminCommand::Disable { email } => switch(&store, &email, true).await,
        AdminCommand::Enable { email } => switch(&store, &email, false).await,
    }
}

/// Disables (`disable`) or enables again the account with this e-mail.
async fn switch(store: &Store, email: &str, disable: bool) -> anyhow::Result<ExitCode> {
    let Some(account) = accounts::find_by_email(store, email).await? else {
        return Ok(refuse(no_account(email)));
    };
    // On SQLite the serving instance hears nothing from this process: its periodic check
    // closes the account's board connections within a minute. Sessions end at once.
    let revocations = Revocations::new(store.clone());
    let done = if disable {
        accounts::disable_account(store, &revocations, account.id, None, CLI_ACTOR).await
    } else {
        accounts::enable_account(store, account.id, CLI_ACTOR).await
    };
    match done {
        Ok(()) if disable => println!("Account {} disattivato.", account.email),
        Ok(()) => println!("Account {} riattivato.", account.email),
        Err(AccessError::Db(e)) => return Err(e.into()),
        Err(e) => return Ok(refuse(e.to_string())),
    }
    Ok(ExitCode::SUCCESS)
}

fn no_account(email: &str) -> String {
    format!(
        "nessun account con l'e-mail {}",
        email.trim().to_lowercase()
    )
}

/// A stored time as the terminal shows it (UTC).
fn when(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
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
