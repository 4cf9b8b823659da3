//! Validation of free text typed by people: lengths counted in characters, control characters
//! refused (they break documents and mail headers), surrounding blanks trimmed.

/// A field that failed validation, with an Italian message for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        FieldError {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

/// Trims and checks a required single-line text of `min..=max` characters.
pub fn required_line(
    field: &str,
    label: &str,
    value: &str,
    min: usize,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> String {
    let v = value.trim();
    let n = v.chars().count();
    if n == 0 {
        errors.push(FieldError::new(field, format!("Indica {label}.")));
    } else if n < min {
        errors.push(FieldError::new(
            field,
            format!(
                "{} è troppo breve (almeno {min} caratteri).",
                capitalise(label)
            ),
        ));
    } else if n > max {
        errors.push(FieldError::new(
            field,
            format!(
                "{} è troppo lungo (al massimo {max} caratteri).",
                capitalise(label)
            ),
        ));
    } else if v.chars().any(char::is_control) {
        errors.push(FieldError::new(
            field,
            format!("{} contiene caratteri non ammessi.", capitalise(label)),
        ));
    }
    v.to_string()
}

/// Trims an optional single-line text; empty means absent.
pub fn optional_line(
    field: &str,
    label: &str,
    value: Option<&str>,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let v = value.map(str::trim).filter(|v| !v.is_empty())?;
    if v.chars().count() > max {
        errors.push(FieldError::new(
            field,
            format!(
                "{} è troppo lungo (al massimo {max} caratteri).",
                capitalise(label)
            ),
        ));
    } else if v.chars().any(char::is_control) {
        errors.push(FieldError::new(
            field,
            format!("{} contiene caratteri non ammessi.", capitalise(label)),
        ));
    }
    Some(v.to_string())
}

fn capitalise(label: &str) -> String {
    // Labels are passed with their article ("il nome"): drop it for "Il nome è troppo breve".
    let mut c = label.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// A syntactically plausible e-mail address, normalised to lower case for uniqueness.
///
/// Deliberately simple (one '@', a dot in the domain, no blanks): the real check is that the
/// confirmation mail arrives.
pub fn email(field: &str, value: &str, errors: &mut Vec<FieldError>) -> String {
    let v = value.trim();
    let ok = {
        let mut parts = v.split('@');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(local), Some(domain), None) => {
                !local.is_empty()
                    && local.len() <= 64
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains("..")
                    && domain
                        .chars()
                        .all(|c| c.is_alphanumeric() || c == '.' || c == '-')
                    && !v.chars().any(|c| c.is_whitespace() || c.is_control())
                    && !local.contains(['<', '>', '(', ')', ',', ';', ':', '"', '[', ']', '\\'])
                    && v.len() <= 254
            }
            _ => false,
        }
    };
    if v.is_empty() {
        errors.push(FieldError::new(field, "Indica il tuo indirizzo e-mail."));
    } else if !ok {
        errors.push(FieldError::new(
            field,
            "Indirizzo e-mail non valido: deve essere nella forma nome@ente.it.",
        ));
    }
    v.to_lowercase()
}

/// `%XX` decoded once (a URL's path, a user and password in a relay's URL); `None` for a `%`
/// not followed by two hex digits.
pub fn percent_decoded(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_checked_and_normalised() {
        let mut e = vec![];
        assert_eq!(
            email("email", " Mario.Rossi@Comune.Milano.IT ", &mut e),
            "mario.rossi@comune.milano.it"
        );
        assert!(e.is_empty());
        for bad in [
            "",
            "mario",
            "mario@",
            "@comune.it",
            "a@b",
            "a b@c.it",
            "a@@c.it",
            "a@c..it",
            "a<b>@c.it",
            "a\n@c.it",
        ] {
            let mut e = vec![];
            email("email", bad, &mut e);
            assert_eq!(e.len(), 1, "{bad:?} should be refused");
        }
    }

    #[test]
    fn lines_refuse_control_characters_and_lengths() {
        let mut e = vec![];
        required_line("name", "il nome", "Mario\u{7}", 2, 10, &mut e);
        assert_eq!(e[0].message, "Il nome contiene caratteri non ammessi.");
        let mut e = vec![];
        required_line("name", "il nome", "x", 2, 10, &mut e);
        assert!(e[0].message.contains("troppo breve"));
        let mut e = vec![];
        required_line("name", "il nome", "   ", 2, 10, &mut e);
        assert_eq!(e[0].message, "Indica il nome.");
        let mut e = vec![];
        assert_eq!(optional_line("a", "l'ambito", Some("  "), 5, &mut e), None);
        assert!(e.is_empty());
    }
}
