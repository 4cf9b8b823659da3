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
//!    outline and prose out as numbered headings, paragraphs and tables, [`docx`] writes them
//!    with docx-rs, and [`package`] fixes what docx-rs gets wrong (see its docs) — [`body`]
//!    streams the body, [`xml`] keeps every text legal XML;
//!    for data, [`csv`] and [`json`] write the outline's cards.
//!
//! [`export`] runs steps 1–3 on a blocking thread, one export at a time per instance, so a big
//! export never holds up the async workers that serve the live boards.

pub mod body;
pub mod csv;
pub mod document;
pub mod docx;
pub mod json;
pub mod outline;
pub mod package;
pub mod prose;
pub mod xml;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::Semaphore;

use crate::services::catalogue::Entry;
use crate::services::room;
use crate::store::{self, Store};
use crate::templates::Templates;
use outline::{Attendee, Outline, Session};

/// Which meetings an export covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Extent {
    /// One meeting (by id): a minuted session.
    Meeting(i64),
    /// Every meeting of a module (1-based number).
    Module(u32),
    /// Every meeting of the workshop.
    Workshop,
}

/// What happens to cards a facilitator hid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HiddenCards {
    /// Left out (the default: the room did not see them).
    #[default]
    Omit,
    /// Listed apart in an appendix, with the moderation reason (staff only).
    Apart,
}

impl HiddenCards {
    /// `nascosti=ometti|allegato` (also `omit`, `apart`, `0`, `1`).
    pub fn parse(s: &str) -> Option<HiddenCards> {
        match s.trim().to_lowercase().as_str() {
            "" | "ometti" | "omit" | "no" | "0" | "false" => Some(HiddenCards::Omit),
            "allegato" | "apart" | "elenca" | "si" | "sì" | "1" | "true" => {
                Some(HiddenCards::Apart)
            }
            _ => None,
        }
    }
}

/// The meetings, the Ambito filter and the hidden-cards policy of one export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub extent: Extent,
    /// Only cards (and people) of this Ambito.
    pub ambito: Option<String>,
    pub hidden: HiddenCards,
}

/// The Word documents Tavolo drafts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocType {
    /// Verbale della seduta: the minutes of a meeting (of each meeting, for a module or more).
    Verbale,
    /// Documento di co-programmazione — bozza: the closing document for the Piano di Zona.
    Coprogrammazione,
    /// Allegato all'Accordo di programma: governance and collaboration with the Terzo settore.
    Accordo,
}

impl DocType {
    pub const ALL: [DocType; 3] = [
        DocType::Verbale,
        DocType::Coprogrammazione,
        DocType::Accordo,
    ];

    pub fn parse(s: &str) -> Option<DocType> {
        match s.trim().to_lowercase().as_str() {
            "verbale" | "minutes" => Some(DocType::Verbale),
            "coprogrammazione" | "co-programmazione" | "documento" | "pdz" => {
                Some(DocType::Coprogrammazione)
            }
            "accordo" | "adp" | "allegato" => Some(DocType::Accordo),
            _ => None,
        }
    }

    /// The id used in URLs, file names and template names.
    pub fn id(self) -> &'static str {
        match self {
            DocType::Verbale => "verbale",
            DocType::Coprogrammazione => "coprogrammazione",
            DocType::Accordo => "accordo",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DocType::Verbale => "Verbale della seduta",
            DocType::Coprogrammazione => "Documento di co-programmazione (bozza)",
            DocType::Accordo => "Allegato all'Accordo di programma (bozza)",
        }
    }

    /// The prose template of this document type.
    pub fn template(self) -> String {
        format!("export/{}.txt", self.id())
    }
}

/// What to produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Docx(DocType),
    Csv,
    Json,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Docx(_) => "docx",
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Docx(_) => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            Format::Csv => "text/csv; charset=utf-8",
            Format::Json => "application/json",
        }
    }
}

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
        let template = w
            .board_template(meeting)
            .cloned()
            .unwrap_or_else(crate::catalog::default_board_template);
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
        sessions.push(Session {
            id,
            module_number: module.number,
            module_title: module.title.clone(),
            meeting: meeting.clone(),
            board,
            attendance,
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
            let prose = prose::Prose::render(templates, doc, &outline)?;
            let document = document::build(&outline, &prose, doc);
            docx::write(&document).map_err(|e| ExportError::Package(e.to_string()))?
        }
        Format::Csv => csv::cards(&outline).into_bytes(),
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
        let prose = prose::Prose::render(&templates, doc, &outline)?;
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

impl Scope {
    /// "incontro 12, Ambito di Bergamo, nascosti in allegato": for logs and the audit trail.
    pub fn describe(&self) -> String {
        let mut s = match &self.extent {
            Extent::Meeting(id) => format!("incontro {id}"),
            Extent::Module(n) => format!("modulo {n}"),
            Extent::Workshop => "laboratorio".into(),
        };
        if let Some(a) = &self.ambito {
            s.push_str(&format!(", {a}"));
        }
        if self.hidden == HiddenCards::Apart {
            s.push_str(", nascosti in allegato");
        }
        s
    }
}

/// `verbale_co-programmazione-2021_2021-10-01_ambito-di-bergamo.docx`: ASCII letters, digits,
/// '-', '_' and one '.', whatever the Ambito is called.
pub fn file_name(entry: &Entry, sessions: &[Session], scope: &Scope, format: Format) -> String {
    let what = match format {
        Format::Docx(d) => d.id(),
        Format::Csv | Format::Json => "dati",
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
        assert_eq!(HiddenCards::parse(""), Some(HiddenCards::Omit));
        assert_eq!(HiddenCards::parse("boh"), None);
    }
}
