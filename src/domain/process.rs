//! What kind of process a workshop is, and the facts its documents need.
//!
//! A **laboratorio** is a training activity (like the 2021 seed): heads of Uffici di Piano
//! practise co-programming, and its documents are exercises — a resoconto of each meeting,
//! never a "seduta del procedimento". A **procedimento** is a real co-programming procedure of an
//! Ambito (art. 55 D.Lgs. 117/2017, DM 72/2021): initiative, formal start naming the responsabile
//! del procedimento, public notice, minuted sessions, a closing documento istruttorio, then the
//! Accordo di programma. Its documents are drafts of those acts and name who is responsible.
//! These facts come from the workshop file (`[procedure]`, `docs/workshop-format.md`).

use chrono::NaiveDate;
use serde::Serialize;

/// The kind of process a workshop runs.
// One per workshop, read where documents are written: the size of the larger variant costs
// nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Process {
    /// A training laboratorio: documents are exercises.
    #[default]
    Laboratorio,
    /// A co-programming procedimento of an Ambito: documents are drafts of its acts.
    Procedimento(Procedure),
}

impl Process {
    /// The procedure, when this is one.
    pub fn procedure(&self) -> Option<&Procedure> {
        match self {
            Process::Laboratorio => None,
            Process::Procedimento(p) => Some(p),
        }
    }
}

/// The facts of a procedimento that its acts state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Procedure {
    /// The amministrazione procedente, as its acts are headed (e.g. "Comune di Bergamo").
    pub authority: String,
    /// The ente capofila of the Ambito (often the same as the authority).
    pub lead_body: String,
    /// The Ambito territoriale whose Piano di Zona this is.
    pub ambito: String,
    /// The responsabile del procedimento, with title (e.g. "dott.ssa Anna Bianchi,
    /// Responsabile dell'Ufficio di Piano").
    pub responsible: String,
    /// Who takes the minutes (segretario verbalizzante).
    pub minutes_by: String,
    /// The act that started the procedure.
    pub opening_act: OpeningAct,
    /// When the avviso pubblico was published, if it was.
    pub public_notice: Option<NaiveDate>,
    /// The period of the Piano di Zona (e.g. "2025–2027"), which the Accordo lasts to.
    pub plan_period: Option<String>,
    /// The parties of the Accordo di programma, in the order the file lists them.
    pub parties: Vec<Party>,
}

/// The act that started a procedure (determinazione, delibera…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpeningAct {
    /// "determinazione dirigenziale", "deliberazione della Giunta comunale"…
    pub kind: String,
    pub number: String,
    pub date: NaiveDate,
}

/// A party of the Accordo di programma.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Party {
    pub kind: PartyKind,
    /// As it signs: "Comune di Dalmine", "ATS di Bergamo", "Cooperativa sociale Il Sentiero".
    pub name: String,
    /// Who signs for it ("il Sindaco pro tempore o suo delegato"), when the file says.
    pub represented_by: Option<String>,
}

/// The kinds of parties an Accordo di programma for a Piano di Zona has in Lombardy: the Comuni
/// of the Ambito, the ente capofila, the ATS, the ASST (integrazione sociosanitaria) and the
/// enti del Terzo settore that join (art. 18 c. 7 l.r. Lombardia 3/2008).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PartyKind {
    Comune,
    EnteCapofila,
    Ats,
    Asst,
    Ets,
}

impl PartyKind {
    /// Every kind, in the order the Accordo lists them.
    pub const ALL: [PartyKind; 5] = [
        PartyKind::EnteCapofila,
        PartyKind::Comune,
        PartyKind::Ats,
        PartyKind::Asst,
        PartyKind::Ets,
    ];

    /// The word of the workshop file.
    pub fn id(self) -> &'static str {
        match self {
            PartyKind::Comune => "comune",
            PartyKind::EnteCapofila => "ente_capofila",
            PartyKind::Ats => "ats",
            PartyKind::Asst => "asst",
            PartyKind::Ets => "ets",
        }
    }

    pub fn parse(s: &str) -> Option<PartyKind> {
        PartyKind::ALL.into_iter().find(|k| k.id() == s)
    }

    /// How the Accordo names the group ("I Comuni dell'Ambito"…).
    pub fn group_label(self) -> &'static str {
        match self {
            PartyKind::EnteCapofila => "Ente capofila",
            PartyKind::Comune => "Comuni dell'Ambito",
            PartyKind::Ats => "Agenzia di Tutela della Salute (ATS)",
            PartyKind::Asst => "Azienda Socio-Sanitaria Territoriale (ASST)",
            PartyKind::Ets => "Enti del Terzo settore aderenti",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn party_kinds_read_their_file_words() {
        for k in PartyKind::ALL {
            assert_eq!(PartyKind::parse(k.id()), Some(k));
        }
        assert_eq!(PartyKind::parse("regione"), None);
    }
}
