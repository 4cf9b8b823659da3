//! The Italian Comuni, from ISTAT's list, for the "Comune" field of enrollments and cards.
//!
//! The CSV ships inside the binary (`workshops/data/comuni-istat.csv`) and is parsed once, on
//! first use. ISTAT publishes it under CC BY: wherever the list is shown, credit
//! [`SOURCE_CREDIT`].

use std::collections::HashMap;
use std::sync::LazyLock;

/// The attribution ISTAT's licence (CC BY) asks for wherever the list is shown.
pub const SOURCE_CREDIT: &str = "Fonte: ISTAT";

const CSV: &str = include_str!("../../workshops/data/comuni-istat.csv");

/// One Comune as ISTAT lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Comune {
    /// Six-digit ISTAT code, with leading zeros ("015146" for Milano).
    pub codice_istat: &'static str,
    /// Official name as ISTAT writes it ("Forlì", "Gressoney-La-Trinité").
    pub denominazione: &'static str,
    pub regione: &'static str,
    /// Province, metropolitan city or equivalent unit ("Milano", "Monza e della Brianza").
    pub unita_sovracomunale: &'static str,
    /// Vehicle plate code of that unit ("MI").
    pub sigla: &'static str,
    /// Cadastral code, as found in the codice fiscale ("F205").
    pub codice_catastale: &'static str,
}

impl Comune {
    /// "Milano (MI)": unambiguous across Italy, and accepted back by [`resolve`].
    pub fn label(&self) -> String {
        format!("{} ({})", self.denominazione, self.sigla)
    }

    pub fn is_in_lombardia(&self) -> bool {
        self.regione == "Lombardia"
    }
}

struct Index {
    comuni: Vec<Comune>,
    /// `normalize(denominazione)`, parallel to `comuni`.
    keys: Vec<String>,
    by_code: HashMap<&'static str, usize>,
}

static INDEX: LazyLock<Index> = LazyLock::new(|| build_index(CSV));

/// Every Comune, in the order of ISTAT's file (grouped by region, not strictly by code).
pub fn all() -> &'static [Comune] {
    &INDEX.comuni
}

/// The Comune with this six-digit ISTAT code.
pub fn by_code(code: &str) -> Option<&'static Comune> {
    let index: &'static Index = &INDEX;
    index.by_code.get(code.trim()).map(|&i| &index.comuni[i])
}

/// Comuni matching what someone is typing, best first, at most `limit`.
///
/// Case, accents, apostrophes and hyphens are ignored. Names equal to the query come first, then
/// names starting with it, then names with a word starting with it ("trinite" finds
/// "Gressoney-La-Trinité"), then names merely containing it. Within each group Comuni of
/// Lombardia come first, then alphabetical order. A query of digits matches ISTAT codes by
/// prefix, and "Nome (SIGLA)" restricts the search to that province.
pub fn search(query: &str, limit: usize) -> Vec<&'static Comune> {
    let index: &'static Index = &INDEX;
    let (name, sigla) = split_label(query);
    let q = normalize(name);
    if q.is_empty() || limit == 0 {
        return Vec::new();
    }
    if q.bytes().all(|b| b.is_ascii_digit()) {
        let mut hits: Vec<&'static Comune> = index
            .comuni
            .iter()
            .filter(|c| c.codice_istat.starts_with(&q))
            .collect();
        hits.sort_unstable_by_key(|c| c.codice_istat);
        hits.truncate(limit);
        return hits;
    }
    let mut hits: Vec<(u8, bool, &str, usize)> = index
        .keys
        .iter()
        .enumerate()
        .filter(|&(i, _)| sigla.is_none_or(|s| index.comuni[i].sigla.eq_ignore_ascii_case(s)))
        .filter_map(|(i, key)| {
            let tier = if *key == q {
                0
            } else if key.starts_with(&q) {
                1
            } else if key
                .match_indices(&q)
                .any(|(at, _)| key[..at].ends_with([' ', '\'', '/']))
            {
                2
            } else if key.contains(&q) {
                3
            } else {
                return None;
            };
            Some((tier, !index.comuni[i].is_in_lombardia(), key.as_str(), i))
        })
        .collect();
    hits.sort_unstable();
    hits.into_iter()
        .take(limit)
        .map(|(_, _, _, i)| &index.comuni[i])
        .collect()
}

/// The Comune a person meant, if it is unambiguous.
///
/// Accepts an ISTAT code ("015146", also without leading zeros), an exact name in any case and
/// with or without accents ("Milano", "forli"), one half of a name written "Italiano/Deutsch"
/// (should ISTAT's file carry such names), or a label "Nome (SIGLA)" as produced by
/// [`Comune::label`]. A name shared by Comuni of different
/// provinces (e.g. "Castro") resolves only with its "(SIGLA)".
pub fn resolve(input: &str) -> Option<&'static Comune> {
    let index: &'static Index = &INDEX;
    let input = input.trim();
    if input.is_empty() {
        return None;
    }
    if input.bytes().all(|b| b.is_ascii_digit()) {
        return if input.len() <= 6 {
            by_code(&format!("{input:0>6}"))
        } else {
            None
        };
    }
    let (name, sigla) = split_label(input);
    let q = normalize(name);
    let candidates = || {
        (0..index.comuni.len())
            .filter(move |&i| sigla.is_none_or(|s| index.comuni[i].sigla.eq_ignore_ascii_case(s)))
    };
    let exact: Vec<usize> = candidates().filter(|&i| index.keys[i] == q).collect();
    let found = if exact.is_empty() {
        candidates()
            .filter(|&i| index.keys[i].split('/').any(|part| part.trim() == q))
            .collect()
    } else {
        exact
    };
    match found.as_slice() {
        [i] => Some(&index.comuni[*i]),
        _ => None,
    }
}

/// Splits "Nome (XX)" into ("Nome", Some("XX")); anything else is returned whole.
fn split_label(input: &str) -> (&str, Option<&str>) {
    let input = input.trim();
    if let Some(rest) = input.strip_suffix(')') {
        if let Some((name, sigla)) = rest.rsplit_once('(') {
            let sigla = sigla.trim();
            if (2..=3).contains(&sigla.len()) && sigla.bytes().all(|b| b.is_ascii_alphabetic()) {
                return (name.trim(), Some(sigla));
            }
        }
    }
    (input, None)
}

/// Lowercase, without accents, with one kind of apostrophe and spaces for hyphens, collapsed.
fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        let folded = match c {
            'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' => 'a',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ò' | 'ó' | 'ô' | 'ö' | 'õ' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            'ç' | 'č' => 'c',
            'ñ' => 'n',
            'š' => 's',
            'ž' => 'z',
            '’' | '‘' | '`' | '´' => '\'',
            '-' | '–' | '_' => ' ',
            c if c.is_whitespace() => ' ',
            c => c,
        };
        if folded == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        out.push(folded);
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

fn build_index(csv: &'static str) -> Index {
    let csv = csv.strip_prefix('\u{feff}').unwrap_or(csv);
    // `lines()` also strips the "\r" of the file's CRLF line ends.
    let mut lines = csv.lines().filter(|l| !l.trim().is_empty());
    let header = split_csv_line(lines.next().unwrap_or_default());
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h.trim() == name)
            .unwrap_or_else(|| panic!("comuni-istat.csv: missing column {name}"))
    };
    let cols = [
        column("codice_istat"),
        column("denominazione"),
        column("regione"),
        column("unita_sovracomunale"),
        column("sigla"),
        column("codice_catastale"),
    ];
    let mut comuni = Vec::with_capacity(8000);
    for (n, line) in lines.enumerate() {
        let fields = split_csv_line(line);
        let get = |i: usize| {
            fields
                .get(cols[i])
                .copied()
                .unwrap_or_else(|| panic!("comuni-istat.csv: row {} is short", n + 2))
        };
        comuni.push(Comune {
            codice_istat: get(0),
            denominazione: get(1),
            regione: get(2),
            unita_sovracomunale: get(3),
            sigla: get(4),
            codice_catastale: get(5),
        });
    }
    let keys = comuni.iter().map(|c| normalize(c.denominazione)).collect();
    let by_code = comuni
        .iter()
        .enumerate()
        .map(|(i, c)| (c.codice_istat, i))
        .collect();
    Index {
        comuni,
        keys,
        by_code,
    }
}

/// Splits one CSV record (RFC 4180 quoting, no line breaks inside fields).
///
/// The shipped file quotes nothing, but a refreshed ISTAT export may quote a name containing a
/// comma. A quoted field without doubled quotes borrows from the file; one with `""` inside is
/// unescaped into a leaked string, which happens at most once per field for the process lifetime.
fn split_csv_line(line: &'static str) -> Vec<&'static str> {
    let mut fields = Vec::new();
    let mut rest = line;
    loop {
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut end = 0;
            let mut escaped = false;
            let bytes = quoted.as_bytes();
            while end < bytes.len() {
                if bytes[end] == b'"' {
                    if bytes.get(end + 1) == Some(&b'"') {
                        escaped = true;
                        end += 2;
                        continue;
                    }
                    break;
                }
                end += 1;
            }
            let raw = &quoted[..end];
            fields.push(if escaped {
                &*Box::leak(raw.replace("\"\"", "\"").into_boxed_str())
            } else {
                raw
            });
            rest = quoted.get(end + 1..).unwrap_or("");
            match rest.find(',') {
                Some(comma) => rest = &rest[comma + 1..],
                None => return fields,
            }
        } else {
            match rest.split_once(',') {
                Some((field, tail)) => {
                    fields.push(field);
                    rest = tail;
                }
                None => {
                    fields.push(rest);
                    return fields;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&Comune]) -> Vec<&'static str> {
        list.iter().map(|c| c.denominazione).collect()
    }

    #[test]
    fn the_whole_istat_list_is_loaded() {
        assert_eq!(all().len(), 7896);
        assert_eq!(all().iter().filter(|c| c.is_in_lombardia()).count(), 1502);
        assert!(all().iter().all(|c| c.codice_istat.len() == 6
            && c.codice_istat.bytes().all(|b| b.is_ascii_digit())
            && !c.denominazione.is_empty()
            && !c.regione.is_empty()
            && c.sigla.len() == 2
            && c.codice_catastale.len() == 4));
        // No field kept a quote or the carriage return of the CRLF file.
        assert!(
            all()
                .iter()
                .all(|c| !c.codice_catastale.ends_with('\r') && !c.denominazione.contains('"'))
        );
    }

    #[test]
    fn codes_find_their_comune() {
        let milano = by_code("015146").expect("Milano");
        assert_eq!(milano.denominazione, "Milano");
        assert_eq!(milano.regione, "Lombardia");
        assert_eq!(milano.sigla, "MI");
        assert_eq!(milano.codice_catastale, "F205");
        assert_eq!(milano.label(), "Milano (MI)");
        assert_eq!(by_code("001001").unwrap().denominazione, "Agliè");
        assert!(by_code("999999").is_none());
        assert!(by_code("").is_none());
    }

    #[test]
    fn resolve_accepts_codes_names_and_labels() {
        assert_eq!(resolve("Milano").unwrap().codice_istat, "015146");
        assert_eq!(resolve("  milano ").unwrap().codice_istat, "015146");
        assert_eq!(resolve("015146").unwrap().denominazione, "Milano");
        assert_eq!(resolve("15146").unwrap().denominazione, "Milano");
        assert_eq!(resolve("Milano (MI)").unwrap().codice_istat, "015146");
        assert_eq!(resolve("milano (mi)").unwrap().codice_istat, "015146");
        assert_eq!(resolve("Agliè").unwrap().codice_istat, "001001");
        assert_eq!(resolve("aglie").unwrap().codice_istat, "001001");
        assert_eq!(
            resolve("gressoney la trinite").unwrap().denominazione,
            "Gressoney-La-Trinité"
        );
        assert!(resolve("Milano (RM)").is_none());
        assert!(resolve("Mila").is_none(), "a prefix is not a choice");
        assert!(resolve("").is_none());
        assert!(resolve("1234567").is_none());
    }

    #[test]
    fn homonyms_need_their_province() {
        let castro: Vec<_> = all()
            .iter()
            .filter(|c| c.denominazione == "Castro")
            .collect();
        assert_eq!(castro.len(), 2, "Castro (BG) and Castro (LE)");
        assert!(resolve("Castro").is_none());
        assert_eq!(resolve("Castro (BG)").unwrap().regione, "Lombardia");
        assert_eq!(resolve("Castro (LE)").unwrap().regione, "Puglia");
    }

    #[test]
    fn every_label_resolves_back_to_its_comune() {
        for c in all() {
            assert_eq!(resolve(&c.label()), Some(c), "{}", c.label());
            assert_eq!(resolve(c.codice_istat), Some(c));
        }
    }

    #[test]
    fn search_puts_exact_and_prefix_matches_first() {
        assert_eq!(names(&search("milano", 5)), ["Milano"]);
        let hits = search("bergamo", 5);
        assert_eq!(hits[0].codice_istat, "016024");
        // Names starting with "milan" come before names merely containing it.
        let hits = search("milan", 50);
        let first_substring = hits
            .iter()
            .position(|c| !normalize(c.denominazione).starts_with("milan"))
            .unwrap_or(hits.len());
        assert!(
            hits[..first_substring]
                .iter()
                .all(|c| normalize(c.denominazione).starts_with("milan"))
        );
        assert!(names(&hits).contains(&"San Donato Milanese"));
    }

    #[test]
    fn search_ignores_case_and_accents() {
        assert_eq!(names(&search("FORLI", 1)), ["Forlì"]);
        assert_eq!(names(&search("cantù", 1)), ["Cantù"]);
        assert_eq!(names(&search("cantu", 1)), ["Cantù"]);
        assert_eq!(names(&search("trinite", 1)), ["Gressoney-La-Trinité"]);
        assert_eq!(
            names(&search("sant’angelo lod", 1)),
            ["Sant'Angelo Lodigiano"]
        );
    }

    #[test]
    fn search_prefers_lombardia_on_ties() {
        let hits = search("castro", 2);
        assert_eq!(hits[0].sigla, "BG");
        assert_eq!(hits[1].sigla, "LE");
        let hits = search("castro (le)", 5);
        assert_eq!(hits[0].sigla, "LE");
        assert!(hits.iter().all(|c| c.sigla == "LE"));
    }

    #[test]
    fn search_by_code_prefix_and_limits() {
        let hits = search("0151", 3);
        assert_eq!(hits.len(), 3);
        assert!(hits.iter().all(|c| c.codice_istat.starts_with("0151")));
        assert!(search("", 10).is_empty());
        assert!(search("   ", 10).is_empty());
        assert!(search("milano", 0).is_empty());
        assert!(search("zzzzqqq", 10).is_empty());
        assert!(search("a", 7).len() == 7);
    }

    #[test]
    fn csv_fields_may_be_quoted() {
        assert_eq!(split_csv_line("a,b,c"), ["a", "b", "c"]);
        assert_eq!(split_csv_line("a,,c"), ["a", "", "c"]);
        assert_eq!(
            split_csv_line("\"Roma, Capitale\",RM"),
            ["Roma, Capitale", "RM"]
        );
        assert_eq!(
            split_csv_line("x,\"detto \"\"il\"\" paese\""),
            ["x", "detto \"il\" paese"]
        );
        assert_eq!(split_csv_line("\"\",z"), ["", "z"]);
    }

    #[test]
    fn normalize_folds_what_people_type_differently() {
        assert_eq!(
            normalize("  Sant’Angelo  Lodigiano "),
            "sant'angelo lodigiano"
        );
        assert_eq!(normalize("Gattico-Veruno"), "gattico veruno");
        assert_eq!(normalize("FORLÌ"), "forli");
    }
}
