//! The synthesis in the raw data, end to end: a board run over real websockets up to the
//! synthesis (a synthesis, objectives with resources by fund, a need linked and then hidden,
//! a comment, a mark), downloaded over HTTP as JSON, as the cards' CSV and as the objectives'
//! CSV, and offered on the export page.

mod common;
#[path = "common/ws.rs"]
mod ws;

use common::{TestApp, WorkshopSpec};
use serde_json::{Value, json};
use ws::Client;

const SLUG: &str = "dati-sintesi";
/// The text of the need hidden after it was linked: personal data, never in a file.
const PERSONAL: &str = "La signora Bianchi di via Roma 3 non esce di casa";

struct Fixture {
    app: TestApp,
    meeting: i64,
    facilitator: String,
    maria: String,
}

async fn fixture() -> Fixture {
    let app = TestApp::spawn(WorkshopSpec::open(SLUG, 10)).await;
    let (_, a) = app.enroll_n(SLUG, 1).await; // Ambito di Bergamo, Comune di Bergamo
    let mut b = common::application(2);
    b["ambito"] = json!("Ambito di Dalmine");
    b["ente"] = json!("Comune di Dalmine");
    let (_, b) = app.enroll(SLUG, b).await;
    let facilitator = app.account_key("facilitator", &[SLUG]).await;
    let meeting = app.meeting_id(SLUG, "M1-1");
    let fx = Fixture {
        meeting,
        facilitator,
        maria: common::personal_token(&a),
        app,
    };
    let base = fx.app.base.clone();
    let mut f = Client::connect(&base, meeting, &fx.facilitator, "f").await;
    let mut maria = Client::connect(&base, meeting, &fx.maria, "maria").await;
    let mut luca = Client::participant(&base, meeting, &b, "luca").await;
    f.ok(json!({"kind": "set_phase", "phase": "raccolta"}))
        .await;
    maria
        .ok(
            json!({"kind": "add_card", "card_id": "n1", "card_type": "bisogno",
            "text": "Anziani soli senza trasporto", "policy_area": "Anziani"}),
        )
        .await;
    maria
        .ok(
            json!({"kind": "add_card", "card_id": "n2", "card_type": "bisogno",
            "text": PERSONAL, "policy_area": "Anziani"}),
        )
        .await;
    luca.ok(
        json!({"kind": "add_card", "card_id": "i1", "card_type": "indicatore",
        "name": "Corse di trasporto sociale al mese"}),
    )
    .await;
    luca.ok(
        json!({"kind": "add_card", "card_id": "p1", "card_type": "proposta",
        "title": "Tavolo con le ODV"}),
    )
    .await;
    f.ok(json!({"kind": "set_phase", "phase": "sintesi"})).await;
    f.ok(json!({"kind": "write_synthesis", "policy_area": "Anziani",
        "text": "Il trasporto è la priorità."}))
        .await;
    f.ok(
        json!({"kind": "create_objective", "objective_id": "o1", "objective": {
            "title": "Trasporto sociale per gli anziani soli",
            "target_group": "Anziani soli over 75",
            "interventions": "Convenzione con le ODV",
            "expected_result": "200 corse al mese",
            "timeline": "2025-2027",
            "needs": ["n1", "n2"],
            "indicators": ["i1"],
            "actors": ["Comuni dell'Ambito", "Enti del Terzo settore (ETS)"],
            "sovrazonale": true,
            "policy_area": "Anziani",
            "resources": [
                {"amount_cents": 1_250_000, "fund": "fnps", "description": "Quota 2025"},
                {"amount_cents": 300_000, "fund": "fna"},
                {"amount_cents": 50, "fund": "fnps"},
            ],
            "staff": "Un coordinatore",
        }}),
    )
    .await;
    f.ok(
        json!({"kind": "create_objective", "objective_id": "o2", "objective": {
            "title": "=HYPERLINK(\"http://x\")",
            "resources": [{"amount_cents": 99, "fund": "pnrr"}],
        }}),
    )
    .await;
    luca.ok(
        json!({"kind": "comment_objective", "objective_id": "o1", "comment_id": "k1",
        "text": "Le ODV hanno due mezzi"}),
    )
    .await;
    f.ok(
        json!({"kind": "mark_card", "card_id": "p1", "mark": "co_progettazione",
        "note": "Con le ODV"}),
    )
    .await;
    f.ok(json!({"kind": "hide", "card_id": "n2", "reason": "Dati personali"}))
        .await;
    fx
}

async fn get(fx: &Fixture, path: &str, key: &str) -> reqwest::Response {
    fx.app
        .client
        .get(fx.app.url(path))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
}

/// The rows of a CSV written by `export::csv` (quoted cells may hold `;`, `"` and line ends).
fn rows(csv: &str) -> Vec<Vec<String>> {
    let text = csv
        .strip_prefix('\u{feff}')
        .expect("a byte-order mark for Excel");
    let mut rows = Vec::new();
    let (mut row, mut cell) = (Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ';') => row.push(std::mem::take(&mut cell)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'), "CRLF line ends");
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    assert!(
        row.is_empty() && cell.is_empty(),
        "the last row ends with CRLF"
    );
    rows
}

#[tokio::test]
async fn the_json_carries_syntheses_objectives_resources_and_marks() {
    let fx = fixture().await;
    let res = get(
        &fx,
        &format!("/api/v1/meetings/{}/export.json", fx.meeting),
        &fx.facilitator,
    )
    .await;
    assert_eq!(res.status(), 200);
    let body = res.text().await.unwrap();
    assert!(
        !body.contains(PERSONAL),
        "a hidden card's text never leaves"
    );
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["schema"], tavolo::export::json::SCHEMA);
    assert_eq!(v["schema"], "tavolo-export/2", "an additive change");

    let s = &v["syntheses"][0];
    assert_eq!(s["meeting_id"], fx.meeting);
    assert_eq!(s["meeting_key"], "M1-1");
    assert_eq!(s["policy_area"], "Anziani");
    assert_eq!(s["text"], "Il trasporto è la priorità.");
    assert!(s["by"].as_str().is_some_and(|by| !by.is_empty()));

    let o1 = &v["objectives"][0];
    assert_eq!(o1["ref"], "M1-1/O01");
    assert_eq!(o1["meeting_id"], fx.meeting);
    assert_eq!(o1["title"], "Trasporto sociale per gli anziani soli");
    assert_eq!(o1["target_group"], "Anziani soli over 75");
    assert_eq!(o1["timeline"], "2025-2027");
    assert_eq!(o1["description"], Value::Null);
    // The need hidden after it was linked: its reference, unreported, nothing else.
    assert_eq!(
        o1["needs"],
        json!([{"ref": "M1-1/B01", "reported": true}, {"ref": "M1-1/B02", "reported": false}])
    );
    let cards = v["cards"].as_array().unwrap();
    assert!(cards.iter().any(|c| c["ref"] == "M1-1/B01"));
    assert!(!cards.iter().any(|c| c["ref"] == "M1-1/B02"));
    assert_eq!(
        o1["indicators"],
        json!([{"ref": "M1-1/I01", "reported": true}])
    );
    assert_eq!(o1["sovrazonale"], true);
    assert_eq!(
        o1["actors"],
        json!(["Comuni dell'Ambito", "Enti del Terzo settore (ETS)"])
    );
    assert_eq!(o1["resources"][0]["fund"], "fnps");
    assert_eq!(o1["resources"][0]["fund_label"], "FNPS");
    assert_eq!(o1["resources"][0]["amount_cents"], 1_250_000);
    assert_eq!(o1["resources"][0]["amount"], "€\u{a0}12.500,00");
    assert_eq!(o1["resources"][0]["description"], "Quota 2025");
    assert_eq!(o1["resources"][1]["description"], Value::Null);
    assert_eq!(o1["total_cents"], 1_250_000 + 300_000 + 50);
    assert_eq!(o1["staff"], "Un coordinatore");
    assert_eq!(o1["comments"][0]["text"], "Le ODV hanno due mezzi");
    assert_eq!(o1["comments"][0]["author"]["name"], "Persona 2");
    assert_eq!(
        o1["comments"][0]["author"]["organisation"],
        "Comune di Dalmine"
    );
    assert_eq!(o1["created_by"], o1["updated_by"]);
    assert!(o1["created_at"].as_str().unwrap().ends_with('Z'));

    let funds: Vec<(Value, Value, Value)> = v["resources_by_fund"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["fund"].clone(),
                t["amount_cents"].clone(),
                t["objectives"].clone(),
            )
        })
        .collect();
    assert_eq!(
        funds,
        [
            (json!("fnps"), json!(1_250_050), json!(1)),
            (json!("fna"), json!(300_000), json!(1)),
            (json!("pnrr"), json!(99), json!(1)),
        ]
    );

    let p1 = cards.iter().find(|c| c["id"] == "p1").unwrap();
    assert_eq!(p1["mark"]["kind"], "co_progettazione");
    assert_eq!(p1["mark"]["label"], "Tema per la co-progettazione");
    assert_eq!(p1["mark"]["note"], "Con le ODV");
    let n1 = cards.iter().find(|c| c["id"] == "n1").unwrap();
    assert_eq!(n1["mark"], Value::Null);
}

#[tokio::test]
async fn the_csv_files_carry_marks_and_the_objectives_budget() {
    let fx = fixture().await;
    let m = fx.meeting;

    // The cards: the mark at the end of each row, the old columns where they were.
    let res = get(
        &fx,
        &format!("/api/v1/meetings/{m}/export.csv"),
        &fx.facilitator,
    )
    .await;
    assert_eq!(res.status(), 200);
    let cards = rows(&res.text().await.unwrap());
    let header = &cards[0];
    assert_eq!(header[0], "Rif.");
    assert_eq!(header[45], "Motivo della moderazione");
    assert_eq!(header[46..], ["Segnato come", "Nota del segno"]);
    let p1 = cards.iter().find(|r| r[8] == "Tavolo con le ODV").unwrap();
    assert_eq!(p1.len(), header.len());
    assert_eq!(p1[46..], ["Tema per la co-progettazione", "Con le ODV"]);

    // The objectives, as their own file.
    let res = get(
        &fx,
        &format!("/api/v1/meetings/{m}/export.csv?formato=obiettivi"),
        &fx.facilitator,
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let disposition = res.headers()["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"obiettivi_dati-sintesi_")
            && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    let text = res.text().await.unwrap();
    assert!(text.contains("\r\n") && !text.contains(PERSONAL));
    assert!(
        text.contains("\"'=HYPERLINK(\"\"http://x\"\")\""),
        "a title that would run as a formula arrives as text"
    );
    let table = rows(&text);
    let header = &table[0];
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("column {name}"))
    };
    assert_eq!(table.len(), 3, "a header and one row per objective");
    let o1 = &table[1];
    assert_eq!(o1.len(), header.len());
    assert_eq!(o1[col("Rif.")], "M1-1/O01");
    assert_eq!(o1[col("Titolo")], "Trasporto sociale per gli anziani soli");
    assert_eq!(o1[col("Destinatari")], "Anziani soli over 75");
    assert_eq!(o1[col("Bisogni collegati")], "M1-1/B01, M1-1/B02");
    assert_eq!(o1[col("Indicatori collegati")], "M1-1/I01");
    assert_eq!(o1[col("Sovrazonale")], "sì");
    assert_eq!(o1[col("FNPS (euro)")], "12500,50");
    assert_eq!(o1[col("FNA (euro)")], "3000,00");
    assert_eq!(o1[col("PNRR (euro)")], "");
    assert_eq!(o1[col("Totale (euro)")], "15500,50");
    assert_eq!(o1[col("Risorse di personale")], "Un coordinatore");
    let o2 = &table[2];
    assert_eq!(o2[col("Titolo")], "'=HYPERLINK(\"http://x\")");
    assert_eq!(o2[col("PNRR (euro)")], "0,99");
    assert_eq!(o2[col("Totale (euro)")], "0,99");
    assert_eq!(o2[col("Sovrazonale")], "no");

    // A referent of an Ambito gets the same objectives (a meeting's own record), the same way.
    let res = get(
        &fx,
        &format!("/api/v1/meetings/{m}/export.csv?formato=obiettivi"),
        &fx.maria,
    )
    .await;
    assert_eq!(res.status(), 200);
    let own = rows(&res.text().await.unwrap());
    assert_eq!(own[1][col("Totale (euro)")], "15500,50");

    // Bad values are told apart, in Italian.
    for path in [
        format!("/api/v1/meetings/{m}/export.csv?formato=bilancio"),
        format!("/api/v1/meetings/{m}/export.json?formato=obiettivi"),
        format!("/api/v1/workshops/{SLUG}/export.docx?formato=obiettivi"),
    ] {
        let res = get(&fx, &path, &fx.facilitator).await;
        assert_eq!(res.status(), 400, "{path}");
        let body = res.text().await.unwrap();
        assert!(body.contains("formato"), "{path}: {body}");
    }
    let res = get(
        &fx,
        &format!("/api/v1/workshops/{SLUG}/export.csv?modulo=1&formato=obiettivi"),
        &fx.facilitator,
    )
    .await;
    assert_eq!(res.status(), 200);
    let disposition = res.headers()["content-disposition"].to_str().unwrap();
    assert!(
        disposition.contains("obiettivi_dati-sintesi_modulo-1.csv"),
        "{disposition}"
    );
}

#[tokio::test]
async fn the_export_page_offers_the_objectives_csv() {
    let fx = fixture().await;
    let m = fx.meeting;
    for key in [&fx.facilitator, &fx.maria] {
        let res = get(&fx, &format!("/incontri/{m}/esporta"), key).await;
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        assert!(
            html.contains("Obiettivi e risorse per fondo (CSV)"),
            "{html}"
        );
        // The referent's links carry their Ambito (`ambito=…&amp;formato=obiettivi`).
        let link = html
            .split("href=\"")
            .filter_map(|h| h.split('"').next())
            .find(|h| h.contains("formato=obiettivi"))
            .unwrap_or_else(|| panic!("no link to the objectives: {html}"));
        assert!(
            link.starts_with(&format!(
                "&#x2f;api&#x2f;v1&#x2f;meetings&#x2f;{m}&#x2f;export.csv?"
            )),
            "{link}"
        );
        assert!(html.contains("tavolo-export&#x2f;2"), "{html}");
    }
    // With a module and an Ambito, the link keeps them.
    let res = get(
        &fx,
        &format!("/incontri/{m}/esporta?estensione=modulo&ambito=Ambito+di+Bergamo"),
        &fx.facilitator,
    )
    .await;
    let html = res.text().await.unwrap();
    assert!(
        html.contains("export.csv?modulo=1&amp;ambito=Ambito+di+Bergamo&amp;formato=obiettivi"),
        "{html}"
    );
}
