//! Focused evaluation rules on small web ACLs: label visibility, overrides, exclusions,
//! managed groups, default actions, forwarded addresses, reporting of unresolved references.

use std::net::IpAddr;

use verge_waf::model::{parse_ip_set, parse_rule_group};
use verge_waf::{Action, Env, Error, GeoLookup, Request, Resources, WebAclEngine};

const VIS: &str = r#""VisibilityConfig": {"SampledRequestsEnabled": false, "CloudWatchMetricsEnabled": false, "MetricName": "m"}"#;

fn rule(name: &str, priority: u32, statement: &str, action: &str) -> String {
    format!(
        r#"{{"Name": "{name}", "Priority": {priority}, "Statement": {statement}, "Action": {{"{action}": {{}}}}, {VIS}}}"#
    )
}

fn labelled(name: &str, priority: u32, statement: &str, action: &str, label: &str) -> String {
    format!(
        r#"{{"Name": "{name}", "Priority": {priority}, "Statement": {statement}, "Action": {{"{action}": {{}}}},
            "RuleLabels": [{{"Name": "{label}"}}], {VIS}}}"#
    )
}

fn acl(default: &str, rules: &[String]) -> String {
    format!(
        r#"{{"Name": "t", "DefaultAction": {default}, "Rules": [{}], {VIS},
            "CustomResponseBodies": {{"nope": {{"ContentType": "APPLICATION_JSON", "Content": "{{\"error\": \"nope\"}}"}}}}}}"#,
        rules.join(",")
    )
}

fn path_is(path: &str) -> String {
    format!(
        r#"{{"ByteMatchStatement": {{"SearchString": "{path}", "FieldToMatch": {{"UriPath": {{}}}},
            "TextTransformations": [{{"Priority": 0, "Type": "NONE"}}], "PositionalConstraint": "EXACTLY"}}}}"#
    )
}

fn label_is(key: &str) -> String {
    format!(r#"{{"LabelMatchStatement": {{"Scope": "LABEL", "Key": "{key}"}}}}"#)
}

fn req(path: &str) -> Request {
    Request::new("GET", path, "192.0.2.10".parse().unwrap())
}

fn compile(text: &str, resources: &Resources) -> WebAclEngine {
    WebAclEngine::from_json(text, resources).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn labels_are_visible_only_to_later_rules() {
    let text = acl(
        r#"{"Allow": {}}"#,
        &[
            rule("early", 0, &label_is("seen"), "Block"),
            labelled("tag", 1, &path_is("/x"), "Count", "seen"),
            rule("late", 2, &label_is("seen"), "Block"),
        ],
    );
    let d = compile(&text, &Resources::new()).evaluate(&req("/x"), Env::default());
    assert_eq!(d.terminating_rule.as_deref(), Some("late"));
    assert_eq!(d.labels, ["awswaf:000000000000:webacl:t:seen"]);
}

#[test]
fn default_block_uses_custom_response_and_count_headers_reach_the_origin() {
    let block =
        r#"{"Block": {"CustomResponse": {"ResponseCode": 429, "CustomResponseBodyKey": "nope"}}}"#;
    let d = compile(&acl(block, &[]), &Resources::new()).evaluate(&req("/"), Env::default());
    assert_eq!(d.action, Action::Block);
    assert_eq!(d.terminating_rule, None);
    let response = d.block_response.unwrap();
    assert_eq!(response.status, 429);
    assert_eq!(response.body.unwrap().content_type, "application/json");

    let allow = r#"{"Allow": {"CustomRequestHandling": {"InsertHeaders": [{"Name": "verdict", "Value": "ok"}]}}}"#;
    let count = format!(
        r#"{{"Name": "c", "Priority": 0, "Statement": {}, {VIS},
            "Action": {{"Count": {{"CustomRequestHandling": {{"InsertHeaders": [{{"Name": "seen", "Value": "1"}}]}}}}}}}}"#,
        path_is("/")
    );
    let d = compile(&acl(allow, &[count]), &Resources::new()).evaluate(&req("/"), Env::default());
    let names: Vec<&str> = d.insert_headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["x-amzn-waf-seen", "x-amzn-waf-verdict"]);
}

fn group_json() -> String {
    format!(
        r#"{{"Name": "g", "LabelNamespace": "awswaf:1:rulegroup:g:", {VIS}, "Rules": [
            {}, {}]}}"#,
        labelled("hit-a", 0, &path_is("/a"), "Block", "a"),
        rule("hit-b", 1, &path_is("/b"), "Block"),
    )
}

fn group_rule(extra: &str, override_action: &str) -> String {
    format!(
        r#"{{"Name": "grp", "Priority": 0, {VIS}, "OverrideAction": {{"{override_action}": {{}}}},
            "Statement": {{"RuleGroupReferenceStatement": {{"ARN": "arn:aws:wafv2:us-east-1:1:regional/rulegroup/g/id"{extra}}}}}}}"#
    )
}

fn with_group() -> Resources {
    let mut resources = Resources::new();
    resources.add_rule_group(parse_rule_group(&group_json()).unwrap());
    resources
}

#[test]
fn group_count_override_records_and_continues() {
    let text = acl(
        r#"{"Allow": {}}"#,
        &[
            group_rule("", "Count"),
            rule("after", 1, &label_is("awswaf:1:rulegroup:g:a"), "Block"),
        ],
    );
    let d = compile(&text, &with_group()).evaluate(&req("/a"), Env::default());
    assert_eq!(d.terminating_rule.as_deref(), Some("after"), "{d:?}");
    assert_eq!(d.non_terminating[0].rule, "grp");
    assert_eq!(
        d.rule_groups[0].terminating_rule.as_ref().unwrap().rule,
        "hit-a"
    );
}

#[test]
fn excluded_rules_count_and_overrides_replace_actions() {
    let extra = r#", "ExcludedRules": [{"Name": "hit-a"}],
        "RuleActionOverrides": [{"Name": "hit-b", "ActionToUse": {"Captcha": {}}}]"#;
    let engine = compile(
        &acl(r#"{"Allow": {}}"#, &[group_rule(extra, "None")]),
        &with_group(),
    );
    let d = engine.evaluate(&req("/a"), Env::default());
    assert!(d.is_allowed());
    assert_eq!(d.rule_groups[0].excluded_rules, ["hit-a"]);
    assert!(
        d.has_label("awswaf:1:rulegroup:g:a"),
        "excluded rules still label"
    );
    let d = engine.evaluate(&req("/b"), Env::default());
    assert_eq!(d.action, Action::Captcha);
    assert_eq!(d.terminating_rule.as_deref(), Some("grp"));
}

#[test]
fn managed_groups_resolve_by_vendor_and_honour_scope_down() {
    let mut resources = Resources::new();
    let mut group = parse_rule_group(&group_json()).unwrap();
    group.name = "AWSManagedRulesCommonRuleSet".to_owned();
    group.label_namespace = None;
    resources.add_managed_rule_group("AWS", group);
    let managed = format!(
        r#"{{"Name": "crs", "Priority": 0, {VIS}, "OverrideAction": {{"None": {{}}}},
            "Statement": {{"ManagedRuleGroupStatement": {{"VendorName": "AWS", "Name": "AWSManagedRulesCommonRuleSet",
              "ScopeDownStatement": {{"NotStatement": {{"Statement": {}}}}}}}}}}}"#,
        path_is("/b")
    );
    let engine = compile(&acl(r#"{"Allow": {}}"#, &[managed]), &resources);
    let d = engine.evaluate(&req("/a"), Env::default());
    assert_eq!(d.action, Action::Block);
    assert_eq!(d.rule_groups[0].group, "AWS#AWSManagedRulesCommonRuleSet");
    assert!(d.has_label("awswaf:managed:aws:AWSManagedRulesCommonRuleSet:a"));
    let d = engine.evaluate(&req("/b"), Env::default());
    assert!(d.is_allowed(), "the scope-down statement excludes /b");
    assert!(d.rule_groups.is_empty());
}

#[test]
fn every_unresolved_reference_is_reported() {
    let ip = r#"{"IPSetReferenceStatement": {"ARN": "arn:aws:wafv2:us-east-1:1:regional/ipset/missing/id"}}"#;
    let rx = r#"{"RegexPatternSetReferenceStatement": {"ARN": "arn:aws:wafv2:us-east-1:1:regional/regexpatternset/nope/id",
        "FieldToMatch": {"UriPath": {}}, "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}"#;
    let managed = format!(
        r#"{{"Name": "bots", "Priority": 2, {VIS}, "OverrideAction": {{"None": {{}}}},
            "Statement": {{"ManagedRuleGroupStatement": {{"VendorName": "AWS", "Name": "AWSManagedRulesBotControlRuleSet"}}}}}}"#
    );
    let text = acl(
        r#"{"Allow": {}}"#,
        &[
            rule("a", 0, ip, "Block"),
            rule("b", 1, rx, "Block"),
            managed,
            group_rule("", "None").replace(r#""Priority": 0"#, r#""Priority": 3"#),
        ],
    );
    let Err(Error::Invalid { issues, .. }) = WebAclEngine::from_json(&text, &Resources::new())
    else {
        panic!("expected unresolved references");
    };
    let text: Vec<String> = issues.iter().map(ToString::to_string).collect();
    assert_eq!(issues.len(), 4, "{text:#?}");
    assert!(
        text[0].contains("IP set \"missing\" is not loaded"),
        "{text:#?}"
    );
    assert!(text[1].contains("regex pattern set \"nope\""), "{text:#?}");
    assert!(
        text[2].contains("AWS/AWSManagedRulesBotControlRuleSet is not available"),
        "{text:#?}"
    );
    assert!(text[3].contains("rule group \"g\""), "{text:#?}");
}

fn ip_rule(forwarded: &str) -> String {
    let statement = format!(
        r#"{{"IPSetReferenceStatement": {{"ARN": "arn:aws:wafv2:us-east-1:1:regional/ipset/bad/id"{forwarded}}}}}"#
    );
    rule("ip", 0, &statement, "Block")
}

fn ip_engine(forwarded: &str) -> WebAclEngine {
    let mut resources = Resources::new();
    let set = parse_ip_set(
        r#"{"Name": "bad", "IPAddressVersion": "IPV6", "Addresses": ["2001:db8::/32"]}"#,
    )
    .unwrap();
    resources.add_ip_set(&set).unwrap();
    compile(&acl(r#"{"Allow": {}}"#, &[ip_rule(forwarded)]), &resources)
}

#[test]
fn ip_sets_match_v6_and_forwarded_positions() {
    let mut direct = req("/");
    direct.client_ip = "2001:db8::1".parse().unwrap();
    assert_eq!(
        ip_engine("").evaluate(&direct, Env::default()).action,
        Action::Block
    );

    let cfg = |pos: &str, fallback: &str| {
        format!(
            r#", "IPSetForwardedIPConfig": {{"HeaderName": "X-Forwarded-For", "FallbackBehavior": "{fallback}", "Position": "{pos}"}}"#
        )
    };
    let xff = req("/").with_header("x-forwarded-for", "2001:db8::5, 198.51.100.1");
    assert_eq!(
        ip_engine(&cfg("FIRST", "NO_MATCH"))
            .evaluate(&xff, Env::default())
            .action,
        Action::Block
    );
    assert!(
        ip_engine(&cfg("LAST", "NO_MATCH"))
            .evaluate(&xff, Env::default())
            .is_allowed()
    );
    assert_eq!(
        ip_engine(&cfg("ANY", "NO_MATCH"))
            .evaluate(&xff, Env::default())
            .action,
        Action::Block
    );
    assert_eq!(
        ip_engine(&cfg("FIRST", "MATCH"))
            .evaluate(&req("/"), Env::default())
            .action,
        Action::Block
    );
    let junk = req("/").with_header("X-Forwarded-For", "not-an-ip");
    assert!(
        ip_engine(&cfg("FIRST", "NO_MATCH"))
            .evaluate(&junk, Env::default())
            .is_allowed()
    );
}

struct FakeGeo;

impl GeoLookup for FakeGeo {
    fn locate(&self, ip: IpAddr) -> Option<(String, Option<String>)> {
        (ip.to_string() == "203.0.113.5").then(|| ("US".to_owned(), Some("VA".to_owned())))
    }

    fn asn(&self, ip: IpAddr) -> Option<u32> {
        (ip.to_string() == "203.0.113.5").then_some(64_500)
    }
}

#[test]
fn forwarded_geo_and_asn_use_the_lookup_and_add_forwarded_labels() {
    let geo = r#"{"GeoMatchStatement": {"CountryCodes": ["US"],
        "ForwardedIPConfig": {"HeaderName": "X-Forwarded-For", "FallbackBehavior": "NO_MATCH"}}}"#;
    let asn = r#"{"AsnMatchStatement": {"AsnList": [64500],
        "ForwardedIPConfig": {"HeaderName": "X-Forwarded-For", "FallbackBehavior": "NO_MATCH"}}}"#;
    let engine = compile(
        &acl(
            r#"{"Allow": {}}"#,
            &[rule("geo", 0, geo, "Count"), rule("asn", 1, asn, "Count")],
        ),
        &Resources::new(),
    );
    let r = req("/").with_header("X-Forwarded-For", "203.0.113.5");
    let d = engine.evaluate(
        &r,
        Env {
            geo: Some(&FakeGeo),
            now_ms: 0,
            ..Env::default()
        },
    );
    let counted: Vec<&str> = d.non_terminating.iter().map(|m| m.rule.as_str()).collect();
    assert_eq!(counted, ["geo", "asn"]);
    assert_eq!(
        d.labels,
        [
            "awswaf:forwardedip:geo:country:US",
            "awswaf:forwardedip:geo:region:US-VA"
        ]
    );
    assert!(
        engine
            .evaluate(&r, Env::default())
            .non_terminating
            .is_empty()
    );
}

#[test]
fn size_regex_not_and_fingerprint_statements() {
    let size = r#"{"SizeConstraintStatement": {"FieldToMatch": {"QueryString": {}}, "ComparisonOperator": "GT", "Size": 10,
        "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}"#;
    let regex = r#"{"RegexMatchStatement": {"RegexString": "^/api/v[0-9]+/", "FieldToMatch": {"UriPath": {}},
        "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}"#;
    let not_regex = format!(r#"{{"NotStatement": {{"Statement": {regex}}}}}"#);
    let ja3 = r#"{"ByteMatchStatement": {"SearchString": "e7d705a3286e19ea42f587b344ee6865",
        "FieldToMatch": {"JA3Fingerprint": {"FallbackBehavior": "NO_MATCH"}},
        "TextTransformations": [{"Priority": 0, "Type": "NONE"}], "PositionalConstraint": "EXACTLY"}}"#;
    let engine = compile(
        &acl(
            r#"{"Allow": {}}"#,
            &[
                rule("long-query", 0, size, "Count"),
                rule("not-api", 1, &not_regex, "Count"),
                rule("bad-tls", 2, ja3, "Block"),
            ],
        ),
        &Resources::new(),
    );
    let counted = |r: &Request| -> Vec<String> {
        engine
            .evaluate(r, Env::default())
            .non_terminating
            .into_iter()
            .map(|m| m.rule)
            .collect()
    };
    assert_eq!(
        counted(&req("/api/v2/items").with_query("a=1")),
        Vec::<String>::new()
    );
    assert_eq!(
        counted(&req("/home").with_query("a=12345678901")),
        ["long-query", "not-api"]
    );
    let mut tls = req("/api/v1/x");
    tls.ja3 = Some("e7d705a3286e19ea42f587b344ee6865".to_owned());
    assert_eq!(
        engine
            .evaluate(&tls, Env::default())
            .terminating_rule
            .as_deref(),
        Some("bad-tls")
    );
}

#[test]
fn or_matches_when_any_branch_does() {
    let either = format!(
        r#"{{"OrStatement": {{"Statements": [{}, {}]}}}}"#,
        path_is("/a"),
        path_is("/b")
    );
    let engine = compile(
        &acl(r#"{"Allow": {}}"#, &[rule("either", 0, &either, "Block")]),
        &Resources::new(),
    );
    assert_eq!(
        engine.evaluate(&req("/a"), Env::default()).action,
        Action::Block
    );
    assert_eq!(
        engine.evaluate(&req("/b"), Env::default()).action,
        Action::Block
    );
    assert!(engine.evaluate(&req("/c"), Env::default()).is_allowed());
}

#[test]
fn label_keys_inside_a_group_resolve_in_the_group_namespace() {
    let group = format!(
        r#"{{"Name": "g", "LabelNamespace": "awswaf:1:rulegroup:g:", {VIS}, "Rules": [{}, {}]}}"#,
        labelled("tag", 0, &path_is("/a"), "Count", "seen:a"),
        rule("use", 1, &label_is("seen:a"), "Block"),
    );
    let mut resources = Resources::new();
    resources.add_rule_group(parse_rule_group(&group).unwrap());
    let acl_rules = [
        labelled("acl-tag", 0, &path_is("/a"), "Count", "seen:a"),
        group_rule("", "None").replace(r#""Priority": 0"#, r#""Priority": 1"#),
    ];
    let d = compile(&acl(r#"{"Allow": {}}"#, &acl_rules), &resources)
        .evaluate(&req("/a"), Env::default());
    assert_eq!(d.action, Action::Block);
    assert_eq!(
        d.rule_groups[0].terminating_rule.as_ref().unwrap().rule,
        "use"
    );
    assert_eq!(d.rule_groups[0].non_terminating[0].rule, "tag");
    assert_eq!(
        d.labels,
        [
            "awswaf:000000000000:webacl:t:seen:a",
            "awswaf:1:rulegroup:g:seen:a"
        ]
    );

    // The web ACL's own "seen:a" label is not the group's: the group rule ignores it.
    let only_acl = [
        labelled("acl-tag", 0, &path_is("/b"), "Count", "seen:a"),
        group_rule("", "None").replace(r#""Priority": 0"#, r#""Priority": 1"#),
    ];
    let d = compile(&acl(r#"{"Allow": {}}"#, &only_acl), &resources)
        .evaluate(&req("/b"), Env::default());
    assert!(d.is_allowed(), "{d:?}");
}
