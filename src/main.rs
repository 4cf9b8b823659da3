//! The `tavolo` command: serve (default), check, admin, export, backup, privacy. This file
//! parses the arguments and runs the chosen command; the commands other than serving live in
//! `tavolo::cli`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tavolo::cli::{self, admin::AdminCommand, export::ExportArgs, privacy::PrivacyCommand};
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
    /// Write a consistent copy of the SQLite database to FILE, also while serving.
    Backup {
        /// The copy to write (must not exist).
        file: PathBuf,
    },
    /// A person's data: export as JSON (art. 15 GDPR) or erase (art. 17).
    Privacy {
        #[command(subcommand)]
        command: PrivacyCommand,
    },
}

fn main() -> ExitCode {
    tavolo::memory::tune();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        // Colours only on a terminal: a log redirected to a file or journald stays plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let parsed = Cli::parse();
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
    match runtime.block_on(run(parsed)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("errore: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(parsed: Cli) -> anyhow::Result<ExitCode> {
    let config = parsed.config;
    match parsed.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Check { dir } => Ok(cli::check(&dir.unwrap_or(config.workshops))),
        Command::Admin { command } => cli::admin::run(&config, command).await,
        Command::Export(args) => cli::export::run(&config, args).await,
        Command::Backup { file } => Ok(cli::backup::run(&config, &file).await),
        Command::Privacy { command } => cli::privacy::run(&config, command).await,
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
