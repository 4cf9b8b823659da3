//! One error type for the web layer, mapped once to HTTP: JSON for the API, a page for browsers.
//! Internal causes are logged; people see a clean Italian message. The errors of the layers
//! below (store, services, export) become an [`AppError`] here, each in one place.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::domain::text::FieldError;
use crate::export::ExportError;
use crate::services::enrollment::{ApplyError, CancelError, DeskError};
use crate::store::{self, DbError};

/// What went wrong with a request, as the person (or the script) is told.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("Pagina non trovata.")]
    NotFound,
    #[error("Accesso richiesto.")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("Alcuni dati non sono validi.")]
    Invalid(Vec<FieldError>),
    #[error("{message}")]
    Conflict {
        code: &'static str,
        message: String,
        extra: serde_json::Value,
    },
    #[error("{0}")]
    Gone(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("La richiesta è troppo grande.")]
    TooLarge,
    #[error("Il servizio è momentaneamente non disponibile: riprova tra poco.")]
    Unavailable,
    /// The storage is full or failing: nothing was recorded.
    #[error(
        "Spazio di archiviazione esaurito: il servizio è temporaneamente non disponibile e \
         nulla è stato registrato. Riprova più tardi; se il problema continua, avvisa \
         l'organizzazione."
    )]
    StorageFull,
    #[error("Si è verificato un errore interno: riprova tra poco.")]
    Internal(#[source] anyhow::Error),
}

impl AppError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::Gone(_) => StatusCode::GONE,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unavailable | AppError::StorageFull => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The machine-readable `code` of the JSON body.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound => "not_found",
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::Invalid(_) => "invalid",
            AppError::Conflict { code, .. } => code,
            AppError::Gone(_) => "gone",
            AppError::BadRequest(_) => "bad_request",
            AppError::TooLarge => "too_large",
            AppError::Unavailable => "unavailable",
            AppError::StorageFull => "storage_full",
            AppError::Internal(_) => "internal",
        }
    }

    /// The generic "not allowed" answer.
    pub fn forbidden() -> AppError {
        AppError::Forbidden("Non hai i permessi per questa operazione.".into())
    }

    fn log(&self) {
        match self {
            AppError::Internal(e) => tracing::error!(error = ?e, "internal error"),
            AppError::StorageFull => {
                tracing::warn!("request refused with 503: storage full or failing")
            }
            _ => {}
        }
    }
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        if store::is_busy(&e) {
            AppError::Unavailable
        } else if store::is_storage_failure(&e) {
            tracing::error!(error = %e, "storage failing (disk full or I/O error)");
            AppError::StorageFull
        } else {
            AppError::Internal(e.into())
        }
    }
}

impl From<minijinja::Error> for AppError {
    fn from(e: minijinja::Error) -> Self {
        AppError::Internal(e.into())
    }
}

impl From<DeskError> for AppError {
    fn from(e: DeskError) -> Self {
        match e {
            DeskError::StorageFull => AppError::StorageFull,
            DeskError::Db(e) => e.into(),
            e => AppError::Internal(e.into()),
        }
    }
}

impl From<ApplyError> for AppError {
    fn from(e: ApplyError) -> Self {
        match e {
            ApplyError::NotYetOpen { .. } => AppError::Conflict {
                code: "not_open",
                message: e.to_string(),
                extra: json!({}),
            },
            ApplyError::Closed { .. } => AppError::Gone(e.to_string()),
            ApplyError::Invalid(fields) => AppError::Invalid(fields),
            ApplyError::RoleNotEligible { .. } => AppError::Forbidden(e.to_string()),
            ApplyError::AlreadyEnrolled => AppError::Conflict {
                code: "already_enrolled",
                message: e.to_string(),
                extra: json!({}),
            },
            ApplyError::Desk(e) => e.into(),
        }
    }
}

impl From<CancelError> for AppError {
    fn from(e: CancelError) -> Self {
        match e {
            CancelError::NotFound => AppError::NotFound,
            CancelError::AlreadyCancelled => AppError::Conflict {
                code: "already_cancelled",
                message: e.to_string(),
                extra: json!({}),
            },
            CancelError::Reason(message) => AppError::BadRequest(message),
            CancelError::Db(e) => e.into(),
            CancelError::Desk(e) => e.into(),
        }
    }
}

impl From<ExportError> for AppError {
    fn from(e: ExportError) -> Self {
        match e {
            ExportError::NotFound => AppError::NotFound,
            ExportError::Db(e) => e.into(),
            ExportError::Template(e) => AppError::Internal(e.into()),
            e @ (ExportError::Package(_) | ExportError::Interrupted) => {
                AppError::Internal(anyhow::anyhow!("{e}"))
            }
        }
    }
}

/// JSON body: `{"error": {"code", "message", "fields"?, …}}`.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log();
        let mut body = json!({ "code": self.code(), "message": self.to_string() });
        match &self {
            AppError::Invalid(fields) => body["fields"] = json!(fields),
            AppError::Conflict { extra, .. } => {
                if let (Some(obj), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
                    obj.extend(extra.clone());
                }
            }
            _ => {}
        }
        let info = ErrorInfo {
            status: self.status(),
            message: self.to_string(),
        };
        let storage = matches!(self, AppError::StorageFull);
        let mut res = (self.status(), axum::Json(json!({ "error": body }))).into_response();
        res.extensions_mut().insert(info);
        if storage {
            res.extensions_mut().insert(StorageFailure);
        }
        res
    }
}

/// Left in the response of an [`AppError::StorageFull`], so that `web::note_storage` marks
/// the storage failing for `/readyz` (the error itself does not know the store).
#[derive(Debug, Clone, Copy)]
pub struct StorageFailure;

/// Left in the response by [`AppError`] so that `web::html_errors` can turn the JSON error into
/// an Italian error page on browser routes.
#[derive(Debug, Clone)]
pub struct ErrorInfo {
    pub status: StatusCode,
    pub message: String,
}
