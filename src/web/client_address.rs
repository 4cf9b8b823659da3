//! Who is asking, by network address: the client's IP, by which logins and guest joins are
//! limited (`services::login_throttle`, `web::board::guest`).
//!
//! Without configuration it is the TCP peer. Behind a reverse proxy the peer is the proxy, so
//! every client would share one budget (a room of guests would lock each other out).
//! `TAVOLO_TRUSTED_PROXIES` lists the proxies' addresses or networks; for a request whose peer
//! is one of them the client is read from `X-Forwarded-For`: the rightmost address there that
//! is not itself a trusted proxy. Each proxy appends the address it received the request from,
//! so reading from the right walks back through the proxies we trust; anything further left
//! was written by the client and could say anything. A request from any other peer is taken at
//! the peer's address whatever its headers say: a client cannot choose its own address.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;

/// One address or network trusted to say who its client is: `10.0.0.5`, `10.0.0.0/8`,
/// `::1`, `fd00::/8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    base: IpAddr,
    prefix: u8,
}

impl Network {
    fn contains(&self, ip: IpAddr) -> bool {
        match (self.base, ip.to_canonical()) {
            (IpAddr::V4(base), IpAddr::V4(ip)) => {
                same_prefix(&base.octets(), &ip.octets(), self.prefix)
            }
            (IpAddr::V6(base), IpAddr::V6(ip)) => {
                same_prefix(&base.octets(), &ip.octets(), self.prefix)
            }
            _ => false,
        }
    }
}

/// Whether the first `bits` bits of `a` and `b` agree.
fn same_prefix(a: &[u8], b: &[u8], bits: u8) -> bool {
    let whole = usize::from(bits / 8);
    if a[..whole] != b[..whole] {
        return false;
    }
    let rest = bits % 8;
    if rest == 0 {
        return true;
    }
    let mask = 0xffu8 << (8 - rest);
    (a[whole] & mask) == (b[whole] & mask)
}

impl FromStr for Network {
    type Err = String;

    fn from_str(s: &str) -> Result<Network, String> {
        let s = s.trim();
        let wrong = || {
            format!(
                "«{s}» non è un indirizzo IP o una rete (esempi: 127.0.0.1, 10.0.0.0/8, ::1, fd00::/8)"
            )
        };
        let (addr, prefix) = match s.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (s, None),
        };
        let base = IpAddr::from_str(addr).map_err(|_| wrong())?.to_canonical();
        let max = if base.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(wrong)?,
        };
        Ok(Network { base, prefix })
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.base, self.prefix)
    }
}

/// The proxies whose `X-Forwarded-For` is believed (none by default).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Arc<[Network]>);

/// A comma-separated list (`127.0.0.1, 10.0.0.0/8`); empty for none.
impl FromStr for TrustedProxies {
    type Err = String;

    fn from_str(s: &str) -> Result<TrustedProxies, String> {
        let networks = s
            .split(',')
            .filter(|n| !n.trim().is_empty())
            .map(Network::from_str)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TrustedProxies(networks.into()))
    }
}

impl fmt::Display for TrustedProxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list: Vec<String> = self.0.iter().map(Network::to_string).collect();
        f.write_str(&list.join(", "))
    }
}

impl TrustedProxies {
    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(ip))
    }

    /// The client of a request that arrived from `peer` with these headers.
    pub fn client_of(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.trusts(client) {
            return client;
        }
        // Every X-Forwarded-For header, in order, as one list (proxies may add a header of
        // their own instead of extending the last one), read from the right.
        let hops = headers
            .get_all("x-forwarded-for")
            .iter()
            .flat_map(|v| v.to_str().unwrap_or("").split(','))
            .map(str::trim)
            .rev();
        for hop in hops {
            // A hop we cannot read ends the walk: the last proxy we trust forwarded it, and
            // stands for its client.
            let Some(ip) = parse_hop(hop) else { break };
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        client
    }
}

/// One entry of `X-Forwarded-For`: `192.0.2.7`, `2001:db8::1`, and the forms with a port some
/// proxies write (`192.0.2.7:5123`, `[2001:db8::1]:5123`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    IpAddr::from_str(hop)
        .ok()
        .or_else(|| SocketAddr::from_str(hop).ok().map(|a| a.ip()))
        .or_else(|| {
            hop.strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .and_then(|h| IpAddr::from_str(h).ok())
        })
        .map(|ip| ip.to_canonical())
}

/// The client's IP address as decided by the server (`web::server`) for this request;
/// `0.0.0.0` for a router called without it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<ClientAddress>()
            .copied()
            .unwrap_or(ClientAddress(IpAddr::V4(Ipv4Addr::UNSPECIFIED))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(list: &[&str]) -> TrustedProxies {
        list.join(",").parse().unwrap()
    }

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn networks_parse_and_match() {
        let n: Network = "10.0.0.0/8".parse().unwrap();
        assert!(n.contains(ip("10.200.3.4")));
        assert!(!n.contains(ip("11.0.0.1")));
        assert!(!n.contains(ip("::1")));
        let one: Network = "127.0.0.1".parse().unwrap();
        assert!(one.contains(ip("127.0.0.1")));
        assert!(one.contains(ip("::ffff:127.0.0.1")), "IPv4-mapped peers");
        assert!(!one.contains(ip("127.0.0.2")));
        let odd: Network = "192.168.4.0/22".parse().unwrap();
        assert!(odd.contains(ip("192.168.7.255")));
        assert!(!odd.contains(ip("192.168.8.0")));
        let v6: Network = "fd00::/8".parse().unwrap();
        assert!(v6.contains(ip("fd12:3456::1")));
        assert!(!v6.contains(ip("fe80::1")));
        let all: Network = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("203.0.113.9")));
        let list: TrustedProxies = " 127.0.0.1, 10.0.0.0/8,".parse().unwrap();
        assert_eq!(list.to_string(), "127.0.0.1/32, 10.0.0.0/8");
        assert_eq!("".parse::<TrustedProxies>().unwrap().to_string(), "");
        assert!("127.0.0.1, proxy".parse::<TrustedProxies>().is_err());
        for wrong in [
            "",
            "proxy",
            "10.0.0.0/33",
            "::1/129",
            "10.0.0.0/",
            "10.0.0.0/-1",
        ] {
            let e = wrong.parse::<Network>().unwrap_err();
            assert!(e.contains("non è un indirizzo IP"), "{wrong}: {e}");
        }
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_says() {
        let p = proxies(&["10.0.0.1"]);
        let said = headers(&["198.51.100.7"]);
        assert_eq!(p.client_of(ip("203.0.113.5"), &said), ip("203.0.113.5"));
        assert_eq!(
            TrustedProxies::default().client_of(ip("127.0.0.1"), &said),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_hop_is_the_client() {
        let p = proxies(&["127.0.0.1", "10.0.0.0/8"]);
        // nginx on this machine, one client.
        assert_eq!(
            p.client_of(ip("127.0.0.1"), &headers(&["203.0.113.5"])),
            ip("203.0.113.5")
        );
        // The client wrote a false address first; two proxies of ours appended theirs.
        assert_eq!(
            p.client_of(
                ip("127.0.0.1"),
                &headers(&["1.2.3.4, 203.0.113.5, 10.1.1.1"])
            ),
            ip("203.0.113.5")
        );
        // The same, spread over two headers, with ports and brackets.
        assert_eq!(
            p.client_of(
                ip("127.0.0.1"),
                &headers(&["1.2.3.4", "[2001:db8::7]:4431, 10.1.1.1:80"])
            ),
            ip("2001:db8::7")
        );
    }

    #[test]
    fn without_a_readable_hop_the_last_trusted_proxy_stands_for_its_client() {
        let p = proxies(&["127.0.0.1", "10.0.0.0/8"]);
        assert_eq!(
            p.client_of(ip("127.0.0.1"), &HeaderMap::new()),
            ip("127.0.0.1")
        );
        assert_eq!(
            p.client_of(ip("127.0.0.1"), &headers(&["unknown, 10.2.2.2"])),
            ip("10.2.2.2")
        );
        // Only trusted hops: the leftmost is as far as we can see.
        assert_eq!(
            p.client_of(ip("127.0.0.1"), &headers(&["10.3.3.3, 10.2.2.2"])),
            ip("10.3.3.3")
        );
    }
}
