//! Rate limits kept in memory, by key (a person on a board, a client address): a token bucket
//! per key, a burst of `burst` refilled at `per_second`. Each instance keeps its own buckets, so
//! across instances a key gets each instance's budget: these limits smooth floods, while the
//! hard bounds (board quotas, guests per code) are decided on shared state.
//!
//! Small enough to write here rather than add a crate: besides taking a token it must say,
//! without taking one, whether a key is out of tokens (an address locked out after wrong guest
//! codes is refused even with the right one), which the usual crates do not offer.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Buckets by key. Full buckets are forgotten once the map grows past `forget_above` keys, so
/// memory stays bounded by the keys active lately.
pub struct Throttle<K> {
    burst: f64,
    per_second: f64,
    forget_above: usize,
    buckets: Mutex<HashMap<K, Bucket>>,
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl<K: Hash + Eq + Clone> Throttle<K> {
    /// `burst` tokens at once, refilled at `per_second`.
    pub fn new(burst: u32, per_second: f64) -> Throttle<K> {
        Throttle {
            burst: f64::from(burst),
            per_second,
            forget_above: 10_000,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// `burst` tokens per `window`, refilled evenly over it ("10 per 10 minutes").
    pub fn per_window(burst: u32, window: Duration) -> Throttle<K> {
        Throttle::new(burst, f64::from(burst) / window.as_secs_f64())
    }

    /// Takes a token for `key` if it has one; otherwise says how long until it will.
    pub fn take(&self, key: &K, now: Instant) -> Result<(), Duration> {
        self.with(key, now, |b| {
            if b.tokens >= 1.0 {
                b.tokens -= 1.0;
                Ok(())
            } else {
                Err(self.wait(b))
            }
        })
    }

    /// Whether `key` has a token now, without taking it; otherwise how long until it will.
    pub fn check(&self, key: &K, now: Instant) -> Result<(), Duration> {
        self.with(key, now, |b| {
            if b.tokens >= 1.0 {
                Ok(())
            } else {
                Err(self.wait(b))
            }
        })
    }

    fn wait(&self, b: &Bucket) -> Duration {
        Duration::from_secs_f64(((1.0 - b.tokens) / self.per_second).max(0.0))
    }

    fn with<T>(&self, key: &K, now: Instant, f: impl FnOnce(&mut Bucket) -> T) -> T {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > self.forget_above && !buckets.contains_key(key) {
            let (burst, rate) = (self.burst, self.per_second);
            buckets.retain(|_, b| refilled(*b, now, burst, rate).tokens < burst);
        }
        let b = buckets.entry(key.clone()).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        *b = refilled(*b, now, self.burst, self.per_second);
        f(b)
    }
}

fn refilled(b: Bucket, now: Instant, burst: f64, per_second: f64) -> Bucket {
    let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
    Bucket {
        tokens: (b.tokens + elapsed * per_second).min(burst),
        at: now.max(b.at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_the_refill_rate_key_by_key() {
        let t = Throttle::new(3, 2.0);
        let start = Instant::now();
        for _ in 0..3 {
            assert!(t.take(&"a", start).is_ok());
        }
        let wait = t.take(&"a", start).unwrap_err();
        assert!(wait > Duration::from_millis(490) && wait <= Duration::from_millis(500));
        // Another key has its own budget.
        assert!(t.take(&"b", start).is_ok());
        // Checking takes nothing.
        assert!(t.check(&"a", start).is_err());
        let later = start + Duration::from_millis(500);
        assert!(t.check(&"a", later).is_ok());
        assert!(t.check(&"a", later).is_ok());
        assert!(t.take(&"a", later).is_ok());
        assert!(t.take(&"a", later).is_err());
        // Never more than the burst, however long the pause.
        let much_later = start + Duration::from_secs(3600);
        for _ in 0..3 {
            assert!(t.take(&"a", much_later).is_ok());
        }
        assert!(t.take(&"a", much_later).is_err());
    }

    #[test]
    fn per_window_spreads_the_budget_over_the_window() {
        let t = Throttle::per_window(10, Duration::from_secs(600));
        let start = Instant::now();
        for _ in 0..10 {
            t.take(&1, start).unwrap();
        }
        let wait = t.take(&1, start).unwrap_err();
        assert!(
            wait > Duration::from_secs(59) && wait <= Duration::from_secs(60),
            "{wait:?}"
        );
    }

    #[test]
    fn full_buckets_are_forgotten_when_many_keys_come() {
        let mut t = Throttle::new(1, 1.0);
        t.forget_above = 2;
        let start = Instant::now();
        for k in 0..3 {
            t.take(&k, start).unwrap();
        }
        // Key 0 refilled long ago, 3 is new: the full ones go.
        let later = start + Duration::from_secs(10);
        t.take(&3, later).unwrap();
        assert_eq!(t.buckets.lock().unwrap().len(), 1);
    }
}
