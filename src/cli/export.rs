//! `tavolo export`: a meeting, a module or a workshop as Word drafts, CSV or JSON, exactly as
//! the web downloads them (`export::export`), for organisers working from the server.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use crate::config::Config;
use crate::export::{self, DocType, Extent, Format, HiddenCards, Scope};
use crate::services::catalogue::Catalogue;
use crate::store::Store;
use crate::templates::Templates;

use super::refuse;

/// What `tavolo export` is asked for.
#[derive(clap::Args)]
pub struct ExportArgs {
    /// Meeting id (the number in /incontri/ID).
    #[arg(long, conflicts_with = "module")]
    meeting: Option<i64>,
    /// Module number, with --workshop (or alone when there is one workshop).
    #[arg(long)]
    module: Option<u32>,
    /// Workshop slug: the whole workshop, or the workshop of --module.
    #[arg(long)]
    workshop: Option<String>,
    /// verbale | coprogrammazione | accordo (Word), csv | obiettivi (the objectives as CSV) |
    /// json. Default: from the extension
    /// of -o (.csv, .json; .docx = verbale for a meeting, coprogrammazione otherwise).
    #[arg(long = "type")]
    doc_type: Option<String>,
    /// Only the cards and people of this Ambito.
    #[arg(long)]
    ambito: Option<String>,
    /// List the cards hidden by moderation in an appendix, by reference, date and reason.
    #[arg(long)]
    nascosti: bool,
    /// The same, with their text (they often hold personal data; the file name says so).
    #[arg(long, conflicts_with = "nascosti")]
    nascosti_con_testo: bool,
    /// Output file; `-` writes to standard output.
    #[arg(short = 'o', long)]
    output: PathBuf,
}

/// Runs `tavolo export`: the same files as the web downloads, written to a file or stdout.
pub async fn run(config: &Config, args: ExportArgs) -> anyhow::Result<ExitCode> {
    let usage = |msg: String| Ok(refuse(msg));
    let store = Store::connect(&config.database_url).await?;
    let catalogue = Catalogue::load(&config.workshops, &store).await?;
    let templates = Templates::new(config.templates_dir());
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
        Some("obiettivi") => Format::ObjectivesCsv,
        Some("json") => Format::Json,
        Some(t) => match DocType::parse(t) {
            Some(d) => Format::Docx(d),
            None => {
                return usage(format!(
                    "tipo «{t}» non valido: verbale, coprogrammazione, accordo, csv, obiettivi o json"
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
        hidden: if args.nascosti_con_testo {
            HiddenCards::ApartWithText
        } else if args.nascosti {
            HiddenCards::Apart
        } else {
            HiddenCards::Omit
        },
    };
    let file = export::export(store, entry, Arc::new(templates), scope, format).await?;
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
