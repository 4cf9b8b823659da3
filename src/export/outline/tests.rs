//! Tests of the outline, and the builders the export's other tests share: a workshop of two
//! meetings, people, boards built by applying events as the room does, cards of each kind.

use super::*;
use crate::domain::board::{Event, EventRecord, OnBehalf};
use crate::domain::cards::{Indicator, Need, Plain, Proposal};
use crate::export::scope::HiddenCards;

pub fn workshop() -> Workshop {
    crate::workshop_files::parse_workshop(
        "test.toml",
        r#"slug = "prova"
title = "Laboratorio di prova"
organiser = "ANCI Lombardia"
funding = "POR FSE 2014-2020"
capacity = 10
enrollment_opens = 2027-01-01T09:00:00+01:00
enrollment_closes = 2027-01-31T23:00:00+01:00
eligible_roles = ["responsabile-ufficio-di-piano"]
facilitators = ["Silvia De Aloe", "Luciano Gallo"]

[[modules]]
title = "I riferimenti normativi"
topics = ["Governance"]

  [[modules.meetings]]
  date = 2027-02-12
  start = 09:30:00
  end = 12:30:00
  place = "online"

  [[modules.meetings]]
  date = 2027-02-19
  start = 09:30:00
  end = 12:30:00
  place = "Milano, via Rovello 2"
"#,
    )
    .expect("test workshop parses")
}

pub fn person(n: i64, ambito: &str) -> Actor {
    Actor {
        id: ActorId::Enrollment(n),
        kind: ActorKind::Participant,
        name: format!("Persona {n}"),
        organisation: Some(format!("Comune {n}")),
        ambito: Some(ambito.into()),
    }
}

pub fn facilitator() -> Actor {
    Actor {
        id: ActorId::Account(1),
        kind: ActorKind::Facilitator,
        name: "Silvia De Aloe".into(),
        organisation: None,
        ambito: None,
    }
}

/// A board built by applying events, as the room and the replay do.
pub struct BoardBuilder {
    pub state: BoardState,
}

impl BoardBuilder {
    pub fn new(meeting_id: i64) -> BoardBuilder {
        BoardBuilder {
            state: BoardState::new(meeting_id, crate::domain::defaults::board_template()),
        }
    }

    pub fn event(&mut self, actor: &Actor, event: Event) -> &mut Self {
        let seq = self.state.seq + 1;
        board::apply(
            &mut self.state,
            &EventRecord {
                seq,
                op_id: format!("op{seq}"),
                actor: actor.clone(),
                at: 1_800_000_000_000 + seq * 60_000,
                event,
            },
        );
        self
    }

    pub fn card(&mut self, actor: &Actor, id: &str, content: CardContent) -> &mut Self {
        self.event(
            actor,
            Event::CardAdded {
                card_id: id.into(),
                column: content.card_type().into(),
                anonymous: false,
                on_behalf_of: None,
                revealed: true,
                content,
                number: None,
            },
        )
    }

    pub fn votes(&mut self, actor: &Actor, id: &str, n: usize) -> &mut Self {
        for _ in 0..n {
            self.event(
                actor,
                Event::Voted {
                    card_id: id.into(),
                    phase: "voto".into(),
                },
            );
        }
        self
    }
}

pub fn need(text: &str, area: Option<&str>) -> CardContent {
    CardContent::Bisogno(Need {
        text: text.into(),
        policy_area: area.map(String::from),
        ..Default::default()
    })
}

pub fn proposal(title: &str, instrument: Option<&str>) -> CardContent {
    CardContent::Proposta(Proposal {
        title: title.into(),
        instrument: instrument.map(String::from),
        ..Default::default()
    })
}

pub fn indicator(name: &str) -> CardContent {
    CardContent::Indicatore(Indicator {
        name: name.into(),
        indicator_type: Some("output".into()),
        ..Default::default()
    })
}

pub fn session(w: &Workshop, index: usize, board: BoardState) -> Session {
    let (module, meeting) = w.meetings().nth(index).expect("meeting exists");
    Session {
        id: board.meeting_id,
        module_number: module.number,
        module_title: module.title.clone(),
        meeting: meeting.clone(),
        board,
        attendance: vec![],
        guests: vec![],
    }
}

fn scope(extent: Extent, ambito: Option<&str>, hidden: HiddenCards) -> Scope {
    Scope {
        extent,
        ambito: ambito.map(String::from),
        hidden,
    }
}

#[test]
fn each_meeting_keeps_its_own_cards_and_votes_and_history_travels_with_a_carried_card() {
    let w = workshop();
    let (a, b, f) = (person(1, "Bergamo"), person(2, "Dalmine"), facilitator());
    let mut m1 = BoardBuilder::new(1);
    m1.card(&a, "c1", need("Anziani soli", Some("Anziani")))
        .card(&b, "c2", need("Anziani isolati", Some("Anziani")))
        .card(&b, "c3", need("Caregiver", Some("Domiciliarità")))
        .votes(&a, "c1", 2)
        .votes(&b, "c2", 1)
        .event(
            &b,
            Event::Commented {
                card_id: "c1".into(),
                comment_id: "k1".into(),
                text: "Anche a Dalmine".into(),
            },
        )
        .event(
            &f,
            Event::CardsMerged {
                into: "c1".into(),
                cards: vec!["c2".into()],
            },
        )
        .event(
            &f,
            Event::GroupCreated {
                group_id: "g1".into(),
                title: "Solitudine".into(),
                column: "bisogno".into(),
            },
        )
        .event(
            &f,
            Event::CardGrouped {
                card_id: "c1".into(),
                group_id: Some("g1".into()),
            },
        );
    let c1 = m1.state.cards["c1"].clone();
    let c2 = m1.state.cards["c2"].clone();
    let mut m2 = BoardBuilder::new(2);
    m2.card(&a, "n1", need("Trasporti", None)).event(
        &f,
        Event::CardsCarriedOver {
            from_meeting: 1,
            // As `services::board::resolve_carry_over` fills it.
            cards: vec![board::CarriedCard {
                from_card: "c1".into(),
                card_id: "k1".into(),
                column: "bisogno".into(),
                content: c1.content.clone(),
                author: c1.author.clone(),
                anonymous: false,
                number: None,
                from_reference: Some(c1.reference("M1-1")),
                created_at: Some(c1.created_at),
                on_behalf_of: None,
                comments: c1.comments.clone(),
                merged: vec![board::MergedCard {
                    meeting: 1,
                    reference: Some(c2.reference("M1-1")),
                    content: c2.content.clone(),
                    author: c2.author.clone(),
                    on_behalf_of: None,
                    anonymous: false,
                    created_at: c2.created_at,
                }],
            }],
        },
    );
    m2.votes(&a, "k1", 1);
    let sessions = vec![session(&w, 0, m1.state), session(&w, 1, m2.state)];
    let sc = scope(Extent::Workshop, None, HiddenCards::Omit);
    let o = Outline::build(&w, &sessions, &sc, Utc::now());
    let listed: Vec<_> = o
        .items
        .iter()
        .map(|i| (i.reference.as_str(), i.title(), i.votes))
        .collect();
    assert_eq!(
        listed,
        [
            ("M1-1/B01", "Anziani soli", 3),
            ("M1-1/B03", "Caregiver", 0),
            ("M1-2/B01", "Trasporti", 0),
            ("M1-2/B02", "Anziani soli", 1),
        ],
        "each meeting with its own cards, references and votes (the merge moved c2's vote to c1)"
    );
    // The duplicate stays readable inside the card it joined.
    let merged = &o.items[0].merged;
    assert_eq!(merged.len(), 1);
    assert_eq!(merged[0].reference.as_deref(), Some("M1-1/B02"));
    assert_eq!(merged[0].content.title(), "Anziani isolati");
    assert_eq!(merged[0].author_name(), Some("Persona 2"));
    assert_eq!(merged[0].organisation(), Some("Comune 2"));
    assert!(!merged[0].earlier);
    // The carried card names its origin and brings its first time, comments and duplicates.
    let carried = &o.items[3];
    let origin = carried
        .origin
        .as_ref()
        .expect("a carried card has an origin");
    assert_eq!(origin.reference, Some("M1-1/B01"));
    assert_eq!(origin.session, Some(0));
    assert_eq!(origin.created_at, Some(c1.created_at));
    let earlier: Vec<_> = carried
        .earlier_comments()
        .map(|(c, _)| c.text.as_str())
        .collect();
    assert_eq!(earlier, ["Anche a Dalmine"]);
    assert_eq!(carried.merged.len(), 1);
    assert!(carried.merged[0].earlier);
    assert_eq!(carried.merged[0].reference.as_deref(), Some("M1-1/B02"));
    assert_eq!(carried.author_name(), Some("Persona 1"));
    // Each meeting's own export holds the same cards, with the same references and votes.
    for (si, meeting) in [(0usize, 1i64), (1, 2)] {
        let only = scope(Extent::Meeting(meeting), None, HiddenCards::Omit);
        let alone = Outline::build(&w, &sessions[si..=si], &only, Utc::now());
        let mine: Vec<_> = o
            .in_session(si)
            .into_iter()
            .map(|i| (o.items[i].reference.clone(), o.items[i].votes))
            .collect();
        let own: Vec<_> = alone
            .items
            .iter()
            .map(|i| (i.reference.clone(), i.votes))
            .collect();
        assert_eq!(mine, own, "meeting {meeting}");
    }
    // The theme was set on the original: the copy starts ungrouped.
    assert_eq!(o.by_theme(&[3])[0].0, None);
}

#[test]
fn hidden_cards_are_left_out_or_listed_apart_and_blind_ones_wait() {
    let w = workshop();
    let (a, f) = (person(1, "Bergamo"), facilitator());
    let mut m = BoardBuilder::new(1);
    m.card(&a, "c1", need("Visibile", None))
        .card(&a, "c2", need("Offensivo", None))
        .event(
            &f,
            Event::CardHidden {
                card_id: "c2".into(),
                reason: "Linguaggio".into(),
            },
        )
        .event(
            &a,
            Event::CardAdded {
                card_id: "c3".into(),
                column: "bisogno".into(),
                anonymous: false,
                on_behalf_of: None,
                revealed: false,
                content: need("Non ancora rivelato", None),
                number: None,
            },
        );
    let sessions = vec![session(&w, 0, m.state)];
    let omit = scope(Extent::Meeting(1), None, HiddenCards::Omit);
    let o = Outline::build(&w, &sessions, &omit, Utc::now());
    assert_eq!(o.items.len(), 1);
    assert!(o.hidden.is_empty());
    assert_eq!(o.unrevealed, 1);
    let apart = scope(Extent::Meeting(1), None, HiddenCards::Apart);
    let o = Outline::build(&w, &sessions, &apart, Utc::now());
    assert_eq!(o.hidden.len(), 1);
    assert_eq!(
        o.hidden[0].reference, "M1-1/B02",
        "a hidden card keeps its own reference"
    );
    assert_eq!(o.hidden[0].hidden_reason, Some("Linguaggio"));
}

#[test]
fn the_ambito_filter_keeps_its_cards_and_its_people_and_anonymity_holds() {
    let w = workshop();
    let (a, b) = (
        person(1, "Ambito di Bergamo"),
        person(2, "Ambito di Dalmine"),
    );
    let mut m = BoardBuilder::new(1);
    m.card(&a, "c1", need("Di Bergamo", None))
        .card(&b, "c2", need("Di Dalmine", None))
        .event(
            &a,
            Event::CardAdded {
                card_id: "c3".into(),
                column: "bisogno".into(),
                anonymous: true,
                on_behalf_of: None,
                revealed: true,
                content: need("Anonimo di Bergamo", None),
                number: None,
            },
        )
        .event(
            &facilitator(),
            Event::CardAdded {
                card_id: "c4".into(),
                column: "bisogno".into(),
                anonymous: false,
                on_behalf_of: Some(OnBehalf {
                    name: "Mario".into(),
                    organisation: Some("Coop".into()),
                    ambito: None,
                }),
                revealed: true,
                content: need("Per conto di", None),
                number: None,
            },
        );
    let mut s = session(&w, 0, m.state);
    s.attendance = vec![
        Attendee {
            person: 1,
            organisation: "Comune 1".into(),
            role: "Responsabile Ufficio di Piano".into(),
            ambito: Some("Ambito di Bergamo".into()),
        },
        Attendee {
            person: 2,
            organisation: "Comune 2".into(),
            role: "Responsabile Ufficio di Piano".into(),
            ambito: Some("Ambito di Dalmine".into()),
        },
    ];
    let sc = scope(
        Extent::Meeting(1),
        Some(" ambito di bergamo"),
        HiddenCards::Omit,
    );
    // One person of the Ambito took part: the anonymous card would be theirs, plainly.
    let sessions = vec![s.clone()];
    let o = Outline::build(&w, &sessions, &sc, Utc::now());
    let titles: Vec<_> = o.items.iter().map(|i| i.title()).collect();
    assert_eq!(titles, ["Di Bergamo"]);
    assert!(o.anonymous_withheld);
    assert_eq!(o.participation.people, 1);
    assert_eq!(o.participation.by_organisation[0].organisation, "Comune 1");

    // Three of them: any of the three may have written it.
    for n in [3, 5] {
        s.attendance.push(Attendee {
            person: n,
            organisation: format!("Comune {n}"),
            role: "Responsabile Ufficio di Piano".into(),
            ambito: Some("Ambito di Bergamo".into()),
        });
    }
    let sessions = vec![s];
    let o = Outline::build(&w, &sessions, &sc, Utc::now());
    let titles: Vec<_> = o.items.iter().map(|i| i.title()).collect();
    assert_eq!(titles, ["Di Bergamo", "Anonimo di Bergamo"]);
    assert!(!o.anonymous_withheld);
    assert_eq!(o.items[1].author_name(), None);
    assert_eq!(o.items[1].organisation(), None);
    assert_eq!(o.participation.people, 3);

    let all = scope(Extent::Meeting(1), None, HiddenCards::Omit);
    let o = Outline::build(&w, &sessions, &all, Utc::now());
    assert_eq!(o.items.len(), 4);
    assert_eq!(o.items[3].author_name(), Some("Mario"));
    assert_eq!(o.items[3].organisation(), Some("Coop"));
    assert_eq!(o.participation.people, 4);
}

#[test]
fn sections_follow_the_kinds_and_ranks_share_ties() {
    let w = workshop();
    let a = person(1, "X");
    let mut m = BoardBuilder::new(1);
    let plain = |t: &str, text: &str| {
        CardContent::Altro(Plain {
            card_type: t.into(),
            text: text.into(),
        })
    };
    m.card(&a, "c1", need("N1", Some("Anziani")))
        .card(&a, "c2", need("N2", Some("Sport")))
        .card(&a, "c3", need("N3", None))
        .card(&a, "c4", proposal("P1", Some("Co-progettazione")))
        .card(&a, "c5", indicator("I1"))
        .card(&a, "c6", plain("questione", "Q"))
        .card(&a, "c7", plain("risorsa", "R"))
        .votes(&a, "c1", 2)
        .votes(&a, "c4", 2)
        .votes(&a, "c5", 1);
    let sessions = vec![session(&w, 0, m.state)];
    let sc = scope(Extent::Meeting(1), None, HiddenCards::Omit);
    let o = Outline::build(&w, &sessions, &sc, Utc::now());
    let areas: Vec<_> = o.needs_by_area().into_iter().map(|(a, _)| a).collect();
    assert_eq!(areas, [Some("Anziani"), Some("Sport"), None]);
    assert_eq!(o.codesign_proposals(), [3]);
    assert_eq!(o.of_kind(Kind::OpenQuestion), [5]);
    assert_eq!(o.by_column(Kind::Other)[0].1, [6]);
    let refs: Vec<_> = o.items.iter().map(|i| i.reference.as_str()).collect();
    assert_eq!(
        refs,
        [
            "M1-1/B01", "M1-1/B02", "M1-1/B03", "M1-1/P01", "M1-1/I01", "M1-1/C01", "M1-1/C02"
        ]
    );
    assert_eq!(o.priorities(|_| true), [(1, 0), (1, 3), (3, 4)]);
}

/// An objective of `area` linking `needs` and `indicators`, with `resources` (fund, cents).
pub fn objective(
    title: &str,
    area: Option<&str>,
    needs: &[&str],
    indicators: &[&str],
    resources: &[(Fund, u64)],
) -> crate::domain::board::ObjectiveContent {
    crate::domain::board::ObjectiveContent {
        title: title.into(),
        policy_area: area.map(String::from),
        needs: needs.iter().map(|s| s.to_string()).collect(),
        indicators: indicators.iter().map(|s| s.to_string()).collect(),
        resources: resources
            .iter()
            .map(|&(fund, amount_cents)| crate::domain::board::Resource {
                amount_cents,
                fund,
                description: None,
            })
            .collect(),
        ..Default::default()
    }
}

#[test]
fn the_synthesis_reads_each_meeting_with_links_to_what_the_export_reports() {
    let w = workshop();
    let (a, b, f) = (person(1, "X"), person(2, "Y"), facilitator());
    let mut m1 = BoardBuilder::new(1);
    m1.card(&a, "n1", need("Anziani soli", Some("Anziani")))
        .card(&a, "n2", need("Anziani soli, di nuovo", Some("Anziani")))
        .card(&a, "n3", need("Testo da nascondere", Some("Anziani")))
        .card(&a, "i1", indicator("Persone raggiunte"))
        .card(&a, "p1", proposal("Tavolo permanente", None))
        .votes(&a, "n1", 3)
        .votes(&a, "n3", 1)
        .event(
            &f,
            Event::CardsMerged {
                into: "n1".into(),
                cards: vec!["n2".into()],
            },
        )
        .event(
            &f,
            Event::SynthesisWritten {
                policy_area: "Anziani".into(),
                text: "Sintesi 1".into(),
            },
        )
        .event(
            &f,
            Event::ObjectiveCreated {
                objective_id: "o1".into(),
                number: 1,
                objective: objective(
                    "Domiciliarità",
                    Some("Anziani"),
                    &["n1", "n2", "n3"],
                    &["i1"],
                    &[(Fund::Fnps, 100_000), (Fund::Fna, 5_000), (Fund::Fnps, 1)],
                ),
            },
        )
        .event(
            &f,
            Event::ObjectiveCreated {
                objective_id: "o2".into(),
                number: 2,
                objective: objective("Tolto", None, &[], &[], &[(Fund::Pnrr, 9)]),
            },
        )
        .event(
            &f,
            Event::ObjectiveRemoved {
                objective_id: "o2".into(),
            },
        )
        .event(
            &f,
            Event::CardHidden {
                card_id: "n3".into(),
                reason: "dati personali".into(),
            },
        )
        .event(
            &f,
            Event::CardMarked {
                card_id: "p1".into(),
                mark: MarkKind::QuestioneAperta,
                note: Some("Chi convoca?".into()),
            },
        )
        .event(
            &b,
            Event::ObjectiveCommented {
                objective_id: "o1".into(),
                comment_id: "k1".into(),
                text: "Serve il trasporto".into(),
            },
        );
    let mut m2 = BoardBuilder::new(2);
    m2.card(&a, "n1", need("Giovani NEET", Some("Giovani")))
        .votes(&a, "n1", 1)
        .event(
            &f,
            Event::ObjectiveCreated {
                objective_id: "o1".into(),
                number: 1,
                objective: objective("Orientamento", None, &["n1"], &[], &[(Fund::Fnps, 2_000)]),
            },
        );
    let sessions = vec![session(&w, 0, m1.state), session(&w, 1, m2.state)];
    let sc = scope(Extent::Module(1), None, HiddenCards::Omit);
    let o = Outline::build(&w, &sessions, &sc, Utc::now());

    // Only active objectives, each meeting's numbered in its own meeting.
    let refs: Vec<_> = o.objectives.iter().map(|x| x.reference.as_str()).collect();
    assert_eq!(refs, ["M1-1/O01", "M1-2/O01"]);
    // n2 was merged into n1: one link; n3 was hidden since: its reference, never its text.
    let first = &o.objectives[0];
    let n1 = o
        .items
        .iter()
        .position(|it| it.title() == "Anziani soli")
        .unwrap();
    assert_eq!(
        first.needs,
        [
            Link {
                reference: "M1-1/B01".into(),
                item: Some(n1)
            },
            Link {
                reference: "M1-1/B03".into(),
                item: None
            },
        ]
    );
    let i1 = o.of_kind(Kind::Indicator)[0];
    assert_eq!(
        first.indicators,
        [Link {
            reference: "M1-1/I01".into(),
            item: Some(i1)
        }]
    );
    assert_eq!(o.objectives_measured_by(i1), ["M1-1/O01"]);
    assert_eq!(first.comments.len(), 1);

    // Resources by fund: the removed objective's amount is not counted.
    let funds: Vec<_> = o
        .resources_by_fund()
        .iter()
        .map(|t| (t.fund, t.cents, t.objectives))
        .collect();
    assert_eq!(funds, [(Fund::Fnps, 102_001, 2), (Fund::Fna, 5_000, 1)]);

    assert_eq!(o.syntheses_of("Anziani").len(), 1);
    assert_eq!(o.synthesis_areas(), ["Anziani", "Giovani"]);
    assert_eq!(o.objectives_of(Some("Anziani")).len(), 1);
    assert_eq!(o.objectives_of(None)[0].reference, "M1-2/O01");

    let p1 = o.of_kind(Kind::Proposal)[0];
    assert_eq!(o.open_questions(), [p1]);
    assert_eq!(o.marked(MarkKind::QuestioneAperta), [p1]);
    assert!(o.codesign_topics().is_empty());

    // Each meeting ranks its own cards: one vote in the second meeting is its first place.
    let top = o.top_per_meeting(5, |it| it.kind == Kind::Need);
    assert_eq!(top.len(), 2);
    assert_eq!(top[0].1, [(1, n1)]);
    assert_eq!(top[1].1[0].0, 1);

    // With an Ambito filter the objective stays whole, its comments follow the filter.
    let x = scope(Extent::Module(1), Some("X"), HiddenCards::Omit);
    let o = Outline::build(&w, &sessions, &x, Utc::now());
    assert_eq!(o.objectives.len(), 2);
    assert!(o.objectives[0].comments.is_empty());
}
