//! What a function returned, checked the way CloudFront checks it before acting on it: the
//! method is read-only, the URI starts with `/`, disallowed headers may not be added and
//! read-only headers may not change, status codes and bodies are in range. A result that
//! breaks a rule is an invalid result (502 to the viewer).

use base64::Engine as _;
use serde_json::Value as Json;

use crate::error::FunctionError;
use crate::event::{Body, Event, EventType, Fields, Request, Response};

/// The most a generated response body may hold, as on CloudFront (40 KB).
pub const MAX_BODY_BYTES: usize = 40 * 1024;

/// Headers functions never see and may not add.
const DISALLOWED: &[&str] = &[
    "connection",
    "expect",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "trailer",
    "upgrade",
    "x-accel-buffering",
    "x-accel-charset",
    "x-accel-limit-rate",
    "x-accel-redirect",
    "x-cache",
    "x-forwarded-proto",
    "x-real-ip",
];

/// Name prefixes functions never see and may not add (CloudFront's and Verge's own).
const DISALLOWED_PREFIXES: &[&str] = &["x-amz-cf-", "x-amzn-", "x-edge-", "x-verge-"];

/// Headers a viewer-request function may read but not add, change or remove.
const READ_ONLY_REQUEST: &[&str] = &["content-length", "host", "transfer-encoding", "via"];

/// Headers a viewer-response function may read but not add, change or remove.
const READ_ONLY_RESPONSE: &[&str] = &[
    "content-encoding",
    "content-length",
    "transfer-encoding",
    "via",
    "warning",
];

/// Whether a (lowercase) header is hidden from functions and may not be added by them.
pub fn is_disallowed(name: &str) -> bool {
    DISALLOWED.contains(&name) || DISALLOWED_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// What the function decided.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Continue with this request (viewer-request).
    Request(Request),
    /// Answer with this response: generated (viewer-request), or the status and headers that
    /// replace the origin's (viewer-response).
    Response(Response),
}

/// Checks a function's result against the event it was given.
pub fn parse(event: &Event, event_type: EventType, result: Json) -> Result<Output, FunctionError> {
    let Json::Object(mut object) = result else {
        return Err(invalid(format!(
            "expected a request or response object, got {}",
            kind(&result)
        )));
    };
    let is_response = object.contains_key("statusCode") || event_type == EventType::ViewerResponse;
    if !is_response {
        // A query string assigned as a plain string is parsed as a viewer's would be.
        if let Some(Json::String(query)) = object.get("querystring") {
            let fields = Request::parse_query(query.trim_start_matches('?'));
            let fields = serde_json::to_value(fields).map_err(|e| invalid(e.to_string()))?;
            object.insert("querystring".to_owned(), fields);
        }
        let request: Request = serde_json::from_value(Json::Object(object))
            .map_err(|e| invalid(format!("request: {e}")))?;
        check_request(&event.request, &request)?;
        return Ok(Output::Request(request));
    }

    let response: Response = serde_json::from_value(Json::Object(object))
        .map_err(|e| invalid(format!("response: {e}")))?;
    check_response(event, event_type, &response)?;
    Ok(Output::Response(response))
}

fn check_request(before: &Request, after: &Request) -> Result<(), FunctionError> {
    if !after.method.is_empty() && after.method != before.method {
        return Err(invalid("request.method is read-only".to_owned()));
    }
    if !after.uri.starts_with('/') {
        return Err(invalid(format!(
            "request.uri must start with '/', got {:?}",
            after.uri
        )));
    }
    if after.uri.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(invalid(
            "request.uri holds spaces or control characters".to_owned(),
        ));
    }
    check_headers("request", &after.headers)?;
    check_read_only(
        "request",
        READ_ONLY_REQUEST,
        &before.headers,
        &after.headers,
    )?;
    for (name, field) in after.cookies.iter().chain(after.querystring.iter()) {
        for value in field.values() {
            if value.bytes().any(|b| b < b' ' || b == 0x7f) || name.is_empty() {
                return Err(invalid(format!(
                    "request cookie or query string {name:?} is malformed"
                )));
            }
        }
    }
    Ok(())
}

fn check_response(
    event: &Event,
    event_type: EventType,
    response: &Response,
) -> Result<(), FunctionError> {
    if !(100..=599).contains(&response.status_code) {
        return Err(invalid(format!(
            "response.statusCode must be 100 to 599, got {}",
            response.status_code
        )));
    }
    check_headers("response", &response.headers)?;
    if event_type == EventType::ViewerResponse {
        let before = event.response.as_ref().map(|r| &r.headers);
        let empty = Fields::new();
        check_read_only(
            "response",
            READ_ONLY_RESPONSE,
            before.unwrap_or(&empty),
            &response.headers,
        )?;
    }
    for (name, cookie) in response.cookies.iter() {
        if name.is_empty() || cookie.header_values(name).iter().any(|v| has_control(v)) {
            return Err(invalid(format!("response cookie {name:?} is malformed")));
        }
    }
    if let Some(body) = &response.body {
        let size = match body {
            Body::Text(text) => text.len(),
            Body::Encoded { data, encoding } => match encoding.as_str() {
                "text" => data.len(),
                "base64" => base64::engine::general_purpose::STANDARD
                    .decode(data)
                    .map_err(|_| invalid("response.body.data is not valid base64".to_owned()))?
                    .len(),
                other => {
                    return Err(invalid(format!(
                        "response.body.encoding must be \"text\" or \"base64\", got {other:?}"
                    )));
                }
            },
        };
        if size > MAX_BODY_BYTES {
            return Err(invalid(format!(
                "response.body is {size} bytes, over the {MAX_BODY_BYTES}-byte limit"
            )));
        }
    }
    Ok(())
}

fn check_headers(side: &str, headers: &Fields) -> Result<(), FunctionError> {
    for (name, field) in headers.iter() {
        let valid_name = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if !valid_name {
            return Err(invalid(format!(
                "{side} header name {name:?} is not a valid token"
            )));
        }
        if is_disallowed(&name.to_ascii_lowercase()) {
            return Err(invalid(format!(
                "{side} header {name:?} may not be set by a function"
            )));
        }
        if field.values().iter().any(|v| has_control(v)) {
            return Err(invalid(format!(
                "{side} header {name:?} holds a control character"
            )));
        }
    }
    Ok(())
}

fn check_read_only(
    side: &str,
    names: &[&str],
    before: &Fields,
    after: &Fields,
) -> Result<(), FunctionError> {
    for name in names {
        let old = before.get(name).map(|f| f.values());
        let new = lookup(after, name).map(|f| f.values());
        if old != new {
            return Err(invalid(format!("{side} header {name:?} is read-only")));
        }
    }
    Ok(())
}

fn lookup<'a>(fields: &'a Fields, name: &str) -> Option<&'a crate::event::Field> {
    fields
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, f)| f)
}

fn has_control(value: &str) -> bool {
    value.bytes().any(|b| (b < b' ' && b != b'\t') || b == 0x7f)
}

fn kind(value: &Json) -> &'static str {
    match value {
        Json::Null => "nothing",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

fn invalid(reason: String) -> FunctionError {
    FunctionError::InvalidResult(reason)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event() -> Event {
        serde_json::from_value(json!({
            "request": {"method": "GET", "uri": "/a", "headers": {"host": {"value": "example.com"}}}
        }))
        .expect("valid event")
    }

    #[test]
    fn a_returned_request_continues_with_a_string_query() {
        let result = json!({"method": "GET", "uri": "/b", "querystring": "x=1&x=2",
            "headers": {"host": {"value": "example.com"}, "x-new": {"value": "1"}}});
        let Ok(Output::Request(request)) = parse(&event(), EventType::ViewerRequest, result) else {
            panic!("expected a request");
        };
        assert_eq!(request.uri, "/b");
        assert_eq!(
            request.querystring.get("x").map(|f| f.values()),
            Some(vec!["1", "2"])
        );
    }

    #[test]
    fn broken_rules_are_invalid_results() {
        let cases = [
            json!({"method": "POST", "uri": "/"}),
            json!({"method": "GET", "uri": "nope"}),
            json!({"uri": "/", "headers": {"host": {"value": "other"}}}),
            json!({"uri": "/", "headers": {"host": {"value": "example.com"}, "connection": {"value": "close"}}}),
            json!({"uri": "/", "headers": {"host": {"value": "example.com"}, "x-a": {"value": "a\r\nb"}}}),
            json!({"statusCode": 700}),
            json!({"statusCode": 200, "body": {"data": "%%", "encoding": "base64"}}),
            json!({"statusCode": 200, "body": "x".repeat(MAX_BODY_BYTES + 1)}),
            json!("a string"),
            json!({"uri": "/", "headers": {"x": {"value": 5}}}),
        ];
        for case in cases {
            let error = parse(&event(), EventType::ViewerRequest, case.clone())
                .expect_err(&format!("{case} should be refused"));
            assert_eq!(error.status(), 502, "{case}: {error}");
        }
    }

    #[test]
    fn a_response_with_a_status_ends_the_request() {
        let result = json!({"statusCode": 302, "statusDescription": "Found",
            "headers": {"location": {"value": "https://example.com/"}}});
        let Ok(Output::Response(response)) = parse(&event(), EventType::ViewerRequest, result)
        else {
            panic!("expected a response");
        };
        assert_eq!(response.status_code, 302);
    }
}
