//! When being on a meeting's board counts as presence at the meeting.
//!
//! Registers back FSE funding: "Presente" must mean present at the meeting, not "opened the
//! board some day". Joining the board marks an enrolled person present only inside the
//! meeting's window — its date, start and end in the workshop's time zone — widened on both
//! sides by a small margin (people open the board a little early, or linger after the end).
//! Marks made by hand by staff are not subject to it.

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::workshop::Meeting;

/// The instants between which joining a meeting's board marks presence, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttendanceWindow {
    pub opens: DateTime<Utc>,
    pub closes: DateTime<Utc>,
}

impl AttendanceWindow {
    /// The window of `meeting` in time zone `tz`: from `margin` before its start to `margin`
    /// after its end. A negative margin counts as none.
    pub fn of(meeting: &Meeting, tz: Tz, margin: Duration) -> AttendanceWindow {
        let margin = margin.max(Duration::zero());
        let start = local_instant(tz, meeting.date.and_time(meeting.start), Edge::Start);
        let end = local_instant(tz, meeting.date.and_time(meeting.end), Edge::End);
        AttendanceWindow {
            opens: start - margin,
            closes: end + margin,
        }
    }

    /// Whether `at` is inside the window.
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.opens <= at && at <= self.closes
    }

    /// Whether the window is still to come at `at` (someone connected now may yet be present).
    pub fn is_ahead(&self, at: DateTime<Utc>) -> bool {
        at < self.opens
    }
}

/// Whether being on the board of `meeting` (workshop time zone `tz`) at `at` counts as
/// presence, with `margin` before the start and after the end.
pub fn counts_as_presence(meeting: &Meeting, tz: Tz, margin: Duration, at: DateTime<Utc>) -> bool {
    AttendanceWindow::of(meeting, tz, margin).contains(at)
}

#[derive(Clone, Copy)]
enum Edge {
    Start,
    End,
}

/// A wall-clock time of the workshop's zone as an instant. Around a change of the clocks the
/// window errs on the side of the person: a repeated hour (summer time ends) opens at its first
/// occurrence and closes at its second; a skipped one (summer time begins) is read with the
/// offset in force before the change, i.e. moved forward as a clock would.
fn local_instant(tz: Tz, local: NaiveDateTime, edge: Edge) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(first, second) => match edge {
            Edge::Start => first.with_timezone(&Utc),
            Edge::End => second.with_timezone(&Utc),
        },
        LocalResult::None => {
            // The offset of a day earlier is the one before the change (zones change their
            // clocks at most twice a year).
            let before = local - Duration::days(1);
            let offset = tz.offset_from_utc_datetime(&before);
            let seconds = chrono::Offset::fix(&offset).local_minus_utc();
            Utc.from_utc_datetime(&(local - Duration::seconds(i64::from(seconds))))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::defaults;
    use chrono::{NaiveDate, NaiveTime};
    use chrono_tz::Europe::Rome;

    fn meeting(date: (i32, u32, u32), start: (u32, u32), end: (u32, u32)) -> Meeting {
        let template = defaults::board_template();
        Meeting {
            key: "M1-1".into(),
            number: 1,
            date: NaiveDate::from_ymd_opt(date.0, date.1, date.2).unwrap(),
            start: NaiveTime::from_hms_opt(start.0, start.1, 0).unwrap(),
            end: NaiveTime::from_hms_opt(end.0, end.1, 0).unwrap(),
            place: "online".into(),
            title: None,
            board_template: template.name.clone(),
            agenda: Vec::new(),
            video_link: None,
            template: std::sync::Arc::new(template),
        }
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    #[test]
    fn the_window_is_the_meeting_in_its_time_zone_widened_by_the_margin() {
        // 12 February 2027, 9:30–12:30 in Rome (UTC+1): 8:30–11:30 UTC.
        let m = meeting((2027, 2, 12), (9, 30), (12, 30));
        let w = AttendanceWindow::of(&m, Rome, Duration::minutes(30));
        assert_eq!(w.opens, utc(2027, 2, 12, 8, 0));
        assert_eq!(w.closes, utc(2027, 2, 12, 12, 0));
        // (instant, counts with a 30-minute margin, counts with no margin)
        let cases = [
            (utc(2026, 12, 6, 9, 0), false, false), // opening the board two months early
            (utc(2027, 2, 11, 9, 0), false, false), // the day before, same hour
            (utc(2027, 2, 12, 7, 59), false, false), // 31 minutes before the start
            (utc(2027, 2, 12, 8, 0), true, false),  // 30 minutes before: the margin
            (utc(2027, 2, 12, 8, 29), true, false),
            (utc(2027, 2, 12, 8, 30), true, true), // the start
            (utc(2027, 2, 12, 10, 0), true, true),
            (utc(2027, 2, 12, 11, 30), true, true), // the end
            (utc(2027, 2, 12, 11, 31), true, false),
            (utc(2027, 2, 12, 12, 0), true, false), // 30 minutes after the end
            (utc(2027, 2, 12, 12, 1), false, false),
            (utc(2027, 2, 13, 9, 0), false, false), // the day after
        ];
        for (at, with_margin, without) in cases {
            assert_eq!(
                counts_as_presence(&m, Rome, Duration::minutes(30), at),
                with_margin,
                "{at} with a margin"
            );
            assert_eq!(
                counts_as_presence(&m, Rome, Duration::zero(), at),
                without,
                "{at} without"
            );
        }
    }

    #[test]
    fn the_time_zone_decides_the_instant() {
        // Summer time: 9:30 in Rome is 7:30 UTC; in UTC it is 9:30.
        let m = meeting((2027, 6, 10), (9, 30), (12, 30));
        let rome = AttendanceWindow::of(&m, Rome, Duration::zero());
        assert_eq!(rome.opens, utc(2027, 6, 10, 7, 30));
        let utc_zone = AttendanceWindow::of(&m, chrono_tz::UTC, Duration::zero());
        assert_eq!(utc_zone.opens, utc(2027, 6, 10, 9, 30));
        assert!(rome.contains(utc(2027, 6, 10, 10, 0)));
        assert!(!utc_zone.contains(utc(2027, 6, 10, 8, 0)));
    }

    #[test]
    fn a_negative_margin_counts_as_none() {
        let m = meeting((2027, 2, 12), (9, 30), (12, 30));
        assert_eq!(
            AttendanceWindow::of(&m, Rome, Duration::minutes(-10)),
            AttendanceWindow::of(&m, Rome, Duration::zero())
        );
    }

    #[test]
    fn a_window_ahead_is_one_not_yet_open() {
        let m = meeting((2027, 2, 12), (9, 30), (12, 30));
        let w = AttendanceWindow::of(&m, Rome, Duration::minutes(30));
        assert!(w.is_ahead(utc(2027, 2, 12, 7, 59)));
        assert!(!w.is_ahead(utc(2027, 2, 12, 8, 0)));
        assert!(!w.is_ahead(utc(2027, 2, 12, 13, 0)));
    }

    #[test]
    fn clock_changes_err_on_the_side_of_the_person() {
        // 31 October 2027, Rome: 2:00–3:00 happens twice (CEST, then CET). A meeting 1:30–2:30
        // closes at the second 2:30 (1:30 UTC), not the first (0:30 UTC).
        let m = meeting((2027, 10, 31), (1, 30), (2, 30));
        let w = AttendanceWindow::of(&m, Rome, Duration::zero());
        assert_eq!(w.opens, utc(2027, 10, 30, 23, 30));
        assert_eq!(w.closes, utc(2027, 10, 31, 1, 30));
        // 28 March 2027, Rome: 2:00–3:00 does not exist. A meeting 2:30–4:00 opens at 3:30
        // CEST (1:30 UTC), as a clock moved forward would show, and ends at 4:00 CEST.
        let m = meeting((2027, 3, 28), (2, 30), (4, 0));
        let w = AttendanceWindow::of(&m, Rome, Duration::zero());
        assert_eq!(w.opens, utc(2027, 3, 28, 1, 30));
        assert_eq!(w.closes, utc(2027, 3, 28, 2, 0));
    }
}
