//! The meeting calendar as an iCalendar file (RFC 5545), so people can add it to their agenda.

use chrono::{TimeZone, Utc};

use super::workshop::Workshop;

/// Whether the calendar is the public one or that of a person with a seat, who also gets the
/// meetings' video-call addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Public,
    Seated,
}

/// A VCALENDAR with one VEVENT per meeting; times in UTC so no VTIMEZONE is needed.
pub fn workshop_calendar(w: &Workshop, base_url: &str, audience: Audience) -> String {
    let mut out = String::new();
    let mut line = |s: &str| fold(&mut out, s);
    line("BEGIN:VCALENDAR");
    line("VERSION:2.0");
    line("PRODID:-//Tavolo//Laboratori di co-programmazione//IT");
    line("CALSCALE:GREGORIAN");
    line("METHOD:PUBLISH");
    line(&format!("X-WR-CALNAME:{}", escape(&w.title)));
    let stamp = Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    for (module, m) in w.meetings() {
        let at = |t| {
            w.timezone
                .from_local_datetime(&m.date.and_time(t))
                .earliest()
                .map(|d| d.with_timezone(&Utc).format("%Y%m%dT%H%M%SZ").to_string())
                .unwrap_or_default()
        };
        let summary = format!(
            "{} — modulo {}, incontro {}",
            m.title.as_deref().unwrap_or(&module.title),
            module.number,
            m.number
        );
        let link = match audience {
            Audience::Seated => m.video_link.as_deref(),
            Audience::Public => None,
        };
        let mut description = format!(
            "{}\nModulo {}: {}\nTemi: {}\n{}/laboratori/{}",
            w.title,
            module.number,
            module.title,
            module.topics.join("; "),
            base_url.trim_end_matches('/'),
            w.slug
        );
        if let Some(link) = link {
            description.push_str(&format!("\nCollegamento alla videochiamata: {link}"));
        }
        line("BEGIN:VEVENT");
        line(&format!("UID:{}-{}@tavolo", w.slug, m.key));
        line(&format!("DTSTAMP:{stamp}"));
        line(&format!("DTSTART:{}", at(m.start)));
        line(&format!("DTEND:{}", at(m.end)));
        line(&format!("SUMMARY:{}", escape(&summary)));
        line(&format!("DESCRIPTION:{}", escape(&description)));
        match link {
            Some(link) if m.place.eq_ignore_ascii_case("online") => {
                line(&format!("LOCATION:{}", escape(link)))
            }
            _ => line(&format!("LOCATION:{}", escape(&m.place))),
        }
        if let Some(link) = link {
            line(&format!("URL:{link}"));
        }
        line(&format!(
            "ORGANIZER;CN={}:mailto:noreply@invalid",
            escape_param(&w.organiser)
        ));
        line("END:VEVENT");
    }
    line("END:VCALENDAR");
    out
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace("\r\n", "\\n")
        .replace('\n', "\\n")
}

fn escape_param(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "'"))
}

/// Appends a content line folded at 75 octets (never inside a UTF-8 character), ending in CRLF.
fn fold(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_calendar_has_six_events_in_utc() {
        let w = crate::workshop_files::parse_workshop(
            "co-programmazione-2021.toml",
            include_str!("../../workshops/co-programmazione-2021.toml"),
        )
        .unwrap();
        let ics = workshop_calendar(&w, "http://x", Audience::Public);
        assert_eq!(ics.matches("BEGIN:VEVENT").count(), 6);
        // 1 October 2021, 9:30 in Rome (CEST, UTC+2) is 7:30 UTC.
        assert!(ics.contains("DTSTART:20211001T073000Z"), "{ics}");
        assert!(ics.lines().all(|l| l.len() <= 75));
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
    }

    #[test]
    fn only_people_with_a_seat_get_the_video_call_address() {
        let text = include_str!("../../workshops/co-programmazione-2021.toml").replacen(
            "\nfacilitators = [",
            "\nvideo_link = \"https://meet.example.it/laboratorio\"\nfacilitators = [",
            1,
        );
        let w =
            crate::workshop_files::parse_workshop("co-programmazione-2021.toml", &text).unwrap();
        let public = workshop_calendar(&w, "http://x", Audience::Public);
        assert!(!public.contains("meet.example.it"), "{public}");
        let seated = workshop_calendar(&w, "http://x", Audience::Seated);
        assert_eq!(
            seated
                .matches("URL:https://meet.example.it/laboratorio\r\n")
                .count(),
            6
        );
        assert_eq!(
            seated
                .matches("LOCATION:https://meet.example.it/laboratorio\r\n")
                .count(),
            6
        );
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
    }
}
