//! Export benchmark: time and size of the Word draft for big boards, against python-docx.
//!
//! ```text
//! pip install python-docx        # for the baseline (skipped with --no-python)
//! cargo run --release --example bench_export
//! cargo run --release --example bench_export -- --cards 5000,20000 --runs 3 --out /tmp/bench
//! ```
//!
//! For each size N it builds, in memory, a workshop of three meetings whose boards hold N cards
//! in all — needs with their fields, governance proposals, indicators with full sheets, open
//! questions; a fifth of them voted, grouped into themes of about twenty, some merged, some
//! anonymous, some hidden — by applying synthetic events with `domain::board::apply`, as the
//! live room and the replay do. Building the boards is not timed.
//!
//! Timed (median of `--runs`): `export::render` of the whole workshop as "documento di
//! co-programmazione", i.e. outline, prose templates, layout, docx-rs, and the repack (deflate,
//! properties, styles). The same document's blocks are written as JSON and
//! `examples/bench_export_pythondocx.py` builds the same content with python-docx (headings,
//! paragraphs with bold/italic runs, the same tables with a header row, header and footer),
//! timed inside Python from the loaded JSON to the saved file (once by default: python-docx is
//! slow enough that its spread does not matter; `--python-runs`). Figures: seconds and bytes
//! for both, and the size ratio.
//!
//! With `BENCH_PHASES=1` it also prints the time of each step (outline, prose, layout, docx).
//!
//! Then the effect on a live board: a tokio runtime with one worker thread (the board's) runs a
//! 1 ms ticker while the largest export runs either inline on that worker or, as Tavolo does,
//! on a blocking thread (`spawn_blocking`); the ticker's worst lateness is printed for both.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tavolo::domain::board::{
    self, Actor, ActorId, ActorKind, BoardState, CarriedCard, Event, EventRecord,
};
use tavolo::domain::cards::{CardContent, Indicator, Need, Plain, Proposal};
use tavolo::export::outline::{Attendee, Outline, Session};
use tavolo::export::prose::Prose;
use tavolo::export::{self, DocType, Extent, Format, HiddenCards, Scope};
use tavolo::services::catalogue::Entry;
use tavolo::templates::Templates;

const WORKSHOP: &str = r#"slug = "bench"
title = "La Co-Programmazione come esercizio di amministrazione condivisa"
organiser = "ANCI Lombardia"
funding = "POR FSE 2014-2020 — Regione Lombardia, Asse IV, Azione 11.3.3 — CUP E49D20000010009"
capacity = 400
enrollment_opens = 2021-09-01T09:00:00+02:00
enrollment_closes = 2021-09-27T23:59:59+02:00
eligible_roles = ["responsabile-ufficio-di-piano", "responsabile-servizi-sociali"]
facilitators = ["Silvia De Aloe", "Luciano Gallo", "Chiara Girola", "Nucci Maiocchi", "Ettore Vittorio Uccellini"]

[[modules]]
title = "Dalla teoria alla prassi"
topics = ["Strumenti operativi"]

  [[modules.meetings]]
  date = 2021-11-12
  start = 09:30:00
  end = 12:30:00
  place = "online"

  [[modules.meetings]]
  date = 2021-11-25
  start = 09:30:00
  end = 12:30:00
  place = "Milano, via Rovello 2"

  [[modules.meetings]]
  date = 2021-12-02
  start = 09:30:00
  end = 12:30:00
  place = "online"
"#;

const WORDS: &[&str] = &[
    "anziani",
    "soli",
    "nei",
    "Comuni",
    "montani",
    "servizio",
    "di",
    "assistenza",
    "domiciliare",
    "caregiver",
    "familiari",
    "trasporto",
    "sociale",
    "povertà",
    "educativa",
    "giovani",
    "NEET",
    "abitare",
    "casa",
    "sostegno",
    "reddito",
    "disabilità",
    "inclusione",
    "lavoro",
    "rete",
    "Terzo",
    "settore",
    "cooperative",
    "volontariato",
    "sportello",
    "orientamento",
    "famiglie",
    "minori",
    "scuola",
    "salute",
    "mentale",
    "territorio",
    "Ambito",
    "Ufficio",
    "Piano",
    "dati",
    "ISTAT",
    "ATS",
    "progetto",
    "tavolo",
    "tecnico",
    "co-progettazione",
    "monitoraggio",
    "valutazione",
    "esito",
    "accesso",
    "digitale",
    "fragilità",
    "comunità",
    "prossimità",
];

/// A small deterministic generator (the figures must not depend on a random seed).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn words(&mut self, n: usize) -> String {
        let mut s = String::new();
        for i in 0..n {
            if i > 0 {
                s.push(' ');
            }
            s.push_str(WORDS[self.below(WORDS.len() as u64) as usize]);
        }
        s
    }

    fn sentence(&mut self, min: usize, max: usize) -> String {
        let n = min + self.below((max - min + 1) as u64) as usize;
        let mut s = self.words(n);
        if let Some(f) = s.get_mut(0..1) {
            f.make_ascii_uppercase();
        }
        s.push('.');
        s
    }
}

struct Builder {
    state: BoardState,
    at: i64,
}

impl Builder {
    fn apply(&mut self, actor: &Actor, event: Event) {
        let seq = self.state.seq + 1;
        self.at += 7_000;
        board::apply(
            &mut self.state,
            &EventRecord {
                seq,
                op_id: format!("op{seq}"),
                actor: actor.clone(),
                at: self.at,
                event,
            },
        );
    }
}

fn person(n: u64) -> Actor {
    Actor {
        id: ActorId::Enrollment(n as i64),
        kind: ActorKind::Participant,
        name: format!("Persona {n}"),
        organisation: Some(format!("Comune di Esempio {}", n % 97)),
        ambito: Some(format!("Ambito {}", n % 12)),
    }
}

fn content(rng: &mut Lcg, areas: &[String], k: u64) -> CardContent {
    let area = || Some(areas[(k as usize * 7) % areas.len()].clone());
    match k % 20 {
        0..=9 => CardContent::Bisogno(Need {
            text: rng.sentence(8, 30),
            policy_area: area(),
            secondary_areas: vec![],
            target_group: Some(rng.words(3)),
            territory: Some(rng.words(2)),
            evidence: Some(rng.sentence(10, 40)),
        }),
        10..=14 => CardContent::Proposta(Proposal {
            title: rng.sentence(5, 12),
            description: Some(rng.sentence(15, 45)),
            actors: Some(rng.words(5)),
            instrument: Some(
                [
                    "Tavolo tecnico",
                    "Co-progettazione",
                    "Patto di collaborazione",
                ][rng.below(3) as usize]
                    .into(),
            ),
            terzo_settore_role: Some(rng.sentence(6, 18)),
            policy_area: area(),
        }),
        15..=17 => CardContent::Indicatore(Indicator {
            name: rng.sentence(4, 10),
            definition: Some(rng.sentence(10, 25)),
            indicator_type: Some(["output", "outcome", "process"][rng.below(3) as usize].into()),
            unit: Some("utenti ogni 100 residenti".into()),
            formula: Some(rng.sentence(6, 14)),
            source: Some("Cartella sociale informatizzata".into()),
            baseline_value: Some(format!("{},{}", rng.below(50), rng.below(10))),
            baseline_date: Some("2021-12-31".into()),
            target_value: Some(format!("{}", 10 + rng.below(60))),
            target_deadline: Some("2023-12-31".into()),
            frequency: Some("annuale".into()),
            responsible: Some("Ufficio di Piano".into()),
            policy_area: area(),
            disaggregation: Some("Comune, sesso, età".into()),
        }),
        _ => CardContent::Altro(Plain {
            card_type: "questione".into(),
            text: rng.sentence(8, 25),
        }),
    }
}

/// A workshop of three meetings with `n` cards in all, built by applying events.
fn boards(entry: &Entry, n: usize) -> Vec<Session> {
    let w = &entry.workshop;
    let mut rng = Lcg(n as u64);
    let facilitator = Actor {
        id: ActorId::Account(1),
        kind: ActorKind::Facilitator,
        name: "Silvia De Aloe".into(),
        organisation: None,
        ambito: None,
    };
    let meetings: Vec<_> = w.meetings().collect();
    let per = n.div_ceil(meetings.len());
    let mut sessions = Vec::new();
    let mut made = 0;
    let mut carried_source: Option<(i64, board::Card)> = None;
    for (mi, (module, meeting)) in meetings.iter().enumerate() {
        let id = entry.meeting_id(&meeting.key);
        let mut b = Builder {
            state: BoardState::new(id, tavolo::domain::defaults::board_template()),
            at: 1_636_700_000_000 + mi as i64 * 86_400_000,
        };
        for phase in ["raccolta", "raggruppamento", "voto", "sintesi", "chiuso"] {
            b.apply(
                &facilitator,
                Event::PhaseSet {
                    phase: phase.into(),
                },
            );
        }
        if let Some((from, card)) = carried_source.take() {
            b.apply(
                &facilitator,
                Event::CardsCarriedOver {
                    from_meeting: from,
                    cards: vec![CarriedCard {
                        from_card: card.id.clone(),
                        card_id: "riportato".into(),
                        column: card.column.clone(),
                        content: card.content.clone(),
                        author: card.author.clone(),
                        anonymous: card.anonymous,
                        number: None,
                        from_reference: Some(card.reference("M1-1")),
                        created_at: Some(card.created_at),
                        on_behalf_of: card.on_behalf_of.clone(),
                        comments: card.comments.clone(),
                        merged: Vec::new(),
                    }],
                },
            );
        }
        let count = per.min(n - made);
        let mut group_of_column: HashMap<String, (String, usize)> = HashMap::new();
        for k in 0..count {
            let author = person(rng.below(300));
            let c = content(&mut rng, &w.policy_areas, (made + k) as u64);
            let card_id = format!("c{k}");
            let column = c.card_type().to_string();
            b.apply(
                &author,
                Event::CardAdded {
                    card_id: card_id.clone(),
                    column: column.clone(),
                    anonymous: k % 10 == 3,
                    on_behalf_of: None,
                    revealed: true,
                    content: c,
                    number: None,
                },
            );
            if k % 5 == 0 {
                for v in 0..(1 + rng.below(6)) {
                    b.apply(
                        &person(v),
                        Event::Voted {
                            card_id: card_id.clone(),
                            phase: "voto".into(),
                        },
                    );
                }
            }
            if k % 7 == 0 {
                b.apply(
                    &person(rng.below(300)),
                    Event::Commented {
                        card_id: card_id.clone(),
                        comment_id: format!("m{k}"),
                        text: rng.sentence(5, 15),
                    },
                );
            }
            // Themes of about twenty cards per column.
            let g = group_of_column
                .entry(column.clone())
                .or_insert_with(|| (String::new(), 20));
            if g.1 >= 20 {
                let gid = format!("g{k}");
                b.apply(
                    &facilitator,
                    Event::GroupCreated {
                        group_id: gid.clone(),
                        title: format!("Tema {}", rng.words(2)),
                        column: column.clone(),
                    },
                );
                *g = (gid, 0);
            }
            g.1 += 1;
            b.apply(
                &facilitator,
                Event::CardGrouped {
                    card_id: card_id.clone(),
                    group_id: Some(g.0.clone()),
                },
            );
            if k % 50 == 49 {
                b.apply(
                    &facilitator,
                    Event::CardsMerged {
                        into: format!("c{}", k - 1),
                        cards: vec![card_id.clone()],
                    },
                );
            }
            if k % 97 == 13 {
                b.apply(
                    &facilitator,
                    Event::CardHidden {
                        card_id: card_id.clone(),
                        reason: "Fuori tema".into(),
                    },
                );
            }
        }
        made += count;
        carried_source = b.state.cards.get("c0").cloned().map(|c| (id, c));
        let attendance = (0..60u64)
            .map(|p| Attendee {
                person: p as i64,
                organisation: format!("Comune di Esempio {}", p % 97),
                role: "Responsabile Ufficio di Piano".into(),
                ambito: Some(format!("Ambito {}", p % 12)),
            })
            .collect();
        sessions.push(Session {
            id,
            module_number: module.number,
            module_title: module.title.clone(),
            meeting: (*meeting).clone(),
            board: b.state,
            attendance,
            guests: Vec::new(),
        });
    }
    sessions
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

struct Args {
    cards: Vec<usize>,
    runs: usize,
    out: PathBuf,
    python: Option<String>,
    python_runs: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        cards: vec![5_000, 20_000],
        runs: 3,
        out: std::env::temp_dir().join("tavolo-bench-export"),
        python: Some("python3".into()),
        python_runs: 1,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--cards" => {
                a.cards = value()?
                    .split(',')
                    .map(|s| s.trim().parse().map_err(|_| format!("bad number {s}")))
                    .collect::<Result<_, _>>()?
            }
            "--runs" => a.runs = value()?.parse().map_err(|_| "bad --runs")?,
            "--out" => a.out = PathBuf::from(value()?),
            "--python" => a.python = Some(value()?),
            "--no-python" => a.python = None,
            "--python-runs" => a.python_runs = value()?.parse().map_err(|_| "bad --python-runs")?,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(a)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    std::fs::create_dir_all(&args.out).expect("output directory");
    let workshop =
        tavolo::workshop_files::parse_workshop("bench.toml", WORKSHOP).expect("workshop");
    let meeting_ids = workshop
        .meetings()
        .enumerate()
        .map(|(i, (_, m))| (m.key.clone(), i as i64 + 1))
        .collect();
    let entry = Arc::new(Entry::new(1, workshop, meeting_ids));
    let templates = Arc::new(Templates::new(None));
    let scope = Scope {
        extent: Extent::Workshop,
        ambito: None,
        hidden: HiddenCards::Omit,
    };
    let format = Format::Docx(DocType::Coprogrammazione);
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join("bench_export_pythondocx.py");
    println!(
        "export benchmark: documento di co-programmazione, whole workshop (3 meetings), median of {} runs",
        args.runs
    );
    println!(
        "{:>7}  {:>10}  {:>11}  {:>13}  {:>14}  {:>10}",
        "cards", "tavolo s", "tavolo KiB", "python-docx s", "python-docx KiB", "size ratio"
    );
    let mut biggest = None;
    for &n in &args.cards {
        let sessions = boards(&entry, n);
        let mut times = Vec::new();
        let mut bytes = Vec::new();
        for _ in 0..args.runs.max(1) {
            let t = Instant::now();
            let file = export::render(
                &entry,
                &sessions,
                &scope,
                format,
                &templates,
                chrono::Utc::now(),
            )
            .expect("export renders");
            times.push(t.elapsed().as_secs_f64());
            bytes = file.bytes;
        }
        if std::env::var_os("BENCH_PHASES").is_some() {
            let t = Instant::now();
            let outline = Outline::build(&entry.workshop, &sessions, &scope, chrono::Utc::now());
            let t1 = Instant::now();
            let prose = Prose::render(
                &templates,
                DocType::Coprogrammazione,
                export::document::blocks(DocType::Coprogrammazione),
                &outline,
            )
            .unwrap();
            let t2 = Instant::now();
            let doc = export::document::build(&outline, &prose, DocType::Coprogrammazione);
            let t3 = Instant::now();
            let _ = export::docx::write(&doc).unwrap();
            eprintln!(
                "outline {:?} prose {:?} layout {:?} docx {:?}",
                t1 - t,
                t2 - t1,
                t3 - t2,
                t3.elapsed()
            );
        }
        let docx_path = args.out.join(format!("tavolo-{n}.docx"));
        std::fs::write(&docx_path, &bytes).expect("write docx");
        // The same content, for python-docx.
        let now = chrono::Utc::now();
        let outline = Outline::build(&entry.workshop, &sessions, &scope, now);
        let prose = Prose::render(
            &templates,
            DocType::Coprogrammazione,
            export::document::blocks(DocType::Coprogrammazione),
            &outline,
        )
        .expect("prose");
        let doc = export::document::build(&outline, &prose, DocType::Coprogrammazione);
        let blocks_path = args.out.join(format!("blocks-{n}.json"));
        std::fs::write(&blocks_path, serde_json::to_vec(&doc).expect("json")).expect("write json");
        let py = args.python.as_ref().and_then(|python| {
            let py_out = args.out.join(format!("python-docx-{n}.docx"));
            let mut secs = Vec::new();
            let mut size = 0;
            for _ in 0..args.python_runs.max(1) {
                let out = Command::new(python)
                    .arg(&script)
                    .arg(&blocks_path)
                    .arg(&py_out)
                    .output()
                    .ok()?;
                if !out.status.success() {
                    eprintln!(
                        "python-docx baseline failed: {}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                    return None;
                }
                let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
                secs.push(v["seconds"].as_f64()?);
                size = v["bytes"].as_u64()?;
            }
            Some((median(secs), size))
        });
        let t = median(times);
        match py {
            Some((ps, pb)) => println!(
                "{n:>7}  {t:>10.3}  {:>11.0}  {ps:>13.3}  {:>14.0}  {:>10.2}",
                bytes.len() as f64 / 1024.0,
                pb as f64 / 1024.0,
                bytes.len() as f64 / pb as f64
            ),
            None => println!(
                "{n:>7}  {t:>10.3}  {:>11.0}  {:>13}  {:>14}  {:>10}",
                bytes.len() as f64 / 1024.0,
                "-",
                "-",
                "-"
            ),
        }
        biggest = Some(sessions);
    }
    println!("files in {}", args.out.display());

    // A live board while the largest export runs: one async worker, a 1 ms ticker.
    if let Some(sessions) = biggest {
        let sessions = Arc::new(sessions);
        for (label, blocking) in [
            ("inline on the async worker", false),
            ("spawn_blocking (Tavolo)", true),
        ] {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_time()
                .build()
                .expect("runtime");
            let (entry, templates, sessions, scope) = (
                entry.clone(),
                templates.clone(),
                sessions.clone(),
                scope.clone(),
            );
            let worst = rt.block_on(async move {
                let ticker = tokio::spawn(async {
                    let mut worst = Duration::ZERO;
                    let end = Instant::now() + Duration::from_secs(60);
                    let mut last = Instant::now();
                    while Instant::now() < end {
                        tokio::time::sleep(Duration::from_millis(1)).await;
                        let now = Instant::now();
                        worst = worst.max(now - last);
                        last = now;
                        if STOP.load(std::sync::atomic::Ordering::Relaxed) {
                            break;
                        }
                    }
                    worst
                });
                tokio::time::sleep(Duration::from_millis(50)).await;
                let job = move || {
                    export::render(
                        &entry,
                        &sessions,
                        &scope,
                        format,
                        &templates,
                        chrono::Utc::now(),
                    )
                    .expect("export renders")
                };
                if blocking {
                    tokio::task::spawn_blocking(job).await.expect("join");
                } else {
                    tokio::spawn(async move { job() }).await.expect("join");
                }
                STOP.store(true, std::sync::atomic::Ordering::Relaxed);
                ticker.await.expect("ticker")
            });
            STOP.store(false, std::sync::atomic::Ordering::Relaxed);
            println!(
                "board ticker (1 ms) during the export, {label}: worst gap {:.1} ms",
                worst.as_secs_f64() * 1000.0
            );
        }
    }
    ExitCode::SUCCESS
}

static STOP: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
