//! Sums of money as Italian public administrations write them: amounts are kept as whole euro
//! cents (`u64`, never a float: a budget line must add up to the cent) and written
//! "€ 12.500,00" — the euro sign first, a dot between thousands, a comma before the cents.
//! The browser's half (reading "12.500,00" typed in a form) is `static/board/money.js`.

/// The largest amount one resource line may hold, in cents: one billion euro. The whole social
/// budget of an Ambito is a few tens of millions; anything above this is a typing error.
pub const MAX_CENTS: u64 = 100_000_000_000;

/// "€ 12.500,00" (with a non-breaking space after the sign, so that a line never ends on "€").
pub fn format_euro(cents: u64) -> String {
    let euros = (cents / 100).to_string();
    let mut grouped = String::with_capacity(euros.len() + euros.len() / 3);
    for (i, digit) in euros.chars().enumerate() {
        if i > 0 && (euros.len() - i) % 3 == 0 {
            grouped.push('.');
        }
        grouped.push(digit);
    }
    format!("€\u{a0}{grouped},{:02}", cents % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_written_the_italian_way() {
        let nbsp = '\u{a0}';
        for (cents, written) in [
            (0, "0,00"),
            (5, "0,05"),
            (100, "1,00"),
            (99_999, "999,99"),
            (100_000, "1.000,00"),
            (1_250_000, "12.500,00"),
            (123_456_789, "1.234.567,89"),
            (MAX_CENTS, "1.000.000.000,00"),
        ] {
            assert_eq!(format_euro(cents), format!("€{nbsp}{written}"), "{cents}");
        }
    }
}
