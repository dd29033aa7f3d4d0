//! Who is on the other end of a request. The one place that decides a
//! client's address: the login throttle, the `/metrics` guard, the audit
//! log and the log lines all take it from [`Client::of`].
//!
//! Forwarded headers are read only when the TCP peer is one of
//! `[service] trusted_proxies`, and then only the one header named by
//! `proxy_header`. The chain is walked from the right (the hop our peer
//! added) to the left, skipping trusted proxies; the first untrusted
//! address is the client. Anything left of it was written by the client
//! itself and is never believed (ADR 0024).

use crate::config::{ProxyHeader, Settings, TrustedProxies};
use actix_web::HttpRequest;
use actix_web::http::header::HeaderMap;
use forwarded_header_value::{ForwardedStanza, Identifier, Protocol};
use std::net::IpAddr;

/// The client of one request, as far as we can vouch for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Client {
    /// The client's address: the TCP peer, or the address a chain of
    /// trusted proxies reports. `None` only without a peer (unit tests).
    pub ip: Option<IpAddr>,
    /// The TCP peer is not a trusted proxy: `ip` is the peer itself.
    pub direct: bool,
    /// The client reached the first trusted proxy over https. Loket does
    /// not terminate TLS itself, so a direct client is always plain http.
    pub https: bool,
}

/// One hop of a forwarded chain: the address a proxy saw, and the scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Hop {
    /// `None`: `unknown`, an obfuscated name or something unreadable.
    ip: Option<IpAddr>,
    https: Option<bool>,
}

impl Client {
    /// The client of `req` under the configured proxy rule.
    pub fn of(req: &HttpRequest, settings: &Settings) -> Self {
        resolve(
            req.peer_addr().map(|peer| peer.ip()),
            req.headers(),
            &settings.trusted_proxies,
            settings.proxy_header,
        )
    }

    /// The address as stored in throttle counters and the audit log.
    pub fn key(&self) -> String {
        self.ip
            .map_or_else(|| "unknown".to_owned(), |ip| ip.to_canonical().to_string())
    }

    /// A process on this machine talking to us straight, not through a
    /// proxy: the only client `/metrics` serves without a token.
    pub fn is_direct_loopback(&self) -> bool {
        self.direct && self.ip.is_some_and(|ip| ip.to_canonical().is_loopback())
    }
}

/// The client for a TCP `peer` and the request's headers.
fn resolve(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    proxies: &TrustedProxies,
    header: ProxyHeader,
) -> Client {
    let direct = Client {
        ip: peer,
        direct: true,
        https: false,
    };
    let Some(peer) = peer.filter(|peer| proxies.contains(*peer)) else {
        return direct;
    };
    let hops = match header {
        ProxyHeader::XForwardedFor => x_forwarded_for(headers),
        ProxyHeader::Forwarded => forwarded(headers),
    };
    let mut client = peer;
    // The scheme our peer reports, for when it names no client (a proxy
    // may set only `X-Forwarded-Proto`); a hop's own scheme wins below.
    let mut https = forwarded_scheme(headers, header);
    for hop in hops.iter().rev() {
        // An unreadable hop ends the walk at the last address we trust.
        let Some(ip) = hop.ip else { break };
        client = ip;
        https = hop.https.or(https);
        if !proxies.contains(ip) {
            break;
        }
    }
    Client {
        ip: Some(client),
        direct: false,
        https: https.unwrap_or(false),
    }
}

/// Every comma-separated element of every line of header `name`, in order.
fn elements<'h>(headers: &'h HeaderMap, name: &str) -> Vec<&'h str> {
    headers
        .get_all(name)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|element| !element.is_empty())
        .collect()
}

/// The scheme our peer reports: the last `X-Forwarded-Proto` value (the
/// one it set), or the `proto=` of the last `Forwarded` element.
fn forwarded_scheme(headers: &HeaderMap, header: ProxyHeader) -> Option<bool> {
    match header {
        ProxyHeader::XForwardedFor => elements(headers, "x-forwarded-proto")
            .last()
            .and_then(|proto| proto.parse::<Protocol>().ok())
            .map(|proto| proto == Protocol::Https),
        ProxyHeader::Forwarded => forwarded(headers).last().and_then(|hop| hop.https),
    }
}

/// `X-Forwarded-For: client, proxy1` (addresses only; the scheme comes
/// from `X-Forwarded-Proto`, see [`forwarded_scheme`]).
fn x_forwarded_for(headers: &HeaderMap) -> Vec<Hop> {
    elements(headers, "x-forwarded-for")
        .into_iter()
        .map(|element| Hop {
            ip: element.parse::<Identifier>().ok().and_then(|id| id.ip()),
            https: None,
        })
        .collect()
}

/// RFC 7239 `Forwarded: for=client;proto=https, for=proxy1`.
fn forwarded(headers: &HeaderMap) -> Vec<Hop> {
    elements(headers, "forwarded")
        .into_iter()
        .map(|element| match element.parse::<ForwardedStanza>() {
            Ok(stanza) => Hop {
                ip: stanza.forwarded_for_ip(),
                https: stanza.forwarded_proto.map(|proto| proto == Protocol::Https),
            },
            Err(_) => Hop {
                ip: None,
                https: None,
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    fn proxies(entries: &[&str]) -> TrustedProxies {
        TrustedProxies::parse(&entries.iter().map(|e| (*e).to_owned()).collect::<Vec<_>>())
            .expect("valid")
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_static(name),
                HeaderValue::from_str(value).expect("a header value"),
            );
        }
        map
    }

    fn client(peer: &str, trusted: &[&str], pairs: &[(&'static str, &str)]) -> Client {
        resolve(
            Some(ip(peer)),
            &headers(pairs),
            &proxies(trusted),
            ProxyHeader::XForwardedFor,
        )
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client_whatever_it_claims() {
        let c = client(
            "127.0.0.1",
            &[],
            &[
                ("x-forwarded-for", "203.0.113.9"),
                ("x-forwarded-proto", "https"),
            ],
        );
        assert_eq!(c.ip, Some(ip("127.0.0.1")));
        assert!(c.direct && !c.https);
        assert!(c.is_direct_loopback());
    }

    #[test]
    fn an_untrusted_peer_is_the_client_even_when_others_are_trusted() {
        let c = client(
            "198.51.100.4",
            &["127.0.0.1"],
            &[("x-forwarded-for", "203.0.113.9")],
        );
        assert_eq!(c.ip, Some(ip("198.51.100.4")));
        assert!(c.direct);
    }

    #[test]
    fn behind_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_client() {
        // The client wrote "1.2.3.4" itself; the proxy appended what it saw.
        let c = client(
            "127.0.0.1",
            &["127.0.0.1", "10.0.0.0/8"],
            &[
                ("x-forwarded-for", "1.2.3.4, 203.0.113.9, 10.0.0.7"),
                ("x-forwarded-proto", "https"),
            ],
        );
        assert_eq!(c.ip, Some(ip("203.0.113.9")));
        assert!(!c.direct);
        assert!(c.https);
        assert!(
            !c.is_direct_loopback(),
            "a proxy on loopback is no local client"
        );
    }

    #[test]
    fn several_header_lines_form_one_chain() {
        let c = client(
            "127.0.0.1",
            &["127.0.0.1"],
            &[
                ("x-forwarded-for", "1.2.3.4"),
                ("x-forwarded-for", "203.0.113.9"),
            ],
        );
        assert_eq!(c.ip, Some(ip("203.0.113.9")));
    }

    #[test]
    fn an_unreadable_hop_stops_at_the_last_trusted_address() {
        let c = client(
            "127.0.0.1",
            &["127.0.0.1", "10.0.0.0/8"],
            &[("x-forwarded-for", "203.0.113.9, garbage, 10.0.0.7")],
        );
        assert_eq!(c.ip, Some(ip("10.0.0.7")));
        assert!(!c.direct);
    }

    #[test]
    fn a_trusted_peer_without_a_header_is_its_own_client() {
        let c = client("127.0.0.1", &["127.0.0.1"], &[]);
        assert_eq!(c.ip, Some(ip("127.0.0.1")));
        assert!(!c.direct && !c.https);
        assert!(!c.is_direct_loopback());
        // A proxy that says only the scheme.
        let c = client(
            "127.0.0.1",
            &["127.0.0.1"],
            &[("x-forwarded-proto", "https")],
        );
        assert_eq!(c.ip, Some(ip("127.0.0.1")));
        assert!(c.https);
    }

    #[test]
    fn only_the_configured_header_is_read() {
        // nginx appends X-Forwarded-For and passes a client's Forwarded on.
        let spoofed = &[
            ("forwarded", "for=192.0.2.1"),
            ("x-forwarded-for", "203.0.113.9"),
        ];
        let c = client("127.0.0.1", &["127.0.0.1"], spoofed);
        assert_eq!(c.ip, Some(ip("203.0.113.9")));
        let c = resolve(
            Some(ip("127.0.0.1")),
            &headers(spoofed),
            &proxies(&["127.0.0.1"]),
            ProxyHeader::Forwarded,
        );
        assert_eq!(c.ip, Some(ip("192.0.2.1")));
    }

    #[test]
    fn the_forwarded_header_gives_address_and_scheme_per_hop() {
        let c = resolve(
            Some(ip("::1")),
            &headers(&[(
                "forwarded",
                "for=1.2.3.4;proto=http, for=\"[2001:db8::17]:4711\";proto=https, for=10.0.0.7;proto=http",
            )]),
            &proxies(&["::1", "10.0.0.0/8"]),
            ProxyHeader::Forwarded,
        );
        assert_eq!(c.ip, Some(ip("2001:db8::17")));
        assert!(c.https, "the scheme the client used at the first proxy");
        assert_eq!(c.key(), "2001:db8::17");
    }

    #[test]
    fn an_ipv4_peer_on_an_ipv6_socket_is_keyed_as_ipv4() {
        let c = client("::ffff:127.0.0.1", &[], &[]);
        assert_eq!(c.key(), "127.0.0.1");
        assert!(c.is_direct_loopback());
    }
}
