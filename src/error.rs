//! One error type for the web layer, mapped once to HTTP: JSON for the API, a page for browsers.
//! Internal causes are logged; people see a clean Italian message.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::domain::text::FieldError;

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
    #[error("Si è verificato un errore interno: riprova tra poco.")]
    Internal(#[source] anyhow::Error),
}

impl AppError {
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
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

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
            AppError::Internal(_) => "internal",
        }
    }

    pub fn forbidden() -> AppError {
        AppError::Forbidden("Non hai i permessi per questa operazione.".into())
    }

    fn log(&self) {
        if let AppError::Internal(e) = self {
            tracing::error!(error = ?e, "internal error");
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::PoolTimedOut => AppError::Unavailable,
            e => AppError::Internal(e.into()),
        }
    }
}

impl From<minijinja::Error> for AppError {
    fn from(e: minijinja::Error) -> Self {
        AppError::Internal(e.into())
    }
}

impl From<crate::services::enrollment::DeskError> for AppError {
    fn from(e: crate::services::enrollment::DeskError) -> Self {
        AppError::Internal(e.into())
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
        let mut res = (self.status(), axum::Json(json!({ "error": body }))).into_response();
        res.extensions_mut().insert(info);
        res
    }
}

/// Left in the response by [`AppError`] so that `web::html_errors` can turn the JSON error into
/// an Italian error page on browser routes.
#[derive(Debug, Clone)]
pub struct ErrorInfo {
    pub status: StatusCode,
    pub message: String,
}
