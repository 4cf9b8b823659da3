//! The raw data of an export as JSON, schema `tavolo-export/2` (docs/export-schema.md): the
//! workshop, the scope, each meeting (phases, register counts), the themes and every card with
//! all its fields, its reference, votes, comments, merged duplicates and provenance. The same
//! rules as the documents apply: each meeting with its own cards and votes, anonymous authors
//! hidden, votes counted (never who cast them), names only where the board showed them, the
//! text of hidden cards only when an organiser asked for it.

use serde::Serialize;

use super::outline::{Item, Outline, Participation};
use super::scope::{Extent, HiddenCards};
use crate::domain::cards::CardContent;

/// Identifies the format; bumped on any incompatible change.
pub const SCHEMA: &str = "tavolo-export/2";

pub fn write(o: &Outline) -> Vec<u8> {
    serde_json::to_vec_pretty(&Export::new(o)).expect("export data serialises")
}

#[derive(Serialize)]
struct Export<'a> {
    schema: &'static str,
    generated_at: String,
    workshop: Workshop<'a>,
    scope: Scope<'a>,
    meetings: Vec<Meeting<'a>>,
    participation: Counts<'a>,
    themes: Vec<Theme<'a>>,
    cards: Vec<Card<'a>>,
    hidden_cards: Vec<Card<'a>>,
    unrevealed_cards: usize,
    /// Some anonymous cards were left out: fewer than three people could have written them in
    /// this scope (how many is not said).
    anonymous_withheld: bool,
}

#[derive(Serialize)]
struct Workshop<'a> {
    slug: &'a str,
    title: &'a str,
    organiser: &'a str,
    funding: &'a str,
    timezone: &'a str,
    facilitators: &'a [String],
    policy_areas: &'a [String],
}

#[derive(Serialize)]
struct Scope<'a> {
    /// "meeting" | "module" | "workshop"
    kind: &'static str,
    meeting_id: Option<i64>,
    module: Option<u32>,
    ambito: Option<&'a str>,
    /// "omit" | "apart" | "apart_with_text"
    hidden_cards: &'static str,
    label: String,
}

#[derive(Serialize)]
struct Meeting<'a> {
    id: i64,
    key: &'a str,
    module: u32,
    module_title: &'a str,
    number: u32,
    title: &'a str,
    date: String,
    start: String,
    end: String,
    place: &'a str,
    phase: &'a str,
    phases: Vec<Phase<'a>>,
    participation: Counts<'a>,
}

#[derive(Serialize)]
struct Phase<'a> {
    phase: &'a str,
    label: &'a str,
    /// Local time "HH:MM".
    at: &'a str,
    by: &'a str,
}

#[derive(Serialize)]
struct Counts<'a> {
    people: usize,
    presences: usize,
    by_organisation: Vec<OrganisationCount<'a>>,
    by_role: Vec<RoleCount<'a>>,
    guests_by_organisation: Vec<OrganisationCount<'a>>,
}

#[derive(Serialize)]
struct OrganisationCount<'a> {
    organisation: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    ambito: Option<&'a str>,
    people: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    presences: Option<usize>,
}

#[derive(Serialize)]
struct RoleCount<'a> {
    role: &'a str,
    people: usize,
}

#[derive(Serialize)]
struct Theme<'a> {
    title: &'a str,
    cards: Vec<&'a str>,
}

#[derive(Serialize)]
struct Card<'a> {
    #[serde(rename = "ref")]
    reference: &'a str,
    id: &'a str,
    meeting_id: i64,
    /// "need" | "proposal" | "indicator" | "open_question" | "codesign" | "other"
    section: &'static str,
    card_type: &'a str,
    column: &'a str,
    column_title: &'a str,
    theme: Option<&'a str>,
    /// `null` for a hidden card whose text was not asked for.
    content: Option<&'a CardContent>,
    /// The votes of its meeting.
    votes: u32,
    comments: Vec<CommentOut<'a>>,
    /// The duplicates merged into it, each as it was written.
    merged: Vec<MergedOut<'a>>,
    /// Where a card carried over from an earlier meeting came from.
    carried_from: Option<CarriedOut<'a>>,
    anonymous: bool,
    author: Option<Author<'a>>,
    /// When it was written in this meeting (for a carried card: when it was carried over).
    created_at: String,
    updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    hidden_reason: Option<&'a str>,
    /// When a facilitator hid it.
    #[serde(skip_serializing_if = "Option::is_none")]
    hidden_at: Option<String>,
}

#[derive(Serialize)]
struct MergedOut<'a> {
    #[serde(rename = "ref")]
    reference: Option<&'a str>,
    content: &'a CardContent,
    author: Option<Author<'a>>,
    written_at: String,
    /// Merged in an earlier meeting (brought along by a carry-over).
    in_earlier_meeting: bool,
}

#[derive(Serialize)]
struct CarriedOut<'a> {
    meeting_id: i64,
    #[serde(rename = "ref")]
    reference: Option<&'a str>,
    /// When the card was first written.
    first_written_at: Option<String>,
    /// The comments it received in earlier meetings.
    comments: Vec<CommentOut<'a>>,
}

#[derive(Serialize)]
struct Author<'a> {
    name: &'a str,
    organisation: Option<&'a str>,
    ambito: Option<&'a str>,
    /// "participant" | "guest" | "facilitator" | "organiser"; "on_behalf" when a facilitator
    /// typed it for someone.
    kind: &'static str,
}

#[derive(Serialize)]
struct CommentOut<'a> {
    text: &'a str,
    at: String,
    author: Option<Author<'a>>,
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

fn counts<'a>(p: &'a Participation) -> Counts<'a> {
    Counts {
        people: p.people,
        presences: p.presences,
        by_organisation: p
            .by_organisation
            .iter()
            .map(|r| OrganisationCount {
                organisation: &r.organisation,
                ambito: r.ambito.as_deref(),
                people: r.people,
                presences: Some(r.presences),
            })
            .collect(),
        by_role: p
            .by_role
            .iter()
            .map(|(role, people)| RoleCount {
                role,
                people: *people,
            })
            .collect(),
        guests_by_organisation: p
            .guests_by_organisation
            .iter()
            .map(|(o, n)| OrganisationCount {
                organisation: o,
                ambito: None,
                people: *n,
                presences: None,
            })
            .collect(),
    }
}

fn actor_kind(k: crate::domain::board::ActorKind) -> &'static str {
    use crate::domain::board::ActorKind::*;
    match k {
        Participant => "participant",
        Guest => "guest",
        Facilitator => "facilitator",
        Organiser => "organiser",
    }
}

fn comment_out<'a>(
    (m, author): (
        &'a crate::domain::board::Comment,
        Option<&'a crate::domain::board::Actor>,
    ),
) -> CommentOut<'a> {
    CommentOut {
        text: &m.text,
        at: rfc3339(m.at),
        author: author.map(|a| Author {
            name: &a.name,
            organisation: a.organisation.as_deref(),
            ambito: a.ambito.as_deref(),
            kind: actor_kind(a.kind),
        }),
    }
}

fn card<'a>(o: &'a Outline, it: &'a Item) -> Card<'a> {
    use super::outline::Kind;
    let c = it.card;
    let hidden = it.hidden_reason.is_some();
    let withheld = hidden && !o.scope.hidden.with_text();
    Card {
        reference: &it.reference,
        id: &c.id,
        meeting_id: o.sessions[it.session].session.id,
        section: match it.kind {
            Kind::Need => "need",
            Kind::Proposal => "proposal",
            Kind::Indicator => "indicator",
            Kind::OpenQuestion => "open_question",
            Kind::CoDesign => "codesign",
            Kind::Other => "other",
        },
        card_type: c.content.card_type(),
        column: &c.column,
        column_title: &it.column_title,
        theme: it.theme.as_deref(),
        content: (!withheld).then_some(&c.content),
        votes: it.votes,
        comments: if withheld {
            Vec::new()
        } else {
            it.comments().map(comment_out).collect()
        },
        merged: it
            .merged
            .iter()
            .map(|m| MergedOut {
                reference: m.reference.as_deref(),
                content: m.content,
                author: m.author_name().map(|name| Author {
                    name,
                    organisation: m.organisation(),
                    ambito: None,
                    kind: m.author_kind().map_or("on_behalf", actor_kind),
                }),
                written_at: rfc3339(m.created_at),
                in_earlier_meeting: m.earlier,
            })
            .collect(),
        carried_from: it.origin.as_ref().map(|origin| CarriedOut {
            meeting_id: c.carried_from.as_ref().map_or(0, |f| f.meeting),
            reference: origin.reference,
            first_written_at: origin.created_at.map(rfc3339),
            comments: it.earlier_comments().map(comment_out).collect(),
        }),
        anonymous: c.anonymous,
        author: it.author_name().map(|name| Author {
            name,
            organisation: it.organisation(),
            ambito: it.ambito(),
            kind: if c.on_behalf_of.is_some() {
                "on_behalf"
            } else {
                actor_kind(c.author.kind)
            },
        }),
        created_at: rfc3339(c.created_at),
        updated_at: rfc3339(c.updated_at),
        hidden_reason: it.hidden_reason,
        hidden_at: hidden.then(|| rfc3339(c.updated_at)),
    }
}

impl<'a> Export<'a> {
    fn new(o: &'a Outline) -> Export<'a> {
        let w = o.workshop;
        let mut themes: Vec<Theme> = Vec::new();
        let all: Vec<usize> = (0..o.items.len()).collect();
        for (title, ids) in o.by_theme(&all) {
            if let Some(title) = title {
                themes.push(Theme {
                    title,
                    cards: ids.iter().map(|&i| o.items[i].reference.as_str()).collect(),
                });
            }
        }
        Export {
            schema: SCHEMA,
            generated_at: o
                .generated_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            workshop: Workshop {
                slug: &w.slug,
                title: &w.title,
                organiser: &w.organiser,
                funding: &w.funding,
                timezone: w.timezone.name(),
                facilitators: &w.facilitators,
                policy_areas: &w.policy_areas,
            },
            scope: Scope {
                kind: match o.scope.extent {
                    Extent::Meeting(_) => "meeting",
                    Extent::Module(_) => "module",
                    Extent::Workshop => "workshop",
                },
                meeting_id: match o.scope.extent {
                    Extent::Meeting(id) => Some(id),
                    _ => None,
                },
                module: match o.scope.extent {
                    Extent::Module(n) => Some(n),
                    Extent::Meeting(_) => o.sessions.first().map(|s| s.session.module_number),
                    Extent::Workshop => None,
                },
                ambito: o.scope.ambito.as_deref(),
                hidden_cards: match o.scope.hidden {
                    HiddenCards::Omit => "omit",
                    HiddenCards::Apart => "apart",
                    HiddenCards::ApartWithText => "apart_with_text",
                },
                label: o.scope_label(),
            },
            meetings: o
                .sessions
                .iter()
                .map(|s| {
                    let m = &s.session.meeting;
                    Meeting {
                        id: s.session.id,
                        key: &m.key,
                        module: s.session.module_number,
                        module_title: &s.session.module_title,
                        number: m.number,
                        title: &s.title,
                        date: m.date.to_string(),
                        start: m.start.format("%H:%M").to_string(),
                        end: m.end.format("%H:%M").to_string(),
                        place: &m.place,
                        phase: &s.session.board.phase,
                        phases: s
                            .phases
                            .iter()
                            .map(|p| Phase {
                                phase: &p.phase,
                                label: &p.label,
                                at: &p.at,
                                by: &p.by,
                            })
                            .collect(),
                        participation: counts(&s.participation),
                    }
                })
                .collect(),
            participation: counts(&o.participation),
            themes,
            cards: o.items.iter().map(|it| card(o, it)).collect(),
            hidden_cards: o.hidden.iter().map(|it| card(o, it)).collect(),
            unrevealed_cards: o.unrevealed,
            anonymous_withheld: o.anonymous_withheld,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::board::Event;
    use crate::export::outline::tests::*;
    use crate::export::scope::Scope as ExportScope;

    #[test]
    fn anonymous_cards_and_their_authors_comments_stay_anonymous() {
        let w = workshop();
        let (a, b) = (person(1, "Bergamo"), person(2, "Dalmine"));
        let mut m = BoardBuilder::new(1);
        m.event(
            &a,
            Event::CardAdded {
                card_id: "c1".into(),
                column: "bisogno".into(),
                anonymous: true,
                on_behalf_of: None,
                revealed: true,
                content: need("Segreto", None),
                number: None,
            },
        )
        .event(
            &a,
            Event::Commented {
                card_id: "c1".into(),
                comment_id: "m1".into(),
                text: "mio".into(),
            },
        )
        .event(
            &b,
            Event::Commented {
                card_id: "c1".into(),
                comment_id: "m2".into(),
                text: "suo".into(),
            },
        )
        .votes(&b, "c1", 1);
        let mut s = session(&w, 0, m.state);
        // Enough people for an anonymous card to be reported (`outline::ANONYMITY_SET`).
        s.attendance = (1..=3)
            .map(|n| crate::export::outline::Attendee {
                person: n,
                organisation: format!("Comune {n}"),
                role: "Responsabile Ufficio di Piano".into(),
                ambito: None,
            })
            .collect();
        let sessions = vec![s];
        let scope = ExportScope {
            extent: Extent::Meeting(1),
            ambito: None,
            hidden: HiddenCards::Omit,
        };
        let o = Outline::build(&w, &sessions, &scope, chrono::Utc::now());
        let v: serde_json::Value = serde_json::from_slice(&write(&o)).unwrap();
        assert_eq!(v["schema"], SCHEMA);
        let card = &v["cards"][0];
        assert_eq!(card["ref"], "M1-1/B01");
        assert_eq!(card["author"], serde_json::Value::Null);
        assert_eq!(card["content"]["text"], "Segreto");
        assert_eq!(card["votes"], 1);
        assert_eq!(card["comments"][0]["author"], serde_json::Value::Null);
        assert_eq!(card["comments"][1]["author"]["name"], "Persona 2");
        let text = serde_json::to_string(&v).unwrap();
        assert!(!text.contains("Persona 1") && !text.contains("e:1"));
    }
}
