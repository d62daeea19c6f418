//! Tests for loading AWS WAF documents: envelopes, AWS-only fields, parse errors with paths,
//! and validation that reports every problem.

use super::field::{FieldToMatch, MatchScope, TransformKind};
use super::statement::{PositionalConstraint, Statement};
use super::*;

const CLI_OUTPUT: &str = r#"{
  "WebACL": {
    "Name": "shop-acl",
    "Id": "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",
    "ARN": "arn:aws:wafv2:us-east-1:123456789012:global/webacl/shop-acl/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",
    "DefaultAction": { "Allow": {} },
    "Description": "",
    "Rules": [
      {
        "Name": "block-admin",
        "Priority": 0,
        "Statement": {
          "ByteMatchStatement": {
            "SearchString": "L2FkbWlu",
            "FieldToMatch": { "UriPath": {} },
            "TextTransformations": [ { "Priority": 0, "Type": "LOWERCASE" } ],
            "PositionalConstraint": "STARTS_WITH"
          }
        },
        "Action": { "Block": { "CustomResponse": { "ResponseCode": 403, "CustomResponseBodyKey": "denied" } } },
        "RuleLabels": [ { "Name": "admin:probe" } ],
        "VisibilityConfig": { "SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "block-admin" }
      },
      {
        "Name": "common",
        "Priority": 1,
        "Statement": { "ManagedRuleGroupStatement": { "VendorName": "AWS", "Name": "AWSManagedRulesCommonRuleSet" } },
        "OverrideAction": { "None": {} },
        "VisibilityConfig": { "SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "common" }
      }
    ],
    "VisibilityConfig": { "SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "shop-acl" },
    "Capacity": 705,
    "ManagedByFirewallManager": false,
    "RetrofittedByFirewallManager": false,
    "LabelNamespace": "awswaf:123456789012:webacl:shop-acl:",
    "CustomResponseBodies": { "denied": { "ContentType": "TEXT_PLAIN", "Content": "denied" } },
    "TokenDomains": ["shop.example.com"],
    "AssociationConfig": { "RequestBody": { "CLOUDFRONT": { "DefaultSizeInspectionLimit": "KB_64" } } }
  },
  "LockToken": "b2c3d4e5-6789-01ab-cdef-EXAMPLE22222",
  "ApplicationIntegrationURL": "https://example.sdk.awswaf.com/abc/def/"
}"#;

#[test]
fn cli_envelope_is_read_field_for_field() {
    let acl = parse_web_acl(CLI_OUTPUT).expect("valid ACL");
    assert_eq!(acl.name, "shop-acl");
    assert_eq!(acl.rules.len(), 2);
    assert_eq!(acl.body_inspection_limit(), 64 * 1024);
    assert_eq!(acl.token_domains, ["shop.example.com"]);
    let Statement::ByteMatchStatement(byte) = &acl.rules[0].statement else {
        panic!("expected a byte match");
    };
    assert_eq!(byte.search_string.bytes, b"/admin");
    assert_eq!(byte.positional_constraint, PositionalConstraint::StartsWith);
    assert_eq!(
        byte.field_to_match,
        FieldToMatch::UriPath(Default::default())
    );
    assert_eq!(byte.text_transformations[0].kind, TransformKind::Lowercase);
}

#[test]
fn bare_object_is_accepted() {
    let value: serde_json::Value = serde_json::from_str(CLI_OUTPUT).unwrap();
    let bare = value["WebACL"].to_string();
    assert_eq!(
        parse_web_acl(&bare).unwrap(),
        parse_web_acl(CLI_OUTPUT).unwrap()
    );
}

#[test]
fn unknown_field_is_rejected_with_its_path() {
    let text = CLI_OUTPUT.replace(
        "\"PositionalConstraint\"",
        "\"Bogus\": 1, \"PositionalConstraint\"",
    );
    let err = parse_web_acl(&text).unwrap_err();
    let Error::Parse { path, line, .. } = &err else {
        panic!("expected a parse error, got {err}");
    };
    assert_eq!(path, "WebACL.Rules[0].Statement.ByteMatchStatement.Bogus");
    assert!(*line > 1);
}

#[test]
fn unknown_transformation_is_rejected() {
    let text = CLI_OUTPUT.replace("LOWERCASE", "ROT13");
    let err = parse_web_acl(&text).unwrap_err().to_string();
    assert!(err.contains("TextTransformations[0].Type"), "{err}");
    assert!(err.contains("ROT13"), "{err}");
}

#[test]
fn every_validation_problem_is_reported() {
    let text = r#"{
      "Name": "bad acl",
      "DefaultAction": { "Allow": {}, "Block": {} },
      "Rules": [
        { "Name": "a", "Priority": 1, "Action": { "Block": {} },
          "Statement": { "AndStatement": { "Statements": [
             { "LabelMatchStatement": { "Scope": "LABEL", "Key": "x" } } ] } },
          "VisibilityConfig": { "SampledRequestsEnabled": false, "CloudWatchMetricsEnabled": false, "MetricName": "a" } },
        { "Name": "a", "Priority": 1,
          "Statement": { "RegexMatchStatement": { "RegexString": "(?<=x)y",
             "FieldToMatch": { "Headers": { "MatchPattern": { "All": {}, "IncludedHeaders": ["a"] },
                "MatchScope": "ALL", "OversizeHandling": "MATCH" } },
             "TextTransformations": [ { "Priority": 0, "Type": "NONE" }, { "Priority": 0, "Type": "LOWERCASE" } ] } },
          "VisibilityConfig": { "SampledRequestsEnabled": false, "CloudWatchMetricsEnabled": false, "MetricName": "a" } },
        { "Name": "c", "Priority": 2, "Action": { "Count": {} },
          "Statement": { "IPSetReferenceStatement": { "ARN": "bad" } },
          "VisibilityConfig": { "SampledRequestsEnabled": false, "CloudWatchMetricsEnabled": false, "MetricName": "c" } }
      ]
    }"#;
    let Err(Error::Invalid { issues, .. }) = parse_web_acl(text) else {
        panic!("expected validation errors");
    };
    let paths: Vec<&str> = issues.iter().map(|i| i.path.as_str()).collect();
    for expected in [
        "Name",
        "DefaultAction",
        "Rules[0].Statement.AndStatement.Statements",
        "Rules[1].Name",
        "Rules[1].Priority",
        "Rules[1]",
        "Rules[1].Statement.RegexMatchStatement.RegexString",
        "Rules[1].Statement.RegexMatchStatement.FieldToMatch.Headers.MatchPattern",
        "Rules[1].Statement.RegexMatchStatement.TextTransformations[1].Priority",
        "Rules[2].Statement.IPSetReferenceStatement.ARN",
    ] {
        assert!(paths.contains(&expected), "missing {expected} in {paths:?}");
    }
    let regex = issues
        .iter()
        .find(|i| i.path.ends_with("RegexString"))
        .unwrap();
    assert!(regex.message.contains("look-around"), "{}", regex.message);
}

#[test]
fn unimplemented_aws_transformation_is_refused_by_name() {
    let text = CLI_OUTPUT.replace("\"LOWERCASE\"", "\"CMD_LINE_WIN\"");
    let err = parse_web_acl(&text).unwrap_err().to_string();
    assert!(err.contains("TextTransformations[0].Type"), "{err}");
    assert!(err.contains("does not implement yet"), "{err}");
    let text = CLI_OUTPUT.replace("\"LOWERCASE\"", "\"TRIM_LEFT\"");
    assert!(parse_web_acl(&text).is_ok());
}

#[test]
fn group_reference_needs_override_action() {
    let text = CLI_OUTPUT.replace(
        r#""OverrideAction": { "None": {} }"#,
        r#""Action": { "Block": {} }"#,
    );
    let err = parse_web_acl(&text).unwrap_err().to_string();
    assert!(err.contains("OverrideAction"), "{err}");
}

#[test]
fn unknown_body_key_is_rejected() {
    let text = CLI_OUTPUT.replace(
        "\"CustomResponseBodyKey\": \"denied\"",
        "\"CustomResponseBodyKey\": \"nope\"",
    );
    let err = parse_web_acl(&text).unwrap_err().to_string();
    assert!(err.contains("CustomResponseBodyKey"), "{err}");
}

#[test]
fn ip_set_checks_cidrs_and_version() {
    let ok = r#"{"IPSet": {"Name": "bad-ips", "Id": "1", "ARN": "arn:aws:wafv2:us-east-1:1:regional/ipset/bad-ips/1",
        "Description": "", "IPAddressVersion": "IPV4", "Addresses": ["192.0.2.0/24", "198.51.100.7/32"]},
        "LockToken": "x"}"#;
    assert_eq!(parse_ip_set(ok).unwrap().addresses.len(), 2);
    let bad =
        r#"{"Name": "v", "IPAddressVersion": "IPV4", "Addresses": ["2001:db8::/32", "1.2.3.4"]}"#;
    let Err(Error::Invalid { issues, .. }) = parse_ip_set(bad) else {
        panic!("expected errors");
    };
    assert_eq!(issues.len(), 2);
    assert_eq!(issues[1].path, "Addresses[1]");
}

#[test]
fn regex_pattern_set_and_rule_group_load() {
    let set = r#"{"RegexPatternSet": {"Name": "bots", "RegularExpressionList": [{"RegexString": "(?i)curl/"}]}}"#;
    assert_eq!(
        parse_regex_pattern_set(set)
            .unwrap()
            .regular_expression_list
            .len(),
        1
    );
    let group = r#"{"RuleGroup": {"Name": "rg", "Capacity": 10, "LabelNamespace": "awswaf:1:rulegroup:rg:",
      "Rules": [{"Name": "r", "Priority": 0, "Action": {"Count": {}},
        "Statement": {"SqliMatchStatement": {"FieldToMatch": {"JsonBody": {"MatchPattern": {"IncludedPaths": ["/q"]},
          "MatchScope": "VALUE", "InvalidFallbackBehavior": "EVALUATE_AS_STRING"}},
          "TextTransformations": [{"Priority": 0, "Type": "URL_DECODE"}], "SensitivityLevel": "HIGH"}},
        "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "r"}}],
      "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "rg"},
      "AvailableLabels": [], "ConsumedLabels": []}, "LockToken": "t"}"#;
    let group = parse_rule_group(group).unwrap();
    let Statement::SqliMatchStatement(s) = &group.rules[0].statement else {
        panic!("expected SQLi");
    };
    let FieldToMatch::JsonBody(json) = &s.field_to_match else {
        panic!("expected JSON body");
    };
    assert_eq!(json.match_scope, MatchScope::Value);
}
