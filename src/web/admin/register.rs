//! The attendance register of a meeting: who was present, marked by staff (organisers and the
//! workshop's facilitators, each change in the audit log) or by joining the board during the
//! meeting; page and CSV.

use super::csv_response;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use crate::domain::access::Action;
use crate::domain::{comuni, dates};
use crate::export::csv::Csv;
use crate::services::attendance;
use crate::services::catalogue::MeetingRef;
use crate::web::auth::{CsrfForm, Viewer};
use crate::web::view::page;
use crate::web::{AppError, AppState};

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
    let changes = attendance::hand_changes(&state.store, id).await?;
    page(
        &state,
        &viewer,
        "admin/attendance.html",
        crate::ctx! {
            meeting, rows => reg.rows, present, title => reg.title, changes,
            board_window => board_window(&state, id),
        },
    )
}

/// When joining the board marks presence, as the page says it: "dalle 9:00 alle 13:00" (with
/// the dates when the margin crosses midnight).
fn board_window(state: &AppState, meeting_id: i64) -> Option<String> {
    let m = state.catalogue.meeting(meeting_id)?;
    let tz = m.entry.workshop.timezone;
    let w = state.rooms.presence().window(&m.entry.workshop, m.meeting);
    let (opens, closes) = (w.opens.with_timezone(&tz), w.closes.with_timezone(&tz));
    let at = |article: &str, elided: &str, t: chrono::DateTime<chrono_tz::Tz>| {
        let time = dates::format_time(t.time());
        if chrono::Timelike::hour(&t) == 1 {
            format!("{elided}{time}")
        } else {
            format!("{article} {time}")
        }
    };
    let same_day = opens.date_naive() == m.meeting.date && closes.date_naive() == m.meeting.date;
    Some(if same_day {
        format!(
            "{} {}",
            at("dalle", "dall'", opens),
            at("alle", "all'", closes)
        )
    } else {
        format!(
            "da {} a {}",
            dates::format_datetime(w.opens, tz),
            dates::format_datetime(w.closes, tz)
        )
    })
}

/// A mark in the register: `present` is `"1"` for present.
#[derive(Deserialize)]
pub struct MarkForm {
    enrollment_id: i64,
    #[serde(default)]
    present: String,
}

/// `POST /admin/incontri/{id}/presenze`: marks someone present or absent by hand (organisers
/// and the workshop's facilitators), with an audit entry.
pub async fn mark_attendance(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<MarkForm>,
) -> Result<Response, AppError> {
    let m = register_meeting(&state, &viewer, id)?;
    let present = form.present == "1";
    // Only people of this workshop's register can be marked.
    let marked = attendance::mark_by_hand(
        &state.store,
        &m,
        form.enrollment_id,
        present,
        &viewer.actor(),
    )
    .await?;
    if marked == attendance::HandMark::NotInRegister {
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
