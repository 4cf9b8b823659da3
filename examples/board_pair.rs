//! Live board with two Tavolo instances on one PostgreSQL database, measured against one instance
//! on PostgreSQL in the same run, repetition by repetition (a sibling of `board_load`).
//!
//! ```text
//! cargo build --release --bin tavolo --example board_pair
//! target/release/examples/board_pair                          # 3 repetitions, medians
//! target/release/examples/board_pair --baseline OLD/target/release --reps 3
//! ```
//!
//! It builds nothing and pins nothing: on a 2-core machine two or three servers, PostgreSQL and
//! the generator cannot be kept apart, so the tables give the CPU of each of them instead.
//!
//! Every measurement is a server session of its own: a fresh database `board_pair_<pid>_<n>`
//! (created through `--pg`, the `test` database of the PostgreSQL at 127.0.0.1:5432, dropped
//! afterwards), a temporary directory with the workshop file of `board_load` (slug `carico`,
//! capacity = clients + 10, window open, one module of meetings), an organiser `f@example.it`
//! with an API key (`tavolo admin create`, `tavolo admin api-key`, which also migrate), then
//! `tavolo serve` (`DATABASE_URL=postgres://…/<db>`, `TAVOLO_BIND=127.0.0.1:<free port>`,
//! `RUST_LOG=warn`, output into `a.log`) and, for the two-instance setup, a second `tavolo serve`
//! on the same `DATABASE_URL` once the first answers `/readyz` (`b.log`). N people enroll through
//! instance A (`POST /api/v1/workshops/carico/enrollments`); each client connects with its
//! personal token to `/ws/meetings/{id}` of the first meeting, after the facilitator opened the
//! phase `raccolta` through A.
//!
//! Clients: client i connects to instance i mod 2 (single setup: all to the one instance); the
//! first `--writers-pct` % of them write, so half of the writers are on each instance. Op k
//! (`add_card`, as in `board_load`) is due at k/R s and goes to writer k mod W. `--warmup` s of
//! ops are sent but not measured, then `--duration` s are, then `--drain` s for the last events.
//! Every delivery of a measured op is timed from the writer handing it to its socket to the
//! matching `event` frame, on every connection (the writer's own included), in three sets of
//! samples (µs): all, **same instance** (the receiver is on the writer's instance) and **cross
//! instance** (on the other one). Delivered = deliveries of measured acked
//! ops / (acked × N). Each client follows the `seq` of its events from its `welcome`: a `seq`
//! seen twice is a duplicate (not counted as delivered), a `seq` skipped is a gap (a late one is
//! counted apart). Refusals (`error` frames) by code, `resync` frames, connections closed by
//! the server, the acked rate of the measured window, and the last presence count each client
//! received (every client should see N) are reported too.
//!
//! CPU over the measured window, in % of one core, from /proc: each instance, PostgreSQL (the
//! sum of every process named `postgres`), this generator (one thread), and the rest of the
//! machine; `µs/frame` = the instances' CPU seconds of the window / the deliveries of measured
//! ops. Memory: each instance's VmRSS before its clients connect and after (`KiB/conn` = the
//! difference / its clients). PostgreSQL work:
//! `pg_stat_database` of the benchmark database (commits, rollbacks, rows inserted, updated,
//! deleted, fetched, returned) read before the first op and after the drain, each time after
//! `--pg-settle` s without ops (a PostgreSQL 15 backend flushes its counters at most once a
//! second when it goes idle, and only after 10 s if it then stays idle); divided by the events
//! acked in between; the same counters over another `--pg-settle` s without ops give the idle
//! cost per second, taken out of the `net …/ev` figures. Server logs are counted: lines with
//! `WARN`/`ERROR` while serving and at the stop apart, and lines saying `unavailable` or `cannot
//! store board events`. A measurement during which other processes used more than
//! `--quiet-max` % of a core is made again (up to 3 times). Interrupted, it leaves its servers
//! and databases behind (`board_pair_*`).

#[path = "common/board_workshop.rs"]
mod board_workshop;
#[path = "common/machine.rs"]
mod machine;

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::net::{SocketAddr, TcpListener as StdListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::rc::Rc;
use std::time::{Duration, Instant};

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use sqlx::Connection;
use sqlx::postgres::PgConnection;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_util::sync::CancellationToken;

use board_workshop::{ROLE, SLUG, workshop_toml};
use machine::{cpu_model, percentile, raise_nofile};

const FACILITATOR_EMAIL: &str = "f@example.it";
const FACILITATOR_PASSWORD: &str = "banco-di-prova-lavagna-2027";

#[derive(Parser, Debug, Clone)]
#[command(
    name = "board_pair",
    about = "Live board: two Tavolo instances on one PostgreSQL database vs one, same run"
)]
struct Args {
    /// Websocket clients in the meeting (split evenly over the instances).
    #[arg(long, default_value_t = 1000)]
    clients: usize,
    /// Share of the clients that write, in %.
    #[arg(long, default_value_t = 10.0)]
    writers_pct: f64,
    /// Aggregate rate of `add_card` ops, cards/s.
    #[arg(long, default_value_t = 100.0)]
    rate: f64,
    /// Measured seconds.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Seconds of ops before measuring.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Seconds given to the last events after the last op.
    #[arg(long, default_value_t = 2.0)]
    drain: f64,
    /// Repetitions; each measures every build in both setups.
    #[arg(long, default_value_t = 3)]
    reps: usize,
    /// Directory holding the `tavolo` to measure (default: the parent of this example's).
    #[arg(long)]
    bin_dir: Option<PathBuf>,
    /// Another build measured in the same run, first in every repetition (before/after).
    #[arg(long)]
    baseline: Option<PathBuf>,
    /// Only this setup (`single` or `pair`); default both.
    #[arg(long, value_parser = ["single", "pair"])]
    only: Option<String>,
    /// Maintenance database (CREATE/DROP DATABASE and `pg_stat_database` go through it); its
    /// parameters also go to the instances (e.g. `?options=-c%20log_statement%3Dall`).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
    pg: String,
    /// Seconds without ops before each read of `pg_stat_database` (see the module doc).
    #[arg(long, default_value_t = 11.0)]
    pg_settle: f64,
    /// Seconds allowed for all clients to be welcomed.
    #[arg(long, default_value_t = 60.0)]
    connect_timeout: f64,
    /// Before connecting, wait until other processes use less than this % of one core…
    #[arg(long, default_value_t = 15.0)]
    quiet_max: f64,
    /// …but not longer than this many seconds.
    #[arg(long, default_value_t = 600.0)]
    quiet_timeout: f64,
    /// Keep the temporary directories (workshop, logs) and the databases.
    #[arg(long)]
    keep: bool,
    /// Exit with 1 unless every repetition delivered every event once, in order, refused
    /// nothing and showed every client the whole presence (CI runs a small one this way).
    #[arg(long)]
    strict: bool,
}

type Failure = Box<dyn std::error::Error>;

fn fail<T>(msg: impl Into<String>) -> Result<T, Failure> {
    Err(msg.into().into())
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.clients < 2 || args.rate <= 0.0 || args.duration <= 0.0 || args.reps == 0 {
        eprintln!("board_pair: --clients ≥ 2, --rate, --duration and --reps must be positive");
        return ExitCode::from(2);
    }
    let nofile = raise_nofile(args.clients * 2 + 512, 8192, "board_pair");
    let mut builds = Vec::new();
    if let Some(dir) = &args.baseline {
        builds.push(("baseline".to_string(), dir.clone()));
    }
    builds.push((
        "build".to_string(),
        args.bin_dir.clone().unwrap_or_else(default_bin_dir),
    ));
    for (label, dir) in &mut builds {
        // The servers run in their temporary directory: a relative path would not hold there.
        *dir = std::fs::canonicalize(&*dir).unwrap_or(dir.clone());
        if !dir.join("tavolo").is_file() {
            eprintln!(
                "board_pair: {label}: {} has no `tavolo` (cargo build --release --bin tavolo)",
                dir.display()
            );
            return ExitCode::from(2);
        }
    }
    let setups: Vec<usize> = match args.only.as_deref() {
        Some("single") => vec![1],
        Some("pair") => vec![2],
        _ => vec![1, 2],
    };
    println!(
        "board_pair: {} clients, {} writers, {} cards/s for {} s (+{} s warm-up, {} s drain), {} repetitions",
        args.clients,
        writers_of(&args),
        args.rate,
        args.duration,
        args.warmup,
        args.drain,
        args.reps
    );
    for (label, dir) in &builds {
        println!("{label}: {}", dir.join("tavolo").display());
    }
    println!(
        "machine: {} CPU ({}), kernel {}; nothing pinned; open files {}; PostgreSQL via {}",
        cpu_count(),
        cpu_model(),
        std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .unwrap_or_default()
            .trim(),
        nofile.map_or("?".into(), |n| n.to_string()),
        args.pg
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let local = tokio::task::LocalSet::new();
    let outcome = local.block_on(&runtime, async {
        let mut all: Vec<Outcome> = Vec::new();
        for rep in 1..=args.reps {
            for (label, dir) in &builds {
                for &instances in &setups {
                    let name = format!("{label} {}", setup_name(instances));
                    println!("\n=== {name}: repetition {rep}/{} ===", args.reps);
                    // Measured again (up to 3 times) when other processes were busy meanwhile.
                    for attempt in 1..=3 {
                        let session = Session::start(&args, dir, instances).await?;
                        let result = measure(&args, &session).await;
                        let (warnings, storage, at_stop) = session.stop(&args).await;
                        let mut o = result?;
                        o.name = name.clone();
                        o.v.insert("log warn", warnings as f64);
                        o.v.insert("log storage", storage as f64);
                        o.v.insert("log warn at stop", at_stop as f64);
                        print_table(LATENCY, std::slice::from_ref(&o));
                        if o.v["other %"] <= args.quiet_max || attempt == 3 {
                            all.push(o);
                            break;
                        }
                        println!("    ^ other processes used a share of the CPU meanwhile: again");
                    }
                }
            }
        }
        println!("\n=== every repetition ===");
        print_table(LATENCY, &all);
        print_table(CAPACITY, &all);
        println!("\n=== medians of {} ===", args.reps);
        let medians = medians(&all);
        print_table(LATENCY, &medians);
        println!();
        print_table(CAPACITY, &medians);
        Ok::<_, Failure>(all)
    });
    let all = match outcome {
        Ok(all) => all,
        Err(e) => {
            eprintln!("board_pair: {e}");
            return ExitCode::from(2);
        }
    };
    if args.strict {
        let broken: Vec<String> = all
            .iter()
            .filter_map(|o| broken_guarantees(o, &args))
            .collect();
        if !broken.is_empty() {
            eprintln!("board_pair: guarantees broken:\n{}", broken.join("\n"));
            return ExitCode::from(1);
        }
    }
    ExitCode::SUCCESS
}

/// What a repetition broke of what users are promised (`--strict`), if anything.
fn broken_guarantees(o: &Outcome, args: &Args) -> Option<String> {
    let v = |k: &str| o.v.get(k).copied().unwrap_or(f64::NAN);
    let mut broken = Vec::new();
    let delivered = v("deliv %");
    // A missing figure (NaN) counts as broken too.
    if delivered.is_nan() || delivered < 100.0 {
        broken.push(format!("{delivered} % delivered"));
    }
    for key in ["dup", "gaps", "refused"] {
        if v(key) != 0.0 {
            broken.push(format!("{key} {}", v(key)));
        }
    }
    if v("presence min") != args.clients as f64 {
        broken.push(format!(
            "presence seen as low as {} of {}",
            v("presence min"),
            args.clients
        ));
    }
    (!broken.is_empty()).then(|| format!("  {}: {}", o.name, broken.join(", ")))
}

fn setup_name(instances: usize) -> &'static str {
    if instances == 1 { "1×PG" } else { "2×PG" }
}

fn writers_of(args: &Args) -> usize {
    ((args.clients as f64 * args.writers_pct / 100.0).round() as usize).clamp(1, args.clients)
}

// --- a server session: database, instances, people ----------------------------------------------

struct Instance {
    child: Child,
    pid: u32,
    addr: SocketAddr,
    log: PathBuf,
}

struct Session {
    db: String,
    tmp: Option<tempfile::TempDir>,
    instances: Vec<Instance>,
    meeting: i64,
    tokens: Vec<String>,
    facilitator_key: String,
}

static SESSIONS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1);

async fn admin_connection(args: &Args) -> Result<PgConnection, Failure> {
    PgConnection::connect(&args.pg).await.map_err(|e| {
        format!(
            "PostgreSQL not reachable through {} ({e}): is it running at 127.0.0.1:5432?",
            args.pg
        )
        .into()
    })
}

impl Session {
    async fn start(args: &Args, bin_dir: &Path, instances: usize) -> Result<Session, Failure> {
        let n = SESSIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let db = format!("board_pair_{}_{n}", std::process::id());
        let mut admin = admin_connection(args).await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}")))
            .execute(&mut admin)
            .await
            .map_err(|e| format!("CREATE DATABASE {db}: {e}"))?;
        let tmp = tempfile::Builder::new().prefix("tavolo-pair-").tempdir()?;
        let mut session = Session {
            db,
            tmp: Some(tmp),
            instances: Vec::new(),
            meeting: 0,
            tokens: Vec::new(),
            facilitator_key: String::new(),
        };
        match session.prepare(args, bin_dir, instances).await {
            Ok(()) => Ok(session),
            Err(e) => {
                let logs: String = session
                    .instances
                    .iter()
                    .map(|i| std::fs::read_to_string(&i.log).unwrap_or_default())
                    .collect();
                session.stop(args).await;
                fail(format!("{e}\n--- server logs ---\n{logs}"))
            }
        }
    }

    /// `--pg` with this session's database (its parameters kept, e.g. `?options=…`).
    fn database_url(&self, args: &Args) -> String {
        let (url, params) = args.pg.split_once('?').unwrap_or((&args.pg, ""));
        let server = url.rsplit_once('/').map_or(url, |(s, _)| s);
        let sep = if params.is_empty() { "" } else { "?" };
        format!("{server}/{}{sep}{params}", self.db)
    }

    fn command(&self, args: &Args, bin: &Path) -> Command {
        let dir = self.tmp.as_ref().expect("temporary directory").path();
        let mut c = Command::new(bin);
        c.current_dir(dir)
            .env("DATABASE_URL", self.database_url(args))
            .env("TAVOLO_WORKSHOPS", dir.join("workshops"))
            .env("RUST_LOG", "warn")
            .env_remove("TAVOLO_BASE_URL")
            .env_remove("TAVOLO_SMTP_URL")
            .env_remove("TAVOLO_TEMPLATES")
            .env_remove("TAVOLO_BIND");
        c
    }

    /// `tavolo <argv>` with `input` on stdin: its stdout, or what it said when it failed.
    fn cli(&self, args: &Args, bin: &Path, argv: &[&str], input: &str) -> Result<String, Failure> {
        let mut child = self
            .command(args, bin)
            .args(argv)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        // A command that reads nothing may be gone already: a broken pipe is not its failure.
        let mut stdin = child.stdin.take().expect("piped stdin");
        let _ = stdin.write_all(format!("{input}\n").as_bytes());
        drop(stdin);
        let out = child.wait_with_output()?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            return fail(format!(
                "tavolo {} failed: {stdout}{stderr}",
                argv.join(" ")
            ));
        }
        Ok(stdout)
    }

    async fn prepare(&mut self, args: &Args, bin_dir: &Path, count: usize) -> Result<(), Failure> {
        let setup = Instant::now();
        let bin = bin_dir.join("tavolo");
        let dir = self.tmp.as_ref().expect("temporary directory").path();
        std::fs::create_dir(dir.join("workshops"))?;
        std::fs::write(
            dir.join("workshops/carico.toml"),
            workshop_toml(args.clients + 10, 4),
        )?;
        // The facilitator and its key (this also migrates the database).
        let create = [
            "admin",
            "create",
            "--email",
            FACILITATOR_EMAIL,
            "--name",
            "Facilitatore",
        ];
        let organiser = ["--role", "organiser", "--password-stdin"];
        self.cli(
            args,
            &bin,
            &[&create[..], &organiser].concat(),
            FACILITATOR_PASSWORD,
        )?;
        let out = self.cli(
            args,
            &bin,
            &["admin", "api-key", "--email", FACILITATOR_EMAIL],
            "",
        )?;
        match out.lines().map(str::trim).rfind(|l| !l.is_empty()) {
            Some(k) if !k.contains(' ') => self.facilitator_key = k.to_string(),
            _ => return fail(format!("tavolo admin api-key printed no key: {out}")),
        }
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(60))
            .build()?;
        // One after the other: the second starts on a database the first has migrated.
        for name in ["a", "b"].into_iter().take(count) {
            let port = StdListener::bind("127.0.0.1:0")?.local_addr()?.port();
            let addr: SocketAddr = format!("127.0.0.1:{port}").parse()?;
            let log = dir.join(format!("{name}.log"));
            let out = std::fs::File::create(&log)?;
            let child = self
                .command(args, &bin)
                .arg("serve")
                .env("TAVOLO_BIND", addr.to_string())
                .stdin(Stdio::null())
                .stdout(out.try_clone()?)
                .stderr(out)
                .spawn()?;
            let pid = child.id();
            self.instances.push(Instance {
                child,
                pid,
                addr,
                log,
            });
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                let inst = self.instances.last_mut().expect("just pushed");
                if let Some(status) = inst.child.try_wait()? {
                    return fail(format!(
                        "instance {name} exited ({status}) before it was ready"
                    ));
                }
                let ready = http.get(format!("http://{addr}/readyz")).send().await;
                if ready.is_ok_and(|r| r.status().is_success()) {
                    break;
                }
                if Instant::now() > deadline {
                    return fail(format!("instance {name} not ready within 60 s"));
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        let base = format!("http://{}", self.instances[0].addr);
        let w: Value = http
            .get(format!("{base}/api/v1/workshops/{SLUG}"))
            .send()
            .await?
            .json()
            .await?;
        self.meeting = w["modules"][0]["meetings"][0]["id"]
            .as_i64()
            .ok_or_else(|| format!("no meeting in GET /api/v1/workshops/{SLUG}: {w}"))?;
        self.tokens = enroll(&http, &base, args.clients).await?;
        let pids: Vec<String> = self
            .instances
            .iter()
            .map(|i| format!("pid {} on {}", i.pid, i.addr))
            .collect();
        println!(
            "database {}; instances: {}; {} people enrolled; setup {:.1} s",
            self.db,
            pids.join(", "),
            self.tokens.len(),
            setup.elapsed().as_secs_f64()
        );
        Ok(())
    }

    /// Stops the instances (SIGTERM), drops the database; returns the log counts: warnings and
    /// errors before the stop, lines about unavailable storage, warnings and errors at the stop.
    async fn stop(mut self, args: &Args) -> (usize, usize, usize) {
        let mut counts = (0, 0, 0);
        let logs_before: Vec<usize> = self
            .instances
            .iter()
            .map(|i| std::fs::metadata(&i.log).map_or(0, |m| m.len() as usize))
            .collect();
        for inst in &mut self.instances {
            let _ = Command::new("kill")
                .args(["-TERM", &inst.pid.to_string()])
                .status();
        }
        for (inst, before) in self.instances.iter_mut().zip(logs_before) {
            let deadline = Instant::now() + Duration::from_secs(15);
            while !matches!(inst.child.try_wait(), Ok(Some(_))) {
                if Instant::now() > deadline {
                    eprintln!(
                        "board_pair: pid {} ignored SIGTERM for 15 s: killed",
                        inst.pid
                    );
                    let _ = inst.child.kill();
                    let _ = inst.child.wait();
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let log = std::fs::read_to_string(&inst.log).unwrap_or_default();
            let warns = |text: &str| -> Vec<String> {
                let warn = text
                    .lines()
                    .filter(|l| l.contains("WARN") || l.contains("ERROR"));
                warn.map(str::to_string).collect()
            };
            let (running, stopping) = log.split_at(before.min(log.len()));
            let warn = warns(running);
            let storage = log
                .lines()
                .filter(|l| l.contains("unavailable") || l.contains("cannot store board events"))
                .count();
            let at_stop = warns(stopping);
            counts = (
                counts.0 + warn.len(),
                counts.1 + storage,
                counts.2 + at_stop.len(),
            );
            for l in warn.iter().chain(&at_stop).take(4) {
                println!(
                    "    log {}: {}",
                    inst.log.display(),
                    l.chars().take(240).collect::<String>()
                );
            }
        }
        if let Some(tmp) = self.tmp.take() {
            if args.keep {
                println!("    kept {} and database {}", tmp.keep().display(), self.db);
                return counts;
            }
        }
        let dropped = match admin_connection(args).await {
            Ok(mut admin) => {
                let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.db);
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .execute(&mut admin)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = dropped {
            eprintln!("board_pair: database {} not dropped: {e}", self.db);
        }
        counts
    }
}

/// N enrollments through the public API, 8 at a time; the personal tokens in order.
async fn enroll(http: &reqwest::Client, base: &str, n: usize) -> Result<Vec<String>, Failure> {
    let url = format!("{base}/api/v1/workshops/{SLUG}/enrollments");
    let tokens: Rc<RefCell<Vec<String>>> = Rc::new(RefCell::new(vec![String::new(); n]));
    let next = Rc::new(Cell::new(0usize));
    let mut workers = Vec::new();
    for _ in 0..8 {
        let (tokens, next, url, http) = (tokens.clone(), next.clone(), url.clone(), http.clone());
        workers.push(tokio::task::spawn_local(async move {
            loop {
                let i = next.get();
                if i >= n {
                    return Ok::<_, String>(());
                }
                next.set(i + 1);
                let body = json!({
                    "name": format!("Persona di carico {i}"),
                    "email": format!("carico{i:05}@example.it"),
                    "role": ROLE,
                    "ente": "Comune di Bergamo",
                    "privacy_ack": true,
                });
                let r = http.post(&url).json(&body).send().await;
                let r = r.map_err(|e| format!("enrollment {i}: {e}"))?;
                let status = r.status();
                let v: Value = r.json().await.map_err(|e| format!("enrollment {i}: {e}"))?;
                let token = v["manage_url"]
                    .as_str()
                    .and_then(|u| u.trim_end_matches('/').rsplit('/').next())
                    .unwrap_or_default();
                if status.as_u16() != 201 || v["status"] != "confirmed" || token.is_empty() {
                    return Err(format!("enrollment {i}: HTTP {status}: {v}"));
                }
                tokens.borrow_mut()[i] = token.to_string();
            }
        }));
    }
    for w in workers {
        w.await??;
    }
    Ok(tokens.take())
}

// --- clients ---------------------------------------------------------------------------------------

#[derive(Default)]
struct Slot {
    /// ns since `Run::base` when the writer handed it to its socket; 0 = not sent.
    sent_ns: Cell<u64>,
    acked: Cell<bool>,
    refused: Cell<bool>,
    deliveries: Cell<u32>,
}

/// The `seq`s one client has seen: the highest, and those skipped so far.
#[derive(Default)]
struct SeqTrack {
    last: i64,
    missing: BTreeSet<i64>,
}

/// Shared by the client tasks of one measurement (one thread).
struct Run {
    base: Instant,
    op_base: u64,
    slots: Vec<Slot>,
    /// Ops before this index are the warm-up: sent, not measured.
    warm_ops: usize,
    writers: usize,
    instances: usize,
    counting: Cell<bool>,
    stopping: Cell<bool>,
    /// Latencies in µs: all, same instance, cross instance.
    latency: [RefCell<Vec<u32>>; 3],
    /// Deliveries of measured ops received through each instance.
    frames: Vec<Cell<u64>>,
    tracks: Vec<RefCell<SeqTrack>>,
    presence: Vec<Cell<i64>>,
    duplicates: Cell<u64>,
    late: Cell<u64>,
    welcomed: Cell<usize>,
    failed: Cell<usize>,
    dropped: Cell<usize>,
    resyncs: Cell<usize>,
    refusals: RefCell<BTreeMap<String, u64>>,
    first_error: RefCell<Option<String>>,
}

static NEXT_OP: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl Run {
    fn now_ns(&self) -> u64 {
        (self.base.elapsed().as_nanos() as u64).max(1)
    }

    fn note_error(&self, e: String) {
        self.first_error.borrow_mut().get_or_insert(e);
    }

    /// The index of the op whose id ends the frame (`…"op_id":"L123",…`), if it is ours.
    fn op_of(&self, s: &str) -> Option<usize> {
        let at = s.rfind("\"op_id\":\"L")? + "\"op_id\":\"L".len();
        let digits: &str = &s[at..at + s[at..].find('"')?];
        let k = digits.parse::<u64>().ok()?.checked_sub(self.op_base)? as usize;
        (k < self.slots.len()).then_some(k)
    }

    /// A frame received by client `c`, connected to instance `inst`. Frames end with their
    /// `"type":"…"}` (keys in alphabetical order).
    fn on_text(&self, c: usize, inst: usize, s: &str) {
        if let Some(head) = s.strip_suffix(",\"type\":\"event\"}") {
            let seq = head
                .rfind("\"seq\":")
                .and_then(|i| head[i + 6..].parse::<i64>().ok());
            if let Some(seq) = seq {
                let mut t = self.tracks[c].borrow_mut();
                if seq > t.last {
                    let skipped = t.last + 1..seq;
                    t.missing.extend(skipped);
                    t.last = seq;
                } else if t.missing.remove(&seq) {
                    self.late.set(self.late.get() + 1);
                } else {
                    self.duplicates.set(self.duplicates.get() + 1);
                    return;
                }
            }
            if !self.counting.get() {
                return;
            }
            let Some(k) = self.op_of(s) else { return };
            let slot = &self.slots[k];
            slot.deliveries.set(slot.deliveries.get() + 1);
            if k >= self.warm_ops && slot.sent_ns.get() != 0 {
                let us = (self.now_ns().saturating_sub(slot.sent_ns.get()) / 1000) as u32;
                let same = (k % self.writers) % self.instances == inst;
                self.latency[0].borrow_mut().push(us);
                self.latency[if same { 1 } else { 2 }].borrow_mut().push(us);
                self.frames[inst].set(self.frames[inst].get() + 1);
            }
        } else if s.ends_with("\"type\":\"ack\"}") {
            if let Some(k) = self.op_of(s) {
                self.slots[k].acked.set(true);
            }
        } else if s.ends_with("\"type\":\"error\"}") {
            if let Some(k) = self.op_of(s) {
                self.slots[k].refused.set(true);
            }
            let code = s
                .split_once("\"code\":\"")
                .and_then(|(_, r)| r.split('"').next())
                .unwrap_or("?");
            *self.refusals.borrow_mut().entry(code.into()).or_default() += 1;
            self.note_error(format!("refused: {s}"));
        } else if s.ends_with("\"type\":\"presence\"}") {
            let count = s
                .split_once("\"count\":")
                .and_then(|(_, r)| r.split([',', '}']).next())
                .and_then(|v| v.parse().ok());
            self.presence[c].set(count.unwrap_or(-1));
        } else if s.contains("\"type\":\"resync\"") {
            self.resyncs.set(self.resyncs.get() + 1);
        }
    }
}

type Ws = tokio_tungstenite::WebSocketStream<TcpStream>;

/// Connects, says hello and waits for the welcome; returns the welcome's `seq`.
async fn connect(addr: SocketAddr, meeting: i64, bearer: &str) -> Result<(Ws, i64), Failure> {
    let mut req = format!("ws://{addr}/ws/meetings/{meeting}").into_client_request()?;
    req.headers_mut().insert(
        "Authorization",
        HeaderValue::from_str(&format!("Bearer {bearer}"))?,
    );
    let tcp = TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    // A small read buffer: tungstenite zero-fills its free part before every read.
    let config = WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0);
    let (mut ws, _) = tokio_tungstenite::client_async_with_config(req, tcp, Some(config)).await?;
    ws.send(Message::text(r#"{"type":"hello","last_seq":0}"#))
        .await?;
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) if t.contains("\"type\":\"welcome\"") => {
                // Read as JSON: the keys come in alphabetical order, and a key added before
                // `seq` (`load`) once made this wait forever.
                let welcome: Value = serde_json::from_str(&t)?;
                if welcome["load"] == Value::Bool(true) {
                    // Every measurement starts on a fresh database, so the board is small
                    // when the clients connect; a run that meets a large one must say so.
                    return fail("welcome says `load`: board_pair does not load boards over HTTP");
                }
                let seq = welcome["seq"].as_i64();
                return match seq {
                    Some(seq) => Ok((ws, seq)),
                    None => fail(format!("welcome without seq: {t}")),
                };
            }
            Some(Ok(Message::Close(c))) => return fail(format!("closed before welcome: {c:?}")),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(e.into()),
            None => return fail("connection ended before welcome"),
        }
    }
}

/// Where a client connects: its index, its instance (index and address), the meeting.
struct Place {
    c: usize,
    inst: usize,
    addr: SocketAddr,
    meeting: i64,
}

/// One client: connect, then read everything (a writer also sends the ops it is given).
async fn client(
    run: Rc<Run>,
    place: Place,
    bearer: String,
    mut ops: Option<mpsc::UnboundedReceiver<usize>>,
    stop: CancellationToken,
) {
    let Place {
        c,
        inst,
        addr,
        meeting,
    } = place;
    let mut ws = match connect(addr, meeting, &bearer).await {
        Ok((ws, seq)) => {
            run.tracks[c].borrow_mut().last = seq;
            run.welcomed.set(run.welcomed.get() + 1);
            ws
        }
        Err(e) => {
            run.failed.set(run.failed.get() + 1);
            run.note_error(format!("connect: {e}"));
            return;
        }
    };
    let cancelled = stop.cancelled();
    tokio::pin!(cancelled);
    let ended = |why: String| {
        if !run.stopping.get() {
            run.dropped.set(run.dropped.get() + 1);
            run.note_error(why);
        }
    };
    loop {
        let next_op = async {
            match ops.as_mut() {
                Some(rx) => rx.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            _ = &mut cancelled => return,
            Some(k) = next_op => {
                let g = run.op_base + k as u64;
                let frame = board_workshop::add_card_op(g);
                run.slots[k].sent_ns.set(run.now_ns());
                if let Err(e) = ws.send(Message::text(frame)).await {
                    return ended(format!("send: {e}"));
                }
            }
            m = ws.next() => match m {
                Some(Ok(Message::Text(t))) => run.on_text(c, inst, &t),
                Some(Ok(Message::Close(f))) => return ended(format!("closed by the server: {f:?}")),
                Some(Ok(_)) => {}
                Some(Err(e)) => return ended(format!("read: {e}")),
                None => return ended("connection ended".into()),
            }
        }
    }
}

/// The facilitator opens the phase `raccolta` and leaves.
async fn open_phase(session: &Session) -> Result<(), Failure> {
    let addr = session.instances[0].addr;
    let (mut ws, _) = tokio::time::timeout(
        Duration::from_secs(10),
        connect(addr, session.meeting, &session.facilitator_key),
    )
    .await
    .map_err(|_| Failure::from("facilitator not welcomed within 10 s"))??;
    ws.send(Message::text(
        r#"{"type":"op","op_id":"fase-raccolta","op":{"kind":"set_phase","phase":"raccolta"}}"#,
    ))
    .await?;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match tokio::time::timeout_at(deadline.into(), ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) if t.ends_with("\"type\":\"ack\"}") => break,
            Ok(Some(Ok(Message::Text(t)))) if t.ends_with("\"type\":\"error\"}") => {
                return fail(format!("set_phase refused: {t}"));
            }
            Ok(Some(Ok(_))) => {}
            Ok(other) => return fail(format!("set_phase: connection ended: {other:?}")),
            Err(_) => return fail("set_phase: no ack within 10 s"),
        }
    }
    let _ = ws.close(None).await;
    Ok(())
}

// --- one measurement -----------------------------------------------------------------------------

/// One measurement: named figures (medians are taken figure by figure).
#[derive(Clone, Default)]
struct Outcome {
    name: String,
    v: BTreeMap<&'static str, f64>,
}

/// `pg_stat_database` columns read, and the names of their net figures per event.
const PG_COLUMNS: &str =
    "xact_commit, xact_rollback, tup_inserted, tup_updated, tup_deleted, tup_fetched, tup_returned";
const PG_NET: [&str; 7] = [
    "net xact/ev",
    "net rollback/ev",
    "net ins/ev",
    "net upd/ev",
    "net del/ev",
    "net fetched/ev",
    "net returned/ev",
];

async fn pg_stats(args: &Args, db: &str) -> Result<[f64; 7], Failure> {
    let mut admin = admin_connection(args).await?;
    sqlx::query("SELECT pg_stat_clear_snapshot()")
        .execute(&mut admin)
        .await?;
    let sql = format!("SELECT {PG_COLUMNS} FROM pg_stat_database WHERE datname = $1");
    let r: (i64, i64, i64, i64, i64, i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(db)
        .fetch_one(&mut admin)
        .await?;
    let _ = admin.close().await;
    Ok([r.0, r.1, r.2, r.3, r.4, r.5, r.6].map(|x| x as f64))
}

fn minus(a: &[f64; 7], b: &[f64; 7]) -> [f64; 7] {
    std::array::from_fn(|i| a[i] - b[i])
}

async fn measure(args: &Args, session: &Session) -> Result<Outcome, Failure> {
    let n = args.clients;
    let instances = session.instances.len();
    let writers = writers_of(args);
    let pids: Vec<u32> = session.instances.iter().map(|i| i.pid).collect();
    let warm_ops = (args.warmup * args.rate).round() as usize;
    let total_ops = warm_ops + (args.duration * args.rate).round() as usize;
    let run = Rc::new(Run {
        base: Instant::now(),
        op_base: NEXT_OP.fetch_add(total_ops as u64 + 1, std::sync::atomic::Ordering::Relaxed),
        slots: (0..total_ops).map(|_| Slot::default()).collect(),
        warm_ops,
        writers,
        instances,
        counting: Cell::new(true),
        stopping: Cell::new(false),
        latency: Default::default(),
        frames: (0..instances).map(|_| Cell::new(0)).collect(),
        tracks: (0..n).map(|_| RefCell::default()).collect(),
        presence: (0..n).map(|_| Cell::new(-1)).collect(),
        duplicates: Cell::new(0),
        late: Cell::new(0),
        welcomed: Cell::new(0),
        failed: Cell::new(0),
        dropped: Cell::new(0),
        resyncs: Cell::new(0),
        refusals: RefCell::new(BTreeMap::new()),
        first_error: RefCell::new(None),
    });
    open_phase(session).await?;
    wait_quiet(args, &pids).await;
    let rss_before: Vec<f64> = pids.iter().map(|p| rss_mib(*p)).collect();
    let stop = CancellationToken::new();
    let mut senders = Vec::new();
    let mut handles = Vec::new();
    let t0 = Instant::now();
    for c in 0..n {
        let ops = (c < writers).then(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            senders.push(tx);
            rx
        });
        let inst = c % instances;
        let place = Place {
            c,
            inst,
            addr: session.instances[inst].addr,
            meeting: session.meeting,
        };
        let bearer = session.tokens[c].clone();
        handles.push(tokio::task::spawn_local(client(
            run.clone(),
            place,
            bearer,
            ops,
            stop.clone(),
        )));
    }
    let deadline = t0 + Duration::from_secs_f64(args.connect_timeout);
    while run.welcomed.get() + run.failed.get() < n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let connect_s = t0.elapsed().as_secs_f64();
    if run.welcomed.get() < n {
        stop.cancel();
        return fail(format!(
            "only {} of {n} clients welcomed within {} s; first error: {}",
            run.welcomed.get(),
            args.connect_timeout,
            run.first_error.borrow().clone().unwrap_or_default()
        ));
    }
    // Presence frames pass, the database's counters settle.
    tokio::time::sleep(Duration::from_secs_f64(args.pg_settle)).await;
    let rss_after: Vec<f64> = pids.iter().map(|p| rss_mib(*p)).collect();
    let pg_before = pg_stats(args, &session.db).await?;
    let pg_window = Instant::now();

    // The schedule: op k due at k/rate, to writer k mod W.
    let start = Instant::now();
    let mut begin = None;
    for k in 0..total_ops {
        tokio::time::sleep_until((start + Duration::from_secs_f64(k as f64 / args.rate)).into())
            .await;
        if k == warm_ops {
            begin = Some((Instant::now(), Ticks::read(&pids)));
        }
        let _ = senders[k % writers].send(k);
    }
    let end = start + Duration::from_secs_f64(total_ops as f64 / args.rate);
    tokio::time::sleep_until(end.into()).await;
    let ticks_end = Ticks::read(&pids);
    let (window_start, ticks_begin) = begin.expect("the measured window started");
    let window_s = window_start.elapsed().as_secs_f64();
    let drain_deadline = Instant::now() + Duration::from_secs_f64(args.drain);
    let done = |s: &Slot| s.refused.get() || (s.acked.get() && s.deliveries.get() as usize >= n);
    while Instant::now() < drain_deadline && !run.slots.iter().all(done) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    run.counting.set(false);
    tokio::time::sleep(Duration::from_secs_f64(args.pg_settle)).await;
    let pg_after = pg_stats(args, &session.db).await?;
    let pg_window_s = pg_window.elapsed().as_secs_f64();
    // As long again without ops: what the instances ask of PostgreSQL when idle.
    tokio::time::sleep(Duration::from_secs_f64(args.pg_settle)).await;
    let pg_idle = pg_stats(args, &session.db).await?;
    let idle_s = pg_window.elapsed().as_secs_f64() - pg_window_s;
    let presence: Vec<f64> = run.presence.iter().map(|p| p.get() as f64).collect();
    run.stopping.set(true);
    stop.cancel();
    for h in handles {
        let _ = h.await;
    }

    let mut o = Outcome::default();
    let mut put = |k: &'static str, x: f64| {
        o.v.insert(k, x);
    };
    let measured = &run.slots[warm_ops..];
    let acked = measured.iter().filter(|s| s.acked.get()).count() as f64;
    let delivered: f64 = measured
        .iter()
        .filter(|s| s.acked.get())
        .map(|s| s.deliveries.get().min(n as u32) as f64)
        .sum();
    let names = [
        ["p50", "p99", "max"],
        ["p50 same", "p99 same", "max same"],
        ["p50 cross", "p99 cross", "max cross"],
    ];
    for (i, [p50, p99, max]) in names.into_iter().enumerate() {
        let mut ms: Vec<f64> = run.latency[i]
            .borrow()
            .iter()
            .map(|us| f64::from(*us) / 1000.0)
            .collect();
        ms.sort_by(f64::total_cmp);
        put(p50, percentile(&ms, 0.50));
        put(p99, percentile(&ms, 0.99));
        put(max, ms.last().copied().unwrap_or(f64::NAN));
    }
    put("deliv %", 100.0 * delivered / (acked.max(1.0) * n as f64));
    put("dup", run.duplicates.get() as f64);
    let gaps: usize = run.tracks.iter().map(|t| t.borrow().missing.len()).sum();
    put("gaps", gaps as f64);
    put("late", run.late.get() as f64);
    let refused = measured.iter().filter(|s| s.refused.get()).count();
    put("refused", refused as f64);
    put("resync", run.resyncs.get() as f64);
    put("closed", run.dropped.get() as f64);
    put("acked/s", acked / window_s);
    put("connect s", connect_s);
    // CPU over the measured window, % of one core.
    let pct = |ticks: u64| 100.0 * ticks as f64 / ticks_per_s() / window_s;
    let d = |a: u64, b: u64| a.saturating_sub(b);
    let mut known = d(ticks_end.pg, ticks_begin.pg) + d(ticks_end.generator, ticks_begin.generator);
    let mut cpu_s = 0.0;
    let mut frames = 0.0;
    let names = [
        ["CPU A %", "CPU s A", "frames A", "RSS A MiB", "KiB/conn A"],
        ["CPU B %", "CPU s B", "frames B", "RSS B MiB", "KiB/conn B"],
    ];
    for (i, [cpu, secs, frames_of, rss, kib]) in names.into_iter().take(instances).enumerate() {
        let t = d(ticks_end.instances[i], ticks_begin.instances[i]);
        known += t;
        let clients = (i..n).step_by(instances).count() as f64;
        put(cpu, pct(t));
        put(secs, t as f64 / ticks_per_s());
        put(frames_of, run.frames[i].get() as f64);
        put(rss, rss_after[i]);
        put(kib, (rss_after[i] - rss_before[i]) * 1024.0 / clients);
        cpu_s += t as f64 / ticks_per_s();
        frames += run.frames[i].get() as f64;
    }
    put("µs/frame", 1e6 * cpu_s / frames.max(1.0));
    put("CPU PG %", pct(d(ticks_end.pg, ticks_begin.pg)));
    put(
        "CPU gen %",
        pct(d(ticks_end.generator, ticks_begin.generator)),
    );
    put(
        "other %",
        pct(d(ticks_end.busy, ticks_begin.busy).saturating_sub(known)),
    );
    // PostgreSQL: the window's work, and that work minus what idle costs over as long.
    let events = run.slots.iter().filter(|s| s.acked.get()).count().max(1) as f64;
    let window = minus(&pg_after, &pg_before);
    let idle = minus(&pg_idle, &pg_after).map(|x| x / idle_s);
    put("xact/ev", window[0] / events);
    put("idle xact/s", idle[0]);
    put("idle fetched/s", idle[5]);
    for (i, key) in PG_NET.iter().enumerate() {
        put(key, (window[i] - idle[i] * pg_window_s) / events);
    }
    put(
        "presence min",
        presence.iter().copied().fold(f64::INFINITY, f64::min),
    );
    put(
        "presence max",
        presence.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    );
    let rss: Vec<String> = rss_before
        .iter()
        .zip(&rss_after)
        .map(|(b, a)| format!("{b:.1} → {a:.1}"))
        .collect();
    println!(
        "    connected in {connect_s:.2} s; RSS {} MiB; refusals [{}]; PostgreSQL over {events:.0} events in {pg_window_s:.0} s (commits, rollbacks, rows inserted, updated, deleted, fetched, returned): {window:?}; idle per s: {idle:.1?}",
        rss.join(", "),
        run.refusals
            .borrow()
            .iter()
            .map(|(k, v)| format!("{k}×{v}"))
            .collect::<Vec<_>>()
            .join(" "),
    );
    if let Some(e) = run.first_error.borrow().as_ref() {
        println!(
            "    first error: {}",
            e.chars().take(300).collect::<String>()
        );
    }
    Ok(o)
}

// --- reports -------------------------------------------------------------------------------------

/// The columns of the two tables: figure:decimals.
const LATENCY: &str = "p50:2,p99:2,p99 same:2,p99 cross:2,p50 cross:2,max:1,deliv %:3,dup:0,\
gaps:0,refused:0,closed:0,acked/s:1,CPU A %:0,CPU B %:0,CPU PG %:0,CPU gen %:0,other %:0,xact/ev:2";
const CAPACITY: &str = "CPU s A:2,CPU s B:2,frames A:0,frames B:0,µs/frame:1,RSS A MiB:1,\
KiB/conn A:1,KiB/conn B:1,idle xact/s:1,net xact/ev:2,net rollback/ev:3,net ins/ev:2,net upd/ev:2,\
net del/ev:2,net fetched/ev:1,log warn:0,log storage:0,log warn at stop:0,presence min:0,\
presence max:0";

fn print_table(columns: &str, rows: &[Outcome]) {
    let columns: Vec<(&str, usize)> = columns
        .split(',')
        .filter_map(|c| c.rsplit_once(':'))
        .map(|(k, d)| (k, d.parse().unwrap_or(2)))
        .collect();
    let names: Vec<&str> = columns.iter().map(|(k, _)| *k).collect();
    println!("| run | {} |", names.join(" | "));
    println!("|{}", " --- |".repeat(columns.len() + 1));
    for o in rows {
        let cells: Vec<String> = columns
            .iter()
            .map(|&(k, d)| match o.v.get(k) {
                Some(x) if x.is_finite() => {
                    // Rounded first, so that a small negative net figure prints as 0.
                    let m = 10f64.powi(d as i32);
                    format!("{:.d$}", (x * m).round() / m + 0.0)
                }
                _ => "-".into(),
            })
            .collect();
        println!("| {} | {} |", o.name, cells.join(" | "));
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.retain(|x| !x.is_nan());
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        l if l % 2 == 1 => v[l / 2],
        l => (v[l / 2 - 1] + v[l / 2]) / 2.0,
    }
}

/// Figure by figure, the medians of the repetitions of each run name, in order of appearance.
fn medians(all: &[Outcome]) -> Vec<Outcome> {
    let mut out: Vec<Outcome> = Vec::new();
    for o in all {
        if out.iter().any(|m| m.name == o.name) {
            continue;
        }
        let reps: Vec<&Outcome> = all.iter().filter(|r| r.name == o.name).collect();
        let v =
            o.v.keys()
                .map(|k| {
                    (
                        *k,
                        median(reps.iter().filter_map(|r| r.v.get(k).copied()).collect()),
                    )
                })
                .collect();
        out.push(Outcome {
            name: o.name.clone(),
            v,
        });
    }
    out
}

// --- the machine -----------------------------------------------------------------------------------

/// CPU ticks: the machine's busy time (all cores), each instance, PostgreSQL, this process.
struct Ticks {
    busy: u64,
    instances: Vec<u64>,
    pg: u64,
    generator: u64,
}

impl Ticks {
    fn read(pids: &[u32]) -> Ticks {
        let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        let busy = stat
            .lines()
            .find(|l| l.starts_with("cpu "))
            .map(|l| {
                let v: Vec<u64> = l
                    .split_whitespace()
                    .skip(1)
                    .map(|x| x.parse().unwrap_or(0))
                    .collect();
                // user nice system (idle iowait) irq softirq steal
                [0, 1, 2, 5, 6, 7].iter().filter_map(|i| v.get(*i)).sum()
            })
            .unwrap_or(0);
        let pg = std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .bytes()
                    .all(|b| b.is_ascii_digit())
            })
            .filter_map(|e| {
                let s = std::fs::read_to_string(e.path().join("stat")).ok()?;
                let comm = &s[s.find('(')? + 1..s.rfind(')')?];
                (comm == "postgres").then(|| ticks_in(&s)).flatten()
            })
            .sum();
        let of = |path: String| {
            std::fs::read_to_string(path)
                .ok()
                .and_then(|s| ticks_in(&s))
                .unwrap_or(0)
        };
        Ticks {
            busy,
            instances: pids.iter().map(|p| of(format!("/proc/{p}/stat"))).collect(),
            pg,
            generator: of("/proc/self/stat".into()),
        }
    }
}

/// utime + stime of a `/proc/<pid>/stat` line.
fn ticks_in(stat: &str) -> Option<u64> {
    let f: Vec<&str> = stat[stat.rfind(')')? + 2..].split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

fn ticks_per_s() -> f64 {
    100.0 // USER_HZ on Linux
}

/// Waits (up to `--quiet-timeout` s) until everything but the instances, PostgreSQL and this
/// process uses less than `--quiet-max` % of one core over a second.
async fn wait_quiet(args: &Args, pids: &[u32]) {
    let started = Instant::now();
    loop {
        let a = Ticks::read(pids);
        tokio::time::sleep(Duration::from_secs(1)).await;
        let b = Ticks::read(pids);
        // Saturating: the ticks of a PostgreSQL backend that exits leave the sum.
        let known: u64 = (b.instances.iter().sum::<u64>())
            .saturating_sub(a.instances.iter().sum::<u64>())
            + b.pg.saturating_sub(a.pg)
            + b.generator.saturating_sub(a.generator);
        let other = (b.busy - a.busy).saturating_sub(known) as f64;
        if other < args.quiet_max || started.elapsed().as_secs_f64() > args.quiet_timeout {
            if started.elapsed().as_secs_f64() > 2.0 {
                println!(
                    "    waited {:.0} s for the machine to be quiet (others {other:.0}% of a core)",
                    started.elapsed().as_secs_f64()
                );
            }
            return;
        }
    }
}

fn default_bin_dir() -> PathBuf {
    // target/release/examples/board_pair → target/release
    std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().and_then(Path::parent).map(Path::to_path_buf))
        .filter(|d| d.join("tavolo").is_file())
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release"))
}

fn cpu_count() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// VmRSS of a process, MiB.
fn rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}
