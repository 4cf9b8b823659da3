//! Exports: the Word drafts (verbale, documento di co-programmazione, allegato all'Accordo di
//! programma) and the raw data (CSV, JSON) of one meeting, one module or a whole workshop.
//!
//! The pipeline, one module per step:
//!
//! 1. [`load`] reads the meetings in scope: each board is replayed from its stored events with
//!    the same `apply` the live room uses (`services::room::replay`), and the register gives the
//!    people present;
//! 2. [`outline::Outline::build`] (pure) decides what the documents say: which cards, once,
//!    under which theme, with which references, ranked how;
//! 3. for Word, [`prose`] renders the wording of the chosen document type from the minijinja
//!    templates `templates/export/*.txt` (an Ambito edits them, no code), [`document`] lays
//!    outline and prose out as numbered headings, paragraphs and tables (its module docs give
//!    the sections of each document, in order), [`docx`] writes them with docx-rs, [`body`]
//!    streams the body, and [`package`] fixes what docx-rs gets wrong (see its docs); [`xml`]
//!    keeps every text legal XML for both;
//!    for data, [`csv`] writes the outline's cards (or its objectives with their resources by
//!    fund) and [`json`] everything, synthesis included.
//!
//! [`export`] runs steps 1–3 on a blocking thread, one export at a time per instance, so a big
//! export never holds up the async workers that serve the live boards.
//!
//! What is asked for — the [`Scope`] (which meetings, which Ambito, hidden cards) and the
//! [`Format`] (a [`DocType`], CSV or JSON) — is defined in `scope.rs` and `format.rs`, below
//! every step, and re-exported here.

pub mod body;
pub mod csv;
pub mod document;
pub mod docx;
mod format;
pub mod json;
pub mod outline;
pub mod package;
pub mod prose;
mod scope;
pub mod xml;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::Semaphore;

use crate::services::catalogue::Entry;
use crate::services::room;
use crate::store::{self, Store};
use crate::templates::Templates;
use outline::{Attendee, GuestAttendee, Outline, Session};

pub use format::{DocType, Format};
pub use scope::{Extent, HiddenCards, Scope};

/// A produced file.
#[derive(Debug)]
pub struct ExportFile {
    pub bytes: Vec<u8>,
    /// Safe ASCII file name (letters, digits, '-', '.').
    pub filename: String,
    pub content_type: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("incontro o modulo non trovato in questo laboratorio")]
    NotFound,
    #[error(transparent)]
    Db(#[from] store::DbError),
    #[error("modello di testo non valido: {0}")]
    Template(#[from] minijinja::Error),
    #[error("scrittura del documento non riuscita: {0}")]
    Package(String),
    #[error("esportazione interrotta")]
    Interrupted,
}

/// Reads the meetings in scope (calendar order): boards replayed from their events, registers.
pub async fn load(
    store: &Store,
    entry: &Entry,
    scope: &Scope,
) -> Result<Vec<Session>, ExportError> {
    let w = &entry.workshop;
    let selected: Vec<_> = w
        .meetings()
        .filter(|(module, meeting)| match &scope.extent {
            Extent::Meeting(id) => entry.meeting_ids.get(&meeting.key) == Some(id),
            Extent::Module(n) => module.number == *n,
            Extent::Workshop => true,
        })
        .collect();
    if selected.is_empty() {
        return Err(ExportError::NotFound);
    }
    let people = store::enrollments::list(store, entry.id).await?;
    let mut sessions = Vec::with_capacity(selected.len());
    for (module, meeting) in selected {
        let id = entry.meeting_id(&meeting.key);
        let template = w.board_template(meeting).clone();
        let board = room::replay(store, id, template).await?;
        let attendance = store::attendance::for_meeting(store, id)
            .await?
            .into_iter()
            .filter(|a| a.present != 0)
            .filter_map(|a| people.iter().find(|p| p.id == a.enrollment_id))
            .map(|p| Attendee {
                person: p.id,
                organisation: p.ente.clone(),
                role: w.role_label(&p.role).unwrap_or(&p.role).to_string(),
                ambito: p.ambito.clone().filter(|a| !a.trim().is_empty()),
            })
            .collect();
        let guests = store::board::guests_of_meeting(store, id)
            .await?
            .into_iter()
            .map(|g| GuestAttendee {
                guest: g.id,
                organisation: g.organisation,
                ambito: g.ambito.filter(|a| !a.trim().is_empty()),
            })
            .collect();
        sessions.push(Session {
            id,
            module_number: module.number,
            module_title: module.title.clone(),
            meeting: meeting.clone(),
            board,
            attendance,
            guests,
        });
    }
    Ok(sessions)
}

/// Produces the file from loaded sessions (pure apart from reading the templates).
pub fn render(
    entry: &Entry,
    sessions: &[Session],
    scope: &Scope,
    format: Format,
    templates: &Templates,
    now: DateTime<Utc>,
) -> Result<ExportFile, ExportError> {
    let outline = Outline::build(&entry.workshop, sessions, scope, now);
    let bytes = match format {
        Format::Docx(doc) => {
            let prose = prose::Prose::render(templates, doc, document::blocks(doc), &outline)?;
            let document = document::build(&outline, &prose, doc);
            docx::write(&document).map_err(|e| ExportError::Package(e.to_string()))?
        }
        Format::Csv => csv::cards(&outline).into_bytes(),
        Format::ObjectivesCsv => csv::objectives(&outline).into_bytes(),
        Format::Json => json::write(&outline),
    };
    Ok(ExportFile {
        bytes,
        filename: file_name(entry, sessions, scope, format),
        content_type: format.content_type(),
    })
}

/// Exports run one at a time per instance: on a small server a second big export would take
/// the CPU the live boards need. The others wait their turn (the request just takes longer).
static EXPORT_SLOTS: Semaphore = Semaphore::const_new(1);

/// Loads and renders on a blocking thread (see the module docs).
pub async fn export(
    store: Store,
    entry: Arc<Entry>,
    templates: Arc<Templates>,
    scope: Scope,
    format: Format,
) -> Result<ExportFile, ExportError> {
    off_the_workers(store, entry, scope, move |entry, sessions, scope| {
        render(entry, sessions, scope, format, &templates, Utc::now())
    })
    .await
}

/// The outline of a Word document as headings, for the export page's preview.
pub async fn preview(
    store: Store,
    entry: Arc<Entry>,
    templates: Arc<Templates>,
    scope: Scope,
    doc: DocType,
) -> Result<Vec<document::PreviewEntry>, ExportError> {
    off_the_workers(store, entry, scope, move |entry, sessions, scope| {
        let outline = Outline::build(&entry.workshop, sessions, scope, Utc::now());
        let prose = prose::Prose::render(&templates, doc, document::blocks(doc), &outline)?;
        Ok(document::build(&outline, &prose, doc).preview())
    })
    .await
}

/// Loads the sessions of `scope` and runs `work` on them, on a blocking thread and holding an
/// export slot.
async fn off_the_workers<T: Send + 'static>(
    store: Store,
    entry: Arc<Entry>,
    scope: Scope,
    work: impl FnOnce(&Entry, &[Session], &Scope) -> Result<T, ExportError> + Send + 'static,
) -> Result<T, ExportError> {
    let slot = EXPORT_SLOTS
        .acquire()
        .await
        .map_err(|_| ExportError::Interrupted)?;
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        // The slot is released when the work ends, even if the client went away meanwhile.
        let _slot = slot;
        // Reading the events is I/O: it is awaited here, on this blocking thread, so that
        // decoding and folding thousands of events do not run on the async workers either.
        let sessions = handle.block_on(load(&store, &entry, &scope))?;
        work(&entry, &sessions, &scope)
    })
    .await
    .map_err(|_| ExportError::Interrupted)?
}

/// `verbale_co-programmazione-2021_2021-10-01_ambito-di-bergamo.docx` (`dati_…` for the cards
/// as CSV or JSON, `obiettivi_….csv` for the objectives): ASCII letters, digits,
/// '-', '_' and one '.', whatever the Ambito is called.
pub fn file_name(entry: &Entry, sessions: &[Session], scope: &Scope, format: Format) -> String {
    let what = match format {
        Format::Docx(d) => d.id(),
        Format::Csv | Format::Json => "dati",
        Format::ObjectivesCsv => "obiettivi",
    };
    let extent = match &scope.extent {
        Extent::Meeting(_) => sessions
            .first()
            .map(|s| s.meeting.date.format("%Y-%m-%d").to_string())
            .unwrap_or_else(|| "incontro".into()),
        Extent::Module(n) => format!("modulo-{n}"),
        Extent::Workshop => "laboratorio".into(),
    };
    let mut parts = vec![what.to_string(), slug(&entry.workshop.slug), extent];
    if let Some(a) = &scope.ambito {
        let s = slug(a);
        if !s.is_empty() {
            parts.push(s);
        }
    }
    // The file name says what it holds: the same name never means two contents.
    match scope.hidden {
        HiddenCards::Omit => {}
        HiddenCards::Apart => parts.push("con-nascosti".into()),
        HiddenCards::ApartWithText => parts.push("con-testo-dei-nascosti".into()),
    }
    format!("{}.{}", parts.join("_"), format.extension())
}

/// Lowercase ASCII slug: accents dropped, anything else becomes '-'; at most 60 characters.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        let c = match c {
            'à' | 'á' | 'â' | 'ä' | 'À' | 'Á' | 'Â' | 'Ä' => 'a',
            'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => 'i',
            'ò' | 'ó' | 'ô' | 'ö' | 'Ò' | 'Ó' | 'Ô' | 'Ö' => 'o',
            'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => 'u',
            c if c.is_ascii_alphanumeric() => c.to_ascii_lowercase(),
            _ => '-',
        };
        if c == '-' && (out.is_empty() || out.ends_with('-')) {
            continue;
        }
        out.push(c);
        if out.len() >= 60 {
            break;
        }
    }
    out.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_safe_ascii() {
        assert_eq!(slug("Ambito di Forlì / \"Città\""), "ambito-di-forli-citta");
        assert_eq!(slug("../../etc/passwd"), "etc-passwd");
        assert_eq!(slug("\u{202e}evil\r\nx"), "evil-x");
        assert!(slug(&"à".repeat(500)).len() <= 60);
    }

    #[test]
    fn query_words_parse() {
        assert_eq!(DocType::parse("Verbale"), Some(DocType::Verbale));
        assert_eq!(DocType::parse("accordo"), Some(DocType::Accordo));
        assert_eq!(DocType::parse("x"), None);
        assert_eq!(HiddenCards::parse("allegato"), Some(HiddenCards::Apart));
        assert_eq!(
            HiddenCards::parse("testo"),
            Some(HiddenCards::ApartWithText)
        );
        assert_eq!(HiddenCards::parse(""), Some(HiddenCards::Omit));
        assert_eq!(HiddenCards::parse("boh"), None);
        assert_eq!(Format::parse_csv(""), Some(Format::Csv));
        assert_eq!(Format::parse_csv("Obiettivi"), Some(Format::ObjectivesCsv));
        assert_eq!(Format::parse_csv("bilancio"), None);
    }
}
