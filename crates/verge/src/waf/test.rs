//! `verge waf test`: one raw request through a web ACL; prints the decision, the rule that
//! made it, every rule that matched, the labels, what the origin or the viewer would get, and
//! the time the evaluation took (or, with `--json`, a WAF log record).

use std::io::Read as _;
use std::net::IpAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use verge_waf::{Action, Decision, Env, Request};

use super::{load, raw};
use crate::cli::WafAclArgs;

/// What `verge waf test` was given.
pub struct TestArgs<'a> {
    /// The web ACL and its objects.
    pub acl: &'a WafAclArgs,
    /// The raw request file, `-` for standard input.
    pub request: &'a Path,
    /// The viewer's address.
    pub client_ip: IpAddr,
    /// The viewer's country.
    pub country: Option<&'a str>,
    /// Print a WAF log record.
    pub json: bool,
}

/// Runs the test and prints the result.
pub fn test(args: &TestArgs<'_>) -> Result<(), String> {
    let engine = load(args.acl)?;
    let bytes = if args.request.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| format!("standard input: {e}"))?;
        bytes
    } else {
        std::fs::read(args.request).map_err(|e| format!("{}: {e}", args.request.display()))?
    };
    let mut request = raw::parse(&bytes, args.client_ip, engine.body_inspection_limit())
        .map_err(|e| format!("{}: {e}", args.request.display()))?;
    if let Some(country) = args.country {
        request = request.with_geo(&country.to_ascii_uppercase(), None);
    }
    let started = Instant::now();
    let decision = engine.evaluate(&request, Env::default());
    let first = started.elapsed();
    let took = Timing {
        first,
        warm: warm_median(&engine, &request),
    };

    if args.json {
        let mut record = verge_edge::waf::log_record(
            engine.name(),
            "verge-waf-test",
            "verge-waf-test",
            "HTTP/1.1",
            &request,
            &decision,
            status(&decision),
        );
        record["evaluationMicros"] = serde_json::json!(took.warm.as_secs_f64() * 1e6);
        record["firstEvaluationMicros"] = serde_json::json!(took.first.as_secs_f64() * 1e6);
        println!(
            "{}",
            serde_json::to_string_pretty(&record).unwrap_or_default()
        );
    } else {
        print(engine.name(), &request, &decision, took);
    }
    Ok(())
}

/// How long evaluation took: the first run (which builds lazy matchers) and warm runs.
struct Timing {
    first: Duration,
    warm: Duration,
}

/// The median of repeated evaluations, as the edge sees them once warm. The decision printed
/// is the first run's (repeats only add to rate-based counters of this one-shot process).
fn warm_median(engine: &verge_waf::WebAclEngine, request: &Request) -> Duration {
    const RUNS: usize = 101;
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let started = Instant::now();
            let _ = engine.evaluate(request, Env::default());
            started.elapsed()
        })
        .collect();
    times.sort();
    times[RUNS / 2]
}

/// What the viewer gets when the WAF answers.
fn status(decision: &Decision) -> Option<u16> {
    match decision.action {
        Action::Allow | Action::Count => None,
        Action::Block => Some(
            decision
                .block_response
                .as_ref()
                .map_or(403, |response| response.status),
        ),
        Action::Captcha => Some(405),
        Action::Challenge => Some(202),
    }
}

fn print(acl: &str, request: &Request, decision: &Decision, took: Timing) {
    println!("Web ACL:     {acl}");
    println!("Request:     {} {}", request.method, target(request));
    let rule = decision
        .terminating_rule
        .as_deref()
        .unwrap_or("Default_Action");
    println!("Decision:    {} (by {rule})", decision.action.as_aws_str());
    match status(decision) {
        Some(code) => println!("Viewer gets: {code} from the edge"),
        None => println!("Viewer gets: the origin's response"),
    }
    println!("Matching rules:");
    let mut any = false;
    if let Some(rule) = &decision.terminating_rule {
        println!("  {rule:<40} {}", decision.action.as_aws_str());
        any = true;
    }
    for matched in &decision.non_terminating {
        println!("  {:<40} {}", matched.rule, matched.action.as_aws_str());
        any = true;
    }
    for group in &decision.rule_groups {
        let inside = group
            .terminating_rule
            .iter()
            .chain(&group.non_terminating)
            .map(|m| (m.rule.as_str(), m.action.as_aws_str()))
            .chain(
                group
                    .excluded_rules
                    .iter()
                    .map(|r| (r.as_str(), "COUNT (excluded)")),
            );
        for (name, action) in inside {
            println!("  {:<40} {action}", format!("{} / {name}", group.group));
            any = true;
        }
    }
    if !any {
        println!("  (none)");
    }
    println!("Labels:");
    if decision.labels.is_empty() {
        println!("  (none)");
    }
    for label in &decision.labels {
        println!("  {label}");
    }
    if !decision.insert_headers.is_empty() {
        println!("Headers inserted for the origin:");
        for (name, value) in &decision.insert_headers {
            println!("  {name}: {value}");
        }
    }
    println!(
        "Evaluated in {:.1} µs warm (median of repeats; the first run took {:.1} µs)",
        took.warm.as_secs_f64() * 1e6,
        took.first.as_secs_f64() * 1e6
    );
}

fn target(request: &Request) -> String {
    if request.query_string.is_empty() {
        request.uri_path.clone()
    } else {
        format!("{}?{}", request.uri_path, request.query_string)
    }
}
