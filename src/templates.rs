//! The minijinja environment for pages (`*.html`, autoescaped) and e-mails (`mail/*.txt`).
//!
//! Templates are compiled into the binary so that it runs from anywhere, and a directory on
//! disk (`TAVOLO_TEMPLATES`, default `templates/` when present) overrides them file by file, so
//! an organiser or an Ambito can change wording without recompiling.

use std::path::PathBuf;

use minijinja::{Environment, Value};
use serde::Serialize;

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
    "board/board.html",
    "board/list.html",
    "board/console.html",
    "board/projector.html",
    "board/history.html",
    "board/guest.html",
    "mail/confirmed.txt",
    "mail/waitlisted.txt",
    "mail/promoted.txt",
    "mail/not_admitted.txt",
    "mail/cancelled.txt",
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
