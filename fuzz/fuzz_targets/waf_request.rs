//! Requests from the network through a web ACL that inspects every field with every text
//! transformation: evaluation never panics, whatever the bytes.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use verge_waf::{Env, Request, Resources, WebAclEngine};

/// Every field, each through a chain of transformations, into SQLi, XSS, regex and byte
/// matches.
const ACL: &str = r#"{"Name": "fuzz", "DefaultAction": {"Allow": {}},
  "VisibilityConfig": {"SampledRequestsEnabled": false, "CloudWatchMetricsEnabled": false, "MetricName": "fuzz"},
  "Rules": [
    {"Name": "sqli", "Priority": 0, "Action": {"Count": {}},
     "Statement": {"OrStatement": {"Statements": [
       {"SqliMatchStatement": {"FieldToMatch": {"AllQueryArguments": {}}, "SensitivityLevel": "HIGH",
         "TextTransformations": [{"Priority": 0, "Type": "URL_DECODE_UNI"}, {"Priority": 1, "Type": "HTML_ENTITY_DECODE"}, {"Priority": 2, "Type": "COMPRESS_WHITE_SPACE"}]}},
       {"XssMatchStatement": {"FieldToMatch": {"Body": {"OversizeHandling": "CONTINUE"}},
         "TextTransformations": [{"Priority": 0, "Type": "JS_DECODE"}, {"Priority": 1, "Type": "CSS_DECODE"}, {"Priority": 2, "Type": "ESCAPE_SEQ_DECODE"}]}}
     ]}},
     "VisibilityConfig": {"SampledRequestsEnabled": false, "CloudWatchMetricsEnabled": false, "MetricName": "sqli"}},
    {"Name": "json", "Priority": 1, "Action": {"Count": {}},
     "Statement": {"ByteMatchStatement": {"SearchString": "x", "PositionalConstraint": "CONTAINS",
       "FieldToMatch": {"JsonBody": {"MatchPattern": {"All": {}}, "MatchScope": "ALL", "InvalidFallbackBehavior": "EVALUATE_AS_STRING", "OversizeHandling": "MATCH"}},
       "TextTransformations": [{"Priority": 0, "Type": "BASE64_DECODE_EXT"}, {"Priority": 1, "Type": "HEX_DECODE"}, {"Priority": 2, "Type": "NORMALIZE_PATH_WIN"}]}},
     "VisibilityConfig": {"SampledRequestsEnabled": false, "CloudWatchMetricsEnabled": false, "MetricName": "json"}},
    {"Name": "regex", "Priority": 2, "Action": {"Count": {}},
     "Statement": {"RegexMatchStatement": {"RegexString": "(a|b)+c[0-9]{2,}",
       "FieldToMatch": {"Cookies": {"MatchPattern": {"All": {}}, "MatchScope": "ALL", "OversizeHandling": "CONTINUE"}},
       "TextTransformations": [{"Priority": 0, "Type": "URL_DECODE"}, {"Priority": 1, "Type": "REMOVE_NULLS"}, {"Priority": 2, "Type": "CMD_LINE"}]}},
     "VisibilityConfig": {"SampledRequestsEnabled": false, "CloudWatchMetricsEnabled": false, "MetricName": "regex"}},
    {"Name": "order", "Priority": 3, "Action": {"Count": {}},
     "Statement": {"SizeConstraintStatement": {"ComparisonOperator": "GT", "Size": 3,
       "FieldToMatch": {"HeaderOrder": {"OversizeHandling": "CONTINUE"}},
       "TextTransformations": [{"Priority": 0, "Type": "UTF8_TO_UNICODE"}]}},
     "VisibilityConfig": {"SampledRequestsEnabled": false, "CloudWatchMetricsEnabled": false, "MetricName": "order"}}
  ]}"#;

fn engine() -> &'static WebAclEngine {
    static ENGINE: OnceLock<WebAclEngine> = OnceLock::new();
    // A broken ACL here is the target's bug: fail the first run loudly.
    ENGINE.get_or_init(|| WebAclEngine::from_json(ACL, &Resources::new()).expect("the fuzz web ACL compiles"))
}

fuzz_target!(|data: &[u8]| {
    let engine = engine();
    // The input is split into query, a cookie header, and a body.
    let mut parts = data.splitn(3, |b| *b == 0xff);
    let query = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let cookie = parts.next().unwrap_or_default();
    let body = parts.next().unwrap_or_default();
    let mut request = Request::new("POST", "/", std::net::IpAddr::from([192, 0, 2, 1]))
        .with_query(&query)
        .with_body(body);
    request.headers.push(("cookie".to_owned(), cookie.to_vec()));
    let _ = engine.evaluate(&request, Env::default());
});
