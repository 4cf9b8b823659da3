//! What pages show: view models built from the domain, with Italian labels, and the renderer
//! that adds what every page needs (who is logged in, the CSRF token).

use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;
use serde::Serialize;

use crate::domain::dates;
use crate::domain::workshop::Window;
use crate::services::catalogue::Entry;
use crate::services::enrollment;
use crate::web::auth::Viewer;
use crate::web::{AppError, AppState};

/// A template context whose values are serialised with serde: `ctx! { a, b => expr }`.
#[macro_export]
macro_rules! ctx {
    ($($key:ident $(=> $value:expr)?),* $(,)?) => {{
        #[allow(unused_mut)]
        let mut m = std::collections::BTreeMap::<&str, minijinja::Value>::new();
        $( m.insert(stringify!($key), minijinja::Value::from(minijinja::value::Serde(&$crate::ctx!(@v $key $($value)?)))); )*
        minijinja::Value::from(minijinja::value::Serde(&m))
    }};
    (@v $key:ident) => { $key };
    (@v $key:ident $value:expr) => { $value };
}

/// Renders a page with the common context.
pub fn page(
    state: &AppState,
    viewer: &Viewer,
    name: &str,
    ctx: minijinja::Value,
) -> Result<Response, AppError> {
    let html = state.templates.render(
        name,
        minijinja::context! {
            ..ctx,
            ..minijinja::context! {
                csrf => viewer.csrf.clone(),
                viewer => minijinja::value::Serde(ViewerView {
                    name: viewer.name.clone(),
                    is_staff: viewer.principal.is_staff(),
                    is_organiser: viewer.is_organiser(),
                    is_participant: matches!(viewer.principal, crate::domain::access::Principal::Participant { .. }),
                }),
            }
        },
    )?;
    Ok(Html(html).into_response())
}

#[derive(Serialize)]
struct ViewerView {
    name: Option<String>,
    is_staff: bool,
    is_organiser: bool,
    is_participant: bool,
}

/// A workshop as the public pages show it.
#[derive(Serialize)]
pub struct WorkshopView {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub organiser: String,
    pub funding: String,
    pub description: String,
    pub capacity: i64,
    pub confirmed: i64,
    pub waitlisted: i64,
    pub seats_left: i64,
    /// "not_yet_open" | "open" | "closed"
    pub window: Window,
    pub window_label: &'static str,
    pub opens_label: String,
    pub closes_label: String,
    pub first_date: String,
    pub last_date: String,
    pub eligible_roles: Vec<String>,
    pub facilitators: Vec<String>,
    pub modules: Vec<ModuleView>,
    pub meetings_count: usize,
}

/// A module of a [`WorkshopView`].
#[derive(Serialize)]
pub struct ModuleView {
    pub number: u32,
    pub title: String,
    pub topics: Vec<String>,
    pub meetings: Vec<MeetingView>,
}

/// A meeting of a [`ModuleView`].
#[derive(Serialize)]
pub struct MeetingView {
    pub id: i64,
    pub key: String,
    pub number: u32,
    pub date: String,
    pub date_label: String,
    pub day: u32,
    pub month_short: String,
    pub time_label: String,
    pub place: String,
    pub online: bool,
    pub title: Option<String>,
}

impl WorkshopView {
    /// The view of a workshop with its current seat counts.
    pub async fn load(state: &AppState, entry: &Entry) -> Result<WorkshopView, AppError> {
        let (confirmed, waitlisted) = enrollment::seats(&state.store, entry.id).await?;
        Ok(Self::build(entry, confirmed, waitlisted))
    }

    /// The view of a workshop given its seat counts.
    pub fn build(entry: &Entry, confirmed: i64, waitlisted: i64) -> WorkshopView {
        let w = &entry.workshop;
        let window = w.window(Utc::now());
        let modules = w
            .modules
            .iter()
            .map(|m| ModuleView {
                number: m.number,
                title: m.title.clone(),
                topics: m.topics.clone(),
                meetings: m
                    .meetings
                    .iter()
                    .map(|mt| MeetingView {
                        id: entry.meeting_id(&mt.key),
                        key: mt.key.clone(),
                        number: mt.number,
                        date: mt.date.to_string(),
                        date_label: dates::format_date(mt.date),
                        day: chrono::Datelike::day(&mt.date),
                        month_short: dates::format_date_short(mt.date)
                            .split_whitespace()
                            .nth(1)
                            .unwrap_or_default()
                            .to_string(),
                        time_label: format!(
                            "{}–{}",
                            dates::format_time(mt.start),
                            dates::format_time(mt.end)
                        ),
                        online: mt.place.eq_ignore_ascii_case("online"),
                        place: mt.place.clone(),
                        title: mt.title.clone(),
                    })
                    .collect(),
            })
            .collect();
        let capacity = i64::from(w.capacity);
        let mut all_dates = w.meetings().map(|(_, m)| m.date);
        let first = all_dates.next();
        let last = w.meetings().map(|(_, m)| m.date).last();
        WorkshopView {
            id: entry.id,
            slug: w.slug.clone(),
            title: w.title.clone(),
            organiser: w.organiser.clone(),
            funding: w.funding.clone(),
            description: w.description.clone(),
            capacity,
            confirmed,
            waitlisted,
            seats_left: (capacity - confirmed).max(0),
            window,
            window_label: match window {
                Window::NotYetOpen => "Iscrizioni non ancora aperte",
                Window::Open => "Iscrizioni aperte",
                Window::Closed => "Iscrizioni chiuse",
            },
            opens_label: dates::format_datetime(w.enrollment_opens, w.timezone),
            closes_label: dates::format_datetime(w.enrollment_closes, w.timezone),
            first_date: first.map(dates::format_date).unwrap_or_default(),
            last_date: last.map(dates::format_date).unwrap_or_default(),
            eligible_roles: w
                .eligible_roles
                .iter()
                .map(|r| w.role_label(r).unwrap_or(r).to_string())
                .collect(),
            facilitators: w.facilitators.clone(),
            meetings_count: w.meetings().count(),
            modules,
        }
    }
}
