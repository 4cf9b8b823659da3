//! Italian formatting of dates and times for pages, e-mails and exported documents.
//!
//! Pure functions with no locale machinery: the words are fixed here so that every output of
//! Tavolo (web, mail, .docx) writes a date the same way, e.g. "venerdì 1° ottobre 2021": the
//! first of the month is an ordinal in Italian ("1°", read "primo"), every other day a
//! cardinal ("2 ottobre"). Before a date, "del"/"dal"/"al" elide as the number is read
//! ("dell'8 ottobre", "del 1° ottobre"): [`crate::domain::italian::with_article`].

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Timelike, Utc, Weekday};
use chrono_tz::Tz;

const MONTHS: [&str; 12] = [
    "gennaio",
    "febbraio",
    "marzo",
    "aprile",
    "maggio",
    "giugno",
    "luglio",
    "agosto",
    "settembre",
    "ottobre",
    "novembre",
    "dicembre",
];

const MONTHS_SHORT: [&str; 12] = [
    "gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic",
];

/// The Italian name of a weekday, lowercase as Italian writes it ("lunedì").
pub fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "lunedì",
        Weekday::Tue => "martedì",
        Weekday::Wed => "mercoledì",
        Weekday::Thu => "giovedì",
        Weekday::Fri => "venerdì",
        Weekday::Sat => "sabato",
        Weekday::Sun => "domenica",
    }
}

/// The Italian name of a month, 1 = "gennaio". Out-of-range numbers give "".
pub fn month_name(month: u32) -> &'static str {
    month
        .checked_sub(1)
        .and_then(|i| MONTHS.get(i as usize))
        .copied()
        .unwrap_or("")
}

/// The day of the month as Italian writes it in a date: "1°" for the first, "2", … "31".
pub fn day_label(date: NaiveDate) -> String {
    match date.day() {
        1 => "1°".to_string(),
        d => d.to_string(),
    }
}

/// A date in full: "venerdì 1° ottobre 2021", "sabato 2 ottobre 2021".
pub fn format_date(date: NaiveDate) -> String {
    format!(
        "{} {} {} {}",
        weekday_name(date.weekday()),
        day_label(date),
        month_name(date.month()),
        date.year()
    )
}

/// A date without weekday: "1° ottobre 2021", "2 ottobre 2021".
pub fn format_date_long(date: NaiveDate) -> String {
    format!(
        "{} {} {}",
        day_label(date),
        month_name(date.month()),
        date.year()
    )
}

/// A compact date for tables and lists: "1° ott 2021", "2 ott 2021".
pub fn format_date_short(date: NaiveDate) -> String {
    format!(
        "{} {} {}",
        day_label(date),
        MONTHS_SHORT[date.month0() as usize],
        date.year()
    )
}

/// A time of day as Italians write it on a programme: "9:30", "12:30" (no leading zero on the
/// hour, minutes always two digits, seconds dropped).
pub fn format_time(time: NaiveTime) -> String {
    format!("{}:{:02}", time.hour(), time.minute())
}

/// A time span within one day: "9:30–12:30" (en dash, no spaces).
pub fn format_time_range(start: NaiveTime, end: NaiveTime) -> String {
    format!("{}–{}", format_time(start), format_time(end))
}

/// An instant shown in a workshop's time zone: "lunedì 27 settembre 2021 alle 23:59",
/// "venerdì 1° ottobre 2021 alle 9:00".
///
/// The article contracts before "1" ("all'1:00"), as in written Italian.
pub fn format_datetime(at: DateTime<Utc>, tz: Tz) -> String {
    let local = at.with_timezone(&tz);
    let time = local.time();
    let article = if time.hour() == 1 { "all'" } else { "alle " };
    format!(
        "{} {}{}",
        format_date(local.date_naive()),
        article,
        format_time(time)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn full_date_has_lowercase_weekday_and_no_leading_zero() {
        assert_eq!(format_date(d(2021, 10, 1)), "venerdì 1° ottobre 2021");
        assert_eq!(format_date(d(2021, 10, 2)), "sabato 2 ottobre 2021");
        assert_eq!(format_date(d(2021, 11, 25)), "giovedì 25 novembre 2021");
        assert_eq!(format_date(d(2027, 2, 14)), "domenica 14 febbraio 2027");
        assert_eq!(format_date(d(2026, 11, 28)), "sabato 28 novembre 2026");
    }

    #[test]
    fn every_weekday_and_month_has_its_italian_name() {
        let days: Vec<String> = (4..=10).map(|day| format_date(d(2021, 10, day))).collect();
        assert_eq!(
            days,
            [
                "lunedì 4 ottobre 2021",
                "martedì 5 ottobre 2021",
                "mercoledì 6 ottobre 2021",
                "giovedì 7 ottobre 2021",
                "venerdì 8 ottobre 2021",
                "sabato 9 ottobre 2021",
                "domenica 10 ottobre 2021",
            ]
        );
        let months: Vec<String> = (1..=12).map(|m| format_date_long(d(2021, m, 15))).collect();
        assert_eq!(months[0], "15 gennaio 2021");
        assert_eq!(months[4], "15 maggio 2021");
        assert_eq!(months[11], "15 dicembre 2021");
        assert_eq!(format_date_long(d(2021, 10, 1)), "1° ottobre 2021");
        assert_eq!(format_date_long(d(2021, 10, 11)), "11 ottobre 2021");
        assert_eq!(format_date_long(d(2021, 10, 21)), "21 ottobre 2021");
        assert_eq!(format_date_long(d(2021, 10, 31)), "31 ottobre 2021");
        assert_eq!(month_name(0), "");
        assert_eq!(month_name(13), "");
    }

    #[test]
    fn short_date_abbreviates_the_month() {
        assert_eq!(format_date_short(d(2021, 10, 1)), "1° ott 2021");
        assert_eq!(format_date_short(d(2021, 9, 27)), "27 set 2021");
        assert_eq!(format_date_short(d(2027, 1, 31)), "31 gen 2027");
        assert_eq!(format_date_short(d(2027, 6, 2)), "2 giu 2027");
    }

    #[test]
    fn times_drop_the_leading_zero_and_the_seconds() {
        assert_eq!(format_time(t(9, 30)), "9:30");
        assert_eq!(format_time(t(12, 5)), "12:05");
        assert_eq!(format_time(t(0, 0)), "0:00");
        assert_eq!(
            format_time(NaiveTime::from_hms_opt(23, 59, 59).unwrap()),
            "23:59"
        );
        assert_eq!(format_time_range(t(9, 30), t(12, 30)), "9:30–12:30");
    }

    #[test]
    fn datetime_is_shown_in_the_workshop_time_zone() {
        // 2021-09-27T23:59:59+02:00, the seed workshop's enrollment deadline.
        let closes = Utc.with_ymd_and_hms(2021, 9, 27, 21, 59, 59).unwrap();
        assert_eq!(
            format_datetime(closes, chrono_tz::Europe::Rome),
            "lunedì 27 settembre 2021 alle 23:59"
        );
        // Same instant, another zone: the date changes with it.
        assert_eq!(
            format_datetime(closes, chrono_tz::UTC),
            "lunedì 27 settembre 2021 alle 21:59"
        );
        // Winter time: UTC+1.
        let winter = Utc.with_ymd_and_hms(2027, 1, 31, 22, 59, 0).unwrap();
        assert_eq!(
            format_datetime(winter, chrono_tz::Europe::Rome),
            "domenica 31 gennaio 2027 alle 23:59"
        );
    }

    #[test]
    fn one_o_clock_takes_the_elided_article() {
        let at = Utc.with_ymd_and_hms(2021, 10, 1, 0, 15, 0).unwrap();
        assert_eq!(
            format_datetime(at, chrono_tz::Europe::Rome),
            "venerdì 1° ottobre 2021 alle 2:15"
        );
        let at = Utc.with_ymd_and_hms(2021, 12, 1, 0, 15, 0).unwrap();
        assert_eq!(
            format_datetime(at, chrono_tz::Europe::Rome),
            "mercoledì 1° dicembre 2021 all'1:15"
        );
    }
}
