//! CSV that opens correctly in Italian-locale Excel and LibreOffice: UTF-8 with a byte-order
//! mark (Excel otherwise guesses Windows-1252), `;` as separator (the Italian list separator,
//! since `,` is the decimal comma), CRLF line ends, RFC 4180 quoting.
//!
//! Formula injection: a cell that starts with `=`, `+`, `-`, `@`, tab or carriage return would be
//! run as a formula by a spreadsheet; such cells get a leading apostrophe (OWASP advice), which
//! the spreadsheet shows as plain text.

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
}
