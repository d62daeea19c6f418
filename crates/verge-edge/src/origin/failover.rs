//! Sending a request to a cache behavior's target: one origin with its connection attempts,
//! or an origin group that fails over to the secondary on connection errors, timeouts and
//! the group's status codes (for GET, HEAD and OPTIONS, as CloudFront does).

use std::sync::Arc;

use http::{Method, Request};
use verge_config::Target;

use super::{OriginClient, OriginError, OriginResponse, ReplayableBody};
use crate::body::Body;

/// What happened when fetching from a target.
pub struct FetchOutcome {
    /// The response, or the last error.
    pub result: Result<OriginResponse, OriginError>,
    /// Index of the origin that produced the result.
    pub origin: usize,
    /// Whether the secondary origin of a group was used.
    pub failed_over: bool,
}

/// Sends to `target`; `build` makes the request for a given origin and body.
pub async fn fetch(
    clients: &[Arc<OriginClient>],
    target: &Target,
    method: &Method,
    body: &ReplayableBody,
    build: impl Fn(&OriginClient, Body) -> Result<Request<Body>, OriginError>,
) -> FetchOutcome {
    let (candidates, codes): (Vec<usize>, &[u16]) = match target {
        Target::Origin(index) => (vec![*index], &[]),
        Target::Group {
            primary,
            secondary,
            failover_status_codes,
        } => (vec![*primary, *secondary], failover_status_codes.as_slice()),
    };
    let may_fail_over =
        candidates.len() > 1 && matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    let mut last: Option<FetchOutcome> = None;

    for (position, index) in candidates.iter().copied().enumerate() {
        let Some(client) = clients.get(index) else {
            continue;
        };
        let is_last = position + 1 == candidates.len() || !may_fail_over;
        let result = attempts(client, body, &build).await;
        // A body the failed attempt started reading cannot be sent again.
        let retry_elsewhere = body.available()
            && match &result {
                Ok(response) => codes.contains(&response.response.status().as_u16()),
                Err(_) => true,
            };
        let outcome = FetchOutcome {
            result,
            origin: index,
            failed_over: position > 0,
        };
        if is_last || !retry_elsewhere {
            return outcome;
        }
        if let Ok(response) = &outcome.result {
            tracing::debug!(origin = %client.origin.id, status = response.response.status().as_u16(), "Origin status triggers failover");
        } else if let Err(error) = &outcome.result {
            tracing::debug!(origin = %client.origin.id, %error, "Origin error triggers failover");
        }
        last = Some(outcome);
    }
    last.unwrap_or_else(|| FetchOutcome {
        result: Err(OriginError::Connect {
            origin: String::new(),
            reason: "no origin configured".to_owned(),
        }),
        origin: 0,
        failed_over: false,
    })
}

/// Up to the origin's connection attempts; only connection failures are retried.
async fn attempts(
    client: &OriginClient,
    body: &ReplayableBody,
    build: &impl Fn(&OriginClient, Body) -> Result<Request<Body>, OriginError>,
) -> Result<OriginResponse, OriginError> {
    let mut attempt = 1;
    loop {
        let request = build(client, body.attempt())?;
        match client.send(request).await {
            Err(OriginError::Connect { origin, reason })
                if attempt < client.origin.connection_attempts && body.available() =>
            {
                tracing::debug!(%origin, %reason, attempt, "Origin connection failed, retrying");
                attempt += 1;
            }
            other => return other,
        }
    }
}
