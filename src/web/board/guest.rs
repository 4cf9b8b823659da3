//! Guests joining a meeting with the code a facilitator enabled (shown on the projector), within
//! limits per client address: so many joins, so many wrong codes (then a lockout), in
//! [`GuestGate`]. The code's own limits (how many guests, until when) are
//! `domain::guest_code`'s.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use super::meeting_context;
use crate::domain::guest_code;
use crate::domain::italian::{self, nouns};
use crate::domain::text::{self, FieldError};
use crate::services::board::{self as boards, GuestRefused};
use crate::services::throttle::Throttle;
use crate::store::board::NewGuest;
use crate::web::auth::{self, CsrfForm, Viewer};
use crate::web::client_address::ClientAddress;
use crate::web::view::page;
use crate::web::{AppError, AppState};

/// Guests joining from one address: a roomful at once (everyone in a venue shares its Wi-Fi's
/// address), not a script making identities.
pub const JOINS_PER_ADDRESS: u32 = 60;
/// Wrong codes from one address before it is locked out (typos of a whole room included).
pub const WRONG_CODES_PER_ADDRESS: u32 = 20;
/// The window of both: the budget refills evenly over it.
pub const ADDRESS_WINDOW: Duration = Duration::from_secs(10 * 60);

/// The limits on guests joining, by client address, kept by each instance (a person trying
/// through several instances gets each one's budget; the code's length keeps guessing out of
/// reach anyway, and the guests a code admits are counted in the database). Behind a reverse
/// proxy the address is the one the proxy forwarded (`web::client_address`).
pub struct GuestGate {
    joins: Throttle<IpAddr>,
    wrong_codes: Throttle<IpAddr>,
}

impl Default for GuestGate {
    fn default() -> GuestGate {
        GuestGate {
            joins: Throttle::per_window(JOINS_PER_ADDRESS, ADDRESS_WINDOW),
            wrong_codes: Throttle::per_window(WRONG_CODES_PER_ADDRESS, ADDRESS_WINDOW),
        }
    }
}

/// "riprova tra 3 minuti": a wait in whole minutes, at least one.
fn retry_in(wait: Duration) -> (String, u64) {
    let minutes = wait.as_secs().div_ceil(60).max(1);
    (
        format!("riprova tra {}", italian::count(minutes, nouns::MINUTO)),
        wait.as_secs().max(1),
    )
}

pub async fn guest_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let m = state.catalogue.meeting(id).ok_or(AppError::NotFound)?;
    page(
        &state,
        &viewer,
        "board/guest.html",
        crate::ctx! {
            meeting => meeting_context(&m, id), errors => Vec::<FieldError>::new(), values => json!({}),
            ambiti => m.entry.workshop.ambiti,
        },
    )
}

#[derive(Deserialize)]
pub struct GuestForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    organisation: String,
    /// Optional: one of the workshop's Ambiti when it lists them, else free text.
    #[serde(default)]
    ambito: String,
}

pub async fn guest_join(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    ClientAddress(address): ClientAddress,
    CsrfForm(form): CsrfForm<GuestForm>,
) -> Result<Response, AppError> {
    let m = state.catalogue.meeting(id).ok_or(AppError::NotFound)?;
    let gate = &state.guest_gate;
    let render = |errors: Vec<FieldError>, status: StatusCode| -> Result<Response, AppError> {
        let mut res = page(
            &state,
            &viewer,
            "board/guest.html",
            crate::ctx! {
                meeting => meeting_context(&m, id), errors,
                values => json!({"code": form.code, "name": form.name, "organisation": form.organisation, "ambito": form.ambito}),
                ambiti => m.entry.workshop.ambiti,
            },
        )?;
        *res.status_mut() = status;
        Ok(res)
    };
    let too_many = |message: String, seconds: u64| -> Result<Response, AppError> {
        let mut res = render(
            vec![FieldError::new("code", message)],
            StatusCode::TOO_MANY_REQUESTS,
        )?;
        res.headers_mut()
            .insert(header::RETRY_AFTER, seconds.into());
        Ok(res)
    };
    // An address locked out after wrong codes is refused whatever it types now, the right code
    // included: otherwise the lockout would still answer guesses.
    if let Err(wait) = gate.wrong_codes.check(&address, Instant::now()) {
        let (retry, seconds) = retry_in(wait);
        return too_many(
            format!(
                "Troppi codici errati da questa rete: {retry}, o chiedi il codice a chi conduce."
            ),
            seconds,
        );
    }
    let mut errors = Vec::new();
    let name = text::required_line("name", "il nome e cognome", &form.name, 2, 120, &mut errors);
    let organisation = text::required_line(
        "organisation",
        "l'ente o l'organizzazione",
        &form.organisation,
        2,
        200,
        &mut errors,
    );
    let ambito = m
        .entry
        .workshop
        .ambito_field("ambito", Some(&form.ambito), &mut errors);
    let now = (state.rooms.presence().clock())();
    match boards::check_guest_code(&state.rooms, &m, &form.code, now).await {
        Ok(_) => {}
        Err(GuestRefused::NoCode) => errors.push(FieldError::new(
            "code",
            "Il codice ospite non è attivo per questo incontro: chiedilo a chi conduce.",
        )),
        Err(GuestRefused::Expired) => errors.push(FieldError::new(
            "code",
            "Il codice ospite di questo incontro è scaduto: vale fino a due ore dopo la fine dell'incontro.",
        )),
        Err(GuestRefused::WrongCode) => {
            // Counted now; the address is locked out once it has none left.
            let _ = gate.wrong_codes.take(&address, Instant::now());
            errors.push(FieldError::new(
                "code",
                "Codice non valido: controlla il codice mostrato sullo schermo.",
            ))
        }
        Err(GuestRefused::Store(e)) => return Err(e.into()),
        // (A check never says `Full`: only a join counts the guests.)
        Err(GuestRefused::Unavailable | GuestRefused::Full) => return Err(AppError::Unavailable),
    }
    if !errors.is_empty() {
        return render(errors, StatusCode::UNPROCESSABLE_ENTITY);
    }
    if let Err(wait) = gate.joins.take(&address, Instant::now()) {
        let (retry, seconds) = retry_in(wait);
        return too_many(
            format!("Troppi ingressi come ospite da questa rete: {retry}."),
            seconds,
        );
    }
    let joined = boards::join_as_guest(
        &state.store,
        &state.rooms,
        &m,
        &form.code,
        NewGuest {
            name: &name,
            organisation: Some(&organisation),
            ambito: ambito.as_deref(),
        },
        now,
    )
    .await;
    let raw = match joined {
        Ok(raw) => raw,
        Err(GuestRefused::Full) => {
            return too_many(
                format!(
                    "Questo codice ha già fatto entrare il numero massimo di ospiti ({}): chiedi a chi conduce di generarne uno nuovo.",
                    guest_code::GUESTS_PER_CODE
                ),
                ADDRESS_WINDOW.as_secs(),
            );
        }
        Err(GuestRefused::Store(e)) => return Err(e.into()),
        // The code was disabled (or expired) between the check and now.
        Err(_) => {
            return Err(AppError::Forbidden(
                "Il codice ospite non è più attivo: chiedine uno nuovo a chi conduce.".into(),
            ));
        }
    };
    let mut res = Redirect::to(&format!("/incontri/{id}")).into_response();
    auth::set_session_cookie(&state, &mut res, &raw);
    Ok(res)
}
