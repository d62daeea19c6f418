//! CAPTCHA and Challenge end to end through a real edge: a browser-like viewer gets the
//! interstitial, solves it as the page would (the proof of work, the page's own script run in
//! QuickJS, the CAPTCHA read with the secret the test wrote), posts it, gets `aws-waf-token`,
//! and reaches the origin with AWS's token labels in the WAF log. Tampered, expired and
//! foreign tokens are stopped with the right label; bad posts get a 400.

mod support;

use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use support::config::{distribution_head, origin_table};
use support::{Reply, TestEdge, TestOrigin, h1, request};
use verge_waf::challenge::{Puzzle, solve};
use verge_waf::token::{KeyRing, Token};

const SECRET: &str = "the secret every POP of this test shares";
const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

const ACL: &str = r#"{
  "Name": "interstitials",
  "DefaultAction": { "Allow": {} },
  "TokenDomains": ["site.test"],
  "Rules": [
    {
      "Name": "challenge-app",
      "Priority": 1,
      "Statement": { "ByteMatchStatement": { "SearchString": "/app", "FieldToMatch": { "UriPath": {} },
        "TextTransformations": [ { "Priority": 0, "Type": "NONE" } ], "PositionalConstraint": "STARTS_WITH" } },
      "Action": { "Challenge": { "CustomRequestHandling": { "InsertHeaders": [ { "Name": "challenged", "Value": "passed" } ] } } },
      "VisibilityConfig": { "SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "challenge-app" }
    },
    {
      "Name": "captcha-signup",
      "Priority": 2,
      "Statement": { "ByteMatchStatement": { "SearchString": "/signup", "FieldToMatch": { "UriPath": {} },
        "TextTransformations": [ { "Priority": 0, "Type": "NONE" } ], "PositionalConstraint": "EXACTLY" } },
      "Action": { "Captcha": { "CustomRequestHandling": { "InsertHeaders": [ { "Name": "human", "Value": "yes" } ] } } },
      "VisibilityConfig": { "SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "captcha-signup" }
    }
  ],
  "VisibilityConfig": { "SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "interstitials" }
}"#;

struct Site {
    edge: TestEdge,
    origin: TestOrigin,
    log: std::path::PathBuf,
    config: String,
}

/// An edge for `site.test` and `www.site.test` whose web ACL challenges `/app*` and asks for a
/// CAPTCHA on `/signup`; the default behavior allows only GET and HEAD.
async fn site() -> Site {
    let origin = TestOrigin::hello().await;
    let dir = tempfile::tempdir().expect("temp dir").keep();
    std::fs::write(dir.join("acl.json"), ACL).expect("write");
    std::fs::write(dir.join("token.secret"), format!("{SECRET}\n")).expect("write");
    let log = dir.join("waf.log");
    let d = dir.display();
    let config = format!(
        "[waf]\nlog = \"{}\"\ntoken_secret_file = \"{d}/token.secret\"\n{}web_acl = \"{d}/acl.json\"\n{}",
        log.display(),
        distribution_head("site", r#""site.test", "www.site.test""#, "o1", ""),
        origin_table("o1", origin.addr, ""),
    );
    let edge = TestEdge::start(&config).await;
    Site {
        edge,
        origin,
        log,
        config,
    }
}

fn keys() -> KeyRing {
    KeyRing::new(SECRET.as_bytes()).expect("long enough")
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

async fn get(edge: &TestEdge, host: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
    let mut builder = request("GET", host, path);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    h1(edge.http(), builder.body(Full::default()).expect("request")).await
}

async fn post(edge: &TestEdge, host: &str, path: &str, fields: &[(&str, &str)]) -> Reply {
    let body: Vec<String> = fields
        .iter()
        .map(|(name, value)| format!("{name}={}", encode(value)))
        .collect();
    post_raw(edge, host, path, body.join("&")).await
}

async fn post_raw(edge: &TestEdge, host: &str, path: &str, body: String) -> Reply {
    let request = request("POST", host, path)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", BROWSER)
        .body(Full::new(Bytes::from(body)))
        .expect("request");
    h1(edge.http(), request).await
}

/// Form encoding, as a browser does it.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                char::from(b).to_string()
            }
            b' ' => "+".to_owned(),
            b => format!("%{b:02X}"),
        })
        .collect()
}

/// The value of `attribute="..."` in the tag holding `anchor`.
fn attribute(html: &str, anchor: &str, attribute: &str) -> String {
    let at = html
        .find(anchor)
        .unwrap_or_else(|| panic!("{anchor} in {html}"));
    let tag_start = html[..at].rfind('<').expect("tag start");
    let rest = &html[tag_start..];
    let start = rest.find(&format!("{attribute}=\"")).expect("attribute") + attribute.len() + 2;
    let len = rest[start..].find('"').expect("closing quote");
    rest[start..start + len].replace("&amp;", "&")
}

/// The `aws-waf-token=...` pair of a response's `Set-Cookie`.
fn token_pair(reply: &Reply) -> String {
    let cookie = reply.header("set-cookie").expect("a token cookie");
    cookie.split(';').next().expect("pair").to_owned()
}

/// The WAF log's records once there are `count`.
async fn records(log: &std::path::Path, count: usize) -> Vec<serde_json::Value> {
    let mut text = String::new();
    for _ in 0..200 {
        text = std::fs::read_to_string(log).unwrap_or_default();
        if text.lines().count() >= count {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    text.lines()
        .map(|l| serde_json::from_str(l).expect("JSON record"))
        .collect()
}

fn labels(record: &serde_json::Value) -> Vec<String> {
    record["labels"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l["name"].as_str().map(str::to_owned))
        .collect()
}

/// Solves the challenge page of `reply` as its script does and posts the solution.
async fn pass_challenge(edge: &TestEdge, host: &str, reply: &Reply) -> Reply {
    let html = reply.text();
    let sealed = attribute(&html, "name=\"challenge\"", "value");
    let seed = attribute(&html, "id=\"verge-challenge\"", "data-seed");
    let bits: u8 = attribute(&html, "id=\"verge-challenge\"", "data-bits")
        .parse()
        .expect("bits");
    let back = attribute(&html, "name=\"return\"", "value");
    let nonce = solve(&seed, bits).to_string();
    post(
        edge,
        host,
        "/.verge/waf/challenge",
        &[
            ("challenge", &sealed),
            ("solution", &nonce),
            ("return", &back),
        ],
    )
    .await
}

#[tokio::test]
async fn a_browser_passes_the_challenge_and_reaches_the_origin() {
    let site = site().await;
    let edge = &site.edge;

    let page = get(edge, "site.test", "/app/home?tab=2", &[("accept", BROWSER)]).await;
    assert_eq!(page.status, 202);
    assert_eq!(page.header("x-amzn-waf-action"), Some("challenge"));
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(
        page.header("content-security-policy")
            .is_some_and(|csp| csp.contains("script-src 'sha256-"))
    );
    let html = page.text();
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "self-contained"
    );
    assert_eq!(site.origin.count(), 0);

    let solved = pass_challenge(edge, "site.test", &page).await;
    assert_eq!(solved.status, 303, "{}", solved.text());
    assert_eq!(solved.header("location"), Some("/app/home?tab=2"));
    let cookie = solved.header("set-cookie").expect("cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        cookie.contains("Domain=site.test"),
        "a token domain: {cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");

    let pair = token_pair(&solved);
    let reply = get(edge, "site.test", "/app/home?tab=2", &[("cookie", &pair)]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        site.origin.last().header("x-amzn-waf-challenged"),
        Some("passed"),
        "a passed Challenge applies its request handling"
    );
    // The token domain covers the other host of the distribution.
    let reply = get(edge, "www.site.test", "/app/other", &[("cookie", &pair)]).await;
    assert_eq!(reply.status, 200);

    let logged = records(&site.log, 3).await;
    let last = &logged[2];
    assert_eq!(last["action"], "ALLOW");
    assert_eq!(
        last["nonTerminatingMatchingRules"][0]["ruleId"],
        "challenge-app"
    );
    assert_eq!(
        last["nonTerminatingMatchingRules"][0]["action"],
        "CHALLENGE"
    );
    assert!(
        labels(last).contains(&"awswaf:managed:token:accepted".to_owned()),
        "{last}"
    );
    assert_eq!(logged[0]["action"], "CHALLENGE");
    assert_eq!(
        logged[0]["challengeResponse"]["failureReason"],
        "TOKEN_MISSING"
    );
    assert!(labels(&logged[0]).contains(&"awswaf:managed:token:absent".to_owned()));

    // A viewer that does not take HTML gets the status and the header, no page.
    let reply = get(
        edge,
        "site.test",
        "/app/api",
        &[("accept", "application/json")],
    )
    .await;
    assert_eq!(reply.status, 202);
    assert_eq!(reply.header("x-amzn-waf-action"), Some("challenge"));
    assert!(reply.body.is_empty());
}

#[tokio::test]
async fn another_pop_with_the_same_secret_accepts_the_token() {
    let site = site().await;
    let page = get(&site.edge, "site.test", "/app", &[("accept", BROWSER)]).await;
    let pair = token_pair(&pass_challenge(&site.edge, "site.test", &page).await);

    let other = TestEdge::start_as("test2", &site.config).await;
    let reply = get(&other, "site.test", "/app", &[("cookie", &pair)]).await;
    assert_eq!(reply.status, 200);
}

#[tokio::test]
async fn the_pages_own_script_solves_the_challenge() {
    let site = site().await;
    let page = get(&site.edge, "site.test", "/app", &[("accept", BROWSER)]).await;
    let html = page.text();
    let start = html.find("<script>").expect("script") + "<script>".len();
    let end = html.find("</script>").expect("script end");
    let script = &html[start..end];
    let seed = attribute(&html, "id=\"verge-challenge\"", "data-seed");
    let bits: u8 = attribute(&html, "id=\"verge-challenge\"", "data-bits")
        .parse()
        .expect("bits");
    let smallest = solve(&seed, bits);

    // The script runs as the browser would load it; without `document` it only defines its
    // functions, and the test calls the search the page calls. QuickJS interprets where a
    // browser compiles, so at the page's difficulty the script searches a window that holds
    // the first solution; at a low difficulty it searches from zero, as the page does.
    let runtime = rquickjs::Runtime::new().expect("runtime");
    let context = rquickjs::Context::full(&runtime).expect("context");
    let from = smallest.saturating_sub(1500);
    let (found, easy): (f64, f64) = context.with(|ctx| {
        ctx.eval::<(), _>(script).expect("the page's script loads");
        let found = ctx
            .eval(format!("vergeSearch({seed:?}, {bits}, {from}, 3000)"))
            .expect("the search runs");
        let easy = ctx
            .eval(format!("vergeSearch({seed:?}, 6, 0, 1e6)"))
            .expect("the search runs");
        (found, easy)
    });
    assert_eq!(
        found as u64, smallest,
        "the script and Verge agree on SHA-256 and the rule"
    );
    assert_eq!(easy as u64, solve(&seed, 6));
    let nonce = format!("{found:.0}");

    let sealed = attribute(&html, "name=\"challenge\"", "value");
    let solved = post(
        &site.edge,
        "site.test",
        "/.verge/waf/challenge",
        &[
            ("challenge", &sealed),
            ("solution", &nonce),
            ("return", "/app"),
        ],
    )
    .await;
    assert_eq!(solved.status, 303, "{}", solved.text());
}

#[tokio::test]
async fn a_person_solves_the_captcha_after_a_wrong_answer() {
    let site = site().await;
    let edge = &site.edge;

    let page = get(edge, "site.test", "/signup", &[("accept", BROWSER)]).await;
    assert_eq!(page.status, 405);
    assert_eq!(page.header("x-amzn-waf-action"), Some("captcha"));
    assert_eq!(page.header("cache-control"), Some("no-store"));
    let html = page.text();
    assert!(html.contains("src=\"data:image/svg+xml;base64,"));
    assert!(!html.contains("<script"), "the CAPTCHA needs no script");
    let sealed = attribute(&html, "name=\"challenge\"", "value");

    let wrong = post(
        edge,
        "site.test",
        "/.verge/waf/captcha",
        &[
            ("challenge", &sealed),
            ("answer", "nope"),
            ("return", "/signup"),
        ],
    )
    .await;
    assert_eq!(wrong.status, 405, "a wrong answer gets the puzzle again");
    assert!(wrong.header("set-cookie").is_none());
    let html = wrong.text();
    assert!(html.contains("not right"));
    let again = attribute(&html, "name=\"challenge\"", "value");
    assert_ne!(again, sealed, "a new puzzle");

    // The test wrote the secret, so it reads the answer a person reads in the picture.
    let answer = Puzzle::open(&keys(), &again, now()).expect("opens").answer;
    let solved = post(
        edge,
        "site.test",
        "/.verge/waf/captcha",
        &[
            ("challenge", &again),
            ("answer", &answer.to_lowercase()),
            ("return", "/signup"),
        ],
    )
    .await;
    assert_eq!(solved.status, 303, "{}", solved.text());
    assert_eq!(solved.header("location"), Some("/signup"));
    let pair = token_pair(&solved);

    let reply = get(edge, "site.test", "/signup", &[("cookie", &pair)]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(site.origin.last().header("x-amzn-waf-human"), Some("yes"));
    let reply = get(edge, "site.test", "/app", &[("cookie", &pair)]).await;
    assert_eq!(
        reply.status, 200,
        "a first CAPTCHA counts as a solved challenge"
    );

    // Non-HTML viewers get the bare 405.
    let reply = get(edge, "site.test", "/signup", &[]).await;
    assert_eq!(reply.status, 405);
    assert!(reply.body.is_empty());
}

#[tokio::test]
async fn tampered_expired_and_foreign_tokens_are_stopped_with_their_label() {
    let site = site().await;
    let edge = &site.edge;
    let now = now();
    let seal = |domain: &str, solved: u64| {
        let token = Token {
            domain: domain.to_owned(),
            issued_at: solved,
            challenge_at: Some(solved),
            captcha_at: None,
        };
        format!(
            "aws-waf-token={}",
            token.seal(&keys(), now).expect("sealed")
        )
    };
    let fresh = seal("site.test", now);
    let mut tampered = fresh.clone().into_bytes();
    let last = tampered.len() - 2;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).expect("ascii");
    let cases = [
        (
            tampered,
            "awswaf:managed:token:rejected:invalid",
            "TOKEN_INVALID",
        ),
        (
            seal("site.test", now - 3600),
            "awswaf:managed:token:rejected:expired",
            "TOKEN_EXPIRED",
        ),
        (
            seal("elsewhere.test", now),
            "awswaf:managed:token:rejected:domain_mismatch",
            "TOKEN_DOMAIN_MISMATCH",
        ),
    ];
    for (cookie, _, _) in &cases {
        let reply = get(
            edge,
            "site.test",
            "/app",
            &[("cookie", cookie), ("accept", BROWSER)],
        )
        .await;
        assert_eq!(reply.status, 202, "{cookie}");
    }
    let reply = get(edge, "site.test", "/app", &[("cookie", &fresh)]).await;
    assert_eq!(reply.status, 200, "the untouched token passes");

    let logged = records(&site.log, cases.len() + 1).await;
    for ((_, label, reason), record) in cases.iter().zip(&logged) {
        assert!(
            labels(record).contains(&(*label).to_owned()),
            "{label}: {record}"
        );
        assert!(labels(record).contains(&"awswaf:managed:token:rejected".to_owned()));
        assert_eq!(record["challengeResponse"]["failureReason"], *reason);
        assert_eq!(record["challengeResponse"]["responseCode"], 202);
    }
}

#[tokio::test]
async fn bad_verification_posts_are_refused() {
    let site = site().await;
    let edge = &site.edge;

    let reply = post(
        edge,
        "site.test",
        "/.verge/waf/challenge",
        &[("challenge", "forged"), ("solution", "1")],
    )
    .await;
    assert_eq!(reply.status, 400);

    let reply = post_raw(
        edge,
        "site.test",
        "/.verge/waf/challenge",
        "challenge=%zz".to_owned(),
    )
    .await;
    assert_eq!(reply.status, 400);

    let huge = format!("challenge={}", "A".repeat(20_000));
    let reply = post_raw(edge, "site.test", "/.verge/waf/challenge", huge).await;
    assert_eq!(reply.status, 400);

    // A real challenge with a wrong proof, or posted for another host.
    let page = get(edge, "site.test", "/app", &[("accept", BROWSER)]).await;
    let sealed = attribute(&page.text(), "name=\"challenge\"", "value");
    let reply = post(
        edge,
        "site.test",
        "/.verge/waf/challenge",
        &[("challenge", &sealed), ("solution", "not-a-number")],
    )
    .await;
    assert_eq!(reply.status, 400);
    let reply = pass_challenge(edge, "www.site.test", &page).await;
    assert_eq!(
        reply.status, 400,
        "a puzzle is good for the host it was issued for"
    );

    // An open redirect is not on offer.
    let html = page.text();
    let seed = attribute(&html, "id=\"verge-challenge\"", "data-seed");
    let bits: u8 = attribute(&html, "id=\"verge-challenge\"", "data-bits")
        .parse()
        .expect("bits");
    let nonce = solve(&seed, bits).to_string();
    let reply = post(
        edge,
        "site.test",
        "/.verge/waf/challenge",
        &[
            ("challenge", &sealed),
            ("solution", &nonce),
            ("return", "//evil.test/"),
        ],
    )
    .await;
    assert_eq!(reply.status, 303);
    assert_eq!(reply.header("location"), Some("/"));

    let reply = get(edge, "site.test", "/.verge/waf/challenge", &[]).await;
    assert_eq!(reply.status, 405);
    assert_eq!(reply.header("allow"), Some("POST"));
    assert_eq!(
        site.origin.count(),
        0,
        "the reserved prefix never reaches the origin"
    );
}
