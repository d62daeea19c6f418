//! Detection and false-positive rates of the managed groups on the corpus: a web ACL with
//! the Common, KnownBadInputs, SQLi, Linux, Unix, Windows and PHP groups must block at least
//! 95% of `attacks.txt` and at most 2% of `benign.txt`. Run with `--nocapture` to see the
//! rates, per category, and every miss and false positive with the rule that decided.

use std::collections::BTreeMap;

use verge_waf::managed::{self, IpFeeds};
use verge_waf::{Action, Decision, Env, Resources, WebAclEngine};

use crate::corpus::{self, Entry};

/// The groups under test, in the order a typical ported ACL lists them.
const GROUPS: &[&str] = &[
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
    "AWSManagedRulesLinuxRuleSet",
    "AWSManagedRulesUnixRuleSet",
    "AWSManagedRulesWindowsRuleSet",
    "AWSManagedRulesPHPRuleSet",
];

/// A web ACL referencing `groups` with no overrides, as the AWS console creates it.
pub fn acl_json(groups: &[&str]) -> String {
    let rules: Vec<String> = groups
        .iter()
        .enumerate()
        .map(|(i, name)| {
            format!(
                r#"{{"Name": "AWS-{name}", "Priority": {i},
                  "Statement": {{"ManagedRuleGroupStatement": {{"VendorName": "AWS", "Name": "{name}"}}}},
                  "OverrideAction": {{"None": {{}}}},
                  "VisibilityConfig": {{"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "{name}"}}}}"#
            )
        })
        .collect();
    format!(
        r#"{{"Name": "corpus", "DefaultAction": {{"Allow": {{}}}}, "Rules": [{}],
            "VisibilityConfig": {{"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "corpus"}}}}"#,
        rules.join(",")
    )
}

/// The web ACL under test.
pub fn engine(groups: &[&str]) -> WebAclEngine {
    let mut resources = Resources::new();
    managed::install(&mut resources, &IpFeeds::default()).unwrap();
    WebAclEngine::from_json(&acl_json(groups), &resources).unwrap_or_else(|e| panic!("{e}"))
}

/// `Group#Rule` of the rule that decided, for reports.
fn decided_by(d: &Decision) -> String {
    d.rule_groups
        .iter()
        .find_map(|g| {
            g.terminating_rule
                .as_ref()
                .map(|r| format!("{}#{}", g.group.trim_start_matches("AWS#"), r.rule))
        })
        .unwrap_or_else(|| "-".to_owned())
}

/// What the web ACL did with a corpus file.
struct Outcome<'e> {
    /// The blocked entries, each with the rule that blocked it.
    blocked: Vec<(String, &'e Entry)>,
    /// Per category: how many were blocked, out of how many.
    per_category: BTreeMap<String, (usize, usize)>,
}

/// Evaluates every entry.
fn run<'e>(acl: &WebAclEngine, entries: &'e [Entry]) -> Outcome<'e> {
    let mut outcome = Outcome {
        blocked: Vec::new(),
        per_category: BTreeMap::new(),
    };
    for entry in entries {
        let d = acl.evaluate(&entry.request, Env::default());
        let counts = outcome
            .per_category
            .entry(entry.category.clone())
            .or_default();
        counts.1 += 1;
        if d.action == Action::Block {
            counts.0 += 1;
            outcome.blocked.push((decided_by(&d), entry));
        }
    }
    outcome
}

fn describe(entry: &Entry) -> String {
    format!(
        "line {} [{}] {}: {} {}{}{}",
        entry.line,
        entry.category,
        entry.description,
        entry.request.method,
        entry.request.uri_path,
        if entry.request.query_string.is_empty() {
            ""
        } else {
            "?"
        },
        entry
            .request
            .query_string
            .chars()
            .take(100)
            .collect::<String>(),
    )
}

#[test]
fn corpus_detection_and_false_positive_rates() {
    let acl = engine(GROUPS);
    let attacks = corpus::load("attacks.txt");
    let benign = corpus::load("benign.txt");
    assert!(
        attacks.len() >= 200 && benign.len() >= 200,
        "the corpus shrank"
    );

    let Outcome {
        blocked: caught,
        per_category: attack_categories,
    } = run(&acl, &attacks);
    let false_positives = run(&acl, &benign).blocked;
    let detection = caught.len() as f64 / attacks.len() as f64;
    let false_positive_rate = false_positives.len() as f64 / benign.len() as f64;

    println!(
        "detection: {}/{} = {:.1}%",
        caught.len(),
        attacks.len(),
        detection * 100.0
    );
    for (category, (hit, total)) in &attack_categories {
        println!("  {category:<11} {hit:>3}/{total:<3}");
    }
    println!(
        "false positives: {}/{} = {:.1}%",
        false_positives.len(),
        benign.len(),
        false_positive_rate * 100.0
    );
    for (rule, entry) in &false_positives {
        println!("  FP   {rule}: {}", describe(entry));
    }
    for entry in &attacks {
        if !caught.iter().any(|(_, c)| std::ptr::eq(*c, entry)) {
            println!("  MISS {}", describe(entry));
        }
    }

    assert!(
        detection >= 0.95,
        "detection rate {detection:.3} is below 0.95"
    );
    assert!(
        false_positive_rate <= 0.02,
        "false-positive rate {false_positive_rate:.3} is above 0.02"
    );
}
