//! Login throttling: how many password attempts an account (by e-mail) and a client address
//! may make, checked before any password is hashed.
//!
//! Both are token buckets (governor's GCRA): `n` attempts per minute means a burst of `n`, then
//! one more every `60/n` seconds. Every attempt counts, right or wrong: a correct password
//! after the account was throttled waits like any other, otherwise guessing would go on until
//! the right one is "accepted straight after". Nobody is locked out for good: the bucket
//! refills by itself. The e-mail is throttled whether or not such an account exists, so the
//! answer says nothing about which accounts exist.
//!
//! An IPv6 client is counted by its /64 (one subscriber's network), an IPv4 one by address.
//! Behind a reverse proxy the address is the client's as the proxy forwarded it, when the
//! proxy is trusted (`web::client_address`, `TAVOLO_TRUSTED_PROXIES`).

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Default attempts per minute for one e-mail.
pub const DEFAULT_PER_ACCOUNT: u32 = 5;
/// Default attempts per minute from one client address.
pub const DEFAULT_PER_ADDRESS: u32 = 30;

/// E-mails longer than this are counted by their first bytes (no address is longer).
const MAX_KEY_BYTES: usize = 254;

/// The login throttle of one instance.
pub struct LoginThrottle {
    accounts: Option<DefaultKeyedRateLimiter<String>>,
    addresses: Option<DefaultKeyedRateLimiter<IpAddr>>,
    clock: DefaultClock,
}

impl LoginThrottle {
    /// Attempts per minute per e-mail and per client address; 0 turns that limit off.
    pub fn new(per_account: u32, per_address: u32) -> LoginThrottle {
        LoginThrottle {
            accounts: limiter(per_account),
            addresses: limiter(per_address),
            clock: DefaultClock::default(),
        }
    }

    /// Counts one attempt to log in as `email` from `address`: `Err(wait)` when either has
    /// used its attempts, with how long until the next is allowed (then nothing is hashed).
    pub fn check(&self, email: &str, address: IpAddr) -> Result<(), Duration> {
        if let Some(addresses) = &self.addresses {
            addresses
                .check_key(&network_of(address))
                .map_err(|n| n.wait_time_from(self.clock.now()))?;
        }
        if let Some(accounts) = &self.accounts {
            accounts
                .check_key(&account_key(email))
                .map_err(|n| n.wait_time_from(self.clock.now()))?;
        }
        Ok(())
    }

    /// Forgets the keys whose bucket is full again (they would be allowed anyway): keeps the
    /// memory of a flood of made-up e-mails from growing. Run every minute.
    pub fn forget_idle(&self) {
        if let Some(a) = &self.accounts {
            a.retain_recent();
            a.shrink_to_fit();
        }
        if let Some(a) = &self.addresses {
            a.retain_recent();
            a.shrink_to_fit();
        }
    }

    /// Keys remembered now (for tests).
    pub fn remembered(&self) -> usize {
        self.accounts.as_ref().map_or(0, |a| a.len())
            + self.addresses.as_ref().map_or(0, |a| a.len())
    }
}

/// A keyed limiter of `n` per minute; `None` for 0 (no limit).
fn limiter<K: std::hash::Hash + Eq + Clone>(n: u32) -> Option<DefaultKeyedRateLimiter<K>> {
    NonZeroU32::new(n).map(|n| RateLimiter::keyed(Quota::per_minute(n)))
}

/// The e-mail as accounts are looked up (trimmed, lower case), at most [`MAX_KEY_BYTES`].
fn account_key(email: &str) -> String {
    let mut key = email.trim().to_lowercase();
    if key.len() > MAX_KEY_BYTES {
        let mut end = MAX_KEY_BYTES;
        while !key.is_char_boundary(end) {
            end -= 1;
        }
        key.truncate(end);
    }
    key
}

/// The address an attempt is counted under: IPv4 as is, IPv6 by its /64.
fn network_of(address: IpAddr) -> IpAddr {
    match address.to_canonical() {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(bits.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_account_gets_its_burst_then_waits_whatever_the_address() {
        let t = LoginThrottle::new(5, 0);
        for i in 0..5 {
            assert!(
                t.check("Org@Example.it ", ip(&format!("10.0.0.{i}")))
                    .is_ok()
            );
        }
        let wait = t.check("org@example.it", ip("10.0.0.9")).unwrap_err();
        assert!(
            wait > Duration::from_secs(5) && wait <= Duration::from_secs(12),
            "{wait:?}"
        );
        // Another account is not affected.
        assert!(t.check("altro@example.it", ip("10.0.0.9")).is_ok());
    }

    #[test]
    fn an_address_gets_its_burst_whatever_the_accounts() {
        let t = LoginThrottle::new(0, 3);
        for i in 0..3 {
            assert!(
                t.check(&format!("p{i}@example.it"), ip("192.0.2.1"))
                    .is_ok()
            );
        }
        assert!(t.check("p9@example.it", ip("192.0.2.1")).is_err());
        assert!(t.check("p9@example.it", ip("192.0.2.2")).is_ok());
    }

    #[test]
    fn ipv6_counts_by_network_and_mapped_ipv4_as_ipv4() {
        assert_eq!(network_of(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(network_of(ip("::ffff:192.0.2.7")), ip("192.0.2.7"));
        let t = LoginThrottle::new(0, 1);
        assert!(t.check("a@example.it", ip("2001:db8:1:2::1")).is_ok());
        assert!(t.check("a@example.it", ip("2001:db8:1:2::ffff")).is_err());
    }

    #[test]
    fn zero_turns_a_limit_off_and_long_emails_share_a_bounded_key() {
        let t = LoginThrottle::new(0, 0);
        for _ in 0..100 {
            assert!(t.check("a@example.it", ip("192.0.2.1")).is_ok());
        }
        assert_eq!(t.remembered(), 0);
        let long = format!("{}@example.it", "è".repeat(300));
        assert!(account_key(&long).len() <= MAX_KEY_BYTES);
    }
}
