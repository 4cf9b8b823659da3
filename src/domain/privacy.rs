//! The privacy lifecycle's rules (GDPR, legal basis art. 6.1.e): how long personal data are
//! kept, and what a board event keeps of a person once their data are erased. Pure: the
//! sweeps and requests that apply these rules are in `services::privacy`.
//!
//! What is erased is a person's identity (name, e-mail, the name typed for someone on whose
//! behalf a card was written); what stays is what the record of the co-programmazione and its
//! counts need: the stable actor id (so votes, contributors and attendance still count once per
//! person), the kind of person, the ente and the Ambito.

use chrono::{DateTime, TimeZone, Utc};

use super::board::{Actor, ActorId, ActorKind, Event};
use super::workshop::Workshop;

/// The name shown instead of an enrolled participant whose data were erased.
pub const ERASED_PARTICIPANT: &str = "Partecipante (dati cancellati)";
/// The name shown instead of a guest whose data were erased.
pub const ERASED_GUEST: &str = "Ospite (dati cancellati)";
/// The name shown instead of a person a card was written for, once erased.
pub const ERASED_ON_BEHALF: &str = "Persona rappresentata (dati cancellati)";

const DAY_MS: i64 = 86_400_000;

/// How long personal data are kept (from the configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Days after a workshop's last meeting.
    pub after_workshop_days: u32,
    /// Days after a cancellation.
    pub after_cancellation_days: u32,
}

impl Retention {
    /// When a workshop's personal data are due for erasure (epoch ms): the end of its last
    /// meeting, in its time zone, plus the retention period. `None` for a workshop without
    /// meetings, which has no end to count from.
    pub fn workshop_due(&self, workshop: &Workshop) -> Option<i64> {
        last_meeting_end(workshop)
            .map(|end| end.timestamp_millis() + i64::from(self.after_workshop_days) * DAY_MS)
    }

    /// Cancellations made before this instant (epoch ms) are due for erasure at `now`.
    pub fn cancelled_before(&self, now: i64) -> i64 {
        now - i64::from(self.after_cancellation_days) * DAY_MS
    }
}

/// The end of a workshop's last meeting.
pub fn last_meeting_end(workshop: &Workshop) -> Option<DateTime<Utc>> {
    workshop
        .meetings()
        .filter_map(|(_, m)| {
            workshop
                .timezone
                .from_local_datetime(&m.date.and_time(m.end))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
        .max()
}

/// Whose identity to drop from board events.
#[derive(Debug, Clone)]
pub enum Whom {
    /// Everyone but staff: the retention sweep of a finished workshop. Names typed for someone
    /// on whose behalf a card was written go too.
    EveryoneButStaff,
    /// Some people (art. 17 request): their actor ids, and their names as they may have been
    /// typed by a facilitator writing on their behalf (compared without case or surrounding
    /// spaces).
    People {
        ids: Vec<ActorId>,
        names: Vec<String>,
    },
}

impl Whom {
    fn covers(&self, actor: &Actor) -> bool {
        match self {
            Whom::EveryoneButStaff => {
                matches!(actor.kind, ActorKind::Participant | ActorKind::Guest)
            }
            Whom::People { ids, .. } => ids.contains(&actor.id),
        }
    }

    fn covers_name(&self, name: &str) -> bool {
        match self {
            Whom::EveryoneButStaff => true,
            Whom::People { names, .. } => {
                let name = name.trim().to_lowercase();
                !name.is_empty() && names.iter().any(|n| n.trim().to_lowercase() == name)
            }
        }
    }
}

/// The pseudonym of an actor: its name replaced, everything the record counts with kept.
fn pseudonymise_actor(actor: &mut Actor) -> bool {
    let pseudonym = match actor.kind {
        ActorKind::Guest => ERASED_GUEST,
        _ => ERASED_PARTICIPANT,
    };
    if actor.name == pseudonym {
        return false;
    }
    actor.name = pseudonym.to_string();
    true
}

/// Drops the identity of `whom` from one stored event: the actor's name, and inside the event
/// every person it copies — a carried card's author, its comments' and merged cards' authors,
/// the name of the person a card was written for. Returns whether anything changed (an event
/// rewritten twice is rewritten the same way: the sweep is idempotent).
///
/// The event is walked as JSON rather than matched field by field, so that a person copied into
/// a future kind of event (as an `Actor` or as `on_behalf_of`) is found without a change here.
pub fn pseudonymise_event(actor: &mut Actor, event: &mut Event, whom: &Whom) -> bool {
    let mut changed = false;
    if whom.covers(actor) {
        changed |= pseudonymise_actor(actor);
    }
    let Ok(mut value) = serde_json::to_value(&*event) else {
        return changed;
    };
    if walk(&mut value, whom) {
        if let Ok(rewritten) = serde_json::from_value::<Event>(value) {
            *event = rewritten;
            changed = true;
        }
    }
    changed
}

/// Rewrites every person inside a serialised event; true if any changed.
fn walk(value: &mut serde_json::Value, whom: &Whom) -> bool {
    use serde_json::Value;
    let mut changed = false;
    match value {
        Value::Object(map) => {
            if let Some(person) = map.get_mut("on_behalf_of").and_then(Value::as_object_mut) {
                if let Some(Value::String(name)) = person.get_mut("name") {
                    if name != ERASED_ON_BEHALF && whom.covers_name(name) {
                        *name = ERASED_ON_BEHALF.to_string();
                        changed = true;
                    }
                }
            }
            if let Ok(mut a) = serde_json::from_value::<Actor>(Value::Object(map.clone())) {
                if map.contains_key("kind") && map.contains_key("name") && whom.covers(&a) {
                    if pseudonymise_actor(&mut a) {
                        map.insert("name".into(), Value::String(a.name));
                        changed = true;
                    }
                    return changed;
                }
            }
            for (key, v) in map.iter_mut() {
                if key != "on_behalf_of" {
                    changed |= walk(v, whom);
                }
            }
        }
        Value::Array(items) => {
            for v in items {
                changed |= walk(v, whom);
            }
        }
        _ => {}
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::board::OnBehalf;
    use crate::domain::cards::CardContent;

    fn actor(id: ActorId, kind: ActorKind, name: &str) -> Actor {
        Actor {
            id,
            kind,
            name: name.into(),
            organisation: Some("Comune di Bergamo".into()),
            ambito: Some("Ambito di Bergamo".into()),
        }
    }

    fn card(on_behalf: Option<&str>) -> Event {
        let content: CardContent =
            serde_json::from_value(serde_json::json!({"card_type": "bisogno", "text": "x"}))
                .unwrap();
        Event::CardAdded {
            card_id: "c1".into(),
            column: "bisogni".into(),
            anonymous: false,
            on_behalf_of: on_behalf.map(|n| OnBehalf {
                name: n.into(),
                organisation: Some("ATS".into()),
                ambito: None,
            }),
            revealed: true,
            content,
            number: Some(1),
        }
    }

    #[test]
    fn a_named_person_loses_the_name_and_keeps_what_the_record_counts() {
        let whom = Whom::People {
            ids: vec![ActorId::Enrollment(4)],
            names: vec!["Maria Rossi".into()],
        };
        let mut a = actor(
            ActorId::Enrollment(4),
            ActorKind::Participant,
            "Maria Rossi",
        );
        let mut e = card(None);
        assert!(pseudonymise_event(&mut a, &mut e, &whom));
        assert_eq!(a.name, ERASED_PARTICIPANT);
        assert_eq!(a.id, ActorId::Enrollment(4));
        assert_eq!(a.organisation.as_deref(), Some("Comune di Bergamo"));
        assert_eq!(a.ambito.as_deref(), Some("Ambito di Bergamo"));
        // Twice: nothing more to do.
        assert!(!pseudonymise_event(&mut a, &mut e, &whom));
        // Someone else is untouched.
        let mut b = actor(
            ActorId::Enrollment(5),
            ActorKind::Participant,
            "Luca Bianchi",
        );
        assert!(!pseudonymise_event(&mut b, &mut card(None), &whom));
        assert_eq!(b.name, "Luca Bianchi");
        // A card a facilitator wrote on her behalf, typed with other case and spaces.
        let mut f = actor(ActorId::Account(1), ActorKind::Facilitator, "Facilitatrice");
        let mut e = card(Some(" maria rossi "));
        assert!(pseudonymise_event(&mut f, &mut e, &whom));
        assert_eq!(f.name, "Facilitatrice");
        let Event::CardAdded { on_behalf_of, .. } = e else {
            unreachable!()
        };
        let person = on_behalf_of.unwrap();
        assert_eq!(person.name, ERASED_ON_BEHALF);
        assert_eq!(person.organisation.as_deref(), Some("ATS"));
    }

    #[test]
    fn the_retention_sweep_spares_staff_only() {
        let whom = Whom::EveryoneButStaff;
        let mut g = actor(ActorId::Guest(2), ActorKind::Guest, "Anna Neri");
        assert!(pseudonymise_event(&mut g, &mut card(None), &whom));
        assert_eq!(g.name, ERASED_GUEST);
        let mut f = actor(ActorId::Account(1), ActorKind::Organiser, "Org");
        let mut e = card(Some("Carla Conti"));
        assert!(pseudonymise_event(&mut f, &mut e, &whom));
        assert_eq!(f.name, "Org");
    }
}
