//! Request-path failures: which side failed, the status a viewer gets, CloudFront's
//! detailed result type for the log, and the small HTML page the edge answers with.

use http::{HeaderValue, Response, StatusCode, header};
use verge_config::MethodSet;

use crate::body::{Body, full};
use crate::origin::OriginError;

/// Which side a request failure comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The viewer sent something we refuse.
    Viewer,
    /// The origin failed.
    Origin,
    /// The edge's own configuration decided.
    Edge,
}

/// Why the pipeline ended a request early.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// Malformed or ambiguous request; the connection is closed after the answer.
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    /// Request line plus headers over the limit.
    #[error("request headers larger than {0} bytes")]
    HeadersTooLarge(usize),
    /// No distribution serves this host.
    #[error("no distribution serves host `{0}`")]
    UnknownHost(String),
    /// The distribution is disabled.
    #[error("distribution is disabled")]
    Disabled,
    /// The behavior is https-only and the viewer used HTTP.
    #[error("HTTPS is required")]
    HttpsRequired,
    /// The behavior redirects HTTP to HTTPS.
    #[error("redirect to {0}")]
    RedirectToHttps(String),
    /// The method is not in the behavior's allowed methods.
    #[error("method not allowed")]
    MethodNotAllowed(MethodSet),
    /// The viewer's country is restricted.
    #[error("viewer country is restricted")]
    GeoBlocked,
    /// The request already passed through this POP.
    #[error("forwarding loop detected")]
    Loop,
    /// The viewer asked `only-if-cached` and nothing usable is stored (RFC 9111 §5.2.1.7).
    #[error("not in the cache (only-if-cached)")]
    NotCached,
    /// An edge function failed (503) or returned an invalid result (502).
    #[error("function `{function}` failed: {reason}")]
    Function {
        /// The function's name.
        function: String,
        /// 502 or 503.
        status: u16,
        /// Why, for the log.
        reason: String,
    },
    /// The origin failed.
    #[error(transparent)]
    Origin(#[from] OriginError),
}

impl ProxyError {
    /// The status the viewer gets.
    pub fn status(&self) -> StatusCode {
        match self {
            ProxyError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ProxyError::HeadersTooLarge(_) => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ProxyError::UnknownHost(_) => StatusCode::MISDIRECTED_REQUEST,
            ProxyError::Disabled | ProxyError::HttpsRequired | ProxyError::GeoBlocked => {
                StatusCode::FORBIDDEN
            }
            ProxyError::RedirectToHttps(_) => StatusCode::MOVED_PERMANENTLY,
            ProxyError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ProxyError::Loop => StatusCode::LOOP_DETECTED,
            ProxyError::NotCached => StatusCode::GATEWAY_TIMEOUT,
            ProxyError::Function { status, .. } => {
                StatusCode::from_u16(*status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE)
            }
            ProxyError::Origin(OriginError::Timeout { .. }) => StatusCode::GATEWAY_TIMEOUT,
            ProxyError::Origin(_) => StatusCode::BAD_GATEWAY,
        }
    }

    /// Which side failed.
    pub fn side(&self) -> Side {
        match self {
            ProxyError::BadRequest(_)
            | ProxyError::HeadersTooLarge(_)
            | ProxyError::UnknownHost(_) => Side::Viewer,
            ProxyError::Origin(_) => Side::Origin,
            _ => Side::Edge,
        }
    }

    /// CloudFront's `x-edge-detailed-result-type` for this failure.
    pub fn detail(&self) -> &'static str {
        match self {
            ProxyError::BadRequest(_) | ProxyError::UnknownHost(_) | ProxyError::Loop => {
                "InvalidRequest"
            }
            ProxyError::HeadersTooLarge(_) => "InvalidRequestHeader",
            ProxyError::MethodNotAllowed(_) => "InvalidRequestMethod",
            ProxyError::GeoBlocked => "ClientGeoBlocked",
            ProxyError::Disabled | ProxyError::HttpsRequired | ProxyError::NotCached => "Error",
            ProxyError::RedirectToHttps(_) => "Redirect",
            ProxyError::Function { status: 502, .. } => "FunctionValidationError",
            ProxyError::Function { .. } => "FunctionExecutionError",
            ProxyError::Origin(OriginError::Connect { .. }) => "OriginConnectError",
            ProxyError::Origin(OriginError::Timeout { .. }) => "OriginReadError",
            ProxyError::Origin(OriginError::Protocol { .. }) => "OriginCommError",
        }
    }

    /// The response for this failure.
    pub fn response(&self, request_id: &str, pop: &str) -> Response<Body> {
        let status = self.status();
        let message = match self {
            ProxyError::Origin(_) => {
                "The origin could not be reached or did not answer correctly.".to_owned()
            }
            ProxyError::Function { status: 502, .. } => {
                "The edge function returned an invalid result.".to_owned()
            }
            ProxyError::Function { .. } => "The edge function failed.".to_owned(),
            other => other.to_string(),
        };
        let page = error_page(status, &message, request_id, pop);
        let mut response = Response::new(full(page));
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        headers.insert(header::SERVER, HeaderValue::from_static("verge"));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        match self {
            ProxyError::BadRequest(_) => {
                headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            ProxyError::RedirectToHttps(location) => {
                if let Ok(value) = HeaderValue::from_str(location) {
                    headers.insert(header::LOCATION, value);
                }
            }
            ProxyError::MethodNotAllowed(allowed) => {
                if let Ok(value) = HeaderValue::from_str(&allowed.allow_header()) {
                    headers.insert(header::ALLOW, value);
                }
            }
            _ => {}
        }
        response
    }
}

/// The edge's own error page; every dynamic part is HTML-escaped.
pub fn error_page(status: StatusCode, message: &str, request_id: &str, pop: &str) -> String {
    let title = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    );
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head>\n<body><h1>{title}</h1>\n<p>{}</p>\n<hr><p><small>Request id {} &middot; POP {} &middot; verge</small></p></body></html>\n",
        escape(message),
        escape(request_id),
        escape(pop)
    )
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_escape_viewer_input() {
        let page = error_page(
            StatusCode::MISDIRECTED_REQUEST,
            "no host `<script>`",
            "id",
            "pop",
        );
        assert!(page.contains("&lt;script&gt;"));
        assert!(!page.contains("<script>"));
    }

    #[test]
    fn statuses() {
        assert_eq!(ProxyError::HeadersTooLarge(1).status(), 431);
        assert_eq!(ProxyError::UnknownHost("x".into()).status(), 421);
        let timeout = ProxyError::Origin(OriginError::Timeout {
            origin: "a".into(),
            seconds: 1,
        });
        assert_eq!(timeout.status(), 504);
        assert_eq!(timeout.side(), Side::Origin);
    }
}
