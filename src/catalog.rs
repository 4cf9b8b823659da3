//! Workshop files (`workshops/*.toml`) → [`Workshop`], checked so that the rest of the app can
//! trust them.
//!
//! A mistake is reported as `file:line: key: message`, in Italian, because the person reading it
//! is the organiser who edited the file (e.g.
//! `workshops/x.toml:12: modules[0].meetings[1].date: data non valida (atteso AAAA-MM-GG)`).
//! The file is read in two passes: serde with `deny_unknown_fields` checks the shape (unknown,
//! missing and mistyped keys), then a second pass checks the meaning (dates, references to roles
//! and board templates, order of meetings), using the byte spans kept by [`toml::Spanned`] to
//! find the line. Only the first mistake is reported.
//!
//! The format is documented in DESIGN.md ("Workshop file") and by the shipped examples in
//! `workshops/`.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use chrono::{
    DateTime, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc,
};
use chrono_tz::Tz;
use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};
use toml::value::{Datetime, Offset};

use crate::domain::workshop::{BoardColumn, BoardTemplate, Meeting, Module, Role, Workshop};

/// Time zone of a workshop whose file does not name one.
pub const DEFAULT_TIMEZONE: &str = "Europe/Rome";

/// Name of the built-in board template, used by meetings that do not name one.
pub const DEFAULT_BOARD_TEMPLATE: &str = "co-programmazione";

/// A workshop file that cannot be used, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    /// A mistake in the content of a file. `line` is 1-based; `key` is the dotted path of the
    /// offending key with 0-based indices (`modules[0].meetings[1].date`).
    #[error("{file}:{line}: {key}: {message}")]
    Invalid {
        file: String,
        line: usize,
        key: String,
        message: String,
    },
    /// A file or folder that could not be read.
    #[error("{file}: {message}")]
    Io { file: String, message: String },
}

impl CatalogError {
    /// The file (or folder) the error is about, as it was given.
    pub fn file(&self) -> &str {
        match self {
            CatalogError::Invalid { file, .. } | CatalogError::Io { file, .. } => file,
        }
    }

    /// The 1-based line, when the error is about content.
    pub fn line(&self) -> Option<usize> {
        match self {
            CatalogError::Invalid { line, .. } => Some(*line),
            CatalogError::Io { .. } => None,
        }
    }

    /// The key path, when the error is about content.
    pub fn key(&self) -> Option<&str> {
        match self {
            CatalogError::Invalid { key, .. } => Some(key),
            CatalogError::Io { .. } => None,
        }
    }

    /// The Italian explanation, without location.
    pub fn message(&self) -> &str {
        match self {
            CatalogError::Invalid { message, .. } | CatalogError::Io { message, .. } => message,
        }
    }
}

/// The roles a workshop knows unless its file adds to or relabels them (`[[roles]]`).
pub fn default_roles() -> Vec<Role> {
    [
        (
            "responsabile-ufficio-di-piano",
            "Responsabile dell'Ufficio di Piano",
        ),
        (
            "responsabile-servizi-sociali",
            "Responsabile dei Servizi sociali del Comune",
        ),
        ("sindaco-assessore", "Sindaco o Assessore"),
        (
            "referente-ats",
            "Referente ATS (Agenzia di Tutela della Salute)",
        ),
        (
            "referente-asst",
            "Referente ASST (Azienda Socio-Sanitaria Territoriale)",
        ),
        (
            "referente-ets",
            "Referente di un ente del Terzo settore (ETS)",
        ),
        ("osservatore", "Osservatore"),
    ]
    .into_iter()
    .map(|(id, label)| Role {
        id: id.to_string(),
        label: label.to_string(),
    })
    .collect()
}

/// The policy areas (macro-aree) of the Lombardy 2021-2023 guidelines for the Piani di Zona;
/// a file's `policy_areas` replaces them.
pub fn default_policy_areas() -> Vec<String> {
    [
        "Contrasto alla povertà e all'emarginazione sociale",
        "Politiche abitative",
        "Promozione inclusione attiva",
        "Domiciliarità",
        "Anziani",
        "Digitalizzazione dei servizi",
        "Politiche giovanili e per i minori",
        "Interventi connessi alle politiche per il lavoro",
        "Interventi per la famiglia",
        "Interventi a favore di persone con disabilità",
    ]
    .into_iter()
    .map(String::from)
    .collect()
}

/// The built-in board template "co-programmazione": needs, governance proposals and monitoring
/// indicators, the three things a co-programming table must produce.
pub fn default_board_template() -> BoardTemplate {
    let column = |card_type: &str, title: &str, prompt: &str| BoardColumn {
        card_type: card_type.to_string(),
        title: title.to_string(),
        prompt: prompt.to_string(),
    };
    BoardTemplate {
        name: DEFAULT_BOARD_TEMPLATE.to_string(),
        columns: vec![
            column(
                "bisogno",
                "Bisogni",
                "Quali bisogni vedete nel vostro territorio? Dite chi li vive e dove, e su quali \
                 dati o esperienze vi basate (servizi, sportelli, enti del Terzo settore, \
                 osservatori): ogni bisogno con la sua fonte.",
            ),
            column(
                "proposta",
                "Proposte di governance",
                "Come lavorare insieme al Terzo settore? Proponete tavoli tecnici, ruoli, tempi e \
                 modalità di collaborazione da scrivere nel Piano di Zona o nell'Accordo di \
                 programma.",
            ),
            column(
                "indicatore",
                "Indicatori di monitoraggio",
                "Come sapremo se funziona? Proponete un indicatore: che cosa misura (output o \
                 esito), unità di misura, fonte del dato, valore di partenza e valore obiettivo \
                 con la scadenza.",
            ),
        ],
        phases: [
            "preparazione",
            "raccolta",
            "raggruppamento",
            "voto",
            "sintesi",
            "chiuso",
        ]
        .into_iter()
        .map(String::from)
        .collect(),
    }
}

/// Reads and checks one workshop file. `file` is only used in error messages.
pub fn parse_workshop(file: &str, text: &str) -> Result<Workshop, CatalogError> {
    parse_with_slug_line(file, text).map(|(workshop, _)| workshop)
}

/// Reads every `*.toml` file directly inside `dir` (not in sub-folders, not hidden files), in
/// file-name order. Two files with the same slug are an error that names both.
pub fn load_dir(dir: &Path) -> Result<Vec<Workshop>, CatalogError> {
    let io_error = |path: &Path, err: std::io::Error| CatalogError::Io {
        file: path.display().to_string(),
        message: io_message(&err),
    };
    let mut files: Vec<PathBuf> = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| io_error(dir, e))? {
        let path = entry.map_err(|e| io_error(dir, e))?.path();
        let visible = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| !n.starts_with('.'));
        if visible && path.extension().is_some_and(|e| e == "toml") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();

    let mut workshops = Vec::with_capacity(files.len());
    let mut slugs: HashMap<String, String> = HashMap::new();
    for path in files {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(&path).map_err(|e| io_error(&path, e))?;
        let (workshop, slug_line) = parse_with_slug_line(&file, &text)?;
        if let Some(first) = slugs.get(&workshop.slug) {
            return Err(CatalogError::Invalid {
                file,
                line: slug_line,
                key: "slug".into(),
                message: format!(
                    "lo slug \"{}\" è già usato in {first}: ogni laboratorio ne vuole uno diverso",
                    workshop.slug
                ),
            });
        }
        slugs.insert(workshop.slug.clone(), file);
        workshops.push(workshop);
    }
    Ok(workshops)
}

fn io_message(err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::NotFound => "file o cartella inesistente".into(),
        std::io::ErrorKind::PermissionDenied => "permesso di lettura negato".into(),
        std::io::ErrorKind::InvalidData => "il file non è un testo UTF-8".into(),
        _ => format!("lettura non riuscita ({err})"),
    }
}

fn parse_with_slug_line(file: &str, text: &str) -> Result<(Workshop, usize), CatalogError> {
    // A BOM has no newline, so dropping it keeps line numbers right.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let checker = Checker { file, text };
    let raw: RawWorkshop = toml::from_str(text).map_err(|e| checker.toml_error(&e))?;
    let slug_line = checker.line(&raw.slug.span());
    Ok((checker.workshop(raw)?, slug_line))
}

// ---------------------------------------------------------------------------------------------
// The file's shape. Spans are kept wherever a later check needs a line.

type Text = Spanned<String>;
type TextList = Spanned<Vec<Spanned<String>>>;
/// Dates and times are read as any TOML value so that a wrong one gets our own message.
type Moment = Spanned<toml::Value>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWorkshop {
    slug: Text,
    title: Text,
    organiser: Text,
    funding: Text,
    description: Option<Text>,
    timezone: Option<Text>,
    capacity: Spanned<i64>,
    enrollment_opens: Moment,
    enrollment_closes: Moment,
    eligible_roles: TextList,
    facilitators: TextList,
    ambiti: Option<TextList>,
    policy_areas: Option<TextList>,
    #[serde(default)]
    roles: Vec<Spanned<RawRole>>,
    #[serde(default)]
    board_templates: Vec<Spanned<RawBoardTemplate>>,
    modules: Spanned<Vec<Spanned<RawModule>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRole {
    id: Text,
    label: Text,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBoardTemplate {
    name: Text,
    phases: TextList,
    columns: Spanned<Vec<Spanned<RawColumn>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawColumn {
    card_type: Text,
    title: Text,
    prompt: Text,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModule {
    title: Text,
    topics: Option<TextList>,
    meetings: Spanned<Vec<Spanned<RawMeeting>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeeting {
    date: Moment,
    start: Moment,
    end: Moment,
    place: Text,
    title: Option<Text>,
    board_template: Option<Text>,
}

// ---------------------------------------------------------------------------------------------
// The file's meaning.

struct Checker<'a> {
    file: &'a str,
    text: &'a str,
}

type Checked<T> = Result<T, CatalogError>;

const DATE_HINT: &str = "data non valida (atteso AAAA-MM-GG, es. 2021-10-01)";
const TIME_HINT: &str = "orario non valido (atteso HH:MM:SS, es. 09:30:00)";

/// The keys of the file's top level, for the hint when one is written inside a table.
const TOP_LEVEL_KEYS: &[&str] = &[
    "slug",
    "title",
    "organiser",
    "funding",
    "description",
    "timezone",
    "capacity",
    "enrollment_opens",
    "enrollment_closes",
    "eligible_roles",
    "facilitators",
    "ambiti",
    "policy_areas",
    "roles",
    "board_templates",
    "modules",
];
const INSTANT_HINT: &str =
    "data e ora non valide (atteso AAAA-MM-GGTHH:MM:SS+02:00, es. 2021-09-27T23:59:59+02:00)";

impl Checker<'_> {
    fn line(&self, span: &Range<usize>) -> usize {
        let end = span.start.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    fn err(
        &self,
        span: Range<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> CatalogError {
        CatalogError::Invalid {
            file: self.file.to_string(),
            line: self.line(&span),
            key: key.into(),
            message: message.into(),
        }
    }

    fn workshop(&self, raw: RawWorkshop) -> Checked<Workshop> {
        let slug = self.ident(&raw.slug, "slug")?;
        let title = self.text(&raw.title, "title")?;
        let organiser = self.text(&raw.organiser, "organiser")?;
        let funding = self.text(&raw.funding, "funding")?;
        let description = raw
            .description
            .as_ref()
            .map(|d| d.get_ref().trim().to_string())
            .unwrap_or_default();
        let timezone = match &raw.timezone {
            None => chrono_tz::Europe::Rome,
            Some(tz) => tz.get_ref().trim().parse::<Tz>().map_err(|_| {
                self.err(
                    tz.span(),
                    "timezone",
                    format!(
                        "fuso orario sconosciuto \"{}\" (atteso un nome IANA, es. \"{DEFAULT_TIMEZONE}\")",
                        tz.get_ref()
                    ),
                )
            })?,
        };
        let capacity = match u32::try_from(*raw.capacity.get_ref()) {
            Ok(n) if n >= 1 => n,
            _ => {
                return Err(self.err(
                    raw.capacity.span(),
                    "capacity",
                    "i posti devono essere almeno 1 (numero intero)",
                ));
            }
        };
        let enrollment_opens =
            self.instant(&raw.enrollment_opens, "enrollment_opens", timezone, false)?;
        let enrollment_closes =
            self.instant(&raw.enrollment_closes, "enrollment_closes", timezone, true)?;
        if enrollment_opens >= enrollment_closes {
            return Err(self.err(
                raw.enrollment_closes.span(),
                "enrollment_closes",
                "la chiusura delle iscrizioni deve venire dopo l'apertura (enrollment_opens)",
            ));
        }

        let roles = self.roles(&raw.roles)?;
        let policy_areas = match &raw.policy_areas {
            Some(list) => self.text_list(list, "policy_areas", true)?,
            None => default_policy_areas(),
        };
        let ambiti = match &raw.ambiti {
            Some(list) => self.text_list(list, "ambiti", false)?,
            None => Vec::new(),
        };
        let board_templates = self.board_templates(&raw.board_templates)?;

        let eligible_roles = self.text_list(&raw.eligible_roles, "eligible_roles", true)?;
        for (i, role) in eligible_roles.iter().enumerate() {
            if !roles.iter().any(|r| &r.id == role) {
                let known: Vec<&str> = roles.iter().map(|r| r.id.as_str()).collect();
                return Err(self.err(
                    raw.eligible_roles.get_ref()[i].span(),
                    format!("eligible_roles[{i}]"),
                    format!(
                        "ruolo sconosciuto \"{role}\" (ruoli noti: {}; altri si aggiungono con [[roles]])",
                        known.join(", ")
                    ),
                ));
            }
        }
        let facilitators = self.text_list(&raw.facilitators, "facilitators", true)?;
        let modules = self.modules(&raw.modules, &board_templates)?;

        Ok(Workshop {
            slug,
            title,
            organiser,
            funding,
            description,
            timezone,
            capacity,
            enrollment_opens,
            enrollment_closes,
            eligible_roles,
            facilitators,
            modules,
            roles,
            policy_areas,
            ambiti,
            board_templates,
        })
    }

    /// Defaults first, in their order; a file role with a known id relabels it, others follow.
    fn roles(&self, raw: &[Spanned<RawRole>]) -> Checked<Vec<Role>> {
        let mut roles = default_roles();
        let mut seen: Vec<&str> = Vec::new();
        for (i, r) in raw.iter().enumerate() {
            let r = r.get_ref();
            let key = format!("roles[{i}]");
            let id = self.ident(&r.id, &format!("{key}.id"))?;
            if seen.contains(&id.as_str()) {
                return Err(self.err(
                    r.id.span(),
                    format!("{key}.id"),
                    format!("il ruolo \"{id}\" è già definito in questo file"),
                ));
            }
            seen.push(r.id.get_ref().trim());
            let label = self.text(&r.label, &format!("{key}.label"))?;
            match roles.iter_mut().find(|known| known.id == id) {
                Some(known) => known.label = label,
                None => roles.push(Role { id, label }),
            }
        }
        Ok(roles)
    }

    /// The built-in template first (unless the file redefines it by name), then the file's own.
    fn board_templates(&self, raw: &[Spanned<RawBoardTemplate>]) -> Checked<Vec<BoardTemplate>> {
        let mut templates = vec![default_board_template()];
        let mut seen: Vec<String> = Vec::new();
        for (i, t) in raw.iter().enumerate() {
            let t = t.get_ref();
            let key = format!("board_templates[{i}]");
            let name = self.ident(&t.name, &format!("{key}.name"))?;
            if seen.contains(&name) {
                return Err(self.err(
                    t.name.span(),
                    format!("{key}.name"),
                    format!("il modello di lavagna \"{name}\" è già definito in questo file"),
                ));
            }
            seen.push(name.clone());

            let phases_key = format!("{key}.phases");
            if t.phases.get_ref().is_empty() {
                return Err(self.err(t.phases.span(), phases_key, "serve almeno una fase"));
            }
            let mut phases: Vec<String> = Vec::new();
            for (j, phase) in t.phases.get_ref().iter().enumerate() {
                let phase_key = format!("{phases_key}[{j}]");
                let phase_id = self.ident(phase, &phase_key)?;
                if phases.contains(&phase_id) {
                    return Err(self.err(
                        phase.span(),
                        phase_key,
                        format!("la fase \"{phase_id}\" è ripetuta"),
                    ));
                }
                phases.push(phase_id);
            }

            if t.columns.get_ref().is_empty() {
                return Err(self.err(
                    t.columns.span(),
                    format!("{key}.columns"),
                    "serve almeno una colonna ([[board_templates.columns]])",
                ));
            }
            let mut columns: Vec<BoardColumn> = Vec::new();
            for (j, c) in t.columns.get_ref().iter().enumerate() {
                let c = c.get_ref();
                let col_key = format!("{key}.columns[{j}]");
                let card_type = self.ident(&c.card_type, &format!("{col_key}.card_type"))?;
                if columns.iter().any(|other| other.card_type == card_type) {
                    return Err(self.err(
                        c.card_type.span(),
                        format!("{col_key}.card_type"),
                        format!(
                            "il tipo di scheda \"{card_type}\" ha già una colonna in questo modello"
                        ),
                    ));
                }
                columns.push(BoardColumn {
                    card_type,
                    title: self.text(&c.title, &format!("{col_key}.title"))?,
                    prompt: self.text(&c.prompt, &format!("{col_key}.prompt"))?,
                });
            }

            let template = BoardTemplate {
                name,
                columns,
                phases,
            };
            match templates
                .iter_mut()
                .find(|known| known.name == template.name)
            {
                Some(known) => *known = template,
                None => templates.push(template),
            }
        }
        Ok(templates)
    }

    fn modules(
        &self,
        raw: &Spanned<Vec<Spanned<RawModule>>>,
        templates: &[BoardTemplate],
    ) -> Checked<Vec<Module>> {
        if raw.get_ref().is_empty() {
            return Err(self.err(
                raw.span(),
                "modules",
                "serve almeno un modulo ([[modules]])",
            ));
        }
        let mut modules = Vec::with_capacity(raw.get_ref().len());
        // Start of the previous meeting (any module) and end of the previous one in this module.
        let mut previous: Option<(NaiveDateTime, String)> = None;
        for (m, raw_module) in raw.get_ref().iter().enumerate() {
            let rm = raw_module.get_ref();
            let key = format!("modules[{m}]");
            let number = m as u32 + 1;
            let title = self.text(&rm.title, &format!("{key}.title"))?;
            let topics = match &rm.topics {
                Some(list) => self.text_list(list, &format!("{key}.topics"), false)?,
                None => Vec::new(),
            };
            if rm.meetings.get_ref().is_empty() {
                return Err(self.err(
                    raw_module.span(),
                    format!("{key}.meetings"),
                    "serve almeno un incontro ([[modules.meetings]])",
                ));
            }
            let mut meetings: Vec<Meeting> = Vec::new();
            let mut previous_end_in_module: Option<(NaiveDateTime, String)> = None;
            for (n, raw_meeting) in rm.meetings.get_ref().iter().enumerate() {
                let mt = raw_meeting.get_ref();
                let mkey = format!("{key}.meetings[{n}]");
                let date = self.date(&mt.date, &format!("{mkey}.date"))?;
                let start = self.time(&mt.start, &format!("{mkey}.start"))?;
                let end = self.time(&mt.end, &format!("{mkey}.end"))?;
                if start >= end {
                    return Err(self.err(
                        mt.end.span(),
                        format!("{mkey}.end"),
                        "l'incontro deve finire dopo l'inizio (start)",
                    ));
                }
                let meeting_key = format!("M{number}-{}", n + 1);
                let starts_at = date.and_time(start);
                if let Some((prev_end, prev_key)) = &previous_end_in_module {
                    if starts_at < *prev_end {
                        return Err(self.err(
                            mt.date.span(),
                            format!("{mkey}.date"),
                            format!(
                                "gli incontri di un modulo vanno in ordine di data e non si \
                                 sovrappongono: questo inizia prima della fine di {prev_key}"
                            ),
                        ));
                    }
                }
                if let Some((prev_start, prev_key)) = &previous {
                    if starts_at < *prev_start {
                        return Err(self.err(
                            mt.date.span(),
                            format!("{mkey}.date"),
                            format!(
                                "gli incontri vanno in ordine di data anche tra un modulo e \
                                 l'altro: questo inizia prima di {prev_key}"
                            ),
                        ));
                    }
                }
                previous = Some((starts_at, meeting_key.clone()));
                previous_end_in_module = Some((date.and_time(end), meeting_key.clone()));

                let place = self.text(&mt.place, &format!("{mkey}.place"))?;
                let title = match &mt.title {
                    Some(t) => Some(self.text(t, &format!("{mkey}.title"))?),
                    None => None,
                };
                let board_template = match &mt.board_template {
                    None => DEFAULT_BOARD_TEMPLATE.to_string(),
                    Some(t) => {
                        let name = t.get_ref().trim();
                        if !templates.iter().any(|known| known.name == name) {
                            let names: Vec<&str> =
                                templates.iter().map(|k| k.name.as_str()).collect();
                            return Err(self.err(
                                t.span(),
                                format!("{mkey}.board_template"),
                                format!(
                                    "modello di lavagna sconosciuto \"{name}\" (disponibili: {}; \
                                     altri si definiscono con [[board_templates]])",
                                    names.join(", ")
                                ),
                            ));
                        }
                        name.to_string()
                    }
                };
                meetings.push(Meeting {
                    key: meeting_key,
                    number: n as u32 + 1,
                    date,
                    start,
                    end,
                    place,
                    title,
                    board_template,
                });
            }
            modules.push(Module {
                number,
                title,
                topics,
                meetings,
            });
        }
        Ok(modules)
    }

    /// A non-empty text, trimmed.
    fn text(&self, value: &Text, key: &str) -> Checked<String> {
        let text = value.get_ref().trim();
        if text.is_empty() {
            return Err(self.err(value.span(), key, "il testo non può essere vuoto"));
        }
        Ok(text.to_string())
    }

    /// An id used in URLs and references: lowercase letters and digits in words joined by '-'.
    fn ident(&self, value: &Text, key: &str) -> Checked<String> {
        let id = value.get_ref().trim();
        if !is_ident(id) {
            return Err(self.err(
                value.span(),
                key,
                format!(
                    "\"{id}\" non va bene come identificativo: usa solo lettere minuscole senza \
                     accenti, cifre e trattini tra le parole (es. \"co-programmazione-2021\")"
                ),
            ));
        }
        Ok(id.to_string())
    }

    /// A list of non-empty, distinct texts; `required` lists must have at least one.
    fn text_list(&self, list: &TextList, key: &str, required: bool) -> Checked<Vec<String>> {
        if required && list.get_ref().is_empty() {
            return Err(self.err(list.span(), key, "la lista non può essere vuota"));
        }
        let mut out: Vec<String> = Vec::with_capacity(list.get_ref().len());
        for (i, item) in list.get_ref().iter().enumerate() {
            let item_key = format!("{key}[{i}]");
            let text = self.text(item, &item_key)?;
            if let Some(j) = out.iter().position(|other| *other == text) {
                return Err(self.err(
                    item.span(),
                    item_key,
                    format!("\"{text}\" è ripetuto (compare già in {key}[{j}])"),
                ));
            }
            out.push(text);
        }
        Ok(out)
    }

    fn date(&self, value: &Moment, key: &str) -> Checked<NaiveDate> {
        match toml_datetime(value.get_ref()) {
            Some(Datetime {
                date: Some(d),
                time: None,
                offset: None,
            }) => NaiveDate::from_ymd_opt(d.year.into(), d.month.into(), d.day.into()),
            _ => None,
        }
        .ok_or_else(|| self.err(value.span(), key, DATE_HINT))
    }

    fn time(&self, value: &Moment, key: &str) -> Checked<NaiveTime> {
        let parsed = match value.get_ref() {
            // "9:30" is how people write it; TOML itself wants 09:30.
            toml::Value::String(s) => NaiveTime::parse_from_str(s.trim(), "%H:%M")
                .or_else(|_| NaiveTime::parse_from_str(s.trim(), "%H:%M:%S"))
                .ok(),
            other => match toml_datetime(other) {
                Some(Datetime {
                    date: None,
                    time: Some(t),
                    offset: None,
                }) => naive_time(t),
                _ => None,
            },
        };
        parsed.ok_or_else(|| self.err(value.span(), key, TIME_HINT))
    }

    /// An instant: with an offset as written, without one in the workshop's time zone, a bare
    /// date meaning the start of that day (or its last second when `end_of_day`).
    fn instant(
        &self,
        value: &Moment,
        key: &str,
        tz: Tz,
        end_of_day: bool,
    ) -> Checked<DateTime<Utc>> {
        let bad = || self.err(value.span(), key, INSTANT_HINT);
        let dt = toml_datetime(value.get_ref()).ok_or_else(bad)?;
        let date = dt
            .date
            .and_then(|d| NaiveDate::from_ymd_opt(d.year.into(), d.month.into(), d.day.into()))
            .ok_or_else(bad)?;
        let time = match dt.time {
            Some(t) => naive_time(t).ok_or_else(bad)?,
            None if end_of_day => NaiveTime::from_hms_opt(23, 59, 59).ok_or_else(bad)?,
            None => NaiveTime::MIN,
        };
        let local = date.and_time(time);
        match dt.offset {
            Some(offset) => {
                let seconds = match offset {
                    Offset::Z => 0,
                    Offset::Custom { minutes } => i32::from(minutes) * 60,
                };
                FixedOffset::east_opt(seconds)
                    .and_then(|o| o.from_local_datetime(&local).single())
                    .map(|t| t.with_timezone(&Utc))
                    .ok_or_else(bad)
            }
            None => match tz.from_local_datetime(&local) {
                LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
                // The hour repeated when summer time ends: take the first.
                LocalResult::Ambiguous(first, _) => Ok(first.with_timezone(&Utc)),
                LocalResult::None => Err(self.err(
                    value.span(),
                    key,
                    format!(
                        "quest'ora non esiste nel fuso {} (passaggio all'ora legale): indica \
                         un altro orario o lo scarto, es. +02:00",
                        tz.name()
                    ),
                )),
            },
        }
    }

    /// Turns a serde or syntax error from the `toml` crate into ours, in Italian, with the key
    /// path found from the error's byte span.
    fn toml_error(&self, error: &toml::de::Error) -> CatalogError {
        let span = error.span().unwrap_or(0..0);
        let message = error.message();
        let table_only = message.starts_with("missing field ");
        let path = key_path_at(self.text, &span, table_only);
        let (key, italian) = if let Some(field) = quoted_after(message, "missing field ") {
            (
                join_key(&path, field),
                "chiave obbligatoria mancante".to_string(),
            )
        } else if let Some(field) = quoted_after(message, "unknown field ") {
            let allowed: Vec<&str> = message
                .split_once(", expected ")
                .map(|(_, rest)| {
                    rest.trim_start_matches("one of ")
                        .split(", ")
                        .map(|s| s.trim_matches('`'))
                        .collect()
                })
                .unwrap_or_default();
            let key = if path.is_empty() {
                field.to_string()
            } else {
                path
            };
            let mut hint = if allowed.is_empty() {
                String::new()
            } else {
                format!(" (qui sono ammesse: {})", allowed.join(", "))
            };
            if key.contains('.') && TOP_LEVEL_KEYS.contains(&field) {
                hint.push_str(
                    "; le chiavi generali del laboratorio vanno scritte prima della prima \
                     sezione [[...]]",
                );
            }
            (key, format!("chiave sconosciuta \"{field}\"{hint}"))
        } else if let Some(rest) = message.strip_prefix("invalid type: ") {
            (path, format!("tipo non valido: {}", found_expected(rest)))
        } else if let Some(rest) = message.strip_prefix("invalid value: ") {
            (path, format!("valore non valido: {}", found_expected(rest)))
        } else if let Some(field) = quoted_after(message, "duplicate field ") {
            (join_key(&path, field), "chiave ripetuta".to_string())
        } else {
            (path, syntax_message(message))
        };
        CatalogError::Invalid {
            file: self.file.to_string(),
            line: self.line(&span),
            key: if key.is_empty() {
                "(file)".to_string()
            } else {
                key
            },
            message: italian,
        }
    }
}

fn is_ident(s: &str) -> bool {
    !s.is_empty()
        && s.split('-').all(|word| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// A TOML date/time, also when written as a quoted string.
fn toml_datetime(value: &toml::Value) -> Option<Datetime> {
    match value {
        toml::Value::Datetime(dt) => Some(*dt),
        toml::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn naive_time(t: toml::value::Time) -> Option<NaiveTime> {
    NaiveTime::from_hms_nano_opt(
        t.hour.into(),
        t.minute.into(),
        t.second.unwrap_or(0).into(),
        t.nanosecond.unwrap_or(0),
    )
}

/// `name` in "prefix `name`…".
fn quoted_after<'m>(message: &'m str, prefix: &str) -> Option<&'m str> {
    let rest = message.strip_prefix(prefix)?.strip_prefix('`')?;
    rest.split_once('`').map(|(name, _)| name)
}

fn join_key(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_string()
    } else {
        format!("{path}.{field}")
    }
}

/// "string \"x\", expected u32" → "trovato il testo \"x\", atteso un numero intero".
fn found_expected(rest: &str) -> String {
    let (found, expected) = rest.rsplit_once(", expected ").unwrap_or((rest, ""));
    let found = if let Some(s) = found.strip_prefix("string ") {
        format!("il testo {s}")
    } else if let Some(n) = found.strip_prefix("integer ") {
        format!("il numero intero {}", n.trim_matches('`'))
    } else if let Some(n) = found.strip_prefix("floating point ") {
        format!("il numero decimale {}", n.trim_matches('`'))
    } else if let Some(b) = found.strip_prefix("boolean ") {
        format!("il valore {}", b.trim_matches('`'))
    } else {
        match found {
            "sequence" => "una lista".to_string(),
            "map" => "una tabella".to_string(),
            other => other.to_string(),
        }
    };
    let expected = match expected {
        "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64" | "usize" | "an integer" => {
            "un numero intero"
        }
        "a string" => "un testo tra virgolette",
        "a sequence" => "una lista tra parentesi quadre [ … ]",
        "a boolean" => "true o false",
        "a TOML datetime" => "una data o un orario",
        e if e.starts_with("struct ") || e == "a map" => "una tabella",
        e => e,
    };
    if expected.is_empty() {
        format!("trovato {found}")
    } else {
        format!("trovato {found}, atteso {expected}")
    }
}

/// The `toml` crate's syntax errors, in Italian where we know them.
fn syntax_message(message: &str) -> String {
    let known = [
        ("duplicate key", "chiave ripetuta"),
        ("invalid date-time", INSTANT_HINT),
        ("invalid date", DATE_HINT),
        ("invalid time", TIME_HINT),
        (
            "invalid offset",
            "scarto dal fuso orario non valido (atteso es. +02:00)",
        ),
        (
            "string values must be quoted",
            "i testi vanno scritti tra virgolette",
        ),
        ("missing value", "manca il valore dopo ="),
        ("key with no value", "manca il valore dopo la chiave"),
        (
            "missing assignment between key-value pairs",
            "manca = tra chiave e valore",
        ),
        (
            "invalid basic string",
            "testo tra virgolette non chiuso o non valido",
        ),
        (
            "invalid literal string",
            "testo tra apici non chiuso o non valido",
        ),
        (
            "invalid multi-line",
            "testo su più righe non chiuso o non valido",
        ),
        ("unclosed array table", "intestazione [[…]] non chiusa"),
        ("unclosed table", "intestazione […] non chiusa"),
        ("unclosed array", "lista non chiusa: manca ]"),
        ("unclosed inline table", "tabella non chiusa: manca }"),
        (
            "missing comma between array elements",
            "manca una virgola tra gli elementi della lista",
        ),
        ("extra comma in array", "virgola di troppo nella lista"),
        (
            "invalid unquoted key",
            "chiave non valida: usa lettere, cifre, _ e -",
        ),
        ("unexpected content", "contenuto inatteso"),
    ];
    known
        .iter()
        .find(|(english, _)| message.starts_with(english))
        .map(|(_, italian)| italian.to_string())
        .unwrap_or_else(|| format!("errore di sintassi TOML ({message})"))
}

/// The dotted key path (`modules[0].meetings[1].date`) of what a `toml` error points at.
///
/// That is the smallest key, value or table header containing `target` (only table headers
/// when `table_only`, for "missing field" errors that point at the table missing it). When the
/// document tree does not cover the span (syntax errors drop what they cannot parse), it is the
/// last key before it on the same line, or else the text at the span (a repeated key) inside the
/// table whose header comes last before it.
fn key_path_at(text: &str, target: &Range<usize>, table_only: bool) -> String {
    struct Search {
        target: Range<usize>,
        table_only: bool,
        line_start: usize,
        /// (span length, depth, path) of the best node containing the target.
        best: Option<(usize, usize, String)>,
        /// (key start, path) of the last key that ends before the target on its line.
        before: Option<(usize, String)>,
        /// (header start, path) of the last table header before the target.
        enclosing: Option<(usize, String)>,
    }
    impl Search {
        fn consider(&mut self, span: Range<usize>, depth: usize, path: &str) {
            if span.start <= self.target.start && self.target.end <= span.end {
                let len = span.end - span.start;
                let better = match &self.best {
                    None => true,
                    Some((best_len, best_depth, _)) => {
                        len < *best_len || (len == *best_len && depth > *best_depth)
                    }
                };
                if better {
                    self.best = Some((len, depth, path.to_string()));
                }
            }
        }
        fn key(&mut self, span: Range<usize>, depth: usize, path: &str) {
            if !self.table_only {
                self.consider(span.clone(), depth, path);
            }
            if span.start >= self.line_start
                && span.end <= self.target.start
                && self.before.as_ref().is_none_or(|(at, _)| span.start > *at)
            {
                self.before = Some((span.start, path.to_string()));
            }
        }
        fn table(&mut self, table: &DeTable<'_>, depth: usize, prefix: &str) {
            for (k, v) in table.iter() {
                let path = join_key(prefix, &key_repr(k.get_ref()));
                self.key(k.span(), depth + 1, &path);
                self.value(v, depth + 1, &path);
            }
        }
        fn value(&mut self, value: &Spanned<DeValue<'_>>, depth: usize, path: &str) {
            let span = value.span();
            let is_table = matches!(value.get_ref(), DeValue::Table(_));
            if !self.table_only || is_table {
                self.consider(span.clone(), depth, path);
            }
            if is_table
                && span.start <= self.target.start
                && self
                    .enclosing
                    .as_ref()
                    .is_none_or(|(at, _)| span.start >= *at)
            {
                self.enclosing = Some((span.start, path.to_string()));
            }
            match value.get_ref() {
                DeValue::Table(t) => self.table(t, depth, path),
                DeValue::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        self.value(item, depth + 1, &format!("{path}[{i}]"));
                    }
                }
                _ => {}
            }
        }
    }

    let start = target.start.min(text.len());
    let line_start = text.as_bytes()[..start]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let (root, _) = DeTable::parse_recoverable(text);
    let mut search = Search {
        target: target.clone(),
        table_only,
        line_start,
        best: None,
        before: None,
        enclosing: None,
    };
    search.table(root.get_ref(), 0, "");
    if let Some((_, _, path)) = search.best {
        return path;
    }
    if let Some((_, path)) = search.before {
        return path;
    }
    let written = text.get(target.clone()).unwrap_or("").trim();
    let table = search.enclosing.map(|(_, path)| path).unwrap_or_default();
    if !written.is_empty() && !written.contains('\n') {
        join_key(&table, written)
    } else {
        table
    }
}

/// A key as written in a path: bare when TOML allows it, quoted otherwise.
fn key_repr(key: &str) -> String {
    if !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        key.to_string()
    } else {
        format!("{key:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::workshop::Window;

    const SEED_2021: &str = include_str!("../workshops/co-programmazione-2021.toml");
    const EDITION_2027: &str = include_str!("../workshops/co-programmazione-2027.toml");

    /// A small valid file; tests change one line and look at the error.
    const MINIMAL: &str = r#"slug = "prova"
title = "Laboratorio di prova"
organiser = "ANCI Lombardia"
funding = "Fondi propri"
capacity = 10
enrollment_opens = 2021-09-01T09:00:00+02:00
enrollment_closes = 2021-09-27T23:59:59+02:00
eligible_roles = ["responsabile-ufficio-di-piano", "responsabile-servizi-sociali"]
facilitators = ["Silvia De Aloe"]

[[modules]]
title = "Primo modulo"
topics = ["Un tema"]

  [[modules.meetings]]
  date = 2021-10-01
  start = 09:30:00
  end = 12:30:00
  place = "online"

  [[modules.meetings]]
  date = 2021-10-06
  start = 09:30:00
  end = 12:30:00
  place = "online"
"#;

    fn parse(text: &str) -> Result<Workshop, CatalogError> {
        parse_workshop("workshops/x.toml", text)
    }

    /// MINIMAL with `from` replaced by `to` (which must occur exactly once).
    fn edited(from: &str, to: &str) -> String {
        assert_eq!(MINIMAL.matches(from).count(), 1, "{from:?} must occur once");
        MINIMAL.replace(from, to)
    }

    /// The error for `text`, as (line, key, message).
    fn error(text: &str) -> (usize, String, String) {
        match parse(text) {
            Ok(_) => panic!("expected an error"),
            Err(CatalogError::Invalid {
                file,
                line,
                key,
                message,
            }) => {
                assert_eq!(file, "workshops/x.toml");
                (line, key, message)
            }
            Err(other) => panic!("unexpected {other:?}"),
        }
    }

    fn line_of(text: &str, needle: &str) -> usize {
        let at = text.find(needle).expect("needle present");
        text[..at].matches('\n').count() + 1
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn minimal_file_gets_the_defaults() {
        let w = parse(MINIMAL).unwrap();
        assert_eq!(w.slug, "prova");
        assert_eq!(w.description, "");
        assert_eq!(w.timezone, chrono_tz::Europe::Rome);
        assert_eq!(w.roles, default_roles());
        assert_eq!(w.policy_areas, default_policy_areas());
        assert!(w.ambiti.is_empty());
        assert_eq!(w.board_templates.len(), 1);
        assert_eq!(w.board_templates[0].name, DEFAULT_BOARD_TEMPLATE);
        let keys: Vec<&str> = w.meetings().map(|(_, m)| m.key.as_str()).collect();
        assert_eq!(keys, ["M1-1", "M1-2"]);
        assert!(
            w.meetings()
                .all(|(_, m)| m.board_template == DEFAULT_BOARD_TEMPLATE)
        );
        assert!(w.meetings().all(|(_, m)| m.title.is_none()));
    }

    #[test]
    fn the_seed_workshop_file_matches_the_2021_laboratorio() {
        let w = parse_workshop("workshops/co-programmazione-2021.toml", SEED_2021).unwrap();
        assert_eq!(w.slug, "co-programmazione-2021");
        assert_eq!(
            w.title,
            "La Co-Programmazione come esercizio di amministrazione condivisa"
        );
        assert_eq!(w.organiser, "ANCI Lombardia");
        assert!(w.funding.contains("Azione 11.3.3"));
        assert!(w.funding.contains("CUP E49D20000010009"));
        assert!(w.description.contains("XI/4563"));
        assert_eq!(w.capacity, 40);
        assert_eq!(w.enrollment_closes, utc("2021-09-27T23:59:59+02:00"));
        assert_eq!(
            w.enrollment_opens.date_naive(),
            NaiveDate::from_ymd_opt(2021, 9, 1).unwrap()
        );
        assert_eq!(
            w.eligible_roles,
            [
                "responsabile-ufficio-di-piano",
                "responsabile-servizi-sociali"
            ]
        );
        assert_eq!(
            w.facilitators,
            [
                "Silvia De Aloe",
                "Luciano Gallo",
                "Chiara Girola",
                "Nucci Maiocchi",
                "Ettore Vittorio Uccellini"
            ]
        );
        assert_eq!(w.modules.len(), 3);
        assert!(
            w.modules
                .iter()
                .all(|m| m.topics.len() == 2 && m.meetings.len() == 2)
        );
        assert_eq!(w.modules[2].title, "Dalla teoria alla prassi");
        let dates: Vec<String> = w.meetings().map(|(_, m)| m.date.to_string()).collect();
        assert_eq!(
            dates,
            [
                "2021-10-01",
                "2021-10-06",
                "2021-10-15",
                "2021-10-28",
                "2021-11-12",
                "2021-11-25"
            ]
        );
        let keys: Vec<&str> = w.meetings().map(|(_, m)| m.key.as_str()).collect();
        assert_eq!(keys, ["M1-1", "M1-2", "M2-1", "M2-2", "M3-1", "M3-2"]);
        assert_eq!(w.window(utc("2021-09-27T23:00:00+02:00")), Window::Open);
        assert_eq!(w.window(utc("2021-09-28T00:00:00+02:00")), Window::Closed);
    }

    #[test]
    fn the_2027_edition_is_open_for_enrollment_now() {
        let w = parse_workshop("workshops/co-programmazione-2027.toml", EDITION_2027).unwrap();
        assert_eq!(w.slug, "co-programmazione-2027");
        assert_eq!(w.capacity, 40);
        assert_eq!(w.window(utc("2026-11-26T12:00:00+01:00")), Window::Open);
        assert_eq!(w.window(utc("2027-02-01T00:00:00+01:00")), Window::Closed);
        let seed = parse(SEED_2021).unwrap();
        let titles = |w: &Workshop| {
            w.modules
                .iter()
                .map(|m| m.title.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(titles(&w), titles(&seed));
        let meetings: Vec<&Meeting> = w.meetings().map(|(_, m)| m).collect();
        assert_eq!(meetings.len(), 6);
        assert!(meetings.iter().all(|m| {
            use chrono::Datelike;
            m.date.year() == 2027
                && (2..=5).contains(&m.date.month())
                && m.date.weekday().num_days_from_monday() < 5
                && m.date > w.enrollment_closes.date_naive()
        }));
    }

    #[test]
    fn the_shipped_folder_loads_in_file_name_order() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("workshops");
        let all = load_dir(&dir).unwrap();
        let slugs: Vec<&str> = all.iter().map(|w| w.slug.as_str()).collect();
        assert_eq!(slugs, ["co-programmazione-2021", "co-programmazione-2027"]);
    }

    #[test]
    fn the_error_reads_file_line_key_message() {
        let text = edited("  date = 2021-10-06", "  date = \"6 ottobre\"");
        let err = parse(&text).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "workshops/x.toml:{}: modules[0].meetings[1].date: {DATE_HINT}",
                line_of(&text, "\"6 ottobre\"")
            )
        );
        assert_eq!(err.file(), "workshops/x.toml");
        assert_eq!(err.key(), Some("modules[0].meetings[1].date"));
    }

    #[test]
    fn unknown_keys_are_named() {
        let text = edited("capacity = 10\n", "capacity = 10\ncolour = \"rosso\"\n");
        let (line, key, message) = error(&text);
        assert_eq!((line, key.as_str()), (line_of(&text, "colour"), "colour"));
        assert!(
            message.starts_with("chiave sconosciuta \"colour\""),
            "{message}"
        );
        let listed = message
            .split_once("ammesse: ")
            .unwrap()
            .1
            .trim_end_matches(')');
        assert_eq!(listed, TOP_LEVEL_KEYS.join(", "), "lists the allowed keys");

        let text = edited(
            "  date = 2021-10-06\n",
            "  date = 2021-10-06\n  room = \"B\"\n",
        );
        let (line, key, _) = error(&text);
        assert_eq!(
            (line, key.as_str()),
            (line_of(&text, "room"), "modules[0].meetings[1].room")
        );

        // A general key written after a [[...]] header lands in that table: say so.
        let text = format!("{MINIMAL}capacity = 12\n");
        let (line, key, message) = error(&text);
        assert_eq!(
            (line, key.as_str()),
            (
                line_of(&text, "capacity = 12"),
                "modules[0].meetings[1].capacity"
            )
        );
        assert!(message.contains("prima della prima sezione"), "{message}");

        let text = edited("topics = [", "topic = [");
        let (line, key, message) = error(&text);
        assert_eq!(
            (line, key.as_str()),
            (line_of(&text, "topic ="), "modules[0].topic")
        );
        assert!(
            message.contains("topics"),
            "suggests the right key: {message}"
        );
    }

    #[test]
    fn bad_dates_and_times_are_reported_where_they_are() {
        for bad in ["2021-10-32", "\"1 ottobre\"", "2021-10-06T09:30:00", "6"] {
            let text = edited("  date = 2021-10-06", &format!("  date = {bad}"));
            let (line, key, message) = error(&text);
            assert_eq!(line, line_of(&text, &format!("date = {bad}")), "{bad}");
            assert_eq!(key, "modules[0].meetings[1].date", "{bad}");
            assert_eq!(message, DATE_HINT, "{bad}");
        }
        let text = MINIMAL.replacen("  start = 09:30:00", "  start = 25:00:00", 1);
        let (line, key, message) = error(&text);
        assert_eq!(
            (line, key.as_str()),
            (line_of(&text, "25:00"), "modules[0].meetings[0].start")
        );
        assert_eq!(message, TIME_HINT);
    }

    #[test]
    fn times_may_be_written_loosely() {
        let text = MINIMAL
            .replacen("start = 09:30:00", "start = \"9:30\"", 1)
            .replacen("end = 12:30:00", "end = 12:30", 1);
        let w = parse(&text).unwrap();
        let m = &w.modules[0].meetings[0];
        assert_eq!(
            (m.start.to_string().as_str(), m.end.to_string().as_str()),
            ("09:30:00", "12:30:00")
        );
    }

    #[test]
    fn slugs_must_be_url_safe() {
        for bad in [
            "Co-Programmazione",
            "co programmazione",
            "co--prog",
            "-co",
            "perché",
            "",
        ] {
            let text = edited("slug = \"prova\"", &format!("slug = \"{bad}\""));
            let (line, key, message) = error(&text);
            assert_eq!((line, key.as_str()), (1, "slug"), "{bad}");
            assert!(message.contains("lettere minuscole"), "{message}");
        }
    }

    #[test]
    fn a_meeting_must_end_after_it_starts() {
        let text = MINIMAL.replacen("  end = 12:30:00", "  end = 09:30:00", 1);
        let (line, key, _) = error(&text);
        assert_eq!(key, "modules[0].meetings[0].end");
        assert_eq!(line, line_of(&text, "end = 09:30:00"));
    }

    #[test]
    fn eligible_roles_must_be_known() {
        let text = edited("\"responsabile-servizi-sociali\"]", "\"assessore\"]");
        let (line, key, message) = error(&text);
        assert_eq!((line, key.as_str()), (8, "eligible_roles[1]"));
        assert!(
            message.contains("ruolo sconosciuto \"assessore\""),
            "{message}"
        );
        assert!(
            message.contains("sindaco-assessore"),
            "lists known roles: {message}"
        );

        let text = edited(
            "eligible_roles = [\"responsabile-ufficio-di-piano\", \"responsabile-servizi-sociali\"]",
            "eligible_roles = []",
        );
        assert_eq!(error(&text).1, "eligible_roles");
    }

    #[test]
    fn enrollment_must_close_after_it_opens() {
        let text = edited("2021-09-27T23:59:59+02:00", "2021-09-01T09:00:00+02:00");
        let (line, key, message) = error(&text);
        assert_eq!((line, key.as_str()), (7, "enrollment_closes"));
        assert!(message.contains("dopo l'apertura"), "{message}");
    }

    #[test]
    fn local_datetimes_are_read_in_the_workshop_time_zone() {
        let text = edited("2021-09-27T23:59:59+02:00", "2021-09-27T23:59:59");
        assert_eq!(
            parse(&text).unwrap().enrollment_closes,
            utc("2021-09-27T23:59:59+02:00")
        );

        let text = edited("2021-09-27T23:59:59+02:00", "2021-09-27");
        assert_eq!(
            parse(&text).unwrap().enrollment_closes,
            utc("2021-09-27T23:59:59+02:00")
        );

        let text = edited("capacity = 10", "capacity = 10\ntimezone = \"UTC\"")
            .replace("2021-09-27T23:59:59+02:00", "2021-09-27T23:59:59");
        assert_eq!(
            parse(&text).unwrap().enrollment_closes,
            utc("2021-09-27T23:59:59Z")
        );

        let text = edited("capacity = 10", "capacity = 10\ntimezone = \"Europa/Roma\"");
        let (line, key, message) = error(&text);
        assert_eq!((line, key.as_str()), (6, "timezone"));
        assert!(message.contains("fuso orario sconosciuto"), "{message}");

        // 02:30 on the last Sunday of March does not exist in Italy.
        let text = edited("2021-09-01T09:00:00+02:00", "2021-03-28T02:30:00");
        let (_, key, message) = error(&text);
        assert_eq!(key, "enrollment_opens");
        assert!(message.contains("ora legale"), "{message}");
    }

    #[test]
    fn missing_keys_are_named_at_their_table() {
        let text = MINIMAL.replacen("  place = \"online\"\n", "", 1);
        let (line, key, message) = error(&text);
        assert_eq!(key, "modules[0].meetings[0].place");
        assert_eq!(line, line_of(&text, "[[modules.meetings]]"));
        assert_eq!(message, "chiave obbligatoria mancante");

        let text = edited("title = \"Laboratorio di prova\"\n", "");
        let (line, key, message) = error(&text);
        assert_eq!(
            (line, key.as_str(), message.as_str()),
            (1, "title", "chiave obbligatoria mancante")
        );
    }

    #[test]
    fn wrong_types_are_explained() {
        let text = edited("capacity = 10", "capacity = \"dieci\"");
        let (line, key, message) = error(&text);
        assert_eq!((line, key.as_str()), (5, "capacity"));
        assert_eq!(
            message,
            "tipo non valido: trovato il testo \"dieci\", atteso un numero intero"
        );

        let text = edited(
            "facilitators = [\"Silvia De Aloe\"]",
            "facilitators = \"Silvia De Aloe\"",
        );
        let (line, key, message) = error(&text);
        assert_eq!((line, key.as_str()), (9, "facilitators"));
        assert!(message.contains("atteso una lista"), "{message}");

        let text = edited("capacity = 10", "capacity = 0");
        assert_eq!(error(&text).1, "capacity");
        let text = edited("capacity = 10", "capacity = -3");
        assert_eq!(error(&text).1, "capacity");
    }

    #[test]
    fn syntax_errors_keep_their_line() {
        let text = edited("capacity = 10\n", "capacity = 10\ncapacity = 11\n");
        let (line, key, message) = error(&text);
        assert_eq!(
            (line, key.as_str(), message.as_str()),
            (6, "capacity", "chiave ripetuta")
        );

        let text = edited(
            "organiser = \"ANCI Lombardia\"",
            "organiser = ANCI Lombardia",
        );
        let (line, key, _) = error(&text);
        assert_eq!((line, key.as_str()), (3, "organiser"));
    }

    #[test]
    fn meetings_must_be_in_calendar_order() {
        let text = edited("  date = 2021-10-06", "  date = 2021-09-30");
        let (line, key, message) = error(&text);
        assert_eq!(
            (line, key.as_str()),
            (line_of(&text, "2021-09-30"), "modules[0].meetings[1].date")
        );
        assert!(message.contains("M1-1"), "{message}");

        let text = format!(
            "{MINIMAL}\n[[modules]]\ntitle = \"Secondo\"\n[[modules.meetings]]\ndate = 2021-09-15\n\
             start = 10:00\nend = 11:00\nplace = \"online\"\n"
        );
        let (_, key, message) = error(&text);
        assert_eq!(key, "modules[1].meetings[0].date");
        assert!(message.contains("M1-2"), "{message}");
    }

    #[test]
    fn meetings_may_only_use_known_board_templates() {
        let text = edited(
            "  date = 2021-10-06\n",
            "  date = 2021-10-06\n  board_template = \"world-cafe\"\n",
        );
        let (line, key, message) = error(&text);
        assert_eq!(
            (line, key.as_str()),
            (
                line_of(&text, "\"world-cafe\""),
                "modules[0].meetings[1].board_template"
            )
        );
        assert!(
            message.contains("co-programmazione"),
            "lists the available ones: {message}"
        );
    }

    #[test]
    fn files_may_add_roles_areas_ambiti_and_templates() {
        let text = format!(
            r#"ambiti = ["Ambito di Bergamo", "Ambito di Dalmine"]
policy_areas = ["Anziani", "Domiciliarità"]
{MINIMAL}
[[roles]]
id = "osservatore"
label = "Osservatore esterno"

[[roles]]
id = "referente-csv"
label = "Referente del Centro di Servizio per il Volontariato"

[[board_templates]]
name = "world-cafe"
phases = ["raccolta", "chiuso"]

  [[board_templates.columns]]
  card_type = "domanda"
  title = "Domande"
  prompt = "Che cosa vorreste chiedere agli altri tavoli?"

[[board_templates]]
name = "co-programmazione"
phases = ["raccolta", "voto", "chiuso"]

  [[board_templates.columns]]
  card_type = "bisogno"
  title = "Bisogni del territorio"
  prompt = "Quali bisogni?"
"#
        )
        .replace(
            "  date = 2021-10-06\n",
            "  date = 2021-10-06\n  title = \"Tavolo aperto\"\n  board_template = \"world-cafe\"\n",
        );
        let w = parse(&text).unwrap();
        assert_eq!(w.ambiti, ["Ambito di Bergamo", "Ambito di Dalmine"]);
        assert_eq!(w.policy_areas, ["Anziani", "Domiciliarità"]);
        assert_eq!(w.role_label("osservatore"), Some("Osservatore esterno"));
        assert_eq!(w.roles.len(), default_roles().len() + 1);
        assert_eq!(w.roles.last().unwrap().id, "referente-csv");
        let names: Vec<&str> = w.board_templates.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["co-programmazione", "world-cafe"]);
        assert_eq!(w.board_templates[0].phases, ["raccolta", "voto", "chiuso"]);
        let second = &w.modules[0].meetings[1];
        assert_eq!(second.board_template, "world-cafe");
        assert_eq!(second.title.as_deref(), Some("Tavolo aperto"));
    }

    #[test]
    fn text_fields_must_not_be_blank() {
        let text = edited("organiser = \"ANCI Lombardia\"", "organiser = \"   \"");
        assert_eq!(error(&text).0, 3);
        assert_eq!(error(&text).1, "organiser");
        let text = edited(
            "facilitators = [\"Silvia De Aloe\"]",
            "facilitators = [\"Silvia De Aloe\", \"\"]",
        );
        assert_eq!(error(&text).1, "facilitators[1]");
        let text = edited(
            "facilitators = [\"Silvia De Aloe\"]",
            "facilitators = [\"Silvia De Aloe\", \"Silvia De Aloe\"]",
        );
        assert!(error(&text).2.contains("ripetuto"));
    }

    #[test]
    fn the_default_board_template_has_the_three_card_kinds() {
        let t = default_board_template();
        let kinds: Vec<&str> = t.columns.iter().map(|c| c.card_type.as_str()).collect();
        assert_eq!(kinds, ["bisogno", "proposta", "indicatore"]);
        assert_eq!(t.phases.first().map(String::as_str), Some("preparazione"));
        assert_eq!(t.phases.last().map(String::as_str), Some("chiuso"));
        assert_eq!(default_policy_areas().len(), 10);
        assert!(default_roles().iter().all(|r| is_ident(&r.id)));
    }

    #[test]
    fn duplicate_slugs_across_files_name_both_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.toml"), MINIMAL).unwrap();
        std::fs::write(dir.path().join("b.toml"), MINIMAL).unwrap();
        std::fs::write(dir.path().join("note.txt"), "not a workshop").unwrap();
        std::fs::create_dir(dir.path().join("data")).unwrap();
        let err = load_dir(dir.path()).unwrap_err();
        let a = dir.path().join("a.toml").display().to_string();
        let b = dir.path().join("b.toml").display().to_string();
        assert_eq!(err.file(), b);
        assert_eq!(err.line(), Some(1));
        assert_eq!(err.key(), Some("slug"));
        assert!(err.to_string().contains(&a), "{err}");

        std::fs::remove_file(dir.path().join("b.toml")).unwrap();
        assert_eq!(load_dir(dir.path()).unwrap().len(), 1);

        let missing = load_dir(&dir.path().join("nope")).unwrap_err();
        assert!(matches!(missing, CatalogError::Io { .. }));
        assert_eq!(missing.message(), "file o cartella inesistente");
    }
}
