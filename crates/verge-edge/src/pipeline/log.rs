//! `log`: once the response body has gone out (or the viewer went away), one access log
//! record in CloudFront's fields and the request metrics.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use http::request::Parts;
use http::{HeaderMap, Response, Version, header};
use verge_telemetry::AccessLogRecord;

use crate::body::{Body, BodyEnd, CountingBody, boxed};
use crate::context::RequestContext;
use crate::snapshot::Snapshot;
use crate::state::EdgeState;

/// Wraps the response body so the request is logged and counted when it ends.
pub fn log(
    state: &Arc<EdgeState>,
    snapshot: &Snapshot,
    ctx: RequestContext,
    parts: &Parts,
    response: Response<Body>,
) -> Response<Body> {
    let (head, body) = response.into_parts();
    let time_to_first_byte = ctx.started.elapsed();
    let distribution = ctx.distribution_id().to_owned();
    let handles = snapshot.distribution_metrics.get(&distribution).cloned();
    match &handles {
        Some(handles) => handles.observe_time_to_first_byte(time_to_first_byte.as_secs_f64()),
        None => state
            .metrics
            .observe_time_to_first_byte(&distribution, time_to_first_byte.as_secs_f64()),
    }

    let header_bytes = head_size(head.status.as_u16(), &head.headers);
    let request_head = head_size(0, &parts.headers) + uri_len(parts);
    let status = head.status.as_u16();
    let result_type = ctx.result.as_str();
    // The record costs a few allocations; build it only when someone reads it.
    let mut record = state.access_log.is_enabled().then(|| {
        record(
            snapshot,
            &ctx,
            parts,
            &head,
            &distribution,
            time_to_first_byte,
        )
    });

    let sent = Arc::new(AtomicU64::new(0));
    let state = state.clone();
    let bytes_in = ctx.bytes_in.clone();
    let started = ctx.started;
    let counter = sent.clone();
    let body = CountingBody::new(body, counter).on_end(move |end| {
        let sc_bytes = sent.load(Ordering::Relaxed) + header_bytes;
        let cs_bytes = bytes_in.load(Ordering::Relaxed) + request_head;
        match &handles {
            Some(handles) => handles.record_request(status, result_type, cs_bytes, sc_bytes),
            None => {
                state
                    .metrics
                    .record_request(&distribution, status, result_type, cs_bytes, sc_bytes)
            }
        }
        if let Some(mut record) = record.take() {
            record.sc_bytes = sc_bytes;
            record.cs_bytes = cs_bytes;
            record.time_taken = started.elapsed();
            if end == BodyEnd::Aborted && record.detailed_result_type == record.result_type {
                record.detailed_result_type = "ClientCommError".to_owned();
            }
            state.access_log.log(record);
        }
    });
    Response::from_parts(head, boxed(body))
}

/// The access log record of a request whose response head is ready.
fn record(
    snapshot: &Snapshot,
    ctx: &RequestContext,
    parts: &Parts,
    head: &http::response::Parts,
    distribution: &str,
    time_to_first_byte: std::time::Duration,
) -> AccessLogRecord {
    let header = |map: &HeaderMap, name: header::HeaderName| {
        map.get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    AccessLogRecord {
        timestamp: ctx.started_at,
        edge_location: snapshot.config.node.pop.clone(),
        sc_bytes: 0,
        client_ip: ctx.conn.peer.ip().to_canonical(),
        client_port: ctx.conn.peer.port(),
        method: parts.method.to_string(),
        distribution_domain: match ctx.distribution.as_deref() {
            Some(d) if !d.primary_domain.starts_with('*') => d.primary_domain.clone(),
            _ => super::viewer_host(parts).to_owned(),
        },
        uri_stem: parts.uri.path().to_owned(),
        status: head.status.as_u16(),
        referer: header(&parts.headers, header::REFERER),
        user_agent: header(&parts.headers, header::USER_AGENT),
        query: parts.uri.query().map(str::to_owned),
        cookie: header(&parts.headers, header::COOKIE),
        result_type: ctx.result.as_str().to_owned(),
        request_id: ctx.request_id.clone(),
        host_header: super::viewer_host(parts).to_owned(),
        protocol: if ctx.conn.https() { "https" } else { "http" }.to_owned(),
        cs_bytes: 0,
        time_taken: Default::default(),
        forwarded_for: header(
            &parts.headers,
            header::HeaderName::from_static("x-forwarded-for"),
        ),
        tls_protocol: ctx.conn.tls.as_ref().map(|t| t.version.to_owned()),
        tls_cipher: ctx.conn.tls.as_ref().map(|t| t.cipher.to_owned()),
        response_result_type: ctx.result.as_str().to_owned(),
        protocol_version: match parts.version {
            Version::HTTP_2 => "HTTP/2.0",
            Version::HTTP_10 => "HTTP/1.0",
            _ => "HTTP/1.1",
        }
        .to_owned(),
        time_to_first_byte,
        detailed_result_type: ctx.detail.unwrap_or(ctx.result.as_str()).to_owned(),
        content_type: header(&head.headers, header::CONTENT_TYPE),
        content_length: header(&head.headers, header::CONTENT_LENGTH).and_then(|v| v.parse().ok()),
        range_start: None,
        range_end: None,
        distribution_id: distribution.to_owned(),
    }
}

/// Length of the request target as sent, without formatting it.
pub(crate) fn uri_len(parts: &Parts) -> u64 {
    let uri = &parts.uri;
    let mut len = uri.path_and_query().map_or(1, |pq| pq.as_str().len());
    if let Some(authority) = uri.authority() {
        len += authority.as_str().len() + uri.scheme_str().map_or(0, |s| s.len() + 3);
    }
    len as u64
}

fn head_size(status: u16, headers: &HeaderMap) -> u64 {
    let line = if status == 0 { 0 } else { 17 };
    line + headers
        .iter()
        .map(|(n, v)| (n.as_str().len() + v.len() + 4) as u64)
        .sum::<u64>()
}
