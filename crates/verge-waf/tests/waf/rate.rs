//! Rate-based rules: counting per key over the window, scope-down, custom keys, forwarded
//! addresses, release after the flood stops, and what validation refuses.

use verge_waf::{Action, Env, Error, Request, Resources, WebAclEngine};

const VIS: &str = r#""VisibilityConfig": {"SampledRequestsEnabled": false, "CloudWatchMetricsEnabled": false, "MetricName": "m"}"#;

fn engine(statement: &str) -> Result<WebAclEngine, Error> {
    let text = format!(
        r#"{{"Name": "rl", "DefaultAction": {{"Allow": {{}}}}, {VIS}, "Rules": [
            {{"Name": "flood", "Priority": 0, "Action": {{"Block": {{}}}}, {VIS},
              "RuleLabels": [{{"Name": "rate:flood"}}],
              "Statement": {{"RateBasedStatement": {statement}}}}}]}}"#
    );
    WebAclEngine::from_json(&text, &Resources::new())
}

fn from(ip: &str, path: &str) -> Request {
    Request::new("GET", path, ip.parse().unwrap())
}

fn at(secs: f64) -> Env<'static> {
    Env {
        geo: None,
        now_ms: (secs * 1000.0) as u64,
        ..Env::default()
    }
}

#[test]
fn an_address_over_its_limit_is_blocked_then_released() {
    let acl =
        engine(r#"{"Limit": 10, "EvaluationWindowSec": 60, "AggregateKeyType": "IP"}"#).unwrap();
    let viewer = from("192.0.2.1", "/");
    for i in 0..10 {
        let d = acl.evaluate(&viewer, at(1.0 + f64::from(i) * 0.1));
        assert!(d.is_allowed(), "request {i} is within the limit");
    }
    let d = acl.evaluate(&viewer, at(2.5));
    assert_eq!(
        d.action,
        Action::Block,
        "the 11th request crosses the limit at once"
    );
    assert!(d.has_label("awswaf:000000000000:webacl:rl:rate:flood"));
    assert!(
        acl.evaluate(&from("192.0.2.2", "/"), at(2.6)).is_allowed(),
        "other viewers pass"
    );
    assert!(
        acl.evaluate(&viewer, at(200.0)).is_allowed(),
        "released once the window has passed"
    );
}

#[test]
fn only_requests_in_scope_are_counted() {
    let statement = r#"{"Limit": 10, "EvaluationWindowSec": 60, "AggregateKeyType": "IP",
        "ScopeDownStatement": {"ByteMatchStatement": {"SearchString": "/login", "FieldToMatch": {"UriPath": {}},
          "TextTransformations": [{"Priority": 0, "Type": "NONE"}], "PositionalConstraint": "STARTS_WITH"}}}"#;
    let acl = engine(statement).unwrap();
    for _ in 0..50 {
        assert!(
            acl.evaluate(&from("192.0.2.1", "/home"), at(1.0))
                .is_allowed()
        );
    }
    for _ in 0..10 {
        assert!(
            acl.evaluate(&from("192.0.2.1", "/login"), at(1.0))
                .is_allowed()
        );
    }
    assert_eq!(
        acl.evaluate(&from("192.0.2.1", "/login"), at(1.0)).action,
        Action::Block
    );
    assert!(
        acl.evaluate(&from("192.0.2.1", "/home"), at(1.0))
            .is_allowed()
    );
}

#[test]
fn custom_keys_combine_parts_and_skip_requests_without_them() {
    let statement = r#"{"Limit": 10, "EvaluationWindowSec": 120, "AggregateKeyType": "CUSTOM_KEYS",
        "CustomKeys": [
          {"Header": {"Name": "x-api-key", "TextTransformations": [{"Priority": 0, "Type": "LOWERCASE"}]}},
          {"HTTPMethod": {}}
        ]}"#;
    let acl = engine(statement).unwrap();
    let keyed = |key: &str, method: &str| {
        let mut r = from("192.0.2.1", "/api").with_header("X-Api-Key", key);
        r.method = method.to_owned();
        r
    };
    for i in 0..10 {
        let key = if i % 2 == 0 { "ABC" } else { "abc" };
        assert!(acl.evaluate(&keyed(key, "GET"), at(1.0)).is_allowed());
    }
    assert_eq!(
        acl.evaluate(&keyed("abc", "GET"), at(1.0)).action,
        Action::Block,
        "transformed keys share a counter"
    );
    assert!(
        acl.evaluate(&keyed("abc", "POST"), at(1.0)).is_allowed(),
        "the method is part of the key"
    );
    for _ in 0..30 {
        assert!(
            acl.evaluate(&from("192.0.2.1", "/api"), at(1.0))
                .is_allowed(),
            "no key, not counted"
        );
    }
}

#[test]
fn forwarded_ip_aggregation_and_its_fallback() {
    let statement = r#"{"Limit": 10, "EvaluationWindowSec": 60, "AggregateKeyType": "FORWARDED_IP",
        "ForwardedIPConfig": {"HeaderName": "X-Forwarded-For", "FallbackBehavior": "MATCH"}}"#;
    let acl = engine(statement).unwrap();
    let proxied = |client: &str| from("10.0.0.1", "/").with_header("X-Forwarded-For", client);
    for _ in 0..10 {
        assert!(acl.evaluate(&proxied("198.51.100.7"), at(1.0)).is_allowed());
    }
    assert_eq!(
        acl.evaluate(&proxied("198.51.100.7"), at(1.0)).action,
        Action::Block
    );
    assert!(
        acl.evaluate(&proxied("198.51.100.8"), at(1.0)).is_allowed(),
        "same proxy, other client"
    );
    assert_eq!(
        acl.evaluate(&from("10.0.0.1", "/"), at(1.0)).action,
        Action::Block,
        "MATCH fallback"
    );
}

#[test]
fn constant_key_limits_everyone_together() {
    let acl = engine(r#"{"Limit": 10, "EvaluationWindowSec": 60, "AggregateKeyType": "CONSTANT"}"#)
        .unwrap();
    for i in 0..10 {
        assert!(
            acl.evaluate(&from(&format!("192.0.2.{i}"), "/"), at(1.0))
                .is_allowed()
        );
    }
    assert_eq!(
        acl.evaluate(&from("198.51.100.1", "/"), at(1.0)).action,
        Action::Block
    );
}

#[test]
fn validation_refuses_bad_windows_limits_and_keys() {
    let bad = [
        (
            r#"{"Limit": 100, "EvaluationWindowSec": 90, "AggregateKeyType": "IP"}"#,
            "EvaluationWindowSec",
        ),
        (r#"{"Limit": 5, "AggregateKeyType": "IP"}"#, "Limit"),
        (
            r#"{"Limit": 100, "AggregateKeyType": "FORWARDED_IP"}"#,
            "ForwardedIPConfig",
        ),
        (
            r#"{"Limit": 100, "AggregateKeyType": "CUSTOM_KEYS"}"#,
            "CustomKeys",
        ),
        (
            r#"{"Limit": 100, "AggregateKeyType": "CUSTOM_KEYS", "CustomKeys": [{"IP": {}}, {"ForwardedIP": {}}],
            "ForwardedIPConfig": {"HeaderName": "X-Forwarded-For", "FallbackBehavior": "NO_MATCH"}}"#,
            "together",
        ),
    ];
    for (statement, expected) in bad {
        let err = engine(statement).unwrap_err().to_string();
        assert!(err.contains(expected), "{statement}: {err}");
    }
}
