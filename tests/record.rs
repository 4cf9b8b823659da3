//! The session record: two meetings run over real websockets — needs, a merge, a card hidden
//! because it held personal data, an anonymous card with its author's comment, a guest of the
//! Terzo settore, a card entered on behalf of ATS, a carry-over with comments — then exported in
//! every format and scope. Each meeting must read the same whatever the scope; carried and
//! merged contributions keep their text, author, body, time and comments; the hidden text never
//! leaves unless an organiser asks; an Ambito filter keeps the Terzo settore of that Ambito.

mod common;
#[path = "common/ws.rs"]
mod ws;

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use common::{Browser, TestApp, WorkshopSpec};
use serde_json::{Value, json};
use ws::{Auth, Client};

const SLUG: &str = "registro";
const PERSONAL: &str = "via Roma 12";
const DALMINE: &str = "Ambito di Dalmine";

struct Scenario {
    app: TestApp,
    first: i64,
    second: i64,
    facilitator: String,
}

async fn enroll(app: &TestApp, n: usize, name: &str, ente: &str, ambito: &str) -> Value {
    let mut a = common::application(n);
    a["name"] = json!(name);
    a["ente"] = json!(ente);
    a["ambito"] = json!(ambito);
    let (status, v) = app.enroll(SLUG, a).await;
    assert_eq!(status, 201, "{v}");
    v
}

async fn scenario() -> Scenario {
    let app = TestApp::spawn(WorkshopSpec {
        ambiti: vec!["Ambito di Bergamo".into(), DALMINE.into()],
        ..WorkshopSpec::open(SLUG, 10)
    })
    .await;
    let maria = enroll(
        &app,
        1,
        "Maria Rossi",
        "Comune di Bergamo",
        "Ambito di Bergamo",
    )
    .await;
    let luca = enroll(&app, 2, "Luca Bianchi", "Comune di Dalmine", DALMINE).await;
    let paolo = enroll(&app, 3, "Paolo Anonimi", "Comune di Osio Sotto", DALMINE).await;
    let facilitator = app.account_key("facilitator", &[SLUG]).await;
    let entry = app.state.catalogue.by_slug(SLUG).unwrap().clone();
    let (first, second) = (entry.meeting_id("M1-1"), entry.meeting_id("M1-2"));
    // Everyone is in both registers (the meetings are in 2027: joining now records nothing).
    for id in [first, second] {
        let m = app.state.catalogue.meeting(id).unwrap();
        for p in [&maria, &luca, &paolo] {
            tavolo::services::attendance::mark_by_hand(
                &app.state.store,
                &m,
                p["id"].as_i64().unwrap(),
                true,
                "Org <org@example.it>",
            )
            .await
            .unwrap();
        }
    }
    let base = app.base.clone();
    let (maria, luca, paolo) = (
        common::personal_token(&maria),
        common::personal_token(&luca),
        common::personal_token(&paolo),
    );

    // --- the first meeting -------------------------------------------------------------------
    let mut f = Client::connect(&base, first, &facilitator, "f").await;
    for op in [
        json!({"kind": "set_phase", "phase": "raccolta"}),
        json!({"kind": "set_anonymous", "allowed": true}),
        json!({"kind": "set_guest_code", "enabled": true}),
    ] {
        f.ok(op).await;
    }
    let mut m = Client::connect(&base, first, &maria, "maria").await;
    let mut l = Client::connect(&base, first, &luca, "luca").await;
    let mut p = Client::connect(&base, first, &paolo, "paolo").await;
    let need = |id: &str, text: &str| json!({"kind": "add_card", "card_id": id, "card_type": "bisogno", "text": text});
    m.ok(need("c1", "Anziani soli nei Comuni montani")).await;
    l.ok(need("c2", "Anziani isolati in montagna")).await;
    p.ok(
        json!({"kind": "add_card", "card_id": "c3", "card_type": "bisogno",
        "text": "Segnalazione anonima sui ricoveri", "anonymous": true}),
    )
    .await;
    p.ok(json!({"kind": "comment", "card_id": "c3", "comment_id": "k1", "text": "Lo confermo io"}))
        .await;
    m.ok(need(
        "c4",
        &format!("La signora R. M., 87 anni, {PERSONAL}, vive sola"),
    ))
    .await;
    f.ok(
        json!({"kind": "add_card", "card_id": "c5", "card_type": "bisogno",
        "text": "Dati condivisi tra ATS e Comuni",
        "on_behalf_of": {"name": "Carla Conti", "organisation": "ATS Bergamo", "ambito": DALMINE}}),
    )
    .await;
    // A guest of the Terzo settore joins with the code shown in the room.
    let code = app
        .state
        .rooms
        .get(first)
        .await
        .unwrap()
        .state()
        .await
        .unwrap()
        .guest_code
        .unwrap();
    let mut b = Browser::new(&app);
    let (status, _, _) = b
        .post(
            &format!("/incontri/{first}/ospite"),
            &[
                ("code", code.as_str()),
                ("name", "Anna Neri"),
                ("organisation", "Cooperativa Sole"),
                ("ambito", DALMINE),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let cookie: String = b
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let mut g = Client::connect_from(
        &base,
        first,
        Auth::Cookie {
            cookie: &cookie,
            origin: &base,
        },
        "anna",
        0,
    )
    .await;
    g.ok(need("c6", "Trasporto per chi vive in valle")).await;
    l.ok(
        json!({"kind": "comment", "card_id": "c1", "comment_id": "k2", "text": "Anche a Dalmine"}),
    )
    .await;
    m.ok(
        json!({"kind": "add_card", "card_id": "c7", "card_type": "bisogno",
        "text": "Servono più educatori", "anonymous": true}),
    )
    .await;
    f.ok(json!({"kind": "hide", "card_id": "c4", "reason": "Dati personali"}))
        .await;
    f.ok(json!({"kind": "set_phase", "phase": "raggruppamento"}))
        .await;
    f.ok(json!({"kind": "merge", "into": "c1", "cards": ["c2"]}))
        .await;
    f.ok(json!({"kind": "set_phase", "phase": "voto"})).await;
    m.ok(json!({"kind": "vote", "card_id": "c1"})).await;
    l.ok(json!({"kind": "vote", "card_id": "c1"})).await;
    g.ok(json!({"kind": "vote", "card_id": "c6"})).await;

    // --- the second meeting: c1 carried over, voted again ------------------------------------
    let mut f2 = Client::connect(&base, second, &facilitator, "f2").await;
    f2.ok(json!({"kind": "set_phase", "phase": "raccolta"}))
        .await;
    f2.ok(json!({"kind": "carry_over", "from_meeting": first, "cards": ["c1"]}))
        .await;
    let mut l2 = Client::connect(&base, second, &luca, "luca2").await;
    l2.ok(need("n1", "Sportello unico per le famiglie")).await;
    f2.ok(json!({"kind": "set_phase", "phase": "voto"})).await;
    let mut m2 = Client::connect(&base, second, &maria, "maria2").await;
    m2.ok(json!({"kind": "vote", "card_id": format!("m{first}-c1")}))
        .await;

    Scenario {
        app,
        first,
        second,
        facilitator,
    }
}

async fn get(s: &Scenario, path: &str) -> reqwest::Response {
    let res = s
        .app
        .client
        .get(s.app.url(path))
        .bearer_auth(&s.facilitator)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{path}");
    res
}

/// The scopes of the scenario: each meeting, the module, the workshop.
fn scopes(s: &Scenario) -> Vec<String> {
    vec![
        format!("/api/v1/meetings/{}/export", s.first),
        format!("/api/v1/meetings/{}/export", s.second),
        format!("/api/v1/workshops/{SLUG}/export?modulo=1"),
        format!("/api/v1/workshops/{SLUG}/export"),
    ]
}

fn with(path: &str, ext: &str, query: &str) -> String {
    match path.split_once('?') {
        Some((p, q)) if query.is_empty() => format!("{p}.{ext}?{q}"),
        Some((p, q)) => format!("{p}.{ext}?{q}&{query}"),
        None if query.is_empty() => format!("{path}.{ext}"),
        None => format!("{path}.{ext}?{query}"),
    }
}

/// The text of a .docx, paragraph by paragraph.
fn docx_text(bytes: &[u8]) -> String {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut xml = String::new();
    zip.by_name("word/document.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    let mut out = String::new();
    for para in xml.split("</w:p>") {
        for run in para.split("<w:t").skip(1) {
            let text = &run[run.find('>').unwrap() + 1..];
            out.push_str(&text[..text.find("</w:t>").unwrap_or(0)]);
        }
        out.push('\n');
    }
    out.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
}

/// The cards of a JSON export by meeting: reference, text, votes and comments, in order.
fn by_meeting(v: &Value) -> BTreeMap<i64, Vec<Value>> {
    let mut out: BTreeMap<i64, Vec<Value>> = BTreeMap::new();
    for c in v["cards"].as_array().unwrap() {
        out.entry(c["meeting_id"].as_i64().unwrap())
            .or_default()
            .push(json!({
                "ref": c["ref"], "text": c["content"]["text"], "votes": c["votes"],
                "comments": c["comments"], "merged": c["merged"], "carried_from": c["carried_from"],
                "author": c["author"],
            }));
    }
    out
}

/// The "[ref] title" lines of a Word document that belong to a meeting (by its code).
fn card_lines(text: &str, code: &str) -> Vec<String> {
    let mut lines: Vec<String> = text
        .lines()
        .filter(|l| l.starts_with(&format!("[{code}/")))
        .map(str::to_string)
        .collect();
    lines.sort();
    lines
}

#[tokio::test]
async fn each_meeting_reads_the_same_in_every_scope_and_keeps_its_history() {
    let s = scenario().await;
    let own: BTreeMap<i64, Vec<Value>> = {
        let mut own = BTreeMap::new();
        for id in [s.first, s.second] {
            let v: Value = get(&s, &format!("/api/v1/meetings/{id}/export.json"))
                .await
                .json()
                .await
                .unwrap();
            own.insert(id, by_meeting(&v).remove(&id).unwrap());
        }
        own
    };
    let first = &own[&s.first];
    let second = &own[&s.second];

    // The first meeting: its cards with their references and its votes only.
    let refs: Vec<&str> = first.iter().map(|c| c["ref"].as_str().unwrap()).collect();
    assert_eq!(
        refs,
        ["M1-1/B01", "M1-1/B03", "M1-1/B05", "M1-1/B06", "M1-1/B07"]
    );
    assert_eq!(
        first[0]["votes"], 2,
        "Maria's and Luca's votes, in that meeting"
    );
    // The merged duplicate: inside the card it joined, with its own text, author and body.
    let merged = &first[0]["merged"][0];
    assert_eq!(merged["ref"], "M1-1/B02");
    assert_eq!(merged["content"]["text"], "Anziani isolati in montagna");
    assert_eq!(merged["author"]["name"], "Luca Bianchi");
    assert_eq!(merged["author"]["organisation"], "Comune di Dalmine");
    // The anonymous card and its author's comment name nobody.
    assert_eq!(first[1]["author"], Value::Null);
    assert_eq!(first[1]["comments"][0]["text"], "Lo confermo io");
    assert_eq!(first[1]["comments"][0]["author"], Value::Null);
    // The Terzo settore: on behalf of ATS, and the guest.
    assert_eq!(first[2]["author"]["name"], "Carla Conti");
    assert_eq!(first[2]["author"]["organisation"], "ATS Bergamo");
    assert_eq!(first[3]["author"]["kind"], "guest");
    assert_eq!(first[3]["author"]["organisation"], "Cooperativa Sole");

    // The second meeting: the carried card with its own reference and vote, and its history.
    let refs: Vec<&str> = second.iter().map(|c| c["ref"].as_str().unwrap()).collect();
    assert_eq!(refs, ["M1-2/B01", "M1-2/B02"]);
    let carried = &second[0];
    assert_eq!(carried["text"], "Anziani soli nei Comuni montani");
    assert_eq!(
        carried["votes"], 1,
        "only the vote cast in the second meeting"
    );
    assert_eq!(carried["author"]["name"], "Maria Rossi");
    assert_eq!(carried["author"]["organisation"], "Comune di Bergamo");
    let from = &carried["carried_from"];
    assert_eq!(from["ref"], "M1-1/B01");
    assert_eq!(from["meeting_id"], s.first);
    assert!(from["first_written_at"].is_string());
    assert_eq!(from["comments"][0]["text"], "Anche a Dalmine");
    assert_eq!(
        from["comments"][0]["author"]["organisation"],
        "Comune di Dalmine"
    );
    assert_eq!(carried["merged"][0]["ref"], "M1-1/B02");
    assert_eq!(carried["merged"][0]["in_earlier_meeting"], true);
    assert_eq!(carried["merged"][0]["author"]["name"], "Luca Bianchi");

    // Every scope holds each of its meetings exactly as that meeting's own export.
    for scope in scopes(&s) {
        let v: Value = get(&s, &with(&scope, "json", ""))
            .await
            .json()
            .await
            .unwrap();
        for (id, cards) in by_meeting(&v) {
            assert_eq!(cards, own[&id], "{scope}: meeting {id}");
        }
    }

    // The Word documents: in every scope, each meeting's cards are those of its own document.
    for doc in ["verbale", "coprogrammazione", "accordo"] {
        let alone: Vec<(String, String)> = {
            let mut v = Vec::new();
            for (id, code) in [(s.first, "M1-1"), (s.second, "M1-2")] {
                let text = docx_text(
                    &get(&s, &format!("/api/v1/meetings/{id}/export.docx?type={doc}"))
                        .await
                        .bytes()
                        .await
                        .unwrap(),
                );
                v.push((code.to_string(), text));
            }
            v
        };
        for scope in &scopes(&s)[2..] {
            let text = docx_text(
                &get(&s, &with(scope, "docx", &format!("type={doc}")))
                    .await
                    .bytes()
                    .await
                    .unwrap(),
            );
            for (code, own_text) in &alone {
                assert_eq!(
                    card_lines(&text, code),
                    card_lines(own_text, code),
                    "{doc} {scope}: the cards of {code}"
                );
            }
        }
        if doc != "accordo" {
            let (_, second_text) = &alone[1];
            assert!(
                second_text.contains("ripreso da M1-1/B01"),
                "{doc}: the carried card names its origin"
            );
            assert!(
                second_text.contains("Unito [M1-1/B02]: Anziani isolati in montagna"),
                "{doc}: and brings its duplicate"
            );
            let (_, first_text) = &alone[0];
            assert!(
                first_text.contains("Unito [M1-1/B02]: Anziani isolati in montagna"),
                "{doc}: the duplicate in the card it joined"
            );
        }
    }
    let verbale = docx_text(
        &get(
            &s,
            &format!("/api/v1/meetings/{}/export.docx?type=verbale", s.second),
        )
        .await
        .bytes()
        .await
        .unwrap(),
    );
    assert!(
        verbale.contains("Commento in un incontro precedente (Comune di Dalmine): Anche a Dalmine")
    );
}

#[tokio::test]
async fn what_a_facilitator_hid_and_who_wrote_anonymously_never_leave() {
    let s = scenario().await;
    for scope in scopes(&s) {
        for query in ["", "nascosti=allegato"] {
            let mut texts = Vec::new();
            for doc in ["verbale", "coprogrammazione", "accordo"] {
                let q = if query.is_empty() {
                    format!("type={doc}")
                } else {
                    format!("type={doc}&{query}")
                };
                let bytes = get(&s, &with(&scope, "docx", &q))
                    .await
                    .bytes()
                    .await
                    .unwrap();
                texts.push(docx_text(&bytes));
            }
            texts.push(
                get(&s, &with(&scope, "json", query))
                    .await
                    .text()
                    .await
                    .unwrap(),
            );
            texts.push(
                get(&s, &with(&scope, "csv", query))
                    .await
                    .text()
                    .await
                    .unwrap(),
            );
            for text in &texts {
                assert!(!text.contains(PERSONAL), "{scope} {query}: the hidden text");
                assert!(
                    !text.contains("Paolo Anonimi"),
                    "{scope} {query}: the anonymous author"
                );
            }
            if query == "nascosti=allegato" && !scope.contains(&format!("/{}/", s.second)) {
                assert!(
                    texts[0].contains("Dati personali"),
                    "{scope}: the reason is listed"
                );
            }
        }
    }
}

#[tokio::test]
async fn an_ambito_keeps_its_terzo_settore_voice() {
    let s = scenario().await;
    let v: Value = get(
        &s,
        &format!(
            "/api/v1/meetings/{}/export.json?ambito=Ambito%20di%20Dalmine",
            s.first
        ),
    )
    .await
    .json()
    .await
    .unwrap();
    let cards = v["cards"].as_array().unwrap();
    let texts: Vec<&str> = cards
        .iter()
        .map(|c| c["content"]["text"].as_str().unwrap())
        .collect();
    assert!(
        texts.contains(&"Trasporto per chi vive in valle"),
        "the guest: {texts:?}"
    );
    assert!(
        texts.contains(&"Dati condivisi tra ATS e Comuni"),
        "on behalf of ATS: {texts:?}"
    );
    assert!(
        !texts.contains(&"Anziani soli nei Comuni montani"),
        "Bergamo's card stays out: {texts:?}"
    );
    // Three people of Dalmine could have written the anonymous card (Luca, Paolo, the guest):
    // it is reported, anonymous.
    let anonymous = cards.iter().find(|c| c["anonymous"] == true).unwrap();
    assert_eq!(anonymous["author"], Value::Null);
    assert_eq!(v["anonymous_withheld"], false);
    // The references are the meeting's own.
    let refs: Vec<&str> = cards.iter().map(|c| c["ref"].as_str().unwrap()).collect();
    assert_eq!(refs, ["M1-1/B03", "M1-1/B05", "M1-1/B06"]);
    // Maria's anonymous card, in the Bergamo version: she is the only person of Bergamo there,
    // so it is left out, and the file says that something was.
    let v: Value = get(
        &s,
        &format!(
            "/api/v1/meetings/{}/export.json?ambito=Ambito%20di%20Bergamo",
            s.first
        ),
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(
        v["cards"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["anonymous"] == false)
    );
    assert_eq!(v["anonymous_withheld"], true);
    let text = docx_text(
        &get(
            &s,
            &format!(
                "/api/v1/meetings/{}/export.docx?type=verbale&ambito=Ambito%20di%20Bergamo",
                s.first
            ),
        )
        .await
        .bytes()
        .await
        .unwrap(),
    );
    assert!(!text.contains("Servono più educatori"));
    assert!(text.contains("Alcuni contributi anonimi non sono riportati"));
}
