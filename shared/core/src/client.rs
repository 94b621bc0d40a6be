//! Who sent a request: the client's address, and the key its rate limit
//! counts under.
//!
//! Spin reports the direct peer in `spin-client-addr`. Behind a load
//! balancer or ingress that peer is the proxy, the same for every visitor,
//! so the address comes from `X-Forwarded-For`, but only when the peer is
//! one of the proxies an operator configured (`trusted_proxies`): anybody
//! else can write that header. The address is the right-most one in the
//! chain that is not itself a trusted proxy.
//!
//! ```
//! use spin_retention_core::client::{rate_key, Proxies};
//! let proxies = Proxies::parse("10.0.0.0/8");
//! let peer = "10.1.2.3".parse().unwrap();
//! let client = proxies.client(peer, Some("203.0.113.9, 10.0.0.7"));
//! assert_eq!(client.to_string(), "203.0.113.9");
//! // IPv6 visitors rotate freely inside their /64: they count as one.
//! assert_eq!(rate_key("2001:db8:1:2:aaaa::1".parse().unwrap()), "2001:db8:1:2::/64");
//! ```

use crate::http::Request;
use std::net::{IpAddr, Ipv6Addr};

/// The proxies whose `X-Forwarded-For` is believed: addresses or CIDR
/// ranges, comma-separated. Empty: none (the peer is the client).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Proxies(Vec<(IpAddr, u8)>);

impl Proxies {
    /// Entries that do not parse are left out (and said on stderr once per
    /// request, which is where an operator looks).
    pub fn parse(spec: &str) -> Proxies {
        let mut ranges = Vec::new();
        for entry in spec.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            match range(entry) {
                Some(r) => ranges.push(r),
                None => eprintln!("trusted_proxies: ignored {entry:?} (not an address or a CIDR range)"),
            }
        }
        Proxies(ranges)
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|&(net, bits)| in_range(ip, net, bits))
    }

    /// The client behind `peer`, given the request's `X-Forwarded-For`.
    pub fn client(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        if !self.contains(peer) {
            return peer;
        }
        let chain: Vec<IpAddr> = forwarded_for
            .unwrap_or_default()
            .split(',')
            .filter_map(|hop| parse_ip(hop.trim()))
            .collect();
        chain
            .iter()
            .rev()
            .copied()
            .find(|&hop| !self.contains(hop))
            .or_else(|| chain.first().copied())
            .unwrap_or(peer)
    }

    /// The client of `req`: `None` when Spin reported no peer (a native
    /// test); a caller then uses one shared bucket.
    pub fn client_of(&self, req: &Request) -> Option<IpAddr> {
        let peer = parse_ip(req.header("spin-client-addr")?)?;
        // A proxy may add its hop as a header line of its own: the chain is
        // every line, in order.
        let forwarded: Vec<&str> = req
            .headers
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case("x-forwarded-for"))
            .map(|(_, value)| value.as_str())
            .collect();
        let chain = forwarded.join(",");
        Some(self.client(peer, (!chain.is_empty()).then_some(chain.as_str())))
    }
}

/// The key a client's rate limit counts under: an IPv4 address whole, an
/// IPv6 address by its /64 (one subscriber's prefix), an IPv4-mapped IPv6
/// address as the IPv4 address.
pub fn rate_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{}/64", Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// A hash of a client address kept with a consent as its proof: keyed,
/// so the stored value cannot be turned back into the address by trying
/// every IPv4 address.
pub fn proof_hash(ip: IpAddr, key: &str) -> String {
    let mac = crate::signed::hmac_sha256(key.as_bytes(), ip.to_string().as_bytes());
    mac[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// An address as Spin or a proxy writes it: bare, `a.b.c.d:port`, or
/// `[v6]:port`.
fn parse_ip(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    if let Ok(ip) = text.parse() {
        return Some(ip);
    }
    if let Ok(addr) = text.parse::<std::net::SocketAddr>() {
        return Some(addr.ip());
    }
    text.trim_start_matches('[').split(']').next()?.parse().ok()
}

fn range(entry: &str) -> Option<(IpAddr, u8)> {
    let (addr, bits) = match entry.split_once('/') {
        Some((addr, bits)) => (addr, Some(bits.parse::<u8>().ok()?)),
        None => (entry, None),
    };
    let ip: IpAddr = addr.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let bits = bits.unwrap_or(max);
    (bits <= max).then_some((ip, bits))
}

fn in_range(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    let (ip, net, width) = match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u128::from(u32::from(a)), u128::from(u32::from(b)), 32),
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128),
        (IpAddr::V6(a), IpAddr::V4(b)) => match a.to_ipv4_mapped() {
            Some(a) => (u128::from(u32::from(a)), u128::from(u32::from(b)), 32),
            None => return false,
        },
        (IpAddr::V4(_), IpAddr::V6(_)) => return false,
    };
    if bits == 0 {
        return true;
    }
    let shift = width - u32::from(bits);
    ip >> shift == net >> shift
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_counts_only_behind_a_configured_proxy() {
        let none = Proxies::default();
        assert_eq!(none.client(ip("198.51.100.4"), Some("1.2.3.4")), ip("198.51.100.4"));
        let proxies = Proxies::parse("10.0.0.0/8, 2001:db8::1, not-an-address");
        assert_eq!(proxies.0.len(), 2);
        // A client can prepend anything: the right-most untrusted hop counts.
        assert_eq!(
            proxies.client(ip("10.0.0.2"), Some("6.6.6.6, 203.0.113.9, 10.9.9.9")),
            ip("203.0.113.9")
        );
        assert_eq!(
            proxies.client(ip("2001:db8::1"), Some("203.0.113.9")),
            ip("203.0.113.9")
        );
        // Nothing usable forwarded: the proxy itself.
        assert_eq!(proxies.client(ip("10.0.0.2"), Some("garbage")), ip("10.0.0.2"));
        assert_eq!(proxies.client(ip("10.0.0.2"), None), ip("10.0.0.2"));
    }

    #[test]
    fn ipv6_clients_count_by_their_64() {
        assert_eq!(rate_key(ip("2001:db8:1:2::1")), rate_key(ip("2001:db8:1:2:ffff:1:2:3")));
        assert_ne!(rate_key(ip("2001:db8:1:2::1")), rate_key(ip("2001:db8:1:3::1")));
        assert_eq!(rate_key(ip("::ffff:192.0.2.1")), "192.0.2.1");
        assert_eq!(rate_key(ip("192.0.2.1")), "192.0.2.1");
    }

    #[test]
    fn spin_peer_forms_parse() {
        let mut req = Request::new("POST", "/intake/leads");
        req.headers.push(("spin-client-addr".into(), "[::1]:5555".into()));
        assert_eq!(Proxies::default().client_of(&req), Some(ip("::1")));
        req.headers[0].1 = "10.0.0.7:80".into();
        assert_eq!(Proxies::default().client_of(&req), Some(ip("10.0.0.7")));
        req.headers[0].1 = "nonsense".into();
        assert_eq!(Proxies::default().client_of(&req), None);
        // A client's forged line first, the proxy's own line after it.
        req.headers[0].1 = "10.0.0.7:80".into();
        req.headers.push(("x-forwarded-for".into(), "6.6.6.6".into()));
        req.headers.push(("x-forwarded-for".into(), "203.0.113.9".into()));
        assert_eq!(Proxies::parse("10.0.0.0/8").client_of(&req), Some(ip("203.0.113.9")));
    }
}
