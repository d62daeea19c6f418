//! The event a function receives, in CloudFront Functions' shape (`version`, `context`,
//! `viewer`, `request`, `response`), and the builders the edge fills it with. Header, cookie
//! and query string names are the keys of ordered maps; a name seen more than once carries
//! every value in `multiValue` and the first in `value`.

use serde::{Deserialize, Serialize};

use crate::ordered::OrderedMap;

/// Which viewer event a function handles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventType {
    /// Before the cache and the origin: may change the request or answer it.
    #[serde(rename = "viewer-request")]
    ViewerRequest,
    /// Before the response goes to the viewer: may change its status and headers.
    #[serde(rename = "viewer-response")]
    ViewerResponse,
}

impl EventType {
    /// CloudFront's name for the event type.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::ViewerRequest => "viewer-request",
            EventType::ViewerResponse => "viewer-response",
        }
    }
}

/// The whole event object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Always `"1.0"`.
    #[serde(default = "version")]
    pub version: String,
    /// What the function is running for.
    #[serde(default)]
    pub context: Context,
    /// The viewer.
    #[serde(default)]
    pub viewer: Viewer,
    /// The viewer's request.
    #[serde(default)]
    pub request: Request,
    /// The response going to the viewer (viewer-response only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<Response>,
}

fn version() -> String {
    "1.0".to_owned()
}

/// The `context` object.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Context {
    /// The distribution's domain name (standard distributions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distribution_domain_name: Option<String>,
    /// The connection group's domain name (tenants of a multi-tenant distribution).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// The distribution's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distribution_id: Option<String>,
    /// `viewer-request` or `viewer-response`; absent in some test events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_type: Option<EventType>,
    /// The request's id (Verge's `x-verge-request-id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// The `viewer` object.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Viewer {
    /// The viewer's IP address as the edge saw the connection.
    #[serde(default)]
    pub ip: String,
}

/// One value of a multi-valued header, cookie or query string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Value {
    /// The value.
    #[serde(default)]
    pub value: String,
}

/// A header, request cookie or query string parameter.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Field {
    /// The (first) value.
    #[serde(default)]
    pub value: String,
    /// Every value, when there is more than one.
    #[serde(
        default,
        rename = "multiValue",
        alias = "multivalue",
        skip_serializing_if = "Option::is_none"
    )]
    pub multi_value: Option<Vec<Value>>,
}

impl Field {
    /// A field with one value.
    pub fn single(value: impl Into<String>) -> Field {
        Field {
            value: value.into(),
            multi_value: None,
        }
    }

    /// Every value, in order: `multiValue` wins over `value` when both are present, as on
    /// CloudFront.
    pub fn values(&self) -> Vec<&str> {
        match &self.multi_value {
            Some(values) if !values.is_empty() => values.iter().map(|v| v.value.as_str()).collect(),
            _ => vec![self.value.as_str()],
        }
    }
}

/// Headers, request cookies or query string parameters by name.
pub type Fields = OrderedMap<Field>;

/// Adds one value under `name`, turning the field multi-valued on its second value.
pub fn push_value(fields: &mut Fields, name: &str, value: &str) {
    match fields.get_mut(name) {
        Some(field) => {
            let values = field.multi_value.get_or_insert_with(|| {
                vec![Value {
                    value: field.value.clone(),
                }]
            });
            values.push(Value {
                value: value.to_owned(),
            });
        }
        None => fields.insert(name.to_owned(), Field::single(value)),
    }
}

/// The `request` object.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Request {
    /// The method; read-only.
    #[serde(default)]
    pub method: String,
    /// The path, starting with `/`.
    #[serde(default)]
    pub uri: String,
    /// Query string parameters, values as they appear in the URL.
    #[serde(default)]
    pub querystring: Fields,
    /// Headers by lowercase name (without `cookie`).
    #[serde(default)]
    pub headers: Fields,
    /// Cookies from the `Cookie` header.
    #[serde(default)]
    pub cookies: Fields,
}

impl Request {
    /// Fills the query string from a raw query (`a=1&b=2&b=3&flag`), keeping values as sent.
    pub fn parse_query(query: &str) -> Fields {
        let mut fields = Fields::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            push_value(&mut fields, name, value);
        }
        fields
    }

    /// Adds the cookies of one `Cookie` header (`a=1; b=2`).
    pub fn add_cookie_header(&mut self, header: &str) {
        for pair in header.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            push_value(&mut self.cookies, name.trim(), value.trim());
        }
    }
}

/// One value of a multi-valued response cookie.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CookieValue {
    /// The cookie's value.
    #[serde(default)]
    pub value: String,
    /// Everything after the value in `Set-Cookie` (`Path=/; Secure`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<String>,
}

/// A response cookie (one `Set-Cookie` name).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SetCookie {
    /// The (first) value.
    #[serde(default)]
    pub value: String,
    /// Its attributes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<String>,
    /// Every value with its attributes, when there is more than one.
    #[serde(
        default,
        rename = "multiValue",
        alias = "multivalue",
        skip_serializing_if = "Option::is_none"
    )]
    pub multi_value: Option<Vec<CookieValue>>,
}

impl SetCookie {
    /// Every `Set-Cookie` header value this cookie stands for.
    pub fn header_values(&self, name: &str) -> Vec<String> {
        let one = |value: &str, attributes: &Option<String>| match attributes {
            Some(attributes) if !attributes.is_empty() => format!("{name}={value}; {attributes}"),
            _ => format!("{name}={value}"),
        };
        match &self.multi_value {
            Some(values) if !values.is_empty() => values
                .iter()
                .map(|v| one(&v.value, &v.attributes))
                .collect(),
            _ => vec![one(&self.value, &self.attributes)],
        }
    }
}

/// Adds one `Set-Cookie` header value to the response's cookies.
pub fn push_set_cookie(cookies: &mut OrderedMap<SetCookie>, header: &str) {
    let (pair, attributes) = match header.split_once(';') {
        Some((pair, rest)) => (pair, Some(rest.trim().to_owned())),
        None => (header, None),
    };
    let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
    let (name, value) = (name.trim(), value.trim().to_owned());
    match cookies.get_mut(name) {
        Some(cookie) => {
            let values = cookie.multi_value.get_or_insert_with(|| {
                vec![CookieValue {
                    value: cookie.value.clone(),
                    attributes: cookie.attributes.clone(),
                }]
            });
            values.push(CookieValue { value, attributes });
        }
        None => cookies.insert(
            name.to_owned(),
            SetCookie {
                value,
                attributes,
                multi_value: None,
            },
        ),
    }
}

/// A response body a viewer-request function generates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Body {
    /// Plain text.
    Text(String),
    /// `{ "data": ..., "encoding": "text" | "base64" }`.
    Encoded {
        /// The body, as text or base64.
        data: String,
        /// `text` or `base64`.
        #[serde(default = "text")]
        encoding: String,
    },
}

fn text() -> String {
    "text".to_owned()
}

/// The `response` object.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Response {
    /// The status code.
    #[serde(default)]
    pub status_code: u16,
    /// The reason phrase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_description: Option<String>,
    /// Headers by lowercase name (without `set-cookie`).
    #[serde(default)]
    pub headers: Fields,
    /// Cookies from `Set-Cookie` headers.
    #[serde(default)]
    pub cookies: OrderedMap<SetCookie>,
    /// The body (generated responses only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Body>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_names_become_multi_valued_with_the_first_as_value() {
        let fields = Request::parse_query("a=1&b=2&b=3&flag");
        let json = serde_json::to_string(&fields).expect("serialises");
        assert_eq!(
            json,
            r#"{"a":{"value":"1"},"b":{"value":"2","multiValue":[{"value":"2"},{"value":"3"}]},"flag":{"value":""}}"#
        );
    }

    #[test]
    fn cookies_and_set_cookies_round_trip() {
        let mut request = Request::default();
        request.add_cookie_header("id=7; theme=dark");
        assert_eq!(
            request.cookies.get("theme").map(|c| c.value.as_str()),
            Some("dark")
        );

        let mut cookies = OrderedMap::new();
        push_set_cookie(&mut cookies, "id=7; Path=/; Secure");
        push_set_cookie(&mut cookies, "id=8; Path=/a");
        let cookie = cookies.get("id").expect("stored");
        assert_eq!(
            cookie.header_values("id"),
            ["id=7; Path=/; Secure", "id=8; Path=/a"]
        );
    }

    #[test]
    fn sparse_test_events_parse_with_either_spelling() {
        let event: Event = serde_json::from_str(
            r#"{"request":{"method":"GET","uri":"/","headers":{"accept":{"value":"a","multivalue":[{"value":"a"},{"value":"b"}]}}}}"#,
        )
        .expect("parses");
        assert_eq!(event.version, "1.0");
        let accept = event.request.headers.get("accept").expect("present");
        assert_eq!(accept.values(), ["a", "b"]);
    }
}
