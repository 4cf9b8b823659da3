//! The machine, as the benchmark programs see it: pinning, the open-files limit, the CPU's
//! name, percentiles. Included by `bench_enroll` and `board_load` (`#[path]`).
#![allow(dead_code)]

use std::process::{Command, Stdio};

/// Pins this process to CPU 1 (the server runs on CPU 0).
pub fn pin_self_to_cpu1() -> bool {
    Command::new("taskset")
        .args(["-p", "-c", "1", &std::process::id().to_string()])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The soft limit on open files, raised to at least `floor` (with `prlimit`, which needs the
/// privilege to raise the hard limit if that is too low too) when below `need`. Children
/// inherit it. `program` names the caller in the warning.
pub fn raise_nofile(need: usize, floor: u64, program: &str) -> Option<u64> {
    let read = || -> Option<(u64, u64)> {
        let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
        let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
        let mut f = line["Max open files".len()..].split_whitespace();
        let soft = f.next()?.parse().unwrap_or(u64::MAX);
        let hard = f.next()?.parse().unwrap_or(u64::MAX);
        Some((soft, hard))
    };
    let (soft, hard) = read()?;
    let need = need as u64;
    if soft >= need {
        return Some(soft);
    }
    let want = need.max(floor);
    let ok = Command::new("prlimit")
        .arg("--pid")
        .arg(std::process::id().to_string())
        .arg(format!("--nofile={want}:{}", hard.max(want)))
        .status()
        .is_ok_and(|s| s.success());
    let (soft, _) = read()?;
    if !ok || soft < need {
        eprintln!(
            "{program}: open files limit is {soft}, below the {need} needed: run under `ulimit -n {floor}`"
        );
    }
    Some(soft)
}

pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

/// The `p` quantile (0–1) of sorted values, nearest rank; NaN when there are none.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}
