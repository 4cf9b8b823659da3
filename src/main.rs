//! The `tavolo` command: serve (default), check, admin, export.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tavolo::domain::access::AccountRole;
use tavolo::services::accounts;
use tavolo::store::{self, Store};
use tavolo::{Config, Tavolo};

#[derive(Parser)]
#[command(
    name = "tavolo",
    version,
    about = "Tavolo — laboratori di co-programmazione"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    config: Config,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the application (the default).
    Serve,
    /// Validate the workshop files without serving.
    Check {
        /// Directory of the workshop files (default: TAVOLO_WORKSHOPS or `workshops`).
        dir: Option<PathBuf>,
    },
    /// Manage staff accounts.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Export a meeting, a module or a workshop: Word drafts, CSV or JSON (as on the web).
    Export(ExportArgs),
}

#[derive(clap::Args)]
struct ExportArgs {
    /// Meeting id (the number in /incontri/ID).
    #[arg(long, conflicts_with = "module")]
    meeting: Option<i64>,
    /// Module number, with --workshop (or alone when there is one workshop).
    #[arg(long)]
    module: Option<u32>,
    /// Workshop slug: the whole workshop, or the workshop of --module.
    #[arg(long)]
    workshop: Option<String>,
    /// verbale | coprogrammazione | accordo (Word), csv | json. Default: from the extension
    /// of -o (.csv, .json; .docx = verbale for a meeting, coprogrammazione otherwise).
    #[arg(long = "type")]
    doc_type: Option<String>,
    /// Only the cards and people of this Ambito.
    #[arg(long)]
    ambito: Option<String>,
    /// List the cards hidden by moderation in an appendix.
    #[arg(long)]
    nascosti: bool,
    /// Output file; `-` writes to standard output.
    #[arg(short = 'o', long)]
    output: PathBuf,
}

#[derive(Subcommand)]
enum AdminCommand {
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

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("errore: impossibile avviare il runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("errore: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = cli.config;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Check { dir } => {
            let dir = dir.unwrap_or(config.workshops);
            match tavolo::workshop_files::load_dir(&dir) {
                Ok(workshops) => {
                    for w in &workshops {
                        println!(
                            "ok  {}: {} moduli, {} incontri, {} posti",
                            w.slug,
                            w.modules.len(),
                            w.meetings().count(),
                            w.capacity
                        );
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("{e}");
                    Ok(ExitCode::from(1))
                }
            }
        }
        Command::Admin { command } => admin(config, command).await,
        Command::Export(args) => export(config, args).await,
    }
}

async fn serve(config: Config) -> anyhow::Result<ExitCode> {
    let listener = tavolo::listen(config.bind)
        .map_err(|e| anyhow::anyhow!("impossibile ascoltare su {}: {e}", config.bind))?;
    let tavolo = Tavolo::start(&config).await?;
    let shutdown = tavolo.state.shutdown.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down");
        shutdown.cancel();
    });
    println!("Tavolo è in ascolto su {}", config.base_url());
    if let Some(link) = &tavolo.setup_link {
        println!(
            "Primo avvio: crea l'account dell'organizzazione con questo link (valido 7 giorni, una sola volta):\n  {link}"
        );
    }
    tavolo.serve(listener).await?;
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

async fn export(config: Config, args: ExportArgs) -> anyhow::Result<ExitCode> {
    use tavolo::export::{DocType, Extent, Format, HiddenCards, Scope};
    let usage = |msg: String| {
        eprintln!("errore: {msg}");
        Ok(ExitCode::from(2))
    };
    let store = Store::connect(&config.database_url).await?;
    let catalogue = tavolo::services::catalogue::Catalogue::load(&config.workshops, &store).await?;
    let templates = tavolo::templates::Templates::new(config.templates_dir());
    templates.check_all()?;
    let (entry, extent) = if let Some(id) = args.meeting {
        match catalogue.meeting(id) {
            Some(m) => (m.entry.clone(), Extent::Meeting(id)),
            None => return usage(format!("nessun incontro con id {id}")),
        }
    } else {
        let entry = match (&args.workshop, catalogue.all()) {
            (Some(slug), _) => match catalogue.by_slug(slug) {
                Some(e) => e.clone(),
                None => return usage(format!("nessun laboratorio con slug «{slug}»")),
            },
            (None, [only]) => only.clone(),
            (None, _) => return usage("indica --meeting ID, oppure --workshop SLUG".into()),
        };
        match args.module {
            Some(n) if entry.workshop.modules.iter().any(|m| m.number == n) => {
                (entry, Extent::Module(n))
            }
            Some(n) => return usage(format!("il laboratorio non ha un modulo {n}")),
            None => (entry, Extent::Workshop),
        }
    };
    let extension = args
        .output
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_lowercase();
    let default_doc = if matches!(extent, Extent::Meeting(_)) {
        DocType::Verbale
    } else {
        DocType::Coprogrammazione
    };
    let format = match args.doc_type.as_deref().map(str::to_lowercase).as_deref() {
        Some("csv") => Format::Csv,
        Some("json") => Format::Json,
        Some(t) => match DocType::parse(t) {
            Some(d) => Format::Docx(d),
            None => {
                return usage(format!(
                    "tipo «{t}» non valido: verbale, coprogrammazione, accordo, csv o json"
                ));
            }
        },
        None => match extension.as_str() {
            "csv" => Format::Csv,
            "json" => Format::Json,
            _ => Format::Docx(default_doc),
        },
    };
    let scope = Scope {
        extent,
        ambito: args
            .ambito
            .map(|a| a.trim().to_string())
            .filter(|a| !a.is_empty()),
        hidden: if args.nascosti {
            HiddenCards::Apart
        } else {
            HiddenCards::Omit
        },
    };
    let file =
        tavolo::export::export(store, entry, std::sync::Arc::new(templates), scope, format).await?;
    if args.output.as_os_str() == "-" {
        std::io::Write::write_all(&mut std::io::stdout().lock(), &file.bytes)?;
    } else {
        std::fs::write(&args.output, &file.bytes)
            .map_err(|e| anyhow::anyhow!("impossibile scrivere {}: {e}", args.output.display()))?;
        eprintln!(
            "Scritto {} ({} byte).",
            args.output.display(),
            file.bytes.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn admin(config: Config, command: AdminCommand) -> anyhow::Result<ExitCode> {
    let store = Store::connect(&config.database_url).await?;
    match command {
        AdminCommand::Create {
            email,
            name,
            role,
            workshop,
            password_stdin,
        } => {
            let Some(role) = AccountRole::parse(&role) else {
                eprintln!("errore: ruolo «{role}» non valido: usare organiser oppure facilitator");
                return Ok(ExitCode::from(2));
            };
            let email = email.trim().to_lowercase();
            let mut problems = vec![];
            tavolo::domain::text::email("email", &email, &mut problems);
            if let Some(p) = problems.first() {
                eprintln!("errore: {}", p.message);
                return Ok(ExitCode::from(2));
            }
            if store::accounts::by_email(&store, &email).await?.is_some() {
                eprintln!("errore: esiste già un account con l'e-mail {email}");
                return Ok(ExitCode::from(2));
            }
            let password_hash = if password_stdin {
                let mut password = String::new();
                std::io::stdin().read_to_string(&mut password)?;
                let password = password.trim_end_matches(['\r', '\n']);
                if let Some(p) = accounts::password_problem(password) {
                    eprintln!("errore: {p}");
                    return Ok(ExitCode::from(2));
                }
                Some(accounts::hash_password(password))
            } else {
                None
            };
            // Workshops are assigned by slug: the catalogue must be synced to know their ids.
            let catalogue =
                tavolo::services::catalogue::Catalogue::load(&config.workshops, &store).await?;
            let mut ids = vec![];
            for slug in &workshop {
                match catalogue.by_slug(slug) {
                    Some(e) => ids.push(e.id),
                    None => {
                        eprintln!("errore: nessun laboratorio con slug «{slug}»");
                        return Ok(ExitCode::from(2));
                    }
                }
            }
            let id = store::accounts::create(
                &store,
                &email,
                name.trim(),
                role.as_str(),
                password_hash.as_deref(),
            )
            .await?;
            for w in ids {
                store::accounts::assign_workshop(&store, id, w).await?;
            }
            println!("Creato l'account {email} ({}).", role.label());
            if !password_stdin {
                let link = accounts::password_link(&store, id, &config.base_url()).await?;
                println!(
                    "Link per scegliere la password (valido 7 giorni, una sola volta):\n  {link}"
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        AdminCommand::ApiKey { email } => {
            let Some(account) =
                store::accounts::by_email(&store, &email.trim().to_lowercase()).await?
            else {
                eprintln!("errore: nessun account con l'e-mail {email}");
                return Ok(ExitCode::from(2));
            };
            println!("{}", accounts::new_api_key(&store, account.id).await?);
            Ok(ExitCode::SUCCESS)
        }
    }
}
