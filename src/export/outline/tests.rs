//! Tests of the outline, and the builders the export's other tests share: a workshop of two
//! meetings, people, boards built by applying events as the room does, cards of each kind.

use super::*;
use crate::domain::board::{Event, EventRecord, OnBehalf};
use crate::domain::cards::{Indicator, Need, Plain, Proposal};

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
fn merged_grouped_and_carried_cards_appear_once_with_all_their_votes() {
    let w = workshop();
    let (a, b, f) = (person(1, "Bergamo"), person(2, "Dalmine"), facilitator());
    let mut m1 = BoardBuilder::new(1);
    m1.card(&a, "c1", need("Anziani soli", Some("Anziani")))
        .card(&b, "c2", need("Anziani isolati", Some("Anziani")))
        .card(&b, "c3", need("Caregiver", Some("Domiciliarità")))
        .votes(&a, "c1", 2)
        .votes(&b, "c2", 1)
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
    let mut m2 = BoardBuilder::new(2);
    m2.event(
        &f,
        Event::CardsCarriedOver {
            from_meeting: 1,
            cards: vec![board::CarriedCard {
                from_card: "c1".into(),
                card_id: "k1".into(),
                column: "bisogno".into(),
                content: c1.content.clone(),
                author: c1.author.clone(),
                anonymous: false,
            }],
        },
    )
    .votes(&a, "k1", 1);
    let sessions = vec![session(&w, 0, m1.state), session(&w, 1, m2.state)];
    let sc = scope(Extent::Workshop, None, HiddenCards::Omit);
    let o = Outline::build(&w, &sessions, &sc, Utc::now());
    let titles: Vec<_> = o
        .items
        .iter()
        .map(|i| (i.reference.as_str(), i.title()))
        .collect();
    assert_eq!(titles, [("B1", "Caregiver"), ("B2", "Anziani soli")]);
    let carried = &o.items[1];
    assert_eq!(
        carried.votes, 4,
        "2 + 1 merged in meeting 1, 1 after the carry-over"
    );
    assert_eq!(carried.session, 1);
    assert_eq!(carried.carried_from, Some(0));
    assert_eq!(o.priorities(|_| true), vec![(1, 1)]);
    // The theme was set on the original: the copy starts ungrouped.
    assert_eq!(o.by_theme(&[0, 1])[0].0, None);
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
    assert_eq!(o.hidden[0].reference, "N1");
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
    let sessions = vec![s];
    let sc = scope(
        Extent::Meeting(1),
        Some(" ambito di bergamo"),
        HiddenCards::Omit,
    );
    let o = Outline::build(&w, &sessions, &sc, Utc::now());
    let titles: Vec<_> = o.items.iter().map(|i| i.title()).collect();
    assert_eq!(titles, ["Di Bergamo", "Anonimo di Bergamo"]);
    assert_eq!(o.items[1].author_name(), None);
    assert_eq!(o.items[1].organisation(), None);
    assert_eq!(o.participation.people, 1);
    assert_eq!(o.participation.by_organisation[0].organisation, "Comune 1");

    let all = scope(Extent::Meeting(1), None, HiddenCards::Omit);
    let o = Outline::build(&w, &sessions, &all, Utc::now());
    assert_eq!(o.items.len(), 4);
    assert_eq!(o.items[3].author_name(), Some("Mario"));
    assert_eq!(o.items[3].organisation(), Some("Coop"));
    assert_eq!(o.participation.people, 2);
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
    assert_eq!(refs, ["B1", "B2", "B3", "P1", "I1", "C1", "C2"]);
    assert_eq!(o.priorities(|_| true), [(1, 0), (1, 3), (3, 4)]);
}
