//! One origin's pooled HTTP client: keep-alive connections reused across requests, closed
//! after the origin's keep-alive idle timeout; connection timeout per attempt; read timeout
//! for the response head and between pieces of the body.

use std::sync::Arc;
use std::time::{Duration, Instant};

use http::uri::{Authority, PathAndQuery, Scheme};
use http::{Request, Response, Uri};
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rustls::crypto::CryptoProvider;
use verge_config::model::{Origin, OriginHttpVersion, OriginProtocolPolicy};

use super::tfo::{TierConnector, tier_refused};
use crate::body::{Body, TimeoutBody};
use crate::error::EdgeError;

/// Why an origin request failed.
#[derive(Debug, thiserror::Error)]
pub enum OriginError {
    /// No connection could be made (refused, unreachable, TLS handshake failed, timed out).
    #[error("cannot connect to origin {origin}: {reason}")]
    Connect {
        /// Origin id.
        origin: String,
        /// The cause.
        reason: String,
    },
    /// The origin did not answer within its read timeout.
    #[error("origin {origin} did not respond within {seconds}s")]
    Timeout {
        /// Origin id.
        origin: String,
        /// The timeout.
        seconds: u64,
    },
    /// The origin's answer was not valid HTTP, or the connection broke mid-request.
    #[error("origin {origin}: {reason}")]
    Protocol {
        /// Origin id.
        origin: String,
        /// The cause.
        reason: String,
    },
}

/// A response head from an origin, with the body wrapped in the read timeout.
pub struct OriginResponse {
    /// The response; the body streams from the origin.
    pub response: Response<Body>,
    /// Time from sending the request to the response head.
    pub latency: Duration,
}

/// A pooled client for one origin.
pub struct OriginClient {
    /// The origin's configuration.
    pub origin: Arc<Origin>,
    client: Pool,
    http_authority: Option<Authority>,
    https_authority: Option<Authority>,
}

/// The connection pool: TLS-capable for origins, or plain TCP with fast open for tier links.
enum Pool {
    Origin(Client<HttpsConnector<HttpConnector>, Body>),
    Tier(Client<TierConnector, Body>),
}

impl std::fmt::Debug for OriginClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OriginClient")
            .field("origin", &self.origin.id)
            .finish()
    }
}

impl OriginClient {
    /// A client for another Verge node serving as a cache tier: plain HTTP/1.1 on kept-alive
    /// connections opened with TCP Fast Open where the kernel allows it.
    pub fn tier(origin: Arc<Origin>) -> Result<Self, EdgeError> {
        let connector = TierConnector::new(origin.connection_timeout);
        let mut client = Client::builder(TokioExecutor::new());
        client
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .pool_idle_timeout(origin.keepalive_timeout)
            .set_host(false);
        let (http_authority, https_authority) = authorities(&origin)?;
        Ok(OriginClient {
            client: Pool::Tier(client.build(connector)),
            origin,
            http_authority,
            https_authority,
        })
    }

    /// Builds the client and its (empty) connection pool.
    pub fn new(origin: Arc<Origin>, provider: Arc<CryptoProvider>) -> Result<Self, EdgeError> {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(origin.connection_timeout));
        let tls = crate::tls::origin_client_config(
            provider,
            origin.tls_verify,
            origin.ca_file.as_deref(),
            Vec::new(),
        )?;
        let builder = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http();
        let connector = match origin.http_version {
            OriginHttpVersion::Http11 => builder.enable_http1().wrap_connector(http),
            OriginHttpVersion::Http2 => builder.enable_http2().wrap_connector(http),
        };
        let mut client = Client::builder(TokioExecutor::new());
        client
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .pool_idle_timeout(origin.keepalive_timeout)
            .http1_preserve_header_case(false)
            // Header names go to HTTP/1.1 origins capitalised, as CloudFront sends them (edge
            // functions and policies write them in lowercase).
            .http1_title_case_headers(true)
            .set_host(false);
        if origin.http_version == OriginHttpVersion::Http2 {
            client
                .http2_only(true)
                .http2_keep_alive_interval(Some(Duration::from_secs(20)));
        }
        let (http_authority, https_authority) = authorities(&origin)?;
        Ok(OriginClient {
            client: Pool::Origin(client.build(connector)),
            origin,
            http_authority,
            https_authority,
        })
    }

    /// Whether requests for a viewer on `viewer_https` go over HTTPS.
    pub fn uses_https(&self, viewer_https: bool) -> bool {
        match self.origin.protocol_policy {
            OriginProtocolPolicy::HttpOnly => false,
            OriginProtocolPolicy::HttpsOnly => true,
            OriginProtocolPolicy::MatchViewer => viewer_https,
        }
    }

    /// The `Host` value for this origin (name and non-default port).
    pub fn host_header(&self, https: bool) -> &str {
        let authority = if https {
            &self.https_authority
        } else {
            &self.http_authority
        };
        authority.as_ref().map(Authority::as_str).unwrap_or("")
    }

    /// The absolute URI of `path_and_query` on this origin, with the origin path prepended.
    pub fn uri(&self, https: bool, path_and_query: &str) -> Result<Uri, OriginError> {
        let full = format!("{}{}", self.origin.origin_path, path_and_query);
        let path: PathAndQuery = full
            .parse()
            .map_err(|_| self.protocol(format!("bad request path `{full}`")))?;
        let authority = if https {
            self.https_authority.clone()
        } else {
            self.http_authority.clone()
        };
        Uri::builder()
            .scheme(if https { Scheme::HTTPS } else { Scheme::HTTP })
            .authority(authority.ok_or_else(|| self.protocol("no authority".to_owned()))?)
            .path_and_query(path)
            .build()
            .map_err(|e| self.protocol(e.to_string()))
    }

    /// Sends one request (one connection attempt) and waits for the response head.
    pub async fn send(&self, request: Request<Body>) -> Result<OriginResponse, OriginError> {
        let started = Instant::now();
        let limit = self.origin.connection_timeout + self.origin.read_timeout;
        let pending = match &self.client {
            Pool::Origin(client) => client.request(request),
            Pool::Tier(client) => client.request(request),
        };
        let result = tokio::time::timeout(limit, pending).await;
        let response = match result {
            Err(_) => {
                return Err(OriginError::Timeout {
                    origin: self.origin.id.clone(),
                    seconds: self.origin.read_timeout.as_secs(),
                });
            }
            // With a fast open cookie the handshake rides on the request, so a refused tier
            // shows up as a send error; it never saw the request, so it is a connect error.
            Ok(Err(error)) if error.is_connect() || tier_refused(&error) => {
                return Err(OriginError::Connect {
                    origin: self.origin.id.clone(),
                    reason: error_chain(&error),
                });
            }
            Ok(Err(error)) => return Err(self.protocol(error_chain(&error))),
            Ok(Ok(response)) => response,
        };
        let latency = started.elapsed();
        Ok(OriginResponse {
            response: self.wrap_body(response),
            latency,
        })
    }

    fn wrap_body(&self, response: Response<Incoming>) -> Response<Body> {
        let timeout = self.origin.read_timeout;
        response
            .map(|body| crate::body::boxed(TimeoutBody::new(body, timeout, "origin response body")))
    }

    fn protocol(&self, reason: String) -> OriginError {
        OriginError::Protocol {
            origin: self.origin.id.clone(),
            reason,
        }
    }
}

/// An error and its causes, on one line.
/// The origin's `host[:port]` for HTTP and for HTTPS (ports omitted when default).
fn authorities(origin: &Origin) -> Result<(Option<Authority>, Option<Authority>), EdgeError> {
    let authority = |port: u16, default: u16| -> Option<Authority> {
        let host = if origin.domain_name.contains(':') {
            format!("[{}]", origin.domain_name)
        } else {
            origin.domain_name.clone()
        };
        let text = if port == default {
            host
        } else {
            format!("{host}:{port}")
        };
        text.parse().ok()
    };
    let http_authority = authority(origin.http_port, 80);
    let https_authority = authority(origin.https_port, 443);
    if http_authority.is_none() || https_authority.is_none() {
        return Err(EdgeError::Tls(format!(
            "origin {}: `{}` is not a valid host",
            origin.id, origin.domain_name
        )));
    }
    Ok((http_authority, https_authority))
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
