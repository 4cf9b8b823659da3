//! Staff pages: login, first setup, enrollments, outbox, attendance register, accounts.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use crate::domain::access::{AccountRole, Action, Principal};
use crate::domain::comuni;
use crate::domain::text::FieldError;
use crate::export::csv::Csv;
use crate::services::accounts::{self, NewAccount, Problem, SetupError, SetupForm};
use crate::services::catalogue::MeetingRef;
use crate::services::{attendance, audit, enrollment, mail};
use crate::web::auth::{self, CsrfForm, Viewer};
use crate::web::view::{WorkshopView, page};
use crate::web::{AppError, AppState};

// --- login, logout, setup ---------------------------------------------------------------------

/// `?dopo=`: where to go after logging in.
#[derive(Deserialize, Default)]
pub struct LoginQuery {
    #[serde(default)]
    dopo: Option<String>,
}

/// `GET /accedi`: the login form.
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

/// The login form.
#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: Option<String>,
}

/// `POST /accedi`: logs in, or shows the form again (401) with an Italian message.
pub async fn login(
    State(state): State<AppState>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<Response, AppError> {
    let next = safe_next(form.next.as_deref());
    let previous = viewer.session_hash.as_deref();
    match accounts::sign_in(&state.store, &form.email, &form.password, previous).await? {
        Some(raw) => {
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

/// A form with no field but its CSRF token.
#[derive(Deserialize)]
pub struct Empty {}

/// `POST /esci`: ends the session and closes its websockets.
pub async fn logout(
    State(state): State<AppState>,
    viewer: Viewer,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, AppError> {
    if let Some(hash) = &viewer.session_hash {
        accounts::close_session(&state.store, hash).await?;
        state.sockets.close_session(hash);
    }
    let mut res = Redirect::to("/").into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        auth::cookie(&state, auth::session_cookie(&state), "", Some(0)),
    );
    Ok(res)
}

/// The answer to a setup link that does nothing.
fn setup_link_error(e: SetupError) -> AppError {
    match e {
        SetupError::NotALink => AppError::NotFound,
        SetupError::Spent => AppError::Gone(
            "Questo link non è più valido: è già stato usato oppure è scaduto.".into(),
        ),
        SetupError::UsedMeanwhile => AppError::Gone("Questo link è già stato usato.".into()),
        SetupError::Db(e) => e.into(),
        SetupError::Rejected { .. } => AppError::Internal(anyhow::anyhow!("{e}")),
    }
}

/// `GET /configura/{token}`: the form of a setup link.
pub async fn setup_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let target = accounts::setup_target(&state.store, &token)
        .await
        .map_err(setup_link_error)?;
    page(
        &state,
        &viewer,
        "setup.html",
        crate::ctx! {
            token, first => target.account().is_none(), account => target.account(), errors => Vec::<FieldError>::new(), values => json!({}),
        },
    )
}

/// The setup form (name and e-mail only for the first organiser).
#[derive(Deserialize)]
pub struct SetupFormFields {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

/// `POST /configura/{token}`: creates the first organiser or sets the password, then logs in.
pub async fn setup(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
    CsrfForm(form): CsrfForm<SetupFormFields>,
) -> Result<Response, AppError> {
    let values = json!({"name": form.name, "email": form.email});
    let filled = SetupForm {
        name: form.name,
        email: form.email,
        password: form.password,
        password_confirm: form.password_confirm,
    };
    match accounts::complete_setup(
        &state.store,
        &state.catalogue,
        &state.base_url,
        &token,
        filled,
    )
    .await
    {
        Ok(raw) => {
            let mut res = Redirect::to("/admin").into_response();
            auth::set_session_cookie(&state, &mut res, &raw);
            Ok(res)
        }
        Err(SetupError::Rejected { target, problems }) => {
            let errors: Vec<FieldError> = problems.iter().map(field_error).collect();
            let mut res = page(
                &state,
                &viewer,
                "setup.html",
                crate::ctx! {
                    token, first => target.account().is_none(), account => target.account(), errors, values,
                },
            )?;
            *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(e) => Err(setup_link_error(e)),
    }
}

/// A problem of a new account or of a setup form, as the form shows it.
fn field_error(problem: &Problem) -> FieldError {
    match problem {
        Problem::Field(e) => e.clone(),
        Problem::NoRole => FieldError::new("role", "Scegli il ruolo dell'account."),
        Problem::UnknownWorkshop(_) => FieldError::new("workshop", "Laboratorio non trovato."),
        Problem::EmailTaken => {
            FieldError::new("email", "Esiste già un account con questo indirizzo.")
        }
        Problem::Password(message) => FieldError::new("password", *message),
        Problem::PasswordsDiffer => {
            FieldError::new("password_confirm", "Le due password non coincidono.")
        }
    }
}

// --- dashboard and enrollments -----------------------------------------------------------------

/// `GET /admin`: the staff dashboard, with the workshops the viewer may see.
pub async fn index(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    viewer.require_staff()?;
    let mut workshops = Vec::new();
    for entry in state.catalogue.all() {
        if viewer.principal.may(Action::ViewEnrollments(entry.id)) {
            workshops.push(WorkshopView::load(&state, entry).await?);
        }
    }
    let (pending, sent) = if viewer.principal.may(Action::ViewOutbox) {
        mail::outbox_counts(&state.store).await?
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

/// The enrollments of a workshop in arrival order, as the organisers' page and CSV show them.
async fn enrollment_rows(
    state: &AppState,
    workshop_id: i64,
) -> Result<Vec<serde_json::Value>, AppError> {
    let entry = state
        .catalogue
        .by_id(workshop_id)
        .ok_or(AppError::NotFound)?;
    let roster = enrollment::roster(&state.store, workshop_id).await?;
    Ok(roster
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let r = &line.enrollment;
            let status = r.status();
            json!({
                "n": i + 1, "id": r.id, "name": r.name, "email": r.email,
                "role": entry.workshop.role_label(&r.role).unwrap_or(&r.role),
                "ente": r.ente,
                "comune": r.comune_istat.as_deref().and_then(comuni::by_code).map(|c| format!("{} ({})", c.denominazione, c.sigla)),
                "ambito": r.ambito, "status": status, "status_label": status.label(),
                "position": line.position, "created_at": r.created_at, "arrival": r.arrival,
            })
        })
        .collect())
}

/// `GET /admin/laboratori/{slug}/iscrizioni`: a workshop's enrollments and audit log.
pub async fn enrollments(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let entry = state.catalogue.by_slug(&slug).ok_or(AppError::NotFound)?;
    viewer.require(Action::ViewEnrollments(entry.id))?;
    let rows = enrollment_rows(&state, entry.id).await?;
    let audit = audit::for_workshop(&state.store, entry.id).await?;
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

/// `GET /admin/laboratori/{slug}/iscrizioni.csv`: the same list as CSV.
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

/// A CSV download named `filename`.
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

/// A staff cancellation: the reason goes to the audit log.
#[derive(Deserialize)]
pub struct StaffCancelForm {
    #[serde(default)]
    reason: String,
}

/// `POST /admin/iscrizioni/{id}/annulla`: cancels someone's enrollment on their behalf.
pub async fn cancel(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<StaffCancelForm>,
) -> Result<Response, AppError> {
    viewer.require_staff()?;
    let row = enrollment::find(&state.store, id)
        .await?
        .ok_or(AppError::NotFound)?;
    viewer.require(Action::CancelEnrollment(row.workshop_id))?;
    let entry = enrollment::cancel_by_staff(
        &state.catalogue,
        &state.desk,
        &row,
        viewer.actor(),
        &form.reason,
    )
    .await?;
    Ok(Redirect::to(&format!(
        "/admin/laboratori/{}/iscrizioni",
        entry.workshop.slug
    ))
    .into_response())
}

// --- outbox --------------------------------------------------------------------------------------

/// `GET /admin/posta`: the newest notifications, sent or waiting.
pub async fn outbox(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    viewer.require(Action::ViewOutbox)?;
    let messages = mail::recent(&state.store, 500).await?;
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

/// A meeting whose register `viewer` may keep.
fn register_meeting<'a>(
    state: &'a AppState,
    viewer: &Viewer,
    meeting_id: i64,
) -> Result<MeetingRef<'a>, AppError> {
    viewer.require_staff()?;
    let m = state
        .catalogue
        .meeting(meeting_id)
        .ok_or(AppError::NotFound)?;
    viewer.require(Action::Attendance(m.entry.id))?;
    Ok(m)
}

/// The register of a meeting, and the meeting as the page shows it.
async fn register(
    state: &AppState,
    viewer: &Viewer,
    meeting_id: i64,
) -> Result<(Register, minijinja::Value), AppError> {
    let m = register_meeting(state, viewer, meeting_id)?;
    let lines = attendance::register(&state.store, m.entry.id, meeting_id).await?;
    let w = &m.entry.workshop;
    let rows = lines
        .iter()
        .map(|line| {
            let (p, mark) = (&line.person, line.mark.as_ref());
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

/// `GET /admin/incontri/{id}/presenze`: the attendance register of a meeting.
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

/// A mark in the register: `present` is `"1"` for present.
#[derive(Deserialize)]
pub struct MarkForm {
    enrollment_id: i64,
    #[serde(default)]
    present: String,
}

/// `POST /admin/incontri/{id}/presenze`: marks someone present or absent by hand.
pub async fn mark_attendance(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<MarkForm>,
) -> Result<Response, AppError> {
    let m = register_meeting(&state, &viewer, id)?;
    let present = form.present == "1";
    // Only people of this workshop's register can be marked.
    if !attendance::mark_by_hand(&state.store, m.entry.id, id, form.enrollment_id, present).await? {
        return Err(AppError::NotFound);
    }
    Ok(Redirect::to(&format!(
        "/admin/incontri/{id}/presenze#p{}",
        form.enrollment_id
    ))
    .into_response())
}

/// `GET /admin/incontri/{id}/presenze.csv`: the register as CSV.
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

/// `GET /admin/account`: the staff accounts.
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
    let mut rows = Vec::new();
    for staff in accounts::list(&state.store).await? {
        let a = &staff.account;
        let titles: Vec<String> = staff
            .workshops
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

/// A new account: `workshop` is a slug, or empty.
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

/// `POST /admin/account`: creates an account and shows its password link.
pub async fn create_account(
    State(state): State<AppState>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<NewAccountForm>,
) -> Result<Response, AppError> {
    viewer.require(Action::ManageAccounts)?;
    let new = NewAccount {
        name: form.name,
        email: form.email,
        role: AccountRole::parse(&form.role),
        workshops: Some(form.workshop)
            .filter(|w| !w.is_empty())
            .into_iter()
            .collect(),
        password: None,
    };
    let checked = match accounts::check(&state.store, &state.catalogue, new).await {
        Ok(checked) => checked,
        Err(accounts::CreateError::Rejected(problems)) => {
            let errors = problems.iter().map(field_error).collect();
            let mut res = accounts_page(&state, &viewer, None, None, errors).await?;
            *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(res);
        }
        Err(accounts::CreateError::Db(e)) => return Err(e.into()),
    };
    let created = accounts::create(&state.store, &state.base_url, checked).await?;
    accounts_page(&state, &viewer, None, created.link, Vec::new()).await
}

/// `POST /admin/account/chiave-api`: a new API key for the viewer, shown once.
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
