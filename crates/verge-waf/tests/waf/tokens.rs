//! CAPTCHA and Challenge rules against the viewer's token: a solve time within the immunity
//! time lets the request go on as a Count would (labels and inserted headers applied); a
//! missing, invalid, foreign or expired token ends evaluation with the action and a failure
//! reason; AWS's token labels are visible to every rule.

use verge_waf::model::parse_rule_group;
use verge_waf::token::{Token, TokenFailure, TokenState};
use verge_waf::{Action, Decision, Env, Request, Resources, WebAclEngine};

const NOW: u64 = 1_750_000_000;
const VIS: &str = r#""VisibilityConfig": {"SampledRequestsEnabled": false, "CloudWatchMetricsEnabled": false, "MetricName": "m"}"#;
const LOGIN: &str = r#"{"ByteMatchStatement": {"SearchString": "/login", "FieldToMatch": {"UriPath": {}},
    "TextTransformations": [{"Priority": 0, "Type": "NONE"}], "PositionalConstraint": "EXACTLY"}}"#;

fn engine(rules: &str, extra: &str) -> WebAclEngine {
    let text = format!(
        r#"{{"Name": "t", "DefaultAction": {{"Allow": {{}}}}, "Rules": [{rules}], {VIS}{extra}}}"#
    );
    WebAclEngine::from_json(&text, &Resources::new()).unwrap_or_else(|e| panic!("{e}"))
}

/// A rule asking for `action` on `/login`, inserting a header when the token passes.
fn asking(action: &str, immunity: &str) -> String {
    format!(
        r#"{{"Name": "ask", "Priority": 0, "Statement": {LOGIN},
            "Action": {{"{action}": {{"CustomRequestHandling": {{"InsertHeaders": [{{"Name": "human", "Value": "yes"}}]}}}}}},
            "RuleLabels": [{{"Name": "asked"}}], {immunity} {VIS}}}"#
    )
}

fn login(host: &str) -> Request {
    Request::new("GET", "/login", "192.0.2.10".parse().unwrap()).with_header("Host", host)
}

fn token(challenge_age: Option<u64>, captcha_age: Option<u64>) -> Token {
    Token {
        domain: "www.example.com".to_owned(),
        issued_at: NOW - 1000,
        challenge_at: challenge_age.map(|age| NOW - age),
        captcha_at: captcha_age.map(|age| NOW - age),
    }
}

fn run(engine: &WebAclEngine, host: &str, state: TokenState<'_>) -> Decision {
    engine.evaluate(
        &login(host),
        Env {
            token: state,
            now_secs: NOW,
            ..Env::default()
        },
    )
}

#[test]
fn a_captcha_solved_within_the_immunity_time_acts_as_count() {
    let acl = engine(&asking("Captcha", ""), "");
    let held = token(Some(10), Some(200));
    let d = run(&acl, "www.example.com", TokenState::Present(&held));
    assert_eq!(d.action, Action::Allow);
    assert_eq!(d.terminating_rule, None);
    assert_eq!(d.non_terminating[0].rule, "ask");
    assert_eq!(d.non_terminating[0].action, Action::Captcha);
    assert!(
        d.labels.iter().any(|l| l.ends_with(":webacl:t:asked")),
        "{:?}",
        d.labels
    );
    assert_eq!(
        d.insert_headers,
        [("x-amzn-waf-human".to_owned(), "yes".to_owned())]
    );
    assert!(d.has_label("awswaf:managed:captcha:accepted"));
    assert!(d.has_label("awswaf:managed:token:accepted"));
    assert_eq!(d.token_failure, None);
}

#[test]
fn an_expired_captcha_is_asked_again_with_the_reason() {
    let acl = engine(&asking("Captcha", ""), "");
    let held = token(Some(10), Some(301));
    let d = run(&acl, "www.example.com", TokenState::Present(&held));
    assert_eq!(d.action, Action::Captcha);
    assert_eq!(d.terminating_rule.as_deref(), Some("ask"));
    assert_eq!(d.immunity_seconds, Some(300));
    assert_eq!(d.token_failure, Some(TokenFailure::Expired));
    assert!(d.has_label("awswaf:managed:captcha:rejected:expired"));
    assert!(
        d.insert_headers.is_empty(),
        "a terminating CAPTCHA inserts nothing"
    );
}

#[test]
fn rule_immunity_overrides_the_acls() {
    let rule = asking(
        "Challenge",
        r#""ChallengeConfig": {"ImmunityTimeProperty": {"ImmunityTime": 3600}},"#,
    );
    let acl = engine(
        &rule,
        r#", "ChallengeConfig": {"ImmunityTimeProperty": {"ImmunityTime": 300}}"#,
    );
    let held = token(Some(1800), None);
    let d = run(&acl, "www.example.com", TokenState::Present(&held));
    assert_eq!(
        d.action,
        Action::Allow,
        "the rule's hour covers a half-hour-old solve"
    );
    // The labels use the ACL's immunity time.
    assert!(d.has_label("awswaf:managed:token:rejected:expired"));

    let acl = engine(
        &asking("Challenge", ""),
        r#", "ChallengeConfig": {"ImmunityTimeProperty": {"ImmunityTime": 300}}"#,
    );
    let d = run(&acl, "www.example.com", TokenState::Present(&held));
    assert_eq!(d.action, Action::Challenge);
    assert_eq!(d.immunity_seconds, Some(300));
}

#[test]
fn a_challenge_needs_the_challenge_time_and_a_captcha_the_captcha_time() {
    let challenge = engine(&asking("Challenge", ""), "");
    let captcha = engine(&asking("Captcha", ""), "");
    let challenged_only = token(Some(5), None);
    let d = run(
        &challenge,
        "www.example.com",
        TokenState::Present(&challenged_only),
    );
    assert_eq!(d.action, Action::Allow);
    let d = run(
        &captcha,
        "www.example.com",
        TokenState::Present(&challenged_only),
    );
    assert_eq!(d.action, Action::Captcha);
    assert_eq!(d.token_failure, Some(TokenFailure::NotSolved));
    assert!(d.has_label("awswaf:managed:captcha:rejected:not_solved"));
}

#[test]
fn missing_invalid_and_foreign_tokens_end_evaluation() {
    let acl = engine(&asking("Challenge", ""), "");
    let d = run(&acl, "www.example.com", TokenState::Absent);
    assert_eq!(d.action, Action::Challenge);
    assert_eq!(d.token_failure, Some(TokenFailure::Missing));
    assert_eq!(
        d.labels[1..],
        [
            "awswaf:managed:token:absent",
            "awswaf:managed:captcha:absent"
        ],
        "after the rule's own label"
    );

    let d = run(&acl, "www.example.com", TokenState::Invalid);
    assert_eq!(d.token_failure, Some(TokenFailure::Invalid));
    assert!(d.has_label("awswaf:managed:token:rejected:invalid"));

    let held = token(Some(5), None);
    let d = run(&acl, "shop.example.com", TokenState::Present(&held));
    assert_eq!(d.token_failure, Some(TokenFailure::DomainMismatch));
    assert!(d.has_label("awswaf:managed:token:rejected:domain_mismatch"));

    let domains = engine(
        &asking("Challenge", ""),
        r#", "TokenDomains": ["example.com"]"#,
    );
    let held = Token {
        domain: "example.com".to_owned(),
        ..token(Some(5), None)
    };
    let d = run(&domains, "shop.example.com", TokenState::Present(&held));
    assert_eq!(
        d.action,
        Action::Allow,
        "a token domain covers its subdomains"
    );
}

#[test]
fn token_labels_follow_a_matching_captcha_or_challenge_rule() {
    let rules = format!(
        r#"{{"Name": "tokenless", "Priority": 0,
            "Statement": {{"LabelMatchStatement": {{"Scope": "LABEL", "Key": "awswaf:managed:token:absent"}}}},
            "Action": {{"Block": {{}}}}, {VIS}}},
           {{"Name": "ask", "Priority": 1, "Statement": {LOGIN}, "Action": {{"Count": {{}}}},
            "RuleLabels": [{{"Name": "asked"}}], {VIS}}},
           {{"Name": "challenge-login", "Priority": 2, "Statement": {LOGIN},
            "Action": {{"Challenge": {{}}}}, {VIS}}},
           {{"Name": "tokenless-after", "Priority": 3,
            "Statement": {{"LabelMatchStatement": {{"Scope": "LABEL", "Key": "awswaf:managed:token:rejected:expired"}}}},
            "Action": {{"Block": {{}}}}, {VIS}}}"#
    );
    let acl = engine(
        &rules,
        r#", "ChallengeConfig": {"ImmunityTimeProperty": {"ImmunityTime": 300}}"#,
    );
    let other = Request::new("GET", "/api", "192.0.2.10".parse().unwrap());
    let d = acl.evaluate(&other, Env::default());
    assert_eq!(
        d.action,
        Action::Allow,
        "no CAPTCHA or Challenge rule matched: no labels"
    );
    assert!(d.labels.is_empty(), "{:?}", d.labels);

    // A rule after the Challenge rule sees its labels; the Challenge passed with a token that
    // the ACL's own immunity time calls expired only because the rule sets a longer one.
    let held = token(Some(400), None);
    let longer = rules.replace(
        r#""Action": {"Challenge": {}}"#,
        r#""Action": {"Challenge": {}}, "ChallengeConfig": {"ImmunityTimeProperty": {"ImmunityTime": 600}}"#,
    );
    let acl = engine(
        &longer,
        r#", "ChallengeConfig": {"ImmunityTimeProperty": {"ImmunityTime": 300}}"#,
    );
    let d = run(&acl, "www.example.com", TokenState::Present(&held));
    assert_eq!(d.action, Action::Block);
    assert_eq!(d.terminating_rule.as_deref(), Some("tokenless-after"));
}

#[test]
fn captcha_inside_a_rule_group_and_as_an_override() {
    let group = format!(
        r#"{{"RuleGroup": {{"Name": "bots", "Capacity": 10, "Rules": [
            {{"Name": "inner", "Priority": 0, "Statement": {LOGIN}, "Action": {{"Block": {{}}}}, {VIS}}}
        ], {VIS}}}}}"#
    );
    let mut resources = Resources::new();
    resources.add_rule_group(parse_rule_group(&group).unwrap());
    let text = format!(
        r#"{{"Name": "t", "DefaultAction": {{"Allow": {{}}}}, {VIS}, "Rules": [
            {{"Name": "use-bots", "Priority": 0, "OverrideAction": {{"None": {{}}}},
              "Statement": {{"RuleGroupReferenceStatement": {{
                "ARN": "arn:aws:wafv2:us-east-1:111122223333:global/rulegroup/bots/1",
                "RuleActionOverrides": [{{"Name": "inner", "ActionToUse": {{"Captcha": {{}}}}}}]}}}},
              "CaptchaConfig": {{"ImmunityTimeProperty": {{"ImmunityTime": 1000}}}}, {VIS}}}]}}"#
    );
    let acl = WebAclEngine::from_json(&text, &resources).unwrap_or_else(|e| panic!("{e}"));
    let held = token(Some(5), Some(600));
    let d = run(&acl, "www.example.com", TokenState::Present(&held));
    assert_eq!(
        d.action,
        Action::Allow,
        "the referencing rule's immunity time applies to the group's rules"
    );
    assert_eq!(d.rule_groups[0].non_terminating[0].action, Action::Captcha);
    let d = run(&acl, "www.example.com", TokenState::Absent);
    assert_eq!(d.action, Action::Captcha);
    assert_eq!(d.terminating_rule.as_deref(), Some("use-bots"));
    assert_eq!(d.immunity_seconds, Some(1000));
}
