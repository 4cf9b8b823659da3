//! CSV that opens correctly in Italian-locale Excel and LibreOffice: UTF-8 with a byte-order
//! mark (Excel otherwise guesses Windows-1252), `;` as separator (the Italian list separator,
//! since `,` is the decimal comma), CRLF line ends, RFC 4180 quoting.
//!
//! Formula injection: a cell that starts with `=`, `+`, `-`, `@`, tab or carriage return would be
//! run as a formula by a spreadsheet; such cells get a leading apostrophe (OWASP advice), which
//! the spreadsheet shows as plain text.

use super::outline::{Item, Outline, indicator_type_label};
use crate::domain::cards::CardContent;

/// Builds a CSV document in memory.
pub struct Csv {
    out: String,
}

impl Default for Csv {
    fn default() -> Self {
        Self::new()
    }
}

impl Csv {
    pub fn new() -> Csv {
        Csv {
            out: String::from('\u{feff}'),
        }
    }

    /// Appends one row.
    pub fn row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for (i, cell) in cells.into_iter().enumerate() {
            if i > 0 {
                self.out.push(';');
            }
            push_cell(&mut self.out, cell.as_ref());
        }
        self.out.push_str("\r\n");
    }

    pub fn finish(self) -> String {
        self.out
    }
}

/// The columns of [`cards`], in order.
pub const CARD_COLUMNS: &[&str] = &[
    "Rif.",
    "Stato",
    "Incontro",
    "Modulo",
    "Colonna",
    "Tipo",
    "Tema",
    "Testo o titolo",
    "Area di policy",
    "Aree secondarie",
    "Destinatari",
    "Territorio",
    "Fonti e dati",
    "Descrizione",
    "Strumento",
    "Attori coinvolti",
    "Ruolo del Terzo settore",
    "Definizione",
    "Tipo di indicatore",
    "Unità di misura",
    "Formula",
    "Fonte del dato",
    "Valore di partenza",
    "Data del valore di partenza",
    "Valore obiettivo",
    "Scadenza dell'obiettivo",
    "Frequenza",
    "Responsabile",
    "Disaggregazione",
    "Voti",
    "Commenti",
    "Contributi uniti",
    "Ripreso dall'incontro del",
    "Ente",
    "Ambito",
    "Autore",
    "Anonimo",
    "Inserito il",
    "Motivo della moderazione",
];

/// The cards of an outline, one row each (the hidden ones too, when listed apart), with
/// every field of every kind; anonymous cards without author, organisation or Ambito.
pub fn cards(o: &Outline) -> String {
    let mut csv = Csv::new();
    csv.row(CARD_COLUMNS);
    for (it, state) in o
        .items
        .iter()
        .map(|i| (i, "visibile"))
        .chain(o.hidden.iter().map(|i| (i, "nascosto")))
    {
        csv.row(card_row(o, it, state));
    }
    csv.finish()
}

fn card_row(o: &Outline, it: &Item, state: &str) -> Vec<String> {
    let s = &o.sessions[it.session];
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let mut row = vec![
        it.reference.clone(),
        state.to_string(),
        s.session.meeting.date.format("%d/%m/%Y").to_string(),
        s.session.module_number.to_string(),
        it.column_title.clone(),
        it.kind.label().to_string(),
        it.theme.clone().unwrap_or_default(),
        it.title().to_string(),
        it.policy_area().unwrap_or_default().to_string(),
    ];
    let mut fields = vec![String::new(); 20];
    match &it.card.content {
        CardContent::Bisogno(n) => {
            fields[0] = n.secondary_areas.join(", ");
            fields[1] = opt(&n.target_group);
            fields[2] = opt(&n.territory);
            fields[3] = opt(&n.evidence);
        }
        CardContent::Proposta(p) => {
            fields[4] = opt(&p.description);
            fields[5] = opt(&p.instrument);
            fields[6] = opt(&p.actors);
            fields[7] = opt(&p.terzo_settore_role);
        }
        CardContent::Indicatore(i) => {
            fields[8] = opt(&i.definition);
            fields[9] = i
                .indicator_type
                .as_deref()
                .map(|t| indicator_type_label(t).to_string())
                .unwrap_or_default();
            fields[10] = opt(&i.unit);
            fields[11] = opt(&i.formula);
            fields[12] = opt(&i.source);
            fields[13] = opt(&i.baseline_value);
            fields[14] = i.baseline_date.as_deref().map(date_it).unwrap_or_default();
            fields[15] = opt(&i.target_value);
            fields[16] = i
                .target_deadline
                .as_deref()
                .map(date_it)
                .unwrap_or_default();
            fields[17] = opt(&i.frequency);
            fields[18] = opt(&i.responsible);
            fields[19] = opt(&i.disaggregation);
        }
        CardContent::Altro(_) => {}
    }
    row.extend(fields);
    row.extend([
        it.votes.to_string(),
        it.card.comments.len().to_string(),
        it.card.merged.len().to_string(),
        it.origin
            .as_ref()
            .and_then(|origin| origin.reference)
            .unwrap_or_default()
            .to_string(),
        it.organisation().unwrap_or_default().to_string(),
        it.ambito().unwrap_or_default().to_string(),
        it.author_name().unwrap_or_default().to_string(),
        if it.card.anonymous { "sì" } else { "no" }.to_string(),
        o.when(it.card.created_at),
        it.hidden_reason.unwrap_or_default().to_string(),
    ]);
    row
}

/// "31/12/2023": the date format Italian spreadsheets read as a date.
fn date_it(s: &str) -> String {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(|d| d.format("%d/%m/%Y").to_string())
        .unwrap_or_else(|_| s.to_string())
}

fn push_cell(out: &mut String, cell: &str) {
    let dangerous = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let needs_quotes = dangerous || cell.contains([';', '"', '\n', '\r', ',']);
    if needs_quotes {
        out.push('"');
    }
    if dangerous {
        out.push('\'');
    }
    for c in cell.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    if needs_quotes {
        out.push('"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_formulas_neutralised() {
        let mut csv = Csv::new();
        csv.row(["Nome", "Ente"]);
        csv.row(["Rossi; Maria", "=HYPERLINK(\"http://x\")"]);
        csv.row(["-2+3", "Comune di Forlì"]);
        let text = csv.finish();
        assert!(text.starts_with('\u{feff}'));
        let lines: Vec<&str> = text.trim_start_matches('\u{feff}').split("\r\n").collect();
        assert_eq!(lines[0], "Nome;Ente");
        assert_eq!(
            lines[1],
            "\"Rossi; Maria\";\"'=HYPERLINK(\"\"http://x\"\")\""
        );
        assert_eq!(lines[2], "\"'-2+3\";Comune di Forlì");
    }

    #[test]
    fn every_card_row_has_every_column_and_formulas_stay_text() {
        use crate::export::outline::tests::*;
        use crate::export::scope::{Extent, HiddenCards, Scope};
        let w = workshop();
        let a = person(1, "Bergamo");
        let mut b = BoardBuilder::new(1);
        b.card(&a, "c1", need("=SUM(A1:A9)", Some("Anziani")))
            .card(
                &a,
                "c2",
                proposal("Tavolo; \"sociale\"\nseconda riga", None),
            )
            .card(&a, "c3", indicator("@utenti"));
        let sessions = vec![session(&w, 0, b.state)];
        let scope = Scope {
            extent: Extent::Meeting(1),
            ambito: None,
            hidden: HiddenCards::Omit,
        };
        let o = Outline::build(&w, &sessions, &scope, chrono::Utc::now());
        let text = cards(&o);
        assert!(text.contains("\"'=SUM(A1:A9)\""));
        assert!(text.contains("\"'@utenti\""));
        assert!(text.contains("\"Tavolo; \"\"sociale\"\"\nseconda riga\""));
        for row in [
            card_row(&o, &o.items[0], "visibile"),
            card_row(&o, &o.items[2], "x"),
        ] {
            assert_eq!(row.len(), CARD_COLUMNS.len());
        }
    }
}
