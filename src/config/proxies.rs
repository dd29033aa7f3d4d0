//! `[service] trusted_proxies` and `proxy_header`: which direct peers may
//! tell us the client's address. Parsed here into networks, so a typo
//! stops the service at start-up instead of silently trusting nobody (or
//! everybody).

use ipnet::IpNet;
use serde::Deserialize;
use std::net::IpAddr;

/// Which header a trusted proxy writes the client's address into. Only
/// that one is read: a proxy passes the other one on untouched, so reading
/// both would let a client choose its own address.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProxyHeader {
    /// `X-Forwarded-For` (and `X-Forwarded-Proto`): what nginx, HAProxy,
    /// Caddy, Traefik and Apache write by default.
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded` (`for=` and `proto=`).
    Forwarded,
}

impl ProxyHeader {
    pub fn as_str(self) -> &'static str {
        match self {
            ProxyHeader::XForwardedFor => "x-forwarded-for",
            ProxyHeader::Forwarded => "forwarded",
        }
    }
}

/// The validated `trusted_proxies` list: networks whose direct requests
/// carry a client address we believe.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses entries such as `"127.0.0.1"`, `"10.0.0.0/8"` or `"::1"`; a
    /// bare address is a network of one. Errors name the entry's index.
    pub fn parse(entries: &[String]) -> Result<Self, (usize, String)> {
        entries
            .iter()
            .enumerate()
            .map(|(index, entry)| {
                let entry = entry.trim();
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map(|net| net.trunc())
                    .map_err(|_| {
                        (
                            index,
                            format!(
                                "{entry:?} is not an IP address or network; write e.g. \"127.0.0.1\", \"10.0.0.0/8\" or \"::1\""
                            ),
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    /// Whether `ip` is one of the trusted proxies. An IPv4 peer on an IPv6
    /// socket (`::ffff:127.0.0.1`) counts as its IPv4 address.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The networks, for `config check`.
    pub fn networks(&self) -> &[IpNet] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn addresses_and_networks_are_accepted_and_matched() {
        let proxies = TrustedProxies::parse(&[
            "127.0.0.1".to_owned(),
            " 10.1.0.0/16 ".to_owned(),
            "::1".to_owned(),
        ])
        .expect("valid");
        assert!(proxies.contains(ip("127.0.0.1")));
        assert!(!proxies.contains(ip("127.0.0.2")));
        assert!(proxies.contains(ip("10.1.200.3")));
        assert!(!proxies.contains(ip("10.2.0.1")));
        assert!(proxies.contains(ip("::1")));
        assert!(
            proxies.contains(ip("::ffff:127.0.0.1")),
            "an IPv4 peer on an IPv6 socket"
        );
    }

    #[test]
    fn a_wrong_entry_is_named_by_its_index() {
        let (index, message) = TrustedProxies::parse(&["::1".to_owned(), "proxy.local".to_owned()])
            .expect_err("a host name is not an address");
        assert_eq!(index, 1);
        assert!(message.contains("proxy.local"), "{message}");
        assert!(TrustedProxies::parse(&["10.0.0.0/33".to_owned()]).is_err());
    }

    #[test]
    fn a_network_with_host_bits_covers_the_whole_network() {
        let proxies = TrustedProxies::parse(&["192.168.1.77/24".to_owned()]).expect("valid");
        assert!(proxies.contains(ip("192.168.1.1")));
    }
}
