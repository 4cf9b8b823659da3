//! CSV that opens correctly in Italian-locale Excel and LibreOffice: UTF-8 with a byte-order
//! mark (Excel otherwise guesses Windows-1252), `;` as separator (the Italian list separator,
//! since `,` is the decimal comma), CRLF line ends, RFC 4180 quoting.
//!
//! Formula injection: a cell that starts with `=`, `+`, `-`, `@`, tab or carriage return would be
//! run as a formula by a spreadsheet; such cells get a leading apostrophe (OWASP advice), which
//! the spreadsheet shows as plain text.

use super::outline::{Item, Merged, Outline, indicator_type_label};
use crate::domain::board::{Actor, ActorKind, Comment};
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
    "ID",
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
    "Testo dei commenti",
    "Contributi uniti",
    "Unito a",
    "Ripreso da",
    "Scritto la prima volta il",
    "Ente",
    "Ambito",
    "Autore",
    "Scritto per conto di",
    "Ospite",
    "Anonimo",
    "Inserito il",
    "Nascosto il",
    "Motivo della moderazione",
];

/// The cards of an outline, one row each, with every field of every kind: the cards of each
/// meeting, each followed by the duplicates merged into it there (state "unito"), then the
/// hidden ones when listed apart (their text only when an organiser asked for it). Anonymous
/// cards have no author, organisation or Ambito.
pub fn cards(o: &Outline) -> String {
    let mut csv = Csv::new();
    csv.row(CARD_COLUMNS);
    for it in &o.items {
        csv.row(card_row(o, it, "visibile"));
        for m in it.merged.iter().filter(|m| !m.earlier) {
            csv.row(merged_row(o, it, m));
        }
    }
    for it in &o.hidden {
        csv.row(card_row(o, it, "nascosto"));
    }
    csv.finish()
}

fn yes_no(b: bool) -> String {
    if b { "sì" } else { "no" }.to_string()
}

/// The twenty columns of a card's own fields, from "Aree secondarie" to "Disaggregazione".
fn content_fields(content: Option<&CardContent>) -> Vec<String> {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let mut fields = vec![String::new(); 20];
    match content {
        Some(CardContent::Bisogno(n)) => {
            fields[0] = n.secondary_areas.join(", ");
            fields[1] = opt(&n.target_group);
            fields[2] = opt(&n.territory);
            fields[3] = opt(&n.evidence);
        }
        Some(CardContent::Proposta(p)) => {
            fields[4] = opt(&p.description);
            fields[5] = opt(&p.instrument);
            fields[6] = opt(&p.actors);
            fields[7] = opt(&p.terzo_settore_role);
        }
        Some(CardContent::Indicatore(i)) => {
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
        Some(CardContent::Altro(_)) | None => {}
    }
    fields
}

/// One line per comment, "[Ente] testo", those of earlier meetings first.
fn comment_lines(it: &Item) -> String {
    let line = |earlier: bool, c: &Comment, author: Option<&Actor>| {
        let who = author
            .and_then(|a| a.organisation.as_deref().or(Some(a.name.as_str())))
            .unwrap_or("anonimo");
        let when = if earlier {
            " (incontro precedente)"
        } else {
            ""
        };
        format!("[{who}]{when} {}", c.text)
    };
    it.earlier_comments()
        .map(|(c, a)| line(true, c, a))
        .chain(it.comments().map(|(c, a)| line(false, c, a)))
        .collect::<Vec<_>>()
        .join("\n")
}

fn card_row(o: &Outline, it: &Item, state: &str) -> Vec<String> {
    let s = &o.sessions[it.session];
    let c = it.card;
    // A hidden card's text (often hidden because it held personal data) only when asked for.
    let withheld = it.hidden_reason.is_some() && !o.scope.hidden.with_text();
    let content = (!withheld).then_some(&c.content);
    let mut row = vec![
        it.reference.clone(),
        format!("{}:{}", s.session.id, c.id),
        state.to_string(),
        s.session.meeting.date.format("%d/%m/%Y").to_string(),
        s.session.module_number.to_string(),
        it.column_title.clone(),
        it.kind.label().to_string(),
        it.theme.clone().unwrap_or_default(),
        if withheld {
            String::new()
        } else {
            it.title().to_string()
        },
        it.policy_area().unwrap_or_default().to_string(),
    ];
    row.extend(content_fields(content));
    let origin = it.origin.as_ref();
    row.extend([
        it.votes.to_string(),
        (c.comments.len() + origin.map_or(0, |o| o.comments.len())).to_string(),
        if withheld {
            String::new()
        } else {
            comment_lines(it)
        },
        it.merged
            .iter()
            .filter_map(|m| m.reference.clone())
            .collect::<Vec<_>>()
            .join(", "),
        String::new(),
        origin
            .and_then(|origin| origin.reference)
            .unwrap_or_default()
            .to_string(),
        o.when(
            origin
                .and_then(|origin| origin.created_at)
                .unwrap_or(c.created_at),
        ),
        it.organisation().unwrap_or_default().to_string(),
        it.ambito().unwrap_or_default().to_string(),
        it.author_name().unwrap_or_default().to_string(),
        yes_no(c.on_behalf_of.is_some()),
        yes_no(c.on_behalf_of.is_none() && c.author.kind == ActorKind::Guest && !c.anonymous),
        yes_no(c.anonymous),
        o.when(c.created_at),
        if it.hidden_reason.is_some() {
            o.when(c.updated_at)
        } else {
            String::new()
        },
        it.hidden_reason.unwrap_or_default().to_string(),
    ]);
    row
}

/// A duplicate merged into `it` in its meeting, as it was written.
fn merged_row(o: &Outline, it: &Item, m: &Merged) -> Vec<String> {
    let s = &o.sessions[it.session];
    let mut row = vec![
        m.reference.clone().unwrap_or_default(),
        m.id.map(|id| format!("{}:{id}", s.session.id))
            .unwrap_or_default(),
        "unito".to_string(),
        s.session.meeting.date.format("%d/%m/%Y").to_string(),
        s.session.module_number.to_string(),
        it.column_title.clone(),
        it.kind.label().to_string(),
        String::new(),
        m.content.title().to_string(),
        m.content.policy_area().unwrap_or_default().to_string(),
    ];
    row.extend(content_fields(Some(m.content)));
    row.extend([
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        it.reference.clone(),
        String::new(),
        o.when(m.created_at),
        m.organisation().unwrap_or_default().to_string(),
        String::new(),
        m.author_name().unwrap_or_default().to_string(),
        yes_no(m.author_kind().is_none()),
        yes_no(m.author_kind() == Some(ActorKind::Guest) && m.author_name().is_some()),
        yes_no(m.author_name().is_none()),
        o.when(m.created_at),
        String::new(),
        String::new(),
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
    let guarded = evaluated(cell);
    let needs_quotes = guarded || cell.contains([';', '"', '\n', '\r', ',']);
    if needs_quotes {
        out.push('"');
    }
    if guarded {
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

/// Whether a spreadsheet would run this cell as a formula instead of showing it as text or
/// reading it as a number: such a cell gets a leading apostrophe (OWASP's advice against formula
/// injection), which shows the text as it was written. Checked against LibreOffice Calc it-IT by
/// `.ci/csv-checks`.
///
/// - `=` always starts a formula;
/// - `+`, `-` or `@` start one when an expression follows: an operator, parentheses, a
///   reference to another sheet or application (`!`, `|`), or a cell reference (`-A1`);
/// - a sign before ordinary words ("- accessi al SerD", a bullet), a number ("-3", "+2,5") or
///   a telephone number ("+39 02 1234567") is text or a value, and stays as written;
/// - a leading tab or carriage return is how some payloads hide the `=`.
pub fn evaluated(cell: &str) -> bool {
    let mut chars = cell.chars();
    match chars.next() {
        Some('=' | '\t' | '\r') => true,
        Some('+' | '-' | '@') => {
            let rest = chars.as_str();
            // A bullet: a sign, a space, words ("- servizi domiciliari (SAD)").
            if rest.starts_with(char::is_whitespace)
                && rest.trim_start().starts_with(char::is_alphabetic)
            {
                return false;
            }
            let expression = rest.chars().any(|c| {
                matches!(
                    c,
                    '+' | '-'
                        | '*'
                        | '/'
                        | '^'
                        | '&'
                        | '='
                        | '<'
                        | '>'
                        | '('
                        | ')'
                        | '!'
                        | '|'
                        | '%'
                        | '"'
                        | ';'
                )
            });
            expression || is_cell_reference(rest.trim())
        }
        _ => false,
    }
}

/// "A1", "ab12", "$C$3": what a spreadsheet would read as a reference to another cell.
fn is_cell_reference(s: &str) -> bool {
    let s = s.replace('$', "");
    let letters = s.chars().take_while(|c| c.is_ascii_alphabetic()).count();
    let digits = &s[letters..];
    (1..=3).contains(&letters) && !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
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

    /// Which cells get the apostrophe: those a spreadsheet would run (`.ci/csv-checks` opens
    /// the same cases in LibreOffice Calc it-IT).
    #[test]
    fn only_what_a_spreadsheet_would_run_is_guarded() {
        for (cell, guarded) in [
            ("=1+1", true),
            ("=HYPERLINK(\"http://x\")", true),
            ("+1+1", true),
            ("-2+3", true),
            ("@SUM(1;2)", true),
            ("-A1", true),
            ("+cmd|' /C calc'!A0", true),
            ("\t=1+1", true),
            ("- accessi al SerD", false),
            ("- servizi domiciliari (SAD)", false),
            ("-accessi", false),
            ("-3", false),
            ("+2,5", false),
            ("+39 02 1234567", false),
            ("@utenti", false),
            ("Anziani (over 75) - 2021", false),
            ("3,2", false),
        ] {
            assert_eq!(evaluated(cell), guarded, "{cell}");
        }
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
        assert!(text.contains(";@utenti;"), "a word after @ is text");
        assert!(text.contains("\"Tavolo; \"\"sociale\"\"\nseconda riga\""));
        for row in [
            card_row(&o, &o.items[0], "visibile"),
            card_row(&o, &o.items[2], "x"),
        ] {
            assert_eq!(row.len(), CARD_COLUMNS.len());
        }
    }
}
