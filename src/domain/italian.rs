//! Italian that agrees with its numbers: every sentence Tavolo writes from a count (documents,
//! the board's history, pages, e-mails; the minijinja filters of `templates.rs` call these same
//! functions) goes through here, so that "1 contributo è stato unito" and "2 contributi sono
//! stati uniti" come from one rule instead of a `== 1` scattered in each place.
//!
//! - [`Noun`]: the nouns Tavolo counts, with their gender and both forms ([`NOUNS`]).
//! - [`count`]: "nessun contributo", "1 contributo", "2 contributi" — the count in a sentence.
//!   Zero reads "nessun…" in prose, because "0 contributi" in a sentence reads as a machine's;
//!   [`count_digits`] keeps "0 contributi" for table cells, tiles and summaries that stand next
//!   to other numbers. Both write 1 as "1", not "un": a document that counts in digits keeps
//!   doing so.
//! - [`Agreement`]: the words around a count — past participles, adjectives, the verb —
//!   agreeing with it in gender and number ("è stata unita", "sono stati uniti", "ciascuna").
//!   "Nessun contributo" is singular, so every word agreeing with a prose zero is singular too.
//! - [`list`]: "a, b e c", with "ed" before a word starting with "e".
//! - [`with_article`]: "del 12 febbraio", "dell'8 febbraio", "del 1° ottobre" — a masculine
//!   article (or articulated preposition) elided before a vowel sound, digits included.
//!
//! Pure functions on `&str`: no locale machinery, every rule is written (and tested) here.

/// Grammatical gender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gender {
    Masculine,
    Feminine,
}

/// Grammatical number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Number {
    Singular,
    Plural,
}

/// A countable noun: its gender and both forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Noun<'a> {
    pub singular: &'a str,
    pub plural: &'a str,
    pub gender: Gender,
}

impl<'a> Noun<'a> {
    /// A masculine noun.
    pub const fn m(singular: &'a str, plural: &'a str) -> Noun<'a> {
        Noun {
            singular,
            plural,
            gender: Gender::Masculine,
        }
    }

    /// A feminine noun.
    pub const fn f(singular: &'a str, plural: &'a str) -> Noun<'a> {
        Noun {
            singular,
            plural,
            gender: Gender::Feminine,
        }
    }

    /// The form of `number`.
    pub fn form(self, number: Number) -> &'a str {
        match number {
            Number::Singular => self.singular,
            Number::Plural => self.plural,
        }
    }

    /// The registered noun whose singular or plural is `word` (case-insensitive).
    pub fn named(word: &str) -> Option<Noun<'static>> {
        let w = word.trim().to_lowercase();
        NOUNS
            .iter()
            .find(|n| n.singular == w || n.plural == w)
            .copied()
    }
}

/// The nouns Tavolo counts. A noun missing here is a compile error where Rust counts it, and an
/// Italian error message where a template does (`conta`, see `templates/export/README.md`).
pub mod nouns {
    use super::Noun;

    type N = Noun<'static>;

    /// Invariable, like every English loan word in Italian.
    pub const ACCOUNT: N = Noun::m("account", "account");
    pub const AREA: N = Noun::f("area", "aree");
    pub const ASSENTE: N = Noun::m("assente", "assenti");
    pub const BISOGNO: N = Noun::m("bisogno", "bisogni");
    pub const CARATTERE: N = Noun::m("carattere", "caratteri");
    pub const COMMENTO: N = Noun::m("commento", "commenti");
    pub const CONTRIBUTO: N = Noun::m("contributo", "contributi");
    pub const DOMANDA: N = Noun::f("domanda", "domande");
    pub const DOPPIONE: N = Noun::m("doppione", "doppioni");
    pub const ENTE: N = Noun::m("ente", "enti");
    pub const EVENTO: N = Noun::m("evento", "eventi");
    pub const FASE: N = Noun::f("fase", "fasi");
    pub const GIORNO: N = Noun::m("giorno", "giorni");
    pub const INCONTRO: N = Noun::m("incontro", "incontri");
    pub const ISCRIZIONE: N = Noun::f("iscrizione", "iscrizioni");
    pub const INDICATORE: N = Noun::m("indicatore", "indicatori");
    pub const LABORATORIO: N = Noun::m("laboratorio", "laboratori");
    pub const MESSAGGIO: N = Noun::m("messaggio", "messaggi");
    pub const MINUTO: N = Noun::m("minuto", "minuti");
    pub const MODULO: N = Noun::m("modulo", "moduli");
    pub const OBIETTIVO: N = Noun::m("obiettivo", "obiettivi");
    pub const OPERAZIONE: N = Noun::f("operazione", "operazioni");
    pub const OSPITE: N = Noun::m("ospite", "ospiti");
    pub const PARTE: N = Noun::f("parte", "parti");
    pub const PARTECIPANTE: N = Noun::m("partecipante", "partecipanti");
    pub const PERSONA: N = Noun::f("persona", "persone");
    pub const POSTO: N = Noun::m("posto", "posti");
    pub const PRESENTE: N = Noun::m("presente", "presenti");
    pub const PRESENZA: N = Noun::f("presenza", "presenze");
    pub const PROBLEMA: N = Noun::m("problema", "problemi");
    pub const PROPOSTA: N = Noun::f("proposta", "proposte");
    pub const QUESTIONE: N = Noun::f("questione", "questioni");
    pub const RAPPRESENTANTE: N = Noun::m("rappresentante", "rappresentanti");
    pub const SCHEDA: N = Noun::f("scheda", "schede");
    pub const SECONDO: N = Noun::m("secondo", "secondi");
    pub const SEDUTA: N = Noun::f("seduta", "sedute");
    pub const TEMA: N = Noun::m("tema", "temi");
    pub const TENTATIVO: N = Noun::m("tentativo", "tentativi");
    pub const VOTO: N = Noun::m("voto", "voti");
}

/// Every noun of [`nouns`], for templates and the browser (`static/board/dom.js` keeps the
/// subset it counts; a test checks they say the same).
pub const NOUNS: &[Noun<'static>] = {
    use nouns::*;
    &[
        ACCOUNT,
        AREA,
        ASSENTE,
        BISOGNO,
        CARATTERE,
        COMMENTO,
        CONTRIBUTO,
        DOMANDA,
        DOPPIONE,
        ENTE,
        EVENTO,
        FASE,
        GIORNO,
        INCONTRO,
        ISCRIZIONE,
        INDICATORE,
        LABORATORIO,
        MESSAGGIO,
        MINUTO,
        MODULO,
        OBIETTIVO,
        OPERAZIONE,
        OSPITE,
        PARTE,
        PARTECIPANTE,
        PERSONA,
        POSTO,
        PRESENTE,
        PRESENZA,
        PROBLEMA,
        PROPOSTA,
        QUESTIONE,
        RAPPRESENTANTE,
        SCHEDA,
        SECONDO,
        SEDUTA,
        TEMA,
        TENTATIVO,
        VOTO,
    ]
};

/// The number words agree with when `n` is written by [`count`]: singular for 1 and for 0
/// ("nessun contributo è stato…"), plural from 2.
pub fn number(n: u64) -> Number {
    if n <= 1 {
        Number::Singular
    } else {
        Number::Plural
    }
}

/// The number words agree with when `n` is written in digits ([`count_digits`]): "0 contributi"
/// is plural.
pub fn number_digits(n: u64) -> Number {
    if n == 1 {
        Number::Singular
    } else {
        Number::Plural
    }
}

/// A count in a sentence: "nessun contributo", "nessuna proposta", "1 contributo",
/// "2 contributi".
pub fn count(n: u64, noun: Noun) -> String {
    if n == 0 {
        none(noun)
    } else {
        count_digits(n, noun)
    }
}

/// A count in digits, for cells, tiles and summaries: "0 contributi", "1 contributo",
/// "2 contributi".
pub fn count_digits(n: u64, noun: Noun) -> String {
    format!("{n} {}", noun.form(number_digits(n)))
}

/// "nessun contributo", "nessun ente", "nessuno spazio", "nessuna proposta", "nessun'area":
/// the forms of "nessuno" before a noun follow the indefinite article (un, uno, una, un').
pub fn none(noun: Noun) -> String {
    let word = noun.singular;
    let prefix = match noun.gender {
        Gender::Masculine if takes_lo(word) => "nessuno ",
        Gender::Masculine => "nessun ",
        Gender::Feminine if starts_with_vowel(word) => "nessun'",
        Gender::Feminine => "nessuna ",
    };
    format!("{prefix}{word}")
}

/// The gender and number the words around a count take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Agreement {
    pub gender: Gender,
    pub number: Number,
}

impl Agreement {
    /// Agreeing with `n` `noun` written by [`count`] (zero as "nessun…", so singular).
    pub fn with(n: u64, noun: Noun) -> Agreement {
        Agreement {
            gender: noun.gender,
            number: number(n),
        }
    }

    /// Agreeing with `n` `noun` written in digits ([`count_digits`]).
    pub fn with_digits(n: u64, noun: Noun) -> Agreement {
        Agreement {
            gender: noun.gender,
            number: number_digits(n),
        }
    }

    /// `word` (an adjective or past participle, given in the masculine singular) agreeing:
    /// "unito" → "unito", "unita", "uniti", "unite"; "simile" → "simili"; "ciascuno" →
    /// "ciascuna". See [`inflect`] for which words inflect.
    pub fn word(self, word: &str) -> String {
        inflect(word, self.gender, self.number)
    }

    /// `singular` or `plural` as the number wants: `pick("è", "sono")`.
    pub fn pick<'s>(self, singular: &'s str, plural: &'s str) -> &'s str {
        match self.number {
            Number::Singular => singular,
            Number::Plural => plural,
        }
    }

    /// The passive auxiliary with its participle: "è stato", "è stata", "sono stati",
    /// "sono state".
    pub fn was(self) -> String {
        format!("{} {}", self.pick("è", "sono"), self.word("stato"))
    }
}

/// An adjective or past participle given in the masculine singular, in `gender` and `number`.
///
/// Regular words inflect: "-o" → "-a", "-i", "-e" ("unito", "condotto", "ciascuno"), "-io" →
/// "-i" in the masculine plural ("proprio" → "propri"), "-e" → "-i" in the plural ("simile",
/// "presente"). Anything else is returned as given: irregular words (and those in "-co", "-go",
/// whose plural Italian does not decide by spelling) are best written in both forms by the
/// caller with [`Agreement::pick`].
pub fn inflect(word: &str, gender: Gender, number: Number) -> String {
    let (stem, ending) = match word.char_indices().next_back() {
        Some((i, c)) => (&word[..i], c),
        None => return String::new(),
    };
    match (ending, gender, number) {
        ('o', Gender::Masculine, Number::Singular) => word.to_string(),
        ('o', Gender::Feminine, Number::Singular) => format!("{stem}a"),
        ('o', Gender::Masculine, Number::Plural) if stem.ends_with('i') => stem.to_string(),
        ('o', Gender::Masculine, Number::Plural) => format!("{stem}i"),
        ('o', Gender::Feminine, Number::Plural) => format!("{stem}e"),
        ('e', _, Number::Singular) => word.to_string(),
        ('e', _, Number::Plural) => format!("{stem}i"),
        _ => word.to_string(),
    }
}

/// The conjunction before `next`: "ed" when it starts with "e" (the modern rule, as the
/// Accademia della Crusca recommends it: the euphonic "d" only before the same vowel, so
/// "ed Ettore", "ed è", but "e Anna", "e Oriana"), "e" otherwise.
pub fn and_before(next: &str) -> &'static str {
    match next.trim_start().chars().next() {
        Some('e' | 'E' | 'è' | 'é' | 'È' | 'É') => "ed",
        _ => "e",
    }
}

/// Items joined the Italian way: "a", "a e b", "a, b e c", "Nucci Maiocchi ed Ettore
/// Vittorio Uccellini" (see [`and_before`]).
pub fn list<S: AsRef<str>>(items: &[S]) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_string(),
        [init @ .., last] => {
            let last = last.as_ref();
            let init: Vec<&str> = init.iter().map(AsRef::as_ref).collect();
            format!("{} {} {last}", init.join(", "), and_before(last))
        }
    }
}

/// `article` (a masculine singular article or articulated preposition: "il", "del", "al",
/// "dal", "nel", "sul") before `next`, elided before a vowel sound: "del 12 febbraio",
/// "dell'8 febbraio", "dall'11 marzo", "del 1° ottobre", "l'incontro". Numbers are read as
/// Italian says them ("otto", "undici", "un milione": a vowel; "primo": a consonant).
/// Before a time, "alle" and "dalle" elide for one o'clock only ("all'1:15", read "all'una";
/// "alle 11:00"), as [`crate::domain::dates::format_datetime`] writes it.
/// `None` for another `article`: its elision is not a rule written here.
pub fn with_article(article: &str, next: &str) -> Option<String> {
    if let Some(elided) = match article {
        "alle" => Some("all'"),
        "dalle" => Some("dall'"),
        _ => None,
    } {
        let t = next.trim_start();
        let one = t.strip_prefix('0').unwrap_or(t).starts_with("1:");
        return Some(if one {
            format!("{elided}{next}")
        } else {
            format!("{article} {next}")
        });
    }
    let elided = match article {
        "il" => "l'",
        "del" => "dell'",
        "al" => "all'",
        "dal" => "dall'",
        "nel" => "nell'",
        "sul" => "sull'",
        _ => return None,
    };
    Some(if sounds_like_vowel(next) {
        format!("{elided}{next}")
    } else {
        format!("{article} {next}")
    })
}

/// Whether `word` starts with a vowel sound: a vowel or "h" (elision: "l'hotel"), or a number
/// whose Italian name starts with one (8, 11, 80–89, 800–899, 8.000…, 11.000…, 1 read "uno",
/// 1.000.000 "un milione"; "1°" is "primo").
fn sounds_like_vowel(word: &str) -> bool {
    let word = word.trim_start();
    let Some(first) = word.chars().next() else {
        return false;
    };
    if !first.is_ascii_digit() {
        return starts_with_vowel(word) || matches!(first, 'h' | 'H');
    }
    // The digits of the leading number, thousands separators skipped.
    let mut digits = String::new();
    let mut rest = "";
    for (i, c) in word.char_indices() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else if c == '.' && word[i + 1..].starts_with(|d: char| d.is_ascii_digit()) {
            continue;
        } else {
            rest = &word[i..];
            break;
        }
    }
    let len = digits.len();
    match digits.as_bytes() {
        [b'8', ..] => true,
        [b'1', b'1', ..] => len % 3 == 2,
        [b'1'] => !rest.starts_with(['°', 'º']),
        [b'1', ..] => len == 7 || len == 10,
        _ => false,
    }
}

/// Starts with a vowel letter (accented ones included).
fn starts_with_vowel(word: &str) -> bool {
    word.chars().next().is_some_and(|c| {
        matches!(
            c.to_lowercase().next().unwrap_or(c),
            'a' | 'e' | 'i' | 'o' | 'u' | 'à' | 'è' | 'é' | 'ì' | 'ò' | 'ù'
        )
    })
}

/// A masculine word that takes "lo"/"uno"/"gli": s + consonant, z, gn, ps, pn, x, y, and i
/// before a vowel ("lo spazio", "uno zaino", "lo gnomo", "lo psicologo", "lo iato").
fn takes_lo(word: &str) -> bool {
    let w = word.to_lowercase();
    let mut c = w.chars();
    match (c.next(), c.next()) {
        (Some('s'), Some(n)) => !starts_with_vowel(&n.to_string()),
        (Some('z' | 'x' | 'y'), _) => true,
        (Some('g'), Some('n')) | (Some('p'), Some('s' | 'n')) => true,
        (Some('i'), Some(n)) => starts_with_vowel(&n.to_string()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::nouns::*;
    use super::*;

    #[test]
    fn counts_agree_at_zero_one_and_two() {
        let table = [
            (
                CONTRIBUTO,
                ["nessun contributo", "1 contributo", "2 contributi"],
            ),
            (PROPOSTA, ["nessuna proposta", "1 proposta", "2 proposte"]),
            (
                INDICATORE,
                ["nessun indicatore", "1 indicatore", "2 indicatori"],
            ),
            (ENTE, ["nessun ente", "1 ente", "2 enti"]),
            (AREA, ["nessun'area", "1 area", "2 aree"]),
            (TEMA, ["nessun tema", "1 tema", "2 temi"]),
            (SEDUTA, ["nessuna seduta", "1 seduta", "2 sedute"]),
            (OSPITE, ["nessun ospite", "1 ospite", "2 ospiti"]),
            (
                ISCRIZIONE,
                ["nessun'iscrizione", "1 iscrizione", "2 iscrizioni"],
            ),
            (ACCOUNT, ["nessun account", "1 account", "2 account"]),
        ];
        for (noun, want) in table {
            let got: Vec<String> = (0..3).map(|n| count(n, noun)).collect();
            assert_eq!(got, want);
        }
        assert_eq!(count_digits(0, CONTRIBUTO), "0 contributi");
        assert_eq!(count_digits(1, PERSONA), "1 persona");
        assert_eq!(count_digits(12, PERSONA), "12 persone");
    }

    #[test]
    fn none_follows_the_indefinite_article() {
        let spazio = Noun::m("spazio", "spazi");
        let zaino = Noun::m("zaino", "zaini");
        let psicologo = Noun::m("psicologo", "psicologi");
        let ora = Noun::f("ora", "ore");
        assert_eq!(none(spazio), "nessuno spazio");
        assert_eq!(none(zaino), "nessuno zaino");
        assert_eq!(none(psicologo), "nessuno psicologo");
        assert_eq!(none(ora), "nessun'ora");
        assert_eq!(none(Noun::m("sportello", "sportelli")), "nessuno sportello");
        assert_eq!(none(Noun::m("servizio", "servizi")), "nessun servizio");
    }

    #[test]
    fn words_around_a_count_agree_with_it() {
        let c = |n| Agreement::with(n, CONTRIBUTO);
        assert_eq!(
            format!(
                "{} {} {}",
                count(1, CONTRIBUTO),
                c(1).was(),
                c(1).word("unito")
            ),
            "1 contributo è stato unito"
        );
        assert_eq!(
            format!(
                "{} {} {}",
                count(2, CONTRIBUTO),
                c(2).was(),
                c(2).word("unito")
            ),
            "2 contributi sono stati uniti"
        );
        assert_eq!(
            format!(
                "{} {} {}",
                count(0, CONTRIBUTO),
                c(0).was(),
                c(0).word("unito")
            ),
            "nessun contributo è stato unito"
        );
        let p = |n| Agreement::with(n, PROPOSTA);
        assert_eq!(p(1).was(), "è stata");
        assert_eq!(p(2).was(), "sono state");
        assert_eq!(p(1).word("ciascuno"), "ciascuna");
        assert_eq!(p(2).word("unito"), "unite");
        let s = |n| Agreement::with(n, SEDUTA);
        assert_eq!(s(1).word("condotto"), "condotta");
        assert_eq!(s(2).word("condotto"), "condotte");
        assert_eq!(
            Agreement::with(2, RAPPRESENTANTE).word("intervenuto"),
            "intervenuti"
        );
        assert_eq!(Agreement::with(1, CONTRIBUTO).word("simile"), "simile");
        assert_eq!(Agreement::with(2, CONTRIBUTO).word("simile"), "simili");
        assert_eq!(Agreement::with(2, PROPOSTA).word("simile"), "simili");
        assert_eq!(Agreement::with(2, VOTO).word("proprio"), "propri");
        assert_eq!(Agreement::with(2, PROPOSTA).word("proprio"), "proprie");
        assert_eq!(Agreement::with(2, VOTO).pick("resta", "restano"), "restano");
        assert_eq!(Agreement::with(1, VOTO).pick("resta", "restano"), "resta");
        // A prose zero is "nessun…": singular. A zero in digits is plural.
        assert_eq!(Agreement::with(0, POSTO).word("libero"), "libero");
        assert_eq!(Agreement::with_digits(0, POSTO).word("libero"), "liberi");
        assert_eq!(Agreement::with_digits(1, POSTO).word("libero"), "libero");
        // Words that do not inflect by rule are kept.
        assert_eq!(inflect("blu", Gender::Feminine, Number::Plural), "blu");
        assert_eq!(inflect("", Gender::Feminine, Number::Plural), "");
    }

    #[test]
    fn lists_use_ed_before_e() {
        assert_eq!(list::<&str>(&[]), "");
        assert_eq!(list(&["Silvia De Aloe"]), "Silvia De Aloe");
        assert_eq!(
            list(&["Nucci Maiocchi", "Ettore Vittorio Uccellini"]),
            "Nucci Maiocchi ed Ettore Vittorio Uccellini"
        );
        assert_eq!(list(&["a", "b", "c"]), "a, b e c");
        assert_eq!(
            list(&["ATS", "Comune", "ente gestore"]),
            "ATS, Comune ed ente gestore"
        );
        assert_eq!(list(&["Luca", "Anna"]), "Luca e Anna");
        assert_eq!(list(&["Luca", "Èlia"]), "Luca ed Èlia");
        assert_eq!(and_before("Oriana"), "e");
    }

    #[test]
    fn articles_are_elided_before_a_vowel_sound() {
        assert_eq!(
            with_article("del", "12 febbraio 2027").unwrap(),
            "del 12 febbraio 2027"
        );
        assert_eq!(
            with_article("del", "8 febbraio 2027").unwrap(),
            "dell'8 febbraio 2027"
        );
        assert_eq!(with_article("dal", "11 marzo").unwrap(), "dall'11 marzo");
        assert_eq!(
            with_article("al", "1° ottobre 2021").unwrap(),
            "al 1° ottobre 2021"
        );
        assert_eq!(with_article("il", "incontro").unwrap(), "l'incontro");
        assert_eq!(with_article("il", "verbale").unwrap(), "il verbale");
        assert_eq!(
            with_article("nel", "80% dei casi").unwrap(),
            "nell'80% dei casi"
        );
        assert_eq!(with_article("il", "18 maggio").unwrap(), "il 18 maggio");
        assert_eq!(with_article("il", "11.500 euro").unwrap(), "l'11.500 euro");
        assert_eq!(with_article("il", "110 euro").unwrap(), "il 110 euro");
        assert_eq!(
            with_article("il", "1.000.000 di euro").unwrap(),
            "l'1.000.000 di euro"
        );
        assert_eq!(with_article("al", "1").unwrap(), "all'1");
        assert_eq!(with_article("sul", "hotel").unwrap(), "sull'hotel");
        assert_eq!(with_article("alle", "1:15").unwrap(), "all'1:15");
        assert_eq!(with_article("alle", "01:15").unwrap(), "all'01:15");
        assert_eq!(with_article("dalle", "11:00").unwrap(), "dalle 11:00");
        assert_eq!(with_article("alle", "13:05").unwrap(), "alle 13:05");
        assert_eq!(with_article("per il", "8"), None);
    }

    /// The browser counts with its own copy of the nouns it needs (`NOUNS` in
    /// `static/board/dom.js`): each must say what the registry says.
    #[test]
    fn the_browser_nouns_match_the_registry() {
        let js = include_str!("../../static/board/dom.js");
        let block = js
            .split("export const NOUNS = {")
            .nth(1)
            .and_then(|rest| rest.split("};").next())
            .expect("NOUNS in dom.js");
        let mut seen = 0;
        for line in block.lines().map(str::trim).filter(|l| !l.is_empty()) {
            // `contributo: ["contributi", "m"],`
            let (word, rest) = line.split_once(':').expect(line);
            let parts: Vec<&str> = rest
                .split('"')
                .enumerate()
                .filter(|(i, _)| i % 2 == 1)
                .map(|(_, p)| p)
                .collect();
            let noun = Noun::named(word.trim()).unwrap_or_else(|| panic!("{word} not in NOUNS"));
            assert_eq!(noun.singular, word.trim(), "{line}");
            assert_eq!(noun.plural, parts[0], "{line}");
            let gender = match parts[1] {
                "m" => Gender::Masculine,
                "f" => Gender::Feminine,
                g => panic!("{line}: gender {g}"),
            };
            assert_eq!(noun.gender, gender, "{line}");
            seen += 1;
        }
        assert!(seen >= 5, "NOUNS parsed: {seen}");
    }
}
