//! The static files (styles, scripts, fonts, icon): the one list of what is served under
//! `/static/`, with MIME types, compiled into the binary so that it runs from anywhere.
//!
//! Pages link them under a content version, `/static/<version>/<path>` ([`url`], the `asset()`
//! function of the templates): the version is a hash of every file, so a deploy that changes any
//! of them changes every link, and a browser never mixes files of two deploys. That is also why
//! the board's modules import each other by relative paths (`./model.js`): the version carries
//! over. How each kind of path is answered is `web::pages::static_file`.

use std::sync::LazyLock;

use sha2::{Digest, Sha256};

/// One static file.
pub struct Asset {
    /// Its path under `static/` in the repository, and under `/static/<version>/` on the web.
    pub path: &'static str,
    pub mime: &'static str,
    pub bytes: &'static [u8],
}

const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";

macro_rules! assets {
    ($($path:literal => $mime:expr),* $(,)?) => {
        &[$(Asset {
            path: $path,
            mime: $mime,
            bytes: include_bytes!(concat!("../static/", $path)),
        }),*]
    };
}

/// Every file served under `/static/`. A file missing here is not served: add new ones.
pub const ASSETS: &[Asset] = assets![
    // The site's styles, in the order templates/layout.html loads them.
    "css/base.css" => CSS,
    "css/layout.css" => CSS,
    "css/components.css" => CSS,
    "css/admin.css" => CSS,
    "css/media.css" => CSS,
    // The live board's styles (board pages and the export page).
    "css/board.css" => CSS,
    // Progressive enhancements of every page.
    "tavolo.js" => JS,
    // The live board: native ES modules, entry point board/main.js.
    "board/main.js" => JS,
    "board/model.js" => JS,
    "board/client.js" => JS,
    "board/fields.js" => JS,
    "board/dom.js" => JS,
    "board/dialogs.js" => JS,
    "board/forms.js" => JS,
    "board/card.js" => JS,
    "board/timer.js" => JS,
    "board/shell.js" => JS,
    "board/participant.js" => JS,
    "board/console.js" => JS,
    "board/money.js" => JS,
    "board/objective-form.js" => JS,
    "board/synthesis-view.js" => JS,
    "board/synthesis-console.js" => JS,
    "board/projector.js" => JS,
    "favicon.svg" => "image/svg+xml",
    "fonts/titillium-web-latin-400-normal.woff2" => "font/woff2",
    "fonts/titillium-web-latin-600-normal.woff2" => "font/woff2",
    "fonts/titillium-web-latin-700-normal.woff2" => "font/woff2",
];

/// The static file at `path` (relative to `static/`), if served.
pub fn get(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.path == path)
}

/// The content version: the first 12 hex digits of a SHA-256 over every file's path and bytes,
/// computed once.
pub fn version() -> &'static str {
    static VERSION: LazyLock<String> = LazyLock::new(|| {
        let mut h = Sha256::new();
        for a in ASSETS {
            // Lengths first, so that no two different lists hash alike.
            h.update((a.path.len() as u64).to_le_bytes());
            h.update(a.path);
            h.update((a.bytes.len() as u64).to_le_bytes());
            h.update(a.bytes);
        }
        hex::encode(h.finalize())[..12].to_string()
    });
    &VERSION
}

/// Whether a path segment has the form of a version (of this deploy or of another one).
pub fn is_version(segment: &str) -> bool {
    !segment.is_empty() && segment.len() <= 64 && segment.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The versioned address of a static file: `/static/<version>/<path>`.
pub fn url(path: &str) -> String {
    format!("/static/{}/{}", version(), path.trim_start_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_is_short_hex_and_stable() {
        assert_eq!(version().len(), 12);
        assert!(is_version(version()));
        assert_eq!(version(), version());
        assert_eq!(
            url("board/main.js"),
            format!("/static/{}/board/main.js", version())
        );
        // No directory of static/ can be taken for a version.
        for a in ASSETS {
            assert!(!is_version(a.path.split('/').next().unwrap()), "{}", a.path);
        }
    }

    #[test]
    fn every_module_and_stylesheet_is_served() {
        // A file missing from the list would break a page only in a browser.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("static");
        for (dir, ext) in [("board", ".js"), ("css", ".css")] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let name = entry.unwrap().file_name().into_string().unwrap();
                if name.ends_with(ext) {
                    assert!(get(&format!("{dir}/{name}")).is_some(), "{dir}/{name}");
                }
            }
        }
    }
}
