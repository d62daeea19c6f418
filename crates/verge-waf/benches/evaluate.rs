//! Evaluation cost of two web ACLs on a benign GET, a benign JSON POST of about 8 KB and an
//! SQL injection attempt: the storefront ACL in `tests/data` (IP sets, a regex pattern set, a
//! rule group with SQLi, XSS, size and path rules), and a ported ACL with AWS's Common,
//! KnownBadInputs and SQLi managed groups behind a per-IP rate rule.

use std::cell::Cell;
use std::hint::black_box;
use std::time::Duration;

use criterion::Criterion;
use verge_waf::managed::{self, IpFeeds};
use verge_waf::model::{parse_ip_set, parse_regex_pattern_set, parse_rule_group};
use verge_waf::{Env, Request, Resources, WebAclEngine};

fn data(name: &str) -> String {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn storefront() -> WebAclEngine {
    let mut resources = Resources::new();
    for set in ["office-ips.json", "bad-ips.json"] {
        let parsed = parse_ip_set(&data(set)).expect("fixture IP set is valid");
        resources
            .add_ip_set(&parsed)
            .expect("fixture CIDRs are valid");
    }
    let scanners = parse_regex_pattern_set(&data("scanners.json")).expect("fixture set is valid");
    resources
        .add_regex_pattern_set(&scanners)
        .expect("fixture patterns compile");
    let group = parse_rule_group(&data("app-protections.json")).expect("fixture group is valid");
    resources.add_rule_group(group);
    WebAclEngine::from_json(&data("shop-acl.json"), &resources).expect("fixture ACL is valid")
}

const VISIBILITY: &str = r#""VisibilityConfig": {"SampledRequestsEnabled": true,
    "CloudWatchMetricsEnabled": true, "MetricName": "m"}"#;

/// A rate rule first (2,000 requests per IP per 5 minutes), then three AWS managed groups.
fn managed_acl() -> WebAclEngine {
    let mut resources = Resources::new();
    managed::install(&mut resources, &IpFeeds::default()).expect("built-in groups are valid");
    let group = |priority: usize, name: &str| {
        format!(
            r#"{{"Name": "AWS-{name}", "Priority": {priority}, "OverrideAction": {{"None": {{}}}},
              "Statement": {{"ManagedRuleGroupStatement": {{"VendorName": "AWS", "Name": "{name}"}}}},
              {VISIBILITY}}}"#
        )
    };
    let acl = format!(
        r#"{{"Name": "managed", "DefaultAction": {{"Allow": {{}}}}, {VISIBILITY}, "Rules": [
            {{"Name": "per-ip", "Priority": 0, "Action": {{"Block": {{}}}},
              "Statement": {{"RateBasedStatement": {{"Limit": 2000, "AggregateKeyType": "IP"}}}},
              {VISIBILITY}}},
            {}, {}, {}]}}"#,
        group(1, "AWSManagedRulesCommonRuleSet"),
        group(2, "AWSManagedRulesKnownBadInputsRuleSet"),
        group(3, "AWSManagedRulesSQLiRuleSet"),
    );
    WebAclEngine::from_json(&acl, &resources).expect("the managed ACL is valid")
}

fn browser(method: &str, path: &str) -> Request {
    let mut req = Request::new(
        method,
        path,
        "198.51.100.9".parse().expect("literal address"),
    )
    .with_header("Host", "shop.example.com")
    .with_header(
        "User-Agent",
        "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0",
    )
    .with_header("Accept", "text/html,application/xhtml+xml")
    .with_header("Accept-Language", "en-GB,en;q=0.8")
    .with_header("Cookie", "session=4f9a1c; theme=dark")
    .with_geo("DE", Some("BE"));
    req.ja3 = Some("e7d705a3286e19ea42f587b344ee6865".to_owned());
    req
}

fn main() {
    let get = browser("GET", "/products/shoes").with_query("size=42&colour=blue");
    // 135 cart lines make a body of just under 8 KB, which the core rule set still admits.
    let items: Vec<String> = (0..135)
        .map(|i| format!(r#"{{"sku": "SKU-{i:05}", "qty": {i}, "note": "gift wrap please"}}"#))
        .collect();
    let body = format!(r#"{{"cart": [{}], "coupon": "SPRING"}}"#, items.join(","));
    let post = browser("POST", "/api/cart")
        .with_header("Content-Type", "application/json")
        .with_body(body.as_bytes());
    let attack =
        browser("GET", "/search").with_query("q=1%27%20UNION%20SELECT%20password%20FROM%20users--");

    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let acls = [("storefront", storefront()), ("managed", managed_acl())];
    for (name, acl) in &acls {
        let allowed = |req: &Request| acl.evaluate(req, Env::default()).is_allowed();
        assert!(
            allowed(&get) && allowed(&post),
            "{name} must allow the benign requests"
        );
        assert!(!allowed(&attack), "{name} must stop the injection");
    }
    for (name, acl) in &acls {
        // The clock moves a second per request, so the rate rule counts but never trips.
        let clock = Cell::new(0u64);
        let env = || {
            clock.set(clock.get() + 1_000);
            Env {
                now_ms: clock.get(),
                ..Env::default()
            }
        };
        criterion.bench_function(&format!("{name}: benign GET"), |b| {
            b.iter(|| acl.evaluate(black_box(&get), env()))
        });
        criterion.bench_function(&format!("{name}: benign 8 KB JSON POST"), |b| {
            b.iter(|| acl.evaluate(black_box(&post), env()))
        });
        criterion.bench_function(&format!("{name}: SQLi GET"), |b| {
            b.iter(|| acl.evaluate(black_box(&attack), env()))
        });
    }
    criterion.final_summary();
}
