//! XML text for the Word package: which characters XML 1.0 allows, and escaping.
//!
//! Both writers of the package need it — `body.rs` (the body it streams) and `package.rs` (the
//! parts it rewrites, and the page header docx-rs writes, cleaned in `docx.rs`) — so it lives
//! here, below both. Word and LibreOffice refuse a whole file for one XML-illegal character,
//! and board text is typed by anyone: every user string goes through [`xml_text`].

use std::borrow::Cow;

/// Whether XML 1.0 allows a character in a document.
pub fn is_xml_char(c: char) -> bool {
    matches!(c,
        '\t' | '\n' | '\r'
        | '\u{20}'..='\u{D7FF}'
        | '\u{E000}'..='\u{FFFD}'
        | '\u{10000}'..='\u{10FFFF}')
}

/// A string safe for an XML text node: characters XML forbids are dropped and line ends become
/// `\n`. Borrowed when nothing changes (the common case).
pub fn xml_text(s: &str) -> Cow<'_, str> {
    if s.chars().all(|c| is_xml_char(c) && c != '\r') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push('\n');
            }
            c if is_xml_char(c) => out.push(c),
            _ => {}
        }
    }
    Cow::Owned(out)
}

/// Cleans ([`xml_text`]) and escapes a string for XML text or attribute values.
pub fn escape(s: &str) -> String {
    let s = xml_text(s);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Appends `s` escaped for a text node, the fast path of the body: `s` is already cleaned by
/// [`xml_text`], and quotes need no escaping outside attributes.
pub fn escape_text_into(out: &mut String, s: &str) {
    let mut rest = s;
    while let Some(i) = rest.find(['&', '<', '>']) {
        out.push_str(&rest[..i]);
        out.push_str(match rest.as_bytes()[i] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            _ => "&gt;",
        });
        rest = &rest[i + 1..];
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn illegal_characters_are_stripped_and_everything_else_kept() {
        let hostile = "a\u{1}b\u{b}c\u{c}d\u{fffe}e\u{ffff}f\u{0}g";
        assert_eq!(xml_text(hostile), "abcdefg");
        let kept = "<w:p> & ]]> \"q\" 'a' \t 😀 مرحبا שלום \u{85}\u{7f}";
        assert!(matches!(xml_text(kept), Cow::Borrowed(_)));
        assert_eq!(xml_text("a\r\nb\rc"), "a\nb\nc");
    }
}
