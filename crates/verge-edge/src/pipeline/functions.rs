//! `viewer_request_filter` and `viewer_response_function`: the cache behavior's CloudFront
//! Functions. A viewer-request function runs after routing and before the cache; it may
//! rewrite the request, answer it, or send it to another origin. A viewer-response function
//! runs on responses under 400 before the response headers policy, and may change the status
//! and headers. A failing function fails only its own request (502 or 503).

use std::sync::Arc;
use std::time::SystemTime;

use http::Response;
use http::request::Parts;
use verge_config::model::{Origin, OriginProtocolPolicy};
use verge_config::{CompiledBehavior, CompiledDistribution, Target};
use verge_functions::runtime::EdgeLocation;
use verge_functions::{
    Environment, Event, EventType, Function, Invocation, OriginChange, OriginUpdate, Output,
};

use super::ProxyError;
use crate::body::Body;
use crate::context::{OriginOverride, RequestContext, ResultType};
use crate::functions::{
    apply_request, apply_response, generated_response, request_event, response_event,
};
use crate::snapshot::Snapshot;
use crate::state::EdgeState;

/// Runs the behavior's viewer-request function on a copy of the request. Returns the changed
/// request to continue with, or the response the function generated.
pub fn viewer_request_filter(
    state: &EdgeState,
    snapshot: &Snapshot,
    ctx: &mut RequestContext,
    distribution: &CompiledDistribution,
    behavior: &CompiledBehavior,
    parts: &Parts,
) -> Result<Result<Parts, Response<Body>>, ProxyError> {
    let Some((name, function)) = lookup(snapshot, behavior.viewer_request.as_deref()) else {
        return Ok(Ok(super::copy_parts(parts)));
    };
    let event = request_event(parts, ctx, distribution, EventType::ViewerRequest);
    let invocation = invoke(
        state,
        snapshot,
        ctx,
        distribution,
        name,
        &function,
        &event,
        EventType::ViewerRequest,
    );
    let invalid = |reason: String| ProxyError::Function {
        function: name.to_owned(),
        status: 502,
        reason,
    };
    match invocation.result {
        Err(error) => Err(ProxyError::Function {
            function: name.to_owned(),
            status: error.status(),
            reason: error.to_string(),
        }),
        Ok(Output::Response(generated)) => {
            ctx.result = ResultType::FunctionGeneratedResponse;
            generated_response(&generated).map(Err).map_err(invalid)
        }
        Ok(Output::Request(request)) => {
            let mut changed = super::copy_parts(parts);
            apply_request(&mut changed, &request).map_err(invalid)?;
            if let Some(change) = invocation.origin {
                ctx.origin_override = Some(
                    origin_override(snapshot, distribution, behavior, change).map_err(invalid)?,
                );
            }
            Ok(Ok(changed))
        }
    }
}

/// Runs the behavior's viewer-response function on a response under 400 that the origin or
/// the cache produced; a failure replaces the response with the edge's error page.
pub fn viewer_response_function(
    state: &EdgeState,
    snapshot: &Snapshot,
    ctx: &mut RequestContext,
    parts: &Parts,
    mut response: Response<Body>,
) -> Response<Body> {
    let Some(distribution) = ctx.distribution.clone() else {
        return response;
    };
    let Some(behavior) = ctx.behavior.and_then(|i| distribution.behaviors.get(i)) else {
        return response;
    };
    let skip =
        response.status().as_u16() >= 400 || ctx.result == ResultType::FunctionGeneratedResponse;
    let Some((name, function)) = lookup(snapshot, behavior.viewer_response.as_deref()) else {
        return response;
    };
    if skip {
        return response;
    }
    let event = response_event(
        request_event(parts, ctx, &distribution, EventType::ViewerResponse),
        &response,
    );
    let invocation = invoke(
        state,
        snapshot,
        ctx,
        &distribution,
        name,
        &function,
        &event,
        EventType::ViewerResponse,
    );
    let failure = match invocation.result {
        Ok(Output::Response(out)) => match apply_response(&mut response, &out) {
            Ok(()) => return response,
            Err(reason) => ProxyError::Function {
                function: name.to_owned(),
                status: 502,
                reason,
            },
        },
        Ok(Output::Request(_)) => ProxyError::Function {
            function: name.to_owned(),
            status: 502,
            reason: "a viewer-response function must return a response".to_owned(),
        },
        Err(error) => ProxyError::Function {
            function: name.to_owned(),
            status: error.status(),
            reason: error.to_string(),
        },
    };
    ctx.result = ResultType::Error;
    ctx.detail = Some(failure.detail());
    failure.response(&ctx.request_id, &snapshot.config.node.pop)
}

fn lookup<'a>(snapshot: &Snapshot, name: Option<&'a str>) -> Option<(&'a str, Arc<Function>)> {
    let name = name?;
    let function = snapshot.functions.functions.get(name)?.clone();
    Some((name, function))
}

#[allow(clippy::too_many_arguments)]
fn invoke(
    state: &EdgeState,
    snapshot: &Snapshot,
    ctx: &RequestContext,
    distribution: &CompiledDistribution,
    name: &str,
    function: &Function,
    event: &Event,
    event_type: EventType,
) -> Invocation {
    let pop = &snapshot.config.node.pop;
    let env = Environment {
        now: SystemTime::now(),
        edge_location: EdgeLocation {
            name: pop.clone(),
            server_ip: ctx.conn.local.ip().to_string(),
            region: pop.clone(),
        },
        origin_ids: distribution.origins.iter().map(|o| o.id.clone()).collect(),
        tenant: None,
    };
    let invocation = function.invoke(event, event_type, &env);
    let outcome = match &invocation.result {
        Ok(_) => "ok",
        Err(error) => error.kind(),
    };
    state.metrics.function_invocation(
        name,
        event_type.as_str(),
        outcome,
        invocation.cpu.as_secs_f64(),
    );
    for line in &invocation.logs {
        tracing::debug!(function = name, request_id = %ctx.request_id, line = %line, "Function log");
    }
    if let Err(error) = &invocation.result {
        tracing::warn!(function = name, distribution = %distribution.id, request_id = %ctx.request_id, event_type = event_type.as_str(), reason = %error, "Function failed");
    }
    invocation
}

/// Where a function's origin change sends the request.
fn origin_override(
    snapshot: &Snapshot,
    distribution: &CompiledDistribution,
    behavior: &CompiledBehavior,
    change: OriginChange,
) -> Result<OriginOverride, String> {
    let index = |id: &str| {
        distribution
            .origins
            .iter()
            .position(|o| o.id == id)
            .ok_or_else(|| format!("the distribution has no origin `{id}`"))
    };
    Ok(match change {
        OriginChange::Select(id) => OriginOverride {
            target: Target::Origin(index(&id)?),
            client: None,
            host: None,
        },
        OriginChange::Group {
            origin_ids: [primary, secondary],
            failover_status_codes,
        } => OriginOverride {
            target: Target::Group {
                primary: index(&primary)?,
                secondary: index(&secondary)?,
                failover_status_codes,
            },
            client: None,
            host: None,
        },
        OriginChange::Update(update) => {
            let base = match &behavior.target {
                Target::Origin(i) => *i,
                Target::Group { primary, .. } => *primary,
            };
            let base = distribution
                .origins
                .get(base)
                .ok_or("the behavior has no origin")?;
            let origin = updated(base, &update);
            let client = snapshot
                .function_origins
                .client(origin)
                .map_err(|e| e.to_string())?;
            OriginOverride {
                target: Target::Origin(0),
                client: Some(client),
                host: update.host_header,
            }
        }
    })
}

/// The behavior's origin with a function's changes.
fn updated(base: &Origin, update: &OriginUpdate) -> Origin {
    use verge_functions::cloudfront::OriginProtocol;

    let mut origin = base.clone();
    if let Some(domain) = &update.domain_name {
        origin.domain_name = domain.clone();
    }
    if let Some(path) = &update.origin_path {
        origin.origin_path = path.clone();
    }
    for (name, value) in &update.custom_headers {
        origin.custom_headers.insert(name.clone(), value.clone());
    }
    if let Some(attempts) = update.connection_attempts {
        origin.connection_attempts = u32::from(attempts);
    }
    if let Some(timeout) = update.connection_timeout {
        origin.connection_timeout = timeout;
    }
    if let Some(timeout) = update.read_timeout {
        origin.read_timeout = timeout;
    }
    if let Some(timeout) = update.keep_alive_timeout {
        origin.keepalive_timeout = timeout;
    }
    match update.protocol {
        Some(OriginProtocol::Http) => origin.protocol_policy = OriginProtocolPolicy::HttpOnly,
        Some(OriginProtocol::Https) => origin.protocol_policy = OriginProtocolPolicy::HttpsOnly,
        None => {}
    }
    if let Some(port) = update.port {
        match origin.protocol_policy {
            OriginProtocolPolicy::HttpOnly => origin.http_port = port,
            OriginProtocolPolicy::HttpsOnly => origin.https_port = port,
            OriginProtocolPolicy::MatchViewer => {
                origin.http_port = port;
                origin.https_port = port;
            }
        }
    }
    // Limitation: an origin shield named by a function is not used; the request goes to the
    // origin directly (shields are configured per origin in the config file).
    origin.origin_shield = None;
    origin
}
