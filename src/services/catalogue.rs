//! The workshop catalogue in memory: the validated files, with their database ids. Reading and
//! checking the files is [`crate::workshop_files`]; this is what the running server looks up.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use crate::domain::dates;
use crate::domain::workshop::{Meeting, Module, Workshop};
use crate::store::{self, Store};
use crate::workshop_files;

/// A workshop of the catalogue with its database ids.
#[derive(Debug)]
pub struct Entry {
    pub id: i64,
    pub workshop: Workshop,
    /// Meeting key ("M1-2") → meeting id.
    pub meeting_ids: HashMap<String, i64>,
    /// The meeting calendar as printed in e-mails, formatted once (every mail carries it).
    pub mail_calendar: Vec<String>,
    /// "date, ore start — address" of the meetings with a video call, for the mails of people
    /// with a seat only (the address is not public).
    pub mail_video_links: Vec<String>,
}

impl Entry {
    /// An entry of `workshop`, synced under database id `id`.
    pub fn new(id: i64, workshop: Workshop, meeting_ids: HashMap<String, i64>) -> Entry {
        Entry {
            mail_calendar: mail_calendar(&workshop),
            mail_video_links: mail_video_links(&workshop),
            id,
            workshop,
            meeting_ids,
        }
    }

    /// The database id of one of this workshop's meetings (panics on a key not in the file).
    pub fn meeting_id(&self, key: &str) -> i64 {
        self.meeting_ids[key]
    }
}

/// The calendar lines of a workshop's mails: "date, start–end — modulo N: title — place".
fn mail_calendar(w: &Workshop) -> Vec<String> {
    w.meetings()
        .map(|(module, m)| {
            format!(
                "{}, {}–{} — modulo {}: {} — {}",
                dates::format_date(m.date),
                dates::format_time(m.start),
                dates::format_time(m.end),
                module.number,
                module.title,
                m.place
            )
        })
        .collect()
}

fn mail_video_links(w: &Workshop) -> Vec<String> {
    w.meetings()
        .filter_map(|(_, m)| {
            let link = m.video_link.as_deref()?;
            Some(format!(
                "{}, ore {} — {link}",
                dates::format_date(m.date),
                dates::format_time(m.start)
            ))
        })
        .collect()
}

/// Every workshop loaded at start, in file order.
#[derive(Debug, Default)]
pub struct Catalogue {
    entries: Vec<Arc<Entry>>,
}

/// A meeting looked up by id, with its workshop and module.
pub struct MeetingRef<'a> {
    pub entry: &'a Arc<Entry>,
    pub module: &'a Module,
    pub meeting: &'a Meeting,
}

impl Catalogue {
    /// Validates the files of `dir` and syncs them into the database.
    pub async fn load(dir: &Path, store: &Store) -> anyhow::Result<Catalogue> {
        let workshops = workshop_files::load_dir(dir)?;
        Self::from_workshops(workshops, store).await
    }

    /// Syncs already validated workshops into the database.
    pub async fn from_workshops(
        workshops: Vec<Workshop>,
        store: &Store,
    ) -> anyhow::Result<Catalogue> {
        let mut entries = Vec::with_capacity(workshops.len());
        for workshop in workshops {
            let ids = store::workshops::sync(store, &workshop).await?;
            entries.push(Arc::new(Entry::new(
                ids.workshop_id,
                workshop,
                ids.meeting_ids,
            )));
        }
        Ok(Catalogue { entries })
    }

    /// Every workshop, in file order.
    pub fn all(&self) -> &[Arc<Entry>] {
        &self.entries
    }

    /// The workshop with this slug (the name of its file).
    pub fn by_slug(&self, slug: &str) -> Option<&Arc<Entry>> {
        self.entries.iter().find(|e| e.workshop.slug == slug)
    }

    /// The workshop with this database id.
    pub fn by_id(&self, id: i64) -> Option<&Arc<Entry>> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// A meeting of any workshop, by its database id.
    pub fn meeting(&self, meeting_id: i64) -> Option<MeetingRef<'_>> {
        self.entries.iter().find_map(|entry| {
            entry.workshop.meetings().find_map(|(module, meeting)| {
                (entry.meeting_ids.get(&meeting.key) == Some(&meeting_id)).then_some(MeetingRef {
                    entry,
                    module,
                    meeting,
                })
            })
        })
    }
}
