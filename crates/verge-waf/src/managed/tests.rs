//! Unit tests of the managed groups: each installs and validates, representative requests end
//! in AWS's rule names and labels, and web ACLs can exclude, override, scope down and pin
//! versions of them as they do on AWS.

use std::net::IpAddr;

use super::*;
use crate::{Action, Decision, Env, Error, Request, WebAclEngine};

const VIS: &str = r#""VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "m"}"#;

/// A web ACL with one rule referencing `group`; `extra` goes inside the statement.
fn acl(group: &str, extra: &str) -> String {
    format!(
        r#"{{"Name": "t", "DefaultAction": {{"Allow": {{}}}}, {VIS}, "Rules": [
            {{"Name": "aws-group", "Priority": 0, "OverrideAction": {{"None": {{}}}}, {VIS},
              "Statement": {{"ManagedRuleGroupStatement":
                 {{"VendorName": "AWS", "Name": "{group}" {extra}}}}}}}]}}"#
    )
}

fn installed(feeds: &IpFeeds) -> Resources {
    let mut resources = Resources::new();
    install(&mut resources, feeds).unwrap();
    resources
}

fn engine(group: &str, extra: &str) -> WebAclEngine {
    WebAclEngine::from_json(&acl(group, extra), &installed(&IpFeeds::default()))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn browser(method: &str, target: &str) -> Request {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    Request::new(method, path, "198.51.100.7".parse().unwrap())
        .with_query(query)
        .with_header("Host", "www.example.com")
        .with_header(
            "User-Agent",
            "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
        )
        .with_header("Accept", "text/html")
}

/// The group rule that ended evaluation.
fn terminating(d: &Decision) -> Option<&str> {
    d.rule_groups
        .iter()
        .find_map(|g| g.terminating_rule.as_ref())
        .map(|r| r.rule.as_str())
}

#[test]
fn every_group_installs_and_is_listed() {
    let resources = installed(&IpFeeds::default());
    let listed: Vec<String> = resources
        .managed_rule_groups()
        .iter()
        .map(|(vendor, name)| format!("{vendor}/{name}"))
        .collect();
    assert_eq!(listed.len(), GROUPS.len());
    for name in group_names() {
        assert!(listed.contains(&format!("AWS/{name}")), "{name}");
        let json = rule_group_json(name).unwrap();
        let group = model::parse_rule_group(&json).unwrap();
        assert_eq!(group.name, name);
        // Every rule adds exactly one label, and AvailableLabels lists them all.
        let ns = group.label_namespace.clone().unwrap();
        for rule in &group.rules {
            assert_eq!(rule.rule_labels.len(), 1, "{}", rule.name);
            let label = format!("{ns}{}", rule.rule_labels[0].name);
            assert!(
                group.available_labels.iter().any(|l| l.name == label),
                "{label}"
            );
        }
    }
    assert_eq!(rule_group_json("AWSManagedRulesBotControlRuleSet"), None);
}

/// One representative request per rule family: the AWS rule name and label it ends in.
#[test]
fn representative_matches_carry_aws_rule_names_and_labels() {
    let json_body = |body: &str| {
        browser("POST", "/api")
            .with_header("Content-Type", "application/json")
            .with_body(body.as_bytes())
    };
    let no_agent = Request::new("GET", "/", "198.51.100.7".parse().unwrap());
    let cases: Vec<(&str, Request, &str, &str)> = vec![
        (
            common::NAME,
            no_agent,
            "NoUserAgent_HEADER",
            "awswaf:managed:aws:core-rule-set:NoUserAgent_Header",
        ),
        (
            common::NAME,
            browser("GET", "/").with_header("User-Agent", "sqlmap/1.7"),
            "UserAgent_BadBots_HEADER",
            "awswaf:managed:aws:core-rule-set:BadBots_Header",
        ),
        (
            common::NAME,
            browser("POST", "/upload").with_body(&[b'a'; 9000]),
            "SizeRestrictions_BODY",
            "awswaf:managed:aws:core-rule-set:SizeRestrictions_Body",
        ),
        (
            common::NAME,
            browser("GET", "/f?u=http://169.254.169.254/latest/meta-data/"),
            "EC2MetaDataSSRF_QUERYARGUMENTS",
            "awswaf:managed:aws:core-rule-set:EC2MetaDataSSRF_QueryArguments",
        ),
        (
            common::NAME,
            browser("GET", "/d?file=../../etc/passwd"),
            "GenericLFI_QUERYARGUMENTS",
            "awswaf:managed:aws:core-rule-set:GenericLFI_QueryArguments",
        ),
        (
            common::NAME,
            browser("GET", "/logs/app.log"),
            "RestrictedExtensions_URIPATH",
            "awswaf:managed:aws:core-rule-set:RestrictedExtensions_URIPath",
        ),
        (
            common::NAME,
            browser("GET", "/i?page=http://203.0.113.5/x.txt"),
            "GenericRFI_QUERYARGUMENTS",
            "awswaf:managed:aws:core-rule-set:GenericRFI_QueryArguments",
        ),
        (
            common::NAME,
            json_body(r#"{"bio": "<script>alert(1)</script>"}"#),
            "CrossSiteScripting_BODY",
            "awswaf:managed:aws:core-rule-set:CrossSiteScripting_Body",
        ),
        (
            known_bad_inputs::NAME,
            browser("GET", "/").with_header("X-Api-Version", "${jndi:ldap://x.example/a}"),
            "Log4JRCE_HEADER",
            "awswaf:managed:aws:known-bad-inputs:Log4JRCE_Header",
        ),
        (
            known_bad_inputs::NAME,
            browser("PROPFIND", "/dav/"),
            "PROPFIND_METHOD",
            "awswaf:managed:aws:known-bad-inputs:Propfind_Method",
        ),
        (
            known_bad_inputs::NAME,
            browser("GET", "/").with_header("Host", "localhost"),
            "Host_localhost_HEADER",
            "awswaf:managed:aws:known-bad-inputs:Host_Localhost_Header",
        ),
        (
            known_bad_inputs::NAME,
            browser("GET", "/WEB-INF/web.xml"),
            "ExploitablePaths_URIPATH",
            "awswaf:managed:aws:known-bad-inputs:ExploitablePaths_URIPath",
        ),
        (
            known_bad_inputs::NAME,
            json_body(r#"{"@type":"com.sun.rowset.JdbcRowSetImpl"}"#),
            "JavaDeserializationRCE_BODY",
            "awswaf:managed:aws:known-bad-inputs:JavaDeserializationRCE_Body",
        ),
        (
            sql_database::NAME,
            browser("GET", "/s?q=1%27%20OR%20%271%27%3D%271"),
            "SQLi_QUERYARGUMENTS",
            "awswaf:managed:aws:sql-database:SQLi_QueryArguments",
        ),
        (
            sql_database::NAME,
            json_body(r#"{"q": "x' UNION SELECT password FROM users--"}"#),
            "SQLiExtendedPatterns_BODY",
            "awswaf:managed:aws:sql-database:SQLiExtendedPatterns_Body",
        ),
        (
            sql_database::NAME,
            browser("GET", "/").with_header("Cookie", "id=1' or '1'='1"),
            "SQLi_COOKIE",
            "awswaf:managed:aws:sql-database:SQLi_Cookie",
        ),
        (
            linux_os::NAME,
            browser("GET", "/v?page=/proc/self/environ"),
            "LFI_QUERYSTRING",
            "awswaf:managed:aws:linux-os:LFI_QueryString",
        ),
        (
            posix_os::NAME,
            browser("GET", "/ping?host=127.0.0.1;cat%20/etc/passwd"),
            "UNIXShellCommandsVariables_QUERYSTRING",
            "awswaf:managed:aws:posix-os:UNIXShellCommandsVariables_QueryString",
        ),
        (
            windows_os::NAME,
            browser("GET", "/x?h=a%26cmd%20/c%20whoami"),
            "WindowsShellCommands_QUERYARGUMENTS",
            "awswaf:managed:aws:windows-os:WindowsShellCommands_QueryArguments",
        ),
        (
            windows_os::NAME,
            json_body(r#"{"s": "IEX (New-Object Net.WebClient).DownloadString('x')"}"#),
            "PowerShellCommands_BODY",
            "awswaf:managed:aws:windows-os:PowerShellCommands_Body",
        ),
        (
            php_app::NAME,
            browser("GET", "/x?c=eval($_POST%5Bx%5D)"),
            "PHPHighRiskMethodsVariables_QUERYSTRING",
            "awswaf:managed:aws:php-app:PHPHighRiskMethodsVariables_QueryString",
        ),
    ];
    for (group, request, rule, label) in cases {
        let d = engine(group, "").evaluate(&request, Env::default());
        assert_eq!(d.action, Action::Block, "{group} {rule}");
        assert_eq!(d.terminating_rule.as_deref(), Some("aws-group"));
        assert_eq!(terminating(&d), Some(rule), "{group}");
        assert_eq!(d.rule_groups[0].group, format!("AWS#{group}"));
        assert!(d.has_label(label), "{rule}: {:?}", d.labels);
    }
}

#[test]
fn benign_browser_request_passes_every_group() {
    let request = browser("GET", "/products/shoes?size=42&colour=blue")
        .with_header("Cookie", "session=4f9a1c; theme=dark");
    for name in group_names() {
        let d = engine(name, "").evaluate(&request, Env::default());
        assert_eq!(d.action, Action::Allow, "{name}: {:?}", d.rule_groups);
        assert!(d.labels.is_empty(), "{name}: {:?}", d.labels);
    }
}

#[test]
fn excluded_rules_count_and_keep_their_label() {
    let acl = engine(
        common::NAME,
        r#", "ExcludedRules": [{"Name": "NoUserAgent_HEADER"}]"#,
    );
    let d = acl.evaluate(
        &Request::new("GET", "/", "198.51.100.7".parse().unwrap()),
        Env::default(),
    );
    assert_eq!(d.action, Action::Allow);
    assert_eq!(d.rule_groups[0].excluded_rules, ["NoUserAgent_HEADER"]);
    assert!(d.has_label("awswaf:managed:aws:core-rule-set:NoUserAgent_Header"));
}

#[test]
fn rule_action_overrides_replace_the_managed_action() {
    let count = engine(
        sql_database::NAME,
        r#", "RuleActionOverrides": [{"Name": "SQLi_QUERYARGUMENTS", "ActionToUse": {"Count": {}}},
                                     {"Name": "SQLiExtendedPatterns_QUERYARGUMENTS", "ActionToUse": {"Count": {}}}]"#,
    );
    let attack = browser("GET", "/s?q=1%27%20OR%20%271%27%3D%271");
    let d = count.evaluate(&attack, Env::default());
    assert_eq!(d.action, Action::Allow);
    let counted: Vec<&str> = d.rule_groups[0]
        .non_terminating
        .iter()
        .map(|r| r.rule.as_str())
        .collect();
    assert!(counted.contains(&"SQLi_QUERYARGUMENTS"), "{counted:?}");
    assert!(d.has_label("awswaf:managed:aws:sql-database:SQLi_QueryArguments"));

    let captcha = engine(
        known_bad_inputs::NAME,
        r#", "RuleActionOverrides": [{"Name": "PROPFIND_METHOD", "ActionToUse": {"Captcha": {}}}]"#,
    );
    let d = captcha.evaluate(&browser("PROPFIND", "/"), Env::default());
    assert_eq!(d.action, Action::Captcha);
}

#[test]
fn scope_down_limits_the_group_and_versions_are_accepted() {
    let scoped = engine(
        sql_database::NAME,
        r#", "Version": "Version_2.0",
           "ScopeDownStatement": {"ByteMatchStatement": {"SearchString": "/api/",
             "FieldToMatch": {"UriPath": {}}, "PositionalConstraint": "STARTS_WITH",
             "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}"#,
    );
    let outside = browser("GET", "/search?q=1%27%20OR%20%271%27%3D%271");
    assert_eq!(
        scoped.evaluate(&outside, Env::default()).action,
        Action::Allow
    );
    let inside = browser("GET", "/api/search?q=1%27%20OR%20%271%27%3D%271");
    assert_eq!(
        scoped.evaluate(&inside, Env::default()).action,
        Action::Block
    );
}

#[test]
fn unknown_groups_are_refused_with_the_available_ones() {
    let err = WebAclEngine::from_json(
        &acl("AWSManagedRulesBotControlRuleSet", ""),
        &installed(&IpFeeds::default()),
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Invalid { .. }));
    assert!(
        text.contains("AWS/AWSManagedRulesBotControlRuleSet is not available in Verge"),
        "{text}"
    );
    let listed = "available: AWS/AWSManagedRulesAmazonIpReputationList, \
                  AWS/AWSManagedRulesAnonymousIpList, AWS/AWSManagedRulesCommonRuleSet";
    assert!(text.contains(listed), "{text}");

    let err = WebAclEngine::from_json(&acl(common::NAME, ""), &Resources::new()).unwrap_err();
    assert!(
        err.to_string()
            .contains("no managed rule groups are installed"),
        "{err}"
    );
}

#[test]
fn ip_lists_follow_the_feeds() {
    let from = |ip: &str| {
        let ip: IpAddr = ip.parse().unwrap();
        let mut request = browser("GET", "/");
        request.client_ip = ip;
        request
    };

    // Without feeds the rules are there but never match.
    let empty = engine(ip_lists::REPUTATION, "");
    assert_eq!(
        empty.evaluate(&from("192.0.2.1"), Env::default()).action,
        Action::Allow
    );

    let feeds = IpFeeds {
        reputation: Some(IpFeed::parse("reputation", "192.0.2.0/24\n").unwrap()),
        ddos: Some(IpFeed::parse("ddos", "# botnet\n203.0.113.9\n").unwrap()),
        hosting: Some(IpFeed::parse("hosting", "2001:db8::/32").unwrap()),
        ..IpFeeds::default()
    };
    let resources = installed(&feeds);
    let reputation = WebAclEngine::from_json(&acl(ip_lists::REPUTATION, ""), &resources).unwrap();
    let d = reputation.evaluate(&from("192.0.2.1"), Env::default());
    assert_eq!(d.action, Action::Block);
    assert_eq!(terminating(&d), Some("AWSManagedIPReputationList"));
    assert!(d.has_label("awswaf:managed:aws:amazon-ip-list:AWSManagedIPReputationList"));

    // The DDoS list counts and labels, as on AWS.
    let d = reputation.evaluate(&from("203.0.113.9"), Env::default());
    assert_eq!(d.action, Action::Allow);
    assert!(d.has_label("awswaf:managed:aws:amazon-ip-list:AWSManagedIPDDoSList"));

    let anonymous = WebAclEngine::from_json(&acl(ip_lists::ANONYMOUS, ""), &resources).unwrap();
    let d = anonymous.evaluate(&from("2001:db8::7"), Env::default());
    assert_eq!(terminating(&d), Some("HostingProviderIPList"));
    assert!(d.has_label("awswaf:managed:aws:anonymous-ip-list:HostingProviderIPList"));
    assert_eq!(
        anonymous
            .evaluate(&from("198.51.100.1"), Env::default())
            .action,
        Action::Allow
    );
}
