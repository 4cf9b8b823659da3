//! Giving memory back to the system. glibc's allocator keeps what the process frees and
//! returns to the system only the free memory at the top of its heaps; a server whose load
//! comes in waves (5,000 phones joining a plenary, a meeting's room closing) then keeps the
//! memory of its highest wave. Three measures, measured in `docs/benchmarks.md`:
//!
//! - fewer arenas, and allocations of 8 KiB and more in mappings of their own, returned when
//!   freed ([`tune`]);
//! - after a room closes, the free pages are given back ([`give_back`]);
//! - after a wave of connections opening or closing has passed, likewise
//!   ([`note_connection`], [`give_back_after_waves`]).
//!
//! Elsewhere than glibc (musl, other systems) these do nothing.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// Sets glibc's allocator for a server whose load comes in waves. Called first thing in
/// `main`, before any thread allocates (an arena is chosen at a thread's first allocation).
///
/// - **One arena per core, at least two**, instead of glibc's eight per core. Each arena other
///   than the first grows one page at a time, by a system call each (22,000 `mprotect` calls
///   when 5,000 phones connected), and each keeps the free memory of its own threads.
///   Measured with 5,000 connections to a server on one core (`docs/benchmarks.md`): glibc's
///   default 1.12 s to welcome them and 92 MiB idle; one arena 0.92 s but 108 MiB (every
///   thread's allocations interleaved: the request worker's, the rooms' and the database's);
///   two arenas 0.96 s and 88 MiB.
/// - **Allocations of 8 KiB and more in mappings of their own**, returned when freed. Every
///   request costs hyper two 8 KiB buffers until its answer; when 5,000 phones connect at once
///   they all wait for the database together, and glibc filled the holes they left with the
///   sockets' small long-lived allocations: 179 MiB with 5,000 idle websockets, ~90 MiB of it
///   free but unreturnable. The cost is a map and an unmap per such buffer.
pub fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        // SAFETY: mallopt only sets parameters of glibc's allocator.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, cores.clamp(2, 64) as libc::c_int);
            libc::mallopt(libc::M_MMAP_THRESHOLD, 8 * 1024);
        }
    }
}

/// Returns the free pages of every heap to the system (`malloc_trim`). It walks the heaps
/// holding each one's lock (a few milliseconds for a heap of 150 MiB): call it on a blocking
/// thread, after a wave, not on a hot path.
pub fn give_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages of glibc's heap to the system.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Board connections opened or closed since [`give_back_after_waves`] last looked.
static CONNECTION_CHANGES: AtomicUsize = AtomicUsize::new(0);

/// Records that a board connection opened or closed.
pub fn note_connection() {
    CONNECTION_CHANGES.fetch_add(1, Ordering::Relaxed);
}

/// Connections opened or closed since the last give-back for a wave to be worth one.
const WAVE: usize = 500;
/// At most this many changes in the last second for a wave to count as passed.
const CALM: usize = 20;
/// Changes after which memory is given back even if the connections never calm down.
const LONG_WAVE: usize = 20_000;

/// Whether memory should be given back now, given the changes of the last second and those
/// since the last give-back (the last second's included).
fn wave_passed(last_second: usize, since_give_back: usize) -> bool {
    (since_give_back >= WAVE && last_second <= CALM) || since_give_back >= LONG_WAVE
}

/// Once a wave of connections has passed (5,000 phones joining, a room's people leaving),
/// gives the free memory back. 5,000 idle connections then hold 97 MiB instead of 125:
/// what the connect storm's requests used between the sockets' allocations is returned.
pub async fn give_back_after_waves(shutdown: CancellationToken) {
    let mut since_give_back = 0;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
        let last_second = CONNECTION_CHANGES.swap(0, Ordering::Relaxed);
        since_give_back += last_second;
        if wave_passed(last_second, since_give_back) {
            let since_give_back_was = std::mem::take(&mut since_give_back);
            let started = std::time::Instant::now();
            let _ = tokio::task::spawn_blocking(give_back).await;
            tracing::info!(
                ms = started.elapsed().as_secs_f64() * 1000.0,
                connections = since_give_back_was,
                "free memory given back to the system after a wave of connections"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::wave_passed;

    #[test]
    fn memory_is_given_back_once_a_wave_has_calmed_down() {
        // A few connections: nothing to give back.
        assert!(!wave_passed(0, 40));
        // A wave still arriving: wait.
        assert!(!wave_passed(900, 2_000));
        // The wave has passed.
        assert!(wave_passed(3, 5_000));
        assert!(wave_passed(0, 500));
        // Connections that never calm down still get memory back now and then.
        assert!(wave_passed(400, 20_000));
    }
}
