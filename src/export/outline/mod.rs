//! What an export says, before it is a Word file, a CSV or a JSON document: the cards of the
//! meetings in scope, numbered once, with the views the documents need (needs by policy area,
//! priorities ranked by the room's votes, proposals, indicators, open questions, topics for
//! co-progettazione, traceability) and who took part, counted by organisation and role.
//!
//! Everything here is pure: it reads [`Session`]s — a meeting with the board folded by
//! [`crate::domain::board::apply`], the same fold the live room uses — and the workshop from
//! the catalogue. Rules that shape every export are applied here, once:
//!
//! - only cards the room saw are reported: active and revealed (hidden ones are left out, or
//!   listed apart when the scope asks for it; withdrawn ones never appear);
//! - a meeting's record is fixed: whatever the scope, a meeting appears with exactly its own
//!   cards, votes, comments and times, so its section in a module or workshop document is its
//!   own export; votes are those cast in that meeting, never added across meetings;
//! - every card is cited by its permanent reference, "M3-1/B01" (`domain::board::reference`),
//!   the same on the board, in the history and in every file;
//! - a card merged into another appears inside the card it joined, with its own text, author,
//!   organisation and time (and its votes, which the merge moved, see `apply`);
//! - a card carried over to a later meeting appears in each meeting it was discussed in: in the
//!   later one it names the card it was taken from and brings that card's author, first time,
//!   comments and merged duplicates;
//! - grouped cards appear under their theme; themes of different meetings with the same title
//!   and column are one theme;
//! - anonymous cards stay anonymous: neither their author nor the author's organisation is
//!   shown anywhere (the Ambito filter still applies to them);
//! - with an Ambito filter, cards count when their author declared that Ambito at enrollment,
//!   and the register counts only the people of that Ambito.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use super::scope::{Extent, Scope};
use crate::domain::board::{
    self, Actor, ActorId, ActorKind, BoardState, Card, CardState, Comment, Fund, MarkKind,
    Objective, OnBehalf, Synthesis, reference,
};
use crate::domain::cards::{CardContent, INDICATOR_TYPES};
use crate::domain::dates;
use crate::domain::workshop::{Meeting, Workshop};

/// One meeting in scope: its calendar data, its board (the fold of its events) and the people
/// marked present in its register.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: i64,
    pub module_number: u32,
    pub module_title: String,
    pub meeting: Meeting,
    pub board: BoardState,
    pub attendance: Vec<Attendee>,
    /// Guests who joined the meeting with its code (they are present by joining).
    pub guests: Vec<GuestAttendee>,
}

/// A person marked present in a meeting's register. Documents count people; the name never
/// leaves the register.
#[derive(Debug, Clone)]
pub struct Attendee {
    /// Enrollment id, to count distinct people across meetings.
    pub person: i64,
    pub organisation: String,
    /// Role label (e.g. "Responsabile Ufficio di Piano").
    pub role: String,
    pub ambito: Option<String>,
}

/// A guest of a meeting (joined with its code). Documents count guests by organisation; the
/// name never leaves the register.
#[derive(Debug, Clone)]
pub struct GuestAttendee {
    /// Guest id, the same as their board id (`ActorId::Guest`): counted once however often
    /// they also appear on the board.
    pub guest: i64,
    pub organisation: Option<String>,
    pub ambito: Option<String>,
}

/// Where a card goes in the documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `bisogno`: needs analysis.
    Need,
    /// `proposta`: governance proposals.
    Proposal,
    /// `indicatore`: monitoring indicators.
    Indicator,
    /// A template's own kind whose id speaks of questions or disagreement.
    OpenQuestion,
    /// A template's own kind whose id speaks of (co-)progettazione.
    CoDesign,
    /// Any other kind a template adds (services, resources, critical points…).
    Other,
}

impl Kind {
    /// Template kinds are data: their section is guessed from the kind's id, e.g. `questione`,
    /// `disaccordo`, `domanda` → open questions; `coprogettazione`, `tema-progettazione` → topics
    /// for co-progettazione; everything else (risorsa, servizio, criticita…) → section 4.
    pub fn of(content: &CardContent) -> Kind {
        match content {
            CardContent::Bisogno(_) => Kind::Need,
            CardContent::Proposta(_) => Kind::Proposal,
            CardContent::Indicatore(_) => Kind::Indicator,
            CardContent::Altro(p) => {
                let t = p.card_type.to_lowercase();
                if ["question", "disaccord", "domand", "dubbi"]
                    .iter()
                    .any(|k| t.contains(k))
                {
                    Kind::OpenQuestion
                } else if t.contains("progett") {
                    Kind::CoDesign
                } else {
                    Kind::Other
                }
            }
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::Need => "Bisogno",
            Kind::Proposal => "Proposta",
            Kind::Indicator => "Indicatore",
            Kind::OpenQuestion => "Questione aperta",
            Kind::CoDesign => "Tema per la co-progettazione",
            Kind::Other => "Contributo",
        }
    }
}

/// A card as the documents report it, with its reference.
#[derive(Debug, Clone)]
pub struct Item<'a> {
    /// The card's permanent reference, "M3-1/B01".
    pub reference: String,
    pub kind: Kind,
    /// Index into [`Outline::sessions`]: the meeting whose card this is.
    pub session: usize,
    pub card: &'a Card,
    /// Heading of the board column the card sits in.
    pub column_title: String,
    /// Title of the card's theme, if grouped.
    pub theme: Option<String>,
    /// The votes cast for it in its meeting (with those of duplicates merged into it there).
    pub votes: u32,
    /// Where a card carried over from an earlier meeting came from.
    pub origin: Option<Origin<'a>>,
    /// The duplicates merged into it, in this meeting and (for a carried card) before.
    pub merged: Vec<Merged<'a>>,
    /// Why a facilitator hid it (only for the hidden cards listed apart).
    pub hidden_reason: Option<&'a str>,
}

/// Where a carried card came from.
#[derive(Debug, Clone)]
pub struct Origin<'a> {
    /// The reference of the card it was taken from, "M3-1/B01" (unknown for carry-overs
    /// written before cards had references).
    pub reference: Option<&'a str>,
    /// That meeting, when it is in this export: index into [`Outline::sessions`].
    pub session: Option<usize>,
    /// When the card was first written.
    pub created_at: Option<i64>,
    /// The comments it received in earlier meetings.
    pub comments: &'a [Comment],
}

/// A duplicate merged into a card, as it was written.
#[derive(Debug, Clone)]
pub struct Merged<'a> {
    /// Its own reference.
    pub reference: Option<String>,
    /// Its card id on its board (merged in this meeting only).
    pub id: Option<&'a str>,
    pub content: &'a CardContent,
    author: &'a Actor,
    on_behalf_of: Option<&'a OnBehalf>,
    anonymous: bool,
    pub created_at: i64,
    /// Merged in an earlier meeting (brought along by a carry-over).
    pub earlier: bool,
}

impl<'a> Merged<'a> {
    /// Its author, unless it was anonymous; a card typed for someone names that person.
    pub fn author_name(&self) -> Option<&'a str> {
        if self.anonymous {
            return None;
        }
        Some(match self.on_behalf_of {
            Some(o) => o.name.as_str(),
            None => self.author.name.as_str(),
        })
    }

    /// Its author's organisation, unless it was anonymous.
    pub fn organisation(&self) -> Option<&'a str> {
        if self.anonymous {
            return None;
        }
        match self.on_behalf_of {
            Some(o) => o.organisation.as_deref(),
            None => self.author.organisation.as_deref(),
        }
    }

    /// Who wrote it, by kind (`None` when it was typed by a facilitator for someone).
    pub fn author_kind(&self) -> Option<ActorKind> {
        self.on_behalf_of.is_none().then_some(self.author.kind)
    }
}

impl<'a> Item<'a> {
    /// The author, unless the card is anonymous. A card typed by a facilitator for someone
    /// else names that person.
    pub fn author_name(&self) -> Option<&'a str> {
        if self.card.anonymous {
            return None;
        }
        Some(match &self.card.on_behalf_of {
            Some(o) => o.name.as_str(),
            None => self.card.author.name.as_str(),
        })
    }

    /// The organisation the card speaks for, unless the card is anonymous.
    pub fn organisation(&self) -> Option<&'a str> {
        if self.card.anonymous {
            return None;
        }
        self.card.organisation()
    }

    /// The Ambito the card speaks for, unless the card is anonymous.
    pub fn ambito(&self) -> Option<&'a str> {
        if self.card.anonymous {
            return None;
        }
        self.card.ambito()
    }

    pub fn title(&self) -> &'a str {
        self.card.content.title()
    }

    pub fn policy_area(&self) -> Option<&'a str> {
        self.card.content.policy_area()
    }

    /// Comments with their author shown, except the anonymous author's own comments.
    pub fn comments(&self) -> impl Iterator<Item = (&'a Comment, Option<&'a Actor>)> + use<'a> {
        shown_comments(self.card, &self.card.comments)
    }

    /// For a carried card, the comments it received in earlier meetings, shown the same way.
    pub fn earlier_comments(
        &self,
    ) -> impl Iterator<Item = (&'a Comment, Option<&'a Actor>)> + use<'a> {
        let earlier = self.origin.as_ref().map(|o| o.comments).unwrap_or(&[]);
        shown_comments(self.card, earlier)
    }
}

/// People in the register, counted.
#[derive(Debug, Clone, Default)]
pub struct Participation {
    /// By organisation (sorted by name): distinct people and presences (people × meetings).
    pub by_organisation: Vec<OrganisationCount>,
    /// By role label (sorted by count, then name): distinct people.
    pub by_role: Vec<(String, usize)>,
    pub people: usize,
    pub presences: usize,
    /// Guests (join code) who joined or contributed, by organisation: distinct guests. With an
    /// Ambito filter, only the guests who declared that Ambito.
    pub guests_by_organisation: Vec<(String, usize)>,
}

#[derive(Debug, Clone)]
pub struct OrganisationCount {
    pub organisation: String,
    pub ambito: Option<String>,
    pub people: usize,
    pub presences: usize,
}

/// One phase opened during a meeting, for the minutes.
#[derive(Debug, Clone)]
pub struct PhaseLine {
    pub phase: String,
    pub label: String,
    /// "HH:MM" in the workshop's time zone.
    pub at: String,
    pub by: String,
    /// The cards reported in this document that were written while this phase was open.
    pub produced: usize,
}

/// A meeting as the documents present it.
#[derive(Debug, Clone)]
pub struct SessionView<'a> {
    pub session: &'a Session,
    /// "12 febbraio 2027".
    pub date_label: String,
    /// "venerdì 12 febbraio 2027".
    pub date_long: String,
    /// "9:30–12:30".
    pub time_label: String,
    pub title: String,
    pub phases: Vec<PhaseLine>,
    pub participation: Participation,
    /// Staff who opened phases on the board, in order of first appearance.
    pub staff: Vec<String>,
}

/// Everything an export says.
#[derive(Debug)]
pub struct Outline<'a> {
    pub workshop: &'a Workshop,
    pub scope: &'a Scope,
    pub generated_at: DateTime<Utc>,
    pub sessions: Vec<SessionView<'a>>,
    /// Every card reported, once, in calendar and board order.
    pub items: Vec<Item<'a>>,
    /// Cards hidden by moderation, when the scope lists them apart.
    pub hidden: Vec<Item<'a>>,
    /// Cards still waiting to be revealed: the room did not see them, so they are not reported.
    pub unrevealed: usize,
    /// Anonymous cards left out because fewer than [`ANONYMITY_SET`] people could have written
    /// them in this scope (say, an Ambito with one person present): reporting them would name
    /// their author.
    pub anonymous_withheld: bool,
    /// The register of every meeting in scope, together.
    pub participation: Participation,
    /// Each meeting's written syntheses, by policy area (see [`Outline::syntheses_of`]).
    pub syntheses: Vec<SynthesisItem<'a>>,
    /// Each meeting's objectives that are part of the plan, in meeting and creation order.
    pub objectives: Vec<ObjectiveItem<'a>>,
}

/// The synthesis a meeting wrote for one policy area.
#[derive(Debug, Clone)]
pub struct SynthesisItem<'a> {
    /// Index into [`Outline::sessions`].
    pub session: usize,
    pub synthesis: &'a Synthesis,
}

/// An objective (obiettivo) of a meeting, as the documents report it: a *scheda obiettivo*.
#[derive(Debug, Clone)]
pub struct ObjectiveItem<'a> {
    /// "M3-1/O01".
    pub reference: String,
    /// Index into [`Outline::sessions`].
    pub session: usize,
    pub objective: &'a Objective,
    /// The needs it answers and the indicators that measure it, in the order they were linked
    /// (a card merged since is the card it joined).
    pub needs: Vec<Link>,
    pub indicators: Vec<Link>,
    /// The comments shown (with the Ambito filter, those of that Ambito's people and of the
    /// facilitators), in order.
    pub comments: Vec<&'a Comment>,
}

/// A card an objective links to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// Its reference, "M3-1/B04".
    pub reference: String,
    /// The card in [`Outline::items`], when this export reports it; `None` when it does not
    /// (hidden since, outside the Ambito filter, an anonymous card withheld): then the
    /// documents cite the reference alone, never the text.
    pub item: Option<usize>,
}

impl<'a> ObjectiveItem<'a> {
    pub fn title(&self) -> &'a str {
        &self.objective.content.title
    }

    pub fn policy_area(&self) -> Option<&'a str> {
        self.objective.content.policy_area.as_deref()
    }
}

/// The amounts of one fund across the objectives in scope.
#[derive(Debug, Clone)]
pub struct FundTotal {
    pub fund: Fund,
    pub cents: u64,
    /// How many objectives draw on it.
    pub objectives: usize,
}

/// Comments of `card` with their author, but never the name of an anonymous card's author.
fn shown_comments<'a>(
    card: &'a Card,
    comments: &'a [Comment],
) -> impl Iterator<Item = (&'a Comment, Option<&'a Actor>)> + use<'a> {
    // The fold flags the anonymous author's comments (`Comment::anonymous`), also once a merge
    // moved them under another card; older boards are recognised by the author.
    comments.iter().map(move |c| {
        let hide = c.anonymous || (card.anonymous && c.author.id == card.author.id);
        (c, (!hide).then_some(&c.author))
    })
}

/// The fewest people who must have been able to write an anonymous card for it to be reported:
/// with three or more, a reader cannot tell which of them wrote it, and no count in the document
/// (by organisation or by role) can single the author out, since a count only ever narrows the
/// group to the people it counts. Three is the threshold of the frequency-table rule of
/// statistical disclosure control (no published cell below three units) that national
/// statistics offices such as ISTAT apply; below it, the card is left out and the document says
/// that some anonymous contributions are not reported, without saying how many.
pub const ANONYMITY_SET: usize = 3;

/// How many distinct people could have written an anonymous card on this meeting's board, within
/// the Ambito filter: those in its register, and those who wrote or commented on the board.
fn anonymity_set(s: &Session, ambito: Option<&str>) -> usize {
    let fits = |a: Option<&str>| match ambito {
        None => true,
        Some(f) => a.is_some_and(|x| same_ambito(x, f)),
    };
    let mut people: Vec<ActorId> = s
        .attendance
        .iter()
        .filter(|a| fits(a.ambito.as_deref()))
        .map(|a| ActorId::Enrollment(a.person))
        .collect();
    let writers = s
        .board
        .cards
        .values()
        .flat_map(|c| std::iter::once(&c.author).chain(c.comments.iter().map(|m| &m.author)));
    for actor in writers {
        if !actor.is_facilitator() && fits(actor.ambito.as_deref()) && !people.contains(&actor.id) {
            people.push(actor.id);
        }
    }
    people.len()
}

fn same_ambito(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

impl<'a> Outline<'a> {
    /// Builds the outline of `sessions` (calendar order) for `scope`.
    pub fn build(
        workshop: &'a Workshop,
        sessions: &'a [Session],
        scope: &'a Scope,
        generated_at: DateTime<Utc>,
    ) -> Outline<'a> {
        let ambito = scope.ambito.as_deref();
        // A card belongs to the Ambito it speaks for: its author's (a participant's from
        // enrollment, a guest's as declared) or that of the person a facilitator wrote it for.
        let in_ambito = |card: &Card| match ambito {
            None => true,
            Some(a) => card.ambito().is_some_and(|x| same_ambito(x, a)),
        };
        let mut items: Vec<Item<'a>> = Vec::new();
        let mut hidden: Vec<Item<'a>> = Vec::new();
        let mut unrevealed = 0;
        let mut anonymous_withheld = false;
        for (si, s) in sessions.iter().enumerate() {
            let b = &s.board;
            let code = reference::meeting_code(s.module_number, s.meeting.number);
            let crowd = anonymity_set(s, ambito);
            for card in b.card_order.iter().filter_map(|id| b.cards.get(id)) {
                if !in_ambito(card) {
                    continue;
                }
                if card.anonymous && crowd < ANONYMITY_SET {
                    anonymous_withheld = true;
                    continue;
                }
                let item = |hidden_reason| Item {
                    reference: card.reference(&code),
                    kind: Kind::of(&card.content),
                    session: si,
                    card,
                    column_title: column_title(b, &card.column),
                    theme: card
                        .group
                        .as_ref()
                        .and_then(|g| b.groups.get(g))
                        .map(|g| g.title.clone()),
                    votes: card.total_votes(),
                    origin: card.carried_from.as_ref().map(|f| Origin {
                        reference: f.reference.as_deref(),
                        session: sessions.iter().position(|x| x.id == f.meeting),
                        created_at: f.created_at,
                        comments: &f.comments,
                    }),
                    merged: merged_into(card, b, &code),
                    hidden_reason,
                };
                match &card.state {
                    CardState::Active if card.revealed => items.push(item(None)),
                    CardState::Active => unrevealed += 1,
                    CardState::Hidden { reason, .. } if scope.hidden.listed() => {
                        hidden.push(item(Some(reason.as_str())));
                    }
                    _ => {}
                }
            }
        }

        let tz = workshop.timezone;
        let views: Vec<SessionView<'a>> = sessions
            .iter()
            .enumerate()
            .map(|(si, s)| {
                let mut staff: Vec<String> = Vec::new();
                let history = &s.board.history;
                let phases = history
                    .iter()
                    .enumerate()
                    .map(|(k, p)| {
                        if !p.by.is_empty() && !staff.contains(&p.by) {
                            staff.push(p.by.clone());
                        }
                        // While it was open: from its opening to the next phase's.
                        let until = history.get(k + 1).map_or(i64::MAX, |next| next.at);
                        let produced = items
                            .iter()
                            .filter(|it| it.session == si)
                            .filter(|it| (p.at..until).contains(&it.card.created_at))
                            .count();
                        PhaseLine {
                            phase: p.phase.clone(),
                            label: board::phase_label(&p.phase),
                            at: time_of_day(p.at, tz),
                            by: p.by.clone(),
                            produced,
                        }
                    })
                    .collect();
                SessionView {
                    session: s,
                    date_label: dates::format_date_long(s.meeting.date),
                    date_long: dates::format_date(s.meeting.date),
                    time_label: dates::format_time_range(s.meeting.start, s.meeting.end),
                    title: s
                        .meeting
                        .title
                        .clone()
                        .unwrap_or_else(|| s.module_title.clone()),
                    phases,
                    participation: participation(std::slice::from_ref(s), ambito),
                    staff,
                }
            })
            .collect();
        let (syntheses, objectives) = synthesis_of(sessions, &items, ambito);
        Outline {
            workshop,
            scope,
            generated_at,
            syntheses,
            objectives,
            participation: participation(sessions, ambito),
            sessions: views,
            items,
            hidden,
            unrevealed,
            anonymous_withheld,
        }
    }

    /// Indices of the items of a kind, in document order.
    pub fn of_kind(&self, kind: Kind) -> Vec<usize> {
        (0..self.items.len())
            .filter(|&i| self.items[i].kind == kind)
            .collect()
    }

    /// Indices of the items discussed in one session.
    pub fn in_session(&self, session: usize) -> Vec<usize> {
        (0..self.items.len())
            .filter(|&i| self.items[i].session == session)
            .collect()
    }

    /// Needs by policy area: the workshop's areas in their order, then other areas
    /// alphabetically, then needs without an area (`None`).
    pub fn needs_by_area(&self) -> Vec<(Option<&str>, Vec<usize>)> {
        self.by_area(&self.of_kind(Kind::Need))
    }

    /// Items by policy area, ordered as [`Self::needs_by_area`]; areas without items are left
    /// out.
    pub fn by_area(&self, indices: &[usize]) -> Vec<(Option<&str>, Vec<usize>)> {
        let mut known: Vec<(Option<&str>, Vec<usize>)> = self
            .workshop
            .policy_areas
            .iter()
            .map(|a| (Some(a.as_str()), Vec::new()))
            .collect();
        let mut others: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        let mut none = Vec::new();
        for &i in indices {
            match self.items[i].policy_area() {
                Some(a) => match known.iter_mut().find(|(k, _)| *k == Some(a)) {
                    Some((_, v)) => v.push(i),
                    None => others.entry(a).or_default().push(i),
                },
                None => none.push(i),
            }
        }
        known.retain(|(_, v)| !v.is_empty());
        known.extend(others.into_iter().map(|(k, v)| (Some(k), v)));
        if !none.is_empty() {
            known.push((None, none));
        }
        known
    }

    /// Groups items under their theme: themes in order of first appearance, then the cards
    /// without a theme (`None`). Themes with the same title (any case) are one.
    pub fn by_theme(&self, indices: &[usize]) -> Vec<(Option<&str>, Vec<usize>)> {
        let mut out: Vec<(Option<&str>, Vec<usize>)> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut loose = Vec::new();
        for &i in indices {
            match self.items[i].theme.as_deref() {
                Some(t) => match index.get(&t.to_lowercase()) {
                    Some(&k) => out[k].1.push(i),
                    None => {
                        index.insert(t.to_lowercase(), out.len());
                        out.push((Some(t), vec![i]));
                    }
                },
                None => loose.push(i),
            }
        }
        if !loose.is_empty() {
            out.push((None, loose));
        }
        out
    }

    /// Items of other kinds a template added, by the title of their column.
    pub fn by_column(&self, kind: Kind) -> Vec<(&str, Vec<usize>)> {
        let mut out: Vec<(&str, Vec<usize>)> = Vec::new();
        for i in self.of_kind(kind) {
            let title = self.items[i].column_title.as_str();
            match out.iter_mut().find(|(k, _)| *k == title) {
                Some((_, v)) => v.push(i),
                None => out.push((title, vec![i])),
            }
        }
        out
    }

    /// Items the room voted for, most votes first (ties keep document order), with their rank
    /// (1, 2, 2, 4…).
    pub fn priorities(&self, filter: impl Fn(&Item) -> bool) -> Vec<(usize, usize)> {
        let mut voted: Vec<usize> = (0..self.items.len())
            .filter(|&i| self.items[i].votes > 0 && filter(&self.items[i]))
            .collect();
        voted.sort_by(|&a, &b| self.items[b].votes.cmp(&self.items[a].votes));
        let mut out = Vec::with_capacity(voted.len());
        let mut rank = 0;
        let mut last = None;
        for (pos, i) in voted.into_iter().enumerate() {
            if last != Some(self.items[i].votes) {
                rank = pos + 1;
                last = Some(self.items[i].votes);
            }
            out.push((rank, i));
        }
        out
    }

    /// The first `n` of [`Self::priorities`] by rank: those ranked `n` or better, so that a tie
    /// for the last place keeps every card of it (ranks 1, 2, 2, 4, 5, 5 for `n` = 5).
    pub fn top(&self, n: usize, filter: impl Fn(&Item) -> bool) -> Vec<(usize, usize)> {
        self.priorities(filter)
            .into_iter()
            .take_while(|(rank, _)| *rank <= n)
            .collect()
    }

    /// [`Self::top`] meeting by meeting: each meeting's own first `n` (votes are cast in a
    /// meeting and never added across meetings), for the meetings that voted any.
    pub fn top_per_meeting(
        &self,
        n: usize,
        filter: impl Fn(&Item) -> bool,
    ) -> Vec<(usize, Vec<(usize, usize)>)> {
        (0..self.sessions.len())
            .map(|si| (si, self.top(n, |it| it.session == si && filter(it))))
            .filter(|(_, ranked)| !ranked.is_empty())
            .collect()
    }

    /// Cards a facilitator marked as `kind`, in document order.
    pub fn marked(&self, kind: MarkKind) -> Vec<usize> {
        (0..self.items.len())
            .filter(|&i| {
                self.items[i]
                    .card
                    .mark
                    .as_ref()
                    .is_some_and(|m| m.kind == kind)
            })
            .collect()
    }

    /// The open questions: cards marked as such, and cards of a template's question kind.
    pub fn open_questions(&self) -> Vec<usize> {
        (0..self.items.len())
            .filter(|&i| {
                let it = &self.items[i];
                it.kind == Kind::OpenQuestion
                    || it
                        .card
                        .mark
                        .as_ref()
                        .is_some_and(|m| m.kind == MarkKind::QuestioneAperta)
            })
            .collect()
    }

    /// The topics for co-progettazione: cards marked as such, and cards of a template's
    /// co-progettazione kind (proposals whose instrument is co-progettazione are
    /// [`Self::codesign_proposals`]).
    pub fn codesign_topics(&self) -> Vec<usize> {
        (0..self.items.len())
            .filter(|&i| {
                let it = &self.items[i];
                it.kind == Kind::CoDesign
                    || it
                        .card
                        .mark
                        .as_ref()
                        .is_some_and(|m| m.kind == MarkKind::CoProgettazione)
            })
            .collect()
    }

    /// The syntheses written for `area`, in meeting order.
    pub fn syntheses_of(&self, area: &str) -> Vec<&SynthesisItem<'a>> {
        self.syntheses
            .iter()
            .filter(|s| s.synthesis.policy_area == area)
            .collect()
    }

    /// The objectives of `area` (`None`: across areas), in meeting and creation order.
    pub fn objectives_of(&self, area: Option<&str>) -> Vec<&ObjectiveItem<'a>> {
        self.objectives
            .iter()
            .filter(|o| o.policy_area() == area)
            .collect()
    }

    /// The policy areas the synthesis part of a document walks through: the workshop's areas
    /// in their order, then any other area a card, synthesis or objective names,
    /// alphabetically; only those with needs, a synthesis or an objective.
    pub fn synthesis_areas(&self) -> Vec<&str> {
        let needs = self.needs_by_area();
        let mut named: Vec<&str> = needs.iter().filter_map(|(a, _)| *a).collect();
        named.extend(
            self.syntheses
                .iter()
                .map(|s| s.synthesis.policy_area.as_str()),
        );
        named.extend(self.objectives.iter().filter_map(|o| o.policy_area()));
        let mut out: Vec<&str> = self
            .workshop
            .policy_areas
            .iter()
            .map(String::as_str)
            .filter(|a| named.contains(a))
            .collect();
        let mut others: Vec<&str> = named
            .into_iter()
            .filter(|a| !self.workshop.policy_areas.iter().any(|k| k == a))
            .collect();
        others.sort_unstable();
        others.dedup();
        out.extend(others);
        out
    }

    /// The objectives that link the indicator `item`, as "M3-1/O01" references.
    pub fn objectives_measured_by(&self, item: usize) -> Vec<&str> {
        self.objectives
            .iter()
            .filter(|o| o.indicators.iter().any(|l| l.item == Some(item)))
            .map(|o| o.reference.as_str())
            .collect()
    }

    /// The economic resources of the objectives in scope, by fund (funds in their listed
    /// order, only those drawn on).
    pub fn resources_by_fund(&self) -> Vec<FundTotal> {
        Fund::ALL
            .into_iter()
            .filter_map(|fund| {
                let mut cents = 0u64;
                let mut objectives = 0;
                for o in &self.objectives {
                    let mut used = false;
                    for r in o
                        .objective
                        .content
                        .resources
                        .iter()
                        .filter(|r| r.fund == fund)
                    {
                        cents = cents.saturating_add(r.amount_cents);
                        used = true;
                    }
                    objectives += usize::from(used);
                }
                (objectives > 0).then_some(FundTotal {
                    fund,
                    cents,
                    objectives,
                })
            })
            .collect()
    }

    /// Proposals, most voted first.
    pub fn proposals_by_votes(&self) -> Vec<usize> {
        let mut v = self.of_kind(Kind::Proposal);
        v.sort_by(|&a, &b| self.items[b].votes.cmp(&self.items[a].votes));
        v
    }

    /// Proposals whose instrument is co-progettazione: they are also topics to carry into it.
    pub fn codesign_proposals(&self) -> Vec<usize> {
        self.of_kind(Kind::Proposal)
            .into_iter()
            .filter(|&i| match &self.items[i].card.content {
                CardContent::Proposta(p) => p
                    .instrument
                    .as_deref()
                    .is_some_and(|s| s.to_lowercase().contains("progettazione")),
                _ => false,
            })
            .collect()
    }

    /// "12/02/2027 10:41" for a card's creation, in the workshop's time zone.
    pub fn when(&self, at_ms: i64) -> String {
        DateTime::from_timestamp_millis(at_ms)
            .map(|t| {
                t.with_timezone(&self.workshop.timezone)
                    .format("%d/%m/%Y %H:%M")
                    .to_string()
            })
            .unwrap_or_default()
    }

    /// How the scope is named in documents: "Incontro del 12 febbraio 2027", "Modulo 1 — …".
    pub fn scope_label(&self) -> String {
        match &self.scope.extent {
            Extent::Meeting(_) => match self.sessions.first() {
                Some(s) => format!(
                    "Modulo {}, incontro {} {}",
                    s.session.module_number,
                    s.session.meeting.number,
                    crate::domain::italian::with_article("del", &s.date_label).unwrap_or_default()
                ),
                None => "Incontro".into(),
            },
            Extent::Module(n) => {
                let title = self
                    .workshop
                    .modules
                    .iter()
                    .find(|m| m.number == *n)
                    .map(|m| m.title.as_str())
                    .unwrap_or_default();
                format!("Modulo {n} — {title}")
            }
            Extent::Workshop => "Intero laboratorio".into(),
        }
    }
}

/// The duplicates merged into `card`: those of an earlier meeting it brought along, then those
/// merged on this board (whose reference is in this meeting, `code`).
fn merged_into<'a>(card: &'a Card, board: &'a BoardState, code: &str) -> Vec<Merged<'a>> {
    let earlier = card
        .carried_from
        .iter()
        .flat_map(|f| f.merged.iter())
        .map(|m| Merged {
            reference: m.reference.clone(),
            id: None,
            content: &m.content,
            author: &m.author,
            on_behalf_of: m.on_behalf_of.as_ref(),
            anonymous: m.anonymous,
            created_at: m.created_at,
            earlier: true,
        });
    let here = card
        .merged
        .iter()
        .filter_map(|id| board.cards.get(id))
        .map(|m| Merged {
            reference: Some(m.reference(code)),
            id: Some(m.id.as_str()),
            content: &m.content,
            author: &m.author,
            on_behalf_of: m.on_behalf_of.as_ref(),
            anonymous: m.anonymous,
            created_at: m.created_at,
            earlier: false,
        });
    earlier.chain(here).collect()
}

/// Each meeting's written syntheses and active objectives, with their links read against the cards this export reports.
/// They are the meeting's own record, written by its facilitators: reported whole whatever the
/// Ambito filter, except the comments, which follow the filter as cards do.
fn synthesis_of<'a>(
    sessions: &'a [Session],
    items: &[Item<'a>],
    ambito: Option<&str>,
) -> (Vec<SynthesisItem<'a>>, Vec<ObjectiveItem<'a>>) {
    let mut syntheses = Vec::new();
    let mut objectives = Vec::new();
    for (si, s) in sessions.iter().enumerate() {
        let b = &s.board;
        let code = reference::meeting_code(s.module_number, s.meeting.number);
        syntheses.extend(
            b.syntheses
                .values()
                .filter(|x| !x.text.trim().is_empty())
                .map(|synthesis| SynthesisItem {
                    session: si,
                    synthesis,
                }),
        );
        let link = |id: &String| -> Option<Link> {
            let card = b.resolve_card(id)?;
            let item = items
                .iter()
                .position(|it| it.session == si && std::ptr::eq(it.card, card));
            Some(Link {
                reference: card.reference(&code),
                item,
            })
        };
        for objective in b.active_objectives() {
            let c = &objective.content;
            let mut needs: Vec<Link> = Vec::new();
            let mut indicators: Vec<Link> = Vec::new();
            // Two links that now lead to one card (merged since) are one link.
            for (ids, out) in [(&c.needs, &mut needs), (&c.indicators, &mut indicators)] {
                for l in ids.iter().filter_map(link) {
                    if !out.contains(&l) {
                        out.push(l);
                    }
                }
            }
            let comments = objective
                .comments
                .iter()
                .filter(|m| match ambito {
                    None => true,
                    Some(f) => {
                        m.author.is_facilitator()
                            || m.author
                                .ambito
                                .as_deref()
                                .is_some_and(|x| same_ambito(x, f))
                    }
                })
                .collect();
            objectives.push(ObjectiveItem {
                reference: objective.reference(&code),
                session: si,
                objective,
                needs,
                indicators,
                comments,
            });
        }
    }
    (syntheses, objectives)
}

fn column_title(b: &BoardState, column: &str) -> String {
    b.template
        .columns
        .iter()
        .find(|c| c.card_type == column)
        .map(|c| c.title.clone())
        .unwrap_or_else(|| board::phase_label(column))
}

fn time_of_day(at_ms: i64, tz: chrono_tz::Tz) -> String {
    DateTime::from_timestamp_millis(at_ms)
        .map(|t| t.with_timezone(&tz).format("%H:%M").to_string())
        .unwrap_or_default()
}

/// Counts the registers of `sessions`: the people marked present, and the guests who joined
/// (or, on boards without a guest list, contributed in the meeting itself).
fn participation(sessions: &[Session], ambito: Option<&str>) -> Participation {
    let mut orgs: BTreeMap<String, (Option<String>, Vec<i64>, usize)> = BTreeMap::new();
    let mut roles: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    let mut people: Vec<i64> = Vec::new();
    let mut presences = 0;
    let mut guests: BTreeMap<String, Vec<ActorId>> = BTreeMap::new();
    let mut guest = |id: ActorId, organisation: Option<&str>, declared: Option<&str>| {
        if let Some(f) = ambito {
            if !declared.is_some_and(|x| same_ambito(x, f)) {
                return;
            }
        }
        let org = organisation
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .unwrap_or("Organizzazione non indicata");
        let g = guests.entry(org.to_string()).or_default();
        if !g.contains(&id) {
            g.push(id);
        }
    };
    for s in sessions {
        for a in &s.attendance {
            if let Some(f) = ambito {
                if !a.ambito.as_deref().is_some_and(|x| same_ambito(x, f)) {
                    continue;
                }
            }
            presences += 1;
            let org = a.organisation.trim();
            let e = orgs
                .entry(org.to_string())
                .or_insert_with(|| (a.ambito.clone(), Vec::new(), 0));
            if !e.1.contains(&a.person) {
                e.1.push(a.person);
            }
            e.2 += 1;
            let r = roles.entry(a.role.as_str()).or_default();
            if !r.contains(&a.person) {
                r.push(a.person);
            }
            if !people.contains(&a.person) {
                people.push(a.person);
            }
        }
        for g in &s.guests {
            let id = ActorId::Guest(g.guest);
            guest(id, g.organisation.as_deref(), g.ambito.as_deref());
        }
        // Guests who wrote in this meeting (a card carried from an earlier one was written
        // there); an anonymous card does not name its guest.
        let b = &s.board;
        let actors = b.cards.values().flat_map(|c| {
            let written_here = c.carried_from.is_none() && !c.anonymous;
            written_here.then_some(&c.author).into_iter().chain(
                c.comments
                    .iter()
                    .filter(|m| !m.anonymous)
                    .map(|m| &m.author),
            )
        });
        for actor in actors {
            if actor.kind == ActorKind::Guest {
                let (org, declared) = (actor.organisation.as_deref(), actor.ambito.as_deref());
                guest(actor.id, org, declared);
            }
        }
    }
    let mut by_role: Vec<(String, usize)> = roles
        .into_iter()
        .map(|(r, v)| (r.to_string(), v.len()))
        .collect();
    by_role.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Participation {
        by_organisation: orgs
            .into_iter()
            .map(|(organisation, (ambito, p, n))| OrganisationCount {
                organisation,
                ambito,
                people: p.len(),
                presences: n,
            })
            .collect(),
        by_role,
        people: people.len(),
        presences,
        guests_by_organisation: guests.into_iter().map(|(k, v)| (k, v.len())).collect(),
    }
}

/// Italian label of an indicator type id.
pub fn indicator_type_label(t: &str) -> &str {
    INDICATOR_TYPES
        .iter()
        .find(|(id, _)| *id == t)
        .map(|(_, l)| *l)
        .unwrap_or(t)
}

/// Unit tests, and the builders other modules' tests use (a workshop, boards made by applying
/// events, cards of each kind).
#[cfg(test)]
pub(crate) mod tests;
