//! Enrollment benchmark: a burst of applications over real HTTP against a real `tavolo` server.
//!
//! ```text
//! cargo build --release --bin tavolo --example bench_enroll
//! cargo run --release --example bench_enroll -- --applications 2000 --seats 100 --runs 3
//! cargo run --release --example bench_enroll -- --applications 10000 --seats 1 --runs 3
//! cargo run --release --example bench_enroll -- --database postgres://postgres@127.0.0.1:5432/test --runs 3
//! ```
//!
//! It builds nothing: it starts the already built server binary (`target/release/tavolo`, or
//! `--bin`). Each run gets a fresh temporary directory holding one workshop file (slug `bench`,
//! `--seats` seats, window open until 2099), a fresh database (a SQLite file in that directory,
//! or with `--database postgres://…/db` a dedicated database `bench_<pid>` created and dropped
//! with `psql` through that URL), an organiser account with an API key (made with
//! `tavolo admin create` / `tavolo admin api-key`), and a fresh server on a free port.
//!
//! Then `--applications` tasks, one per applicant with distinct e-mails, wait on a barrier and all
//! POST `/api/v1/workshops/bench/enrollments` at once, each on its own connection. Latency is
//! measured per request, from the moment its task runs after the barrier (connect included) to
//! the whole answer read; the client opens the connections one after the other, so the starts
//! spread over some milliseconds (printed). Afterwards the organiser list
//! (`GET /api/v1/workshops/bench/enrollments`) is checked against the seats and against every
//! answer the applicants received.
//!
//! Pinning (default; `--no-pin` to disable): the server runs under `taskset -c 0` and this
//! program pins itself to CPU 1 and drives the burst from a tokio runtime with one worker thread,
//! so client and server do not fight for the same core. A PostgreSQL server is not pinned.
//!
//! Figures printed per run: HTTP statuses, confirmed, waitlisted, overbooked
//! (`max(0, confirmed - seats)`), order violations, answer/list mismatches, enrollments/s
//! (applications / wall time of the burst), latency p50/p99/max. Exit status 1 when an
//! invariant was broken (overbooking, order violation, mismatch, an application not answered
//! 201), 2 when the harness itself failed.

#[path = "common/machine.rs"]
mod machine;

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::{Value, json};
use tokio::sync::Barrier;

use machine::{cpu_model, percentile, pin_self_to_cpu1, raise_nofile};

const SLUG: &str = "bench";
const ROLE: &str = "responsabile-ufficio-di-piano";
const ORGANISER_EMAIL: &str = "bench@example.it";
const ORGANISER_PASSWORD: &str = "banco-di-prova-tavolo-2027";

#[derive(Parser, Debug)]
#[command(
    name = "bench_enroll",
    about = "Enrollment burst benchmark over real HTTP against a freshly started tavolo server"
)]
struct Args {
    /// Applications fired at once (one task and one connection each).
    #[arg(long, default_value_t = 2000)]
    applications: usize,
    /// Seats of the benchmark workshop.
    #[arg(long, default_value_t = 100)]
    seats: u32,
    /// Runs, each with a fresh database and a fresh server.
    #[arg(long, default_value_t = 1)]
    runs: usize,
    /// `sqlite` (a file in the run's temporary directory) or a PostgreSQL URL such as
    /// `postgres://postgres@127.0.0.1:5432/test`: a database `bench_<pid>` is created through it
    /// with psql for every run and dropped afterwards.
    #[arg(long, default_value = "sqlite")]
    database: String,
    /// The server binary (default: `tavolo` next to this program's directory, i.e.
    /// `target/release/tavolo`).
    #[arg(long)]
    bin: Option<PathBuf>,
    /// Do not pin: by default the server runs on CPU 0 and this client on CPU 1.
    #[arg(long)]
    no_pin: bool,
    /// Per-request timeout, in seconds.
    #[arg(long, default_value_t = 120)]
    timeout: u64,
    /// Keep each run's temporary directory (workshop file, SQLite file, server.log).
    #[arg(long)]
    keep: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Db {
    Sqlite,
    Postgres,
}

/// The figures of one run.
#[derive(Debug, Default)]
struct RunResult {
    created: usize,
    statuses: BTreeMap<String, usize>,
    transport_errors: usize,
    first_error: Option<String>,
    listed: usize,
    confirmed: usize,
    waitlisted: usize,
    other_status: usize,
    overbooked: usize,
    violations: usize,
    mismatches: usize,
    duplicate_arrivals: usize,
    wall: f64,
    /// Seconds between the first and the last request to start (one client thread opens the
    /// connections one after the other).
    start_spread: f64,
    /// CPU use during the burst, in % of one core (approximate: clock ticks).
    cpu: Option<CpuUse>,
    rate: f64,
    p50: f64,
    p99: f64,
    max: f64,
}

impl RunResult {
    fn invariants_hold(&self, n: usize) -> bool {
        self.created == n
            && self.overbooked == 0
            && self.violations == 0
            && self.mismatches == 0
            && self.other_status == 0
    }
}

type Failure = Box<dyn std::error::Error + Send + Sync>;

fn fail<T>(msg: impl Into<String>) -> Result<T, Failure> {
    Err(msg.into().into())
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.applications == 0 || args.runs == 0 {
        eprintln!("bench_enroll: --applications and --runs must be at least 1");
        return ExitCode::from(2);
    }
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let pin = !args.no_pin && cpus >= 2;
    if !args.no_pin && !pin {
        eprintln!("bench_enroll: only {cpus} CPU available: not pinning");
    }
    // Before any other thread exists, so that every thread of this process inherits it.
    if pin && !pin_self_to_cpu1() {
        eprintln!("bench_enroll: `taskset -p -c 1` failed: the client is not pinned");
    }
    let nofile = raise_nofile(args.applications + 512, 65536, "bench_enroll");
    let db = if args.database == "sqlite" || args.database.starts_with("sqlite:") {
        Db::Sqlite
    } else if args.database.starts_with("postgres://") || args.database.starts_with("postgresql://")
    {
        Db::Postgres
    } else {
        eprintln!("bench_enroll: --database must be `sqlite` or a postgres:// URL");
        return ExitCode::from(2);
    };
    let bin = match args.bin.clone().map_or_else(default_bin, Ok) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("bench_enroll: {e}");
            return ExitCode::from(2);
        }
    };
    if !bin.is_file() {
        eprintln!(
            "bench_enroll: server binary {} not found: build it first with \
             `cargo build --release --bin tavolo` (or pass --bin)",
            bin.display()
        );
        return ExitCode::from(2);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(if pin { 1 } else { cpus })
        .enable_all()
        .build()
        .expect("tokio runtime");

    println!(
        "bench_enroll: {} applications, {} seats, {} run(s), database {}, server {}",
        args.applications,
        args.seats,
        args.runs,
        match db {
            Db::Sqlite => "SQLite (file, WAL)".to_string(),
            Db::Postgres => format!("PostgreSQL via {}", args.database),
        },
        bin.display()
    );
    println!(
        "machine: {cpus} CPU ({}); pinning: {}; open files limit: {}",
        cpu_model(),
        if pin {
            "server on CPU 0 (taskset -c 0), client on CPU 1 with 1 tokio worker"
        } else {
            "none"
        },
        nofile.map_or("unknown".to_string(), |n| n.to_string())
    );

    let mut results = Vec::new();
    for run in 1..=args.runs {
        match run_once(&args, db, &bin, pin, &runtime) {
            Ok(r) => {
                print_run(run, args.runs, &args, &r);
                results.push(r);
            }
            Err(e) => {
                eprintln!("bench_enroll: run {run} failed: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let ok = summarise(&args, db, &results);
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// `tavolo` next to this example's directory (`target/release/examples/..` → `target/release`),
/// which follows CARGO_TARGET_DIR; else `<manifest>/target/release/tavolo`.
fn default_bin() -> Result<PathBuf, Failure> {
    if let Ok(exe) = std::env::current_exe() {
        if let Some(profile_dir) = exe.parent().and_then(Path::parent) {
            let candidate = profile_dir.join("tavolo");
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    Ok(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/tavolo"))
}

/// One run: fresh directory, database, account, server; the burst; the checks.
fn run_once(
    args: &Args,
    db: Db,
    bin: &Path,
    pin: bool,
    runtime: &tokio::runtime::Runtime,
) -> Result<RunResult, Failure> {
    let tmp = tempfile::Builder::new().prefix("tavolo-bench-").tempdir()?;
    let dir = tmp.path().to_path_buf();
    let workshops = dir.join("workshops");
    std::fs::create_dir(&workshops)?;
    std::fs::write(workshops.join("bench.toml"), workshop_toml(args.seats))?;

    let pg_db = format!("bench_{}", std::process::id());
    let database_url = match db {
        Db::Sqlite => format!("sqlite://{}/bench.db", dir.display()),
        Db::Postgres => {
            psql(
                &args.database,
                &format!("DROP DATABASE IF EXISTS {pg_db} WITH (FORCE)"),
            )?;
            psql(&args.database, &format!("CREATE DATABASE {pg_db}"))?;
            with_database(&args.database, &pg_db)
        }
    };

    let result = (|| {
        let env = Env {
            database_url: &database_url,
            workshops: &workshops,
            dir: &dir,
        };
        let key = organiser_key(bin, &env)?;
        let port = free_port()?;
        let base = format!("http://127.0.0.1:{port}");
        let log = dir.join("server.log");
        let mut server = start_server(bin, &env, port, pin, &log)?;
        let server_pid = server.id();
        let outcome = runtime.block_on(async {
            wait_ready(&base, &mut server, &log).await?;
            let timeout = Duration::from_secs(args.timeout);
            let burst = burst(&base, args.applications, timeout, server_pid).await?;
            let list = fetch_list(&base, &key).await?;
            Ok::<_, Failure>(analyse(args.seats as usize, burst, list))
        });
        stop_server(&mut server);
        if outcome.is_err() {
            eprintln!("--- server.log (tail) ---\n{}", tail(&log, 40));
        }
        outcome
    })();

    if db == Db::Postgres {
        if let Err(e) = psql(
            &args.database,
            &format!("DROP DATABASE IF EXISTS {pg_db} WITH (FORCE)"),
        ) {
            eprintln!("bench_enroll: could not drop database {pg_db}: {e}");
        }
    }
    if args.keep {
        let kept = tmp.keep();
        eprintln!("bench_enroll: kept {}", kept.display());
    }
    result
}

struct Env<'a> {
    database_url: &'a str,
    workshops: &'a Path,
    dir: &'a Path,
}

impl Env<'_> {
    /// A `tavolo` command with exactly this run's configuration.
    fn command(&self, program: &Path) -> Command {
        let mut c = Command::new(program);
        self.apply(&mut c);
        c
    }

    fn apply(&self, c: &mut Command) {
        c.current_dir(self.dir)
            .env("DATABASE_URL", self.database_url)
            .env("TAVOLO_WORKSHOPS", self.workshops)
            .env("RUST_LOG", "warn")
            .env_remove("TAVOLO_BASE_URL")
            .env_remove("TAVOLO_SMTP_URL")
            .env_remove("TAVOLO_TEMPLATES")
            .env_remove("TAVOLO_BIND");
    }
}

fn workshop_toml(seats: u32) -> String {
    format!(
        r#"# Workshop of the enrollment benchmark (examples/bench_enroll.rs).
slug = "{SLUG}"
title = "Laboratorio di prova del carico delle iscrizioni"
organiser = "ANCI Lombardia"
funding = "Nessun finanziamento: laboratorio di prova"
description = "Laboratorio creato dal benchmark delle iscrizioni."
timezone = "Europe/Rome"
capacity = {seats}
enrollment_opens = 2020-01-01T00:00:00+01:00
enrollment_closes = 2099-12-31T23:59:59+01:00
eligible_roles = ["{ROLE}"]
facilitators = ["Silvia De Aloe"]

[[modules]]
title = "Modulo unico"
topics = ["Prova di carico"]

  [[modules.meetings]]
  date = 2100-01-15
  start = 09:30:00
  end = 12:30:00
  place = "online"
"#
    )
}

fn psql(url: &str, sql: &str) -> Result<(), Failure> {
    let out = Command::new("psql")
        .arg(url)
        .args(["-v", "ON_ERROR_STOP=1", "-q", "-c", sql])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run psql: {e}"))?;
    if !out.status.success() {
        return fail(format!(
            "psql -c {sql:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(())
}

/// The same URL pointing at database `db` (keeps user, host, port and query parameters).
fn with_database(url: &str, db: &str) -> String {
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[scheme_end..];
    let (authority_path, query) = match rest.find('?') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let authority = authority_path.split('/').next().unwrap_or("");
    format!("{}{authority}/{db}{query}", &url[..scheme_end])
}

/// Creates the organiser account (which also migrates the database and syncs the workshop) and
/// returns a fresh API key for it.
fn organiser_key(bin: &Path, env: &Env) -> Result<String, Failure> {
    let mut create = env
        .command(bin)
        .args([
            "admin",
            "create",
            "--email",
            ORGANISER_EMAIL,
            "--name",
            "Bench",
        ])
        .args(["--role", "organiser", "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    create
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(format!("{ORGANISER_PASSWORD}\n").as_bytes())?;
    let out = create.wait_with_output()?;
    if !out.status.success() {
        return fail(format!(
            "tavolo admin create failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout).trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let out = env
        .command(bin)
        .args(["admin", "api-key", "--email", ORGANISER_EMAIL])
        .stdin(Stdio::null())
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let key = stdout
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .unwrap_or("")
        .to_string();
    if !out.status.success() || key.is_empty() || key.contains(' ') {
        return fail(format!(
            "tavolo admin api-key failed ({}): {}{}",
            out.status,
            stdout.trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(key)
}

fn free_port() -> Result<u16, Failure> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn start_server(bin: &Path, env: &Env, port: u16, pin: bool, log: &Path) -> Result<Child, Failure> {
    let mut c = if pin {
        let mut c = Command::new("taskset");
        c.args(["-c", "0"]).arg(bin);
        c
    } else {
        Command::new(bin)
    };
    env.apply(&mut c);
    let out = std::fs::File::create(log)?;
    let err = out.try_clone()?;
    Ok(c.arg("serve")
        .env("TAVOLO_BIND", format!("127.0.0.1:{port}"))
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?)
}

async fn wait_ready(base: &str, server: &mut Child, log: &Path) -> Result<(), Failure> {
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(2))
        .build()?;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = server.try_wait()? {
            return fail(format!(
                "the server exited ({status}) before it was ready:\n{}",
                tail(log, 40)
            ));
        }
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await {
            if r.status().as_u16() == 200 {
                return Ok(());
            }
        }
        if Instant::now() > deadline {
            return fail("the server was not ready (GET /readyz) within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// SIGTERM (graceful shutdown), then SIGKILL after 15 s.
fn stop_server(server: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = server.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    eprintln!("bench_enroll: the server did not stop on SIGTERM within 15 s: killing it");
    let _ = server.kill();
    let _ = server.wait();
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// What one applicant saw.
struct Sample {
    email: String,
    start: Instant,
    end: Instant,
    status: Option<u16>,
    body: Option<Value>,
    error: Option<String>,
}

struct Burst {
    samples: Vec<Sample>,
    cpu: Option<CpuUse>,
}

/// CPU used during the burst, in % of one core.
#[derive(Debug, Clone, Copy)]
struct CpuUse {
    server: f64,
    client: f64,
    /// Everything else on the machine (other processes, a PostgreSQL server, the kernel's
    /// work not charged to either process).
    others: f64,
}

/// Clock ticks: machine-wide busy and total (all CPUs), this process, the server process.
struct CpuSnapshot {
    busy: u64,
    total: u64,
    client: u64,
    server: u64,
}

fn cpu_snapshot(server_pid: u32) -> Option<CpuSnapshot> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let cpu: Vec<u64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(|v| v.parse().unwrap_or(0))
        .collect();
    let [user, nice, system, idle, iowait, irq, softirq, steal] = cpu[..] else {
        return None;
    };
    let busy = user + nice + system + irq + softirq + steal;
    // utime + stime of a process (fields 14 and 15 of /proc/<pid>/stat).
    let ticks = |path: &str| -> Option<u64> {
        let s = std::fs::read_to_string(path).ok()?;
        let after = &s[s.rfind(')')? + 2..];
        let f: Vec<&str> = after.split_whitespace().collect();
        Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
    };
    Some(CpuSnapshot {
        busy,
        total: busy + idle + iowait,
        client: ticks("/proc/self/stat")?,
        server: ticks(&format!("/proc/{server_pid}/stat"))?,
    })
}

fn cpu_use(before: &CpuSnapshot, after: &CpuSnapshot) -> Option<CpuUse> {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    // Affinity may hide CPUs from available_parallelism: count them in /proc/stat instead.
    let cpus = std::fs::read_to_string("/proc/stat")
        .map(|s| {
            s.lines()
                .filter(|l| l.starts_with("cpu") && !l.starts_with("cpu "))
                .count() as f64
        })
        .unwrap_or(cpus)
        .max(1.0);
    let per_core = (after.total - before.total) as f64 / cpus;
    if per_core <= 0.0 {
        return None;
    }
    let server = (after.server - before.server) as f64;
    let client = (after.client - before.client) as f64;
    let busy = (after.busy - before.busy) as f64;
    Some(CpuUse {
        server: 100.0 * server / per_core,
        client: 100.0 * client / per_core,
        others: 100.0 * (busy - server - client).max(0.0) / per_core,
    })
}

async fn burst(base: &str, n: usize, timeout: Duration, server_pid: u32) -> Result<Burst, Failure> {
    let client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(n)
        .tcp_nodelay(true)
        .timeout(timeout)
        .build()?;
    let url = format!("{base}/api/v1/workshops/{SLUG}/enrollments");
    let barrier = Arc::new(Barrier::new(n + 1));
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        let email = format!("bench{i:05}@example.it");
        // The request is built (and its JSON serialised) before the barrier.
        let request = client
            .post(&url)
            .json(&json!({
                "name": format!("Persona di prova {i}"),
                "email": email,
                "role": ROLE,
                "ente": "Comune di Bergamo",
                "privacy_ack": true,
            }))
            .build()?;
        let client = client.clone();
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let start = Instant::now();
            let (status, body, error) = match client.execute(request).await {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    match resp.bytes().await {
                        Ok(bytes) => (Some(status), serde_json::from_slice(&bytes).ok(), None),
                        Err(e) => (Some(status), None, Some(format!("reading the body: {e}"))),
                    }
                }
                Err(e) => (None, None, Some(error_chain(&e))),
            };
            Sample {
                email,
                start,
                end: Instant::now(),
                status,
                body,
                error,
            }
        }));
    }
    let before = cpu_snapshot(server_pid);
    barrier.wait().await;
    let mut samples = Vec::with_capacity(n);
    for t in tasks {
        samples.push(t.await?);
    }
    let after = cpu_snapshot(server_pid);
    drop(client);
    let cpu = match (before, after) {
        (Some(b), Some(a)) => cpu_use(&b, &a),
        _ => None,
    };
    Ok(Burst { samples, cpu })
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

/// One row of the organiser list.
struct Listed {
    id: i64,
    arrival: i64,
    email: String,
    status: String,
    position: Option<i64>,
}

async fn fetch_list(base: &str, key: &str) -> Result<Vec<Listed>, Failure> {
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(120))
        .build()?;
    let resp = client
        .get(format!("{base}/api/v1/workshops/{SLUG}/enrollments"))
        .header("Authorization", format!("Bearer {key}"))
        .send()
        .await?;
    let status = resp.status();
    let text = resp.text().await?;
    if !status.is_success() {
        return fail(format!("GET enrollments answered {status}: {text}"));
    }
    let v: Value = serde_json::from_str(&text)?;
    let Some(rows) = v["enrollments"].as_array() else {
        return fail("GET enrollments: no `enrollments` array");
    };
    rows.iter()
        .map(|r| {
            Ok(Listed {
                id: r["id"].as_i64().ok_or("enrollment without id")?,
                arrival: r["arrival"].as_i64().ok_or("enrollment without arrival")?,
                email: r["email"].as_str().unwrap_or_default().to_lowercase(),
                status: r["status"].as_str().unwrap_or_default().to_string(),
                position: r["position"].as_i64(),
            })
        })
        .collect()
}

fn analyse(seats: usize, burst: Burst, mut list: Vec<Listed>) -> RunResult {
    let mut r = RunResult::default();
    let n = burst.samples.len();

    // Throughput and latency.
    let first = burst.samples.iter().map(|s| s.start).min().expect("n >= 1");
    let last = burst.samples.iter().map(|s| s.end).max().expect("n >= 1");
    r.wall = (last - first).as_secs_f64();
    let last_start = burst.samples.iter().map(|s| s.start).max().expect("n >= 1");
    r.start_spread = (last_start - first).as_secs_f64();
    // Clock ticks are 10 ms: too coarse for a shorter burst.
    r.cpu = burst.cpu.filter(|_| r.wall >= 0.1);
    r.rate = n as f64 / r.wall;
    let mut lat: Vec<f64> = burst
        .samples
        .iter()
        .map(|s| (s.end - s.start).as_secs_f64() * 1000.0)
        .collect();
    lat.sort_by(f64::total_cmp);
    r.p50 = percentile(&lat, 0.50);
    r.p99 = percentile(&lat, 0.99);
    r.max = *lat.last().expect("n >= 1");

    // What the applicants were told.
    let mut answered: HashMap<String, &Sample> = HashMap::new();
    for s in &burst.samples {
        match s.status {
            Some(code) => *r.statuses.entry(code.to_string()).or_default() += 1,
            None => r.transport_errors += 1,
        }
        if r.first_error.is_none() {
            if let Some(e) = &s.error {
                r.first_error = Some(e.clone());
            } else if s.status != Some(201) {
                r.first_error = Some(format!(
                    "HTTP {}: {}",
                    s.status.unwrap_or(0),
                    s.body.as_ref().map_or(String::new(), Value::to_string)
                ));
            }
        }
        if s.status == Some(201) {
            r.created += 1;
            answered.insert(s.email.to_lowercase(), s);
        }
    }

    // The server's list, in arrival order.
    list.sort_by_key(|row| (row.arrival, row.id));
    r.listed = list.len();
    r.duplicate_arrivals = list
        .windows(2)
        .filter(|w| w[0].arrival == w[1].arrival)
        .count();
    let mut rank_in_waitlist = 0i64;
    for (i, row) in list.iter().enumerate() {
        let told = answered.get(&row.email);
        let told_status = told
            .and_then(|s| s.body.as_ref())
            .and_then(|b| b["status"].as_str());
        let told_position = told
            .and_then(|s| s.body.as_ref())
            .and_then(|b| b["position"].as_i64());
        let told_id = told
            .and_then(|s| s.body.as_ref())
            .and_then(|b| b["id"].as_i64());
        match row.status.as_str() {
            "confirmed" => {
                r.confirmed += 1;
                // A confirmed seat must be one of the first `seats` arrivals.
                if i >= seats {
                    r.violations += 1;
                }
            }
            "waitlisted" => {
                r.waitlisted += 1;
                rank_in_waitlist += 1;
                // Nobody waits while a seat among the first `seats` arrivals is theirs.
                if i < seats {
                    r.violations += 1;
                }
                // Waitlist positions are 1..n in arrival order, as told and as listed.
                let position = told_position.or(row.position);
                if position != Some(rank_in_waitlist) || row.position != Some(rank_in_waitlist) {
                    r.violations += 1;
                }
            }
            _ => r.other_status += 1,
        }
        // The answer each applicant got must agree with the list.
        let agrees = told.is_some()
            && told_status == Some(row.status.as_str())
            && told_id == Some(row.id)
            && (row.status != "waitlisted" || told_position == row.position);
        if !agrees {
            r.mismatches += 1;
        }
    }
    r.overbooked = r.confirmed.saturating_sub(seats);
    // Answered 201 but missing from the list (rows are matched by e-mail above).
    let listed: std::collections::HashSet<&str> = list.iter().map(|l| l.email.as_str()).collect();
    r.mismatches += answered
        .keys()
        .filter(|e| !listed.contains(e.as_str()))
        .count();
    r
}

fn print_run(run: usize, runs: usize, args: &Args, r: &RunResult) {
    let statuses: Vec<String> = r
        .statuses
        .iter()
        .map(|(k, v)| format!("{k}×{v}"))
        .chain((r.transport_errors > 0).then(|| format!("error×{}", r.transport_errors)))
        .collect();
    println!(
        "run {run}/{runs}: {} apps, {} seats | HTTP {} | listed {} confirmed {} waitlisted {} | \
         overbooked {} order-violations {} mismatches {} | {:.3} s, {:.0} enrollments/s | \
         latency p50 {:.1} ms p99 {:.1} ms max {:.1} ms (starts spread over {:.0} ms)",
        args.applications,
        args.seats,
        statuses.join(" "),
        r.listed,
        r.confirmed,
        r.waitlisted,
        r.overbooked,
        r.violations,
        r.mismatches,
        r.wall,
        r.rate,
        r.p50,
        r.p99,
        r.max,
        r.start_spread * 1000.0
    );
    if let Some(c) = r.cpu {
        println!(
            "  CPU during the burst (% of one core, approximate): server {:.0}, client {:.0}, \
             everything else {:.0}",
            c.server, c.client, c.others
        );
    }
    if r.other_status > 0 {
        println!(
            "  note: {} listed rows neither confirmed nor waitlisted",
            r.other_status
        );
    }
    if r.duplicate_arrivals > 0 {
        println!(
            "  note: {} pairs of rows share an arrival stamp",
            r.duplicate_arrivals
        );
    }
    if let Some(e) = &r.first_error {
        println!("  first failure: {e}");
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

/// Prints the summary and the targets; whether every invariant held.
fn summarise(args: &Args, db: Db, results: &[RunResult]) -> bool {
    let rate = median(results.iter().map(|r| r.rate).collect());
    let p99 = median(results.iter().map(|r| r.p99).collect());
    let p50 = median(results.iter().map(|r| r.p50).collect());
    let overbooked: usize = results.iter().map(|r| r.overbooked).sum();
    let violations: usize = results.iter().map(|r| r.violations).sum();
    let mismatches: usize = results.iter().map(|r| r.mismatches).sum();
    let not_created: usize = results.iter().map(|r| args.applications - r.created).sum();
    println!(
        "summary over {} run(s): median {rate:.0} enrollments/s, median p50 {p50:.1} ms, \
         median p99 {p99:.1} ms | total overbooked {overbooked}, order violations {violations}, \
         mismatches {mismatches}, applications not answered 201: {not_created}",
        results.len()
    );
    let invariants = results.iter().all(|r| r.invariants_hold(args.applications));
    let check = |ok: bool| if ok { "met" } else { "MISSED" };
    match db {
        Db::Sqlite => println!(
            "targets (SQLite): 0 overbooking {} | 0 order violations {} | >= 2000 enrollments/s {} | \
             p99 <= 250 ms {}",
            check(overbooked == 0),
            check(violations == 0),
            check(rate >= 2000.0),
            check(p99 <= 250.0)
        ),
        Db::Postgres => println!(
            "targets (PostgreSQL): 0 overbooking {} | 0 order violations {} | >= 500 enrollments/s {}",
            check(overbooked == 0),
            check(violations == 0),
            check(rate >= 500.0)
        ),
    }
    invariants
}

#[cfg(test)]
mod tests {
    //! `cargo test --example bench_enroll`: the checks must see what they are meant to see.
    use super::*;

    fn sample(i: usize, body: Value) -> Sample {
        let start = Instant::now();
        Sample {
            email: format!("p{i}@example.it"),
            start,
            end: start + Duration::from_millis(10 + i as u64),
            status: Some(201),
            body: Some(body),
            error: None,
        }
    }

    fn row(i: usize, status: &str, position: Option<i64>) -> Listed {
        Listed {
            id: i as i64 + 1,
            arrival: 1000 + i as i64,
            email: format!("p{i}@example.it"),
            status: status.into(),
            position,
        }
    }

    /// `n` applications, `seats` seats, decided correctly.
    fn correct(n: usize, seats: usize) -> (Burst, Vec<Listed>) {
        let mut samples = vec![];
        let mut list = vec![];
        for i in 0..n {
            let (status, position) = if i < seats {
                ("confirmed", None)
            } else {
                ("waitlisted", Some((i - seats + 1) as i64))
            };
            samples.push(sample(
                i,
                json!({"id": i + 1, "status": status, "position": position}),
            ));
            list.push(row(i, status, position));
        }
        (Burst { samples, cpu: None }, list)
    }

    #[test]
    fn a_correct_run_has_no_findings() {
        let (burst, list) = correct(10, 3);
        let r = analyse(3, burst, list);
        assert_eq!((r.created, r.confirmed, r.waitlisted), (10, 3, 7));
        assert_eq!((r.overbooked, r.violations, r.mismatches), (0, 0, 0));
        assert!(r.invariants_hold(10));
        assert_eq!(r.max, 19.0);
        assert_eq!(r.p50, 14.0);
    }

    #[test]
    fn overbooking_is_seen() {
        let (mut burst, mut list) = correct(10, 3);
        list[3] = row(3, "confirmed", None);
        burst.samples[3].body = Some(json!({"id": 4, "status": "confirmed"}));
        for (k, i) in (4..10).enumerate() {
            list[i].position = Some(k as i64 + 1);
            burst.samples[i].body =
                Some(json!({"id": i + 1, "status": "waitlisted", "position": k + 1}));
        }
        let r = analyse(3, burst, list);
        assert_eq!(r.overbooked, 1);
        assert_eq!(r.violations, 1, "the 4th arrival holds a seat");
        assert_eq!(r.mismatches, 0);
        assert!(!r.invariants_hold(10));
    }

    #[test]
    fn a_seat_given_out_of_order_is_seen() {
        // Arrivals 0 and 4 swapped: 4 confirmed, 0 waiting.
        let (burst, mut list) = correct(6, 1);
        list[0].status = "waitlisted".into();
        list[0].position = Some(1);
        list[4].status = "confirmed".into();
        list[4].position = None;
        let r = analyse(1, burst, list);
        assert_eq!(r.overbooked, 0);
        // 4 confirmed outside the first seat; 0 waiting inside it; the waitlist ranks shift.
        assert!(r.violations >= 2, "{r:?}");
        assert!(r.mismatches >= 2, "answers disagree with the list: {r:?}");
    }

    #[test]
    fn a_wrong_waitlist_position_is_seen() {
        let (mut burst, list) = correct(5, 1);
        burst.samples[2].body = Some(json!({"id": 3, "status": "waitlisted", "position": 1}));
        let r = analyse(1, burst, list);
        assert_eq!(r.violations, 1);
        assert_eq!(r.mismatches, 1);
    }

    #[test]
    fn a_lost_or_failed_application_is_seen() {
        let (mut burst, mut list) = correct(5, 1);
        burst.samples[4].status = Some(500);
        list.pop();
        let r = analyse(1, burst, list);
        assert_eq!(r.created, 4);
        assert!(!r.invariants_hold(5));
        let (burst, mut list) = correct(5, 1);
        list.pop();
        let r = analyse(1, burst, list);
        assert_eq!(r.mismatches, 1, "answered 201 but not listed");
    }

    #[test]
    fn database_urls() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "bench_1"),
            "postgres://postgres@127.0.0.1:5432/bench_1"
        );
        assert_eq!(
            with_database("postgresql://u:p@h/db?sslmode=disable", "b"),
            "postgresql://u:p@h/b?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h:5432", "b"),
            "postgres://h:5432/b"
        );
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.5), 50.0);
        assert_eq!(percentile(&v, 0.99), 99.0);
        assert_eq!(percentile(&[7.0], 0.99), 7.0);
    }
}
