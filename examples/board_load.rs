//! Live-board load generator: one meeting, many websocket clients, a share of them adding cards
//! at a fixed aggregate rate; measured against Tavolo and against a bare relay in the same run.
//!
//! ```text
//! cargo build --release --bin tavolo --example board_load --example bare_relay
//! target/release/examples/board_load --all                    # the summary of docs/benchmarks.md
//! target/release/examples/board_load --server tavolo --rate 100
//! target/release/examples/board_load --server relay --find-max
//! target/release/examples/board_load --server tavolo --idle --clients 1000
//! target/release/examples/board_load --server tavolo --rate 100 --reps 3 --baseline OLD/target/release
//! ```
//!
//! It builds nothing. It starts the server itself, pinned to CPU 0 with `taskset -c 0`, and pins
//! itself to CPU 1 (`taskset -p -c 1 <own pid>` before any thread exists; everything runs on
//! one thread: a current-thread tokio runtime). `--no-pin` disables both.
//!
//! - `--server tavolo`: `target/release/tavolo serve` with a fresh SQLite file in a temporary
//!   directory (`DATABASE_URL=sqlite://<tmp>/load.db`, the default durable settings: WAL,
//!   `synchronous=FULL`), `TAVOLO_WORKSHOPS=<tmp>/workshops` holding one workshop (slug
//!   `carico`, capacity = clients + 10, enrollment window open now, one module of 40 meetings),
//!   `TAVOLO_BIND=127.0.0.1:<free port>`, `RUST_LOG=warn`. Before the server starts, a
//!   facilitator (organiser account `f@example.it`) is made with `tavolo admin create` and given
//!   an API key with `tavolo admin api-key`. Then N people enroll through
//!   `POST /api/v1/workshops/carico/enrollments`; each personal token (last segment of
//!   `manage_url`) is that client's `Authorization: Bearer`.
//! - `--server relay`: `target/release/examples/bare_relay` (see that file): same protocol subset,
//!   no persistence, no validation, no authentication.
//!
//! Every measurement uses a fresh meeting (Tavolo) with fresh connections: the facilitator opens
//! the phase `raccolta` (`{"kind":"set_phase","phase":"raccolta"}`) and leaves, then N clients
//! connect at once to `/ws/meetings/{id}`, send `hello` and wait for `welcome` (the time from the
//! first connect to the last `welcome` is "connected and welcomed"). Writers (`--writers-pct` of
//! the clients) then send `add_card` ops (`bisogno`, ~120 characters of text) at the aggregate
//! rate R, spread evenly: op k is due at k/R s and goes to writer k mod W. Latency is measured
//! from the moment a writer hands its op to the socket (kept here, keyed by `op_id`) to the
//! receipt of the matching `event` frame, on every connection (the writer's own included), and
//! recorded in a histogram with 10 µs buckets. Ops due during the warm-up are sent but not
//! measured; after the last op, the clients get `--drain` seconds for the stragglers. Delivered =
//! events of measured ops received / (measured ops acked × N). A rate is sustainable when
//! p99 ≤ `--p99-limit` ms, delivered ≥ `--delivered-min` %, no op was refused, and the acked rate
//! is at least 95 % of the target (otherwise the generator or the server did not keep up).
//!
//! CPU is read from /proc during the measured window: the server process, this process, each
//! core (core 0 = server, core 1 = generator) and everything else. A generator near 100 % means
//! the figure is partly a limit of the generator; the tables say so. On a shared machine, every
//! measurement first waits until other processes use less than `--quiet-max` % of a core, and a
//! run during which they used more is measured again (up to 3 times).
//!
//! Modes: `--rate R` (one fixed-rate run), `--find-max` (steps through `--rates` until two steps
//! in a row are not sustainable, then bisects `--refine` times above the highest sustainable
//! one: latency is not monotonic in the rate, since a saturated server writes several frames per
//! syscall), `--idle` (connect N clients, wait `--idle-wait` s, read the server's VmRSS and the
//! kernel's accept-queue overflows and SYN retransmits during the connect), `--all` (for each of
//! `--reps` repetitions: relay then Tavolo, each on a fresh server: idle, find-max, fixed rate
//! `--fixed-rate`; then medians and the issue's targets). `--reps` also repeats the other modes.
//!
//! Diagnostics: `--perf FILE` records both cores with `perf record -a` during the measured window;
//! `--syscalls` counts the system calls of server and generator per delivered frame (`perf stat`
//! tracepoints; attaching and detaching stalls the server for a moment at the window's ends);
//! `--relay-backlog`, `--relay-pad-to`, `--relay-presence` change the bare relay (listen backlog,
//! event frame size, an emulation of Tavolo's presence frames) to measure one difference at a time;
//! `--idle-cards N` puts N cards on a Tavolo board before an idle measurement (the welcome then
//! carries the whole board); `--coalesce-us` makes the generator read in batches (cheaper per
//! frame, adds up to that much latency). Without `taskset`, or with `--no-pin`, nothing is pinned;
//! the open-files limit is raised with `prlimit` if needed (else run under `ulimit -n 8192`).

#[path = "common/board_workshop.rs"]
mod board_workshop;
#[path = "common/machine.rs"]
mod machine;

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::io::Write;
use std::net::{SocketAddr, TcpListener as StdListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::rc::Rc;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_util::sync::CancellationToken;

use board_workshop::{ROLE, SLUG, workshop_toml};
use machine::{cpu_model, percentile, pin_self_to_cpu1, raise_nofile};

const FACILITATOR_EMAIL: &str = "f@example.it";
const FACILITATOR_PASSWORD: &str = "banco-di-prova-lavagna-2027";
/// Meetings of the benchmark workshop: one per measurement of a server session.
const MEETINGS: usize = 40;

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum Kind {
    Tavolo,
    Relay,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Tavolo => "tavolo",
            Kind::Relay => "relay",
        }
    }
}

#[derive(Parser, Debug, Clone)]
#[command(
    name = "board_load",
    about = "Live-board load generator (Tavolo vs a bare relay), one meeting, N websocket clients"
)]
struct Args {
    /// Server under test (ignored by --all, which measures both).
    #[arg(long, value_enum, default_value_t = Kind::Tavolo)]
    server: Kind,
    /// Websocket clients in the meeting.
    #[arg(long, default_value_t = 1000)]
    clients: usize,
    /// Share of the clients that write, in %.
    #[arg(long, default_value_t = 10.0)]
    writers_pct: f64,
    /// One run at this aggregate rate (cards/s).
    #[arg(long)]
    rate: Option<f64>,
    /// Step the rate up until two steps in a row are not sustainable; report the highest
    /// sustainable rate (refined by bisection).
    #[arg(long)]
    find_max: bool,
    /// Connect the clients, wait, report the server's resident memory and the connect time.
    #[arg(long)]
    idle: bool,
    /// Both servers: idle, find-max and the fixed rate, `--reps` times; medians.
    #[arg(long)]
    all: bool,
    /// Repetitions, each on a fresh server (default: 3 with --all, else 1).
    #[arg(long)]
    reps: Option<usize>,
    /// Measured seconds of a --rate run and of the --fixed-rate run of --all.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Measured seconds of each --find-max step.
    #[arg(long, default_value_t = 5.0)]
    step_duration: f64,
    /// Seconds at the target rate before measuring.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Seconds given to the last events after the last op.
    #[arg(long, default_value_t = 2.0)]
    drain: f64,
    /// Tavolo: cards put on the board before the idle measurement (the welcome then carries
    /// them: `state` is the whole board).
    #[arg(long, default_value_t = 0)]
    idle_cards: usize,
    /// Seconds to wait, all clients connected, before reading the idle RSS.
    #[arg(long, default_value_t = 3.0)]
    idle_wait: f64,
    /// Rates tried by --find-max, in order.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "50,100,150,200,250,300,400,600,800,1000,1200,1600"
    )]
    rates: Vec<f64>,
    /// Bisection steps between the last sustainable and the first failing rate.
    #[arg(long, default_value_t = 1)]
    refine: usize,
    /// The fixed rate measured by --all (cards/s).
    #[arg(long, default_value_t = 100.0)]
    fixed_rate: f64,
    /// Sustainable: p99 at most this many ms…
    #[arg(long, default_value_t = 50.0)]
    p99_limit: f64,
    /// …and at least this share of the events delivered, in %.
    #[arg(long, default_value_t = 99.9)]
    delivered_min: f64,
    /// Seconds allowed for all clients to be welcomed.
    #[arg(long, default_value_t = 60.0)]
    connect_timeout: f64,
    /// Directory of the built binaries (default: the one holding `tavolo`, i.e. the parent of
    /// this example's directory).
    #[arg(long)]
    bin_dir: Option<PathBuf>,
    /// Another build of Tavolo to measure in the same run (the directory holding its `tavolo`,
    /// e.g. `../baseline/target/release`): each repetition of `--rate`, `--find-max` or `--idle`
    /// runs it first, then this build's, and both medians are printed (before/after a change).
    #[arg(long, conflicts_with = "all")]
    baseline: Option<PathBuf>,
    /// Generator batching: every this many µs the generator's thread sleeps that long, so that
    /// each socket has several frames to read per wake-up (fewer syscalls and ACKs per frame).
    /// Adds at most that much to the measured latencies. 0 = off.
    #[arg(long, default_value_t = 0)]
    coalesce_us: u64,
    /// Pad the bare relay's event frames to this many bytes (0: its own ~280 B frames; Tavolo's
    /// `card_added` frames for these ops are ~560 B).
    #[arg(long, default_value_t = 0)]
    relay_pad_to: usize,
    /// Make the bare relay emulate Tavolo's presence frames (`bare_relay --presence`).
    #[arg(long)]
    relay_presence: bool,
    /// Listen backlog of the bare relay (Tavolo listens with 4,096; `TcpListener::bind`'s is 128).
    #[arg(long, default_value_t = 4096)]
    relay_backlog: u32,
    /// Do not pin server and generator to different CPUs.
    #[arg(long)]
    no_pin: bool,
    /// Before each measurement, wait until other processes use less than this % of one core…
    #[arg(long, default_value_t = 15.0)]
    quiet_max: f64,
    /// …but not longer than this many seconds.
    #[arg(long, default_value_t = 600.0)]
    quiet_timeout: f64,
    /// Profile both cores with `perf record -a -e cpu-clock` during the measured window of each
    /// load run (with --idle: the first 3 s of the connect), into this file (overwritten by
    /// every run; use it with a single run).
    #[arg(long)]
    perf: Option<PathBuf>,
    /// Count the system calls and context switches of server and generator during the
    /// measured window (`perf stat -e syscalls:…`), per delivered frame.
    #[arg(long)]
    syscalls: bool,
    /// Keep Tavolo's temporary directory (database, workshop, server.log).
    #[arg(long)]
    keep: bool,
    /// After the measurement of `--rate`, `--find-max` or `--idle`: every client gone, wait this
    /// many seconds (Tavolo closes a room 30 s after its last connection and activity; give it
    /// a minute more), then read the server's RSS and compare it with its RSS at rest before
    /// the measurement (server started, participants enrolled, no connection).
    #[arg(long)]
    after_close: Option<f64>,
}

type Failure = Box<dyn std::error::Error>;

fn fail<T>(msg: impl Into<String>) -> Result<T, Failure> {
    Err(msg.into().into())
}

fn main() -> ExitCode {
    let mut args = Args::parse();
    let modes = [args.rate.is_some(), args.find_max, args.idle, args.all]
        .iter()
        .filter(|m| **m)
        .count();
    if modes != 1 {
        eprintln!("board_load: choose exactly one of --rate R, --find-max, --idle, --all");
        return ExitCode::from(2);
    }
    if args.clients == 0 || args.rate.is_some_and(|r| r <= 0.0) {
        eprintln!("board_load: --clients and --rate must be positive");
        return ExitCode::from(2);
    }
    let cpus = cpu_count();
    let pin = !args.no_pin && cpus >= 2;
    if !args.no_pin && !pin {
        eprintln!("board_load: only {cpus} CPU: not pinning");
    }
    // Before any thread exists, so that every thread of this process inherits it.
    if pin && !pin_self_to_cpu1() {
        eprintln!("board_load: `taskset -p -c 1` failed: the generator is not pinned");
    }
    let nofile = raise_nofile(args.clients * 2 + 256, 8192, "board_load");
    // Absolute: the servers run in a temporary directory of their own.
    let absolute = |dir: PathBuf| std::fs::canonicalize(&dir).unwrap_or(dir);
    let bin_dir = absolute(args.bin_dir.clone().unwrap_or_else(default_bin_dir));
    args.baseline = args.baseline.take().map(absolute);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let local = tokio::task::LocalSet::new();

    println!(
        "board_load: {} clients, {} writers ({}%), binaries in {}",
        args.clients,
        writers_of(&args),
        args.writers_pct,
        bin_dir.display()
    );
    println!(
        "machine: {cpus} CPU ({}), {} MiB RAM, kernel {}; pinning: {}; open files: {}",
        cpu_model(),
        mem_total_mib(),
        kernel(),
        if pin {
            "server on CPU 0 (taskset -c 0), generator on CPU 1 (one thread)"
        } else {
            "none"
        },
        nofile.map_or("unknown".into(), |n| n.to_string())
    );
    let ctx = Ctx {
        args: args.clone(),
        bin_dir,
        pin,
    };
    let outcome = local.block_on(&runtime, async {
        if args.all {
            all(&ctx).await
        } else {
            single(&ctx).await
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("board_load: {e}");
            ExitCode::from(2)
        }
    }
}

struct Ctx {
    args: Args,
    bin_dir: PathBuf,
    pin: bool,
}

fn writers_of(args: &Args) -> usize {
    ((args.clients as f64 * args.writers_pct / 100.0).round() as usize).clamp(1, args.clients)
}

// --- the modes ---------------------------------------------------------------------------------

async fn single(ctx: &Ctx) -> Result<(), Failure> {
    let a = &ctx.args;
    let reps = a.reps.unwrap_or(1).max(1);
    let baseline = a.baseline.as_ref().map(|dir| Ctx {
        args: a.clone(),
        bin_dir: dir.clone(),
        pin: ctx.pin,
    });
    // (label, context): the baseline first in every repetition, then this build.
    let mut builds: Vec<(String, &Ctx)> = Vec::new();
    if let Some(b) = &baseline {
        builds.push((format!("{} (baseline)", a.server.name()), b));
    }
    builds.push((a.server.name().to_string(), ctx));
    let mut results: Vec<Measured> = builds.iter().map(|_| Measured::default()).collect();
    for rep in 1..=reps {
        for ((label, c), m) in builds.iter().zip(results.iter_mut()) {
            println!("\n=== {label} — repetition {rep}/{reps} ===");
            let mut server = Server::start(c, a.server).await?;
            let at_rest = rss_mib(server.pid).0;
            let result = async {
                if a.idle {
                    m.idles.push(idle_run(c, &mut server).await?);
                } else if a.find_max {
                    m.maxes.push(find_max(c, &mut server).await?);
                } else if let Some(rate) = a.rate {
                    m.fixed
                        .push(rate_run(c, &mut server, rate, a.duration).await?);
                }
                if let Some(wait) = a.after_close {
                    let just_after = rss_mib(server.pid).0;
                    tokio::time::sleep(Duration::from_secs_f64(wait)).await;
                    let after = rss_mib(server.pid).0;
                    println!(
                        "{label}: RSS at rest before {at_rest:.1} MiB; just after the clients left {just_after:.1} MiB; {wait:.0} s later {after:.1} MiB ({:.2}× the RSS at rest before)",
                        after / at_rest.max(1e-9)
                    );
                    m.after_close.push((at_rest, after));
                }
                Ok::<_, Failure>(())
            }
            .await;
            server.stop();
            result?;
        }
    }
    if reps > 1 || baseline.is_some() {
        println!("\n=== medians of {reps} ===");
        if a.rate.is_some() {
            print_load_header();
        }
        for ((label, _), m) in builds.iter().zip(&results) {
            if !m.idles.is_empty() {
                println!("{label}:");
                print_idle_summary(a.server, &m.idles);
            }
            if !m.maxes.is_empty() {
                let best = median(&m.maxes.iter().map(|m| m.best).collect::<Vec<_>>());
                println!("{label}: sustainable rate, median {best:.0} cards/s");
            }
            if !m.fixed.is_empty() {
                let med = median_load(&m.fixed);
                print_load_row(&format!("{label} median"), &med, a);
            }
            if !m.after_close.is_empty() {
                let before: Vec<f64> = m.after_close.iter().map(|x| x.0).collect();
                let after: Vec<f64> = m.after_close.iter().map(|x| x.1).collect();
                let ratio: Vec<f64> = m.after_close.iter().map(|x| x.1 / x.0).collect();
                println!(
                    "{label}: RSS at rest before {} → median {:.1} MiB; after the rooms closed {} → median {:.1} MiB; ratio {} → median {:.2}",
                    fmt_list(&before, 1),
                    median(&before),
                    fmt_list(&after, 1),
                    median(&after),
                    fmt_list(&ratio, 2),
                    median(&ratio)
                );
            }
        }
    }
    Ok(())
}

/// The repetitions of one build in `single`.
#[derive(Default)]
struct Measured {
    /// (RSS at rest before, RSS `--after-close` s after the clients left), MiB.
    after_close: Vec<(f64, f64)>,
    idles: Vec<Idle>,
    maxes: Vec<MaxResult>,
    fixed: Vec<LoadResult>,
}

/// One repetition of --all for one server.
#[derive(Default)]
struct ServerRep {
    idle: Option<Idle>,
    max: Option<MaxResult>,
    fixed: Option<LoadResult>,
}

async fn all(ctx: &Ctx) -> Result<(), Failure> {
    let a = &ctx.args;
    let reps = a.reps.unwrap_or(3).max(1);
    let started = Instant::now();
    let mut relay: Vec<ServerRep> = Vec::new();
    let mut tavolo: Vec<ServerRep> = Vec::new();
    for rep in 1..=reps {
        for kind in [Kind::Relay, Kind::Tavolo] {
            println!(
                "\n=== repetition {rep}/{reps}: {} (t = {:.0} s) ===",
                kind.name(),
                started.elapsed().as_secs_f64()
            );
            let mut server = Server::start(ctx, kind).await?;
            let result = async {
                let mut r = ServerRep {
                    idle: Some(idle_run(ctx, &mut server).await?),
                    ..ServerRep::default()
                };
                r.max = Some(find_max(ctx, &mut server).await?);
                r.fixed = Some(rate_run(ctx, &mut server, a.fixed_rate, a.duration).await?);
                Ok::<_, Failure>(r)
            }
            .await;
            server.stop();
            let r = result?;
            match kind {
                Kind::Relay => relay.push(r),
                Kind::Tavolo => tavolo.push(r),
            }
        }
    }
    println!(
        "\n=== summary: medians of {reps} repetitions ({} clients, {} writers; total {:.0} s) ===",
        a.clients,
        writers_of(a),
        started.elapsed().as_secs_f64()
    );
    let idle_of = |v: &[ServerRep]| v.iter().filter_map(|r| r.idle.clone()).collect::<Vec<_>>();
    print_idle_summary(Kind::Relay, &idle_of(&relay));
    print_idle_summary(Kind::Tavolo, &idle_of(&tavolo));
    let max_of = |v: &[ServerRep]| {
        v.iter()
            .filter_map(|r| r.max.as_ref().map(|m| m.best))
            .collect::<Vec<_>>()
    };
    let (mr, mt) = (max_of(&relay), max_of(&tavolo));
    let listed = |v: &[ServerRep]| {
        let items: Vec<String> = v
            .iter()
            .filter_map(|r| r.max.as_ref())
            .map(|m| format!("{}{:.0}", if m.capped { "≥" } else { "" }, m.best))
            .collect();
        format!("[{}]", items.join(", "))
    };
    println!(
        "sustainable rate (p99 ≤ {} ms, ≥ {}% delivered): relay {} → median {:.0}; tavolo {} → median {:.0}; tavolo/relay {:.0}%",
        a.p99_limit,
        a.delivered_min,
        listed(&relay),
        median(&mr),
        listed(&tavolo),
        median(&mt),
        100.0 * median(&mt) / median(&mr).max(1e-9)
    );
    println!("\nfixed rate {} cards/s, medians:", a.fixed_rate);
    print_load_header();
    for (name, v) in [("relay", &relay), ("tavolo", &tavolo)] {
        let runs: Vec<LoadResult> = v.iter().filter_map(|r| r.fixed.clone()).collect();
        if !runs.is_empty() {
            print_load_row(name, &median_load(&runs), a);
        }
    }
    let (it, ft) = (
        idle_of(&tavolo),
        tavolo
            .iter()
            .filter_map(|r| r.fixed.clone())
            .collect::<Vec<_>>(),
    );
    if !it.is_empty() && !ft.is_empty() {
        let connect = median(&it.iter().map(|i| i.connect.span_s).collect::<Vec<_>>());
        let rss = median(&it.iter().map(|i| i.rss_mib).collect::<Vec<_>>());
        let f = median_load(&ft);
        let ratio = median(&mt) / median(&mr).max(1e-9);
        println!("\ntargets (issue 3), Tavolo medians:");
        let row = |what: &str, value: String, ok: bool| {
            println!(
                "  {:<52} {:>14}  {}",
                what,
                value,
                if ok { "met" } else { "MISSED" }
            )
        };
        row(
            "sustainable rate ≥ 50% of the bare relay's",
            format!("{:.0}%", 100.0 * ratio),
            ratio >= 0.5,
        );
        row(
            &format!("at {} cards/s: p50 ≤ 10 ms", a.fixed_rate),
            format!("{:.2} ms", f.p50),
            f.p50 <= 10.0,
        );
        row(
            &format!("at {} cards/s: p99 ≤ 25 ms", a.fixed_rate),
            format!("{:.2} ms", f.p99),
            f.p99 <= 25.0,
        );
        row(
            &format!("RSS with {} idle connections ≤ 64 MiB", a.clients),
            format!("{rss:.1} MiB"),
            rss <= 64.0,
        );
        row(
            &format!("{} clients connected and welcomed ≤ 2 s", a.clients),
            format!("{connect:.2} s"),
            connect <= 2.0,
        );
    }
    Ok(())
}

fn print_idle_summary(kind: Kind, idles: &[Idle]) {
    if idles.is_empty() {
        return;
    }
    let col = |f: &dyn Fn(&Idle) -> f64| {
        let v: Vec<f64> = idles.iter().map(f).collect();
        (median(&v), v)
    };
    let (span, spans) = col(&|i| i.connect.span_s);
    let (rss, rsss) = col(&|i| i.rss_mib);
    let (base, _) = col(&|i| i.rss_before_mib);
    println!(
        "{}: connected and welcomed {} → median {span:.2} s; idle RSS {} → median {rss:.1} MiB (before connecting {base:.1} MiB)",
        kind.name(),
        fmt_list(&spans, 2),
        fmt_list(&rsss, 1)
    );
}

fn fmt_list(v: &[f64], decimals: usize) -> String {
    let items: Vec<String> = v.iter().map(|x| format!("{x:.decimals$}")).collect();
    format!("[{}]", items.join(", "))
}

// --- servers -----------------------------------------------------------------------------------

struct Server {
    kind: Kind,
    child: Child,
    pid: u32,
    addr: SocketAddr,
    /// Tavolo only: the temporary directory, the meetings not used yet, the participants'
    /// tokens and the facilitator's API key.
    tmp: Option<tempfile::TempDir>,
    meetings: Vec<i64>,
    tokens: Vec<String>,
    facilitator_key: String,
    log: Option<PathBuf>,
    keep: bool,
}

impl Server {
    async fn start(ctx: &Ctx, kind: Kind) -> Result<Server, Failure> {
        let port = StdListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse()?;
        match kind {
            Kind::Relay => {
                let bin = ctx.bin_dir.join("examples/bare_relay");
                if !bin.is_file() {
                    return fail(format!(
                        "{} not found: `cargo build --release --example bare_relay`",
                        bin.display()
                    ));
                }
                let mut c = pinned(&bin, ctx.pin);
                c.args(["--bind", &addr.to_string()])
                    .args(["--backlog", &ctx.args.relay_backlog.to_string()])
                    .args(["--pad-to", &ctx.args.relay_pad_to.to_string()])
                    .args(ctx.args.relay_presence.then_some("--presence"))
                    .stdin(Stdio::null())
                    .stdout(Stdio::null());
                let mut child = c.spawn()?;
                let deadline = Instant::now() + Duration::from_secs(10);
                while TcpStream::connect(addr).await.is_err() {
                    if child.try_wait()?.is_some() || Instant::now() > deadline {
                        let _ = child.kill();
                        return fail("bare_relay did not start");
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                let pid = child.id();
                println!("relay: {} pid {pid} on {addr}", bin.display());
                Ok(Server {
                    kind,
                    child,
                    pid,
                    addr,
                    tmp: None,
                    meetings: Vec::new(),
                    tokens: Vec::new(),
                    facilitator_key: String::new(),
                    log: None,
                    keep: false,
                })
            }
            Kind::Tavolo => start_tavolo(ctx, addr).await,
        }
    }

    /// The next fresh meeting (Tavolo) or the relay's single room.
    fn next_meeting(&mut self) -> Result<i64, Failure> {
        match self.kind {
            Kind::Relay => Ok(1),
            Kind::Tavolo => {
                if self.meetings.is_empty() {
                    return fail("no fresh meeting left: the workshop has 40");
                }
                Ok(self.meetings.remove(0))
            }
        }
    }

    fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            if Instant::now() > deadline {
                eprintln!("board_load: the server did not stop on SIGTERM in 15 s: killing it");
                let _ = self.child.kill();
                let _ = self.child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        if let Some(tmp) = self.tmp.take() {
            if self.keep {
                eprintln!("board_load: kept {}", tmp.keep().display());
            }
        }
    }
}

fn pinned(bin: &Path, pin: bool) -> Command {
    if pin {
        let mut c = Command::new("taskset");
        c.args(["-c", "0"]).arg(bin);
        c
    } else {
        Command::new(bin)
    }
}

async fn start_tavolo(ctx: &Ctx, addr: SocketAddr) -> Result<Server, Failure> {
    let bin = ctx.bin_dir.join("tavolo");
    if !bin.is_file() {
        return fail(format!(
            "{} not found: `cargo build --release --bin tavolo`",
            bin.display()
        ));
    }
    let setup = Instant::now();
    let tmp = tempfile::Builder::new().prefix("tavolo-load-").tempdir()?;
    let dir = tmp.path().to_path_buf();
    let workshops = dir.join("workshops");
    std::fs::create_dir(&workshops)?;
    std::fs::write(
        workshops.join("carico.toml"),
        workshop_toml(ctx.args.clients + 10, MEETINGS),
    )?;
    let database_url = format!("sqlite://{}/load.db", dir.display());
    let env = |c: &mut Command| {
        c.current_dir(&dir)
            .env("DATABASE_URL", &database_url)
            .env("TAVOLO_WORKSHOPS", &workshops)
            .env("RUST_LOG", "warn")
            .env_remove("TAVOLO_BASE_URL")
            .env_remove("TAVOLO_SMTP_URL")
            .env_remove("TAVOLO_TEMPLATES")
            .env_remove("TAVOLO_BIND");
    };

    // The facilitator, before the server starts (this also migrates the database).
    let mut create = Command::new(&bin);
    env(&mut create);
    let mut create = create
        .args([
            "admin",
            "create",
            "--email",
            FACILITATOR_EMAIL,
            "--name",
            "Facilitatore",
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
        .write_all(format!("{FACILITATOR_PASSWORD}\n").as_bytes())?;
    let out = create.wait_with_output()?;
    if !out.status.success() {
        return fail(format!(
            "tavolo admin create failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let mut key_cmd = Command::new(&bin);
    env(&mut key_cmd);
    let out = key_cmd
        .args(["admin", "api-key", "--email", FACILITATOR_EMAIL])
        .stdin(Stdio::null())
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let key = stdout
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .unwrap_or("")
        .to_string();
    if !out.status.success() || key.is_empty() || key.contains(' ') {
        return fail(format!(
            "tavolo admin api-key failed: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }

    let log = dir.join("server.log");
    let mut c = pinned(&bin, ctx.pin);
    env(&mut c);
    let out = std::fs::File::create(&log)?;
    let err = out.try_clone()?;
    let mut child = c
        .arg("serve")
        .env("TAVOLO_BIND", addr.to_string())
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()?;
    let pid = child.id();
    let base = format!("http://{addr}");
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(60))
        .build()?;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait()? {
            return fail(format!(
                "tavolo exited ({status}) before it was ready:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            ));
        }
        if let Ok(r) = http.get(format!("{base}/readyz")).send().await {
            if r.status().is_success() {
                break;
            }
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            return fail("tavolo not ready within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut server = Server {
        kind: Kind::Tavolo,
        child,
        pid,
        addr,
        tmp: Some(tmp),
        meetings: Vec::new(),
        tokens: Vec::new(),
        facilitator_key: key,
        log: Some(log),
        keep: false,
    };
    match prepare_tavolo(ctx, &mut server, &http, &base).await {
        Ok(()) => {
            println!(
                "tavolo: pid {pid} on {addr}, {} participants enrolled, {} meetings, setup {:.1} s",
                server.tokens.len(),
                server.meetings.len(),
                setup.elapsed().as_secs_f64()
            );
            server.keep = ctx.args.keep;
            Ok(server)
        }
        Err(e) => {
            let log = server
                .log
                .as_ref()
                .and_then(|l| std::fs::read_to_string(l).ok())
                .unwrap_or_default();
            server.stop();
            fail(format!("{e}\n--- server.log ---\n{log}"))
        }
    }
}

/// Meeting ids from the public API, then N enrollments (8 at a time).
async fn prepare_tavolo(
    ctx: &Ctx,
    server: &mut Server,
    http: &reqwest::Client,
    base: &str,
) -> Result<(), Failure> {
    let w: Value = http
        .get(format!("{base}/api/v1/workshops/{SLUG}"))
        .send()
        .await?
        .json()
        .await?;
    server.meetings = w["modules"][0]["meetings"]
        .as_array()
        .map(|m| m.iter().filter_map(|x| x["id"].as_i64()).collect())
        .unwrap_or_default();
    if server.meetings.is_empty() {
        return fail(format!("no meetings in GET /api/v1/workshops/{SLUG}: {w}"));
    }
    let n = ctx.args.clients;
    let tokens: Rc<RefCell<Vec<Option<String>>>> = Rc::new(RefCell::new(vec![None; n]));
    let next = Rc::new(Cell::new(0usize));
    let error: Rc<RefCell<Option<String>>> = Rc::new(RefCell::new(None));
    let url = format!("{base}/api/v1/workshops/{SLUG}/enrollments");
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..8 {
        let (tokens, next, error, url, http) = (
            tokens.clone(),
            next.clone(),
            error.clone(),
            url.clone(),
            http.clone(),
        );
        workers.push(tokio::task::spawn_local(async move {
            loop {
                let i = next.get();
                if i >= n || error.borrow().is_some() {
                    return;
                }
                next.set(i + 1);
                let body = json!({
                    "name": format!("Persona di carico {i}"),
                    "email": format!("carico{i:05}@example.it"),
                    "role": ROLE,
                    "ente": "Comune di Bergamo",
                    "privacy_ack": true,
                });
                let outcome = async {
                    let r = http.post(&url).json(&body).send().await?;
                    let status = r.status();
                    let v: Value = r.json().await?;
                    if status.as_u16() != 201 || v["status"] != "confirmed" {
                        return fail(format!("enrollment {i}: HTTP {status}: {v}"));
                    }
                    let token = v["manage_url"]
                        .as_str()
                        .and_then(|u| u.trim_end_matches('/').rsplit('/').next())
                        .unwrap_or_default()
                        .to_string();
                    if token.is_empty() {
                        return fail(format!("enrollment {i}: no manage_url: {v}"));
                    }
                    Ok::<_, Failure>(token)
                }
                .await;
                match outcome {
                    Ok(t) => tokens.borrow_mut()[i] = Some(t),
                    Err(e) => *error.borrow_mut() = Some(e.to_string()),
                }
            }
        }));
    }
    for w in workers {
        w.await?;
    }
    if let Some(e) = error.borrow().clone() {
        return fail(e);
    }
    server.tokens = tokens.borrow_mut().drain(..).flatten().collect();
    println!(
        "tavolo: {n} enrollments in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

// --- one measurement -----------------------------------------------------------------------------

/// Latency histogram: 10 µs buckets up to 100 ms, then 1 ms buckets up to 60 s.
struct Histogram {
    counts: Vec<u64>,
    n: u64,
    max_ns: u64,
}

const FINE: usize = 10_000;
const COARSE: usize = 59_900;

impl Histogram {
    fn new() -> Histogram {
        Histogram {
            counts: vec![0; FINE + COARSE],
            n: 0,
            max_ns: 0,
        }
    }

    fn record(&mut self, ns: u64) {
        let us = ns / 1000;
        let b = if us < 100_000 {
            (us / 10) as usize
        } else {
            FINE + (((us - 100_000) / 1000) as usize).min(COARSE - 1)
        };
        self.counts[b] += 1;
        self.n += 1;
        self.max_ns = self.max_ns.max(ns);
    }

    /// Upper edge of the bucket holding the nearest-rank percentile, in ms.
    fn percentile(&self, p: f64) -> f64 {
        if self.n == 0 {
            return f64::NAN;
        }
        let rank = ((p * self.n as f64).ceil() as u64).clamp(1, self.n);
        let mut seen = 0;
        for (b, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                let upper_ms = if b < FINE {
                    (b + 1) as f64 * 0.01
                } else {
                    100.0 + (b - FINE + 1) as f64
                };
                return upper_ms.min(self.max_ns as f64 / 1e6);
            }
        }
        self.max_ns as f64 / 1e6
    }
}

/// What the generator knows of one op.
#[derive(Default)]
struct Slot {
    /// ns since `Run::base` when the writer handed it to its socket; 0 = not sent.
    sent_ns: Cell<u64>,
    measured: Cell<bool>,
    acked: Cell<bool>,
    refused: Cell<bool>,
    deliveries: Cell<u32>,
    /// Slowest delivery of this op, µs.
    slowest_us: Cell<u32>,
}

/// Shared by every client task of one measurement (one thread: `Rc`, `Cell`).
struct Run {
    base: Instant,
    /// The op ids of this run are `L<op_base + k>`, k indexing `slots`.
    op_base: u64,
    slots: Vec<Slot>,
    /// Deliveries are counted (and latencies recorded) while true.
    counting: Cell<bool>,
    stopping: Cell<bool>,
    hist: RefCell<Histogram>,
    connect_ms: RefCell<Vec<f64>>,
    last_welcome: Cell<Option<Instant>>,
    welcomed: Cell<usize>,
    connect_failures: Cell<usize>,
    first_error: RefCell<Option<String>>,
    dropped: Cell<usize>,
    resyncs: Cell<usize>,
    events: Cell<u64>,
    event_bytes: Cell<u64>,
    presence: Cell<u64>,
    presence_bytes: Cell<u64>,
    /// Size of the last welcome frame.
    welcome_bytes: Cell<usize>,
    /// Welcomes that said `load`, and the bytes of the state then read over HTTP (as sent,
    /// i.e. compressed).
    state_loads: Cell<u64>,
    state_bytes: Cell<u64>,

    /// One HTTP client for the state loads (each load on a connection of its own or a reused
    /// one, as a browser reuses the page's).
    http: reqwest::Client,
    /// Arrival of presence frames (ms since `base`), for the idle report.
    presence_at: RefCell<Vec<u32>>,
    acks: Cell<u64>,
    refusals: RefCell<BTreeMap<String, u64>>,
    sent: Cell<u64>,
}

/// Op ids are unique across the whole process (and so per meeting).
static NEXT_OP: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl Run {
    fn new(ops: usize) -> Rc<Run> {
        let op_base = NEXT_OP.fetch_add(ops as u64 + 1, std::sync::atomic::Ordering::Relaxed);
        Rc::new(Run {
            base: Instant::now(),
            op_base,
            slots: (0..ops).map(|_| Slot::default()).collect(),
            counting: Cell::new(true),
            stopping: Cell::new(false),
            hist: RefCell::new(Histogram::new()),
            connect_ms: RefCell::new(Vec::new()),
            last_welcome: Cell::new(None),
            welcomed: Cell::new(0),
            connect_failures: Cell::new(0),
            first_error: RefCell::new(None),
            dropped: Cell::new(0),
            resyncs: Cell::new(0),
            events: Cell::new(0),
            event_bytes: Cell::new(0),
            presence: Cell::new(0),
            presence_bytes: Cell::new(0),
            presence_at: RefCell::new(Vec::new()),
            welcome_bytes: Cell::new(0),
            state_loads: Cell::new(0),
            state_bytes: Cell::new(0),

            http: reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("an HTTP client"),
            acks: Cell::new(0),
            refusals: RefCell::new(BTreeMap::new()),
            sent: Cell::new(0),
        })
    }

    fn now_ns(&self) -> u64 {
        (self.base.elapsed().as_nanos() as u64).max(1)
    }

    fn note_error(&self, e: String) {
        let mut first = self.first_error.borrow_mut();
        if first.is_none() {
            *first = Some(e);
        }
    }

    /// The slot of the op id at the end of a frame (`…"op_id":"L123",…`), if it is one of ours.
    fn slot_of(&self, s: &str) -> Option<&Slot> {
        const KEY: &[u8] = b"\"op_id\":\"L";
        // The op id is near the end (keys in alphabetical order): scan backwards, by hand (a
        // `rfind` builds a two-way searcher for every frame).
        let b = s.as_bytes();
        let mut i = b.len().checked_sub(KEY.len())?;
        let start = loop {
            if b[i] == b'"' && &b[i..i + KEY.len()] == KEY {
                break i + KEY.len();
            }
            i = i.checked_sub(1)?;
        };
        let mut global: u64 = 0;
        let mut j = start;
        while j < b.len() && b[j].is_ascii_digit() {
            global = global * 10 + u64::from(b[j] - b'0');
            j += 1;
        }
        if j == start || b.get(j) != Some(&b'"') {
            return None;
        }
        self.slots.get(global.checked_sub(self.op_base)? as usize)
    }

    /// A text frame from the server. Tavolo and the relay both end every frame with its
    /// `"type":"…"}` (keys in alphabetical order), so the type is read from the end.
    fn on_text(&self, s: &str) {
        if s.ends_with("\"type\":\"event\"}") {
            self.events.set(self.events.get() + 1);
            self.event_bytes
                .set(self.event_bytes.get() + s.len() as u64);
            if !self.counting.get() {
                return;
            }
            if let Some(slot) = self.slot_of(s) {
                slot.deliveries.set(slot.deliveries.get() + 1);
                let sent = slot.sent_ns.get();
                if slot.measured.get() && sent != 0 {
                    let ns = self.now_ns().saturating_sub(sent);
                    self.hist.borrow_mut().record(ns);
                    let us = (ns / 1000).min(u64::from(u32::MAX)) as u32;
                    if us > slot.slowest_us.get() {
                        slot.slowest_us.set(us);
                    }
                }
            }
        } else if s.ends_with("\"type\":\"ack\"}") {
            self.acks.set(self.acks.get() + 1);
            if let Some(slot) = self.slot_of(s) {
                slot.acked.set(true);
            }
        } else if s.ends_with("\"type\":\"error\"}") {
            let code = string_field(s, "code").unwrap_or("?").to_string();
            if let Some(slot) = self.slot_of(s) {
                slot.refused.set(true);
            }
            self.note_error(format!("refused: {s}"));
            *self.refusals.borrow_mut().entry(code).or_default() += 1;
        } else if s.ends_with("\"type\":\"presence\"}") {
            self.presence.set(self.presence.get() + 1);
            self.presence_bytes
                .set(self.presence_bytes.get() + s.len() as u64);
            self.presence_at
                .borrow_mut()
                .push((self.now_ns() / 1_000_000) as u32);
        } else if s.contains("\"type\":\"resync\"") {
            self.resyncs.set(self.resyncs.get() + 1);
        }
    }
}

fn string_field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let needle = format!("\"{key}\":\"");
    let start = text.find(&needle)? + needle.len();
    let len = text[start..].find('"')?;
    Some(&text[start..start + len])
}

fn client_config() -> WebSocketConfig {
    // tungstenite zero-fills the free part of its read buffer (up to this size) before every
    // read, also before the one that finds nothing: a large buffer costs a large memset per
    // wake-up. 4 KiB holds a dozen event frames.
    WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
}

fn ws_request(
    addr: SocketAddr,
    meeting: i64,
    bearer: Option<&str>,
) -> Result<tokio_tungstenite::tungstenite::handshake::client::Request, Failure> {
    let mut req = format!("ws://{addr}/ws/meetings/{meeting}").into_client_request()?;
    if let Some(b) = bearer {
        req.headers_mut().insert(
            "Authorization",
            HeaderValue::from_str(&format!("Bearer {b}"))?,
        );
    }
    Ok(req)
}

type Ws = tokio_tungstenite::WebSocketStream<TcpStream>;

/// Connects, says hello and waits for the welcome (other frames before it go to `run`); also
/// says whether the welcome asks to load the board over HTTP (`"load":true`, first key).
async fn connect(
    addr: SocketAddr,
    meeting: i64,
    bearer: Option<&str>,
    run: Option<&Run>,
) -> Result<(Ws, bool), Failure> {
    let req = ws_request(addr, meeting, bearer)?;
    let tcp = TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    let (mut ws, _) =
        tokio_tungstenite::client_async_with_config(req, tcp, Some(client_config())).await?;
    ws.send(Message::text(r#"{"type":"hello","last_seq":0}"#))
        .await?;
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => {
                if t.contains("\"type\":\"welcome\"") {
                    if let Some(run) = run {
                        run.welcome_bytes.set(t.len());
                    }
                    return Ok((ws, t.starts_with("{\"load\":true")));
                }
                if let Some(run) = run {
                    run.on_text(&t);
                }
            }
            Some(Ok(Message::Close(c))) => return fail(format!("closed before welcome: {c:?}")),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(e.into()),
            None => return fail("connection ended before welcome"),
        }
    }
}

/// The board over HTTP, as a browser reads it after a welcome that says `load`: with the
/// socket's credentials, gzip accepted. The body is read whole but not decompressed (the
/// browser's own work); its seq is read from the tag (`"N-p"`).
async fn load_state(
    run: &Run,
    addr: SocketAddr,
    meeting: i64,
    bearer: Option<&str>,
) -> Result<(), Failure> {
    let mut req = run
        .http
        .get(format!("http://{addr}/api/v1/meetings/{meeting}/board"))
        .header("accept-encoding", "gzip");
    if let Some(b) = bearer {
        req = req.bearer_auth(b);
    }
    let r = req.send().await?;
    if !r.status().is_success() {
        return fail(format!("GET board: {}", r.status()));
    }
    let body = r.bytes().await?;
    run.state_loads.set(run.state_loads.get() + 1);
    run.state_bytes
        .set(run.state_bytes.get() + body.len() as u64);
    Ok(())
}

/// One client: connect, then read everything (and, for a writer, send the ops it is given).
async fn client(
    run: Rc<Run>,
    addr: SocketAddr,
    meeting: i64,
    bearer: Option<String>,
    mut ops: Option<mpsc::UnboundedReceiver<usize>>,
    stop: CancellationToken,
) {
    let t0 = Instant::now();
    let welcomed = async {
        let (ws, load) = connect(addr, meeting, bearer.as_deref(), Some(&run)).await?;
        if load {
            load_state(&run, addr, meeting, bearer.as_deref()).await?;
        }
        Ok::<_, Failure>(ws)
    };
    let mut ws = match welcomed.await {
        Ok(ws) => ws,
        Err(e) => {
            run.connect_failures.set(run.connect_failures.get() + 1);
            run.note_error(format!("connect: {e}"));
            return;
        }
    };
    let now = Instant::now();
    run.connect_ms
        .borrow_mut()
        .push((now - t0).as_secs_f64() * 1000.0);
    run.last_welcome.set(Some(now));
    run.welcomed.set(run.welcomed.get() + 1);
    // Created once: a fresh `cancelled()` per frame would lock the token each time.
    let cancelled = stop.cancelled();
    tokio::pin!(cancelled);
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
                let global = run.op_base + k as u64;
                let frame = board_workshop::add_card_op(global);
                run.slots[k].sent_ns.set(run.now_ns());
                run.sent.set(run.sent.get() + 1);
                if let Err(e) = ws.send(Message::text(frame)).await {
                    if !run.stopping.get() {
                        run.dropped.set(run.dropped.get() + 1);
                        run.note_error(format!("send: {e}"));
                    }
                    return;
                }
            }
            m = ws.next() => match m {
                Some(Ok(Message::Text(t))) => run.on_text(&t),
                Some(Ok(Message::Close(c))) => {
                    if !run.stopping.get() {
                        run.dropped.set(run.dropped.get() + 1);
                        run.note_error(format!("closed by the server: {c:?}"));
                    }
                    return;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    if !run.stopping.get() {
                        run.dropped.set(run.dropped.get() + 1);
                        run.note_error(format!("read: {e}"));
                    }
                    return;
                }
                None => {
                    if !run.stopping.get() {
                        run.dropped.set(run.dropped.get() + 1);
                        run.note_error("connection ended".into());
                    }
                    return;
                }
            }
        }
    }
}

/// The facilitator opens the phase `raccolta` of a meeting and leaves.
async fn open_phase(server: &Server, meeting: i64) -> Result<(), Failure> {
    let (mut ws, _) = connect(server.addr, meeting, Some(&server.facilitator_key), None).await?;
    ws.send(Message::text(
        r#"{"type":"op","op_id":"fase-raccolta","op":{"kind":"set_phase","phase":"raccolta"}}"#,
    ))
    .await?;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let m = tokio::time::timeout_at(deadline.into(), ws.next()).await;
        match m {
            Ok(Some(Ok(Message::Text(t)))) => {
                if t.ends_with("\"type\":\"ack\"}") {
                    break;
                }
                if t.ends_with("\"type\":\"error\"}") {
                    return fail(format!("set_phase refused: {t}"));
                }
            }
            Ok(Some(Ok(_))) => {}
            Ok(other) => return fail(format!("set_phase: connection ended: {other:?}")),
            Err(_) => return fail("set_phase: no ack within 10 s"),
        }
    }
    let _ = ws.close(None).await;
    Ok(())
}

/// Puts `cards` cards on a meeting's board before the idle measurement (Tavolo), 25 per
/// participant connection (under the burst of the per-connection rate limit), 40 at a time.
async fn prefill(server: &Server, meeting: i64, cards: usize) -> Result<(), Failure> {
    let started = Instant::now();
    let chunks = cards.div_ceil(25);
    let mut next_chunk = 0;
    while next_chunk < chunks {
        let mut tasks = Vec::new();
        for c in next_chunk..(next_chunk + 40).min(chunks) {
            let token = server.tokens[c % server.tokens.len()].clone();
            let addr = server.addr;
            let count = 25.min(cards - c * 25);
            tasks.push(tokio::task::spawn_local(async move {
                let (mut ws, _) = connect(addr, meeting, Some(&token), None).await?;
                let base = NEXT_OP.fetch_add(count as u64, std::sync::atomic::Ordering::Relaxed);
                for k in 0..count as u64 {
                    let g = base + k;
                    ws.feed(Message::text(format!(
                        r#"{{"type":"op","op_id":"P{g}","op":{{"kind":"add_card","card_id":"p{g}","card_type":"bisogno","text":"Contributo già sulla lavagna {g:09}: servizi di prossimità per persone anziane sole, trasporto sociale e pasti."}}}}"#
                    )))
                    .await?;
                }
                ws.flush().await?;
                let mut answered = 0;
                while answered < count {
                    match ws.next().await {
                        Some(Ok(Message::Text(t))) => {
                            if t.ends_with("\"type\":\"ack\"}") {
                                answered += 1;
                            } else if t.ends_with("\"type\":\"error\"}") {
                                return fail(format!("prefill refused: {t}"));
                            }
                        }
                        Some(Ok(_)) => {}
                        other => return fail(format!("prefill: connection ended: {other:?}")),
                    }
                }
                let _ = ws.close(None).await;
                Ok::<_, Failure>(())
            }));
        }
        for t in tasks {
            t.await??;
        }
        next_chunk += 40;
    }
    println!(
        "    {cards} cards put on the board first ({:.1} s)",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[derive(Clone, Debug, Default)]
struct ConnectStats {
    welcomed: usize,
    failures: usize,
    /// First connect to last welcome.
    span_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    presence_frames: u64,
    presence_mib: f64,
    /// Kernel counters (whole machine) during the connect phase: accept-queue overflows,
    /// SYN cookies sent, SYNs retransmitted by clients.
    listen_overflows: u64,
    syncookies: u64,
    syn_retrans: u64,
}

#[derive(Clone, Debug)]
struct Idle {
    connect: ConnectStats,
    rss_before_mib: f64,
    rss_mib: f64,
    server_cpu_s: f64,
}

#[derive(Clone, Debug, Default)]
struct LoadResult {
    rate: f64,
    connect: ConnectStats,
    sent: u64,
    acked: u64,
    refused: u64,
    refusals: String,
    achieved: f64,
    delivered_pct: f64,
    duplicates: u64,
    dropped: usize,
    resyncs: usize,
    p50: f64,
    p99: f64,
    p999: f64,
    max: f64,
    samples: u64,
    event_bytes: f64,
    cpu: Option<CpuUse>,
    gen_lag_max_ms: f64,
    rss_mib: f64,
    first_error: Option<String>,
    /// Measured ops whose slowest delivery exceeded the p99 limit: (count, send times in s
    /// after the start of the measured window, the first few).
    stalls: (usize, Vec<(f64, f64)>),
    /// `perf stat` counts of the measured window (server, generator), with --syscalls.
    syscalls: Option<(SyscallCounts, SyscallCounts)>,
    sustainable: bool,
}

/// `perf stat` counts of one process: (event, count per delivered frame).
type SyscallCounts = Vec<(String, f64)>;

/// Starts N clients on a fresh meeting and waits until all are welcomed (or failed).
async fn connect_all(
    ctx: &Ctx,
    server: &mut Server,
    run: &Rc<Run>,
    writers: usize,
    stop: &CancellationToken,
) -> Result<
    (
        Vec<mpsc::UnboundedSender<usize>>,
        Vec<tokio::task::JoinHandle<()>>,
        ConnectStats,
    ),
    Failure,
> {
    let meeting = server.next_meeting()?;
    if server.kind == Kind::Tavolo {
        open_phase(server, meeting).await?;
        if writers == 0 && ctx.args.idle_cards > 0 {
            prefill(server, meeting, ctx.args.idle_cards).await?;
        }
    }
    let n = ctx.args.clients;
    let mut senders = Vec::with_capacity(writers);
    let mut handles = Vec::with_capacity(n);
    wait_quiet(ctx, server.pid).await;
    let tcp_before = tcp_counters();
    let t0 = Instant::now();
    for i in 0..n {
        let ops = if i < writers {
            let (tx, rx) = mpsc::unbounded_channel();
            senders.push(tx);
            Some(rx)
        } else {
            None
        };
        let bearer = server.tokens.get(i).cloned();
        handles.push(tokio::task::spawn_local(client(
            run.clone(),
            server.addr,
            meeting,
            bearer,
            ops,
            stop.clone(),
        )));
    }
    let deadline = t0 + Duration::from_secs_f64(ctx.args.connect_timeout);
    while run.welcomed.get() + run.connect_failures.get() < n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let tcp_after = tcp_counters();
    let tcp_delta = |i: usize| tcp_after[i].saturating_sub(tcp_before[i]);
    let mut ms = run.connect_ms.borrow().clone();
    ms.sort_by(f64::total_cmp);
    let stats = ConnectStats {
        welcomed: run.welcomed.get(),
        failures: run.connect_failures.get(),
        span_s: run
            .last_welcome
            .get()
            .map_or(f64::NAN, |t| (t - t0).as_secs_f64()),
        p50_ms: percentile(&ms, 0.50),
        p99_ms: percentile(&ms, 0.99),
        presence_frames: run.presence.get(),
        presence_mib: run.presence_bytes.get() as f64 / 1048576.0,
        listen_overflows: tcp_delta(0),
        syncookies: tcp_delta(1),
        syn_retrans: tcp_delta(2),
    };
    if stats.welcomed < n {
        stop.cancel();
        return fail(format!(
            "only {} of {n} clients welcomed ({} failed) within {} s; first error: {}",
            stats.welcomed,
            stats.failures,
            ctx.args.connect_timeout,
            run.first_error.borrow().clone().unwrap_or_default()
        ));
    }
    Ok((senders, handles, stats))
}

async fn disconnect_all(
    run: &Run,
    stop: CancellationToken,
    handles: Vec<tokio::task::JoinHandle<()>>,
) {
    run.stopping.set(true);
    stop.cancel();
    for h in handles {
        let _ = h.await;
    }
    // Let the server notice the closed connections before the next measurement.
    tokio::time::sleep(Duration::from_millis(700)).await;
}

async fn idle_run(ctx: &Ctx, server: &mut Server) -> Result<Idle, Failure> {
    let run = Run::new(0);
    let stop = CancellationToken::new();
    let rss_before = rss_mib(server.pid).0;
    let cpu_before = process_ticks(server.pid);
    // With --perf, the connect storm is what is profiled (its first 3 s).
    let perf = ctx.args.perf.as_ref().and_then(|p| start_perf(p, 3.0));
    let (_senders, handles, connect) = connect_all(ctx, server, &run, 0, &stop).await?;
    if let Some(mut p) = perf {
        let _ = p.wait();
    }
    tokio::time::sleep(Duration::from_secs_f64(ctx.args.idle_wait)).await;
    let (rss, hwm) = rss_mib(server.pid);
    let cpu_after = process_ticks(server.pid);
    disconnect_all(&run, stop, handles).await;
    let idle = Idle {
        connect,
        rss_before_mib: rss_before,
        rss_mib: rss,
        server_cpu_s: cpu_after
            .zip(cpu_before)
            .map_or(f64::NAN, |(a, b)| (a - b) as f64 / ticks_per_s()),
    };
    println!(
        "{} idle: {} clients connected and welcomed in {:.3} s (per client p50 {:.1} ms, p99 {:.1} ms); \
         presence frames received {} ({:.1} MiB); kernel: {} accept-queue overflows, {} SYN cookies, {} SYN retransmits; server RSS {:.1} MiB before, {:.1} MiB with {} idle connections (peak {:.1} MiB); server CPU {:.2} s",
        server.kind.name(),
        idle.connect.welcomed,
        idle.connect.span_s,
        idle.connect.p50_ms,
        idle.connect.p99_ms,
        idle.connect.presence_frames,
        idle.connect.presence_mib,
        idle.connect.listen_overflows,
        idle.connect.syncookies,
        idle.connect.syn_retrans,
        idle.rss_before_mib,
        idle.rss_mib,
        ctx.args.clients,
        hwm,
        idle.server_cpu_s
    );
    println!(
        "    welcome frame {:.1} KiB; state loaded over HTTP by {} clients ({:.1} KiB each as sent); server RSS per connection {:.1} KiB",
        run.welcome_bytes.get() as f64 / 1024.0,
        run.state_loads.get(),
        run.state_bytes.get() as f64 / 1024.0 / run.state_loads.get().max(1) as f64,
        (idle.rss_mib - idle.rss_before_mib) * 1024.0 / ctx.args.clients as f64
    );
    let at = run.presence_at.borrow();
    if !at.is_empty() {
        let mut buckets: BTreeMap<u32, usize> = BTreeMap::new();
        for ms in at.iter() {
            *buckets.entry(ms / 250 * 250).or_default() += 1;
        }
        let list: Vec<String> = buckets
            .iter()
            .map(|(t, n)| format!("{t} ms: {n}"))
            .collect();
        println!(
            "    presence frames received by arrival time (250 ms bins): {}",
            list.join(", ")
        );
    }
    Ok(idle)
}

async fn rate_run(
    ctx: &Ctx,
    server: &mut Server,
    rate: f64,
    duration: f64,
) -> Result<LoadResult, Failure> {
    print_load_header();
    let r = load_run(ctx, server, rate, duration).await?;
    print_load_row(server.kind.name(), &r, &ctx.args);
    print_load_notes(&r);
    Ok(r)
}

#[derive(Clone, Debug)]
struct MaxResult {
    best: f64,
    /// Every step passed: the real maximum is higher than `best`.
    capped: bool,
}

async fn find_max(ctx: &Ctx, server: &mut Server) -> Result<MaxResult, Failure> {
    let a = &ctx.args;
    println!(
        "{} find-max: {} s per step after {} s warm-up; sustainable = p99 ≤ {} ms, ≥ {}% delivered, no refusal, ≥ 95% of the rate acked",
        server.kind.name(),
        a.step_duration,
        a.warmup,
        a.p99_limit,
        a.delivered_min
    );
    print_load_header();
    // Latency is not monotonic in the rate (a saturated server batches more frames per write
    // and gets cheaper per frame): a failing step does not end the search, two in a row do.
    let mut best = 0.0;
    let mut failed: Option<f64> = None;
    let mut failures_in_a_row = 0;
    for &rate in &a.rates {
        let r = load_run(ctx, server, rate, a.step_duration).await?;
        print_load_row(server.kind.name(), &r, a);
        if r.sustainable {
            best = rate;
            failed = None;
            failures_in_a_row = 0;
        } else {
            print_load_notes(&r);
            failed = failed.or(Some(rate));
            failures_in_a_row += 1;
            if failures_in_a_row == 2 {
                break;
            }
        }
    }
    if let Some(mut hi) = failed {
        let mut lo = best;
        for _ in 0..a.refine {
            let mid = ((lo + hi) / 2.0 / 10.0).round() * 10.0;
            if mid <= lo || mid >= hi {
                break;
            }
            let r = load_run(ctx, server, mid, a.step_duration).await?;
            print_load_row(server.kind.name(), &r, a);
            if r.sustainable {
                lo = mid;
            } else {
                print_load_notes(&r);
                hi = mid;
            }
        }
        best = lo;
    }
    println!(
        "{} highest sustainable rate: {best:.0} cards/s{}",
        server.kind.name(),
        if failed.is_none() {
            " (every step passed: raise --rates)"
        } else {
            ""
        }
    );
    Ok(MaxResult {
        best,
        capped: failed.is_none(),
    })
}

/// A fixed-rate measurement, repeated (up to 3 times) while other processes used more than
/// `--quiet-max` % of a core during its measured window.
async fn load_run(
    ctx: &Ctx,
    server: &mut Server,
    rate: f64,
    duration: f64,
) -> Result<LoadResult, Failure> {
    let mut attempt = 1;
    loop {
        let r = load_once(ctx, server, rate, duration).await?;
        let others = r.cpu.map_or(0.0, |c| c.others);
        if others <= ctx.args.quiet_max || attempt == 3 {
            return Ok(r);
        }
        print_load_row(server.kind.name(), &r, &ctx.args);
        println!("    ^ other processes used {others:.0}% of a core meanwhile: measuring again");
        attempt += 1;
    }
}

/// One fixed-rate measurement on a fresh meeting with fresh connections.
async fn load_once(
    ctx: &Ctx,
    server: &mut Server,
    rate: f64,
    duration: f64,
) -> Result<LoadResult, Failure> {
    let a = &ctx.args;
    let n = a.clients;
    let writers = writers_of(a);
    let warm_ops = (a.warmup * rate).round() as usize;
    let total_ops = warm_ops + (duration * rate).round() as usize;
    let run = Run::new(total_ops);
    for slot in &run.slots[warm_ops..] {
        slot.measured.set(true);
    }
    let stop = CancellationToken::new();
    let (senders, handles, connect) = connect_all(ctx, server, &run, writers, &stop).await?;
    let coalescer = (a.coalesce_us > 0).then(|| {
        let pause = Duration::from_micros(a.coalesce_us);
        tokio::task::spawn_local(async move {
            loop {
                // Blocks the (only) thread on purpose, then lets every ready socket be read.
                std::thread::sleep(pause);
                tokio::task::yield_now().await;
            }
        })
    });
    // Let the joins' presence frames pass.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let events_before = run.events.get();

    // The schedule: op k due at k/rate, to writer k mod W.
    let start = Instant::now();
    let mut lag_max = Duration::ZERO;
    let mut cpu_begin = None;
    let mut perf: Option<Child> = None;
    let mut stats: Option<(Option<Child>, Option<Child>)> = None;
    let mut measured_start = start;
    for k in 0..total_ops {
        let due = start + Duration::from_secs_f64(k as f64 / rate);
        let now = Instant::now();
        if due > now {
            tokio::time::sleep_until(due.into()).await;
        }
        lag_max = lag_max.max(Instant::now().saturating_duration_since(due));
        if k == warm_ops {
            cpu_begin = cpu_snapshot(server.pid);
            measured_start = Instant::now();
            if let Some(path) = &a.perf {
                perf = start_perf(path, duration);
            }
            if a.syscalls {
                stats = Some((
                    start_perf_stat(server.pid, duration),
                    start_perf_stat(std::process::id(), duration),
                ));
            }
        }
        let _ = senders[k % writers].send(k);
    }
    let end_due = start + Duration::from_secs_f64(total_ops as f64 / rate);
    tokio::time::sleep_until(end_due.into()).await;
    let cpu_end = cpu_snapshot(server.pid);
    let measured_secs = (Instant::now() - measured_start).as_secs_f64();
    if let Some(mut p) = perf.take() {
        let _ = p.wait();
    }
    let syscalls = stats.map(|(srv, gen_)| (finish_perf_stat(srv), finish_perf_stat(gen_)));

    // Drain: until every measured op is acked (or refused) and delivered everywhere.
    let drain_deadline = Instant::now() + Duration::from_secs_f64(a.drain);
    loop {
        let done = run
            .slots
            .iter()
            .all(|s| s.refused.get() || (s.acked.get() && s.deliveries.get() as usize >= n));
        if done || Instant::now() >= drain_deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    run.counting.set(false);
    if let Some(c) = coalescer {
        c.abort();
    }
    let rss = rss_mib(server.pid).0;
    disconnect_all(&run, stop, handles).await;

    let measured = &run.slots[warm_ops..];
    let acked: Vec<&Slot> = measured.iter().filter(|s| s.acked.get()).collect();
    let delivered: u64 = acked
        .iter()
        .map(|s| (s.deliveries.get() as u64).min(n as u64))
        .sum();
    let duplicates: u64 = run
        .slots
        .iter()
        .map(|s| (s.deliveries.get() as u64).saturating_sub(n as u64))
        .sum();
    let hist = run.hist.borrow();
    let refused = measured.iter().filter(|s| s.refused.get()).count() as u64;
    let events = run.events.get() - events_before;
    let mut r = LoadResult {
        rate,
        connect,
        sent: measured.iter().filter(|s| s.sent_ns.get() != 0).count() as u64,
        acked: acked.len() as u64,
        refused,
        refusals: run
            .refusals
            .borrow()
            .iter()
            .map(|(k, v)| format!("{k}×{v}"))
            .collect::<Vec<_>>()
            .join(" "),
        achieved: acked.len() as f64 / measured_secs,
        delivered_pct: if acked.is_empty() {
            0.0
        } else {
            100.0 * delivered as f64 / (acked.len() as f64 * n as f64)
        },
        duplicates,
        dropped: run.dropped.get(),
        resyncs: run.resyncs.get(),
        p50: hist.percentile(0.50),
        p99: hist.percentile(0.99),
        p999: hist.percentile(0.999),
        max: hist.max_ns as f64 / 1e6,
        samples: hist.n,
        event_bytes: if events == 0 {
            0.0
        } else {
            run.event_bytes.get() as f64 / run.events.get().max(1) as f64
        },
        cpu: cpu_begin.zip(cpu_end).and_then(|(b, e)| cpu_use(&b, &e)),
        gen_lag_max_ms: lag_max.as_secs_f64() * 1000.0,
        rss_mib: rss,
        first_error: run.first_error.borrow().clone(),
        stalls: {
            let origin = measured
                .iter()
                .map(|s| s.sent_ns.get())
                .filter(|t| *t != 0)
                .min()
                .unwrap_or(0);
            let slow: Vec<(f64, f64)> = measured
                .iter()
                .filter(|s| f64::from(s.slowest_us.get()) / 1000.0 > a.p99_limit)
                .map(|s| {
                    (
                        s.sent_ns.get().saturating_sub(origin) as f64 / 1e9,
                        f64::from(s.slowest_us.get()) / 1000.0,
                    )
                })
                .collect();
            (slow.len(), slow.into_iter().take(12).collect())
        },
        syscalls,
        sustainable: false,
    };
    r.sustainable = r.p99 <= a.p99_limit
        && r.delivered_pct >= a.delivered_min
        && r.refused == 0
        && r.achieved >= 0.95 * rate;
    Ok(r)
}

fn print_load_header() {
    println!(
        "{:<14} {:>6} {:>8} {:>7} {:>8} {:>8} {:>8} {:>8} {:>8} {:>6} {:>6} {:>6} {:>6} {:>6} {:>7}  verdict",
        "server",
        "rate",
        "achieved",
        "refused",
        "deliv%",
        "p50 ms",
        "p99 ms",
        "p99.9",
        "max ms",
        "srv%",
        "gen%",
        "core0",
        "core1",
        "other",
        "RSS MiB",
    );
}

fn print_load_row(name: &str, r: &LoadResult, a: &Args) {
    let c = r.cpu.unwrap_or_default();
    let generator_bound = c.client > 90.0;
    let server_bound = c.server > 90.0;
    let verdict = if r.sustainable {
        "ok".to_string()
    } else {
        let mut why = Vec::new();
        if r.p99 > a.p99_limit {
            why.push("p99");
        }
        if r.delivered_pct < a.delivered_min {
            why.push("delivery");
        }
        if r.refused > 0 {
            why.push("refusals");
        }
        if r.achieved < 0.95 * r.rate {
            why.push("rate");
        }
        format!("FAIL ({})", why.join(", "))
    };
    println!(
        "{:<14} {:>6.0} {:>8.1} {:>7} {:>8.3} {:>8.2} {:>8.2} {:>8.2} {:>8.1} {:>6.0} {:>6.0} {:>6.0} {:>6.0} {:>6.0} {:>7.1}  {}{}",
        name,
        r.rate,
        r.achieved,
        r.refused,
        r.delivered_pct,
        r.p50,
        r.p99,
        r.p999,
        r.max,
        c.server,
        c.client,
        c.core0,
        c.core1,
        c.others,
        r.rss_mib,
        verdict,
        match (server_bound, generator_bound) {
            (true, true) => " [server and generator saturated]",
            (true, false) => " [server saturated]",
            (false, true) => " [generator saturated]",
            _ => "",
        }
    );
}

fn print_load_notes(r: &LoadResult) {
    println!(
        "    connect {:.2} s (accept-queue overflows {}, SYN retransmits {}); sent {} acked {} refused {} ({}); dropped {} resync {} duplicates {}; {} latency samples; event frame {:.0} B; generator max lag {:.1} ms",
        r.connect.span_s,
        r.connect.listen_overflows,
        r.connect.syn_retrans,
        r.sent,
        r.acked,
        r.refused,
        if r.refusals.is_empty() {
            "-"
        } else {
            &r.refusals
        },
        r.dropped,
        r.resyncs,
        r.duplicates,
        r.samples,
        r.event_bytes,
        r.gen_lag_max_ms
    );
    if r.stalls.0 > 0 {
        let list: Vec<String> = r
            .stalls
            .1
            .iter()
            .map(|(t, ms)| format!("{t:.2} s→{ms:.0} ms"))
            .collect();
        println!(
            "    {} ops had a delivery slower than the p99 limit (sent at → slowest): {}",
            r.stalls.0,
            list.join(", ")
        );
    }
    if let Some((srv, gen_)) = &r.syscalls {
        let delivered = r.samples.max(1) as f64;
        for (who, counts) in [("server", srv), ("generator", gen_)] {
            let items: Vec<String> = counts
                .iter()
                .map(|(event, n)| {
                    let short = event
                        .rsplit(':')
                        .next()
                        .unwrap_or(event)
                        .trim_start_matches("sys_enter_");
                    format!("{short} {:.0} ({:.2}/frame)", n, n / delivered)
                })
                .collect();
            println!("    {who}: {}", items.join(", "));
        }
    }
    if let Some(e) = &r.first_error {
        println!(
            "    first error: {}",
            e.chars().take(300).collect::<String>()
        );
    }
}

fn median(v: &[f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let m = s.len() / 2;
    if s.len() % 2 == 1 {
        s[m]
    } else {
        (s[m - 1] + s[m]) / 2.0
    }
}

/// Field-wise medians of several runs at the same rate.
fn median_load(runs: &[LoadResult]) -> LoadResult {
    let m = |f: &dyn Fn(&LoadResult) -> f64| median(&runs.iter().map(f).collect::<Vec<_>>());
    let mc = |f: &dyn Fn(&CpuUse) -> f64| {
        median(
            &runs
                .iter()
                .map(|r| r.cpu.map_or(f64::NAN, |c| f(&c)))
                .collect::<Vec<_>>(),
        )
    };
    let mut out = runs[0].clone();
    out.achieved = m(&|r| r.achieved);
    out.delivered_pct = m(&|r| r.delivered_pct);
    out.refused = m(&|r| r.refused as f64) as u64;
    out.p50 = m(&|r| r.p50);
    out.p99 = m(&|r| r.p99);
    out.p999 = m(&|r| r.p999);
    out.max = m(&|r| r.max);
    out.rss_mib = m(&|r| r.rss_mib);
    out.cpu = Some(CpuUse {
        server: mc(&|c| c.server),
        client: mc(&|c| c.client),
        core0: mc(&|c| c.core0),
        core1: mc(&|c| c.core1),
        others: mc(&|c| c.others),
    });
    out.sustainable = runs.iter().filter(|r| r.sustainable).count() * 2 > runs.len();
    out
}

// --- the machine -------------------------------------------------------------------------------

/// `perf record` of the whole machine (both cores) for `secs` seconds.
fn start_perf(path: &Path, secs: f64) -> Option<Child> {
    Command::new("perf")
        .args(["record", "-a", "-e", "cpu-clock", "-F", "1999", "-o"])
        .arg(path)
        .args(["--", "sleep", &format!("{secs:.1}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| eprintln!("board_load: cannot start perf: {e}"))
        .ok()
}

const STAT_EVENTS: &str = "raw_syscalls:sys_enter,syscalls:sys_enter_sendto,syscalls:sys_enter_write,\
syscalls:sys_enter_recvfrom,syscalls:sys_enter_read,syscalls:sys_enter_epoll_wait,\
syscalls:sys_enter_pwrite64,syscalls:sys_enter_fsync,syscalls:sys_enter_fdatasync,context-switches";

/// `perf stat` of one process (all its threads) for `secs` seconds, CSV on stdout.
fn start_perf_stat(pid: u32, secs: f64) -> Option<Child> {
    Command::new("perf")
        .args(["stat", "-x", ",", "-e", STAT_EVENTS, "-p", &pid.to_string()])
        .args(["--", "sleep", &format!("{secs:.1}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| eprintln!("board_load: cannot start perf stat: {e}"))
        .ok()
}

fn finish_perf_stat(child: Option<Child>) -> Vec<(String, f64)> {
    let Some(child) = child else {
        return Vec::new();
    };
    let Ok(out) = child.wait_with_output() else {
        return Vec::new();
    };
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            Some((f.get(2)?.to_string(), f.first()?.parse::<f64>().ok()?))
        })
        .collect()
}

/// ListenOverflows, SyncookiesSent, TCPSynRetrans from /proc/net/netstat.
fn tcp_counters() -> [u64; 3] {
    let text = std::fs::read_to_string("/proc/net/netstat").unwrap_or_default();
    let mut lines = text.lines().filter(|l| l.starts_with("TcpExt:"));
    let (Some(keys), Some(values)) = (lines.next(), lines.next()) else {
        return [0; 3];
    };
    let pairs: Vec<(&str, u64)> = keys
        .split_whitespace()
        .zip(values.split_whitespace())
        .map(|(k, v)| (k, v.parse().unwrap_or(0)))
        .collect();
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| *k == name)
            .map_or(0, |(_, v)| *v)
    };
    [
        get("ListenOverflows"),
        get("SyncookiesSent"),
        get("TCPSynRetrans"),
    ]
}

/// Waits (up to `--quiet-timeout` s) until the rest of the machine (everything but the server
/// and this process) uses less than `--quiet-max` % of one core over a second: on a 2-core
/// machine a compiler running next to the benchmark would decide the figures.
async fn wait_quiet(ctx: &Ctx, server_pid: u32) {
    let started = Instant::now();
    let mut said = false;
    loop {
        let Some(before) = cpu_snapshot(server_pid) else {
            return;
        };
        tokio::time::sleep(Duration::from_secs(1)).await;
        let Some(after) = cpu_snapshot(server_pid) else {
            return;
        };
        let Some(used) = cpu_use(&before, &after) else {
            return;
        };
        if used.others < ctx.args.quiet_max {
            if said {
                println!(
                    "    machine quiet after {:.0} s (others {:.0}%)",
                    started.elapsed().as_secs_f64(),
                    used.others
                );
            }
            return;
        }
        if started.elapsed().as_secs_f64() > ctx.args.quiet_timeout {
            println!(
                "    WARNING: other processes still use {:.0}% of a core after {:.0} s: measuring anyway",
                used.others, ctx.args.quiet_timeout
            );
            return;
        }
        if !said {
            println!(
                "    waiting for the machine to be quiet (other processes use {:.0}% of a core)…",
                used.others
            );
            said = true;
        }
    }
}

fn default_bin_dir() -> PathBuf {
    // target/release/examples/board_load → target/release
    std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().and_then(Path::parent).map(Path::to_path_buf))
        .filter(|d| d.join("tavolo").is_file())
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release"))
}

fn cpu_count() -> usize {
    std::fs::read_to_string("/proc/stat")
        .map(|s| {
            s.lines()
                .filter(|l| l.starts_with("cpu") && !l.starts_with("cpu "))
                .count()
        })
        .unwrap_or(0)
        .max(std::thread::available_parallelism().map_or(1, |n| n.get()))
}

fn mem_total_mib() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

fn kernel() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// VmRSS and VmHWM of a process, in MiB.
fn rss_mib(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn ticks_per_s() -> f64 {
    100.0 // USER_HZ on Linux
}

/// utime + stime of a process (all its threads), in clock ticks.
fn process_ticks(pid: u32) -> Option<u64> {
    ticks_of(&format!("/proc/{pid}/stat"))
}

fn ticks_of(path: &str) -> Option<u64> {
    let s = std::fs::read_to_string(path).ok()?;
    let after = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = after.split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

/// CPU use over the measured window, in % of one core.
#[derive(Debug, Clone, Copy, Default)]
struct CpuUse {
    server: f64,
    client: f64,
    /// Busy share of core 0 (the server's) and core 1 (the generator's), whoever used them.
    core0: f64,
    core1: f64,
    /// Busy time of the whole machine not charged to server or generator (other processes,
    /// kernel work such as softirqs), in % of one core.
    others: f64,
}

struct CpuSnapshot {
    /// (busy, total) ticks of the machine, core 0, core 1.
    all: (u64, u64),
    core0: (u64, u64),
    core1: (u64, u64),
    client: u64,
    server: u64,
}

fn cpu_snapshot(server_pid: u32) -> Option<CpuSnapshot> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = |name: &str| -> Option<(u64, u64)> {
        let l = stat
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))?;
        let v: Vec<u64> = l
            .split_whitespace()
            .skip(1)
            .take(8)
            .map(|x| x.parse().unwrap_or(0))
            .collect();
        let [user, nice, system, idle, iowait, irq, softirq, steal] = v[..] else {
            return None;
        };
        let busy = user + nice + system + irq + softirq + steal;
        Some((busy, busy + idle + iowait))
    };
    Some(CpuSnapshot {
        all: line("cpu")?,
        core0: line("cpu0")?,
        core1: line("cpu1").unwrap_or((0, 0)),
        client: ticks_of("/proc/self/stat")?,
        server: process_ticks(server_pid)?,
    })
}

fn cpu_use(b: &CpuSnapshot, a: &CpuSnapshot) -> Option<CpuUse> {
    let share = |x: (u64, u64), y: (u64, u64)| {
        let total = (y.1 - x.1) as f64;
        if total <= 0.0 {
            0.0
        } else {
            100.0 * (y.0 - x.0) as f64 / total
        }
    };
    let cpus = cpu_count() as f64;
    let per_core = (a.all.1 - b.all.1) as f64 / cpus;
    if per_core <= 0.0 {
        return None;
    }
    let server = (a.server - b.server) as f64;
    let client = (a.client - b.client) as f64;
    let busy = (a.all.0 - b.all.0) as f64;
    Some(CpuUse {
        server: 100.0 * server / per_core,
        client: 100.0 * client / per_core,
        core0: share(b.core0, a.core0),
        core1: share(b.core1, a.core1),
        others: 100.0 * (busy - server - client).max(0.0) / per_core,
    })
}
