//! The board's event model, in one place.
//!
//! A board is the fold of its events: `apply(state, event)` is the only way state changes, and
//! the live room, the replay after a restart and the export all call it, so what the room saw is
//! what the document says. A client sends an [`Op`]; [`decide`] checks it against the current
//! state and the actor's rights and turns it into an [`Event`] (or refuses it with an Italian
//! message); the room stores the event, then applies it.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::cards::CardContent;
use super::text::FieldError;
use super::workshop::BoardTemplate;

/// Who did something on a board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// Stable id: "e:<enrollment>", "a:<account>" or "g:<guest>".
    pub id: String,
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

/// Why a card is not shown on the board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum CardState {
    Active,
    /// Withdrawn by its author.
    Withdrawn,
    /// Hidden by a facilitator, with the reason.
    Hidden {
        reason: String,
        by: String,
    },
    /// Merged into another card (a duplicate).
    Merged {
        into: String,
    },
}

/// A card on the board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Card {
    pub id: String,
    /// Column (card kind) it currently sits in.
    pub column: String,
    pub content: CardContent,
    pub author: Actor,
    /// Entered by a facilitator for someone without a device: that person's name and body.
    pub on_behalf_of: Option<OnBehalf>,
    pub anonymous: bool,
    pub state: CardState,
    pub group: Option<String>,
    /// Votes by voter id.
    pub votes: BTreeMap<String, u32>,
    pub comments: Vec<Comment>,
    /// False while the phase keeps new cards hidden until the facilitator reveals them.
    pub revealed: bool,
    pub created_seq: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// Carried over from an earlier meeting: (meeting id, card id).
    pub carried_from: Option<(i64, String)>,
    /// Ids of the cards merged into this one.
    pub merged: Vec<String>,
}

impl Card {
    pub fn total_votes(&self) -> u32 {
        self.votes.values().sum()
    }

    pub fn is_active(&self) -> bool {
        self.state == CardState::Active
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnBehalf {
    pub name: String,
    #[serde(default)]
    pub organisation: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    pub id: String,
    pub author: Actor,
    pub text: String,
    pub at: i64,
}

/// A named theme grouping cards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub id: String,
    pub title: String,
    pub column: String,
}

/// The shared timer: every screen shows the same countdown from `ends_at` (server time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Timer {
    Running { ends_at: i64, duration_ms: i64 },
    Paused { remaining_ms: i64, duration_ms: i64 },
}

/// The whole board of one meeting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoardState {
    pub meeting_id: i64,
    /// Last applied event.
    pub seq: i64,
    pub template: BoardTemplate,
    pub phase: String,
    pub locked: bool,
    /// Whether participants may post anonymous cards.
    pub anonymous_allowed: bool,
    /// New cards stay hidden from other participants until revealed.
    pub blind: bool,
    /// Vote budget per person per phase, when a facilitator changed the default.
    pub vote_budgets: BTreeMap<String, u32>,
    /// Votes spent: phase → voter → count.
    pub spent: BTreeMap<String, BTreeMap<String, u32>>,
    pub cards: BTreeMap<String, Card>,
    pub card_order: Vec<String>,
    pub groups: BTreeMap<String, Group>,
    pub timer: Option<Timer>,
    pub spotlight: Option<String>,
    /// Guest join code, when a facilitator enabled one.
    pub guest_code: Option<String>,
    /// Phases that have been visited, in order (for the minutes).
    pub history: Vec<PhaseChange>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseChange {
    pub phase: String,
    pub at: i64,
    pub by: String,
}

/// An operation a client asks for.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Op {
    AddCard {
        card_id: String,
        #[serde(default)]
        column: Option<String>,
        #[serde(default)]
        anonymous: bool,
        #[serde(default)]
        on_behalf_of: Option<OnBehalf>,
        #[serde(flatten)]
        content: CardContent,
    },
    EditCard {
        card_id: String,
        #[serde(flatten)]
        content: CardContent,
    },
    WithdrawCard {
        card_id: String,
    },
    Vote {
        card_id: String,
    },
    Unvote {
        card_id: String,
    },
    Comment {
        card_id: String,
        comment_id: String,
        text: String,
    },
    SetPhase {
        phase: String,
    },
    Lock {
        locked: bool,
    },
    Hide {
        card_id: String,
        reason: String,
    },
    Restore {
        card_id: String,
    },
    Merge {
        into: String,
        cards: Vec<String>,
    },
    CreateGroup {
        group_id: String,
        title: String,
        column: String,
    },
    RenameGroup {
        group_id: String,
        title: String,
    },
    Group {
        card_id: String,
        group_id: Option<String>,
    },
    Move {
        card_id: String,
        column: String,
    },
    SetBlind {
        blind: bool,
    },
    Reveal {},
    Timer {
        action: TimerAction,
        #[serde(default)]
        seconds: Option<i64>,
    },
    Spotlight {
        card_id: Option<String>,
    },
    SetGuestCode {
        enabled: bool,
    },
    SetAnonymous {
        allowed: bool,
    },
    SetVoteBudget {
        phase: String,
        budget: u32,
    },
    /// Carry cards over from an earlier meeting of the workshop, by their ids there. The server
    /// resolves it into [`Op::CarryOverCards`] with the cards' content and authors.
    CarryOver {
        from_meeting: i64,
        cards: Vec<String>,
    },
    /// A resolved carry-over. Never accepted from clients: they could invent authors.
    #[serde(skip_deserializing)]
    CarryOverCards {
        from_meeting: i64,
        cards: Vec<CarriedCard>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimerAction {
    Start,
    Pause,
    Resume,
    Stop,
}

/// A card copied from an earlier meeting (the room fills these from that meeting's board).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CarriedCard {
    pub from_card: String,
    pub card_id: String,
    pub column: String,
    pub content: CardContent,
    pub author: Actor,
    pub anonymous: bool,
}

/// What happened: stored in `board_events`, applied by [`apply`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    CardAdded {
        card_id: String,
        column: String,
        anonymous: bool,
        #[serde(default)]
        on_behalf_of: Option<OnBehalf>,
        revealed: bool,
        content: CardContent,
    },
    CardEdited {
        card_id: String,
        content: CardContent,
    },
    CardWithdrawn {
        card_id: String,
    },
    Voted {
        card_id: String,
        phase: String,
    },
    Unvoted {
        card_id: String,
        phase: String,
    },
    Commented {
        card_id: String,
        comment_id: String,
        text: String,
    },
    PhaseSet {
        phase: String,
    },
    Locked {
        locked: bool,
    },
    CardHidden {
        card_id: String,
        reason: String,
    },
    CardRestored {
        card_id: String,
    },
    CardsMerged {
        into: String,
        cards: Vec<String>,
    },
    GroupCreated {
        group_id: String,
        title: String,
        column: String,
    },
    GroupRenamed {
        group_id: String,
        title: String,
    },
    CardGrouped {
        card_id: String,
        group_id: Option<String>,
    },
    CardMoved {
        card_id: String,
        column: String,
    },
    BlindSet {
        blind: bool,
    },
    Revealed {
        cards: Vec<String>,
    },
    TimerSet {
        timer: Option<Timer>,
    },
    Spotlighted {
        card_id: Option<String>,
    },
    GuestCodeSet {
        code: Option<String>,
    },
    AnonymousSet {
        allowed: bool,
    },
    VoteBudgetSet {
        phase: String,
        budget: u32,
    },
    CardsCarriedOver {
        from_meeting: i64,
        cards: Vec<CarriedCard>,
    },
}

/// An event as stored, with its sequence number and actor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    pub seq: i64,
    pub op_id: String,
    pub actor: Actor,
    pub at: i64,
    pub event: Event,
}

/// Why an operation was refused: a code for programs and an Italian message for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
}

impl Refusal {
    fn new(code: &'static str, message: impl Into<String>) -> Refusal {
        Refusal {
            code,
            message: message.into(),
            fields: vec![],
        }
    }
}

fn forbidden() -> Refusal {
    Refusal::new("forbidden", "Solo chi conduce l'incontro può farlo.")
}

/// The longest id a client may choose (cards, groups, comments).
const MAX_ID: usize = 64;

fn check_id(id: &str) -> Result<(), Refusal> {
    if id.is_empty()
        || id.len() > MAX_ID
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(Refusal::new("invalid_id", "Identificativo non valido."));
    }
    Ok(())
}

impl BoardState {
    /// An empty board for a meeting, from its template.
    pub fn new(meeting_id: i64, template: BoardTemplate) -> BoardState {
        let phase = template
            .phases
            .first()
            .cloned()
            .unwrap_or_else(|| "raccolta".into());
        BoardState {
            meeting_id,
            seq: 0,
            template,
            phase,
            locked: false,
            anonymous_allowed: false,
            blind: false,
            vote_budgets: BTreeMap::new(),
            spent: BTreeMap::new(),
            cards: BTreeMap::new(),
            card_order: Vec::new(),
            groups: BTreeMap::new(),
            timer: None,
            spotlight: None,
            guest_code: None,
            history: Vec::new(),
        }
    }

    /// The vote budget per person in a phase.
    pub fn vote_budget(&self, phase: &str) -> u32 {
        self.vote_budgets
            .get(phase)
            .copied()
            .unwrap_or(phase_rules(phase).1)
    }

    pub fn votes_spent(&self, phase: &str, voter: &str) -> u32 {
        self.spent
            .get(phase)
            .and_then(|m| m.get(voter))
            .copied()
            .unwrap_or(0)
    }

    fn participant_may(&self, actor: &Actor, p: Permission) -> Result<(), Refusal> {
        if actor.is_facilitator() {
            return Ok(());
        }
        if self.locked {
            return Err(Refusal::new(
                "locked",
                "La lavagna è bloccata dal conduttore.",
            ));
        }
        if !phase_rules(&self.phase).0.contains(&p) {
            let what = match p {
                Permission::AddCard => "aggiungere contributi",
                Permission::EditOwnCard => "modificare i contributi",
                Permission::Comment => "commentare",
                Permission::Vote => "votare",
            };
            return Err(Refusal::new(
                "phase",
                format!(
                    "In questa fase ({}) non si può {what}.",
                    phase_label(&self.phase)
                ),
            ));
        }
        Ok(())
    }

    fn card(&self, id: &str) -> Result<&Card, Refusal> {
        self.cards
            .get(id)
            .ok_or_else(|| Refusal::new("not_found", "Contributo non trovato."))
    }

    fn active_card(&self, id: &str) -> Result<&Card, Refusal> {
        let c = self.card(id)?;
        if !c.is_active() {
            return Err(Refusal::new(
                "not_active",
                "Questo contributo non è più sulla lavagna.",
            ));
        }
        Ok(c)
    }

    fn column_exists(&self, column: &str) -> Result<(), Refusal> {
        if self.template.columns.iter().any(|c| c.card_type == column) {
            Ok(())
        } else {
            Err(Refusal::new(
                "invalid_column",
                "Colonna non prevista in questa lavagna.",
            ))
        }
    }

    /// Whether `viewer` may see a card (facilitators see everything).
    /// Whether the board holds anything of this person's own (a card, a vote): then their view
    /// differs from the public one.
    pub fn has_own(&self, actor_id: &str) -> bool {
        self.cards
            .values()
            .any(|c| c.author.id == actor_id || c.votes.contains_key(actor_id))
            || self.spent.values().any(|m| m.contains_key(actor_id))
    }

    pub fn visible_to(&self, card: &Card, viewer: &Actor) -> bool {
        if viewer.is_facilitator() {
            return true;
        }
        match &card.state {
            CardState::Active => card.revealed || card.author.id == viewer.id,
            _ => false,
        }
    }
}

/// Checks an operation and turns it into the event to store. `policy_areas` come from the
/// workshop; `new_guest_code` is used only by `SetGuestCode` (randomness stays outside).
pub fn decide(
    state: &BoardState,
    actor: &Actor,
    op: Op,
    policy_areas: &[String],
    new_guest_code: impl FnOnce() -> String,
    now: i64,
) -> Result<Event, Refusal> {
    let facilitator_only = || {
        if actor.is_facilitator() {
            Ok(())
        } else {
            Err(forbidden())
        }
    };
    let validate = |mut content: CardContent| -> Result<CardContent, Refusal> {
        content.validate(policy_areas).map_err(|fields| Refusal {
            code: "invalid",
            message: fields
                .first()
                .map(|f| f.message.clone())
                .unwrap_or_default(),
            fields,
        })?;
        Ok(content)
    };
    Ok(match op {
        Op::AddCard {
            card_id,
            column,
            anonymous,
            on_behalf_of,
            content,
        } => {
            check_id(&card_id)?;
            if state.cards.contains_key(&card_id) {
                return Err(Refusal::new(
                    "duplicate_id",
                    "Esiste già un contributo con questo identificativo.",
                ));
            }
            state.participant_may(actor, Permission::AddCard)?;
            let column = column.unwrap_or_else(|| content.card_type().to_string());
            state.column_exists(&column)?;
            if !state
                .template
                .columns
                .iter()
                .any(|c| c.card_type == content.card_type())
            {
                return Err(Refusal::new(
                    "invalid_type",
                    "Tipo di contributo non previsto in questa lavagna.",
                ));
            }
            if anonymous && !state.anonymous_allowed && !actor.is_facilitator() {
                return Err(Refusal::new(
                    "anonymous_off",
                    "Il conduttore non ha abilitato i contributi anonimi.",
                ));
            }
            if on_behalf_of.is_some() && !actor.is_facilitator() {
                return Err(forbidden());
            }
            let on_behalf_of = match on_behalf_of {
                Some(mut o) => {
                    o.name = o.name.trim().to_string();
                    o.organisation = o
                        .organisation
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty());
                    if o.name.is_empty() || o.name.chars().count() > 120 {
                        return Err(Refusal::new(
                            "invalid",
                            "Indica il nome della persona per cui scrivi.",
                        ));
                    }
                    Some(o)
                }
                None => None,
            };
            Event::CardAdded {
                card_id,
                column,
                anonymous,
                on_behalf_of,
                revealed: !state.blind,
                content: validate(content)?,
            }
        }
        Op::EditCard { card_id, content } => {
            let card = state.active_card(&card_id)?;
            if card.author.id != actor.id && !actor.is_facilitator() {
                return Err(Refusal::new(
                    "not_author",
                    "Puoi modificare solo i tuoi contributi.",
                ));
            }
            state.participant_may(actor, Permission::EditOwnCard)?;
            if content.card_type() != card.content.card_type() {
                return Err(Refusal::new(
                    "invalid_type",
                    "Non si può cambiare il tipo di un contributo.",
                ));
            }
            Event::CardEdited {
                card_id,
                content: validate(content)?,
            }
        }
        Op::WithdrawCard { card_id } => {
            let card = state.active_card(&card_id)?;
            if card.author.id != actor.id && !actor.is_facilitator() {
                return Err(Refusal::new(
                    "not_author",
                    "Puoi ritirare solo i tuoi contributi.",
                ));
            }
            state.participant_may(actor, Permission::EditOwnCard)?;
            Event::CardWithdrawn { card_id }
        }
        Op::Vote { card_id } => {
            let card = state.active_card(&card_id)?;
            if !state.visible_to(card, actor) {
                return Err(Refusal::new("not_found", "Contributo non trovato."));
            }
            state.participant_may(actor, Permission::Vote)?;
            let budget = state.vote_budget(&state.phase);
            if budget == 0 {
                return Err(Refusal::new("phase", "In questa fase non si vota."));
            }
            if state.votes_spent(&state.phase, &actor.id) >= budget {
                return Err(Refusal::new(
                    "budget",
                    format!(
                        "Hai già usato tutti i tuoi {budget} voti di questa fase: togline uno per votare altro."
                    ),
                ));
            }
            Event::Voted {
                card_id,
                phase: state.phase.clone(),
            }
        }
        Op::Unvote { card_id } => {
            state.active_card(&card_id)?;
            state.participant_may(actor, Permission::Vote)?;
            let mine = state.cards[&card_id]
                .votes
                .get(&actor.id)
                .copied()
                .unwrap_or(0);
            if mine == 0 || state.votes_spent(&state.phase, &actor.id) == 0 {
                return Err(Refusal::new(
                    "no_vote",
                    "Non hai voti da togliere da questo contributo in questa fase.",
                ));
            }
            Event::Unvoted {
                card_id,
                phase: state.phase.clone(),
            }
        }
        Op::Comment {
            card_id,
            comment_id,
            text,
        } => {
            check_id(&comment_id)?;
            let card = state.active_card(&card_id)?;
            if !state.visible_to(card, actor) {
                return Err(Refusal::new("not_found", "Contributo non trovato."));
            }
            state.participant_may(actor, Permission::Comment)?;
            if card.comments.iter().any(|c| c.id == comment_id) {
                return Err(Refusal::new("duplicate_id", "Commento già presente."));
            }
            let text: String = text
                .trim()
                .chars()
                .filter(|c| !c.is_control() || *c == '\n')
                .collect();
            if text.is_empty() {
                return Err(Refusal::new("invalid", "Scrivi il testo del commento."));
            }
            if text.chars().count() > 2000 {
                return Err(Refusal::new(
                    "invalid",
                    "Commento troppo lungo (al massimo 2000 caratteri).",
                ));
            }
            Event::Commented {
                card_id,
                comment_id,
                text,
            }
        }
        Op::SetPhase { phase } => {
            facilitator_only()?;
            if !state.template.phases.contains(&phase) {
                return Err(Refusal::new(
                    "invalid_phase",
                    "Fase non prevista in questa lavagna.",
                ));
            }
            Event::PhaseSet { phase }
        }
        Op::Lock { locked } => {
            facilitator_only()?;
            Event::Locked { locked }
        }
        Op::Hide { card_id, reason } => {
            facilitator_only()?;
            state.active_card(&card_id)?;
            let reason = reason.trim().to_string();
            if reason.is_empty() || reason.chars().count() > 500 {
                return Err(Refusal::new(
                    "invalid",
                    "Indica il motivo (al massimo 500 caratteri).",
                ));
            }
            Event::CardHidden { card_id, reason }
        }
        Op::Restore { card_id } => {
            facilitator_only()?;
            let card = state.card(&card_id)?;
            if !matches!(card.state, CardState::Hidden { .. }) {
                return Err(Refusal::new("not_hidden", "Il contributo non è nascosto."));
            }
            Event::CardRestored { card_id }
        }
        Op::Merge { into, cards } => {
            facilitator_only()?;
            state.active_card(&into)?;
            if cards.is_empty() || cards.contains(&into) {
                return Err(Refusal::new(
                    "invalid",
                    "Scegli i doppioni da unire a un altro contributo.",
                ));
            }
            for c in &cards {
                state.active_card(c)?;
            }
            Event::CardsMerged { into, cards }
        }
        Op::CreateGroup {
            group_id,
            title,
            column,
        } => {
            facilitator_only()?;
            check_id(&group_id)?;
            state.column_exists(&column)?;
            if state.groups.contains_key(&group_id) {
                return Err(Refusal::new("duplicate_id", "Tema già presente."));
            }
            Event::GroupCreated {
                group_id,
                title: group_title(&title)?,
                column,
            }
        }
        Op::RenameGroup { group_id, title } => {
            facilitator_only()?;
            if !state.groups.contains_key(&group_id) {
                return Err(Refusal::new("not_found", "Tema non trovato."));
            }
            Event::GroupRenamed {
                group_id,
                title: group_title(&title)?,
            }
        }
        Op::Group { card_id, group_id } => {
            facilitator_only()?;
            let card = state.active_card(&card_id)?;
            if let Some(g) = &group_id {
                let group = state
                    .groups
                    .get(g)
                    .ok_or_else(|| Refusal::new("not_found", "Tema non trovato."))?;
                if group.column != card.column {
                    return Err(Refusal::new(
                        "invalid",
                        "Il tema appartiene a un'altra colonna: sposta prima il contributo.",
                    ));
                }
            }
            Event::CardGrouped { card_id, group_id }
        }
        Op::Move { card_id, column } => {
            facilitator_only()?;
            state.active_card(&card_id)?;
            state.column_exists(&column)?;
            Event::CardMoved { card_id, column }
        }
        Op::SetBlind { blind } => {
            facilitator_only()?;
            Event::BlindSet { blind }
        }
        Op::Reveal {} => {
            facilitator_only()?;
            let cards = state
                .card_order
                .iter()
                .filter(|id| !state.cards[*id].revealed)
                .cloned()
                .collect();
            Event::Revealed { cards }
        }
        Op::Timer { action, seconds } => {
            facilitator_only()?;
            let timer = match (action, &state.timer) {
                (TimerAction::Start, _) => {
                    let s = seconds.unwrap_or(0);
                    if !(1..=4 * 3600).contains(&s) {
                        return Err(Refusal::new(
                            "invalid",
                            "Durata del timer non valida (da 1 secondo a 4 ore).",
                        ));
                    }
                    Some(Timer::Running {
                        ends_at: now + s * 1000,
                        duration_ms: s * 1000,
                    })
                }
                (
                    TimerAction::Pause,
                    Some(Timer::Running {
                        ends_at,
                        duration_ms,
                    }),
                ) => Some(Timer::Paused {
                    remaining_ms: (ends_at - now).max(0),
                    duration_ms: *duration_ms,
                }),
                (
                    TimerAction::Resume,
                    Some(Timer::Paused {
                        remaining_ms,
                        duration_ms,
                    }),
                ) => Some(Timer::Running {
                    ends_at: now + remaining_ms,
                    duration_ms: *duration_ms,
                }),
                (TimerAction::Stop, _) => None,
                _ => {
                    return Err(Refusal::new(
                        "invalid",
                        "Il timer non è in uno stato che lo consente.",
                    ));
                }
            };
            Event::TimerSet { timer }
        }
        Op::Spotlight { card_id } => {
            facilitator_only()?;
            if let Some(id) = &card_id {
                state.active_card(id)?;
            }
            Event::Spotlighted { card_id }
        }
        Op::SetGuestCode { enabled } => {
            facilitator_only()?;
            Event::GuestCodeSet {
                code: enabled.then(new_guest_code),
            }
        }
        Op::SetAnonymous { allowed } => {
            facilitator_only()?;
            Event::AnonymousSet { allowed }
        }
        Op::SetVoteBudget { phase, budget } => {
            facilitator_only()?;
            if !state.template.phases.contains(&phase) || budget > 50 {
                return Err(Refusal::new(
                    "invalid",
                    "Fase o numero di voti non valido (al massimo 50).",
                ));
            }
            Event::VoteBudgetSet { phase, budget }
        }
        Op::CarryOver { .. } => {
            facilitator_only()?;
            return Err(Refusal::new(
                "invalid",
                "Riporto non risolto: scegli l'incontro e i contributi dalla console.",
            ));
        }
        Op::CarryOverCards {
            from_meeting,
            cards,
        } => {
            facilitator_only()?;
            if cards.is_empty() {
                return Err(Refusal::new("invalid", "Nessun contributo da riportare."));
            }
            for c in &cards {
                check_id(&c.card_id)?;
                state.column_exists(&c.column)?;
                if state.cards.contains_key(&c.card_id) {
                    return Err(Refusal::new("duplicate_id", "Contributo già riportato."));
                }
            }
            Event::CardsCarriedOver {
                from_meeting,
                cards,
            }
        }
    })
}

fn group_title(title: &str) -> Result<String, Refusal> {
    let t = title.trim();
    if t.is_empty() || t.chars().count() > 200 || t.chars().any(char::is_control) {
        return Err(Refusal::new(
            "invalid",
            "Indica il nome del tema (al massimo 200 caratteri).",
        ));
    }
    Ok(t.to_string())
}

/// Applies an event. Events were checked by [`decide`] when written; applying one that no longer
/// fits (e.g. a card that does not exist) leaves the state unchanged rather than failing, so a
/// replay can never be stopped by an old event.
pub fn apply(state: &mut BoardState, rec: &EventRecord) {
    state.seq = rec.seq;
    let at = rec.at;
    match &rec.event {
        Event::CardAdded {
            card_id,
            column,
            anonymous,
            on_behalf_of,
            revealed,
            content,
        } => {
            if state.cards.contains_key(card_id) {
                return;
            }
            state.card_order.push(card_id.clone());
            state.cards.insert(
                card_id.clone(),
                Card {
                    id: card_id.clone(),
                    column: column.clone(),
                    content: content.clone(),
                    author: rec.actor.clone(),
                    on_behalf_of: on_behalf_of.clone(),
                    anonymous: *anonymous,
                    state: CardState::Active,
                    group: None,
                    votes: BTreeMap::new(),
                    comments: Vec::new(),
                    revealed: *revealed,
                    created_seq: rec.seq,
                    created_at: at,
                    updated_at: at,
                    carried_from: None,
                    merged: Vec::new(),
                },
            );
        }
        Event::CardEdited { card_id, content } => {
            if let Some(c) = state.cards.get_mut(card_id) {
                c.content = content.clone();
                c.updated_at = at;
            }
        }
        Event::CardWithdrawn { card_id } => {
            set_card_state(state, card_id, CardState::Withdrawn, at)
        }
        Event::Voted { card_id, phase } => {
            if let Some(c) = state.cards.get_mut(card_id) {
                *c.votes.entry(rec.actor.id.clone()).or_default() += 1;
                *state
                    .spent
                    .entry(phase.clone())
                    .or_default()
                    .entry(rec.actor.id.clone())
                    .or_default() += 1;
            }
        }
        Event::Unvoted { card_id, phase } => {
            if let Some(c) = state.cards.get_mut(card_id) {
                if let Some(v) = c.votes.get_mut(&rec.actor.id) {
                    *v = v.saturating_sub(1);
                    if *v == 0 {
                        c.votes.remove(&rec.actor.id);
                    }
                }
                if let Some(s) = state
                    .spent
                    .get_mut(phase)
                    .and_then(|m| m.get_mut(&rec.actor.id))
                {
                    *s = s.saturating_sub(1);
                }
            }
        }
        Event::Commented {
            card_id,
            comment_id,
            text,
        } => {
            if let Some(c) = state.cards.get_mut(card_id) {
                c.comments.push(Comment {
                    id: comment_id.clone(),
                    author: rec.actor.clone(),
                    text: text.clone(),
                    at,
                });
            }
        }
        Event::PhaseSet { phase } => {
            state.phase = phase.clone();
            state.history.push(PhaseChange {
                phase: phase.clone(),
                at,
                by: rec.actor.name.clone(),
            });
        }
        Event::Locked { locked } => state.locked = *locked,
        Event::CardHidden { card_id, reason } => set_card_state(
            state,
            card_id,
            CardState::Hidden {
                reason: reason.clone(),
                by: rec.actor.name.clone(),
            },
            at,
        ),
        Event::CardRestored { card_id } => set_card_state(state, card_id, CardState::Active, at),
        Event::CardsMerged { into, cards } => {
            let mut moved_votes: BTreeMap<String, u32> = BTreeMap::new();
            let mut moved_comments = Vec::new();
            for id in cards {
                if let Some(c) = state.cards.get_mut(id) {
                    c.state = CardState::Merged { into: into.clone() };
                    for (voter, n) in std::mem::take(&mut c.votes) {
                        *moved_votes.entry(voter).or_default() += n;
                    }
                    moved_comments.append(&mut c.comments);
                }
            }
            if let Some(target) = state.cards.get_mut(into) {
                for (voter, n) in moved_votes {
                    *target.votes.entry(voter).or_default() += n;
                }
                target.comments.append(&mut moved_comments);
                target.merged.extend(cards.iter().cloned());
            }
            if state.spotlight.as_ref().is_some_and(|s| cards.contains(s)) {
                state.spotlight = Some(into.clone());
            }
        }
        Event::GroupCreated {
            group_id,
            title,
            column,
        } => {
            state.groups.insert(
                group_id.clone(),
                Group {
                    id: group_id.clone(),
                    title: title.clone(),
                    column: column.clone(),
                },
            );
        }
        Event::GroupRenamed { group_id, title } => {
            if let Some(g) = state.groups.get_mut(group_id) {
                g.title = title.clone();
            }
        }
        Event::CardGrouped { card_id, group_id } => {
            if let Some(c) = state.cards.get_mut(card_id) {
                c.group = group_id.clone();
            }
        }
        Event::CardMoved { card_id, column } => {
            if let Some(c) = state.cards.get_mut(card_id) {
                if &c.column != column {
                    c.column = column.clone();
                    c.group = None;
                }
            }
        }
        Event::BlindSet { blind } => state.blind = *blind,
        Event::Revealed { cards } => {
            for id in cards {
                if let Some(c) = state.cards.get_mut(id) {
                    c.revealed = true;
                }
            }
        }
        Event::TimerSet { timer } => state.timer = timer.clone(),
        Event::Spotlighted { card_id } => state.spotlight = card_id.clone(),
        Event::GuestCodeSet { code } => state.guest_code = code.clone(),
        Event::AnonymousSet { allowed } => state.anonymous_allowed = *allowed,
        Event::VoteBudgetSet { phase, budget } => {
            state.vote_budgets.insert(phase.clone(), *budget);
        }
        Event::CardsCarriedOver {
            from_meeting,
            cards,
        } => {
            for c in cards {
                if state.cards.contains_key(&c.card_id) {
                    continue;
                }
                state.card_order.push(c.card_id.clone());
                state.cards.insert(
                    c.card_id.clone(),
                    Card {
                        id: c.card_id.clone(),
                        column: c.column.clone(),
                        content: c.content.clone(),
                        author: c.author.clone(),
                        on_behalf_of: None,
                        anonymous: c.anonymous,
                        state: CardState::Active,
                        group: None,
                        votes: BTreeMap::new(),
                        comments: Vec::new(),
                        revealed: true,
                        created_seq: rec.seq,
                        created_at: at,
                        updated_at: at,
                        carried_from: Some((*from_meeting, c.from_card.clone())),
                        merged: Vec::new(),
                    },
                );
            }
        }
    }
}

/// A card's state changed (withdrawn, hidden, restored): that is an update of the card.
fn set_card_state(state: &mut BoardState, card_id: &str, new: CardState, at: i64) {
    if let Some(c) = state.cards.get_mut(card_id) {
        c.state = new;
        c.updated_at = at;
    }
    if state.spotlight.as_deref() == Some(card_id) {
        state.spotlight = None;
    }
}

/// Whether an event may be shown to people who are not facilitators as it is. Unrevealed cards
/// and moderation reasons are for facilitators (and the author) only.
pub fn event_is_public(event: &Event) -> bool {
    !matches!(
        event,
        Event::CardAdded {
            revealed: false,
            ..
        } | Event::CardHidden { .. }
            | Event::GuestCodeSet { .. }
    )
}

/// The state as one viewer may see it: invisible cards removed, anonymous authors hidden,
/// facilitator-only data blanked.
pub fn view_for(state: &BoardState, viewer: &Actor) -> BoardState {
    let mut v = state.clone();
    if viewer.is_facilitator() {
        return v;
    }
    v.cards.retain(|_, c| state.visible_to(c, viewer));
    v.card_order.retain(|id| v.cards.contains_key(id));
    for c in v.cards.values_mut() {
        if c.anonymous && c.author.id != viewer.id {
            c.author = anonymous_actor();
        }
        // Other people's votes are counted, not named.
        let total = c.total_votes();
        let mine = c.votes.get(&viewer.id).copied();
        c.votes.clear();
        if total > 0 {
            c.votes.insert("*".into(), total - mine.unwrap_or(0));
        }
        if let Some(m) = mine {
            c.votes.insert(viewer.id.clone(), m);
        }
    }
    for m in v.spent.values_mut() {
        m.retain(|voter, _| voter == &viewer.id);
    }
    // The join code is for staff to hand out (the projector shows it in the room).
    v.guest_code = None;
    v
}

/// A participant with nothing on the board: whose view is the public one.
pub fn nobody() -> Actor {
    Actor {
        id: String::new(),
        kind: ActorKind::Participant,
        name: String::new(),
        organisation: None,
        ambito: None,
    }
}

/// The author shown for an anonymous card.
pub fn anonymous_actor() -> Actor {
    Actor {
        id: "anonimo".into(),
        kind: ActorKind::Participant,
        name: "Anonimo".into(),
        organisation: None,
        ambito: None,
    }
}

/// The set of card ids on the board that are shown (for counts and exports).
pub fn active_cards(state: &BoardState) -> impl Iterator<Item = &Card> {
    state
        .card_order
        .iter()
        .filter_map(|id| state.cards.get(id))
        .filter(|c| c.is_active())
}

/// Card ids grouped under each theme, in board order.
pub fn themes(state: &BoardState) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for c in active_cards(state) {
        if let Some(g) = &c.group {
            out.entry(g.clone()).or_default().insert(c.id.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template() -> BoardTemplate {
        crate::domain::defaults::board_template()
    }

    fn person(id: &str) -> Actor {
        Actor {
            id: id.into(),
            kind: ActorKind::Participant,
            name: id.into(),
            organisation: Some("Comune di Lecco".into()),
            ambito: None,
        }
    }

    fn conductor() -> Actor {
        Actor {
            id: "a:1".into(),
            kind: ActorKind::Facilitator,
            name: "Silvia".into(),
            organisation: None,
            ambito: None,
        }
    }

    struct Board {
        state: BoardState,
        /// The clock of the next operation.
        now: i64,
    }

    impl Board {
        fn new() -> Board {
            Board {
                state: BoardState::new(1, template()),
                now: 1000,
            }
        }

        fn op(&mut self, actor: &Actor, json: &str) -> Result<(), Refusal> {
            let op: Op = serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"));
            let event = decide(&self.state, actor, op, &[], || "ABC123".into(), self.now)?;
            let rec = EventRecord {
                seq: self.state.seq + 1,
                op_id: format!("op{}", self.state.seq + 1),
                actor: actor.clone(),
                at: self.now,
                event,
            };
            // Events survive a round trip through their stored form.
            let stored = serde_json::to_string(&rec).unwrap();
            apply(&mut self.state, &serde_json::from_str(&stored).unwrap());
            Ok(())
        }
    }

    #[test]
    fn ops_use_the_flat_wire_format() {
        let op: Op = serde_json::from_str(r#"{"kind":"add_card","card_id":"c1","card_type":"bisogno","text":"Solitudine degli anziani","policy_area":"Anziani"}"#).unwrap();
        let Op::AddCard {
            content: CardContent::Bisogno(n),
            ..
        } = op
        else {
            panic!("{op:?}")
        };
        assert_eq!(n.policy_area.as_deref(), Some("Anziani"));
        let op: Op = serde_json::from_str(r#"{"kind":"add_card","card_id":"c2","card_type":"indicatore","name":"Utenti SAD","baseline_value":"3","baseline_date":"2021-12-31"}"#).unwrap();
        assert!(matches!(
            op,
            Op::AddCard {
                content: CardContent::Indicatore(_),
                ..
            }
        ));
        assert!(serde_json::from_str::<Op>(r#"{"kind":"teleport"}"#).is_err());
    }

    #[test]
    fn phases_say_what_participants_may_do() {
        let mut b = Board::new();
        let maria = person("e:1");
        let err = b
            .op(
                &maria,
                r#"{"kind":"add_card","card_id":"c1","card_type":"bisogno","text":"x"}"#,
            )
            .unwrap_err();
        assert_eq!(err.code, "phase");
        assert!(err.message.contains("Preparazione"));
        assert_eq!(
            b.op(&maria, r#"{"kind":"set_phase","phase":"raccolta"}"#)
                .unwrap_err()
                .code,
            "forbidden"
        );
        b.op(&conductor(), r#"{"kind":"set_phase","phase":"raccolta"}"#)
            .unwrap();
        b.op(
            &maria,
            r#"{"kind":"add_card","card_id":"c1","card_type":"bisogno","text":"Solitudine"}"#,
        )
        .unwrap();
        b.op(&conductor(), r#"{"kind":"lock","locked":true}"#)
            .unwrap();
        assert_eq!(
            b.op(
                &maria,
                r#"{"kind":"add_card","card_id":"c2","card_type":"bisogno","text":"y"}"#
            )
            .unwrap_err()
            .code,
            "locked"
        );
        b.op(&conductor(), r#"{"kind":"lock","locked":false}"#)
            .unwrap();
        // Only the author edits a card.
        let luca = person("e:2");
        assert_eq!(
            b.op(
                &luca,
                r#"{"kind":"edit_card","card_id":"c1","card_type":"bisogno","text":"z"}"#
            )
            .unwrap_err()
            .code,
            "not_author"
        );
        b.op(&maria, r#"{"kind":"edit_card","card_id":"c1","card_type":"bisogno","text":"Solitudine degli anziani soli"}"#).unwrap();
        assert_eq!(
            b.state.cards["c1"].content.title(),
            "Solitudine degli anziani soli"
        );
    }

    #[test]
    fn votes_stay_within_the_budget_of_the_phase() {
        let mut b = Board::new();
        let maria = person("e:1");
        b.op(&conductor(), r#"{"kind":"set_phase","phase":"raccolta"}"#)
            .unwrap();
        b.op(
            &maria,
            r#"{"kind":"add_card","card_id":"c1","card_type":"bisogno","text":"a"}"#,
        )
        .unwrap();
        assert_eq!(
            b.op(&maria, r#"{"kind":"vote","card_id":"c1"}"#)
                .unwrap_err()
                .code,
            "phase"
        );
        b.op(&conductor(), r#"{"kind":"set_phase","phase":"voto"}"#)
            .unwrap();
        b.op(
            &conductor(),
            r#"{"kind":"set_vote_budget","phase":"voto","budget":2}"#,
        )
        .unwrap();
        b.op(&maria, r#"{"kind":"vote","card_id":"c1"}"#).unwrap();
        b.op(&maria, r#"{"kind":"vote","card_id":"c1"}"#).unwrap();
        let err = b
            .op(&maria, r#"{"kind":"vote","card_id":"c1"}"#)
            .unwrap_err();
        assert_eq!(err.code, "budget");
        b.op(&maria, r#"{"kind":"unvote","card_id":"c1"}"#).unwrap();
        b.op(&maria, r#"{"kind":"vote","card_id":"c1"}"#).unwrap();
        assert_eq!(b.state.cards["c1"].total_votes(), 2);
    }

    #[test]
    fn blind_cards_are_seen_by_their_author_and_facilitators_until_revealed() {
        let mut b = Board::new();
        let (maria, luca) = (person("e:1"), person("e:2"));
        b.op(&conductor(), r#"{"kind":"set_phase","phase":"raccolta"}"#)
            .unwrap();
        b.op(&conductor(), r#"{"kind":"set_blind","blind":true}"#)
            .unwrap();
        b.op(
            &maria,
            r#"{"kind":"add_card","card_id":"c1","card_type":"bisogno","text":"segreto"}"#,
        )
        .unwrap();
        assert!(view_for(&b.state, &maria).cards.contains_key("c1"));
        assert!(!view_for(&b.state, &luca).cards.contains_key("c1"));
        assert!(view_for(&b.state, &conductor()).cards.contains_key("c1"));
        b.op(&conductor(), r#"{"kind":"reveal"}"#).unwrap();
        assert!(view_for(&b.state, &luca).cards.contains_key("c1"));
    }

    #[test]
    fn hide_merge_group_move_spotlight_and_timer() {
        let mut b = Board::new();
        let maria = person("e:1");
        let f = conductor();
        b.op(&f, r#"{"kind":"set_phase","phase":"raccolta"}"#)
            .unwrap();
        for id in ["c1", "c2", "c3"] {
            b.op(
                &maria,
                &format!(
                    r#"{{"kind":"add_card","card_id":"{id}","card_type":"bisogno","text":"{id}"}}"#
                ),
            )
            .unwrap();
        }
        assert_eq!(
            b.op(
                &maria,
                r#"{"kind":"hide","card_id":"c3","reason":"fuori tema"}"#
            )
            .unwrap_err()
            .code,
            "forbidden"
        );
        b.op(
            &f,
            r#"{"kind":"hide","card_id":"c3","reason":"fuori tema"}"#,
        )
        .unwrap();
        assert!(!view_for(&b.state, &maria).cards.contains_key("c3"));
        b.op(&f, r#"{"kind":"restore","card_id":"c3"}"#).unwrap();
        b.op(&f, r#"{"kind":"merge","into":"c1","cards":["c2"]}"#)
            .unwrap();
        assert_eq!(
            b.state.cards["c2"].state,
            CardState::Merged { into: "c1".into() }
        );
        assert_eq!(active_cards(&b.state).count(), 2);
        b.op(
            &f,
            r#"{"kind":"create_group","group_id":"g1","title":"Anziani soli","column":"bisogno"}"#,
        )
        .unwrap();
        b.op(&f, r#"{"kind":"group","card_id":"c1","group_id":"g1"}"#)
            .unwrap();
        assert_eq!(b.state.cards["c1"].group.as_deref(), Some("g1"));
        b.op(&f, r#"{"kind":"move","card_id":"c1","column":"proposta"}"#)
            .unwrap();
        assert_eq!(
            b.state.cards["c1"].group, None,
            "moving leaves the theme of the old column"
        );
        b.op(&f, r#"{"kind":"spotlight","card_id":"c3"}"#).unwrap();
        assert_eq!(b.state.spotlight.as_deref(), Some("c3"));
        b.op(&f, r#"{"kind":"timer","action":"start","seconds":300}"#)
            .unwrap();
        assert_eq!(
            b.state.timer,
            Some(Timer::Running {
                ends_at: 301_000,
                duration_ms: 300_000
            })
        );
        b.op(&f, r#"{"kind":"timer","action":"pause"}"#).unwrap();
        assert!(matches!(b.state.timer, Some(Timer::Paused { .. })));
        assert_eq!(
            b.op(&f, r#"{"kind":"timer","action":"start","seconds":0}"#)
                .unwrap_err()
                .code,
            "invalid"
        );
    }

    #[test]
    fn withdrawing_hiding_and_restoring_update_the_card() {
        let mut b = Board::new();
        let maria = person("e:1");
        let f = conductor();
        b.op(&f, r#"{"kind":"set_phase","phase":"raccolta"}"#)
            .unwrap();
        b.op(
            &maria,
            r#"{"kind":"add_card","card_id":"c1","card_type":"bisogno","text":"a"}"#,
        )
        .unwrap();
        b.op(
            &maria,
            r#"{"kind":"add_card","card_id":"c2","card_type":"bisogno","text":"b"}"#,
        )
        .unwrap();
        b.now = 2000;
        b.op(
            &f,
            r#"{"kind":"hide","card_id":"c1","reason":"dati personali"}"#,
        )
        .unwrap();
        assert_eq!(b.state.cards["c1"].updated_at, 2000);
        b.now = 3000;
        b.op(&f, r#"{"kind":"restore","card_id":"c1"}"#).unwrap();
        assert_eq!(b.state.cards["c1"].updated_at, 3000);
        b.now = 4000;
        b.op(&maria, r#"{"kind":"withdraw_card","card_id":"c2"}"#)
            .unwrap();
        assert_eq!(b.state.cards["c2"].updated_at, 4000);
        assert_eq!(b.state.cards["c2"].created_at, 1000);
    }

    #[test]
    fn anonymous_cards_hide_their_author_from_others() {
        let mut b = Board::new();
        let (maria, luca) = (person("e:1"), person("e:2"));
        b.op(&conductor(), r#"{"kind":"set_phase","phase":"raccolta"}"#)
            .unwrap();
        assert_eq!(b.op(&maria, r#"{"kind":"add_card","card_id":"c1","card_type":"bisogno","text":"a","anonymous":true}"#).unwrap_err().code, "anonymous_off");
        b.op(&conductor(), r#"{"kind":"set_anonymous","allowed":true}"#)
            .unwrap();
        b.op(&maria, r#"{"kind":"add_card","card_id":"c1","card_type":"bisogno","text":"a","anonymous":true}"#).unwrap();
        assert_eq!(view_for(&b.state, &luca).cards["c1"].author.name, "Anonimo");
        assert_eq!(view_for(&b.state, &maria).cards["c1"].author.name, "e:1");
    }
}
