//! The raw data of an export as JSON, schema `tavolo-export/2` (docs/export-schema.md): the
//! workshop, the scope, each meeting (phases, register counts), the themes and every card with
//! all its fields, its reference, votes, comments, merged duplicates and provenance. The same
//! rules as the documents apply: each meeting with its own cards and votes, anonymous authors
//! hidden, votes counted (never who cast them), names only where the board showed them, the
//! text of hidden cards only when an organiser asked for it. Then the synthesis of each meeting:
//! its written syntheses by policy area, its objectives (schede obiettivo) with the needs and
//! indicators they link (a card this export does not report is cited by reference alone), their
//! resources by fund and comments, the resources of all of them by fund, and each card's mark.

use serde::Serialize;

use super::outline::{Item, Link, ObjectiveItem, Outline, Participation};
use super::scope::{Extent, HiddenCards};
use crate::domain::board::{CardMark, Fund};
use crate::domain::cards::CardContent;
use crate::domain::money::format_euro;

/// Identifies the format; bumped on any incompatible change (a key removed, renamed, or whose
/// meaning changes). New keys are added within a schema: readers ignore keys they do not know.
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
    syntheses: Vec<SynthesisOut<'a>>,
    objectives: Vec<ObjectiveOut<'a>>,
    /// The economic resources of every objective reported, by fund.
    resources_by_fund: Vec<FundTotalOut>,
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
    /// Marked by a facilitator as an open question or a topic for co-progettazione.
    mark: Option<MarkOut<'a>>,
}

#[derive(Serialize)]
struct MarkOut<'a> {
    /// "questione_aperta" | "co_progettazione"
    kind: &'static str,
    label: &'static str,
    /// `null` also for a hidden card whose text was not asked for (a note may quote it).
    note: Option<&'a str>,
    by: &'a str,
    at: String,
}

#[derive(Serialize)]
struct SynthesisOut<'a> {
    meeting_id: i64,
    /// "M1-2".
    meeting_key: &'a str,
    policy_area: &'a str,
    text: &'a str,
    by: &'a str,
    at: String,
}

#[derive(Serialize)]
struct ObjectiveOut<'a> {
    #[serde(rename = "ref")]
    reference: &'a str,
    id: &'a str,
    meeting_id: i64,
    policy_area: Option<&'a str>,
    title: &'a str,
    description: Option<&'a str>,
    interventions: Option<&'a str>,
    target_group: Option<&'a str>,
    expected_result: Option<&'a str>,
    timeline: Option<&'a str>,
    needs: Vec<LinkOut<'a>>,
    indicators: Vec<LinkOut<'a>>,
    actors: &'a [String],
    sovrazonale: bool,
    resources: Vec<ResourceOut<'a>>,
    total_cents: u64,
    total: String,
    staff: Option<&'a str>,
    comments: Vec<CommentOut<'a>>,
    created_by: &'a str,
    created_at: String,
    updated_by: &'a str,
    updated_at: String,
}

#[derive(Serialize)]
struct LinkOut<'a> {
    #[serde(rename = "ref")]
    reference: &'a str,
    /// Whether the card is in `cards`; when not (hidden, outside the Ambito filter, anonymous
    /// withheld), only its reference is given.
    reported: bool,
}

#[derive(Serialize)]
struct ResourceOut<'a> {
    fund: &'static str,
    fund_label: &'static str,
    amount_cents: u64,
    /// "€ 12.500,00" (a non-breaking space after the sign).
    amount: String,
    description: Option<&'a str>,
}

#[derive(Serialize)]
struct FundTotalOut {
    fund: &'static str,
    fund_label: &'static str,
    amount_cents: u64,
    amount: String,
    /// How many objectives draw on it.
    objectives: usize,
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
        mark: c.mark.as_ref().map(|m| mark_out(m, withheld)),
    }
}

fn mark_out(m: &CardMark, withheld: bool) -> MarkOut<'_> {
    MarkOut {
        kind: m.kind.id(),
        label: m.kind.label(),
        note: m.note.as_deref().filter(|_| !withheld),
        by: &m.by,
        at: rfc3339(m.at),
    }
}

fn links(links: &[Link]) -> Vec<LinkOut<'_>> {
    links
        .iter()
        .map(|l| LinkOut {
            reference: &l.reference,
            reported: l.item.is_some(),
        })
        .collect()
}

fn objective_out<'a>(o: &'a Outline, ob: &'a ObjectiveItem) -> ObjectiveOut<'a> {
    let x = ob.objective;
    let c = &x.content;
    ObjectiveOut {
        reference: &ob.reference,
        id: &x.id,
        meeting_id: o.sessions[ob.session].session.id,
        policy_area: c.policy_area.as_deref(),
        title: &c.title,
        description: c.description.as_deref(),
        interventions: c.interventions.as_deref(),
        target_group: c.target_group.as_deref(),
        expected_result: c.expected_result.as_deref(),
        timeline: c.timeline.as_deref(),
        needs: links(&ob.needs),
        indicators: links(&ob.indicators),
        actors: &c.actors,
        sovrazonale: c.sovrazonale,
        resources: c
            .resources
            .iter()
            .map(|r| ResourceOut {
                fund: r.fund.id(),
                fund_label: r.fund.label(),
                amount_cents: r.amount_cents,
                amount: format_euro(r.amount_cents),
                description: r.description.as_deref(),
            })
            .collect(),
        total_cents: c.total_cents(),
        total: format_euro(c.total_cents()),
        staff: c.staff.as_deref(),
        // Objectives' comments are signed; one flagged anonymous still shows no author.
        comments: ob
            .comments
            .iter()
            .map(|m| comment_out((m, (!m.anonymous).then_some(&m.author))))
            .collect(),
        created_by: &x.created_by,
        created_at: rfc3339(x.created_at),
        updated_by: &x.updated_by,
        updated_at: rfc3339(x.updated_at),
    }
}

fn fund_total(fund: Fund, cents: u64, objectives: usize) -> FundTotalOut {
    FundTotalOut {
        fund: fund.id(),
        fund_label: fund.label(),
        amount_cents: cents,
        amount: format_euro(cents),
        objectives,
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
            syntheses: o
                .syntheses
                .iter()
                .map(|x| {
                    let s = &o.sessions[x.session].session;
                    SynthesisOut {
                        meeting_id: s.id,
                        meeting_key: &s.meeting.key,
                        policy_area: &x.synthesis.policy_area,
                        text: &x.synthesis.text,
                        by: &x.synthesis.by,
                        at: rfc3339(x.synthesis.at),
                    }
                })
                .collect(),
            objectives: o.objectives.iter().map(|x| objective_out(o, x)).collect(),
            resources_by_fund: o
                .resources_by_fund()
                .into_iter()
                .map(|t| fund_total(t.fund, t.cents, t.objectives))
                .collect(),
        }
    }
}

/// Tests, and the board with a synthesis the CSV tests share.
#[cfg(test)]
pub(crate) mod tests {
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

    /// A meeting with the synthesis step done: a synthesis, an objective linking a reported
    /// need, a need hidden since and an anonymous need withheld (two people wrote on the
    /// board), an indicator, resources on two funds, a participant's comment, two marks.
    pub(crate) fn synthesis_board() -> BoardBuilder {
        use crate::domain::board::{Fund, MarkKind, ObjectiveContent, Resource};
        let (a, b, f) = (person(1, "Bergamo"), person(2, "Dalmine"), facilitator());
        let resource = |fund, amount_cents, description: Option<&str>| Resource {
            amount_cents,
            fund,
            description: description.map(String::from),
        };
        let mut m = BoardBuilder::new(1);
        m.card(&a, "n1", need("Anziani soli", Some("Anziani")))
            .card(&a, "n2", need("Mario Rossi, via Roma 3", Some("Anziani")))
            .event(
                &a,
                Event::CardAdded {
                    card_id: "n3".into(),
                    column: "bisogno".into(),
                    anonymous: true,
                    on_behalf_of: None,
                    revealed: true,
                    content: need("Segreto anonimo", Some("Anziani")),
                    number: None,
                },
            )
            .card(&b, "i1", indicator("Corse al mese"))
            .card(&b, "p1", proposal("Tavolo con le ODV", None))
            .event(
                &f,
                Event::SynthesisWritten {
                    policy_area: "Anziani".into(),
                    text: "Il trasporto prima di tutto.".into(),
                },
            )
            .event(
                &f,
                Event::ObjectiveCreated {
                    objective_id: "o1".into(),
                    number: 1,
                    objective: ObjectiveContent {
                        title: "Trasporto sociale".into(),
                        description: Some("Un servizio di trasporto".into()),
                        interventions: Some("Convenzione con le ODV".into()),
                        target_group: Some("Anziani soli over 75".into()),
                        expected_result: Some("200 corse al mese".into()),
                        timeline: Some("2025-2027".into()),
                        needs: vec!["n1".into(), "n2".into(), "n3".into()],
                        indicators: vec!["i1".into()],
                        actors: vec!["Comuni dell'Ambito".into(), "ATS".into()],
                        sovrazonale: true,
                        policy_area: Some("Anziani".into()),
                        resources: vec![
                            resource(Fund::Fnps, 1_250_000, Some("Quota 2025")),
                            resource(Fund::Fna, 250_050, None),
                            resource(Fund::Fnps, 50, None),
                        ],
                        staff: Some("Un coordinatore, 10 ore".into()),
                    },
                },
            )
            .event(
                &f,
                Event::ObjectiveCreated {
                    objective_id: "o2".into(),
                    number: 2,
                    objective: crate::export::outline::tests::objective(
                        "=1+1",
                        None,
                        &[],
                        &[],
                        &[(Fund::Fnps, 100)],
                    ),
                },
            )
            .event(
                &b,
                Event::ObjectiveCommented {
                    objective_id: "o1".into(),
                    comment_id: "k1".into(),
                    text: "Le ODV hanno due mezzi".into(),
                },
            )
            .event(
                &f,
                Event::CardMarked {
                    card_id: "p1".into(),
                    mark: MarkKind::CoProgettazione,
                    note: Some("Con le ODV".into()),
                },
            )
            .event(
                &f,
                Event::CardMarked {
                    card_id: "n2".into(),
                    mark: MarkKind::QuestioneAperta,
                    note: Some("Chi segue Mario Rossi?".into()),
                },
            )
            .event(
                &f,
                Event::CardHidden {
                    card_id: "n2".into(),
                    reason: "dati personali".into(),
                },
            );
        m
    }

    fn export(board: &BoardBuilder, hidden: HiddenCards) -> serde_json::Value {
        let w = workshop();
        let sessions = vec![session(&w, 0, board.state.clone())];
        let scope = ExportScope {
            extent: Extent::Meeting(1),
            ambito: None,
            hidden,
        };
        let o = Outline::build(&w, &sessions, &scope, chrono::Utc::now());
        serde_json::from_slice(&write(&o)).unwrap()
    }

    #[test]
    fn syntheses_objectives_resources_and_marks_are_exported() {
        use serde_json::json;
        let board = synthesis_board();
        let v = export(&board, HiddenCards::Apart);
        assert_eq!(v["schema"], SCHEMA);

        let s = &v["syntheses"];
        assert_eq!(s.as_array().unwrap().len(), 1);
        assert_eq!(s[0]["meeting_id"], 1);
        assert_eq!(s[0]["meeting_key"], "M1-1");
        assert_eq!(s[0]["policy_area"], "Anziani");
        assert_eq!(s[0]["text"], "Il trasporto prima di tutto.");
        assert_eq!(s[0]["by"], "Silvia De Aloe");
        assert!(s[0]["at"].as_str().unwrap().ends_with('Z'));

        let objectives = v["objectives"].as_array().unwrap();
        let refs: Vec<_> = objectives.iter().map(|o| o["ref"].clone()).collect();
        assert_eq!(refs, [json!("M1-1/O01"), json!("M1-1/O02")]);
        let o1 = &objectives[0];
        assert_eq!(o1["id"], "o1");
        assert_eq!(o1["meeting_id"], 1);
        for (key, value) in [
            ("title", "Trasporto sociale"),
            ("description", "Un servizio di trasporto"),
            ("interventions", "Convenzione con le ODV"),
            ("target_group", "Anziani soli over 75"),
            ("expected_result", "200 corse al mese"),
            ("timeline", "2025-2027"),
            ("policy_area", "Anziani"),
            ("staff", "Un coordinatore, 10 ore"),
            ("created_by", "Silvia De Aloe"),
            ("updated_by", "Silvia De Aloe"),
        ] {
            assert_eq!(o1[key], value, "{key}");
        }
        // The hidden need and the withheld anonymous one: cited by reference, not reported.
        assert_eq!(
            o1["needs"],
            json!([
                {"ref": "M1-1/B01", "reported": true},
                {"ref": "M1-1/B02", "reported": false},
                {"ref": "M1-1/B03", "reported": false},
            ])
        );
        assert_eq!(
            o1["indicators"],
            json!([{"ref": "M1-1/I01", "reported": true}])
        );
        assert_eq!(o1["actors"], json!(["Comuni dell'Ambito", "ATS"]));
        assert_eq!(o1["sovrazonale"], true);
        assert_eq!(
            o1["resources"][0],
            json!({"fund": "fnps", "fund_label": "FNPS", "amount_cents": 1_250_000,
                   "amount": "€\u{a0}12.500,00", "description": "Quota 2025"})
        );
        assert_eq!(o1["resources"][1]["fund_label"], "FNA");
        assert_eq!(o1["resources"][1]["amount"], "€\u{a0}2.500,50");
        assert_eq!(o1["total_cents"], 1_250_000 + 250_050 + 50);
        assert_eq!(o1["total"], "€\u{a0}15.001,00");
        let comment = &o1["comments"][0];
        assert_eq!(comment["text"], "Le ODV hanno due mezzi");
        assert_eq!(comment["author"]["name"], "Persona 2");
        assert_eq!(comment["author"]["organisation"], "Comune 2");
        assert!(o1["created_at"].is_string() && o1["updated_at"].is_string());
        assert_eq!(objectives[1]["description"], serde_json::Value::Null);

        assert_eq!(
            v["resources_by_fund"],
            json!([
                {"fund": "fnps", "fund_label": "FNPS", "amount_cents": 1_250_150,
                 "amount": "€\u{a0}12.501,50", "objectives": 2},
                {"fund": "fna", "fund_label": "FNA", "amount_cents": 250_050,
                 "amount": "€\u{a0}2.500,50", "objectives": 1},
            ])
        );

        let cards = v["cards"].as_array().unwrap();
        let card = |id: &str| cards.iter().find(|c| c["id"] == id).unwrap();
        assert_eq!(card("n1")["mark"], serde_json::Value::Null);
        let mark = &card("p1")["mark"];
        assert_eq!(mark["kind"], "co_progettazione");
        assert_eq!(mark["label"], "Tema per la co-progettazione");
        assert_eq!(mark["note"], "Con le ODV");
        assert_eq!(mark["by"], "Silvia De Aloe");
        assert!(mark["at"].is_string());
        // The hidden card: its mark is listed, its note (which may quote it) is not.
        let hidden = &v["hidden_cards"][0];
        assert_eq!(hidden["ref"], "M1-1/B02");
        assert_eq!(hidden["mark"]["kind"], "questione_aperta");
        assert_eq!(hidden["mark"]["note"], serde_json::Value::Null);
        let text = serde_json::to_string(&v).unwrap();
        for secret in ["Mario Rossi", "Segreto anonimo"] {
            assert!(!text.contains(secret), "{secret}");
        }

        // With the text of hidden cards asked for, the note comes with it.
        let v = export(&board, HiddenCards::ApartWithText);
        assert_eq!(
            v["hidden_cards"][0]["mark"]["note"],
            "Chi segue Mario Rossi?"
        );
        assert_eq!(v["objectives"][0]["needs"][1]["reported"], false);
    }
}
