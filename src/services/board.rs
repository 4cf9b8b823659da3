//! The board's use cases outside the live room: who joins a meeting's board as whom, guests
//! joining with the meeting's code, carrying cards over from an earlier meeting, the history.

use chrono::{DateTime, Utc};

use crate::domain::access::{AccountRole, Action, Principal};
use crate::domain::board::reference;
use crate::domain::board::{
    Actor, ActorId, ActorKind, CarriedCard, EventRecord, MergedCard, Op, Refusal,
};
use crate::domain::enrollment::Status;
use crate::domain::guest_code;
use crate::services::accounts;
use crate::services::catalogue::{Catalogue, MeetingRef};
use crate::services::room::{OpError, Rooms};
use crate::store::{self, DbError, Store};

/// Why someone may not join a board.
#[derive(Debug)]
pub enum Denied {
    /// Nobody is signed in, or their enrollment no longer exists.
    NotSignedIn,
    /// Signed in, but not for this board: the Italian reason.
    Forbidden(&'static str),
}

/// Who is asking, as the session knows them.
pub struct Asking<'a> {
    pub principal: &'a Principal,
    /// The name of a staff account or a guest.
    pub name: Option<&'a str>,
    /// The body a guest declared.
    pub organisation: Option<&'a str>,
    /// The Ambito territoriale a guest declared.
    pub ambito: Option<&'a str>,
    /// A participant's enrollment status, read with their credential (then `name`,
    /// `organisation` and `ambito` are the enrollment's name, body and Ambito). Reading the
    /// enrollment again here cost each of 5,000 people joining a plenary a second read.
    pub participant_status: Option<Status>,
}

/// The board identity of whoever asks, for one meeting: a confirmed participant of its
/// workshop, a guest of this meeting, or staff who run the workshop. Anyone else is refused.
pub fn actor_for(asking: Asking<'_>, m: &MeetingRef<'_>) -> Result<Actor, Denied> {
    match asking.principal {
        Principal::Anonymous => Err(Denied::NotSignedIn),
        Principal::Participant {
            enrollment_id,
            workshop_id,
        } => {
            if *workshop_id != m.entry.id {
                return Err(Denied::Forbidden(
                    "Questa lavagna è di un altro laboratorio.",
                ));
            }
            // No status: the credential's enrollment was not read, so nobody is known.
            let status = asking.participant_status.ok_or(Denied::NotSignedIn)?;
            if status != Status::Confirmed {
                return Err(Denied::Forbidden(
                    "La lavagna è riservata a chi ha l'iscrizione confermata.",
                ));
            }
            Ok(Actor {
                id: ActorId::Enrollment(*enrollment_id),
                kind: ActorKind::Participant,
                name: asking.name.unwrap_or_default().to_string(),
                organisation: asking.organisation.map(str::to_string),
                ambito: asking.ambito.map(str::to_string),
            })
        }
        Principal::Guest {
            guest_id,
            meeting_id,
        } => {
            if *meeting_id != m.entry.meeting_id(&m.meeting.key) {
                return Err(Denied::Forbidden(
                    "Il codice ospite vale solo per il suo incontro.",
                ));
            }
            Ok(Actor {
                id: ActorId::Guest(*guest_id),
                kind: ActorKind::Guest,
                name: asking.name.unwrap_or_default().to_string(),
                organisation: asking.organisation.map(str::to_string),
                ambito: asking.ambito.map(str::to_string),
            })
        }
        Principal::Account { id, role, .. } => {
            if !asking.principal.may(Action::RunMeeting(m.entry.id)) {
                return Err(Denied::Forbidden("Non conduci questo laboratorio."));
            }
            Ok(Actor {
                id: ActorId::Account(*id),
                kind: match role {
                    AccountRole::Organiser => ActorKind::Organiser,
                    AccountRole::Facilitator => ActorKind::Facilitator,
                },
                name: asking.name.unwrap_or_default().to_string(),
                organisation: None,
                ambito: None,
            })
        }
    }
}

/// Why a guest could not join.
#[derive(Debug)]
pub enum GuestRefused {
    /// No code is active for this meeting.
    NoCode,
    /// The code typed is not the meeting's.
    WrongCode,
    /// The meeting's code stopped working ([`guest_code::expires_at`]).
    Expired,
    /// The code admitted [`guest_code::GUESTS_PER_CODE`] guests already.
    Full,
    Store(DbError),
    /// The meeting's board could not be opened.
    Unavailable,
}

/// A guest joins a meeting with the code shown in the room: checks the code, records the guest
/// (name, body and, if they gave it, Ambito: validated by the caller) unless the code admitted
/// its most guests, and opens a session for them that ends when the code expires (at the
/// latest after the usual session length). Returns the raw session token (for the cookie).
pub async fn join_as_guest(
    store: &Store,
    rooms: &Rooms,
    m: &MeetingRef<'_>,
    typed: &str,
    guest: store::board::NewGuest<'_>,
    now: DateTime<Utc>,
) -> Result<String, GuestRefused> {
    let code = check_guest_code(rooms, m, typed, now).await?;
    let meeting_id = m.entry.meeting_id(&m.meeting.key);
    let guest_id = store::board::create_guest(
        store,
        meeting_id,
        &crate::secret::hash(&code),
        guest_code::GUESTS_PER_CODE,
        guest,
    )
    .await
    .map_err(GuestRefused::Store)?
    .ok_or(GuestRefused::Full)?;
    let (raw, hash) = crate::secret::new_token();
    let until_expiry = (guest_code::expires_at(m.meeting, m.entry.workshop.timezone) - now)
        .num_milliseconds()
        .max(0);
    let ttl = accounts::SESSION_TTL_MS.min(until_expiry);
    store::accounts::create_guest_session(store, &hash, guest_id, ttl)
        .await
        .map_err(GuestRefused::Store)?;
    // The code disabled meanwhile ended the guests' sessions before this one existed: this one
    // must not outlive it.
    if let Err(refused) = check_guest_code(rooms, m, &code, now).await {
        store::accounts::delete_session(store, &hash)
            .await
            .map_err(GuestRefused::Store)?;
        return Err(refused);
    }
    Ok(raw)
}

/// Whether `typed` (read without dashes, spaces or case) is the meeting's active guest code,
/// compared in constant time, and the code has not expired at `now`. Returns the code.
pub async fn check_guest_code(
    rooms: &Rooms,
    m: &MeetingRef<'_>,
    typed: &str,
    now: DateTime<Utc>,
) -> Result<String, GuestRefused> {
    let meeting_id = m.entry.meeting_id(&m.meeting.key);
    let room = rooms
        .get(meeting_id)
        .await
        .map_err(|_| GuestRefused::Unavailable)?;
    let current = room.state().await.and_then(|s| s.guest_code);
    let Some(code) = current else {
        return Err(GuestRefused::NoCode);
    };
    if now > guest_code::expires_at(m.meeting, m.entry.workshop.timezone) {
        return Err(GuestRefused::Expired);
    }
    if !crate::secret::same(&code, &guest_code::normalise(typed)) {
        return Err(GuestRefused::WrongCode);
    }
    Ok(code)
}

/// Turns a carry-over by card ids into the cards themselves, read from the earlier meeting's
/// board: only cards still on that board, only from an earlier meeting of the same workshop.
/// The server fills in content and authors, so a client cannot invent them. Other operations
/// pass through.
pub async fn resolve_carry_over(
    catalogue: &Catalogue,
    rooms: &Rooms,
    meeting_id: i64,
    op: Op,
) -> Result<Op, OpError> {
    let Op::CarryOver {
        from_meeting,
        cards,
    } = op
    else {
        return Ok(op);
    };
    let refuse = |m: &str| OpError::Refused(Refusal::new("invalid", m));
    let (Some(here), Some(there)) = (
        catalogue.meeting(meeting_id),
        catalogue.meeting(from_meeting),
    ) else {
        return Err(refuse("Incontro di provenienza non trovato."));
    };
    if here.entry.id != there.entry.id
        || from_meeting == meeting_id
        || there.meeting.date > here.meeting.date
    {
        return Err(refuse(
            "Si possono riportare solo contributi di un incontro precedente dello stesso laboratorio.",
        ));
    }
    let source = rooms
        .get(from_meeting)
        .await
        .map_err(|_| OpError::Unavailable)?;
    let source = source.state().await.ok_or(OpError::Unavailable)?;
    let columns = &here.entry.workshop.board_template(here.meeting).columns;
    let there_code = reference::meeting_code(there.module.number, there.meeting.number);
    let mut carried = Vec::new();
    for id in cards {
        let card = source
            .cards
            .get(&id)
            .filter(|c| c.is_active())
            .ok_or_else(|| {
                refuse(&format!(
                    "Il contributo {id} non è sulla lavagna di quell'incontro."
                ))
            })?;
        // A card whose column this board lacks goes to the column of its kind.
        let column = if columns.iter().any(|c| c.card_type == card.column) {
            card.column.clone()
        } else {
            card.content.card_type().to_string()
        };
        // Its history comes along: the comments and duplicates of the meetings it went
        // through, and the time it was first written.
        let earlier = card.carried_from.as_ref();
        let mut comments = earlier.map(|c| c.comments.clone()).unwrap_or_default();
        comments.extend(card.comments.iter().cloned());
        let mut merged = earlier.map(|c| c.merged.clone()).unwrap_or_default();
        merged.extend(
            card.merged
                .iter()
                .filter_map(|m| source.cards.get(m))
                .map(|m| MergedCard {
                    meeting: from_meeting,
                    reference: Some(m.reference(&there_code)),
                    content: m.content.clone(),
                    author: m.author.clone(),
                    on_behalf_of: m.on_behalf_of.clone(),
                    anonymous: m.anonymous,
                    created_at: m.created_at,
                }),
        );
        carried.push(CarriedCard {
            from_card: id.clone(),
            card_id: format!("m{from_meeting}-{id}").chars().take(64).collect(),
            column,
            content: card.content.clone(),
            author: card.author.clone(),
            anonymous: card.anonymous,
            number: None,
            from_reference: Some(card.reference(&there_code)),
            created_at: Some(
                earlier
                    .and_then(|c| c.created_at)
                    .unwrap_or(card.created_at),
            ),
            on_behalf_of: card.on_behalf_of.clone(),
            comments,
            merged,
        });
    }
    Ok(Op::CarryOverCards {
        from_meeting,
        cards: carried,
    })
}

/// Every event of a meeting's board, in order (for the history page).
pub async fn events(store: &Store, meeting_id: i64) -> Result<Vec<EventRecord>, DbError> {
    store::board::events_after(store, meeting_id, 0).await
}
