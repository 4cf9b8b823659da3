//! Who may do what: one table of rules, checked by every route (see `web::auth`).

use serde::Serialize;

/// The kind of staff account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountRole {
    /// Runs the catalogue and enrollment of every workshop (e.g. ANCI Lombardia staff).
    Organiser,
    /// Conduttore: runs the meetings of the workshops assigned to them.
    Facilitator,
}

impl AccountRole {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountRole::Organiser => "organiser",
            AccountRole::Facilitator => "facilitator",
        }
    }

    /// A stored or typed name (English or Italian).
    pub fn parse(s: &str) -> Option<AccountRole> {
        match s {
            "organiser" | "organizer" | "organizzatore" => Some(AccountRole::Organiser),
            "facilitator" | "conduttore" => Some(AccountRole::Facilitator),
            _ => None,
        }
    }

    /// The Italian label shown to people.
    pub fn label(self) -> &'static str {
        match self {
            AccountRole::Organiser => "Organizzazione",
            AccountRole::Facilitator => "Conduttore",
        }
    }
}

/// Whoever is making a request, as established by `web::auth`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Anonymous,
    /// An enrolled person, through their private link.
    Participant {
        enrollment_id: i64,
        workshop_id: i64,
    },
    /// Someone who joined one meeting with a guest code.
    Guest {
        guest_id: i64,
        meeting_id: i64,
    },
    /// A staff account; `workshops` are the ones a facilitator is assigned to.
    Account {
        id: i64,
        role: AccountRole,
        workshops: Vec<i64>,
    },
}

/// Things that need permission, with the workshop they concern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// See the enrollments (names, e-mails, statuses) of a workshop.
    ViewEnrollments(i64),
    /// Cancel someone else's enrollment.
    CancelEnrollment(i64),
    /// See and mark the attendance register of a workshop's meetings.
    Attendance(i64),
    /// Run a live meeting of a workshop (console, projector, moderation, exports).
    RunMeeting(i64),
    /// Export a workshop's documents and data, for every Ambito (staff: organisers, and the
    /// facilitators of that workshop). Ambito referents get [`ExportGrant::OnlyAmbito`].
    Export(i64),
    /// Export the text of the cards moderation hid (often hidden because they held personal
    /// data): organisers only, never a facilitator on their own.
    ExportHiddenText,
    /// Read the outbox (every notification, with personal data).
    ViewOutbox,
    /// Create accounts and API keys.
    ManageAccounts,
    /// Answer privacy requests: a person's data as JSON (art. 15 GDPR) or erased (art. 17).
    /// Organisers only: it reaches every workshop.
    ManagePersonalData,
}

impl Principal {
    /// The single authorisation rule of the staff area.
    pub fn may(&self, action: Action) -> bool {
        let Principal::Account {
            role, workshops, ..
        } = self
        else {
            return false;
        };
        match (role, action) {
            (AccountRole::Organiser, _) => true,
            (
                AccountRole::Facilitator,
                Action::ViewEnrollments(w)
                | Action::Attendance(w)
                | Action::RunMeeting(w)
                | Action::Export(w),
            ) => workshops.contains(&w),
            (AccountRole::Facilitator, _) => false,
        }
    }

    /// Whether this is a staff account.
    pub fn is_staff(&self) -> bool {
        matches!(self, Principal::Account { .. })
    }
}

/// What someone may export from a workshop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportGrant {
    /// Every Ambito, hidden cards included on request: organisers and the workshop's
    /// facilitators.
    Everything,
    /// Only the cards and the people of one Ambito, never the hidden cards: an Ambito referent,
    /// i.e. a participant of this workshop whose confirmed enrollment names an Ambito.
    OnlyAmbito(String),
}

/// The export rule. `referent_ambito` is the Ambito of the participant's enrollment when that
/// enrollment is confirmed (the caller reads it); guests and anonymous visitors get nothing.
pub fn export_grant(
    principal: &Principal,
    workshop_id: i64,
    referent_ambito: Option<&str>,
) -> Option<ExportGrant> {
    match principal {
        Principal::Account { .. } => principal
            .may(Action::Export(workshop_id))
            .then_some(ExportGrant::Everything),
        Principal::Participant { workshop_id: w, .. } if *w == workshop_id => referent_ambito
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(|a| ExportGrant::OnlyAmbito(a.to_string())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facilitators_see_only_their_workshops_and_never_cancel() {
        let f = Principal::Account {
            id: 1,
            role: AccountRole::Facilitator,
            workshops: vec![7],
        };
        assert!(f.may(Action::ViewEnrollments(7)));
        assert!(f.may(Action::Attendance(7)));
        assert!(!f.may(Action::ViewEnrollments(8)));
        assert!(!f.may(Action::CancelEnrollment(7)));
        assert!(!f.may(Action::ViewOutbox));
        assert!(!f.may(Action::ManageAccounts));
    }

    #[test]
    fn participants_and_anonymous_have_no_staff_rights() {
        for p in [
            Principal::Anonymous,
            Principal::Participant {
                enrollment_id: 1,
                workshop_id: 7,
            },
        ] {
            assert!(!p.may(Action::ViewEnrollments(7)));
            assert!(!p.may(Action::ViewOutbox));
        }
    }

    #[test]
    fn exports_staff_see_everything_referents_their_ambito_guests_nothing() {
        let f = Principal::Account {
            id: 1,
            role: AccountRole::Facilitator,
            workshops: vec![7],
        };
        assert_eq!(export_grant(&f, 7, None), Some(ExportGrant::Everything));
        assert_eq!(export_grant(&f, 8, None), None);
        let p = Principal::Participant {
            enrollment_id: 3,
            workshop_id: 7,
        };
        assert_eq!(
            export_grant(&p, 7, Some(" Ambito di Bergamo ")),
            Some(ExportGrant::OnlyAmbito("Ambito di Bergamo".into()))
        );
        assert_eq!(export_grant(&p, 7, Some("  ")), None);
        assert_eq!(export_grant(&p, 7, None), None);
        assert_eq!(export_grant(&p, 8, Some("Ambito di Bergamo")), None);
        let g = Principal::Guest {
            guest_id: 1,
            meeting_id: 2,
        };
        assert_eq!(export_grant(&g, 7, Some("x")), None);
        assert_eq!(export_grant(&Principal::Anonymous, 7, Some("x")), None);
    }

    #[test]
    fn organisers_may_everything() {
        let o = Principal::Account {
            id: 1,
            role: AccountRole::Organiser,
            workshops: vec![],
        };
        assert!(o.may(Action::CancelEnrollment(3)));
        assert!(o.may(Action::ManageAccounts));
    }
}
