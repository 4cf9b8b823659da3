//! What an export produces: a Word document of one of three types, or the raw data.

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
    /// Every type, in the order the export page offers them.
    pub const ALL: [DocType; 3] = [
        DocType::Verbale,
        DocType::Coprogrammazione,
        DocType::Accordo,
    ];

    /// `documento=verbale|coprogrammazione|accordo` (also the other words below).
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

    /// The document's name, as the export page and the document's properties show it.
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
    /// The cards, one row each (`formato=contributi`, the default CSV).
    Csv,
    /// The objectives (schede obiettivo), one row each with their resources by fund: the
    /// plan's budget (`formato=obiettivi`).
    ObjectivesCsv,
    Json,
}

impl Format {
    /// The CSV asked for by `formato=contributi|obiettivi` (empty: the cards).
    pub fn parse_csv(s: &str) -> Option<Format> {
        match s.trim().to_lowercase().as_str() {
            "" | "contributi" | "cards" => Some(Format::Csv),
            "obiettivi" | "objectives" => Some(Format::ObjectivesCsv),
            _ => None,
        }
    }

    /// The file name's extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Docx(_) => "docx",
            Format::Csv | Format::ObjectivesCsv => "csv",
            Format::Json => "json",
        }
    }

    /// The MIME type of the download.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Docx(_) => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            Format::Csv | Format::ObjectivesCsv => "text/csv; charset=utf-8",
            Format::Json => "application/json",
        }
    }
}
