//! `verge waf replay`: the requests of a WAF log evaluated with a (new) web ACL. Prints the
//! requests whose action would change, a summary by rule, and totals, so a rule can be tried
//! on real traffic before it serves.

use std::collections::BTreeMap;
use std::io::BufRead as _;

use verge_edge::waf::Logged;
use verge_waf::Env;
use verge_waf::token::{Token, TokenState};

use super::load;
use crate::cli::WafAclArgs;

/// One request whose action changes.
struct Change {
    line: usize,
    method: String,
    target: String,
    before: (String, String),
    after: (String, String),
}

/// Replays `log` through the web ACL and prints what would change.
pub fn replay(acl: &WafAclArgs, log: &std::path::Path, limit: usize) -> Result<(), String> {
    let engine = load(acl)?;
    let file = std::fs::File::open(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let mut read = 0usize;
    let mut unreadable = 0usize;
    let mut changes = Vec::new();
    let mut before_actions: BTreeMap<String, usize> = BTreeMap::new();
    let mut after_actions: BTreeMap<String, usize> = BTreeMap::new();
    for (index, line) in std::io::BufReader::new(file).lines().enumerate() {
        let number = index + 1;
        let line = line.map_err(|e| format!("{}:{number}: {e}", log.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let logged = match verge_edge::waf::parse_log_record(&line) {
            Ok(logged) => logged,
            Err(error) => {
                unreadable += 1;
                if unreadable <= 5 {
                    eprintln!("{}:{number}: skipped: {error}", log.display());
                }
                continue;
            }
        };
        read += 1;
        let token = logged_token(&logged);
        let env = Env {
            now_ms: logged.timestamp_ms,
            now_secs: logged.timestamp_ms / 1000,
            token: match &token {
                LoggedToken::Absent => TokenState::Absent,
                LoggedToken::Rejected => TokenState::Invalid,
                LoggedToken::Accepted(token) => TokenState::Present(token),
            },
            ..Env::default()
        };
        let decision = engine.evaluate(&logged.request, env);
        let after = (
            decision.action.as_aws_str().to_owned(),
            decision
                .terminating_rule
                .clone()
                .unwrap_or_else(|| "Default_Action".to_owned()),
        );
        *before_actions.entry(logged.action.clone()).or_default() += 1;
        *after_actions.entry(after.0.clone()).or_default() += 1;
        if after.0 != logged.action {
            let request = &logged.request;
            let target = if request.query_string.is_empty() {
                request.uri_path.clone()
            } else {
                format!("{}?{}", request.uri_path, request.query_string)
            };
            changes.push(Change {
                line: number,
                method: request.method.clone(),
                target,
                before: (logged.action, logged.terminating_rule),
                after,
            });
        }
    }
    if unreadable > 5 {
        eprintln!("... and {} more lines skipped", unreadable - 5);
    }
    print(engine.name(), &changes, limit);
    println!();
    println!(
        "Totals: {read} requests replayed, {} would change, {} unchanged{}",
        changes.len(),
        read - changes.len(),
        if unreadable > 0 {
            format!(", {unreadable} lines unreadable")
        } else {
            String::new()
        }
    );
    let actions: std::collections::BTreeSet<&String> =
        before_actions.keys().chain(after_actions.keys()).collect();
    for action in actions {
        println!(
            "  {action:<10} {:>8} before  {:>8} after",
            before_actions.get(action).copied().unwrap_or(0),
            after_actions.get(action).copied().unwrap_or(0)
        );
    }
    Ok(())
}

/// A viewer's challenge token as its log record shows it.
enum LoggedToken {
    Absent,
    Rejected,
    Accepted(Token),
}

/// The token a logged request carried, rebuilt from its token labels: logs hold no cookie
/// Verge can open, so an accepted token is taken as solved at the time of the request.
// Limitation: a token accepted when logged is replayed as freshly solved, so a new ACL's
// shorter immunity time is not tested against the real solve time.
fn logged_token(logged: &Logged) -> LoggedToken {
    let has = |label: &str| logged.labels.iter().any(|l| l == label);
    let secs = logged.timestamp_ms / 1000;
    let token_accepted = has("awswaf:managed:token:accepted");
    let captcha_accepted = has("awswaf:managed:captcha:accepted");
    if token_accepted || captcha_accepted {
        let host = logged
            .request
            .header_values("host")
            .next()
            .map(|h| String::from_utf8_lossy(h).to_ascii_lowercase())
            .unwrap_or_default();
        let domain = host.split(':').next().unwrap_or_default().to_owned();
        return LoggedToken::Accepted(Token {
            domain,
            issued_at: secs,
            challenge_at: Some(secs),
            captcha_at: captcha_accepted.then_some(secs),
        });
    }
    if logged
        .labels
        .iter()
        .any(|l| l.starts_with("awswaf:managed:token:rejected"))
    {
        return LoggedToken::Rejected;
    }
    LoggedToken::Absent
}

fn print(acl: &str, changes: &[Change], limit: usize) {
    println!("Replayed with web ACL {acl}.");
    if changes.is_empty() {
        println!("No request's action would change.");
        return;
    }
    println!();
    println!(
        "{:>6}  {:<7} {:<40} {:<32} {:<32}",
        "LINE", "METHOD", "REQUEST", "LOGGED (RULE)", "NOW (RULE)"
    );
    for change in changes.iter().take(limit) {
        println!(
            "{:>6}  {:<7} {:<40} {:<32} {:<32}",
            change.line,
            change.method,
            clip(&change.target, 40),
            clip(&format!("{} ({})", change.before.0, change.before.1), 32),
            clip(&format!("{} ({})", change.after.0, change.after.1), 32),
        );
    }
    if changes.len() > limit {
        println!("  ... and {} more (--limit)", changes.len() - limit);
    }
    println!();
    println!("By rule:");
    let mut by_rule: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    for change in changes {
        let key = (
            change.after.1.clone(),
            change.before.0.clone(),
            change.after.0.clone(),
        );
        *by_rule.entry(key).or_default() += 1;
    }
    for ((rule, before, after), count) in by_rule {
        println!("  {rule:<40} {before} -> {after}: {count}");
    }
}

fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut clipped: String = text.chars().take(width.saturating_sub(3)).collect();
    clipped.push_str("...");
    clipped
}
