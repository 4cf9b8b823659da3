//! Of what an export is made: which meetings, which Ambito, what becomes of hidden cards.
//!
//! The export page, the JSON API and the command line all build a [`Scope`]; every step of the
//! export reads it.

/// Which meetings an export covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Extent {
    /// One meeting (by id): a minuted session.
    Meeting(i64),
    /// Every meeting of a module (1-based number).
    Module(u32),
    /// Every meeting of the workshop.
    Workshop,
}

/// What happens to cards a facilitator hid. A card is often hidden because it held personal
/// data: its text is reprinted only when an organiser asks for it, and the file name says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HiddenCards {
    /// Left out (the default: the room did not see them).
    #[default]
    Omit,
    /// Listed apart in an appendix by reference, date and moderation reason, without their text
    /// (staff).
    Apart,
    /// Listed apart with their text (organisers only).
    ApartWithText,
}

impl HiddenCards {
    /// `nascosti=ometti|allegato|testo` (also `omit`, `apart`, `0`, `1`, `allegato-con-testo`).
    pub fn parse(s: &str) -> Option<HiddenCards> {
        match s.trim().to_lowercase().as_str() {
            "" | "ometti" | "omit" | "no" | "0" | "false" => Some(HiddenCards::Omit),
            "allegato" | "apart" | "elenca" | "si" | "sì" | "1" | "true" => {
                Some(HiddenCards::Apart)
            }
            "testo" | "allegato-con-testo" | "con-testo" | "text" => {
                Some(HiddenCards::ApartWithText)
            }
            _ => None,
        }
    }

    /// The query word of this choice.
    pub fn id(self) -> &'static str {
        match self {
            HiddenCards::Omit => "ometti",
            HiddenCards::Apart => "allegato",
            HiddenCards::ApartWithText => "testo",
        }
    }

    /// Whether hidden cards are listed at all.
    pub fn listed(self) -> bool {
        self != HiddenCards::Omit
    }

    /// Whether their text is reprinted.
    pub fn with_text(self) -> bool {
        self == HiddenCards::ApartWithText
    }
}

/// The meetings, the Ambito filter and the hidden-cards policy of one export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub extent: Extent,
    /// Only cards (and people) of this Ambito.
    pub ambito: Option<String>,
    pub hidden: HiddenCards,
}

impl Scope {
    /// "incontro 12, Ambito di Bergamo, nascosti in allegato": for logs and the audit trail.
    pub fn describe(&self) -> String {
        let mut s = match &self.extent {
            Extent::Meeting(id) => format!("incontro {id}"),
            Extent::Module(n) => format!("modulo {n}"),
            Extent::Workshop => "laboratorio".into(),
        };
        if let Some(a) = &self.ambito {
            s.push_str(&format!(", {a}"));
        }
        match self.hidden {
            HiddenCards::Omit => {}
            HiddenCards::Apart => s.push_str(", nascosti in allegato"),
            HiddenCards::ApartWithText => s.push_str(", nascosti in allegato con il testo"),
        }
        s
    }
}
