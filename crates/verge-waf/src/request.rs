//! The request view the edge fills for the WAF: what AWS WAF can inspect of a viewer request,
//! as plain data. Nothing here is decoded or normalised; statements do that with text
//! transformations, exactly as AWS does.

use std::net::IpAddr;

/// A viewer request as the WAF sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method as sent (`GET`, `POST`, ...).
    pub method: String,
    /// The raw URI path, not percent-decoded (`/a%20b`).
    pub uri_path: String,
    /// The raw query string without `?` (empty when there is none).
    pub query_string: String,
    /// Headers in arrival order: name as received, value as bytes.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body, already cut by the edge to the web ACL's inspection limit (see
    /// [`crate::WebAclEngine::body_inspection_limit`]).
    pub body: Vec<u8>,
    /// The body's full length, so the WAF knows whether it was cut (oversize handling).
    pub body_len: u64,
    /// The address of the connection's peer.
    pub client_ip: IpAddr,
    /// The client address's country, ISO 3166 alpha-2 (`US`), if known.
    pub country: Option<String>,
    /// The client address's subdivision, ISO 3166-2 without the country (`VA` for `US-VA`).
    pub region: Option<String>,
    /// The client address's autonomous system number, if known.
    pub asn: Option<u32>,
    /// The TLS ClientHello's JA3 fingerprint (32 hex digits), if the connection used TLS.
    pub ja3: Option<String>,
    /// The TLS ClientHello's JA4 fingerprint, if the connection used TLS.
    pub ja4: Option<String>,
}

impl Request {
    /// A request with the given method, path and client address and nothing else.
    pub fn new(method: &str, uri_path: &str, client_ip: IpAddr) -> Self {
        Self {
            method: method.to_owned(),
            uri_path: uri_path.to_owned(),
            query_string: String::new(),
            headers: Vec::new(),
            body: Vec::new(),
            body_len: 0,
            client_ip,
            country: None,
            region: None,
            asn: None,
            ja3: None,
            ja4: None,
        }
    }

    /// Sets the raw query string (without `?`).
    pub fn with_query(mut self, query: &str) -> Self {
        self.query_string = query.to_owned();
        self
    }

    /// Appends a header.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_owned(), value.as_bytes().to_vec()));
        self
    }

    /// Sets a body that was not cut.
    pub fn with_body(mut self, body: &[u8]) -> Self {
        self.body = body.to_vec();
        self.body_len = body.len() as u64;
        self
    }

    /// Sets the client address's country (and optionally subdivision).
    pub fn with_geo(mut self, country: &str, region: Option<&str>) -> Self {
        self.country = Some(country.to_owned());
        self.region = region.map(str::to_owned);
        self
    }

    /// Every value of a header, by case-insensitive name, in arrival order.
    pub fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }
}

/// Where a forwarded or client address is located. The edge implements this over its geo and
/// ASN databases so statements with `ForwardedIPConfig` can locate header addresses.
pub trait GeoLookup: Send + Sync {
    /// The country (ISO 3166 alpha-2) and subdivision (without the country) of an address.
    fn locate(&self, ip: IpAddr) -> Option<(String, Option<String>)>;
    /// The autonomous system number of an address.
    fn asn(&self, ip: IpAddr) -> Option<u32>;
}

/// What evaluation needs besides the request.
#[derive(Clone, Copy, Default)]
pub struct Env<'a> {
    /// Locates forwarded addresses; without it, statements that use a forwarded address
    /// whose location is needed take their fallback.
    pub geo: Option<&'a dyn GeoLookup>,
    /// The current time in milliseconds on any clock that never goes back, for rate-based
    /// rules (the edge passes a monotonic clock; replays pass recorded times).
    pub now_ms: u64,
    /// The viewer's `aws-waf-token`, as the edge opened it, for CAPTCHA and Challenge rules.
    pub token: crate::token::TokenState<'a>,
    /// Wall-clock seconds since the Unix epoch, compared with a token's solve times (which
    /// any POP may have written).
    pub now_secs: u64,
}

impl std::fmt::Debug for Env<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Env")
            .field("geo", &self.geo.is_some())
            .field("now_ms", &self.now_ms)
            .field("token", &self.token)
            .field("now_secs", &self.now_secs)
            .finish()
    }
}
