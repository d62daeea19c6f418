//! The example functions in `examples/functions/`, run on their own event and store files as
//! `verge function test` runs them, then on variations of those events: each test checks what
//! the example's comments promise a user (the rewritten URI, the redirect, the headers, the
//! bucket, the 401, the origin).

mod support;

use std::sync::Arc;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use support::{env, store};
use verge_functions::event::{Body, Field, Fields, Request, Response};
use verge_functions::{
    Event, EventType, Function, Invocation, KeyValueStore, Limits, OriginChange, OriginUpdate,
    Output,
};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/functions/");

/// Every example, with the name its store goes by in the README's command.
const EXAMPLES: [(&str, Option<&str>); 7] = [
    ("spa-rewrite", None),
    ("country-redirect", None),
    ("security-headers", None),
    ("true-client-ip", None),
    ("ab-test", Some("experiments")),
    ("jwt-verify", Some("secrets")),
    ("region-steering", Some("tenants")),
];

/// `support::env()`'s frozen clock, 2024-05-20T00:00:00Z, in seconds.
const NOW: i64 = 1_716_163_200;

// === Loading ===

fn read(file: &str) -> String {
    std::fs::read_to_string(format!("{DIR}{file}")).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// An example compiled with its own store file, and its own event.
struct Example {
    function: Function,
    event: Event,
    store: Option<Arc<KeyValueStore>>,
}

fn example(name: &str) -> Example {
    let store_name = EXAMPLES
        .iter()
        .find(|(example, _)| *example == name)
        .unwrap_or_else(|| panic!("{name} is not in EXAMPLES"))
        .1;
    let kvs = store_name.map(|store_name| store(store_name, &read(&format!("{name}.kvs.json"))));
    with_store(name, kvs)
}

fn with_store(name: &str, kvs: Option<Arc<KeyValueStore>>) -> Example {
    let file = format!("{name}.js");
    let stores = kvs.iter().cloned().collect();
    let function = Function::compile(&file, &read(&file), Limits::default(), stores)
        .unwrap_or_else(|e| panic!("{file}: {e}"));
    let event = serde_json::from_str(&read(&format!("{name}.event.json")))
        .unwrap_or_else(|e| panic!("{name}.event.json: {e}"));
    Example {
        function,
        event,
        store: kvs,
    }
}

impl Example {
    fn invoke(&self, event: &Event) -> Invocation {
        let event_type = event.context.event_type.unwrap_or(EventType::ViewerRequest);
        self.function.invoke(event, event_type, &env())
    }

    /// The request the function passes on.
    fn request(&self, event: &Event) -> Request {
        match self.invoke(event).result {
            Ok(Output::Request(request)) => request,
            other => panic!(
                "{}: expected a request, got {other:?}",
                self.function.name()
            ),
        }
    }

    /// The response the function answers with.
    fn response(&self, event: &Event) -> Response {
        match self.invoke(event).result {
            Ok(Output::Response(response)) => response,
            other => panic!(
                "{}: expected a response, got {other:?}",
                self.function.name()
            ),
        }
    }

    /// The example's event, changed by `edit`.
    fn event_with(&self, edit: impl FnOnce(&mut Event)) -> Event {
        let mut event = self.event.clone();
        edit(&mut event);
        event
    }
}

fn value<'a>(fields: &'a Fields, name: &str) -> Option<&'a str> {
    fields.get(name).map(|field| field.value.as_str())
}

fn set(fields: &mut Fields, name: &str, value: &str) {
    fields.insert(name.to_owned(), Field::single(value));
}

// === All examples ===

#[test]
fn every_example_is_listed_and_its_own_event_succeeds_within_budget() {
    let readme = read("README.md");
    let mut files: Vec<String> = std::fs::read_dir(DIR)
        .expect("examples/functions exists")
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter_map(|file| file.strip_suffix(".js").map(str::to_owned))
        .collect();
    files.sort();
    let mut listed: Vec<String> = EXAMPLES.iter().map(|(name, _)| name.to_string()).collect();
    listed.sort();
    assert_eq!(files, listed, "every example file is tested here");

    for (name, store_name) in EXAMPLES {
        assert!(
            readme.contains(&format!("examples/functions/{name}.js")),
            "the README shows how to run {name}"
        );
        if let Some(store_name) = store_name {
            assert!(
                readme.contains(&format!("{store_name}=examples/functions/{name}.kvs.json")),
                "the README names {name}'s store {store_name}"
            );
        }

        let example = example(name);
        let invocation = example.invoke(&example.event);
        assert!(invocation.result.is_ok(), "{name}: {:?}", invocation.result);
        assert!(
            invocation.compute_utilization < 100,
            "{name} used {}% of its compute budget",
            invocation.compute_utilization
        );
    }
}

// === spa-rewrite ===

#[test]
fn spa_routes_get_the_app_shell_and_files_pass() {
    let spa = example("spa-rewrite");
    let request = spa.request(&spa.event);
    assert_eq!(request.uri, "/index.html");
    assert_eq!(value(&request.querystring, "tab"), Some("security"));

    let cases = [
        ("/", "/index.html"),
        ("/settings/", "/index.html"),
        ("/docs/v1.2/intro", "/index.html"),
        ("/assets/app.3f9c1e.js", "/assets/app.3f9c1e.js"),
        ("/robots.txt", "/robots.txt"),
        ("/index.html", "/index.html"),
    ];
    for (uri, expected) in cases {
        let event = spa.event_with(|e| e.request.uri = uri.to_owned());
        assert_eq!(spa.request(&event).uri, expected, "{uri}");
    }
}

// === country-redirect ===

#[test]
fn german_speaking_viewers_on_the_home_page_are_redirected_with_their_query() {
    let redirect = example("country-redirect");
    let response = redirect.response(&redirect.event);
    assert_eq!(response.status_code, 302);
    assert_eq!(
        value(&response.headers, "location"),
        Some("/de/?utm_source=newsletter&utm_campaign=spring%20sale")
    );
    assert_eq!(
        value(&response.headers, "cache-control"),
        Some("private, no-store")
    );

    for country in ["AT", "CH"] {
        let event = redirect.event_with(|e| {
            set(&mut e.request.headers, "cloudfront-viewer-country", country);
            e.request.querystring = Request::parse_query("tag=a&tag=b&flag");
        });
        let response = redirect.response(&event);
        assert_eq!(
            value(&response.headers, "location"),
            Some("/de/?tag=a&tag=b&flag"),
            "{country}: repeated names keep every value"
        );
    }

    let no_query = redirect.event_with(|e| e.request.querystring = Fields::new());
    let response = redirect.response(&no_query);
    assert_eq!(value(&response.headers, "location"), Some("/de/"));
}

#[test]
fn other_viewers_other_paths_and_chosen_locales_pass() {
    let redirect = example("country-redirect");
    let elsewhere =
        redirect.event_with(|e| set(&mut e.request.headers, "cloudfront-viewer-country", "US"));
    let deep_link = redirect.event_with(|e| e.request.uri = "/pricing".to_owned());
    let chosen = redirect.event_with(|e| set(&mut e.request.cookies, "locale", "en"));
    let unknown = redirect.event_with(|e| {
        e.request.headers.remove("cloudfront-viewer-country");
    });
    for event in [elsewhere, deep_link, chosen, unknown] {
        let request = redirect.request(&event);
        assert_eq!(request.uri, event.request.uri);
        assert_eq!(request.querystring, event.request.querystring);
        assert_eq!(request.headers, event.request.headers);
    }
}

// === security-headers ===

#[test]
fn security_headers_are_added_and_software_banners_removed() {
    let headers = example("security-headers");
    let response = headers.response(&headers.event);
    assert_eq!(response.status_code, 200);
    let expected = [
        (
            "strict-transport-security",
            "max-age=63072000; includeSubDomains",
        ),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "strict-origin-when-cross-origin"),
    ];
    for (name, expected) in expected {
        assert_eq!(value(&response.headers, name), Some(expected), "{name}");
    }
    let csp = value(&response.headers, "content-security-policy").expect("a CSP");
    assert!(csp.starts_with("default-src 'self'; "), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(value(&response.headers, "server"), None);
    assert_eq!(value(&response.headers, "x-powered-by"), None);
    assert_eq!(
        value(&response.headers, "content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(value(&response.headers, "content-length"), Some("5120"));
}

#[test]
fn an_origins_own_policy_wins() {
    let headers = example("security-headers");
    let event = headers.event_with(|e| {
        let response = e.response.as_mut().expect("a viewer-response event");
        set(
            &mut response.headers,
            "content-security-policy",
            "default-src 'self' https://pay.example.net",
        );
    });
    let response = headers.response(&event);
    assert_eq!(
        value(&response.headers, "content-security-policy"),
        Some("default-src 'self' https://pay.example.net")
    );
    assert_eq!(value(&response.headers, "x-frame-options"), Some("DENY"));
}

// === true-client-ip ===

#[test]
fn true_client_ip_is_the_connections_address_whatever_the_viewer_sent() {
    let client_ip = example("true-client-ip");
    let request = client_ip.request(&client_ip.event);
    assert_eq!(
        value(&request.headers, "true-client-ip"),
        Some("2001:db8:4006:812::200e")
    );
    assert_eq!(
        value(&request.headers, "x-forwarded-for"),
        Some("10.0.0.1"),
        "other headers pass as they are"
    );

    let v4 = client_ip.event_with(|e| {
        e.viewer.ip = "198.51.100.23".to_owned();
        e.request.headers.remove("true-client-ip");
    });
    let request = client_ip.request(&v4);
    assert_eq!(
        value(&request.headers, "true-client-ip"),
        Some("198.51.100.23")
    );
}

// === ab-test ===

fn viewer(ab: &Example, ip: &str) -> Event {
    ab.event_with(|e| e.viewer.ip = ip.to_owned())
}

#[test]
fn a_new_viewer_gets_a_bucket_cookie_and_bucket_b_its_own_uri() {
    let ab = example("ab-test");
    let request = ab.request(&ab.event);
    assert_eq!(request.uri, "/v2/pricing");
    assert_eq!(value(&request.cookies, "ab"), Some("b"));
    assert_eq!(value(&request.cookies, "session"), Some("c2Vzc2lvbi03NzE"));
    assert_eq!(
        ab.request(&ab.event),
        request,
        "the same viewer lands in the same bucket before its cookie comes back"
    );

    let bucket_a = viewer(&ab, "198.51.100.1");
    let request = ab.request(&bucket_a);
    assert_eq!(request.uri, "/pricing");
    assert_eq!(value(&request.cookies, "ab"), Some("a"));
}

#[test]
fn the_cookie_keeps_a_viewer_in_its_bucket() {
    let ab = example("ab-test");
    let cases = [
        ("198.51.100.22", "a", "/pricing"),
        ("198.51.100.1", "b", "/v2/pricing"),
        ("198.51.100.1", "z", "/pricing"),
    ];
    for (ip, cookie, uri) in cases {
        let event = ab.event_with(|e| {
            e.viewer.ip = ip.to_owned();
            set(&mut e.request.cookies, "ab", cookie);
        });
        let request = ab.request(&event);
        assert_eq!(request.uri, uri, "{ip} with ab={cookie}");
        let kept = if cookie == "z" { "a" } else { cookie };
        assert_eq!(
            value(&request.cookies, "ab"),
            Some(kept),
            "an unknown bucket is reassigned"
        );
    }
}

#[test]
fn both_buckets_are_reached_in_about_the_configured_split() {
    let ab = example("ab-test");
    let mut in_b = 0;
    for last in 1..=200 {
        let request = ab.request(&viewer(&ab, &format!("198.51.100.{last}")));
        match value(&request.cookies, "ab") {
            Some("b") => {
                assert!(request.uri.starts_with("/v2/"), "{}", request.uri);
                in_b += 1;
            }
            Some("a") => assert_eq!(request.uri, "/pricing"),
            other => panic!("no bucket: {other:?}"),
        }
    }
    assert!(
        (40..=80).contains(&in_b),
        "{in_b} of 200 viewers in B, configured 30%"
    );
}

#[test]
fn the_split_follows_the_store_and_an_ended_experiment_passes_everyone() {
    let ab = example("ab-test");
    let kvs = ab.store.clone().expect("ab-test has a store");
    let everyone = r#"{"b_percent": 100, "b_path": "/v2"}"#;
    kvs.update(&[("ab_homepage".to_owned(), everyone.to_owned())], &[])
        .expect("update");
    let request = ab.request(&viewer(&ab, "198.51.100.1"));
    assert_eq!(request.uri, "/v2/pricing");

    kvs.update(&[], &["ab_homepage".to_owned()])
        .expect("delete");
    let invocation = ab.invoke(&ab.event);
    let Ok(Output::Request(request)) = invocation.result else {
        panic!("{:?}", invocation.result)
    };
    assert_eq!(request.uri, "/pricing");
    assert_eq!(value(&request.cookies, "ab"), None);
    assert_eq!(invocation.logs.len(), 1, "{:?}", invocation.logs);
}

#[test]
fn a_broken_experiment_passes_everyone() {
    let broken = [
        r#"{"b_percent": "lots", "b_path": "/v2"}"#,
        r#"{"b_percent": 30, "b_path": "/v2/"}"#,
        r#"{"b_percent": 30}"#,
        "null",
        "not json",
    ];
    for value in broken {
        let import = json!({"data": [{"key": "ab_homepage", "value": value}]}).to_string();
        let ab = with_store("ab-test", Some(store("experiments", &import)));
        let request = ab.request(&ab.event);
        assert_eq!(request.uri, "/pricing", "{value}");
    }
}

// === jwt-verify ===

fn secret() -> String {
    let import: Value = serde_json::from_str(&read("jwt-verify.kvs.json")).expect("JSON");
    import["data"][0]["value"]
        .as_str()
        .expect("the secret")
        .to_owned()
}

/// A token signed with HMAC-SHA256 whatever its header says.
fn mint(header: Value, claims: Value, secret: &str) -> String {
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let signed = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(signed.as_bytes());
    format!("{signed}.{}", b64(&mac.finalize().into_bytes()))
}

fn hs256(claims: Value) -> String {
    mint(json!({"alg": "HS256", "typ": "JWT"}), claims, &secret())
}

fn bearer(jwt: &Example, token: &str) -> Event {
    jwt.event_with(|e| {
        set(
            &mut e.request.headers,
            "authorization",
            &format!("Bearer {token}"),
        )
    })
}

/// Asserts a 401 whose challenge carries `error` (or no error code, for `None`).
fn assert_refused(jwt: &Example, event: &Event, error: Option<&str>) {
    let invocation = jwt.invoke(event);
    let Ok(Output::Response(response)) = invocation.result else {
        panic!("expected a 401, got {:?}", invocation.result)
    };
    assert_eq!(response.status_code, 401);
    assert_eq!(value(&response.headers, "cache-control"), Some("no-store"));
    let challenge = value(&response.headers, "www-authenticate").expect("a challenge");
    match error {
        Some(error) => assert_eq!(
            challenge,
            format!(
                "Bearer realm=\"example\", error=\"invalid_token\", error_description=\"{error}\""
            )
        ),
        None => assert_eq!(challenge, "Bearer realm=\"example\""),
    }
    assert!(matches!(response.body, Some(Body::Encoded { .. })));
    assert!(invocation.origin.is_none());
}

#[test]
fn a_valid_token_passes_with_its_subject() {
    let jwt = example("jwt-verify");
    let request = jwt.request(&jwt.event);
    assert_eq!(value(&request.headers, "x-user"), Some("user-8731"));
    assert_eq!(request.uri, "/api/invoices/2024-05");

    let token = hs256(json!({"sub": "alice", "exp": NOW + 60}));
    let from_cookie = jwt.event_with(|e| {
        e.request.headers.remove("authorization");
        set(&mut e.request.cookies, "token", &token);
        set(&mut e.request.headers, "x-user", "admin");
    });
    let request = jwt.request(&from_cookie);
    assert_eq!(
        value(&request.headers, "x-user"),
        Some("alice"),
        "the viewer's own x-user is replaced"
    );

    let within_leeway = hs256(json!({"sub": "bob", "exp": NOW - 10, "nbf": NOW + 10}));
    let request = jwt.request(&bearer(&jwt, &within_leeway));
    assert_eq!(value(&request.headers, "x-user"), Some("bob"));
}

#[test]
fn a_request_without_a_token_is_challenged() {
    let jwt = example("jwt-verify");
    let none = jwt.event_with(|e| {
        e.request.headers.remove("authorization");
    });
    assert_refused(&jwt, &none, None);
    let basic = jwt.event_with(|e| set(&mut e.request.headers, "authorization", "Basic dTpw"));
    assert_refused(&jwt, &basic, None);
}

#[test]
fn expired_tampered_and_foreign_tokens_are_refused() {
    let jwt = example("jwt-verify");
    let valid = hs256(json!({"sub": "alice", "exp": NOW + 3600}));
    let [header, _, signature]: [&str; 3] = valid
        .split('.')
        .collect::<Vec<_>>()
        .try_into()
        .expect("three parts");
    let admin = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(json!({"sub": "admin", "exp": NOW + 3600}).to_string());
    let tampered = format!("{header}.{admin}.{signature}");

    let cases = [
        (
            hs256(json!({"sub": "alice", "exp": NOW - 3600})),
            "token expired",
        ),
        (
            hs256(json!({"sub": "alice", "exp": NOW + 7200, "nbf": NOW + 3600})),
            "token not yet valid",
        ),
        (hs256(json!({"sub": "alice"})), "token has no expiry"),
        (
            hs256(json!({"sub": "a\u{7}b", "exp": NOW + 60})),
            "token has no usable subject",
        ),
        (tampered, "bad signature"),
        (
            mint(
                json!({"alg": "HS256"}),
                json!({"sub": "alice", "exp": NOW + 60}),
                "another secret",
            ),
            "bad signature",
        ),
        (
            mint(
                json!({"alg": "none"}),
                json!({"sub": "alice", "exp": NOW + 60}),
                &secret(),
            ),
            "unsupported algorithm",
        ),
        ("not-a-token".to_owned(), "malformed token"),
    ];
    for (token, error) in cases {
        assert_refused(&jwt, &bearer(&jwt, &token), Some(error));
    }

    let expired = hs256(json!({"sub": "alice", "exp": NOW - 3600}));
    let expired_cookie = jwt.event_with(|e| {
        e.request.headers.remove("authorization");
        set(&mut e.request.cookies, "token", &expired);
    });
    assert_refused(&jwt, &expired_cookie, Some("token expired"));
}

#[test]
fn a_missing_secret_fails_closed() {
    let jwt = with_store(
        "jwt-verify",
        Some(store(
            "secrets",
            r#"{"data":[{"key":"other","value":"x"}]}"#,
        )),
    );
    let invocation = jwt.invoke(&jwt.event);
    let error = invocation.result.expect_err("no secret, no entry");
    assert_eq!(error.status(), 503, "{error}");
}

// === region-steering ===

fn origin_update(invocation: Invocation) -> (Request, OriginUpdate) {
    match (invocation.result, invocation.origin) {
        (Ok(Output::Request(request)), Some(OriginChange::Update(update))) => (request, update),
        (result, origin) => panic!("expected an origin update: {result:?}, {origin:?}"),
    }
}

#[test]
fn each_tenant_goes_to_its_home_region() {
    let steering = example("region-steering");
    let (request, update) = origin_update(steering.invoke(&steering.event));
    assert_eq!(update.domain_name.as_deref(), Some("eu.origin.example.com"));
    assert_eq!(update.origin_path, None);
    assert_eq!(
        update.custom_headers,
        [("x-home-region".to_owned(), "eu".to_owned())]
    );
    assert_eq!(value(&request.headers, "x-tenant"), Some("acme"));
    assert_eq!(request.uri, "/dashboard");

    let cases = [
        (
            "globex.app.example.com",
            None,
            "us.origin.example.com",
            None,
        ),
        (
            "initech.app.example.com:8443",
            None,
            "ap.origin.example.com",
            Some("/initech"),
        ),
        (
            "api.example.com",
            Some("Globex"),
            "us.origin.example.com",
            None,
        ),
        (
            "acme.app.example.com",
            Some("globex"),
            "eu.origin.example.com",
            None,
        ),
    ];
    for (host, header, domain, path) in cases {
        let event = steering.event_with(|e| {
            set(&mut e.request.headers, "host", host);
            if let Some(tenant) = header {
                set(&mut e.request.headers, "x-tenant", tenant);
            }
        });
        let (_, update) = origin_update(steering.invoke(&event));
        assert_eq!(update.domain_name.as_deref(), Some(domain), "{host}");
        assert_eq!(update.origin_path.as_deref(), path, "{host}");
    }
}

#[test]
fn unknown_tenants_get_a_404_from_the_edge() {
    let steering = example("region-steering");
    let cases = [
        ("umbrella.app.example.com", None),
        ("a.b.app.example.com", None),
        ("api.example.com", None),
        ("api.example.com", Some("umbrella")),
        ("api.example.com", Some("../acme")),
    ];
    for (host, header) in cases {
        let event = steering.event_with(|e| {
            set(&mut e.request.headers, "host", host);
            if let Some(tenant) = header {
                set(&mut e.request.headers, "x-tenant", tenant);
            }
        });
        let invocation = steering.invoke(&event);
        assert!(invocation.origin.is_none(), "{host}");
        let Ok(Output::Response(response)) = invocation.result else {
            panic!("{host}: expected a 404, got {:?}", invocation.result)
        };
        assert_eq!(response.status_code, 404, "{host}");
    }
}

#[test]
fn a_broken_store_entry_fails_rather_than_hiding_the_tenant() {
    let import = r#"{"data":[{"key":"acme","value":"{\"region\":\"eu\"}"}]}"#;
    let steering = with_store("region-steering", Some(store("tenants", import)));
    let error = steering
        .invoke(&steering.event)
        .result
        .expect_err("no origin in the entry");
    assert_eq!(error.status(), 503, "{error}");
}
