//! What the JSON API says about a workshop: its own types, for programs, apart from the pages'
//! view models (which carry Italian labels). Ids where a program sends them back (the role of
//! an enrollment), dates and times in ISO 8601 with the workshop's zone. `docs/api.md` lists
//! these fields and `tests/api_schema.rs` keeps the two equal.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone};
use serde::Serialize;

use crate::domain::workshop::Window;
use crate::services::catalogue::Entry;

/// `GET /api/v1/workshops/{slug}`.
#[derive(Serialize)]
pub struct Workshop {
    pub slug: String,
    pub title: String,
    pub organiser: String,
    pub funding: String,
    pub description: String,
    /// IANA zone of every date and time below, e.g. `Europe/Rome`.
    pub timezone: String,
    pub capacity: i64,
    pub confirmed: i64,
    pub waitlisted: i64,
    pub seats_left: i64,
    pub window: Window,
    pub enrollment_opens: String,
    pub enrollment_closes: String,
    /// The roles that may enroll: `id` is what `POST …/enrollments` takes as `role`.
    pub eligible_roles: Vec<Role>,
    pub facilitators: Vec<String>,
    pub meetings_count: usize,
    pub modules: Vec<Module>,
}

#[derive(Serialize)]
pub struct Role {
    pub id: String,
    pub label: String,
}

#[derive(Serialize)]
pub struct Module {
    pub number: u32,
    pub title: String,
    pub topics: Vec<String>,
    pub meetings: Vec<Meeting>,
}

#[derive(Serialize)]
pub struct Meeting {
    /// The id of the meeting's board (`/incontri/{id}`, `/ws/meetings/{id}`).
    pub id: i64,
    pub key: String,
    pub number: u32,
    pub title: Option<String>,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `HH:MM`, in the workshop's zone.
    pub start: String,
    pub end: String,
    /// RFC 3339 with the zone's offset on that day.
    pub starts_at: String,
    pub ends_at: String,
    pub place: String,
    pub online: bool,
}

impl Workshop {
    pub fn build(
        entry: &Entry,
        confirmed: i64,
        waitlisted: i64,
        now: DateTime<chrono::Utc>,
    ) -> Self {
        let w = &entry.workshop;
        let tz = w.timezone;
        let local = |d: NaiveDate, t: NaiveTime| {
            tz.from_local_datetime(&d.and_time(t))
                .earliest()
                .map(|x| x.to_rfc3339())
                .unwrap_or_default()
        };
        let capacity = i64::from(w.capacity);
        Workshop {
            slug: w.slug.clone(),
            title: w.title.clone(),
            organiser: w.organiser.clone(),
            funding: w.funding.clone(),
            description: w.description.clone(),
            timezone: tz.name().to_string(),
            capacity,
            confirmed,
            waitlisted,
            seats_left: (capacity - confirmed).max(0),
            window: w.window(now),
            enrollment_opens: w.enrollment_opens.with_timezone(&tz).to_rfc3339(),
            enrollment_closes: w.enrollment_closes.with_timezone(&tz).to_rfc3339(),
            eligible_roles: w
                .eligible_roles
                .iter()
                .map(|id| Role {
                    id: id.clone(),
                    label: w.role_label(id).unwrap_or(id).to_string(),
                })
                .collect(),
            facilitators: w.facilitators.clone(),
            meetings_count: w.meetings().count(),
            modules: w
                .modules
                .iter()
                .map(|m| Module {
                    number: m.number,
                    title: m.title.clone(),
                    topics: m.topics.clone(),
                    meetings: m
                        .meetings
                        .iter()
                        .map(|mt| Meeting {
                            id: entry.meeting_id(&mt.key),
                            key: mt.key.clone(),
                            number: mt.number,
                            title: mt.title.clone(),
                            date: mt.date.to_string(),
                            start: mt.start.format("%H:%M").to_string(),
                            end: mt.end.format("%H:%M").to_string(),
                            starts_at: local(mt.date, mt.start),
                            ends_at: local(mt.date, mt.end),
                            place: mt.place.clone(),
                            online: mt.place.eq_ignore_ascii_case("online"),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}
