//! The WAF from the command line, as a user drives it: `verge serve --web-acl` with an
//! AWS-format web ACL (blocks, counts with labels, a rate limit, a challenge solved by a
//! client, the WAF log and metrics), `verge waf test` on a raw request, and `verge waf replay`
//! of the log with a changed ACL.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use support::{VERGE, Verge, admin_send, origin, send};

/// A web ACL as `aws wafv2 get-web-acl` prints it.
const ACL: &str = r#"{
  "WebACL": {
    "Name": "shop-acl",
    "Id": "0d1f2e3c-aaaa-bbbb-cccc-000000000001",
    "ARN": "arn:aws:wafv2:us-east-1:111122223333:global/webacl/shop-acl/0d1f2e3c-aaaa-bbbb-cccc-000000000001",
    "DefaultAction": { "Allow": {} },
    "Rules": [
      {
        "Name": "deny-listed-clients",
        "Priority": 0,
        "Statement": { "IPSetReferenceStatement": {
          "ARN": "arn:aws:wafv2:us-east-1:111122223333:global/ipset/deny-list/1111",
          "IPSetForwardedIPConfig": { "HeaderName": "X-Forwarded-For", "FallbackBehavior": "NO_MATCH", "Position": "FIRST" } } },
        "Action": { "Block": {} },
        "VisibilityConfig": { "SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "deny-listed-clients" }
      },
      {
        "Name": "tag-bots",
        "Priority": 1,
        "Statement": { "ByteMatchStatement": { "SearchString": "bot", "FieldToMatch": { "SingleHeader": { "Name": "user-agent" } },
          "TextTransformations": [ { "Priority": 0, "Type": "LOWERCASE" } ], "PositionalConstraint": "CONTAINS" } },
        "Action": { "Count": {} },
        "RuleLabels": [ { "Name": "client:bot" } ],
        "VisibilityConfig": { "SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "tag-bots" }
      },
      {
        "Name": "no-bots-on-checkout",
        "Priority": 2,
        "Statement": { "AndStatement": { "Statements": [
          { "LabelMatchStatement": { "Scope": "LABEL", "Key": "client:bot" } },
          { "ByteMatchStatement": { "SearchString": "/checkout", "FieldToMatch": { "UriPath": {} },
            "TextTransformations": [ { "Priority": 0, "Type": "NONE" } ], "PositionalConstraint": "STARTS_WITH" } }
        ] } },
        "Action": { "Block": { "CustomResponse": { "ResponseCode": 403, "CustomResponseBodyKey": "no-bots" } } },
        "VisibilityConfig": { "SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "no-bots-on-checkout" }
      },
      {
        "Name": "search-rate",
        "Priority": 3,
        "Statement": { "RateBasedStatement": { "Limit": 10, "EvaluationWindowSec": 60, "AggregateKeyType": "IP",
          "ScopeDownStatement": { "ByteMatchStatement": { "SearchString": "/search", "FieldToMatch": { "UriPath": {} },
            "TextTransformations": [ { "Priority": 0, "Type": "NONE" } ], "PositionalConstraint": "EXACTLY" } } } },
        "Action": { "Block": {} },
        "VisibilityConfig": { "SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "search-rate" }
      },
      {
        "Name": "challenge-account",
        "Priority": 4,
        "Statement": { "ByteMatchStatement": { "SearchString": "/account", "FieldToMatch": { "UriPath": {} },
          "TextTransformations": [ { "Priority": 0, "Type": "NONE" } ], "PositionalConstraint": "STARTS_WITH" } },
        "Action": { "Challenge": {} },
        "VisibilityConfig": { "SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "challenge-account" }
      }
    ],
    "CustomResponseBodies": { "no-bots": { "ContentType": "TEXT_PLAIN", "Content": "bots may browse but not buy" } },
    "VisibilityConfig": { "SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "shop-acl" }
  },
  "LockToken": "5a1b2c3d-0000-0000-0000-000000000000"
}"#;

const DENY_LIST: &str = r#"{"IPSet": {"Name": "deny-list", "Id": "1111",
  "ARN": "arn:aws:wafv2:us-east-1:111122223333:global/ipset/deny-list/1111",
  "IPAddressVersion": "IPV4", "Addresses": ["198.51.100.0/24"]}, "LockToken": "x"}"#;

struct Files {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Files {
    fn new() -> Files {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().to_owned();
        let files = Files { _dir: dir, root };
        files.write("acl.json", ACL);
        files.write("deny-list.json", DENY_LIST);
        files
    }

    fn write(&self, name: &str, text: &str) -> String {
        let path = self.root.join(name);
        std::fs::write(&path, text).expect("write");
        self.path(name)
    }

    fn path(&self, name: &str) -> String {
        self.root
            .join(name)
            .to_str()
            .expect("utf-8 path")
            .to_owned()
    }
}

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::new(VERGE).args(args).output().expect("runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn wait_for_lines(path: &Path, lines: usize) -> String {
    let mut text = String::new();
    for _ in 0..200 {
        text = std::fs::read_to_string(path).unwrap_or_default();
        if text.lines().count() >= lines {
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    text
}

#[tokio::test]
async fn serve_with_a_web_acl_blocks_counts_labels_limits_and_logs() {
    let origin = origin().await;
    let files = Files::new();
    let log = files.path("waf.log");
    let origin_url = format!("http://{origin}");
    let data_dir = files.path("data");
    let verge = Verge::start(&[
        "serve",
        "--origin",
        &origin_url,
        "--listen",
        "127.0.0.1:0",
        "--no-tls",
        "--admin",
        "127.0.0.1:0",
        "--data-dir",
        &data_dir,
        "--web-acl",
        &files.path("acl.json"),
        "--ip-set",
        &files.path("deny-list.json"),
        "--waf-log",
        &log,
    ]);
    let at = verge.http;

    let (status, _, body) = send(at, "GET", "shop.test", "/", &[], "").await;
    assert_eq!((status, body.as_str()), (200, "origin saw /"));
    let (status, _, _) = send(
        at,
        "GET",
        "shop.test",
        "/",
        &[("x-forwarded-for", "198.51.100.7")],
        "",
    )
    .await;
    assert_eq!(status, 403, "the IP set blocks the forwarded address");

    let bot = [("user-agent", "ExampleBot/2.1")];
    let (status, _, body) = send(at, "GET", "shop.test", "/products", &bot, "").await;
    assert_eq!(
        (status, body.as_str()),
        (200, "origin saw /products"),
        "Count goes on"
    );
    let (status, _, body) = send(at, "POST", "shop.test", "/checkout", &bot, "").await;
    assert_eq!(
        (status, body.as_str()),
        (403, "bots may browse but not buy"),
        "the label is seen by a later rule"
    );

    let mut statuses = Vec::new();
    for _ in 0..12 {
        statuses.push(send(at, "GET", "shop.test", "/search", &[], "").await.0);
    }
    assert_eq!(&statuses[..10], &[200; 10], "{statuses:?}");
    assert_eq!(
        statuses[11], 403,
        "over the limit, blocked at once: {statuses:?}"
    );

    let text = wait_for_lines(Path::new(&log), 16);
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON record"))
        .collect();
    assert_eq!(records.len(), 16, "one record per request");
    let bot_browse = &records[2];
    assert_eq!(bot_browse["action"], "ALLOW");
    assert_eq!(
        bot_browse["nonTerminatingMatchingRules"][0]["ruleId"],
        "tag-bots"
    );
    assert_eq!(
        bot_browse["labels"][0]["name"],
        "awswaf:111122223333:webacl:shop-acl:client:bot"
    );
    assert_eq!(records[3]["terminatingRuleId"], "no-bots-on-checkout");
    assert_eq!(records[15]["terminatingRuleId"], "search-rate");

    let (_, metrics) = admin_send(verge.admin, "GET", "/metrics", "").await;
    assert!(
        metrics.contains(r#"verge_waf_rule_matches_total{web_acl="shop-acl",rule="search-rate",action="BLOCK"} 2"#),
        "{metrics}"
    );
    // `verge waf replay`: the same traffic under an ACL that also blocks bots everywhere.
    let stricter = ACL.replace(
        r#""Action": { "Count": {} },"#,
        r#""Action": { "Block": {} },"#,
    );
    let stricter = files.write("stricter.json", &stricter);
    let (code, out, err) = run(&[
        "waf",
        "replay",
        "--web-acl",
        &stricter,
        "--ip-set",
        &files.path("deny-list.json"),
        "--log",
        &log,
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("/products")
            && out.contains("ALLOW (Default_Action)")
            && out.contains("BLOCK (tag-bots)"),
        "{out}"
    );
    assert!(
        out.contains("Totals: 16 requests replayed, 1 would change, 15 unchanged"),
        "{out}"
    );
    assert!(
        out.contains("tag-bots") && out.contains("ALLOW -> BLOCK: 1"),
        "{out}"
    );

    // A browser on /account gets the challenge page, solves its proof of work as the page's
    // script does, posts it, and comes back with the token to reach the origin.
    let browser = [("accept", "text/html,application/xhtml+xml")];
    let (status, headers, page) = send(at, "GET", "shop.test", "/account", &browser, "").await;
    assert_eq!(status, 202, "{page}");
    assert_eq!(
        headers.get("x-amzn-waf-action").map(|v| v.as_bytes()),
        Some(&b"challenge"[..])
    );
    let sealed = attribute(&page, "name=\"challenge\"", "value");
    let seed = attribute(&page, "id=\"verge-challenge\"", "data-seed");
    let bits: u8 = attribute(&page, "id=\"verge-challenge\"", "data-bits")
        .parse()
        .expect("bits");
    let nonce = verge_waf::challenge::solve(&seed, bits).to_string();
    let form = format!(
        "challenge={}&solution={nonce}&return=%2Faccount",
        form_encode(&sealed)
    );
    let form_type = [("content-type", "application/x-www-form-urlencoded")];
    let (status, headers, _) = send(
        at,
        "POST",
        "shop.test",
        "/.verge/waf/challenge",
        &form_type,
        &form,
    )
    .await;
    assert_eq!(status, 303);
    let cookie = headers
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("a token cookie")
        .to_owned();
    assert!(cookie.starts_with("aws-waf-token="), "{cookie}");
    let with_token = [("accept", "text/html"), ("cookie", cookie.as_str())];
    let (status, _, body) = send(at, "GET", "shop.test", "/account", &with_token, "").await;
    assert_eq!(
        (status, body.as_str()),
        (200, "origin saw /account"),
        "the solved challenge lets the viewer through"
    );
    let (status, _, _) = send(at, "GET", "shop.test", "/account", &[], "").await;
    assert_eq!(
        status, 202,
        "a client that does not accept HTML gets the bare 202"
    );
}

/// The value of `attribute="..."` in the tag holding `anchor`.
fn attribute(html: &str, anchor: &str, attribute: &str) -> String {
    let at = html
        .find(anchor)
        .unwrap_or_else(|| panic!("{anchor} in {html}"));
    let tag = &html[html[..at].rfind('<').expect("tag start")..];
    let start = tag.find(&format!("{attribute}=\"")).expect("attribute") + attribute.len() + 2;
    let len = tag[start..].find('"').expect("closing quote");
    tag[start..start + len].replace("&amp;", "&")
}

/// Form encoding, as a browser does it.
fn form_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                char::from(b).to_string()
            }
            b => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn waf_test_prints_the_decision_rules_labels_and_a_log_record() {
    let files = Files::new();
    let request = files.write(
        "checkout.http",
        "POST /checkout?step=2 HTTP/1.1\r\nHost: shop.test\r\nUser-Agent: ExampleBot/2.1\r\nContent-Type: application/json\r\n\r\n{\"cart\": 7}",
    );
    let acl = files.path("acl.json");
    let ip_set = files.path("deny-list.json");
    let (code, out, err) = run(&[
        "waf",
        "test",
        "--web-acl",
        &acl,
        "--ip-set",
        &ip_set,
        "--request",
        &request,
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("Decision:    BLOCK (by no-bots-on-checkout)"),
        "{out}"
    );
    assert!(out.contains("Viewer gets: 403 from the edge"), "{out}");
    assert!(out.contains("tag-bots") && out.contains("COUNT"), "{out}");
    assert!(
        out.contains("awswaf:111122223333:webacl:shop-acl:client:bot"),
        "{out}"
    );
    assert!(out.contains("Evaluated in"), "{out}");

    let (code, out, err) = run(&[
        "waf",
        "test",
        "--web-acl",
        &acl,
        "--ip-set",
        &ip_set,
        "--request",
        &request,
        "--json",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let record: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
    assert_eq!(record["action"], "BLOCK");
    assert_eq!(record["terminatingRuleId"], "no-bots-on-checkout");
    assert_eq!(record["httpRequest"]["args"], "step=2");
    assert_eq!(record["responseCodeSent"], 403);
    assert!(record["evaluationMicros"].as_f64().is_some());

    // A broken ACL names the field; a missing IP set names the reference.
    let broken = files.write(
        "broken.json",
        &ACL.replace("\"Priority\": 1,", "\"Priority\": 0,"),
    );
    let (code, _, err) = run(&[
        "waf",
        "test",
        "--web-acl",
        &broken,
        "--ip-set",
        &ip_set,
        "--request",
        &request,
    ]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("broken.json") && err.contains("Priority"),
        "{err}"
    );
    let (code, _, err) = run(&["waf", "test", "--web-acl", &acl, "--request", &request]);
    assert_eq!(code, Some(2));
    assert!(err.contains("deny-list"), "{err}");
}
