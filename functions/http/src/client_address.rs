//! One rule for where a request came from, used by throttling, audit and logs alike: on
//! Lambda, API Gateway's `requestContext.http.sourceIp`; locally, the TCP peer; and
//! `X-Forwarded-For` hops only when they were added by a proxy named in
//! `VAROSKAPU_TRUSTED_PROXIES`. Anything else a client sends about its address is ignored.

use crate::ConfigError;
use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap};
use axum::middleware::Next;
use axum::response::Response;
use std::net::{IpAddr, SocketAddr};

/// The setting naming the proxies in front of the service (addresses or CIDR ranges,
/// comma- or space-separated), whose `X-Forwarded-For` entries are believed.
pub const TRUSTED_PROXIES_VAR: &str = "VAROSKAPU_TRUSTED_PROXIES";

/// An address range, `address/prefix`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Range {
    network: IpAddr,
    prefix: u8,
}

impl Range {
    fn parse(text: &str) -> Option<Self> {
        let (address, prefix) = match text.split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, Some(p.parse::<u8>().ok()?)),
            None => (text.parse::<IpAddr>().ok()?, None),
        };
        let bits = if address.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(bits);
        (prefix <= bits).then_some(Self {
            network: address,
            prefix,
        })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        fn masked(value: u128, bits: u32, prefix: u8) -> u128 {
            let shift = bits - u32::from(prefix);
            if shift >= 128 { 0 } else { value >> shift }
        }
        match (self.network, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                masked(u32::from(n).into(), 32, self.prefix)
                    == masked(u32::from(a).into(), 32, self.prefix)
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                masked(u128::from(n), 128, self.prefix) == masked(u128::from(a), 128, self.prefix)
            }
            _ => false,
        }
    }
}

/// The proxies whose `X-Forwarded-For` entries are believed; none by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Range>);

impl TrustedProxies {
    /// Parses a list such as `10.0.0.0/8, 2001:db8::1`.
    pub fn parse(text: &str) -> Result<Self, String> {
        text.split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(|s| Range::parse(s).ok_or_else(|| format!("{s:?} is not an address or range")))
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    /// Reads [`TRUSTED_PROXIES_VAR`]; a malformed entry stops start-up.
    pub fn from_env() -> Result<Self, ConfigError> {
        match crate::config::optional(TRUSTED_PROXIES_VAR) {
            None => Ok(Self::default()),
            Some(text) => Self::parse(&text).map_err(|reason| ConfigError::Invalid {
                name: TRUSTED_PROXIES_VAR,
                reason,
            }),
        }
    }

    fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|r| r.contains(ip))
    }

    /// The client behind `peer`: the peer itself, or, while the hop is a trusted proxy,
    /// the entry that proxy appended to `X-Forwarded-For` (read from the right).
    pub fn client(&self, peer: Option<IpAddr>, forwarded_for: &[&str]) -> Option<IpAddr> {
        let mut client = peer?;
        let hops = forwarded_for
            .iter()
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .rev();
        for hop in hops {
            if !self.contains(client) {
                break;
            }
            match parse_hop(hop) {
                Some(ip) => client = ip,
                // A proxy we trust wrote something unreadable: it is the last address known.
                None => break,
            }
        }
        Some(client)
    }
}

fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

/// The address the request came from, by the one rule; `None` when the runtime gave none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub Option<IpAddr>);

impl ClientAddress {
    /// The address as text, for counters and audit entries.
    pub fn text(&self) -> Option<String> {
        self.0.map(|ip| ip.to_string())
    }
}

/// The address of whoever opened the connection: API Gateway's view on Lambda, the TCP
/// peer locally.
fn peer(extensions: &Extensions) -> Option<IpAddr> {
    use lambda_http::request::RequestContext;
    match extensions.get::<RequestContext>() {
        Some(RequestContext::ApiGatewayV2(context)) => context
            .http
            .source_ip
            .as_deref()
            .and_then(|ip| ip.parse().ok()),
        _ => extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip()),
    }
}

fn resolve(
    extensions: &Extensions,
    headers: &HeaderMap,
    trusted: &TrustedProxies,
) -> ClientAddress {
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    ClientAddress(trusted.client(peer(extensions), &forwarded))
}

/// The layer of `with_common_layers`: decides the address once per request.
pub(crate) async fn decide(
    axum::extract::State(trusted): axum::extract::State<TrustedProxies>,
    mut request: Request,
    next: Next,
) -> Response {
    let address = resolve(request.extensions(), request.headers(), &trusted);
    request.extensions_mut().insert(address);
    next.run(request).await
}

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(match parts.extensions.get::<ClientAddress>() {
            Some(address) => *address,
            // A router served without the common layers trusts no proxy.
            None => resolve(
                &parts.extensions,
                &parts.headers,
                &TrustedProxies::default(),
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("ip")
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client_whatever_the_headers_say() {
        let none = TrustedProxies::default();
        assert_eq!(
            none.client(Some(ip("203.0.113.7")), &["198.51.100.1"]),
            Some(ip("203.0.113.7"))
        );
        assert_eq!(none.client(None, &["198.51.100.1"]), None);
    }

    #[test]
    fn forwarded_hops_are_believed_only_as_far_as_trusted_proxies_added_them() {
        let trusted = TrustedProxies::parse("10.0.0.0/8, 2001:db8::1").expect("list");
        // A client that forges a first entry: the proxy appended the real address last.
        assert_eq!(
            trusted.client(Some(ip("10.1.2.3")), &["1.1.1.1, 203.0.113.9"]),
            Some(ip("203.0.113.9"))
        );
        // Two trusted proxies in a row, headers split over two lines.
        assert_eq!(
            trusted.client(Some(ip("10.0.0.1")), &["203.0.113.9", "10.0.0.2"]),
            Some(ip("203.0.113.9"))
        );
        assert_eq!(
            trusted.client(Some(ip("2001:db8::1")), &["[2001:db8::77]:443"]),
            Some(ip("2001:db8::77"))
        );
        // Garbage from a trusted proxy: the proxy is the last address known.
        assert_eq!(
            trusted.client(Some(ip("10.0.0.1")), &["not-an-ip"]),
            Some(ip("10.0.0.1"))
        );
        // An untrusted peer's header is ignored.
        assert_eq!(
            trusted.client(Some(ip("192.0.2.1")), &["10.0.0.5"]),
            Some(ip("192.0.2.1"))
        );
    }

    #[test]
    fn malformed_proxy_lists_are_refused() {
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("proxy.example").is_err());
        assert!(TrustedProxies::parse("").expect("empty").0.is_empty());
    }
}
