//! The request view the WAF evaluates, from the viewer's request head, the start of its body
//! and what the edge knows of the connection (address, country, ASN, JA3 and JA4).

use std::net::IpAddr;

use http::request::Parts;
use verge_waf::{GeoLookup, Request};

use crate::context::RequestContext;
use crate::geo::GeoDb;

/// The WAF's view of a viewer request; `body` is what was read of it, `complete` whether that
/// is all of it.
pub fn waf_request(parts: &Parts, ctx: &RequestContext, body: &[u8], complete: bool) -> Request {
    let declared = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let read = body.len() as u64;
    let body_len = match (declared, complete) {
        (Some(length), _) => length.max(read),
        (None, true) => read,
        // Cut at the limit with more to come: longer than what was read.
        (None, false) => read + 1,
    };
    let mut headers = Vec::with_capacity(parts.headers.len() + 1);
    if !parts.headers.contains_key(http::header::HOST)
        && let Some(authority) = parts.uri.authority()
    {
        headers.push(("host".to_owned(), authority.as_str().as_bytes().to_vec()));
    }
    for (name, value) in &parts.headers {
        headers.push((name.as_str().to_owned(), value.as_bytes().to_vec()));
    }
    // Computed once per connection, by the first request that gets here.
    let fingerprints = ctx.conn.fingerprints();
    Request {
        method: parts.method.as_str().to_owned(),
        uri_path: parts.uri.path().to_owned(),
        query_string: parts.uri.query().unwrap_or("").to_owned(),
        headers,
        body: body.to_vec(),
        body_len,
        client_ip: ctx.conn.peer.ip().to_canonical(),
        country: ctx.geo.country.map(|c| c.as_str().to_owned()),
        region: None,
        asn: ctx.geo.asn,
        ja3: fingerprints.map(|f| f.ja3.clone()),
        ja4: fingerprints.map(|f| f.ja4.clone()),
    }
}

/// The edge's geo databases, for statements that locate forwarded addresses.
pub struct GeoAdapter<'a>(pub &'a GeoDb);

impl GeoLookup for GeoAdapter<'_> {
    fn locate(&self, ip: IpAddr) -> Option<(String, Option<String>)> {
        self.0
            .lookup(ip)
            .country
            .map(|c| (c.as_str().to_owned(), None))
    }

    fn asn(&self, ip: IpAddr) -> Option<u32> {
        self.0.lookup(ip).asn
    }
}
