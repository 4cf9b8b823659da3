//! Who is asking: session cookies, API keys, private links; and CSRF protection for forms.
//!
//! Staff and participants get a server-side session (random token in an HttpOnly, SameSite=Lax
//! cookie; `__Host-` and `Secure` when the public address is https). Scripts use
//! `Authorization: Bearer <API key>`. Forms carry a CSRF token that must equal the visitor's
//! CSRF cookie (double submit; the `__Host-` prefix stops subdomains from planting it), and
//! unsafe requests from a foreign `Origin` are refused outright.

use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header, request::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::domain::access::{AccountRole, Principal};
use crate::secret;
use crate::services::accounts::{self, Holder};
use crate::web::{AppError, AppState, ErrorInfo};

/// Cookie names: with the `__Host-` prefix only when cookies are Secure (https).
pub fn session_cookie(state: &AppState) -> &'static str {
    if state.secure_cookies {
        "__Host-tavolo_sessione"
    } else {
        "tavolo_sessione"
    }
}

/// The CSRF cookie's name.
pub fn csrf_cookie(state: &AppState) -> &'static str {
    if state.secure_cookies {
        "__Host-tavolo_csrf"
    } else {
        "tavolo_csrf"
    }
}

/// A `Set-Cookie` value with our attributes.
pub fn cookie(state: &AppState, name: &str, value: &str, max_age_s: Option<i64>) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if state.secure_cookies {
        c.push_str("; Secure");
    }
    if let Some(age) = max_age_s {
        c.push_str(&format!("; Max-Age={age}"));
    }
    HeaderValue::from_str(&c).expect("cookie values are ASCII tokens")
}

/// Starts a session in the browser: the session cookie, valid as long as the session.
pub fn set_session_cookie(state: &AppState, res: &mut Response, raw_token: &str) {
    let max_age = accounts::SESSION_TTL_MS / 1000;
    res.headers_mut().append(
        header::SET_COOKIE,
        cookie(state, session_cookie(state), raw_token, Some(max_age)),
    );
}

/// Reads one cookie from the request headers.
pub fn read_cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The visitor's CSRF token, put in the request by [`csrf_layer`].
#[derive(Clone)]
pub struct CsrfToken(pub String);

/// Gives every visitor a CSRF cookie and refuses unsafe requests from a foreign Origin.
pub async fn csrf_layer(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method {
        // `Origin: null` (privacy modes, some redirects) says nothing: the CSRF token decides.
        if let Some(origin) = req.headers().get(header::ORIGIN).filter(|o| *o != "null") {
            if origin.to_str().ok() != Some(origin_of(&state.base_url)) {
                let err = AppError::Forbidden(
                    "Richiesta rifiutata: proviene da un sito diverso da Tavolo.".into(),
                );
                if req.uri().path().starts_with("/api/") {
                    return err.into_response();
                }
                let csrf = read_cookie(req.headers(), csrf_cookie(&state))
                    .unwrap_or_default()
                    .to_string();
                let info = ErrorInfo {
                    status: err.status(),
                    message: err.to_string(),
                };
                return crate::web::error_page(&state, req.uri().path(), &csrf, info);
            }
        }
    }
    // Machine routes (JSON API, websocket, assets, health) carry no forms: no token to mint.
    let path = req.uri().path();
    if ["/api/", "/ws/", "/static/", "/healthz", "/readyz"]
        .iter()
        .any(|p| path.starts_with(p))
    {
        return next.run(req).await;
    }
    let name = csrf_cookie(&state);
    let existing = read_cookie(req.headers(), name)
        .filter(|v| secret::looks_like_token(v))
        .map(str::to_string);
    let (token, fresh) = match existing {
        Some(t) => (t, false),
        None => (secret::random_token(), true),
    };
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut res = next.run(req).await;
    if fresh {
        res.headers_mut()
            .append(header::SET_COOKIE, cookie(&state, name, &token, None));
    }
    res
}

/// `scheme://host[:port]` of a base URL.
pub fn origin_of(base_url: &str) -> &str {
    let after_scheme = base_url.find("://").map_or(0, |i| i + 3);
    match base_url[after_scheme..].find('/') {
        Some(i) => &base_url[..after_scheme + i],
        None => base_url,
    }
}

/// A form whose `csrf` field matched the visitor's CSRF cookie.
pub struct CsrfForm<T>(pub T);

#[derive(serde::Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, AppError> {
        let expected = req
            .extensions()
            .get::<CsrfToken>()
            .map(|t| t.0.clone())
            .unwrap_or_default();
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| AppError::TooLarge)?;
        let field: CsrfField = serde_urlencoded::from_bytes(&bytes).unwrap_or(CsrfField {
            csrf: String::new(),
        });
        if expected.is_empty() || !secret::same(&field.csrf, &expected) {
            return Err(AppError::Forbidden(
                "Il modulo è scaduto o non proviene da questa pagina: ricarica la pagina e riprova."
                    .into(),
            ));
        }
        serde_urlencoded::from_bytes(&bytes)
            .map(CsrfForm)
            .map_err(|_| AppError::BadRequest("Il modulo inviato non è leggibile.".into()))
    }
}

/// The person making the request.
#[derive(Clone)]
pub struct Viewer {
    pub principal: Principal,
    /// Display name of a staff account (for the header and the audit log).
    pub name: Option<String>,
    pub email: Option<String>,
    /// The body a participant or guest declared (shown on their cards).
    pub organisation: Option<String>,
    pub ambito: Option<String>,
    pub csrf: String,
    /// Hash of the session token, when logged in by cookie.
    pub session_hash: Option<String>,
    /// A participant's enrollment status, read with their credential in this request.
    pub participant_status: Option<crate::domain::enrollment::Status>,
}

impl Viewer {
    /// Whether the viewer is an organiser.
    pub fn is_organiser(&self) -> bool {
        matches!(
            self.principal,
            Principal::Account {
                role: AccountRole::Organiser,
                ..
            }
        )
    }

    /// "Nome <email>" for the audit log.
    pub fn actor(&self) -> String {
        match (&self.name, &self.email) {
            (Some(n), Some(e)) => format!("{n} <{e}>"),
            _ => "sconosciuto".into(),
        }
    }

    /// Staff only, else 401 (not logged in) or 403.
    pub fn require_staff(&self) -> Result<(), AppError> {
        match self.principal {
            Principal::Account { .. } => Ok(()),
            Principal::Participant { .. } | Principal::Guest { .. } => Err(AppError::forbidden()),
            Principal::Anonymous => Err(AppError::Unauthorized),
        }
    }

    /// The rule of `domain::access`, as an HTTP answer.
    pub fn require(&self, action: crate::domain::access::Action) -> Result<(), AppError> {
        self.require_staff()?;
        if self.principal.may(action) {
            Ok(())
        } else {
            Err(AppError::forbidden())
        }
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let csrf = parts
            .extensions
            .get::<CsrfToken>()
            .map(|t| t.0.clone())
            .unwrap_or_default();
        let anonymous = Viewer {
            principal: Principal::Anonymous,
            name: None,
            email: None,
            organisation: None,
            ambito: None,
            csrf: csrf.clone(),
            session_hash: None,
            participant_status: None,
        };
        // Scripts: an API key (staff) or a personal token (participant).
        if let Some(auth) = parts.headers.get(header::AUTHORIZATION) {
            let key = auth
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .ok_or(AppError::Unauthorized)?;
            let holder = accounts::by_bearer(&state.store, key.trim())
                .await?
                .ok_or(AppError::Unauthorized)?;
            return Ok(Viewer::of(holder, csrf, None));
        }
        let Some(raw) = read_cookie(&parts.headers, session_cookie(state)) else {
            return Ok(anonymous);
        };
        if !secret::looks_like_token(raw) {
            return Ok(anonymous);
        }
        let hash = secret::hash(raw);
        Ok(match accounts::by_session(&state.store, &hash).await? {
            Some(holder) => Viewer::of(holder, csrf, Some(hash)),
            None => anonymous,
        })
    }
}

impl Viewer {
    /// The viewer holding a session or a bearer credential.
    fn of(holder: Holder, csrf: String, session_hash: Option<String>) -> Viewer {
        match holder {
            Holder::Staff { account, principal } => Viewer {
                principal,
                name: Some(account.name),
                email: Some(account.email),
                organisation: None,
                ambito: None,
                csrf,
                session_hash,
                participant_status: None,
            },
            Holder::Participant(row) => Viewer {
                participant_status: Some(row.status()),
                principal: Principal::Participant {
                    enrollment_id: row.id,
                    workshop_id: row.workshop_id,
                },
                name: Some(row.name),
                email: Some(row.email),
                organisation: Some(row.ente),
                ambito: row.ambito,
                csrf,
                session_hash,
            },
            Holder::Guest(guest) => Viewer {
                principal: Principal::Guest {
                    guest_id: guest.id,
                    meeting_id: guest.meeting_id,
                },
                name: Some(guest.name),
                email: None,
                organisation: guest.organisation,
                ambito: guest.ambito,
                csrf,
                session_hash,
                participant_status: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_scheme_host_and_port() {
        assert_eq!(origin_of("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(
            origin_of("https://tavolo.anci.it/base"),
            "https://tavolo.anci.it"
        );
    }

    #[test]
    fn cookies_are_read_by_exact_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; tavolo_csrf=xyz; b=2"),
        );
        assert_eq!(read_cookie(&h, "tavolo_csrf"), Some("xyz"));
        assert_eq!(read_cookie(&h, "csrf"), None);
    }
}
