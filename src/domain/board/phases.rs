//! Phases of a session and what each allows participants to do. Phases are data (board
//! templates list them); the rules of the well-known phase names are defined here.

/// The phase from which facilitators write the synthesis (see `super::synthesis`).
pub const SYNTHESIS_PHASE: &str = "sintesi";

/// What a participant may do in a phase (facilitators may always act).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    AddCard,
    EditOwnCard,
    Comment,
    Vote,
}

/// The rules of a phase: which participant actions it allows and the vote budget per person.
/// Phases are data (board templates list them); the rules of the well-known phase names are
/// defined here, and an unknown phase allows comments only.
pub fn phase_rules(phase: &str) -> (&'static [Permission], u32) {
    use Permission::*;
    match phase {
        "preparazione" | "chiuso" => (&[], 0),
        "raccolta" => (&[AddCard, EditOwnCard, Comment], 0),
        "raggruppamento" | "sintesi" => (&[Comment], 0),
        "voto" => (&[Vote, Comment], 5),
        _ => (&[Comment], 0),
    }
}

/// Italian label of a phase.
pub fn phase_label(phase: &str) -> String {
    match phase {
        "preparazione" => "Preparazione".into(),
        "raccolta" => "Raccolta dei contributi".into(),
        "raggruppamento" => "Raggruppamento".into(),
        "voto" => "Voto delle priorità".into(),
        "sintesi" => "Sintesi".into(),
        "chiuso" => "Chiuso".into(),
        other => {
            let mut c = other.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        }
    }
}
