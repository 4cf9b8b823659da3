//! The `toml` crate's errors, in Italian and located: serde's "missing field", "unknown field",
//! "invalid type" and the parser's syntax errors become the same `file:line: key: message` as
//! the checker's own, so the organiser reads one kind of message whatever went wrong.
//!
//! The crate gives an English message and a byte span; this module matches the message's known
//! prefixes (the crate has no error codes to match instead) and finds the key path from the
//! span. An unknown message is kept, in parentheses, after a generic Italian one.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::checker::{DATE_HINT, INSTANT_HINT, TIME_HINT};
use super::error::{Source, WorkshopFileError};
use super::raw::TOP_LEVEL_KEYS;

/// Turns a serde or syntax error from the `toml` crate into ours, in Italian, with the key
/// path found from the error's byte span.
pub(super) fn translate(source: Source<'_>, error: &toml::de::Error) -> WorkshopFileError {
    let span = error.span().unwrap_or(0..0);
    let message = error.message();
    let table_only = message.starts_with("missing field ");
    let path = key_path_at(source.text, &span, table_only);
    let (key, italian) = if let Some(field) = quoted_after(message, "missing field ") {
        (
            join_key(&path, field),
            "chiave obbligatoria mancante".to_string(),
        )
    } else if let Some(field) = quoted_after(message, "unknown field ") {
        // serde writes "expected `a`", "expected `a` or `b`" or "expected one of `a`, `b`, …":
        // the names are what is between backticks.
        let allowed: Vec<&str> = message
            .split_once(", expected ")
            .map(|(_, rest)| rest.split('`').skip(1).step_by(2).collect())
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
    let key = if key.is_empty() {
        "(file)".to_string()
    } else {
        key
    };
    source.error(span, key, italian)
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
