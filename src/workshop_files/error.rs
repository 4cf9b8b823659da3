//! What is wrong with a workshop file, and where.

use std::ops::Range;

/// A workshop file that cannot be used, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkshopFileError {
    /// A mistake in the content of a file. `line` is 1-based; `key` is the dotted path of the
    /// offending key with 0-based indices (`modules[0].meetings[1].date`).
    #[error("{file}:{line}: {key}: {message}")]
    Invalid {
        file: String,
        line: usize,
        key: String,
        message: String,
    },
    /// A file or folder that could not be read.
    #[error("{file}: {message}")]
    Io { file: String, message: String },
}

impl WorkshopFileError {
    /// The file (or folder) the error is about, as it was given.
    pub fn file(&self) -> &str {
        match self {
            WorkshopFileError::Invalid { file, .. } | WorkshopFileError::Io { file, .. } => file,
        }
    }

    /// The 1-based line, when the error is about content.
    pub fn line(&self) -> Option<usize> {
        match self {
            WorkshopFileError::Invalid { line, .. } => Some(*line),
            WorkshopFileError::Io { .. } => None,
        }
    }

    /// The key path, when the error is about content.
    pub fn key(&self) -> Option<&str> {
        match self {
            WorkshopFileError::Invalid { key, .. } => Some(key),
            WorkshopFileError::Io { .. } => None,
        }
    }

    /// The Italian explanation, without location.
    pub fn message(&self) -> &str {
        match self {
            WorkshopFileError::Invalid { message, .. } | WorkshopFileError::Io { message, .. } => {
                message
            }
        }
    }

    /// A file or folder that could not be read, explained in Italian.
    pub(super) fn io(file: &std::path::Path, err: &std::io::Error) -> WorkshopFileError {
        let message = match err.kind() {
            std::io::ErrorKind::NotFound => "file o cartella inesistente".into(),
            std::io::ErrorKind::PermissionDenied => "permesso di lettura negato".into(),
            std::io::ErrorKind::InvalidData => "il file non è un testo UTF-8".into(),
            _ => format!("lettura non riuscita ({err})"),
        };
        WorkshopFileError::Io {
            file: file.display().to_string(),
            message,
        }
    }
}

/// The file being read: its name for messages and its text for line numbers. Both the checker
/// and the translation of the `toml` crate's errors report through it.
#[derive(Clone, Copy)]
pub(super) struct Source<'a> {
    pub file: &'a str,
    pub text: &'a str,
}

impl Source<'_> {
    /// The 1-based line of a byte span's start.
    pub fn line(&self, span: &Range<usize>) -> usize {
        let end = span.start.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    /// A mistake at `span`, under `key`.
    pub fn error(
        &self,
        span: Range<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> WorkshopFileError {
        WorkshopFileError::Invalid {
            file: self.file.to_string(),
            line: self.line(&span),
            key: key.into(),
            message: message.into(),
        }
    }
}
