//! Who acts on a board: people (enrolled participants, guests, staff) and their stable ids.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Who did something on a board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub id: ActorId,
    pub kind: ActorKind,
    pub name: String,
    /// Comune, ETS, ATS… as declared.
    #[serde(default)]
    pub organisation: Option<String>,
    #[serde(default)]
    pub ambito: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    Participant,
    Guest,
    Facilitator,
    Organiser,
}

impl Actor {
    /// Facilitators and organisers run the session.
    pub fn is_facilitator(&self) -> bool {
        matches!(self.kind, ActorKind::Facilitator | ActorKind::Organiser)
    }
}

/// The stable id of whoever acts on a board, as stored in events and sent on the socket: a
/// string with a prefix per kind of person (`"e:12"`), so old events stay readable, but typed
/// here so that nobody builds or parses the prefixes by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ActorId {
    /// An enrolled participant: `"e:<enrollment id>"`.
    Enrollment(i64),
    /// A staff account (facilitator, organiser): `"a:<account id>"`.
    Account(i64),
    /// A guest who joined with the meeting's code: `"g:<guest id>"`.
    Guest(i64),
    /// The author shown for an anonymous card: `"anonimo"`.
    Anonymous,
    /// People a view counts without naming them (other people's votes, events the viewer may
    /// not see): `"*"`.
    Others,
    /// A viewer with nothing on the board, whose view is the public one: `""`.
    Nobody,
}

impl ActorId {
    /// The enrollment behind this id, for attendance.
    pub fn enrollment(self) -> Option<i64> {
        match self {
            ActorId::Enrollment(id) => Some(id),
            _ => None,
        }
    }
}

impl fmt::Display for ActorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ActorId::Enrollment(id) => write!(f, "e:{id}"),
            ActorId::Account(id) => write!(f, "a:{id}"),
            ActorId::Guest(id) => write!(f, "g:{id}"),
            ActorId::Anonymous => f.write_str("anonimo"),
            ActorId::Others => f.write_str("*"),
            ActorId::Nobody => Ok(()),
        }
    }
}

/// A string that is not an actor id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAnActorId(pub String);

impl fmt::Display for NotAnActorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "identificativo di persona non valido: «{}»", self.0)
    }
}

impl std::error::Error for NotAnActorId {}

impl FromStr for ActorId {
    type Err = NotAnActorId;

    fn from_str(s: &str) -> Result<ActorId, NotAnActorId> {
        let numbered = |rest: &str, make: fn(i64) -> ActorId| {
            rest.parse::<i64>()
                .map(make)
                .map_err(|_| NotAnActorId(s.to_string()))
        };
        match s {
            "" => Ok(ActorId::Nobody),
            "*" => Ok(ActorId::Others),
            "anonimo" => Ok(ActorId::Anonymous),
            _ => match s.split_once(':') {
                Some(("e", n)) => numbered(n, ActorId::Enrollment),
                Some(("a", n)) => numbered(n, ActorId::Account),
                Some(("g", n)) => numbered(n, ActorId::Guest),
                _ => Err(NotAnActorId(s.to_string())),
            },
        }
    }
}

impl Serialize for ActorId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ActorId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ActorId, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = ActorId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an actor id such as \"e:12\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ActorId, E> {
                v.parse().map_err(E::custom)
            }
        }
        // As a string even when it is a map key (votes are keyed by voter).
        d.deserialize_str(Visitor)
    }
}

/// A participant with nothing on the board: whose view is the public one.
pub fn nobody() -> Actor {
    Actor {
        id: ActorId::Nobody,
        kind: ActorKind::Participant,
        name: String::new(),
        organisation: None,
        ambito: None,
    }
}

/// The author shown for an anonymous card.
pub fn anonymous_actor() -> Actor {
    Actor {
        id: ActorId::Anonymous,
        kind: ActorKind::Participant,
        name: "Anonimo".into(),
        organisation: None,
        ambito: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actor_ids_keep_their_stored_form() {
        for (id, text) in [
            (ActorId::Enrollment(12), "e:12"),
            (ActorId::Account(3), "a:3"),
            (ActorId::Guest(7), "g:7"),
            (ActorId::Anonymous, "anonimo"),
            (ActorId::Others, "*"),
            (ActorId::Nobody, ""),
        ] {
            assert_eq!(id.to_string(), text);
            assert_eq!(text.parse::<ActorId>(), Ok(id));
            let json = serde_json::to_string(&id).unwrap();
            assert_eq!(json, format!("\"{text}\""));
            assert_eq!(serde_json::from_str::<ActorId>(&json).unwrap(), id);
        }
        for bad in ["e:", "e:x", "x:1", "e1", "Anonimo"] {
            assert!(bad.parse::<ActorId>().is_err(), "{bad}");
        }
        // As map keys (votes by voter).
        let votes: std::collections::BTreeMap<ActorId, u32> =
            serde_json::from_str(r#"{"e:1":2,"*":3}"#).unwrap();
        assert_eq!(votes[&ActorId::Enrollment(1)], 2);
        assert_eq!(votes[&ActorId::Others], 3);
        assert_eq!(serde_json::to_string(&votes).unwrap(), r#"{"e:1":2,"*":3}"#);
    }
}
