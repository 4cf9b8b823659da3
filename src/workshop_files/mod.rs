//! Workshop files (`workshops/*.toml`) → [`Workshop`], checked so that the rest of the app can
//! trust them. This is the file format and its checks; the catalogue the running server uses
//! (these workshops with their database ids) is [`crate::services::catalogue`].
//!
//! A mistake is reported as `file:line: key: message`, in Italian, because the person reading it
//! is the organiser who edited the file (e.g.
//! `workshops/x.toml:12: modules[0].meetings[1].date: data non valida (atteso AAAA-MM-GG)`).
//! The file is read in two passes: serde with `deny_unknown_fields` checks the shape (unknown,
//! missing and mistyped keys: `raw.rs`, errors translated by `toml_errors.rs`), then
//! `checker.rs` checks the meaning (dates, references to roles and board templates, order of
//! meetings) and applies the domain's defaults ([`crate::domain::defaults`]), using the byte
//! spans kept by [`toml::Spanned`] to find the line. Only the first mistake is reported.
//!
//! Every key is documented in `docs/workshop-format.md`, with the shipped
//! `workshops/co-programmazione-2021.toml` as the worked example.

mod checker;
mod error;
mod raw;
mod toml_errors;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::domain::workshop::Workshop;

pub use error::WorkshopFileError;

/// Reads and checks one workshop file. `file` is only used in error messages.
pub fn parse_workshop(file: &str, text: &str) -> Result<Workshop, WorkshopFileError> {
    parse_with_slug_line(file, text).map(|(workshop, _)| workshop)
}

/// Reads every `*.toml` file directly inside `dir` (not in sub-folders, not hidden files), in
/// file-name order. Two files with the same slug are an error that names both.
pub fn load_dir(dir: &Path) -> Result<Vec<Workshop>, WorkshopFileError> {
    let mut files: Vec<PathBuf> = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| WorkshopFileError::io(dir, &e))? {
        let path = entry.map_err(|e| WorkshopFileError::io(dir, &e))?.path();
        let visible = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| !n.starts_with('.'));
        if visible && path.extension().is_some_and(|e| e == "toml") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();

    let mut workshops = Vec::with_capacity(files.len());
    let mut slugs: HashMap<String, String> = HashMap::new();
    for path in files {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(&path).map_err(|e| WorkshopFileError::io(&path, &e))?;
        let (workshop, slug_line) = parse_with_slug_line(&file, &text)?;
        if let Some(first) = slugs.get(&workshop.slug) {
            return Err(WorkshopFileError::Invalid {
                file,
                line: slug_line,
                key: "slug".into(),
                message: format!(
                    "lo slug \"{}\" è già usato in {first}: ogni laboratorio ne vuole uno diverso",
                    workshop.slug
                ),
            });
        }
        slugs.insert(workshop.slug.clone(), file);
        workshops.push(workshop);
    }
    Ok(workshops)
}

/// The workshop and the line of its slug (for the duplicate-slug error, which needs two files).
fn parse_with_slug_line(file: &str, text: &str) -> Result<(Workshop, usize), WorkshopFileError> {
    // A BOM has no newline, so dropping it keeps line numbers right.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let source = error::Source { file, text };
    let raw: raw::RawWorkshop =
        toml::from_str(text).map_err(|e| toml_errors::translate(source, &e))?;
    let slug_line = source.line(&raw.slug.span());
    Ok((checker::Checker { source }.workshop(raw)?, slug_line))
}
