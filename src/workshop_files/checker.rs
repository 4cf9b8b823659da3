//! The file's meaning: turns the raw shapes into the domain's [`Workshop`], checking what
//! serde cannot (dates, times and instants, identifiers, non-blank texts, references to roles
//! and board templates, the calendar order of meetings) and applying the domain's defaults.
//! Every mistake names its file, line and key.

use std::ops::Range;
use std::sync::Arc;

use chrono::{
    DateTime, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc,
};
use chrono_tz::Tz;
use toml::Spanned;
use toml::value::{Datetime, Offset};

use super::error::{Source, WorkshopFileError};
use super::raw::{
    Moment, RawBoardTemplate, RawModule, RawProcedure, RawRole, RawWorkshop, Text, TextList,
};
use crate::domain::defaults;
use crate::domain::process::{OpeningAct, Party, PartyKind, Procedure, Process};
use crate::domain::workshop::{BoardColumn, BoardTemplate, Meeting, Module, Role, Workshop};

/// Checks one file's raw shapes; every error it returns is located in `source`.
pub(super) struct Checker<'a> {
    pub source: Source<'a>,
}

type Checked<T> = Result<T, WorkshopFileError>;

pub(super) const DATE_HINT: &str = "data non valida (atteso AAAA-MM-GG, es. 2021-10-01)";
pub(super) const TIME_HINT: &str = "orario non valido (atteso HH:MM:SS, es. 09:30:00)";
pub(super) const INSTANT_HINT: &str =
    "data e ora non valide (atteso AAAA-MM-GGTHH:MM:SS+02:00, es. 2021-09-27T23:59:59+02:00)";

impl Checker<'_> {
    fn err(
        &self,
        span: Range<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> WorkshopFileError {
        self.source.error(span, key, message)
    }

    /// The whole file: the general keys, then roles, policy areas, ambiti and board templates
    /// (which the meetings refer to), then the modules and their meetings.
    pub fn workshop(&self, raw: RawWorkshop) -> Checked<Workshop> {
        let slug = self.ident(&raw.slug, "slug")?;
        let title = self.text(&raw.title, "title")?;
        let organiser = self.text(&raw.organiser, "organiser")?;
        let funding = self.text(&raw.funding, "funding")?;
        let description = raw
            .description
            .as_ref()
            .map(|d| d.get_ref().trim().to_string())
            .unwrap_or_default();
        let timezone = match &raw.timezone {
            None => defaults::TIMEZONE,
            Some(tz) => tz.get_ref().trim().parse::<Tz>().map_err(|_| {
                self.err(
                    tz.span(),
                    "timezone",
                    format!(
                        "fuso orario sconosciuto \"{}\" (atteso un nome IANA, es. \"{}\")",
                        tz.get_ref(),
                        defaults::TIMEZONE.name()
                    ),
                )
            })?,
        };
        let capacity = match u32::try_from(*raw.capacity.get_ref()) {
            Ok(n) if n >= 1 => n,
            _ => {
                return Err(self.err(
                    raw.capacity.span(),
                    "capacity",
                    "i posti devono essere almeno 1 (numero intero)",
                ));
            }
        };
        let enrollment_opens =
            self.instant(&raw.enrollment_opens, "enrollment_opens", timezone, false)?;
        let enrollment_closes =
            self.instant(&raw.enrollment_closes, "enrollment_closes", timezone, true)?;
        if enrollment_opens >= enrollment_closes {
            return Err(self.err(
                raw.enrollment_closes.span(),
                "enrollment_closes",
                "la chiusura delle iscrizioni deve venire dopo l'apertura (enrollment_opens)",
            ));
        }

        let roles = self.roles(&raw.roles)?;
        let policy_areas = match &raw.policy_areas {
            Some(list) => self.text_list(list, "policy_areas", true)?,
            None => defaults::policy_areas(),
        };
        let ambiti = match &raw.ambiti {
            Some(list) => self.text_list(list, "ambiti", false)?,
            None => Vec::new(),
        };
        let board_templates = self.board_templates(&raw.board_templates)?;
        let process = self.process(raw.process.as_ref(), raw.procedure.as_ref())?;

        let eligible_roles = self.text_list(&raw.eligible_roles, "eligible_roles", true)?;
        for (i, role) in eligible_roles.iter().enumerate() {
            if !roles.iter().any(|r| &r.id == role) {
                let known: Vec<&str> = roles.iter().map(|r| r.id.as_str()).collect();
                return Err(self.err(
                    raw.eligible_roles.get_ref()[i].span(),
                    format!("eligible_roles[{i}]"),
                    format!(
                        "ruolo sconosciuto \"{role}\" (ruoli noti: {}; altri si aggiungono con [[roles]])",
                        known.join(", ")
                    ),
                ));
            }
        }
        let facilitators = self.text_list(&raw.facilitators, "facilitators", true)?;
        let video_link = match &raw.video_link {
            Some(link) => Some(self.video_link(link, "video_link")?),
            None => None,
        };
        let shared: Vec<Arc<BoardTemplate>> =
            board_templates.iter().cloned().map(Arc::new).collect();
        let modules = self.modules(&raw.modules, &shared, video_link.as_deref())?;

        Ok(Workshop {
            slug,
            title,
            organiser,
            funding,
            description,
            timezone,
            capacity,
            enrollment_opens,
            enrollment_closes,
            eligible_roles,
            facilitators,
            video_link,
            modules,
            roles,
            policy_areas,
            ambiti,
            process,
            board_templates,
        })
    }

    /// `process` ("laboratorio", the default, or "procedimento") and, for a procedimento, its
    /// `[procedure]`: required there, refused for a laboratorio (its documents must never read
    /// as acts of a procedure).
    fn process(
        &self,
        kind: Option<&Text>,
        procedure: Option<&Spanned<RawProcedure>>,
    ) -> Checked<Process> {
        let word = kind.map_or("laboratorio", |k| k.get_ref().trim());
        match (word, procedure) {
            ("laboratorio", None) => Ok(Process::Laboratorio),
            ("laboratorio", Some(p)) => Err(self.err(
                p.span(),
                "procedure",
                "la sezione [procedure] vale solo con process = \"procedimento\": un laboratorio \
                 è un'attività formativa, i suoi documenti non sono atti di un procedimento",
            )),
            ("procedimento", Some(p)) => Ok(Process::Procedimento(self.procedure(p)?)),
            ("procedimento", None) => Err(self.err(
                kind.map_or(0..0, |k| k.span()),
                "procedure",
                "un procedimento ha bisogno della sezione [procedure] (amministrazione \
                 procedente, ente capofila, Ambito, responsabile del procedimento, verbalizzante, \
                 atto di avvio)",
            )),
            (other, _) => Err(self.err(
                kind.map_or(0..0, |k| k.span()),
                "process",
                format!(
                    "tipo di processo sconosciuto \"{other}\" (atteso \"laboratorio\" oppure \
                     \"procedimento\")"
                ),
            )),
        }
    }

    fn procedure(&self, raw: &Spanned<RawProcedure>) -> Checked<Procedure> {
        let p = raw.get_ref();
        let act = p.opening_act.get_ref();
        let mut parties = Vec::with_capacity(p.parties.len());
        for (i, party) in p.parties.iter().enumerate() {
            let key = format!("procedure.parties[{i}]");
            let rp = party.get_ref();
            let word = rp.kind.get_ref().trim();
            let kind = PartyKind::parse(word).ok_or_else(|| {
                let known: Vec<&str> = PartyKind::ALL.iter().map(|k| k.id()).collect();
                self.err(
                    rp.kind.span(),
                    format!("{key}.kind"),
                    format!(
                        "tipo di parte sconosciuto \"{word}\" (atteso uno tra: {})",
                        known.join(", ")
                    ),
                )
            })?;
            let name = self.text(&rp.name, &format!("{key}.name"))?;
            if let Some(j) = parties.iter().position(|x: &Party| x.name == name) {
                return Err(self.err(
                    rp.name.span(),
                    format!("{key}.name"),
                    format!("\"{name}\" è già tra le parti (procedure.parties[{j}])"),
                ));
            }
            let represented_by = match &rp.represented_by {
                Some(t) => Some(self.text(t, &format!("{key}.represented_by"))?),
                None => None,
            };
            parties.push(Party {
                kind,
                name,
                represented_by,
            });
        }
        Ok(Procedure {
            authority: self.text(&p.authority, "procedure.authority")?,
            lead_body: self.text(&p.lead_body, "procedure.lead_body")?,
            ambito: self.text(&p.ambito, "procedure.ambito")?,
            responsible: self.text(&p.responsible, "procedure.responsible")?,
            minutes_by: self.text(&p.minutes_by, "procedure.minutes_by")?,
            opening_act: OpeningAct {
                kind: self.text(&act.kind, "procedure.opening_act.kind")?,
                number: self.text(&act.number, "procedure.opening_act.number")?,
                date: self.date(&act.date, "procedure.opening_act.date")?,
            },
            public_notice: match &p.public_notice {
                Some(d) => Some(self.date(d, "procedure.public_notice")?),
                None => None,
            },
            plan_period: match &p.plan_period {
                Some(t) => Some(self.text(t, "procedure.plan_period")?),
                None => None,
            },
            parties,
        })
    }

    /// Defaults first, in their order; a file role with a known id relabels it, others follow.
    fn roles(&self, raw: &[Spanned<RawRole>]) -> Checked<Vec<Role>> {
        let mut roles = defaults::roles();
        let mut seen: Vec<&str> = Vec::new();
        for (i, r) in raw.iter().enumerate() {
            let r = r.get_ref();
            let key = format!("roles[{i}]");
            let id = self.ident(&r.id, &format!("{key}.id"))?;
            if seen.contains(&id.as_str()) {
                return Err(self.err(
                    r.id.span(),
                    format!("{key}.id"),
                    format!("il ruolo \"{id}\" è già definito in questo file"),
                ));
            }
            seen.push(r.id.get_ref().trim());
            let label = self.text(&r.label, &format!("{key}.label"))?;
            match roles.iter_mut().find(|known| known.id == id) {
                Some(known) => known.label = label,
                None => roles.push(Role { id, label }),
            }
        }
        Ok(roles)
    }

    /// The built-in template first (unless the file redefines it by name), then the file's own.
    fn board_templates(&self, raw: &[Spanned<RawBoardTemplate>]) -> Checked<Vec<BoardTemplate>> {
        let mut templates = vec![defaults::board_template()];
        let mut seen: Vec<String> = Vec::new();
        for (i, t) in raw.iter().enumerate() {
            let t = t.get_ref();
            let key = format!("board_templates[{i}]");
            let name = self.ident(&t.name, &format!("{key}.name"))?;
            if seen.contains(&name) {
                return Err(self.err(
                    t.name.span(),
                    format!("{key}.name"),
                    format!("il modello di lavagna \"{name}\" è già definito in questo file"),
                ));
            }
            seen.push(name.clone());

            let phases_key = format!("{key}.phases");
            if t.phases.get_ref().is_empty() {
                return Err(self.err(t.phases.span(), phases_key, "serve almeno una fase"));
            }
            let mut phases: Vec<String> = Vec::new();
            for (j, phase) in t.phases.get_ref().iter().enumerate() {
                let phase_key = format!("{phases_key}[{j}]");
                let phase_id = self.ident(phase, &phase_key)?;
                if phases.contains(&phase_id) {
                    return Err(self.err(
                        phase.span(),
                        phase_key,
                        format!("la fase \"{phase_id}\" è ripetuta"),
                    ));
                }
                phases.push(phase_id);
            }

            if t.columns.get_ref().is_empty() {
                return Err(self.err(
                    t.columns.span(),
                    format!("{key}.columns"),
                    "serve almeno una colonna ([[board_templates.columns]])",
                ));
            }
            let mut columns: Vec<BoardColumn> = Vec::new();
            for (j, c) in t.columns.get_ref().iter().enumerate() {
                let c = c.get_ref();
                let col_key = format!("{key}.columns[{j}]");
                let card_type = self.ident(&c.card_type, &format!("{col_key}.card_type"))?;
                if columns.iter().any(|other| other.card_type == card_type) {
                    return Err(self.err(
                        c.card_type.span(),
                        format!("{col_key}.card_type"),
                        format!(
                            "il tipo di scheda \"{card_type}\" ha già una colonna in questo modello"
                        ),
                    ));
                }
                columns.push(BoardColumn {
                    card_type,
                    title: self.text(&c.title, &format!("{col_key}.title"))?,
                    prompt: self.text(&c.prompt, &format!("{col_key}.prompt"))?,
                });
            }

            let template = BoardTemplate {
                name,
                columns,
                phases,
            };
            match templates
                .iter_mut()
                .find(|known| known.name == template.name)
            {
                Some(known) => *known = template,
                None => templates.push(template),
            }
        }
        Ok(templates)
    }

    /// `video_link`: the workshop's address for online meetings that name none of their own.
    fn modules(
        &self,
        raw: &Spanned<Vec<Spanned<RawModule>>>,
        templates: &[Arc<BoardTemplate>],
        video_link: Option<&str>,
    ) -> Checked<Vec<Module>> {
        if raw.get_ref().is_empty() {
            return Err(self.err(
                raw.span(),
                "modules",
                "serve almeno un modulo ([[modules]])",
            ));
        }
        let mut modules = Vec::with_capacity(raw.get_ref().len());
        // Start of the previous meeting (any module) and end of the previous one in this module.
        let mut previous: Option<(NaiveDateTime, String)> = None;
        for (m, raw_module) in raw.get_ref().iter().enumerate() {
            let rm = raw_module.get_ref();
            let key = format!("modules[{m}]");
            let number = m as u32 + 1;
            let title = self.text(&rm.title, &format!("{key}.title"))?;
            let topics = match &rm.topics {
                Some(list) => self.text_list(list, &format!("{key}.topics"), false)?,
                None => Vec::new(),
            };
            if rm.meetings.get_ref().is_empty() {
                return Err(self.err(
                    raw_module.span(),
                    format!("{key}.meetings"),
                    "serve almeno un incontro ([[modules.meetings]])",
                ));
            }
            let mut meetings: Vec<Meeting> = Vec::new();
            let mut previous_end_in_module: Option<(NaiveDateTime, String)> = None;
            for (n, raw_meeting) in rm.meetings.get_ref().iter().enumerate() {
                let mt = raw_meeting.get_ref();
                let mkey = format!("{key}.meetings[{n}]");
                let date = self.date(&mt.date, &format!("{mkey}.date"))?;
                let start = self.time(&mt.start, &format!("{mkey}.start"))?;
                let end = self.time(&mt.end, &format!("{mkey}.end"))?;
                if start >= end {
                    return Err(self.err(
                        mt.end.span(),
                        format!("{mkey}.end"),
                        "l'incontro deve finire dopo l'inizio (start)",
                    ));
                }
                let meeting_key = format!("M{number}-{}", n + 1);
                let starts_at = date.and_time(start);
                if let Some((prev_end, prev_key)) = &previous_end_in_module {
                    if starts_at < *prev_end {
                        return Err(self.err(
                            mt.date.span(),
                            format!("{mkey}.date"),
                            format!(
                                "gli incontri di un modulo vanno in ordine di data e non si \
                                 sovrappongono: questo inizia prima della fine di {prev_key}"
                            ),
                        ));
                    }
                }
                if let Some((prev_start, prev_key)) = &previous {
                    if starts_at < *prev_start {
                        return Err(self.err(
                            mt.date.span(),
                            format!("{mkey}.date"),
                            format!(
                                "gli incontri vanno in ordine di data anche tra un modulo e \
                                 l'altro: questo inizia prima di {prev_key}"
                            ),
                        ));
                    }
                }
                previous = Some((starts_at, meeting_key.clone()));
                previous_end_in_module = Some((date.and_time(end), meeting_key.clone()));

                let place = self.text(&mt.place, &format!("{mkey}.place"))?;
                let title = match &mt.title {
                    Some(t) => Some(self.text(t, &format!("{mkey}.title"))?),
                    None => None,
                };
                let template = self.meeting_template(
                    mt.board_template.as_ref(),
                    &format!("{mkey}.board_template"),
                    templates,
                )?;
                let agenda = match &mt.agenda {
                    Some(list) => self.text_list(list, &format!("{mkey}.agenda"), false)?,
                    None => Vec::new(),
                };
                // A meeting's own address; an online meeting without one uses the workshop's.
                let video_link = match &mt.video_link {
                    Some(link) => Some(self.video_link(link, &format!("{mkey}.video_link"))?),
                    None if place.eq_ignore_ascii_case("online") => video_link.map(str::to_string),
                    None => None,
                };
                meetings.push(Meeting {
                    key: meeting_key,
                    number: n as u32 + 1,
                    date,
                    start,
                    end,
                    place,
                    title,
                    board_template: template.name.clone(),
                    agenda,
                    video_link,
                    template,
                });
            }
            modules.push(Module {
                number,
                title,
                topics,
                meetings,
            });
        }
        Ok(modules)
    }

    /// The template a meeting names (the built-in one when it names none), among the file's.
    /// Resolved here, once, so that a meeting always has its template afterwards.
    fn meeting_template(
        &self,
        named: Option<&Text>,
        key: &str,
        templates: &[Arc<BoardTemplate>],
    ) -> Checked<Arc<BoardTemplate>> {
        let name = named.map_or(defaults::BOARD_TEMPLATE_NAME, |t| t.get_ref().trim());
        if let Some(found) = templates.iter().find(|t| t.name == name) {
            return Ok(found.clone());
        }
        let names: Vec<&str> = templates.iter().map(|t| t.name.as_str()).collect();
        // Only a named template can be missing: the built-in one is always among them.
        let span = named.map(Spanned::span).unwrap_or_default();
        Err(self.err(
            span,
            key,
            format!(
                "modello di lavagna sconosciuto \"{name}\" (disponibili: {}; \
                 altri si definiscono con [[board_templates]])",
                names.join(", ")
            ),
        ))
    }

    /// A non-empty text, trimmed.
    fn text(&self, value: &Text, key: &str) -> Checked<String> {
        let text = value.get_ref().trim();
        if text.is_empty() {
            return Err(self.err(value.span(), key, "il testo non può essere vuoto"));
        }
        Ok(text.to_string())
    }

    /// The address of a video call: a whole `https://` address, one line, of sensible length
    /// (it goes into e-mails, calendar files and links people click).
    fn video_link(&self, value: &Text, key: &str) -> Checked<String> {
        let link = value.get_ref().trim();
        let host = link
            .strip_prefix("https://")
            .map(|rest| rest.split(['/', '?', '#']).next().unwrap_or_default());
        let well_formed = host.is_some_and(|h| h.contains('.') && !h.starts_with('.'))
            && link.chars().count() <= 500
            && !link
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '<' | '>'));
        if !well_formed {
            return Err(self.err(
                value.span(),
                key,
                format!(
                    "\"{link}\" non è un collegamento valido: serve un indirizzo https:// \
                     completo, su una riga, di al massimo 500 caratteri \
                     (es. \"https://meet.comune.example.it/laboratorio\")"
                ),
            ));
        }
        Ok(link.to_string())
    }

    /// An id used in URLs and references: lowercase letters and digits in words joined by '-'.
    fn ident(&self, value: &Text, key: &str) -> Checked<String> {
        let id = value.get_ref().trim();
        if !is_ident(id) {
            return Err(self.err(
                value.span(),
                key,
                format!(
                    "\"{id}\" non va bene come identificativo: usa solo lettere minuscole senza \
                     accenti, cifre e trattini tra le parole (es. \"co-programmazione-2021\")"
                ),
            ));
        }
        Ok(id.to_string())
    }

    /// A list of non-empty, distinct texts; `required` lists must have at least one.
    fn text_list(&self, list: &TextList, key: &str, required: bool) -> Checked<Vec<String>> {
        if required && list.get_ref().is_empty() {
            return Err(self.err(list.span(), key, "la lista non può essere vuota"));
        }
        let mut out: Vec<String> = Vec::with_capacity(list.get_ref().len());
        for (i, item) in list.get_ref().iter().enumerate() {
            let item_key = format!("{key}[{i}]");
            let text = self.text(item, &item_key)?;
            if let Some(j) = out.iter().position(|other| *other == text) {
                return Err(self.err(
                    item.span(),
                    item_key,
                    format!("\"{text}\" è ripetuto (compare già in {key}[{j}])"),
                ));
            }
            out.push(text);
        }
        Ok(out)
    }

    fn date(&self, value: &Moment, key: &str) -> Checked<NaiveDate> {
        match toml_datetime(value.get_ref()) {
            Some(Datetime {
                date: Some(d),
                time: None,
                offset: None,
            }) => NaiveDate::from_ymd_opt(d.year.into(), d.month.into(), d.day.into()),
            _ => None,
        }
        .ok_or_else(|| self.err(value.span(), key, DATE_HINT))
    }

    fn time(&self, value: &Moment, key: &str) -> Checked<NaiveTime> {
        let parsed = match value.get_ref() {
            // "9:30" is how people write it; TOML itself wants 09:30.
            toml::Value::String(s) => NaiveTime::parse_from_str(s.trim(), "%H:%M")
                .or_else(|_| NaiveTime::parse_from_str(s.trim(), "%H:%M:%S"))
                .ok(),
            other => match toml_datetime(other) {
                Some(Datetime {
                    date: None,
                    time: Some(t),
                    offset: None,
                }) => naive_time(t),
                _ => None,
            },
        };
        parsed.ok_or_else(|| self.err(value.span(), key, TIME_HINT))
    }

    /// An instant: with an offset as written, without one in the workshop's time zone, a bare
    /// date meaning the start of that day (or its last second when `end_of_day`).
    fn instant(
        &self,
        value: &Moment,
        key: &str,
        tz: Tz,
        end_of_day: bool,
    ) -> Checked<DateTime<Utc>> {
        let bad = || self.err(value.span(), key, INSTANT_HINT);
        let dt = toml_datetime(value.get_ref()).ok_or_else(bad)?;
        let date = dt
            .date
            .and_then(|d| NaiveDate::from_ymd_opt(d.year.into(), d.month.into(), d.day.into()))
            .ok_or_else(bad)?;
        let time = match dt.time {
            Some(t) => naive_time(t).ok_or_else(bad)?,
            None if end_of_day => NaiveTime::from_hms_opt(23, 59, 59).ok_or_else(bad)?,
            None => NaiveTime::MIN,
        };
        let local = date.and_time(time);
        match dt.offset {
            Some(offset) => {
                let seconds = match offset {
                    Offset::Z => 0,
                    Offset::Custom { minutes } => i32::from(minutes) * 60,
                };
                FixedOffset::east_opt(seconds)
                    .and_then(|o| o.from_local_datetime(&local).single())
                    .map(|t| t.with_timezone(&Utc))
                    .ok_or_else(bad)
            }
            None => match tz.from_local_datetime(&local) {
                LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
                // The hour repeated when summer time ends: take the first.
                LocalResult::Ambiguous(first, _) => Ok(first.with_timezone(&Utc)),
                LocalResult::None => Err(self.err(
                    value.span(),
                    key,
                    format!(
                        "quest'ora non esiste nel fuso {} (passaggio all'ora legale): indica \
                         un altro orario o lo scarto, es. +02:00",
                        tz.name()
                    ),
                )),
            },
        }
    }
}

/// Lowercase ASCII letters and digits, in words joined by single '-'.
pub(super) fn is_ident(s: &str) -> bool {
    !s.is_empty()
        && s.split('-').all(|word| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// A TOML date/time, also when written as a quoted string.
fn toml_datetime(value: &toml::Value) -> Option<Datetime> {
    match value {
        toml::Value::Datetime(dt) => Some(*dt),
        toml::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn naive_time(t: toml::value::Time) -> Option<NaiveTime> {
    NaiveTime::from_hms_nano_opt(
        t.hour.into(),
        t.minute.into(),
        t.second.unwrap_or(0).into(),
        t.nanosecond.unwrap_or(0),
    )
}
