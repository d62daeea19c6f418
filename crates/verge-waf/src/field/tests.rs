//! Tests for field extraction: each AWS field, filters, scopes, oversize and fallbacks.

use std::net::{IpAddr, Ipv4Addr};

use super::*;
use crate::model::field::FieldToMatch;

const LIMIT: usize = 16 * 1024;

fn req() -> Request {
    Request::new("POST", "/a%20b/c", IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)))
        .with_query("id=7&Name=bob&name=alice&flag")
        .with_header("Host", "shop.example.com")
        .with_header("User-Agent", "curl/8.0")
        .with_header("Cookie", "session=abc; theme=dark")
        .with_header("cookie", "tracking=1")
        .with_body(br#"{"q": "hello"}"#)
}

fn field(json: &str) -> Field {
    let model: FieldToMatch = serde_json::from_str(json).unwrap();
    Field::compile(&model)
}

fn texts(e: Extracted<'_>) -> Vec<String> {
    match e {
        Extracted::Values(v) => v
            .iter()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .collect(),
        other => panic!("expected values, got {other:?}"),
    }
}

#[test]
fn simple_fields_are_raw() {
    let r = req();
    assert_eq!(
        texts(field(r#"{"UriPath": {}}"#).extract(&r, LIMIT)),
        ["/a%20b/c"]
    );
    assert_eq!(
        texts(field(r#"{"QueryString": {}}"#).extract(&r, LIMIT)),
        ["id=7&Name=bob&name=alice&flag"]
    );
    assert_eq!(
        texts(field(r#"{"Method": {}}"#).extract(&r, LIMIT)),
        ["POST"]
    );
    assert_eq!(
        texts(field(r#"{"Body": {}}"#).extract(&r, LIMIT)),
        [r#"{"q": "hello"}"#]
    );
}

#[test]
fn query_arguments() {
    let r = req();
    let single = field(r#"{"SingleQueryArgument": {"Name": "NAME"}}"#);
    assert_eq!(texts(single.extract(&r, LIMIT)), ["bob", "alice"]);
    let all = field(r#"{"AllQueryArguments": {}}"#);
    assert_eq!(texts(all.extract(&r, LIMIT)), ["7", "bob", "alice", ""]);
    let missing = field(r#"{"SingleQueryArgument": {"Name": "nope"}}"#);
    assert!(texts(missing.extract(&r, LIMIT)).is_empty());
}

#[test]
fn single_header_and_headers_scopes() {
    let r = req();
    assert_eq!(
        texts(field(r#"{"SingleHeader": {"Name": "user-agent"}}"#).extract(&r, LIMIT)),
        ["curl/8.0"]
    );
    let keys = field(
        r#"{"Headers": {"MatchPattern": {"ExcludedHeaders": ["cookie"]}, "MatchScope": "KEY", "OversizeHandling": "CONTINUE"}}"#,
    );
    assert_eq!(texts(keys.extract(&r, LIMIT)), ["Host", "User-Agent"]);
    let all = field(
        r#"{"Headers": {"MatchPattern": {"IncludedHeaders": ["HOST"]}, "MatchScope": "ALL", "OversizeHandling": "CONTINUE"}}"#,
    );
    assert_eq!(texts(all.extract(&r, LIMIT)), ["Host", "shop.example.com"]);
}

#[test]
fn cookies_from_every_cookie_header() {
    let r = req();
    let values = field(
        r#"{"Cookies": {"MatchPattern": {"All": {}}, "MatchScope": "VALUE", "OversizeHandling": "MATCH"}}"#,
    );
    assert_eq!(texts(values.extract(&r, LIMIT)), ["abc", "dark", "1"]);
    let named = field(
        r#"{"Cookies": {"MatchPattern": {"IncludedCookies": ["theme"]}, "MatchScope": "ALL", "OversizeHandling": "MATCH"}}"#,
    );
    assert_eq!(texts(named.extract(&r, LIMIT)), ["theme", "dark"]);
}

#[test]
fn header_oversize_handling() {
    let mut r = req();
    for i in 0..250 {
        r.headers.push((format!("x-h{i}"), b"v".to_vec()));
    }
    let make = |handling: &str| {
        field(&format!(
            r#"{{"Headers": {{"MatchPattern": {{"All": {{}}}}, "MatchScope": "KEY", "OversizeHandling": "{handling}"}}}}"#
        ))
    };
    assert_eq!(make("MATCH").extract(&r, LIMIT), Extracted::Match);
    assert_eq!(make("NO_MATCH").extract(&r, LIMIT), Extracted::NoMatch);
    assert_eq!(
        texts(make("CONTINUE").extract(&r, LIMIT)).len(),
        MAX_HEADERS
    );
    let order = field(r#"{"HeaderOrder": {"OversizeHandling": "NO_MATCH"}}"#);
    assert_eq!(order.extract(&r, LIMIT), Extracted::NoMatch);
}

const MAX_HEADERS: usize = 200;

#[test]
fn header_order_joins_names() {
    let order = field(r#"{"HeaderOrder": {"OversizeHandling": "MATCH"}}"#);
    assert_eq!(
        texts(order.extract(&req(), LIMIT)),
        ["Host:User-Agent:Cookie:cookie"]
    );
}

#[test]
fn body_oversize_handling() {
    let mut r = req();
    r.body = vec![b'a'; 100];
    r.body_len = 100_000;
    assert_eq!(
        field(r#"{"Body": {"OversizeHandling": "MATCH"}}"#).extract(&r, 64),
        Extracted::Match
    );
    assert_eq!(
        field(r#"{"Body": {"OversizeHandling": "NO_MATCH"}}"#).extract(&r, 64),
        Extracted::NoMatch
    );
    assert_eq!(texts(field(r#"{"Body": {}}"#).extract(&r, 64))[0].len(), 64);
}

#[test]
fn json_body_field() {
    let r = req();
    let f = field(r#"{"JsonBody": {"MatchPattern": {"All": {}}, "MatchScope": "VALUE"}}"#);
    assert_eq!(texts(f.extract(&r, LIMIT)), ["hello"]);
}

#[test]
fn fingerprints_and_fragment_fallbacks() {
    let mut r = req();
    let ja3 = field(r#"{"JA3Fingerprint": {"FallbackBehavior": "MATCH"}}"#);
    assert_eq!(ja3.extract(&r, LIMIT), Extracted::Match);
    r.ja3 = Some("e7d705a3286e19ea42f587b344ee6865".into());
    assert_eq!(
        texts(ja3.extract(&r, LIMIT)),
        ["e7d705a3286e19ea42f587b344ee6865"]
    );
    let ja4 = field(r#"{"JA4Fingerprint": {"FallbackBehavior": "NO_MATCH"}}"#);
    assert_eq!(ja4.extract(&r, LIMIT), Extracted::NoMatch);
    let fragment = field(r#"{"UriFragment": {}}"#);
    assert_eq!(fragment.extract(&r, LIMIT), Extracted::NoMatch);
}
