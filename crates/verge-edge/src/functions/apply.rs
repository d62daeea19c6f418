//! Acting on a function's result: a returned request replaces the viewer's URI, query string,
//! headers and cookies (headers the function could not see are kept); a returned response is
//! either sent as generated or replaces the status and headers of the one going out.

use base64::Engine as _;
use http::header::{self, HeaderName, HeaderValue};
use http::request::Parts;
use http::{HeaderMap, Response, StatusCode, Uri};
use verge_functions::event::{Body as EventBody, Fields, Request, Response as EventResponse};
use verge_functions::output::is_disallowed;

use crate::body::{Body, full};

/// Request headers a function sees but may not change; carried over as they were.
const READ_ONLY_REQUEST: [HeaderName; 3] = [
    header::HOST,
    header::CONTENT_LENGTH,
    header::TRANSFER_ENCODING,
];

/// Response headers a function sees but may not change; carried over as they were.
const READ_ONLY_RESPONSE: [HeaderName; 3] = [
    header::CONTENT_ENCODING,
    header::CONTENT_LENGTH,
    header::TRANSFER_ENCODING,
];

/// Replaces the viewer's request with the one the function returned.
pub fn apply_request(parts: &mut Parts, request: &Request) -> Result<(), String> {
    let query = query_string(&request.querystring);
    let path_and_query = if query.is_empty() {
        request.uri.clone()
    } else {
        format!("{}?{query}", request.uri)
    };
    let mut uri = Uri::builder();
    if let Some(scheme) = parts.uri.scheme() {
        uri = uri.scheme(scheme.clone());
    }
    if let Some(authority) = parts.uri.authority() {
        uri = uri.authority(authority.clone());
    }
    parts.uri = uri
        .path_and_query(path_and_query)
        .build()
        .map_err(|e| format!("request.uri or querystring: {e}"))?;

    let mut headers = kept(&parts.headers, &READ_ONLY_REQUEST);
    add_fields(&mut headers, &request.headers, &READ_ONLY_REQUEST)?;
    let cookie = request
        .cookies
        .iter()
        .flat_map(|(name, field)| {
            field
                .values()
                .into_iter()
                .map(move |v| format!("{name}={v}"))
        })
        .collect::<Vec<_>>()
        .join("; ");
    if !cookie.is_empty() {
        let value =
            HeaderValue::from_str(&cookie).map_err(|_| "request.cookies hold an invalid value")?;
        headers.insert(header::COOKIE, value);
    }
    parts.headers = headers;
    Ok(())
}

/// Replaces the status and headers of a response on its way out (viewer-response).
pub fn apply_response(response: &mut Response<Body>, out: &EventResponse) -> Result<(), String> {
    let status = StatusCode::from_u16(out.status_code).map_err(|e| e.to_string())?;
    let mut headers = kept(response.headers(), &READ_ONLY_RESPONSE);
    add_fields(&mut headers, &out.headers, &READ_ONLY_RESPONSE)?;
    add_set_cookies(&mut headers, out)?;
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    Ok(())
}

/// The response a viewer-request function generated.
// Limitation: statusDescription is not sent; HTTP/1.1 responses carry the standard reason
// phrase and HTTP/2 has none.
pub fn generated_response(out: &EventResponse) -> Result<Response<Body>, String> {
    let status = StatusCode::from_u16(out.status_code).map_err(|e| e.to_string())?;
    let body = match &out.body {
        None => Vec::new(),
        Some(EventBody::Text(text)) => text.clone().into_bytes(),
        Some(EventBody::Encoded { data, encoding }) if encoding == "base64" => {
            base64::engine::general_purpose::STANDARD
                .decode(data)
                .map_err(|_| "response.body is not valid base64")?
        }
        Some(EventBody::Encoded { data, .. }) => data.clone().into_bytes(),
    };
    let mut headers = HeaderMap::new();
    add_fields(&mut headers, &out.headers, &READ_ONLY_RESPONSE)?;
    add_set_cookies(&mut headers, out)?;
    let mut response = Response::new(full(body));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    Ok(response)
}

/// The headers a function could not see or change, as they were.
fn kept(headers: &HeaderMap, read_only: &[HeaderName]) -> HeaderMap {
    let mut out = HeaderMap::new();
    for (name, value) in headers {
        if is_disallowed(name.as_str()) || read_only.contains(name) {
            out.append(name.clone(), value.clone());
        }
    }
    out
}

fn add_fields(headers: &mut HeaderMap, fields: &Fields, skip: &[HeaderName]) -> Result<(), String> {
    for (name, field) in fields.iter() {
        let name = HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes())
            .map_err(|_| format!("header name {name:?} is invalid"))?;
        if skip.contains(&name) || name == header::COOKIE || name == header::SET_COOKIE {
            continue;
        }
        for value in field.values() {
            let value = HeaderValue::from_str(value)
                .map_err(|_| format!("header {name} has an invalid value"))?;
            headers.append(name.clone(), value);
        }
    }
    Ok(())
}

fn add_set_cookies(headers: &mut HeaderMap, out: &EventResponse) -> Result<(), String> {
    headers.remove(header::SET_COOKIE);
    for (name, cookie) in out.cookies.iter() {
        for line in cookie.header_values(name) {
            let value = HeaderValue::from_str(&line)
                .map_err(|_| format!("cookie {name} has an invalid value"))?;
            headers.append(header::SET_COOKIE, value);
        }
    }
    Ok(())
}

/// The query string a function's fields stand for, values as the function left them.
fn query_string(fields: &Fields) -> String {
    let mut out = Vec::new();
    for (name, field) in fields.iter() {
        for value in field.values() {
            if value.is_empty() {
                out.push(name.to_owned());
            } else {
                out.push(format!("{name}={value}"));
            }
        }
    }
    out.join("&")
}
