//! WAF log records in AWS WAF's JSON log format (`terminatingRuleId`, `action`, `labels`,
//! `ruleGroupList`, `nonTerminatingMatchingRules`, `httpRequest`...), one per line, and
//! reading them back into requests for `verge waf replay`.

use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use verge_waf::{Decision, Request, RuleMatch};

/// One log record for a request `web_acl` decided; `status` is what the viewer got when the
/// WAF answered itself.
pub fn record(
    web_acl: &str,
    distribution: &str,
    request_id: &str,
    http_version: &str,
    request: &Request,
    decision: &Decision,
    status: Option<u16>,
) -> Value {
    let rule_match = |m: &RuleMatch| json!({"ruleId": m.rule, "action": m.action.as_aws_str()});
    let groups: Vec<Value> = decision
        .rule_groups
        .iter()
        .map(|group| {
            json!({
                "ruleGroupId": group.group,
                "terminatingRule": group.terminating_rule.as_ref().map(rule_match),
                "nonTerminatingMatchingRules": group.non_terminating.iter().map(rule_match).collect::<Vec<_>>(),
                "excludedRules": if group.excluded_rules.is_empty() { Value::Null } else {
                    json!(group.excluded_rules.iter().map(|r| json!({"ruleId": r, "exclusionType": "EXCLUDED_AS_COUNT"})).collect::<Vec<_>>())
                },
            })
        })
        .collect();
    let terminating_type = match &decision.terminating_rule {
        None => "REGULAR",
        Some(rule) if decision.rule_groups.iter().any(|g| &g.acl_rule == rule) => "GROUP",
        Some(_) => "REGULAR",
    };
    let headers: Vec<Value> = request
        .headers
        .iter()
        .map(|(name, value)| json!({"name": name, "value": String::from_utf8_lossy(value)}))
        .collect();
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let mut record = json!({
        "timestamp": millis,
        "formatVersion": 1,
        "webaclId": web_acl,
        "terminatingRuleId": decision.terminating_rule.as_deref().unwrap_or("Default_Action"),
        "terminatingRuleType": terminating_type,
        "action": decision.action.as_aws_str(),
        "terminatingRuleMatchDetails": [],
        "httpSourceName": "CF",
        "httpSourceId": distribution,
        "ruleGroupList": groups,
        "rateBasedRuleList": [],
        "nonTerminatingMatchingRules": decision.non_terminating.iter().map(rule_match).collect::<Vec<_>>(),
        "requestHeadersInserted": if decision.insert_headers.is_empty() { Value::Null } else {
            json!(decision.insert_headers.iter().map(|(n, v)| json!({"name": n, "value": v})).collect::<Vec<_>>())
        },
        "responseCodeSent": status,
        "httpRequest": {
            "clientIp": request.client_ip.to_string(),
            "country": request.country.clone().unwrap_or_else(|| "-".to_owned()),
            "headers": headers,
            "uri": request.uri_path,
            "args": request.query_string,
            "httpVersion": http_version,
            "httpMethod": request.method,
            "requestId": request_id,
        },
        "labels": decision.labels.iter().map(|l| json!({"name": l})).collect::<Vec<_>>(),
    });
    // AWS WAF writes the fingerprints beside `httpRequest` when it could compute them.
    if let Some(fields) = record.as_object_mut() {
        if let Some(ja3) = &request.ja3 {
            fields.insert("ja3Fingerprint".to_owned(), json!(ja3));
        }
        if let Some(ja4) = &request.ja4 {
            fields.insert("ja4Fingerprint".to_owned(), json!(ja4));
        }
    }
    // Why a CAPTCHA or Challenge stopped the request, as AWS WAF reports it.
    if let (Some(failure), Some(fields)) = (decision.token_failure, record.as_object_mut()) {
        let key = match decision.action {
            verge_waf::Action::Captcha => "captchaResponse",
            _ => "challengeResponse",
        };
        let response = json!({"responseCode": status, "failureReason": failure.as_aws_str()});
        fields.insert(key.to_owned(), response);
    }
    record
}

/// What a WAF log record says about one request.
#[derive(Debug, Clone)]
pub struct Logged {
    /// The request (without a body: AWS WAF logs none).
    pub request: Request,
    /// The action taken (`ALLOW`, `BLOCK`, ...).
    pub action: String,
    /// The rule that decided, `Default_Action` when none did.
    pub terminating_rule: String,
    /// When, in milliseconds since the Unix epoch (0 when the record has no timestamp).
    pub timestamp_ms: u64,
    /// The labels the request had when evaluation ended.
    pub labels: Vec<String>,
}

/// Reads one log record (Verge's or AWS WAF's own) back.
pub fn parse(line: &str) -> Result<Logged, String> {
    let record: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let http = &record["httpRequest"];
    let text = |v: &Value, field: &str| -> Result<String, String> {
        v[field]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("httpRequest.{field} is missing"))
    };
    let client_ip: IpAddr = text(http, "clientIp")?
        .parse()
        .map_err(|_| "httpRequest.clientIp is not an address".to_owned())?;
    let mut request = Request::new(&text(http, "httpMethod")?, &text(http, "uri")?, client_ip);
    request.query_string = http["args"].as_str().unwrap_or("").to_owned();
    request.ja3 = record["ja3Fingerprint"].as_str().map(str::to_owned);
    request.ja4 = record["ja4Fingerprint"].as_str().map(str::to_owned);
    request.country = http["country"]
        .as_str()
        .filter(|c| c.len() == 2)
        .map(str::to_owned);
    for header in http["headers"].as_array().into_iter().flatten() {
        let name = header["name"].as_str().unwrap_or_default();
        let value = header["value"].as_str().unwrap_or_default();
        request
            .headers
            .push((name.to_owned(), value.as_bytes().to_vec()));
    }
    Ok(Logged {
        request,
        action: record["action"].as_str().unwrap_or("-").to_owned(),
        terminating_rule: record["terminatingRuleId"]
            .as_str()
            .unwrap_or("Default_Action")
            .to_owned(),
        timestamp_ms: record["timestamp"].as_u64().unwrap_or(0),
        labels: record["labels"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|label| label["name"].as_str().map(str::to_owned))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_read_back_into_the_same_request() {
        let mut request = Request::new("POST", "/login", "198.51.100.7".parse().expect("ip"))
            .with_query("next=%2F")
            .with_header("user-agent", "curl/8")
            .with_geo("DE", None);
        request.ja3 = Some("e7d705a3286e19ea42f587b344ee6865".to_owned());
        request.ja4 = Some("t13d1516h2_8daaf6152771_e5627efa2ab1".to_owned());
        let decision = Decision {
            action: verge_waf::Action::Block,
            terminating_rule: Some("block-curl".to_owned()),
            non_terminating: Vec::new(),
            rule_groups: Vec::new(),
            labels: vec!["awswaf:111122223333:webacl:site:bot".to_owned()],
            insert_headers: Vec::new(),
            block_response: None,
            immunity_seconds: None,
            token_failure: None,
        };
        let line = record(
            "site",
            "dist",
            "req-1",
            "HTTP/1.1",
            &request,
            &decision,
            Some(403),
        )
        .to_string();
        let logged: Value = serde_json::from_str(&line).expect("JSON");
        assert_eq!(logged["terminatingRuleId"], "block-curl");
        assert_eq!(logged["action"], "BLOCK");
        assert_eq!(
            logged["labels"][0]["name"],
            "awswaf:111122223333:webacl:site:bot"
        );
        assert_eq!(logged["httpRequest"]["args"], "next=%2F");
        assert_eq!(
            logged["ja4Fingerprint"],
            "t13d1516h2_8daaf6152771_e5627efa2ab1"
        );

        let logged = parse(&line).expect("parses");
        assert_eq!(logged.action, "BLOCK");
        assert_eq!(logged.terminating_rule, "block-curl");
        assert_eq!(logged.labels, ["awswaf:111122223333:webacl:site:bot"]);
        let back = logged.request;
        assert_eq!(back.method, "POST");
        assert_eq!(back.uri_path, "/login");
        assert_eq!(back.query_string, "next=%2F");
        assert_eq!(back.country.as_deref(), Some("DE"));
        assert_eq!(back.headers, request.headers);
        assert_eq!((back.ja3, back.ja4), (request.ja3, request.ja4));
    }
}
