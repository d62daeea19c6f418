//! The admin API: `GET /metrics` (Prometheus), `GET /healthz`, `POST /reload`,
//! `GET /config` (what is being served), and the cache's `POST /invalidations`,
//! `GET /invalidations[/<id>]` and `GET /cache`, and the key-value stores under `/kvs`.
//! Plain HTTP/1.1 on the admin address.

use std::convert::Infallible;
use std::sync::{Arc, Weak};

use http::{Method, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use serde_json::json;
use tokio::net::TcpListener;

use super::Edge;
use crate::body::{Body, full};

/// Time an admin client has to send a request head.
const ADMIN_HEADER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// Longest life of one admin connection (a reload takes well under this).
const ADMIN_CONNECTION_LIMIT: std::time::Duration = std::time::Duration::from_secs(300);

/// Serves the admin API until the edge is dropped.
pub async fn serve(listener: TcpListener, edge: Weak<Edge>) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(error) => {
                // Out of file descriptors and similar: back off instead of spinning.
                tracing::warn!(%error, "Admin accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let edge = edge.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let edge = edge.upgrade();
                async move {
                    let response = match edge {
                        Some(edge) => route(&edge, request).await,
                        None => text(StatusCode::SERVICE_UNAVAILABLE, "stopping\n"),
                    };
                    Ok::<_, Infallible>(response)
                }
            });
            let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(ADMIN_HEADER_TIMEOUT);
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            // An admin client that stops talking is dropped rather than kept forever.
            let _ = tokio::time::timeout(ADMIN_CONNECTION_LIMIT, connection).await;
        });
    }
}

async fn route(edge: &Arc<Edge>, request: Request<Incoming>) -> Response<Body> {
    match (request.method(), request.uri().path()) {
        (&Method::GET, "/metrics") => {
            super::admin_cache::sample(edge.state());
            let mut response = Response::new(full(edge.state().metrics.encode()));
            if let Ok(value) = verge_telemetry::metrics::CONTENT_TYPE.parse() {
                response.headers_mut().insert(header::CONTENT_TYPE, value);
            }
            response
        }
        (&Method::GET, "/healthz") => {
            if edge.state().draining() {
                text(StatusCode::SERVICE_UNAVAILABLE, "draining\n")
            } else {
                text(StatusCode::OK, "ok\n")
            }
        }
        (&Method::POST, "/reload") => {
            let edge = edge.clone();
            let result = tokio::task::spawn_blocking(move || edge.reload()).await;
            match result {
                Ok(Ok(version)) => {
                    json_response(StatusCode::OK, json!({"status": "ok", "version": version}))
                }
                Ok(Err(error)) => json_response(
                    StatusCode::BAD_REQUEST,
                    json!({"status": "rejected", "errors": error.lines()}),
                ),
                Err(_) => json_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({"status": "failed"}),
                ),
            }
        }
        (&Method::GET, "/config") => json_response(StatusCode::OK, describe(edge)),
        (&Method::POST, "/invalidations") => {
            super::admin_cache::create(edge, request.into_body()).await
        }
        (&Method::GET, "/invalidations") => super::admin_cache::status(edge, None),
        (&Method::GET, path) if path.starts_with("/invalidations/") => {
            super::admin_cache::status(edge, path.strip_prefix("/invalidations/"))
        }
        (&Method::GET, "/cache") => super::admin_cache::describe(edge),
        (method, path) if path == "/kvs" || path.starts_with("/kvs/") => {
            let (method, path, headers) =
                (method.clone(), path.to_owned(), request.headers().clone());
            super::admin_kvs::route(edge, &method, &path, &headers, request.into_body()).await
        }
        (_, "/metrics" | "/healthz" | "/reload" | "/config" | "/invalidations" | "/cache") => {
            text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n")
        }
        _ => text(
            StatusCode::NOT_FOUND,
            "not found: try /metrics, /healthz, /config, /cache, /invalidations, /kvs or POST /reload\n",
        ),
    }
}

fn describe(edge: &Edge) -> serde_json::Value {
    let snapshot = edge.state().snapshot.load();
    let distributions: Vec<_> = snapshot
        .config
        .distributions
        .iter()
        .map(|d| {
            json!({
                "id": d.id,
                "domains": d.domains,
                "enabled": d.enabled,
                "origins": d.origins.iter().map(|o| json!({"id": o.id, "domain_name": o.domain_name})).collect::<Vec<_>>(),
                "cache_behaviors": d.cache_behaviors.iter().filter_map(|b| b.path_pattern.clone()).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "version": snapshot.version,
        "pop": snapshot.config.node.pop,
        "listeners": edge.listeners().iter().map(|l| json!({"address": l.address.to_string(), "tls": l.tls})).collect::<Vec<_>>(),
        "certificates": snapshot.certificates.len(),
        "geo": {"country": snapshot.geo.has_country(), "asn": snapshot.geo.has_asn()},
        "distributions": distributions,
    })
}

fn text(status: StatusCode, body: &'static str) -> Response<Body> {
    let mut response = Response::new(full(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

pub(super) fn json_response(status: StatusCode, value: serde_json::Value) -> Response<Body> {
    let mut response = Response::new(full(format!("{value}\n")));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    response
}
