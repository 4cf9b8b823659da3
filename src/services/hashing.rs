//! The password-hashing pool: every Argon2 computation of the process runs here, at most
//! `workers` at once, with at most `queue` anonymous requests waiting for a worker.
//!
//! Why: Argon2 costs ~19 MiB of memory and tens of milliseconds of CPU by design. Handed to
//! `spawn_blocking` one per request, a flood of failed logins started hundreds of them at once
//! and grew the server by gigabytes. Here the memory is bounded (`workers` × 19 MiB) and a
//! flood beyond the queue is refused at once ([`Busy`], a 503 on the web) instead of piling up.
//!
//! The pool is one per process (it bounds the process' memory and CPU, whatever serves the
//! request): [`configure`] sets its size once at start; without it the defaults apply.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, mpsc};

use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

/// The default number of Argon2 computations at once: the CPUs, at most 4 (4 × 19 MiB).
pub fn default_workers() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 4)
}

/// The default number of anonymous requests that may wait for a worker.
pub const DEFAULT_QUEUE: usize = 32;

/// All workers busy and the queue full: try again in a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many password checks at once")]
pub struct Busy;

type Job = Box<dyn FnOnce() + Send>;

/// A fixed set of threads for password hashing. Fixed threads, not `spawn_blocking`: the
/// blocking pool starts a new thread whenever none is idle at that instant, and each new
/// thread's allocator arena kept its ~19 MiB of Argon2 memory (600 MiB above idle in a flood
/// of 200 logins, with two computations at a time).
pub struct HashPool {
    jobs: Mutex<mpsc::Sender<Job>>,
    /// One permit per admitted anonymous request, running or waiting: `workers + queue`.
    admitted: Arc<Semaphore>,
    size: usize,
    running: Arc<AtomicUsize>,
}

impl HashPool {
    /// A pool of `workers` threads (at least 1) with room for `queue` waiting requests.
    pub fn new(workers: usize, queue: usize) -> HashPool {
        let size = workers.max(1);
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let running = Arc::new(AtomicUsize::new(0));
        for n in 0..size {
            let (rx, running) = (rx.clone(), running.clone());
            std::thread::Builder::new()
                .name(format!("tavolo-hash-{n}"))
                .spawn(move || {
                    loop {
                        let job = match rx.lock().unwrap_or_else(|p| p.into_inner()).recv() {
                            Ok(job) => job,
                            Err(_) => return,
                        };
                        running.fetch_add(1, Ordering::SeqCst);
                        // A panicking job must not take its thread with it.
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                        running.fetch_sub(1, Ordering::SeqCst);
                    }
                })
                .expect("the operating system starts a thread");
        }
        HashPool {
            jobs: Mutex::new(tx),
            admitted: Arc::new(Semaphore::new(size + queue)),
            size,
            running,
        }
    }

    /// Runs `work` when a worker is free, or refuses at once when the queue is full. For
    /// anonymous requests (logins).
    pub async fn try_run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Busy> {
        let admitted = self
            .admitted
            .clone()
            .try_acquire_owned()
            .map_err(|_| Busy)?;
        Ok(self.submit(work, Some(admitted)).await)
    }

    /// Runs `work` when a worker is free, however long the queue: for requests already
    /// authorised by something else (a setup link, an organiser, the command line), which
    /// are few.
    pub async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> T {
        self.submit(work, None).await
    }

    async fn submit<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
        admitted: Option<OwnedSemaphorePermit>,
    ) -> T {
        let (tx, rx) = oneshot::channel();
        // The admission permit goes with the job: a client that goes away does not free its
        // place before the computation really ends, so the bound holds.
        let job: Job = Box::new(move || {
            let _ = tx.send(work());
            drop(admitted);
        });
        self.jobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .send(job)
            .expect("the hashing threads never stop");
        rx.await.expect("password hashing does not panic")
    }

    /// Computations running now (for tests and benchmarks).
    pub fn running(&self) -> usize {
        self.running.load(Ordering::SeqCst)
    }

    /// How many computations may run at once.
    pub fn workers(&self) -> usize {
        self.size
    }
}

static POOL: OnceLock<HashPool> = OnceLock::new();

/// Sets the process' pool size; `workers == 0` means [`default_workers`]. The first call (or
/// the first hash) wins: returns false when the pool was already made.
pub fn configure(workers: usize, queue: usize) -> bool {
    let workers = if workers == 0 {
        default_workers()
    } else {
        workers
    };
    let mut made = false;
    POOL.get_or_init(|| {
        made = true;
        HashPool::new(workers, queue)
    });
    made
}

/// The process' pool.
pub fn pool() -> &'static HashPool {
    POOL.get_or_init(|| HashPool::new(default_workers(), DEFAULT_QUEUE))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn never_more_than_the_workers_at_once_and_a_full_queue_refuses() {
        let pool = Arc::new(HashPool::new(2, 3));
        let now = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let release_rx = Arc::new(std::sync::Mutex::new(release_rx));
        let mut tasks = Vec::new();
        for _ in 0..5 {
            let (pool, now, peak, rx) =
                (pool.clone(), now.clone(), peak.clone(), release_rx.clone());
            tasks.push(tokio::spawn(async move {
                pool.try_run(move || {
                    let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(n, Ordering::SeqCst);
                    let _ = rx.lock().unwrap().recv_timeout(Duration::from_secs(5));
                    now.fetch_sub(1, Ordering::SeqCst);
                })
                .await
            }));
        }
        // Five admitted (2 running, 3 waiting): the sixth is refused at once.
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(pool.try_run(|| ()).await, Err(Busy));
        for _ in 0..5 {
            release_tx.send(()).unwrap();
        }
        for t in tasks {
            assert_eq!(t.await.unwrap(), Ok(()));
        }
        assert!(peak.load(Ordering::SeqCst) <= 2, "at most two at once");
        // Room again once they are done.
        assert_eq!(pool.try_run(|| 7).await, Ok(7));
        assert_eq!(pool.run(|| 8).await, 8);
    }
}
