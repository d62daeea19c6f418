//! JA3 and JA4 through real connections: the edge fingerprints each HTTPS viewer's
//! ClientHello and logs the fingerprints as AWS WAF does; a rule matching the JA4 of this
//! test's own rustls client blocks it and no other client; plain-HTTP requests, which have
//! no ClientHello, take each statement's FallbackBehavior.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;
use support::cache_ops::get;
use support::client::{Offer, tls_with};
use support::config::{ALL_METHODS, distribution_head, origin_table};
use support::{TestEdge, TestOrigin, h1, h2_tls};

/// Never a JA4 (the version would be `00`): matches no viewer until the test learns its own.
const NO_VIEWER: &str = "t00i000000_000000000000_000000000000";

/// A web ACL: `/strict` needs a JA3 (its statement falls back to MATCH, and no viewer has
/// this JA3), and the viewer whose JA4 is `ja4` is blocked (falling back to NO_MATCH).
fn acl(ja4: &str) -> String {
    r#"{
  "WebACL": {
    "Name": "ja-acl",
    "Id": "11111111-2222-3333-4444-666666666666",
    "ARN": "arn:aws:wafv2:us-east-1:111122223333:global/webacl/ja-acl/11111111-2222-3333-4444-666666666666",
    "DefaultAction": { "Allow": {} },
    "Rules": [
      {
        "Name": "strict-needs-tls",
        "Priority": 1,
        "Statement": { "AndStatement": { "Statements": [
          { "ByteMatchStatement": { "SearchString": "/strict", "FieldToMatch": { "UriPath": {} },
            "TextTransformations": [ { "Priority": 0, "Type": "NONE" } ], "PositionalConstraint": "STARTS_WITH" } },
          { "ByteMatchStatement": { "SearchString": "00000000000000000000000000000000",
            "FieldToMatch": { "JA3Fingerprint": { "FallbackBehavior": "MATCH" } },
            "TextTransformations": [ { "Priority": 0, "Type": "NONE" } ], "PositionalConstraint": "EXACTLY" } }
        ] } },
        "Action": { "Block": {} },
        "VisibilityConfig": { "SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "strict-needs-tls" }
      },
      {
        "Name": "block-this-client",
        "Priority": 2,
        "Statement": { "ByteMatchStatement": { "SearchString": "JA4",
          "FieldToMatch": { "JA4Fingerprint": { "FallbackBehavior": "NO_MATCH" } },
          "TextTransformations": [ { "Priority": 0, "Type": "NONE" } ], "PositionalConstraint": "EXACTLY" } },
        "Action": { "Block": {} },
        "VisibilityConfig": { "SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "block-this-client" }
      }
    ],
    "VisibilityConfig": { "SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "ja-acl" }
  },
  "LockToken": "abc"
}"#
    .replace("\"JA4\"", &format!("{ja4:?}"))
}

/// An edge whose one distribution uses `acl(NO_VIEWER)`; returns it with the ACL file and
/// the WAF log.
async fn edge(origin: &TestOrigin) -> (TestEdge, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir").keep();
    let acl_path = dir.join("acl.json");
    std::fs::write(&acl_path, acl(NO_VIEWER)).expect("write");
    let log = dir.join("waf.log");
    let tables = format!(
        "[waf]\nlog = \"{}\"\n{}web_acl = \"{}\"\n{}",
        log.display(),
        distribution_head("site", r#""site.test""#, "o1", ALL_METHODS),
        acl_path.display(),
        origin_table("o1", origin.addr, ""),
    );
    (TestEdge::start(&tables).await, acl_path, log)
}

/// The WAF log's records once there are `count` of them.
async fn records(log: &Path, count: usize) -> Vec<Value> {
    let mut text = String::new();
    for _ in 0..200 {
        text = std::fs::read_to_string(log).unwrap_or_default();
        if text.lines().count() >= count {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let records: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON record"))
        .collect();
    assert_eq!(records.len(), count, "{text}");
    records
}

/// Whether `text` is `len` lowercase hex digits.
fn is_hex(text: &str, len: usize) -> bool {
    text.len() == len
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[tokio::test]
async fn a_rule_on_the_viewers_ja4_blocks_it_and_plain_http_takes_the_fallback() {
    let origin = TestOrigin::hello().await;
    let (edge, acl_path, log) = edge(&origin).await;

    // Over TLS the viewer has fingerprints: the JA3 statement does not fall back.
    let reply = h2_tls(edge.https(), "site.test", get("site.test", "/strict")).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let first = records(&log, 1).await.remove(0);
    assert_eq!(first["action"], "ALLOW");
    let ja3 = first["ja3Fingerprint"]
        .as_str()
        .expect("ja3Fingerprint")
        .to_owned();
    let ja4 = first["ja4Fingerprint"]
        .as_str()
        .expect("ja4Fingerprint")
        .to_owned();
    assert!(is_hex(&ja3, 32), "{ja3}");
    // rustls offers TLS 1.3, sends SNI and ALPN h2 first.
    let (prefix, hashes) = ja4.split_at(10);
    assert!(
        prefix.starts_with("t13d") && prefix.ends_with("h2"),
        "{ja4}"
    );
    assert!(prefix[4..8].bytes().all(|b| b.is_ascii_digit()), "{ja4}");
    let hashes: Vec<&str> = hashes.split('_').collect();
    assert_eq!(hashes.len(), 3, "{ja4}");
    assert!(
        hashes[0].is_empty() && is_hex(hashes[1], 12) && is_hex(hashes[2], 12),
        "{ja4}"
    );

    // Plain HTTP has no ClientHello: JA3 falls back to MATCH, JA4 to NO_MATCH.
    let reply = h1(edge.http(), get("site.test", "/strict")).await;
    assert_eq!(reply.status, 403, "the JA3 statement fell back to MATCH");
    let reply = h1(edge.http(), get("site.test", "/")).await;
    assert_eq!(reply.status, 200);
    let logged = records(&log, 3).await;
    assert_eq!(logged[1]["terminatingRuleId"], "strict-needs-tls");
    for record in &logged[1..] {
        assert!(record.get("ja3Fingerprint").is_none(), "{record}");
        assert!(record.get("ja4Fingerprint").is_none(), "{record}");
    }

    // The ACL now names this client's JA4, as an operator would copy it from the log.
    std::fs::write(&acl_path, acl(&ja4)).expect("write");
    edge.edge.reload().expect("reload");

    let reply = h2_tls(edge.https(), "site.test", get("site.test", "/")).await;
    assert_eq!(reply.status, 403, "this client's JA4 is blocked");
    let reply = h1(edge.http(), get("site.test", "/")).await;
    assert_eq!(reply.status, 200, "the JA4 statement fell back to NO_MATCH");

    // The same client over HTTP/1.1 sends the same ClientHello but for ALPN's order, which
    // JA4 sees only through its first protocol: http/1.1 first makes it another JA4.
    let http1 = Offer {
        alpn: vec![b"http/1.1".to_vec()],
        ..Offer::default()
    };
    let reply = tls_with(edge.https(), "site.test", &http1, get("site.test", "/"))
        .await
        .expect("handshake");
    assert_eq!(reply.status, 200, "another JA4 is not blocked");

    // A TLS 1.2 client without ALPN: no supported_versions, so the legacy version counts.
    let tls12 = Offer {
        alpn: Vec::new(),
        versions: vec![&rustls::version::TLS12],
        ..Offer::default()
    };
    let reply = tls_with(edge.https(), "site.test", &tls12, get("site.test", "/"))
        .await
        .expect("handshake");
    assert_eq!(reply.status, 200);

    let logged = records(&log, 7).await;
    assert_eq!(logged[3]["terminatingRuleId"], "block-this-client");
    // rustls sends its extensions in a new random order on every connection, as Chrome
    // does: its JA3 changes each time, its JA4 (sorted lists) does not.
    assert_eq!(logged[3]["ja4Fingerprint"], ja4.as_str());
    assert!(
        logged[3]["ja3Fingerprint"]
            .as_str()
            .is_some_and(|j| is_hex(j, 32))
    );
    assert!(logged[4].get("ja4Fingerprint").is_none());
    let http1_ja4 = logged[5]["ja4Fingerprint"].as_str().expect("ja4");
    assert!(
        http1_ja4.starts_with("t13d") && http1_ja4[8..].starts_with("h1_"),
        "{http1_ja4}"
    );
    assert_eq!(&http1_ja4[10..], &ja4[10..], "only the ALPN part differs");
    let tls12_ja4 = logged[6]["ja4Fingerprint"].as_str().expect("ja4");
    assert!(
        tls12_ja4.starts_with("t12d") && tls12_ja4[8..].starts_with("00_"),
        "{tls12_ja4}"
    );
    let tls12_ja3 = logged[6]["ja3Fingerprint"].as_str().expect("ja3");
    assert!(is_hex(tls12_ja3, 32), "{tls12_ja3}");
}
