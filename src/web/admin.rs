//! Staff pages: login, first setup, enrollments, outbox, attendance register, accounts.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::domain::access::{AccountRole, Action, Principal};
use crate::domain::comuni;
use crate::domain::enrollment::Status;
use crate::domain::text::{self, FieldError};
use crate::error::AppError;
use crate::export::csv::Csv;
use crate::secret;
use crate::services::accounts;
use crate::services::enrollment::{CancelOutcome, Canceller};
use crate::store;
use crate::web::auth::{self, CsrfForm, Viewer};
use crate::web::view::{WorkshopView, page};

// --- login, logout, setup ---------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    #[serde(default)]
    dopo: Option<String>,
}

pub async fn login_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<LoginQuery>,
) -> Result<Response, AppError> {
    page(
        &state,
        &viewer,
        "login.html",
        crate::ctx! { next => safe_next(q.dopo.as_deref()), errors => Vec::<FieldError>::new() },
    )
}

/// Only local paths are followed after login (no open redirect).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/admin".to_string(),
    }
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: Option<String>,
}

pub async fn login(
    State(state): State<AppState>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<Response, AppError> {
    let next = safe_next(form.next.as_deref());
    match accounts::login(&state.store, &form.email, &form.password).await? {
        Some(account_id) => {
            if let Some(old) = &viewer.session_hash {
                store::accounts::delete_session(&state.store, old).await?;
            }
            let raw = accounts::open_session(&state.store, Some(account_id), None).await?;
            let mut res = Redirect::to(&next).into_response();
            auth::set_session_cookie(&state, &mut res, &raw);
            Ok(res)
        }
        None => {
            let errors = vec![FieldError::new("email", "E-mail o password non corrette.")];
            let mut res = page(
                &state,
                &viewer,
                "login.html",
                crate::ctx! { next, errors, email => form.email },
            )?;
            *res.status_mut() = axum::http::StatusCode::UNAUTHORIZED;
            // Not the error middleware's 401 redirect: this is the page itself.
            res.extensions_mut().clear();
            Ok(res)
        }
    }
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn logout(
    State(state): State<AppState>,
    viewer: Viewer,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, AppError> {
    if let Some(hash) = &viewer.session_hash {
        store::accounts::delete_session(&state.store, hash).await?;
        state.sockets.close_session(hash);
    }
    let mut res = Redirect::to("/").into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        auth::cookie(&state, auth::session_cookie(&state), "", Some(0)),
    );
    Ok(res)
}

async fn setup_target(state: &AppState, token: &str) -> Result<Option<i64>, AppError> {
    if !secret::looks_like_token(token) {
        return Err(AppError::NotFound);
    }
    store::accounts::setup_token(&state.store, &secret::hash(token))
        .await?
        .ok_or_else(|| {
            AppError::Gone(
                "Questo link non è più valido: è già stato usato oppure è scaduto.".into(),
            )
        })
}

pub async fn setup_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let account_id = setup_target(&state, &token).await?;
    let account = match account_id {
        Some(id) => store::accounts::by_id(&state.store, id).await?,
        None => None,
    };
    page(
        &state,
        &viewer,
        "setup.html",
        crate::ctx! {
            token, first => account_id.is_none(), account, errors => Vec::<FieldError>::new(), values => json!({}),
        },
    )
}

#[derive(Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

pub async fn setup(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
    CsrfForm(form): CsrfForm<SetupForm>,
) -> Result<Response, AppError> {
    let account_id = setup_target(&state, &token).await?;
    let mut errors = Vec::new();
    let (name, email) = if account_id.is_none() {
        let name =
            text::required_line("name", "il nome e cognome", &form.name, 2, 120, &mut errors);
        let email = text::email("email", &form.email, &mut errors);
        if errors.is_empty()
            && store::accounts::by_email(&state.store, &email)
                .await?
                .is_some()
        {
            errors.push(FieldError::new(
                "email",
                "Esiste già un account con questo indirizzo.",
            ));
        }
        (name, email)
    } else {
        (String::new(), String::new())
    };
    if let Some(p) = accounts::password_problem(&form.password) {
        errors.push(FieldError::new("password", p));
    } else if form.password != form.password_confirm {
        errors.push(FieldError::new(
            "password_confirm",
            "Le due password non coincidono.",
        ));
    }
    if !errors.is_empty() {
        let account = match account_id {
            Some(id) => store::accounts::by_id(&state.store, id).await?,
            None => None,
        };
        let mut res = page(
            &state,
            &viewer,
            "setup.html",
            crate::ctx! {
                token, first => account_id.is_none(), account, errors, values => json!({"name": form.name, "email": form.email}),
            },
        )?;
        *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(res);
    }
    // Use the link first: of two concurrent submissions only one gets past this line.
    if !store::accounts::consume_setup_token(&state.store, &secret::hash(&token)).await? {
        return Err(AppError::Gone("Questo link è già stato usato.".into()));
    }
    let password = form.password.clone();
    let hash = tokio::task::spawn_blocking(move || accounts::hash_password(&password))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let id = match account_id {
        Some(id) => {
            store::accounts::set_password(&state.store, id, &hash).await?;
            id
        }
        None => {
            store::accounts::create(
                &state.store,
                &email,
                &name,
                AccountRole::Organiser.as_str(),
                Some(&hash),
            )
            .await?
        }
    };
    let raw = accounts::open_session(&state.store, Some(id), None).await?;
    let mut res = Redirect::to("/admin").into_response();
    auth::set_session_cookie(&state, &mut res, &raw);
    Ok(res)
}

// --- dashboard and enrollments -----------------------------------------------------------------

pub async fn index(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    viewer.require_staff()?;
    let mut workshops = Vec::new();
    for entry in state.catalogue.all() {
        if viewer.principal.may(Action::ViewEnrollments(entry.id)) {
            workshops.push(WorkshopView::load(&state, entry).await?);
        }
    }
    let (pending, sent) = if viewer.principal.may(Action::ViewOutbox) {
        store::outbox::counts(&state.store).await?
    } else {
        (0, 0)
    };
    page(
        &state,
        &viewer,
        "admin/index.html",
        crate::ctx! {
            workshops, pending, sent, smtp_configured => state.smtp_configured,
        },
    )
}

/// Enrollments with their waitlist position, in arrival order.
async fn enrollment_rows(
    state: &AppState,
    workshop_id: i64,
) -> Result<Vec<serde_json::Value>, AppError> {
    let entry = state
        .catalogue
        .by_id(workshop_id)
        .ok_or(AppError::NotFound)?;
    let rows = store::enrollments::list(&state.store, workshop_id).await?;
    let mut waiting = 0;
    Ok(rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let status = r.status();
            let position = (status == Status::Waitlisted).then(|| {
                waiting += 1;
                waiting
            });
            json!({
                "n": i + 1, "id": r.id, "name": r.name, "email": r.email,
                "role": entry.workshop.role_label(&r.role).unwrap_or(&r.role),
                "ente": r.ente,
                "comune": r.comune_istat.as_deref().and_then(comuni::by_code).map(|c| format!("{} ({})", c.denominazione, c.sigla)),
                "ambito": r.ambito, "status": status, "status_label": status.label(),
                "position": position, "created_at": r.created_at, "arrival": r.arrival,
            })
        })
        .collect())
}

pub async fn enrollments(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let entry = state.catalogue.by_slug(&slug).ok_or(AppError::NotFound)?;
    viewer.require(Action::ViewEnrollments(entry.id))?;
    let rows = enrollment_rows(&state, entry.id).await?;
    let audit = store::audit::for_workshop(&state.store, entry.id).await?;
    page(
        &state,
        &viewer,
        "admin/enrollments.html",
        crate::ctx! {
            w => WorkshopView::load(&state, entry).await?,
            rows, audit,
            may_cancel => viewer.principal.may(Action::CancelEnrollment(entry.id)),
        },
    )
}

pub async fn enrollments_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let entry = state.catalogue.by_slug(&slug).ok_or(AppError::NotFound)?;
    viewer.require(Action::ViewEnrollments(entry.id))?;
    let mut csv = Csv::new();
    csv.row([
        "N. arrivo",
        "Nome e cognome",
        "E-mail",
        "Ruolo",
        "Ente",
        "Comune",
        "Ambito",
        "Stato",
        "Posizione in lista d'attesa",
        "Data iscrizione",
    ]);
    for r in enrollment_rows(&state, entry.id).await? {
        let s = |k: &str| match &r[k] {
            serde_json::Value::Null => String::new(),
            serde_json::Value::String(s) => s.clone(),
            v => v.to_string(),
        };
        let when = chrono::DateTime::from_timestamp_millis(r["created_at"].as_i64().unwrap_or(0))
            .map(|t| {
                t.with_timezone(&entry.workshop.timezone)
                    .format("%d/%m/%Y %H:%M:%S")
                    .to_string()
            })
            .unwrap_or_default();
        csv.row([
            s("n"),
            s("name"),
            s("email"),
            s("role"),
            s("ente"),
            s("comune"),
            s("ambito"),
            s("status_label"),
            s("position"),
            when,
        ]);
    }
    Ok(csv_response(
        csv,
        &format!("iscrizioni-{}.csv", entry.workshop.slug),
    ))
}

pub fn csv_response(csv: Csv, filename: &str) -> Response {
    let mut res = csv.finish().into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    // File names are built from slugs and ids only: ASCII, no quotes.
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

#[derive(Deserialize)]
pub struct StaffCancelForm {
    #[serde(default)]
    reason: String,
}

pub async fn cancel(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<StaffCancelForm>,
) -> Result<Response, AppError> {
    viewer.require_staff()?;
    let row = {
        let mut conn = state.store.pool.acquire().await?;
        store::enrollments::by_id(&mut conn, id)
            .await?
            .ok_or(AppError::NotFound)?
    };
    viewer.require(Action::CancelEnrollment(row.workshop_id))?;
    let entry = state
        .catalogue
        .by_id(row.workshop_id)
        .ok_or(AppError::NotFound)?
        .clone();
    let mut errors = Vec::new();
    let reason = text::required_line(
        "reason",
        "il motivo dell'annullamento",
        &form.reason,
        3,
        500,
        &mut errors,
    );
    if let Some(e) = errors.first() {
        return Err(AppError::BadRequest(e.message.clone()));
    }
    match state
        .desk
        .cancel(
            entry.clone(),
            Canceller::Staff {
                enrollment_id: id,
                actor: viewer.actor(),
                reason,
            },
        )
        .await?
    {
        CancelOutcome::NotFound => Err(AppError::NotFound),
        _ => Ok(Redirect::to(&format!(
            "/admin/laboratori/{}/iscrizioni",
            entry.workshop.slug
        ))
        .into_response()),
    }
}

// --- outbox --------------------------------------------------------------------------------------

pub async fn outbox(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    viewer.require(Action::ViewOutbox)?;
    let messages = store::outbox::recent(&state.store, 500).await?;
    page(
        &state,
        &viewer,
        "admin/outbox.html",
        crate::ctx! {
            messages, smtp_configured => state.smtp_configured,
        },
    )
}

// --- attendance register -------------------------------------------------------------------------

struct Register {
    title: String,
    rows: Vec<serde_json::Value>,
}

async fn register(
    state: &AppState,
    viewer: &Viewer,
    meeting_id: i64,
) -> Result<(Register, minijinja::Value), AppError> {
    viewer.require_staff()?;
    let m = state
        .catalogue
        .meeting(meeting_id)
        .ok_or(AppError::NotFound)?;
    viewer.require(Action::Attendance(m.entry.id))?;
    let marks = store::attendance::for_meeting(&state.store, meeting_id).await?;
    let people = store::enrollments::list(&state.store, m.entry.id).await?;
    let w = &m.entry.workshop;
    let rows = people
        .iter()
        .filter(|p| p.status() == Status::Confirmed || marks.iter().any(|a| a.enrollment_id == p.id))
        .map(|p| {
            let mark = marks.iter().find(|a| a.enrollment_id == p.id);
            json!({
                "id": p.id, "name": p.name, "ente": p.ente,
                "role": w.role_label(&p.role).unwrap_or(&p.role),
                "comune": p.comune_istat.as_deref().and_then(comuni::by_code).map(|c| c.denominazione),
                "ambito": p.ambito,
                "present": mark.is_some_and(|a| a.present != 0),
                "source": mark.map(|a| a.source.clone()),
                "first_seen_at": mark.map(|a| a.first_seen_at),
            })
        })
        .collect::<Vec<_>>();
    let title = format!(
        "{} — modulo {}, incontro {} ({})",
        w.title,
        m.module.number,
        m.meeting.number,
        crate::domain::dates::format_date(m.meeting.date)
    );
    let meeting = crate::ctx! {
        id => meeting_id,
        date_label => crate::domain::dates::format_date(m.meeting.date),
        time_label => format!("{}–{}", crate::domain::dates::format_time(m.meeting.start), crate::domain::dates::format_time(m.meeting.end)),
        place => m.meeting.place,
        module_number => m.module.number,
        module_title => m.module.title,
        number => m.meeting.number,
        workshop_title => w.title,
        workshop_slug => w.slug,
        funding => w.funding,
    };
    Ok((Register { title, rows }, meeting))
}

pub async fn attendance(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (reg, meeting) = register(&state, &viewer, id).await?;
    let present = reg.rows.iter().filter(|r| r["present"] == true).count();
    page(
        &state,
        &viewer,
        "admin/attendance.html",
        crate::ctx! {
            meeting, rows => reg.rows, present, title => reg.title,
        },
    )
}

#[derive(Deserialize)]
pub struct MarkForm {
    enrollment_id: i64,
    #[serde(default)]
    present: String,
}

pub async fn mark_attendance(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<MarkForm>,
) -> Result<Response, AppError> {
    let (reg, _) = register(&state, &viewer, id).await?;
    // Only people of this workshop's register can be marked.
    if !reg.rows.iter().any(|r| r["id"] == form.enrollment_id) {
        return Err(AppError::NotFound);
    }
    let present = form.present == "1";
    store::attendance::mark(&state.store, id, form.enrollment_id, present, "manuale").await?;
    Ok(Redirect::to(&format!(
        "/admin/incontri/{id}/presenze#p{}",
        form.enrollment_id
    ))
    .into_response())
}

pub async fn attendance_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (reg, _) = register(&state, &viewer, id).await?;
    let mut csv = Csv::new();
    csv.row([reg.title.as_str()]);
    csv.row([
        "Nome e cognome",
        "Ente",
        "Ruolo",
        "Comune",
        "Ambito",
        "Presente",
        "Registrato alle",
        "Fonte",
    ]);
    for r in &reg.rows {
        let s = |k: &str| r[k].as_str().unwrap_or_default().to_string();
        let at = r["first_seen_at"]
            .as_i64()
            .and_then(chrono::DateTime::from_timestamp_millis)
            .map(|t| {
                t.with_timezone(&chrono_tz::Europe::Rome)
                    .format("%d/%m/%Y %H:%M")
                    .to_string()
            })
            .unwrap_or_default();
        let present = if r["present"] == true { "sì" } else { "no" };
        csv.row([
            s("name"),
            s("ente"),
            s("role"),
            s("comune"),
            s("ambito"),
            present.to_string(),
            at,
            s("source"),
        ]);
    }
    Ok(csv_response(
        csv,
        &format!("registro-presenze-incontro-{id}.csv"),
    ))
}

// --- accounts ------------------------------------------------------------------------------------

pub async fn accounts(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    viewer.require(Action::ManageAccounts)?;
    accounts_page(&state, &viewer, None, None, Vec::new()).await
}

async fn accounts_page(
    state: &AppState,
    viewer: &Viewer,
    new_key: Option<String>,
    new_link: Option<String>,
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    let list = store::accounts::list(&state.store).await?;
    let mut rows = Vec::new();
    for a in &list {
        let ws = store::accounts::workshops_of(&state.store, a.id).await?;
        let titles: Vec<String> = ws
            .iter()
            .filter_map(|id| state.catalogue.by_id(*id))
            .map(|e| e.workshop.title.clone())
            .collect();
        rows.push(json!({
            "name": a.name, "email": a.email,
            "role": AccountRole::parse(&a.role).map(|r| r.label()).unwrap_or(&a.role),
            "workshops": titles, "has_password": a.password_hash.is_some(),
        }));
    }
    let workshops: Vec<_> = state
        .catalogue
        .all()
        .iter()
        .map(|e| json!({"slug": e.workshop.slug, "title": e.workshop.title}))
        .collect();
    page(
        state,
        viewer,
        "admin/accounts.html",
        crate::ctx! { rows, workshops, new_key, new_link, errors },
    )
}

#[derive(Deserialize)]
pub struct NewAccountForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    workshop: String,
}

pub async fn create_account(
    State(state): State<AppState>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<NewAccountForm>,
) -> Result<Response, AppError> {
    viewer.require(Action::ManageAccounts)?;
    let mut errors = Vec::new();
    let name = text::required_line("name", "il nome e cognome", &form.name, 2, 120, &mut errors);
    let email = text::email("email", &form.email, &mut errors);
    let role = AccountRole::parse(&form.role);
    if role.is_none() {
        errors.push(FieldError::new("role", "Scegli il ruolo dell'account."));
    }
    let workshop = if form.workshop.is_empty() {
        None
    } else {
        state.catalogue.by_slug(&form.workshop)
    };
    if !form.workshop.is_empty() && workshop.is_none() {
        errors.push(FieldError::new("workshop", "Laboratorio non trovato."));
    }
    if errors.is_empty()
        && store::accounts::by_email(&state.store, &email)
            .await?
            .is_some()
    {
        errors.push(FieldError::new(
            "email",
            "Esiste già un account con questo indirizzo.",
        ));
    }
    let Some(role) = role.filter(|_| errors.is_empty()) else {
        let mut res = accounts_page(&state, &viewer, None, None, errors).await?;
        *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(res);
    };
    let id = store::accounts::create(&state.store, &email, &name, role.as_str(), None).await?;
    if let Some(w) = workshop {
        store::accounts::assign_workshop(&state.store, id, w.id).await?;
    }
    let link = accounts::password_link(&state.store, id, &state.base_url).await?;
    accounts_page(&state, &viewer, None, Some(link), Vec::new()).await
}

pub async fn create_api_key(
    State(state): State<AppState>,
    viewer: Viewer,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, AppError> {
    viewer.require(Action::ManageAccounts)?;
    let Principal::Account { id, .. } = viewer.principal else {
        return Err(AppError::Unauthorized);
    };
    let key = accounts::new_api_key(&state.store, id).await?;
    accounts_page(&state, &viewer, Some(key), None, Vec::new()).await
}
