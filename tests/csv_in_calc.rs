//! The CSV as LibreOffice Calc (it-IT) opens it: text that looks like a formula but is not one
//! stays text as written, numbers and dates stay values, and what Calc would run as a formula
//! arrives as inert text. Needs LibreOffice Calc (`soffice`); `.ci/run` installs it.

mod common;

use std::path::Path;
use std::process::Command;

use tavolo::export::csv::{Csv, evaluated};

/// What Calc should show for a cell, once opened.
#[derive(Debug, PartialEq)]
enum Seen {
    /// A text cell showing exactly this.
    Text(String),
    /// A number.
    Number,
    /// A date.
    Date,
}

/// `soffice` when LibreOffice runs here *with Calc*: Writer alone (what the Word checks
/// install) has the same `soffice` but cannot load a CSV.
fn soffice() -> Option<&'static str> {
    let runs = |c: &&str| {
        Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let has_calc = |c: &&str| {
        let Ok(out) = Command::new("sh")
            .args(["-c", &format!("command -v {c}")])
            .output()
        else {
            return false;
        };
        let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
        std::fs::canonicalize(path)
            .ok()
            .and_then(|p| p.parent().map(|d| d.join("libsclo.so").exists()))
            .unwrap_or(false)
    };
    ["soffice", "libreoffice"]
        .into_iter()
        .find(|c| runs(c) && has_calc(c))
}

/// The cells of the first column of a flat ODS file, with their type.
fn cells(fods: &str) -> Vec<Seen> {
    let mut out = Vec::new();
    for row in fods.split("<table:table-row").skip(1) {
        let Some(cell) = row.split("<table:table-cell").nth(1) else {
            continue;
        };
        let head = &cell[..cell.find('>').unwrap_or(cell.len())];
        let kind = head
            .split("office:value-type=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or("");
        let text = cell
            .split("<text:p>")
            .nth(1)
            .and_then(|s| s.split("</text:p>").next())
            .unwrap_or("")
            .replace("&apos;", "'")
            .replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&");
        let formula = head.contains("table:formula=");
        out.push(match kind {
            _ if formula => Seen::Text(format!("FORMULA {text}")),
            "float" => Seen::Number,
            "date" => Seen::Date,
            _ => Seen::Text(text),
        });
    }
    out
}

#[test]
fn calc_opens_every_cell_as_intended() {
    let Some(soffice) = soffice() else {
        assert!(
            std::env::var("CI").map_or(true, |v| v.is_empty()),
            "LibreOffice Calc is required in CI (.ci/run installs it)"
        );
        common::skipped("LibreOffice Calc (soffice with Calc) is not installed");
        return;
    };
    let text = |s: &str| Seen::Text(s.to_string());
    let guarded = |s: &str| Seen::Text(format!("'{s}"));
    // An amount of the objectives' CSV (`csv::amount`): a number the column adds up.
    let amount = tavolo::export::csv::amount(123_456_789);
    let cases: Vec<(&str, Seen)> = vec![
        ("- accessi al SerD", text("- accessi al SerD")),
        (
            "- servizi domiciliari (SAD)",
            text("- servizi domiciliari (SAD)"),
        ),
        ("-accessi", text("-accessi")),
        ("@utenti", text("@utenti")),
        ("+39 02 1234567", text("+39 02 1234567")),
        ("Anziani (over 75) - 2021", text("Anziani (over 75) - 2021")),
        ("-3", Seen::Number),
        ("3,2", Seen::Number),
        ("+2,5", Seen::Number),
        ("31/12/2023", Seen::Date),
        (amount.as_str(), Seen::Number),
        ("=1+1", guarded("=1+1")),
        (
            "=HYPERLINK(\"http://x\")",
            guarded("=HYPERLINK(\"http://x\")"),
        ),
        ("+1+1", guarded("+1+1")),
        ("-2+3", guarded("-2+3")),
        ("@SUM(1;2)", guarded("@SUM(1;2)")),
        ("-A1", guarded("-A1")),
    ];
    let mut csv = Csv::new();
    for (cell, _) in &cases {
        csv.row([*cell]);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("casi.csv");
    // A control row, written without the writer: proof that Calc runs formulas in this mode.
    let control = "=1+1";
    std::fs::write(&path, csv.finish() + control + "\r\n").unwrap();
    // ';' separator, '"' quotes, UTF-8, from line 1, standard columns, Italian (1040), and
    // special numbers (dates) detected, formulas evaluated: the strictest way Calc opens a file.
    let profile = format!(
        "-env:UserInstallation=file://{}/profilo",
        dir.path().display()
    );
    let status = Command::new(soffice)
        .args(["--headless", &profile])
        .args(["--infilter=CSV:59,34,76,1,,1040,false,true,false,false,false,true"])
        .args(["--convert-to", "fods", "--outdir"])
        .arg(dir.path())
        .arg(&path)
        .output()
        .unwrap();
    assert!(status.status.success(), "{status:?}");
    let fods = std::fs::read_to_string(Path::new(dir.path()).join("casi.fods")).unwrap();
    let seen = cells(&fods);
    assert_eq!(
        seen.get(cases.len()),
        Some(&Seen::Text("FORMULA 2".into())),
        "the unguarded control cell is run as a formula"
    );
    for (i, (cell, expected)) in cases.iter().enumerate() {
        assert_eq!(seen.get(i), Some(expected), "{cell}");
        // The writer's rule says the same.
        assert_eq!(
            evaluated(cell),
            matches!(expected, Seen::Text(t) if t.starts_with('\'')),
            "{cell}"
        );
    }
}
