//! The code guests join a meeting with (shown on the projector, typed on a phone): its shape,
//! how typed input is read, how long it lasts, how many people it admits. The limits on guessing
//! it are the web layer's (`web::board::guest`), the numbers are here.
//!
//! Ten characters from an alphabet without look-alikes (no 0/O, 1/I/L) give 31¹⁰ ≈ 8·10¹⁴
//! codes: at the 20 wrong tries per address per 10 minutes allowed, guessing one is out of
//! reach. It is shown in groups, `ABCD-EFGH-JK`, and read back without dashes, spaces or case.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use super::attendance::AttendanceWindow;
use super::workshop::Meeting;

/// The characters of a code: no 0/O, 1/I/L, easy to read from a projector.
pub const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// The characters of a new code.
pub const LENGTH: usize = 10;
/// The most guests one code admits: a roomful of Terzo settore representatives, well above a
/// real meeting's guests; a code read off a photo cannot flood the board with identities.
pub const GUESTS_PER_CODE: i64 = 80;
/// How long after the meeting's end a code (and a guest's session) still works: people finish
/// writing, the facilitator reads back.
pub const MARGIN_AFTER_END: Duration = Duration::hours(2);

/// A new code from `random` bytes (rejection sampling keeps every character equally likely).
pub fn generate(mut random: impl FnMut() -> u8) -> String {
    // The largest multiple of the alphabet's size that fits in a byte.
    let fair = 256 - 256 % ALPHABET.len();
    let mut code = String::with_capacity(LENGTH);
    while code.len() < LENGTH {
        let b = usize::from(random());
        if b < fair {
            code.push(char::from(ALPHABET[b % ALPHABET.len()]));
        }
    }
    code
}

/// A new code from the operating system's randomness.
pub fn random() -> String {
    let mut pool = [0u8; 32];
    let mut used = pool.len();
    generate(|| {
        if used == pool.len() {
            getrandom::fill(&mut pool).expect("the operating system provides randomness");
            used = 0;
        }
        used += 1;
        pool[used - 1]
    })
}

/// A typed code as stored: capitals, without the dashes, spaces and dots people add.
pub fn normalise(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '.' | '\u{2010}'..='\u{2015}') && !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect()
}

/// A code as shown: groups of four, `ABCD-EFGH-JK` (older six-character codes stay as they are).
pub fn grouped(code: &str) -> String {
    if code.len() <= 6 {
        return code.to_string();
    }
    code.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// When a meeting's guest code stops working: [`MARGIN_AFTER_END`] after the meeting's end,
/// in the workshop's time zone. A guest's session ends then too.
pub fn expires_at(meeting: &Meeting, tz: Tz) -> DateTime<Utc> {
    AttendanceWindow::of(meeting, tz, MARGIN_AFTER_END).closes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_ten_unambiguous_characters_spread_evenly() {
        let mut n = 0u8;
        let code = generate(|| {
            n = n.wrapping_add(37);
            n
        });
        assert_eq!(code.len(), LENGTH);
        assert!(code.bytes().all(|b| ALPHABET.contains(&b)), "{code}");
        // Bytes past the last whole alphabet are skipped, not folded onto its first letters.
        let mut bytes = [255u8, 248, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9].into_iter();
        assert_eq!(generate(|| bytes.next().unwrap()), "ABCDEFGHJK");
        assert_ne!(random(), random());
        for b in b"01OIL" {
            assert!(!ALPHABET.contains(b));
        }
    }

    #[test]
    fn typed_codes_are_read_without_dashes_spaces_or_case() {
        assert_eq!(normalise(" abcd-efgh-jk "), "ABCDEFGHJK");
        assert_eq!(normalise("ABCD EFGH JK"), "ABCDEFGHJK");
        assert_eq!(normalise("abcd–efgh.jk"), "ABCDEFGHJK");
        assert_eq!(grouped("ABCDEFGHJK"), "ABCD-EFGH-JK");
        assert_eq!(normalise(&grouped("ABCDEFGHJK")), "ABCDEFGHJK");
        assert_eq!(grouped("ABC123"), "ABC123");
    }
}
