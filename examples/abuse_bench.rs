//! Abuse benchmark: the release server under a login flood and under slow headers.
//!
//! ```text
//! cargo build --release --bin tavolo --example abuse_bench
//! cargo run --release --example abuse_bench -- --runs 3
//! ```
//!
//! It builds nothing: it starts the already built server (`target/release/tavolo`, or `--bin`)
//! with its production defaults, a fresh SQLite database, the shipped workshop files and an
//! organiser made with `tavolo admin create`. The server starts with a soft open-file limit of
//! 1,024 (hard limit unchanged, as systemd gives services), as in the attack report.
//!
//! 1. **Login flood.** `--logins` tasks POST `/accedi` at once, each with a made-up e-mail and
//!    each from its own loopback address (127.1.x.y: the per-address throttle does not stop
//!    them, so every one reaches the hashing pool, the worst case). Meanwhile the organiser,
//!    from 127.0.0.1, logs in with the right password, retrying after `Retry-After` on a 503.
//!    Printed: the server's resident memory (VmRSS, sampled every 5 ms) at its peak above the
//!    idle figure taken just before (target < 64 MiB), the flood's statuses, and the right
//!    login's attempts, their statuses and latencies. Baseline in the same run: one right login
//!    on the idle server.
//! 2. **Slow headers.** `--slow` connections each send half a request and stop. Then `/healthz`
//!    is asked 5 times, each on a new connection: the slowest answer is printed (target
//!    ≤ 1 s), and how many slow connections the server closed within the header timeout + 5 s.
//!    Baseline in the same run: `/healthz` on the idle server.
//!
//! The medians over `--runs` runs are printed at the end. Loopback only; every loop is bounded.

#[path = "common/machine.rs"]
mod machine;

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const EMAIL: &str = "bench@example.it";
const PASSWORD: &str = "banco-di-prova-tavolo-2027";

#[derive(Parser, Debug)]
#[command(
    name = "abuse_bench",
    about = "Login flood and slow headers against a release tavolo"
)]
struct Args {
    /// Failed logins fired at once, each from its own loopback address.
    #[arg(long, default_value_t = 1000)]
    logins: usize,
    /// Connections that send half a request.
    #[arg(long, default_value_t = 1100)]
    slow: usize,
    #[arg(long, default_value_t = 1)]
    runs: usize,
    /// The server binary (default: `tavolo` beside this program's directory).
    #[arg(long)]
    bin: Option<PathBuf>,
}

type Failure = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, Default, Clone)]
struct Run {
    idle_rss_mib: f64,
    peak_above_idle_mib: f64,
    flood_statuses: std::collections::BTreeMap<String, usize>,
    flood_wall_s: f64,
    idle_login_ms: f64,
    right_login: Vec<(u16, f64)>,
    /// From the first try to the 303, waits after a 503 included.
    right_login_wall_ms: f64,
    idle_healthz_ms: f64,
    healthz_max_ms: f64,
    healthz_failures: usize,
    slow_opened: usize,
    slow_closed: usize,
    /// The server's soft open-file limit once started (it was started with 1,024).
    server_nofile: Option<u64>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    machine::raise_nofile(args.slow + args.logins + 512, 65_536, "abuse_bench");
    let bin = args.bin.clone().unwrap_or_else(default_bin);
    if !bin.is_file() {
        eprintln!(
            "abuse_bench: no server binary at {}: cargo build --release --bin tavolo",
            bin.display()
        );
        return ExitCode::from(2);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "abuse_bench: {} ({} CPUs), server {}",
        machine::cpu_model(),
        num_cpus(),
        bin.display()
    );
    let mut runs = Vec::new();
    for i in 0..args.runs {
        match run_once(&args, &bin, &runtime) {
            Ok(r) => {
                print_run(i + 1, &r);
                runs.push(r);
            }
            Err(e) => {
                eprintln!("abuse_bench: run {} failed: {e}", i + 1);
                return ExitCode::from(2);
            }
        }
    }
    print_medians(&runs);
    ExitCode::SUCCESS
}

fn num_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn default_bin() -> PathBuf {
    if let Ok(exe) = std::env::current_exe() {
        if let Some(profile_dir) = exe.parent().and_then(Path::parent) {
            let candidate = profile_dir.join("tavolo");
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/tavolo")
}

fn run_once(args: &Args, bin: &Path, runtime: &tokio::runtime::Runtime) -> Result<Run, Failure> {
    let tmp = tempfile::Builder::new().prefix("tavolo-abuse-").tempdir()?;
    let db = format!("sqlite://{}/abuse.db", tmp.path().display());
    let workshops = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("workshops");
    let env = |c: &mut Command| {
        c.env("DATABASE_URL", &db)
            .env("TAVOLO_WORKSHOPS", &workshops)
            .env("RUST_LOG", "error");
    };
    // The organiser.
    let mut create = Command::new(bin);
    env(&mut create);
    let mut create = create
        .args(["admin", "create", "--email", EMAIL, "--name", "Bench"])
        .args(["--role", "organiser", "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    create
        .stdin
        .take()
        .expect("piped")
        .write_all(format!("{PASSWORD}\n").as_bytes())?;
    let out = create.wait_with_output()?;
    if !out.status.success() {
        return Err(format!(
            "tavolo admin create: {}",
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    // The server, with the usual soft limit of 1,024 open files.
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let hard = hard_nofile().unwrap_or(1024);
    let mut c = Command::new("prlimit");
    c.arg(format!("--nofile=1024:{hard}"))
        .arg("--")
        .arg(bin)
        .arg("serve");
    env(&mut c);
    let log = tmp.path().join("server.log");
    let mut server = Server(
        c.env("TAVOLO_BIND", format!("127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log)?)
            .stderr(std::fs::File::create(tmp.path().join("server.err"))?)
            .spawn()?,
    );
    let base = format!("http://127.0.0.1:{port}");
    runtime.block_on(async {
        wait_ready(&base, &mut server.0).await?;
        let mut run = Run {
            server_nofile: soft_nofile_of(server.0.id()),
            ..Run::default()
        };
        login_flood(args, &base, server.0.id(), &mut run).await?;
        slow_headers(args, &base, port, &mut run).await?;
        Ok::<_, Failure>(run)
    })
}

/// Stopped (SIGTERM, then SIGKILL) when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn soft_nofile_of(pid: u32) -> Option<u64> {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn hard_nofile() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

async fn wait_ready(base: &str, server: &mut Child) -> Result<(), Failure> {
    let client = reqwest::Client::builder().no_proxy().build()?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Some(status) = server.try_wait()? {
            return Err(format!("the server exited: {status}").into());
        }
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await {
            if r.status() == 200 {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err("the server was not ready within 60 s".into())
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn client_from(source: IpAddr) -> Result<reqwest::Client, Failure> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .local_address(source)
        .timeout(Duration::from_secs(120))
        .build()?)
}

/// A CSRF cookie and its token, as a browser gets them from the login page.
async fn csrf(client: &reqwest::Client, base: &str) -> Result<(String, String), Failure> {
    let res = client.get(format!("{base}/accedi")).send().await?;
    let set = res
        .headers()
        .get("set-cookie")
        .ok_or("no CSRF cookie")?
        .to_str()?
        .to_string();
    let pair = set.split(';').next().unwrap_or_default().to_string();
    let token = pair
        .split_once('=')
        .map(|(_, v)| v.to_string())
        .unwrap_or_default();
    Ok((pair, token))
}

async fn post_login(
    client: &reqwest::Client,
    base: &str,
    cookie: &(String, String),
    email: &str,
    password: &str,
) -> Result<(u16, Option<u64>), Failure> {
    let res = client
        .post(format!("{base}/accedi"))
        .header("cookie", &cookie.0)
        .form(&[
            ("csrf", cookie.1.as_str()),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await?;
    let retry = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok()?.parse().ok());
    let status = res.status().as_u16();
    let _ = res.bytes().await;
    Ok((status, retry))
}

async fn login_flood(args: &Args, base: &str, pid: u32, run: &mut Run) -> Result<(), Failure> {
    let user = client_from(IpAddr::V4(Ipv4Addr::LOCALHOST))?;
    let cookie = csrf(&user, base).await?;
    // Baseline: one right login on the idle server (then the session is not used).
    let t = Instant::now();
    let (status, _) = post_login(&user, base, &cookie, EMAIL, PASSWORD).await?;
    run.idle_login_ms = t.elapsed().as_secs_f64() * 1000.0;
    if status != 303 {
        return Err(format!("the idle login answered {status}").into());
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let idle = rss_kib(pid).ok_or("no VmRSS")?;
    run.idle_rss_mib = idle as f64 / 1024.0;
    // The memory sampler.
    let peak = Arc::new(AtomicU64::new(idle));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (peak.clone(), done.clone());
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                if let Some(kib) = rss_kib(pid) {
                    peak.fetch_max(kib, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    // The attackers: each its own address and made-up e-mail, each a fresh connection.
    let start = Arc::new(tokio::sync::Barrier::new(args.logins + 1));
    let mut attackers = Vec::new();
    for i in 0..args.logins {
        let source = IpAddr::V4(Ipv4Addr::new(127, 1, (i / 250) as u8, (i % 250 + 1) as u8));
        let client = client_from(source)?;
        let (base, cookie, start) = (base.to_string(), cookie.clone(), start.clone());
        attackers.push(tokio::spawn(async move {
            start.wait().await;
            post_login(
                &client,
                &base,
                &cookie,
                &format!("nessuno{i}@example.it"),
                "indovina",
            )
            .await
            .map(|(s, _)| s.to_string())
            .unwrap_or_else(|e| format!("error: {e}"))
        }));
    }
    start.wait().await;
    let t = Instant::now();
    // The organiser, meanwhile: the right password, retrying after a 503 as a person would.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let first_try = Instant::now();
    for _ in 0..10 {
        let t = Instant::now();
        let (status, retry) = post_login(&user, base, &cookie, EMAIL, PASSWORD).await?;
        run.right_login
            .push((status, t.elapsed().as_secs_f64() * 1000.0));
        if status == 303 || status == 429 {
            run.right_login_wall_ms = first_try.elapsed().as_secs_f64() * 1000.0;
            break;
        }
        tokio::time::sleep(Duration::from_secs(retry.unwrap_or(1))).await;
    }
    for a in attackers {
        *run.flood_statuses.entry(a.await?).or_default() += 1;
    }
    run.flood_wall_s = t.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    sampler.await?;
    run.peak_above_idle_mib = (peak.load(Ordering::Relaxed).saturating_sub(idle)) as f64 / 1024.0;
    Ok(())
}

async fn healthz_ms(base: &str) -> Option<f64> {
    // A new connection each time, like a load balancer's probe.
    let client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(30))
        .build()
        .ok()?;
    let t = Instant::now();
    let res = client.get(format!("{base}/healthz")).send().await.ok()?;
    (res.status() == 200).then(|| t.elapsed().as_secs_f64() * 1000.0)
}

async fn slow_headers(args: &Args, base: &str, port: u16, run: &mut Run) -> Result<(), Failure> {
    run.idle_healthz_ms = healthz_ms(base).await.ok_or("healthz on the idle server")?;
    let mut slow = Vec::new();
    for i in 0..args.slow {
        let source = Ipv4Addr::new(127, 2, (i / 250) as u8, (i % 250 + 1) as u8);
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind((source, 0).into())?;
        match socket.connect((Ipv4Addr::LOCALHOST, port).into()).await {
            Ok(mut s) => {
                let _ = s
                    .write_all(b"GET / HTTP/1.1\r\nHost: tavolo\r\nX-Lento: ")
                    .await;
                slow.push(s);
            }
            Err(_) => break,
        }
    }
    run.slow_opened = slow.len();
    let opened = Instant::now();
    for _ in 0..5 {
        match healthz_ms(base).await {
            Some(ms) => run.healthz_max_ms = run.healthz_max_ms.max(ms),
            None => run.healthz_failures += 1,
        }
    }
    // How many the server closed within its header timeout (10 s) + 5 s.
    let deadline = opened + Duration::from_secs(15);
    let mut closed = 0;
    for s in &mut slow {
        let left = deadline.saturating_duration_since(Instant::now());
        let mut buf = [0u8; 512];
        let gone = tokio::time::timeout(left, async {
            loop {
                match s.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => continue,
                }
            }
        })
        .await
        .is_ok();
        closed += usize::from(gone);
    }
    run.slow_closed = closed;
    Ok(())
}

fn print_run(i: usize, r: &Run) {
    println!(
        "run {i}: server's open-file limit {} (started with 1024)",
        r.server_nofile.map_or("?".into(), |n| n.to_string())
    );
    println!(
        "  login flood: idle RSS {:.1} MiB, peak {:.1} MiB above idle; statuses {:?} in {:.2} s",
        r.idle_rss_mib, r.peak_above_idle_mib, r.flood_statuses, r.flood_wall_s
    );
    println!(
        "  right login: idle {:.0} ms; during the flood {:?} (status, ms), {:.0} ms to get in",
        r.idle_login_ms, r.right_login, r.right_login_wall_ms
    );
    println!(
        "  slow headers: {} open; /healthz idle {:.1} ms, slowest of 5 during {:.1} ms, {} failed; {} of {} closed by the server",
        r.slow_opened,
        r.idle_healthz_ms,
        r.healthz_max_ms,
        r.healthz_failures,
        r.slow_closed,
        r.slow_opened
    );
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn print_medians(runs: &[Run]) {
    let m = |f: &dyn Fn(&Run) -> f64| median(runs.iter().map(f).collect());
    let right_total = |r: &Run| r.right_login.iter().map(|(_, ms)| ms).sum::<f64>();
    println!("median of {} run(s):", runs.len());
    println!(
        "  RSS above idle during {} parallel failed logins: {:.1} MiB (target < 64); idle RSS {:.1} MiB",
        runs[0].flood_statuses.values().sum::<usize>(),
        m(&|r| r.peak_above_idle_mib),
        m(&|r| r.idle_rss_mib)
    );
    println!(
        "  right login: {:.0} ms idle; during the flood first answer {:.0} ms, answering time until the 303 {:.0} ms, {:.0} ms to get in (waits after a 503 included)",
        m(&|r| r.idle_login_ms),
        m(&|r| r.right_login.first().map_or(f64::NAN, |x| x.1)),
        m(&right_total),
        m(&|r| r.right_login_wall_ms)
    );
    println!(
        "  /healthz with {} slow-header connections open: slowest {:.1} ms (target ≤ 1000), idle {:.1} ms",
        runs[0].slow_opened,
        m(&|r| r.healthz_max_ms),
        m(&|r| r.idle_healthz_ms)
    );
}
