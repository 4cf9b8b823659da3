//! The minijinja environment for pages (`*.html`, autoescaped) and e-mails (`mail/*.txt`).
//!
//! Templates are compiled into the binary so that it runs from anywhere, and a directory on
//! disk (`TAVOLO_TEMPLATES`, default `templates/` when present) overrides them file by file, so
//! an organiser or an Ambito can change wording without recompiling.

use std::path::PathBuf;

use minijinja::value::Kwargs;
use minijinja::{Environment, Value};
use serde::Serialize;

use crate::domain::italian;

macro_rules! embedded {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../templates/", $name)))),*]
    };
}

/// Every template the application uses, as shipped.
const EMBEDDED: &[(&str, &str)] = embedded![
    "layout.html",
    "macros.html",
    "error.html",
    "catalogue.html",
    "workshop.html",
    "enroll.html",
    "manage.html",
    "privacy.html",
    "accessibility.html",
    "login.html",
    "setup.html",
    "admin/index.html",
    "admin/enrollments.html",
    "admin/outbox.html",
    "admin/attendance.html",
    "admin/accounts.html",
    "admin/privacy.html",
    "board/board.html",
    "board/list.html",
    "board/console.html",
    "board/projector.html",
    "board/history.html",
    "board/guest.html",
    "board/join.html",
    "mail/confirmed.txt",
    "mail/waitlisted.txt",
    "mail/promoted.txt",
    "mail/not_admitted.txt",
    "mail/cancelled.txt",
    "mail/reminder.txt",
    "mail/invitation.txt",
    "export/page.html",
    "export/coprogrammazione.txt",
    "export/accordo.txt",
    "export/verbale.txt",
];

/// A shared, thread-safe template environment.
pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    /// Builds the environment; `override_dir` files take precedence over the embedded ones.
    pub fn new(override_dir: Option<PathBuf>) -> Templates {
        let mut env = Environment::new();
        env.set_loader(move |name| {
            if let Some(dir) = &override_dir {
                // Names come from our code, never from a request; still refuse anything odd.
                if !name.contains("..") {
                    match std::fs::read_to_string(dir.join(name)) {
                        Ok(text) => return Ok(Some(text)),
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => {
                            return Err(minijinja::Error::new(
                                minijinja::ErrorKind::InvalidOperation,
                                format!("cannot read template {name}: {e}"),
                            ));
                        }
                    }
                }
            }
            Ok(EMBEDDED
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, text)| text.to_string()))
        });
        env.set_syntax(
            minijinja::syntax::SyntaxConfig::builder()
                .trim_blocks(true)
                .lstrip_blocks(true)
                .build()
                .expect("the default delimiters are valid"),
        );
        // Templates are edited by organisers: a missing variable renders empty, never a 500.
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
        env.add_filter("datetime_it", datetime_it);
        env.add_filter("date_it", date_it);
        register_italian(&mut env);
        // `{{ asset("css/base.css") }}`: the versioned address of a static file.
        env.add_function("asset", |path: &str| {
            Value::from_safe_string(crate::assets::url(path))
        });
        Templates { env }
    }

    /// Renders a whole template.
    pub fn render<S: Serialize>(&self, name: &str, ctx: S) -> Result<String, minijinja::Error> {
        self.env
            .get_template(name)?
            .render(minijinja::value::Serde(ctx))
    }

    /// Renders an e-mail template into (subject, body): the `subject` and `body` blocks.
    pub fn render_mail<S: Serialize>(
        &self,
        name: &str,
        ctx: S,
    ) -> Result<(String, String), minijinja::Error> {
        let tmpl = self.env.get_template(name)?;
        let mut captured = tmpl.render_captured(minijinja::value::Serde(ctx))?;
        captured.with_state_mut(|state| {
            let subject = state.render_block("subject")?.trim().to_string();
            let body = state.render_block("body")?.trim().to_string() + "\n";
            Ok((subject, body))
        })
    }

    /// Renders the named blocks of one template with one context (the prose of the exports).
    /// A block the template does not define (an Ambito may delete one) renders empty.
    pub fn render_blocks<S: Serialize>(
        &self,
        name: &str,
        ctx: S,
        blocks: &[&str],
    ) -> Result<Vec<String>, minijinja::Error> {
        let tmpl = self.env.get_template(name)?;
        let mut captured = tmpl.render_captured(minijinja::value::Serde(ctx))?;
        captured.with_state_mut(|state| {
            blocks
                .iter()
                .map(|b| match state.render_block(b) {
                    Ok(text) => Ok(text.trim().to_string()),
                    Err(e) if e.kind() == minijinja::ErrorKind::UnknownBlock => Ok(String::new()),
                    Err(e) => Err(e),
                })
                .collect()
        })
    }

    /// Checks that every embedded (or overriding) template compiles; run at start.
    pub fn check_all(&self) -> Result<(), minijinja::Error> {
        for (name, _) in EMBEDDED {
            self.env.get_template(name)?;
        }
        Ok(())
    }
}

/// `{{ ms | datetime_it }}`: epoch milliseconds shown in Italian, Rome time.
fn datetime_it(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| crate::domain::dates::format_datetime(t, chrono_tz::Europe::Rome))
        .unwrap_or_default()
}

/// `{{ "2021-10-01" | date_it }}`.
fn date_it(v: Value) -> String {
    v.as_str()
        .and_then(|s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        .map(crate::domain::dates::format_date)
        .unwrap_or_default()
}

// ---- Italian that agrees: the filters over `crate::domain::italian` -----------------------
//
// Documented for the people who edit templates in `templates/export/README.md`. Every filter
// refuses bad input with an Italian message naming the filter (the export page shows it); an
// undefined count renders empty, as an undefined variable does.

/// Registers `conta`, `nome`, `concorda`, `scegli`, `elenco` and `articolo`.
fn register_italian(env: &mut Environment<'static>) {
    env.add_filter("conta", conta);
    env.add_filter("nome", nome);
    env.add_filter("concorda", concorda);
    env.add_filter("scegli", scegli);
    env.add_filter("elenco", elenco);
    env.add_filter("articolo", articolo);
}

fn template_error(msg: String) -> minijinja::Error {
    minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, msg)
}

/// A count from a template: `None` when undefined or none (renders empty).
fn count_of(filter: &str, v: &Value) -> Result<Option<u64>, minijinja::Error> {
    if v.is_undefined() || v.is_none() {
        return Ok(None);
    }
    u64::try_from(v.clone()).map(Some).map_err(|_| {
        template_error(format!(
            "{filter}: «{v}» non è un numero intero maggiore o uguale a zero."
        ))
    })
}

/// The noun `name` from the registry, or from `plurale=` and `genere=` for a new one.
fn noun_of<'a>(
    filter: &str,
    name: &'a str,
    kwargs: &'a Kwargs,
) -> Result<italian::Noun<'a>, minijinja::Error> {
    let plural: Option<&str> = kwargs.get("plurale")?;
    let gender: Option<&str> = kwargs.get("genere")?;
    match (plural, gender) {
        (Some(p), Some(g)) => {
            let gender = match g {
                "m" | "maschile" => italian::Gender::Masculine,
                "f" | "femminile" => italian::Gender::Feminine,
                _ => {
                    return Err(template_error(format!(
                        "{filter}: genere=«{g}» non è valido: scrivete genere=\"m\" o genere=\"f\"."
                    )));
                }
            };
            Ok(italian::Noun {
                singular: name,
                plural: p,
                gender,
            })
        }
        (None, None) => italian::Noun::named(name).ok_or_else(|| {
            template_error(format!(
                "{filter}: «{name}» non è tra i nomi che Tavolo conosce ({}). Per un nome nuovo \
                 indicate plurale e genere, per esempio {filter}(\"sportello\", plurale=\"sportelli\", genere=\"m\").",
                italian::NOUNS
                    .iter()
                    .map(|n| n.singular)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        }),
        _ => Err(template_error(format!(
            "{filter}: per un nome nuovo servono insieme plurale=… e genere=…."
        ))),
    }
}

/// Refuses a keyword the filter does not know (a typo would otherwise be ignored).
fn all_used(filter: &str, kwargs: &Kwargs, known: &[&str]) -> Result<(), minijinja::Error> {
    kwargs.assert_all_used().map_err(|_| {
        let unknown: Vec<&str> = kwargs.args().filter(|a| !known.contains(a)).collect();
        template_error(format!(
            "{filter}: argomento sconosciuto «{}» (quelli previsti: {}).",
            unknown.join(", "),
            known.join(", ")
        ))
    })
}

/// Whether the count is written in digits (`cifre=true`), so that 0 is plural.
fn digits(kwargs: &Kwargs) -> Result<bool, minijinja::Error> {
    Ok(kwargs.get::<Option<bool>>("cifre")?.unwrap_or(false))
}

fn agreement(n: u64, noun: italian::Noun, digits: bool) -> italian::Agreement {
    if digits {
        italian::Agreement::with_digits(n, noun)
    } else {
        italian::Agreement::with(n, noun)
    }
}

/// `{{ n | conta("contributo") }}`: "nessun contributo", "1 contributo", "2 contributi";
/// `cifre=true` writes "0 contributi".
fn conta(n: Value, name: &str, kwargs: Kwargs) -> Result<String, minijinja::Error> {
    let noun = noun_of("conta", name, &kwargs)?;
    let digits = digits(&kwargs)?;
    all_used("conta", &kwargs, &["cifre", "plurale", "genere"])?;
    Ok(match count_of("conta", &n)? {
        None => String::new(),
        Some(n) if digits => italian::count_digits(n, noun),
        Some(n) => italian::count(n, noun),
    })
}

/// `{{ n | nome("posto") }}`: the noun alone, agreeing with `n` written in digits beside it
/// ("0 posti", "1 posto"; `cifre=false` agrees with a count in words).
fn nome(n: Value, name: &str, kwargs: Kwargs) -> Result<String, minijinja::Error> {
    let noun = noun_of("nome", name, &kwargs)?;
    let digits = kwargs.get::<Option<bool>>("cifre")?.unwrap_or(true);
    all_used("nome", &kwargs, &["cifre", "plurale", "genere"])?;
    Ok(match count_of("nome", &n)? {
        None => String::new(),
        Some(n) => noun.form(agreement(n, noun, digits).number).to_string(),
    })
}

/// `{{ "unito" | concorda(n, "contributo") }}`: "unito", "unita", "uniti", "unite", as
/// `n | conta("contributo")` wants it (`cifre=true` when the count is in digits).
fn concorda(word: &str, n: Value, name: &str, kwargs: Kwargs) -> Result<String, minijinja::Error> {
    let noun = noun_of("concorda", name, &kwargs)?;
    let digits = digits(&kwargs)?;
    all_used("concorda", &kwargs, &["cifre", "plurale", "genere"])?;
    Ok(match count_of("concorda", &n)? {
        None => word.to_string(),
        Some(n) => agreement(n, noun, digits).word(word),
    })
}

/// `{{ n | scegli("è", "sono") }}`: the singular for 0 and 1 ("nessun contributo è…"), the
/// plural from 2 (`cifre=true`: the plural for 0 too).
fn scegli(
    n: Value,
    singular: &str,
    plural: &str,
    kwargs: Kwargs,
) -> Result<String, minijinja::Error> {
    let digits = digits(&kwargs)?;
    all_used("scegli", &kwargs, &["cifre"])?;
    let number = match count_of("scegli", &n)? {
        None => italian::Number::Singular,
        Some(n) if digits => italian::number_digits(n),
        Some(n) => italian::number(n),
    };
    Ok(match number {
        italian::Number::Singular => singular.to_string(),
        italian::Number::Plural => plural.to_string(),
    })
}

/// `{{ persone | elenco }}`: "a, b e c", "Nucci Maiocchi ed Ettore Vittorio Uccellini".
fn elenco(items: Value) -> Result<String, minijinja::Error> {
    if items.is_undefined() || items.is_none() {
        return Ok(String::new());
    }
    if items.as_str().is_some() {
        return Ok(items.to_string());
    }
    let items: Vec<String> = items
        .try_iter()
        .map_err(|_| template_error(format!("elenco: «{items}» non è un elenco.")))?
        .map(|v| v.to_string())
        .filter(|s| !s.trim().is_empty())
        .collect();
    Ok(italian::list(&items))
}

/// `{{ meeting.date_label | articolo("del") }}`: "del 12 febbraio 2027", "dell'8 febbraio
/// 2027" (`il`, `del`, `al`, `dal`, `nel`, `sul`; before a time `alle`, `dalle`).
fn articolo(text: Value, article: &str) -> Result<String, minijinja::Error> {
    let text = if text.is_undefined() || text.is_none() {
        String::new()
    } else {
        text.to_string()
    };
    italian::with_article(article, &text).ok_or_else(|| {
        template_error(format!(
            "articolo: «{article}» non è tra gli articoli previsti (il, del, al, dal, nel, sul, alle, dalle)."
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A template file not compiled in works in `cargo test` (run from the repository, where
    /// `templates/` overrides) and fails in the installed binary: every file must be embedded.
    #[test]
    fn every_template_file_is_embedded() {
        fn walk(dir: &std::path::Path, root: &std::path::Path, out: &mut Vec<String>) {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    walk(&p, root, out);
                } else if p.extension().is_some_and(|x| x == "html" || x == "txt") {
                    out.push(p.strip_prefix(root).unwrap().display().to_string());
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut files = Vec::new();
        walk(&root, &root, &mut files);
        let missing: Vec<&String> = files
            .iter()
            .filter(|f| !EMBEDDED.iter().any(|(name, _)| name == f))
            .collect();
        assert!(
            missing.is_empty(),
            "not embedded in src/templates.rs: {missing:?}"
        );
    }

    fn render(src: &str, ctx: Value) -> Result<String, minijinja::Error> {
        Templates::new(None).env.render_str(src, ctx)
    }

    fn each(src: &str) -> Vec<String> {
        (0..3)
            .map(|n| render(src, minijinja::context! { n }).unwrap())
            .collect()
    }

    #[test]
    fn conta_and_its_companions_agree_at_zero_one_and_two() {
        assert_eq!(
            each(
                r#"{{ n | conta("contributo") }} {{ n | scegli("è", "sono") }} {{ "stato" | concorda(n, "contributo") }} {{ "unito" | concorda(n, "contributo") }}"#
            ),
            [
                "nessun contributo è stato unito",
                "1 contributo è stato unito",
                "2 contributi sono stati uniti"
            ]
        );
        assert_eq!(
            each(r#"in {{ n | conta("seduta") }}, {{ "condotto" | concorda(n, "seduta") }}"#),
            [
                "in nessuna seduta, condotta",
                "in 1 seduta, condotta",
                "in 2 sedute, condotte"
            ]
        );
        assert_eq!(
            each(
                r#"{{ n | conta("posto", cifre=true) }} {{ "libero" | concorda(n, "posto", cifre=true) }}"#
            ),
            ["0 posti liberi", "1 posto libero", "2 posti liberi"]
        );
        assert_eq!(
            each(
                r#"{{ n }} {{ n | nome("persona") }} {{ n | scegli("presente", "presenti", cifre=true) }}"#
            ),
            [
                "0 persone presenti",
                "1 persona presente",
                "2 persone presenti"
            ]
        );
        assert_eq!(
            each(r#"{{ n | conta("sportello", plurale="sportelli", genere="m") }}"#),
            ["nessuno sportello", "1 sportello", "2 sportelli"]
        );
    }

    /// A page rendered with `ctx`, as its text: tags dropped, blanks collapsed.
    fn page_text(name: &str, ctx: Value) -> String {
        let html = Templates::new(None).render(name, ctx).unwrap();
        let mut text = String::with_capacity(html.len());
        let mut in_tag = false;
        for c in html.chars() {
            match c {
                '<' => in_tag = true,
                '>' => {
                    in_tag = false;
                    text.push(' ');
                }
                c if !in_tag => text.push(c),
                _ => {}
            }
        }
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// Every count on the pages, at 0, 1 and 2: (template, context for n, the text for 0, 1, 2).
    #[test]
    fn pages_agree_with_their_counts() {
        use minijinja::context;
        type Case = (&'static str, fn(usize) -> Value, [&'static str; 3]);
        let cases: &[Case] = &[
            (
                "catalogue.html",
                |n| {
                    context! { workshops => [context! {
                        window => "not_yet_open", capacity => n, meetings_count => 2,
                        modules => vec![0; n],
                    }] }
                },
                [
                    "2 in nessun modulo",
                    "1 posto, assegnato in ordine di arrivo",
                    "2 posti, assegnati in ordine di arrivo",
                ],
            ),
            (
                "catalogue.html",
                |n| {
                    context! { workshops => [context! {
                        window => "closed", meetings_count => n, modules => vec![0; n],
                    }] }
                },
                [
                    "nessun incontro in nessun modulo",
                    "1 incontro in 1 modulo",
                    "2 incontri in 2 moduli",
                ],
            ),
            (
                "workshop.html",
                |n| {
                    context! { w => context! {
                        window => "closed", capacity => n, meetings_count => n,
                        modules => vec![0; n],
                    } }
                },
                [
                    "Posti 0, assegnati in ordine di arrivo",
                    "1 modulo e 1 incontro",
                    "2 moduli e 2 incontri",
                ],
            ),
            (
                "workshop.html",
                |n| {
                    context! { w => context! {
                        window => "open", capacity => 40, seats_left => n, waitlisted => n,
                    } }
                },
                [
                    "Posti esauriti : è aperta la lista d'attesa",
                    "1 posto disponibile su 40",
                    "2 posti disponibili su 40",
                ],
            ),
            (
                "workshop.html",
                |n| {
                    context! { w => context! {
                        window => "open", capacity => 40, seats_left => 0, waitlisted => n,
                    } }
                },
                [
                    "Posti esauriti : è aperta la lista d'attesa su 40",
                    "(1 persona in attesa)",
                    "(2 persone in attesa)",
                ],
            ),
            (
                "enroll.html",
                |n| context! { w => context! { window => "open", capacity => 40, seats_left => n } },
                [
                    "I posti sono esauriti",
                    "ne resta 1 su 40",
                    "ne restano 2 su 40",
                ],
            ),
            (
                "admin/enrollments.html",
                |n| {
                    context! {
                        w => context! { capacity => n, confirmed => n, seats_left => n },
                        rows => vec![context! { id => 1, created_at => 0 }; n],
                    }
                },
                [
                    "0 / 0 confermati su 0 posti 0 posti liberi",
                    "1 / 1 confermato su 1 posto 1 posto libero",
                    "2 / 2 confermati su 2 posti 2 posti liberi",
                ],
            ),
            (
                "admin/enrollments.html",
                |n| context! { rows => vec![context! { id => 1, created_at => 0 }; n] },
                [
                    "0 domande ricevute",
                    "1 domanda ricevuta",
                    "2 domande ricevute",
                ],
            ),
            (
                "admin/index.html",
                |n| {
                    context! {
                        viewer => context! { is_organiser => true },
                        smtp_configured => true,
                        workshops => vec![context! { seats_left => n, capacity => 2 }; n.max(1)],
                    }
                },
                ["1 laboratorio", "1 laboratorio", "2 laboratori"],
            ),
            (
                "admin/index.html",
                |n| {
                    context! {
                        workshops => [context! { seats_left => n, capacity => n, confirmed => n }],
                    }
                },
                [
                    "0 / 0 confermati su 0 posti 0 posti liberi",
                    "1 / 1 confermato su 1 posto 1 posto libero",
                    "2 / 2 confermati su 2 posti 2 posti liberi",
                ],
            ),
            (
                "admin/attendance.html",
                |n| context! { present => n, rows => vec![context! { id => 1 }; 4] },
                [
                    "0 presenti 4 assenti",
                    "1 presente 3 assenti",
                    "2 presenti 2 assenti",
                ],
            ),
            (
                "admin/attendance.html",
                |n| context! { present => 0, rows => vec![context! { id => 1 }; n] },
                [
                    "0 presenti 0 assenti",
                    "0 presenti 1 assente",
                    "0 presenti 2 assenti",
                ],
            ),
            (
                "admin/outbox.html",
                |n| {
                    context! {
                        smtp_configured => true,
                        messages => vec![context! { status => "sent", attempts => n, last_error => "x", created_at => 0 }; n.max(1)],
                    }
                },
                [
                    "1 messaggio, dal più recente: 1 inviato, 0 in attesa",
                    "Ultimo errore (1 tentativo)",
                    "2 messaggi, dal più recente: 2 inviati, 0 in attesa",
                ],
            ),
            (
                "admin/outbox.html",
                |n| {
                    context! {
                        smtp_configured => true,
                        messages => [context! { status => "pending", attempts => n, last_error => "x", created_at => 0 }],
                    }
                },
                [
                    "1 messaggio, dal più recente: 0 inviati, 1 in attesa",
                    "Ultimo errore (1 tentativo)",
                    "Ultimo errore (2 tentativi)",
                ],
            ),
            (
                "board/history.html",
                |n| context! { events => vec![context! { seq => 1, summary => "x" }; n] },
                [
                    "Tutto ciò che è successo",
                    "1 evento registrato",
                    "2 eventi registrati",
                ],
            ),
        ];
        for (name, make, want) in cases {
            for (n, want) in want.iter().enumerate() {
                let text = page_text(name, make(n));
                assert!(
                    text.contains(want),
                    "{name} at {n}: {want:?} not in\n{text}"
                );
            }
        }
    }

    #[test]
    fn elenco_and_articolo() {
        let ctx = minijinja::context! {
            people => ["Chiara Girola", "Nucci Maiocchi", "Ettore Vittorio Uccellini"],
            one => ["Silvia De Aloe"],
            date => "8 febbraio 2027",
        };
        assert_eq!(
            render(
                "{{ people | elenco }}; {{ one | elenco }}; {{ none | elenco }}.",
                ctx.clone()
            )
            .unwrap(),
            "Chiara Girola, Nucci Maiocchi ed Ettore Vittorio Uccellini; Silvia De Aloe; ."
        );
        assert_eq!(
            render(r#"Seduta {{ date | articolo("del") }}"#, ctx).unwrap(),
            "Seduta dell'8 febbraio 2027"
        );
    }

    #[test]
    fn bad_input_gets_an_italian_error_and_undefined_renders_empty() {
        let err = |src: &str| {
            render(src, minijinja::context! { n => -1, s => "tre" })
                .unwrap_err()
                .to_string()
        };
        assert!(
            err(r#"{{ 2 | conta("sportello") }}"#).contains("non è tra i nomi che Tavolo conosce")
        );
        assert!(err(r#"{{ n | conta("contributo") }}"#).contains("non è un numero intero"));
        assert!(err(r#"{{ s | conta("contributo") }}"#).contains("non è un numero intero"));
        assert!(
            err(r#"{{ 2 | conta("sportello", plurale="sportelli") }}"#).contains("servono insieme")
        );
        assert!(
            err(r#"{{ 2 | conta("sportello", plurale="sportelli", genere="x") }}"#)
                .contains("genere")
        );
        assert!(
            err(r#"{{ 2 | conta("contributo", cifra=true) }}"#)
                .contains("argomento sconosciuto «cifra»")
        );
        assert!(err(r#"{{ "x" | articolo("per il") }}"#).contains("articoli previsti"));
        assert_eq!(
            render(
                r#"[{{ missing | conta("voto") }}][{{ "unito" | concorda(missing, "voto") }}]"#,
                minijinja::context! {}
            )
            .unwrap(),
            "[][unito]"
        );
    }
}
