//! Where a redirect may go when the address comes from the request (`/accedi?dopo=…`): only
//! a path of this site. Browsers strip tabs and newlines from a `Location` and read `\` as
//! `/`, so `/\t/evil.example` or `/\evil.example` leaves the site like `//evil.example`
//! does: anything but a plain path goes to the default page instead.

/// The default page after login.
pub const DEFAULT_AFTER_LOGIN: &str = "/admin";

/// Longer addresses are not ours (the longest path of Tavolo is far shorter).
const MAX_LEN: usize = 2048;

/// `next` when it is a path of this site, else [`DEFAULT_AFTER_LOGIN`].
pub fn after_login(next: Option<&str>) -> String {
    match next {
        Some(path) if is_local_path(path) => path.to_string(),
        _ => DEFAULT_AFTER_LOGIN.to_string(),
    }
}

/// A path that starts with a single `/`, made only of printable ASCII without spaces or `\`,
/// and still so once percent-decoded (no `//`, no control character, no whitespace, no `\`;
/// encoded UTF-8 letters are fine).
pub fn is_local_path(path: &str) -> bool {
    path.len() <= MAX_LEN
        && plain_path(path.as_bytes(), false)
        && crate::domain::text::percent_decoded(path).is_some_and(|d| plain_path(&d, true))
}

fn plain_path(p: &[u8], utf8_allowed: bool) -> bool {
    p.first() == Some(&b'/')
        && p.get(1) != Some(&b'/')
        && p.iter()
            .all(|&b| b.is_ascii_graphic() || (utf8_allowed && b >= 0x80))
        && !p.contains(&b'\\')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_paths_of_this_site() {
        for ok in [
            "/incontri/3?x=1",
            "/admin",
            "/",
            "/laboratori/caff%C3%A8/iscrizione",
            "/incontri/3/storia#fine",
        ] {
            assert_eq!(after_login(Some(ok)), ok, "{ok}");
        }
        for bad in [
            "/\t/evil.example",
            "/%09/evil.example",
            "/\n",
            "/%0a",
            "/%0D%0A",
            "//evil",
            "/%2Fevil",
            "/\\evil",
            "/%5Cevil",
            "https://evil",
            "evil",
            "",
            "/ /evil",
            "/%20/evil",
            "/%",
            "/%zz",
            "/\u{7f}",
            "/\u{a0}/evil",
        ] {
            assert_eq!(after_login(Some(bad)), "/admin", "{bad:?}");
        }
        assert_eq!(after_login(None), "/admin");
        assert_eq!(
            after_login(Some(&format!("/{}", "a".repeat(3000)))),
            "/admin"
        );
    }
}
