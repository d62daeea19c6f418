//! Loads the storefront web ACL exactly as `aws wafv2 get-*` prints it and checks what a user
//! would: which requests are blocked, counted, challenged, which labels and headers appear.

use std::net::IpAddr;

use verge_waf::model::{parse_ip_set, parse_regex_pattern_set, parse_rule_group};
use verge_waf::{Action, Env, Request, Resources, WebAclEngine};

fn data(name: &str) -> String {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn engine() -> WebAclEngine {
    let mut resources = Resources::new();
    resources
        .add_ip_set(&parse_ip_set(&data("office-ips.json")).unwrap())
        .unwrap();
    resources
        .add_ip_set(&parse_ip_set(&data("bad-ips.json")).unwrap())
        .unwrap();
    resources
        .add_regex_pattern_set(&parse_regex_pattern_set(&data("scanners.json")).unwrap())
        .unwrap();
    resources.add_rule_group(parse_rule_group(&data("app-protections.json")).unwrap());
    WebAclEngine::from_json(&data("shop-acl.json"), &resources).unwrap()
}

fn get(path: &str) -> Request {
    let ip: IpAddr = "198.51.100.9".parse().unwrap();
    Request::new("GET", path, ip)
        .with_header("Host", "shop.example.com")
        .with_header("User-Agent", "Mozilla/5.0")
        .with_geo("DE", Some("BE"))
}

const ACL_NS: &str = "awswaf:111122223333:webacl:shop-acl:";
const GROUP_NS: &str = "awswaf:111122223333:rulegroup:app-protections:";

#[test]
fn loads_with_the_configured_body_limit() {
    let acl = engine();
    assert_eq!(acl.name(), "shop-acl");
    assert_eq!(acl.body_inspection_limit(), 32 * 1024);
    assert_eq!(acl.label_namespace(), ACL_NS);
}

#[test]
fn benign_request_is_allowed_by_default_with_geo_labels() {
    let d = engine().evaluate(&get("/products").with_query("id=5"), Env::default());
    assert_eq!(d.action, Action::Allow);
    assert_eq!(d.terminating_rule, None);
    assert!(d.non_terminating.is_empty());
    assert_eq!(
        d.labels,
        [
            "awswaf:clientip:geo:country:DE",
            "awswaf:clientip:geo:region:DE-BE"
        ]
    );
    assert_eq!(d.rule_groups.len(), 1);
    assert_eq!(d.rule_groups[0].group, "app-protections");
    assert_eq!(d.rule_groups[0].terminating_rule, None);
    assert!(d.insert_headers.is_empty());
}

#[test]
fn office_address_is_allowed_with_inserted_header() {
    let mut req = get("/admin");
    req.client_ip = "203.0.113.7".parse().unwrap();
    let d = engine().evaluate(&req, Env::default());
    assert_eq!(d.action, Action::Allow);
    assert_eq!(d.terminating_rule.as_deref(), Some("allow-office"));
    assert_eq!(
        d.insert_headers,
        [("x-amzn-waf-office".to_owned(), "yes".to_owned())]
    );
}

#[test]
fn forwarded_bad_address_gets_the_custom_block_page() {
    let req = get("/").with_header("X-Forwarded-For", "10.0.0.1, 192.0.2.44");
    let d = engine().evaluate(&req, Env::default());
    assert_eq!(d.action, Action::Block);
    assert_eq!(d.terminating_rule.as_deref(), Some("block-bad-ips"));
    let response = d.block_response.unwrap();
    assert_eq!(response.status, 403);
    assert_eq!(
        response.headers,
        [("x-blocked-by".to_owned(), "verge".to_owned())]
    );
    let body = response.body.unwrap();
    assert_eq!(body.content_type, "text/html");
    assert_eq!(body.content, "<h1>Request blocked</h1>");
    assert!(d.labels.is_empty(), "rules after the block never ran");
}

#[test]
fn sanctioned_country_is_counted_and_labelled() {
    let req = get("/").with_geo("KP", None);
    let d = engine().evaluate(&req, Env::default());
    assert!(d.is_allowed());
    assert_eq!(d.non_terminating.len(), 1);
    assert_eq!(d.non_terminating[0].rule, "geo-count");
    assert_eq!(d.non_terminating[0].action, Action::Count);
    assert!(d.has_label("awswaf:clientip:geo:country:KP"));
    assert!(d.has_label(&format!("{ACL_NS}geo:sanctioned")));
}

#[test]
fn scanner_is_counted_everywhere_and_blocked_on_admin_through_its_label() {
    let mut home = get("/home");
    home.headers[1].1 = b"SQLMap/1.7.2#stable".to_vec();
    let d = engine().evaluate(&home, Env::default());
    assert!(d.is_allowed());
    assert_eq!(d.non_terminating[0].rule, "scanner-ua");
    assert!(d.has_label(&format!("{ACL_NS}bot:scanner")));
    assert_eq!(
        d.insert_headers,
        [("x-amzn-waf-scanner".to_owned(), "1".to_owned())]
    );

    let mut admin = home.clone();
    admin.uri_path = "/%41dmin/users".to_owned();
    let d = engine().evaluate(&admin, Env::default());
    assert_eq!(d.action, Action::Block);
    assert_eq!(
        d.terminating_rule.as_deref(),
        Some("block-scanners-on-admin")
    );
    assert_eq!(d.non_terminating[0].rule, "scanner-ua");
    assert!(
        d.insert_headers.is_empty(),
        "blocked requests insert nothing"
    );
    assert_eq!(d.block_response.unwrap().status, 403);
}

#[test]
fn sql_injection_is_blocked_inside_the_rule_group() {
    let req = get("/search").with_query("q=1%27%20OR%20%271%27%3D%271&page=2");
    let d = engine().evaluate(&req, Env::default());
    assert_eq!(d.action, Action::Block);
    assert_eq!(d.terminating_rule.as_deref(), Some("app-rules"));
    let group = &d.rule_groups[0];
    assert_eq!(group.acl_rule, "app-rules");
    assert_eq!(group.terminating_rule.as_ref().unwrap().rule, "sqli-query");
    assert!(d.has_label(&format!("{GROUP_NS}sqli:query")));
}

#[test]
fn overridden_xss_rule_only_counts() {
    let mut req =
        get("/api/reviews").with_body(br#"{"review": "<script>alert(document.cookie)</script>"}"#);
    req.method = "POST".to_owned();
    let d = engine().evaluate(&req, Env::default());
    assert!(d.is_allowed(), "{d:?}");
    let group = &d.rule_groups[0];
    assert_eq!(group.terminating_rule, None);
    assert_eq!(group.non_terminating.len(), 1);
    assert_eq!(group.non_terminating[0].rule, "xss-body");
    assert!(d.has_label(&format!("{GROUP_NS}xss:body")));
}

#[test]
fn oversized_body_is_blocked_by_its_real_size() {
    let mut req = get("/upload");
    req.method = "POST".to_owned();
    req.body = vec![b'a'; 32 * 1024];
    req.body_len = 40_000;
    let d = engine().evaluate(&req, Env::default());
    assert_eq!(d.action, Action::Block);
    assert_eq!(
        d.rule_groups[0].terminating_rule.as_ref().unwrap().rule,
        "big-body"
    );
}

#[test]
fn encoded_path_traversal_is_blocked() {
    let d = engine().evaluate(&get("/static/..%2f..%2fetc/passwd"), Env::default());
    assert_eq!(d.action, Action::Block, "{d:?}");
    assert_eq!(
        d.rule_groups[0].terminating_rule.as_ref().unwrap().rule,
        "path-traversal"
    );
}

#[test]
fn windows_style_dotenv_probe_is_normalised_then_blocked() {
    let d = engine().evaluate(&get("/static%5cx%5c..%5c.ENV"), Env::default());
    assert_eq!(d.action, Action::Block, "{d:?}");
    assert_eq!(
        d.rule_groups[0].terminating_rule.as_ref().unwrap().rule,
        "dotenv-probe"
    );
    assert!(d.has_label(&format!("{GROUP_NS}probe:dotenv")));
    assert!(
        engine()
            .evaluate(&get("/docs/dotenv.html"), Env::default())
            .is_allowed()
    );
}

#[test]
fn login_posts_are_challenged_and_signup_needs_a_captcha() {
    let mut login = get("/login");
    login.method = "POST".to_owned();
    let d = engine().evaluate(&login, Env::default());
    assert_eq!(d.action, Action::Challenge);
    assert_eq!(d.terminating_rule.as_deref(), Some("challenge-login"));
    assert_eq!(d.immunity_seconds, Some(300));
    assert!(
        engine()
            .evaluate(&get("/login"), Env::default())
            .is_allowed()
    );

    let d = engine().evaluate(&get("/signup/step1"), Env::default());
    assert_eq!(d.action, Action::Captcha);
    assert_eq!(d.immunity_seconds, Some(600));
}

#[test]
fn arbitrary_requests_never_panic() {
    const PIECES: &[&str] = &[
        "%",
        "%2",
        "%zz",
        "%u",
        "%uff0e",
        "&#x",
        "&#",
        "\\",
        "\\u00",
        "/*",
        "*/",
        "..",
        "/",
        "'",
        "\"",
        "<script>",
        "{",
        "}",
        "[",
        "]",
        ":",
        ",",
        "=",
        "&",
        "+",
        "\u{e9}",
        "\u{1f600}",
        "0x",
        "select",
    ];
    let acl = engine();
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut pick = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    for _ in 0..500 {
        let mut text = String::new();
        for _ in 0..pick(12) {
            text.push_str(PIECES[pick(PIECES.len())]);
        }
        let mut req = get(&format!("/{text}"))
            .with_query(&text)
            .with_header("Cookie", &text)
            .with_header("X-Forwarded-For", &text)
            .with_body(text.as_bytes());
        req.method = "POST".to_owned();
        req.body_len = (pick(3) * 40_000) as u64 + text.len() as u64;
        let d = acl.evaluate(&req, Env::default());
        assert!(d.terminating_rule.is_some() || d.action == Action::Allow);
    }
}
