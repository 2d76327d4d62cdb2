//! Which peers may tell us the client's address. `X-Forwarded-For` is written by whoever sends
//! the request, so it is believed only from a configured reverse proxy; otherwise anyone could
//! pose as any number of distinct visitors.

use std::net::IpAddr;
use std::str::FromStr;

use afflux_domain::ValidationError;
use ipnet::IpNet;

/// The operator's list of reverse proxies (addresses or CIDR ranges). Empty by default: the
/// peer address is the client.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses `"10.0.0.0/8, 127.0.0.1, ::1"`; blank means none.
    pub fn parse(list: &str) -> Result<Self, ValidationError> {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                IpNet::from_str(s)
                    .or_else(|_| IpAddr::from_str(s).map(IpNet::from))
                    .map_err(|_| {
                        ValidationError::new("trusted_proxies", format!("{s:?} is not an IP address or CIDR range"))
                    })
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client behind `peer`: the peer itself unless it is trusted; then, walking
    /// `X-Forwarded-For` from the right (the entry our proxy appended), the first address that
    /// is not a trusted proxy. An unreadable entry ends the walk: what lies left of it cannot be
    /// trusted. `forwarded_for` holds the header values in the order received.
    pub fn client_ip<'a>(&self, peer: IpAddr, forwarded_for: impl IntoIterator<Item = &'a str>) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.contains(peer) {
            return peer;
        }
        let entries: Vec<&str> = forwarded_for.into_iter().flat_map(|v| v.split(',')).collect();
        let mut client = peer;
        for entry in entries.iter().rev() {
            match parse_entry(entry) {
                Some(ip) => {
                    client = ip;
                    if !self.contains(ip) {
                        break;
                    }
                }
                None => break,
            }
        }
        client
    }
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`1.2.3.4:80`, `[::1]:80`).
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    if let Ok(ip) = IpAddr::from_str(entry) {
        return Some(ip.to_canonical());
    }
    std::net::SocketAddr::from_str(entry)
        .ok()
        .map(|s| s.ip().to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn parses_addresses_and_ranges() {
        let p = TrustedProxies::parse(" 10.0.0.0/8, 127.0.0.1 ,::1,").unwrap();
        assert!(p.contains(ip("10.1.2.3")) && p.contains(ip("127.0.0.1")) && p.contains(ip("::1")));
        assert!(p.contains(ip("::ffff:10.9.9.9")));
        assert!(!p.contains(ip("127.0.0.2")) && !p.contains(ip("11.0.0.1")));
        assert!(TrustedProxies::parse("").unwrap().is_empty());
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("proxy.local").is_err());
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_peers() {
        let p = TrustedProxies::parse("10.0.0.0/8").unwrap();
        // An untrusted peer: its header is ignored.
        assert_eq!(p.client_ip(ip("203.0.113.9"), ["198.51.100.1"]), ip("203.0.113.9"));
        // A trusted peer: the right-most entry that is not a proxy.
        assert_eq!(p.client_ip(ip("10.0.0.2"), ["198.51.100.1"]), ip("198.51.100.1"));
        assert_eq!(
            p.client_ip(ip("10.0.0.2"), ["6.6.6.6, 198.51.100.1, 10.0.0.5"]),
            ip("198.51.100.1"),
            "a forged left-most entry is not taken"
        );
        assert_eq!(
            p.client_ip(ip("10.0.0.2"), ["6.6.6.6", "198.51.100.1:4711"]),
            ip("198.51.100.1")
        );
        assert_eq!(p.client_ip(ip("10.0.0.2"), ["[2001:db8::1]:80"]), ip("2001:db8::1"));
        // Nothing usable: the proxy itself (all visitors behind it then look alike, safely).
        assert_eq!(p.client_ip(ip("10.0.0.2"), []), ip("10.0.0.2"));
        assert_eq!(p.client_ip(ip("10.0.0.2"), ["garbage"]), ip("10.0.0.2"));
        // Only proxies: the left-most of them.
        assert_eq!(p.client_ip(ip("10.0.0.2"), ["10.0.0.7, 10.0.0.3"]), ip("10.0.0.7"));
        assert!(TrustedProxies::default().client_ip(ip("10.0.0.2"), ["1.1.1.1"]) == ip("10.0.0.2"));
    }
}
