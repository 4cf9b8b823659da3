//! CSV that opens correctly in Italian-locale Excel and LibreOffice: UTF-8 with a byte-order
//! mark (Excel otherwise guesses Windows-1252), `;` as separator (the Italian list separator,
//! since `,` is the decimal comma), CRLF line ends, RFC 4180 quoting.
//!
//! Formula injection: a cell that starts with `=`, `+`, `-`, `@`, tab or carriage return would be
//! run as a formula by a spreadsheet; such cells get a leading apostrophe (OWASP advice), which
//! the spreadsheet shows as plain text.

use super::outline::{Item, Link, Merged, ObjectiveItem, Outline, indicator_type_label};
use crate::domain::board::{Actor, ActorKind, Comment, Fund};
use crate::domain::cards::CardContent;
use crate::domain::money::format_euro;

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
    "Segnato come",
    "Nota del segno",
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
    // The mark a facilitator set for the documents; its note may speak of the card's text,
    // so it follows the text of a hidden card.
    let mark = c.mark.as_ref();
    row.extend([
        mark.map(|m| m.kind.label()).unwrap_or_default().to_string(),
        mark.and_then(|m| m.note.as_deref())
            .filter(|_| !withheld)
            .unwrap_or_default()
            .to_string(),
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
        String::new(),
        String::new(),
    ]);
    row
}

/// The columns of [`objectives`], in order: one column per fund ([`Fund::ALL`]), in euro.
pub fn objective_columns() -> Vec<String> {
    let mut columns: Vec<String> = [
        "Rif.",
        "Incontro",
        "Modulo",
        "Area di policy",
        "Titolo",
        "Descrizione",
        "Destinatari",
        "Interventi e azioni",
        "Risultato atteso",
        "Tempi",
        "Bisogni collegati",
        "Indicatori collegati",
        "Soggetti coinvolti",
        "Sovrazonale",
    ]
    .map(String::from)
    .into();
    columns.extend(Fund::ALL.map(|f| format!("{} (euro)", f.label())));
    columns.extend(
        [
            "Totale (euro)",
            "Risorse di personale",
            "Dettaglio delle risorse",
        ]
        .map(String::from),
    );
    columns
}

/// The objectives of an outline (schede obiettivo), one row each, for the plan's budget: what
/// each pursues, for whom, with which needs and indicators (by reference: a linked card this
/// export does not report is cited by reference alone, its text never), and its economic
/// resources summed by fund, as numbers an Italian spreadsheet adds up.
pub fn objectives(o: &Outline) -> String {
    let mut csv = Csv::new();
    csv.row(objective_columns());
    for ob in &o.objectives {
        csv.row(objective_row(o, ob));
    }
    csv.finish()
}

fn objective_row(o: &Outline, ob: &ObjectiveItem) -> Vec<String> {
    let s = &o.sessions[ob.session];
    let c = &ob.objective.content;
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let refs = |links: &[Link]| {
        links
            .iter()
            .map(|l| l.reference.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut row = vec![
        ob.reference.clone(),
        s.session.meeting.date.format("%d/%m/%Y").to_string(),
        s.session.module_number.to_string(),
        opt(&c.policy_area),
        c.title.clone(),
        opt(&c.description),
        opt(&c.target_group),
        opt(&c.interventions),
        opt(&c.expected_result),
        opt(&c.timeline),
        refs(&ob.needs),
        refs(&ob.indicators),
        c.actors.join("; "),
        yes_no(c.sovrazonale),
    ];
    // A fund the objective does not draw on stays empty: nothing was said about it.
    row.extend(Fund::ALL.map(|fund| {
        let mut lines = c.resources.iter().filter(|r| r.fund == fund).peekable();
        if lines.peek().is_none() {
            return String::new();
        }
        amount(lines.fold(0u64, |sum, r| sum.saturating_add(r.amount_cents)))
    }));
    row.extend([
        amount(c.total_cents()),
        opt(&c.staff),
        c.resources
            .iter()
            .map(|r| {
                let line = format!("{}: {}", r.fund.label(), format_euro(r.amount_cents));
                match r.description.as_deref() {
                    Some(d) => format!("{line} ({d})"),
                    None => line,
                }
            })
            .collect::<Vec<_>>()
            .join("\n"),
    ]);
    row
}

/// "12500,00": euro cents as a number Italian spreadsheets read as a number (decimal comma, no
/// thousands separator, no currency sign), so that a column adds up.
pub fn amount(cents: u64) -> String {
    format!("{},{:02}", cents / 100, cents % 100)
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
            .card(&a, "c3", indicator("@utenti"))
            .card(&a, "c4", need("Doppione", None))
            .event(
                &facilitator(),
                crate::domain::board::Event::CardsMerged {
                    into: "c1".into(),
                    cards: vec!["c4".into()],
                },
            );
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
            merged_row(&o, &o.items[0], &o.items[0].merged[0]),
        ] {
            assert_eq!(row.len(), CARD_COLUMNS.len());
        }
    }

    fn synthesis_outline_test(hidden: crate::export::HiddenCards, check: impl Fn(&Outline)) {
        use crate::export::outline::tests::*;
        use crate::export::scope::{Extent, Scope};
        let w = workshop();
        let sessions = vec![session(
            &w,
            0,
            crate::export::json::tests::synthesis_board().state,
        )];
        let scope = Scope {
            extent: Extent::Meeting(1),
            ambito: None,
            hidden,
        };
        check(&Outline::build(&w, &sessions, &scope, chrono::Utc::now()));
    }

    #[test]
    fn card_rows_end_with_the_mark_and_its_note() {
        use crate::export::HiddenCards;
        let at = |name: &str| CARD_COLUMNS.iter().position(|c| *c == name).unwrap();
        assert_eq!(
            &CARD_COLUMNS[CARD_COLUMNS.len() - 2..],
            ["Segnato come", "Nota del segno"],
            "new columns go at the end: the others keep their position"
        );
        assert_eq!(at("Motivo della moderazione"), 45);
        synthesis_outline_test(HiddenCards::Apart, |o| {
            let p1 = o.items.iter().find(|it| it.card.id == "p1").unwrap();
            let row = card_row(o, p1, "visibile");
            assert_eq!(row[at("Segnato come")], "Tema per la co-progettazione");
            assert_eq!(row[at("Nota del segno")], "Con le ODV");
            let n1 = o.items.iter().find(|it| it.card.id == "n1").unwrap();
            let row = card_row(o, n1, "visibile");
            assert_eq!(row[at("Segnato come")], "");
            // A hidden card: its mark, not the note that may quote its text.
            let row = card_row(o, &o.hidden[0], "nascosto");
            assert_eq!(row.len(), CARD_COLUMNS.len());
            assert_eq!(row[at("Segnato come")], "Questione aperta");
            assert_eq!(row[at("Nota del segno")], "");
            assert!(!cards(o).contains("Mario Rossi"));
        });
        synthesis_outline_test(HiddenCards::ApartWithText, |o| {
            let row = card_row(o, &o.hidden[0], "nascosto");
            assert_eq!(row[at("Nota del segno")], "Chi segue Mario Rossi?");
        });
    }

    #[test]
    fn the_objectives_csv_sums_each_fund_and_cites_links_by_reference() {
        use crate::export::HiddenCards;
        let columns = objective_columns();
        let at = |name: &str| {
            columns
                .iter()
                .position(|c| c == name)
                .unwrap_or_else(|| panic!("{name}"))
        };
        synthesis_outline_test(HiddenCards::Omit, |o| {
            let rows: Vec<Vec<String>> = o.objectives.iter().map(|x| objective_row(o, x)).collect();
            assert_eq!(rows.len(), 2);
            for row in &rows {
                assert_eq!(row.len(), columns.len());
            }
            let first = &rows[0];
            assert_eq!(first[at("Rif.")], "M1-1/O01");
            assert_eq!(first[at("Incontro")], "12/02/2027");
            assert_eq!(first[at("Area di policy")], "Anziani");
            assert_eq!(first[at("Titolo")], "Trasporto sociale");
            assert_eq!(first[at("Destinatari")], "Anziani soli over 75");
            assert_eq!(first[at("Interventi e azioni")], "Convenzione con le ODV");
            assert_eq!(first[at("Risultato atteso")], "200 corse al mese");
            assert_eq!(first[at("Tempi")], "2025-2027");
            // The hidden need and the withheld anonymous one: their references only.
            assert_eq!(
                first[at("Bisogni collegati")],
                "M1-1/B01, M1-1/B02, M1-1/B03"
            );
            assert_eq!(first[at("Indicatori collegati")], "M1-1/I01");
            assert_eq!(first[at("Soggetti coinvolti")], "Comuni dell'Ambito; ATS");
            assert_eq!(first[at("Sovrazonale")], "sì");
            assert_eq!(rows[1][at("Sovrazonale")], "no");
            // Two FNPS lines add up in their column; a fund not drawn on stays empty.
            assert_eq!(first[at("FNPS (euro)")], "12500,50");
            assert_eq!(first[at("FNA (euro)")], "2500,50");
            assert_eq!(first[at("FSR (euro)")], "");
            assert_eq!(first[at("Totale (euro)")], "15001,00");
            assert_eq!(first[at("Risorse di personale")], "Un coordinatore, 10 ore");
            assert_eq!(
                first[at("Dettaglio delle risorse")],
                "FNPS: €\u{a0}12.500,00 (Quota 2025)\nFNA: €\u{a0}2.500,50\nFNPS: €\u{a0}0,50"
            );
            // Each fund's column adds up to the outline's total for that fund.
            for t in o.resources_by_fund() {
                let column = at(&format!("{} (euro)", t.fund.label()));
                let sum: u64 = rows
                    .iter()
                    .filter(|r| !r[column].is_empty())
                    .map(|r| r[column].replace(',', "").parse::<u64>().unwrap())
                    .sum();
                assert_eq!(sum, t.cents, "{}", t.fund.label());
            }
            let text = objectives(o);
            assert!(text.starts_with('\u{feff}'));
            let header = text
                .trim_start_matches('\u{feff}')
                .split("\r\n")
                .next()
                .unwrap();
            assert!(header.starts_with("Rif.;Incontro;Modulo;Area di policy;Titolo;"));
            assert!(header.contains(";FNPS (euro);FSR (euro);FNA (euro);"));
            assert!(text.contains(";\"'=1+1\";"), "the title is not run");
            for secret in ["Mario Rossi", "Segreto anonimo"] {
                assert!(!text.contains(secret), "{secret}");
            }
        });
    }

    #[test]
    fn amounts_are_numbers_an_italian_spreadsheet_adds_up() {
        assert_eq!(amount(0), "0,00");
        assert_eq!(amount(5), "0,05");
        assert_eq!(amount(1_250_000), "12500,00");
        assert_eq!(amount(123_456_789), "1234567,89");
        assert!(!evaluated(&amount(1)));
    }
}
