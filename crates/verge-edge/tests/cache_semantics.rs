//! Which origin responses the cache stores and for how long, end to end: RFC 9111 §3
//! (storing), §4.2 (freshness, Age) and CDN-Cache-Control (RFC 9213), combined with the cache
//! behavior's TTL policy and CloudFront's error caching. Each test sends real requests
//! through the edge and counts what the origin saw.

mod support;

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use support::cache::{HOST, age, fetch, seen_for, site, with_method, x_cache};
use support::config::{ALL_METHODS, distribution_head, origin_table};
use support::{Reply, TestEdge, TestOrigin, h1, respond};
use verge_cache::dates::fmt_http_date;

/// One path of a table-driven origin: the status and headers it answers with, and whether
/// the edge should store the answer.
type Case = (
    &'static str,
    u16,
    &'static [(&'static str, &'static str)],
    bool,
);

/// An origin answering each path of `cases` with its status and headers, and the body
/// `body of <path>`.
async fn table_origin(cases: &'static [Case]) -> TestOrigin {
    TestOrigin::start(move |seen| {
        let path = seen.uri.path();
        let (_, status, headers, _) = cases
            .iter()
            .find(|case| case.0 == path)
            .unwrap_or_else(|| panic!("no case for {path}"));
        respond(*status, headers, format!("body of {path}"))
    })
    .await
}

/// Sends two GETs for `path` with `headers`; asserts the second came from the cache (one
/// origin request, same body) or not (two origin requests), and returns both replies.
async fn twice(
    edge: &TestEdge,
    origin: &TestOrigin,
    path: &str,
    headers: &[(&str, &str)],
    stored: bool,
) -> (Reply, Reply) {
    let before = seen_for(origin, path);
    let first = fetch(edge, path, headers).await;
    let second = fetch(edge, path, headers).await;
    assert_eq!(first.body, second.body, "{path}");
    let expected = if stored { 1 } else { 2 };
    assert_eq!(
        seen_for(origin, path) - before,
        expected,
        "{path}: stored should be {stored}"
    );
    if first.status.is_success() {
        assert_eq!(x_cache(&first), "Miss from verge", "{path}");
        let second_result = if stored {
            "Hit from verge"
        } else {
            "Miss from verge"
        };
        assert_eq!(x_cache(&second), second_result, "{path}");
    }
    (first, second)
}

/// Runs every case of `cases` against one edge with the default cache behavior.
async fn check(cases: &'static [Case], behavior: &str, tables: &str) {
    let origin = table_origin(cases).await;
    let edge = TestEdge::start(&site(origin.addr, behavior, tables)).await;
    for (path, _, _, stored) in cases {
        twice(&edge, &origin, path, &[], *stored).await;
    }
}

#[tokio::test]
async fn what_the_origin_forbids_is_not_stored() {
    const CASES: &[Case] = &[
        ("/max-age", 200, &[("cache-control", "max-age=60")], true),
        (
            "/no-store",
            200,
            &[("cache-control", "no-store, max-age=60")],
            false,
        ),
        (
            "/private",
            200,
            &[("cache-control", "private, max-age=60")],
            false,
        ),
        (
            "/set-cookie",
            200,
            &[("cache-control", "max-age=60"), ("set-cookie", "id=1")],
            false,
        ),
        (
            "/vary-star",
            200,
            &[("cache-control", "max-age=60"), ("vary", "*")],
            false,
        ),
        ("/created", 201, &[], false),
        ("/plain", 200, &[], false),
    ];
    check(CASES, "", "").await;
}

#[tokio::test]
async fn a_set_cookie_named_by_no_cache_is_stripped_from_the_stored_copy() {
    let origin = TestOrigin::start(|_| {
        respond(
            200,
            &[
                ("cache-control", r#"max-age=60, no-cache="set-cookie""#),
                ("set-cookie", "session=alice"),
                ("x-kept", "yes"),
            ],
            "shared page",
        )
    })
    .await;
    let edge = TestEdge::start(&site(origin.addr, "", "")).await;

    let (first, second) = twice(&edge, &origin, "/page", &[], true).await;
    assert_eq!(first.header("set-cookie"), Some("session=alice"));
    assert_eq!(second.header("set-cookie"), None, "another viewer's cookie");
    assert_eq!(second.header("x-kept"), Some("yes"));
    assert_eq!(second.text(), "shared page");
}

#[tokio::test]
async fn requests_with_authorization_are_stored_only_when_the_origin_shares_them() {
    // RFC 9111 §3.5.
    const CASES: &[Case] = &[
        ("/max-age", 200, &[("cache-control", "max-age=60")], false),
        (
            "/public",
            200,
            &[("cache-control", "public, max-age=60")],
            true,
        ),
        ("/s-maxage", 200, &[("cache-control", "s-maxage=60")], true),
    ];
    let origin = table_origin(CASES).await;
    let edge = TestEdge::start(&site(origin.addr, "", "")).await;
    for (path, _, _, stored) in CASES {
        let credentials = [("authorization", "Bearer secret")];
        twice(&edge, &origin, path, &credentials, *stored).await;
    }
    assert_eq!(
        origin.last().header("authorization"),
        Some("Bearer secret"),
        "the origin decides on the credentials"
    );
}

#[tokio::test]
async fn responses_to_post_are_not_stored() {
    let origin = TestOrigin::start(|seen| {
        respond(
            200,
            &[("cache-control", "max-age=60")],
            format!("{} answer", seen.method),
        )
    })
    .await;
    let edge = TestEdge::start(&site(origin.addr, ALL_METHODS, "")).await;

    for _ in 0..2 {
        let reply = h1(edge.http(), with_method("POST", "/form", &[])).await;
        assert_eq!(reply.text(), "POST answer");
        assert_eq!(x_cache(&reply), "Miss from verge");
    }
    let get = fetch(&edge, "/form", &[]).await;
    assert_eq!(
        get.text(),
        "GET answer",
        "a POST answer is never served to a GET"
    );
    assert_eq!(x_cache(&get), "Miss from verge");
    assert_eq!(origin.count(), 3);
}

#[tokio::test]
async fn errors_without_freshness_are_stored_for_the_error_caching_ttl() {
    // CloudFront caches these for ErrorCachingMinTTL (10 s by default) when the origin says
    // nothing; 500 is on its list as much as 404. A 409 is not cacheable at all.
    const CASES: &[Case] = &[
        ("/missing", 404, &[], true),
        ("/broken", 500, &[], true),
        ("/conflict", 409, &[], false),
        ("/explicit", 500, &[("cache-control", "no-store")], false),
    ];
    let origin = table_origin(CASES).await;
    let edge = TestEdge::start(&site(origin.addr, "", "")).await;
    for (path, status, _, stored) in CASES {
        let (first, second) = twice(&edge, &origin, path, &[], *stored).await;
        assert_eq!(first.status, *status);
        assert_eq!(second.status, *status);
        assert_eq!(x_cache(&second), "Error from verge");
    }
}

#[tokio::test]
async fn an_error_caching_min_ttl_of_zero_stores_no_error() {
    const CASES: &[Case] = &[
        ("/missing", 404, &[], false),
        ("/broken", 500, &[], false),
        ("/unavailable", 503, &[], true),
    ];
    let origin = table_origin(CASES).await;
    let config = format!(
        r#"{head}custom_error_responses = [
  {{ error_code = 404, error_caching_min_ttl = "0s" }},
  {{ error_code = 500, error_caching_min_ttl = "0s" }},
]
{origin}"#,
        head = distribution_head("site", &format!("\"{HOST}\""), "o1", ""),
        origin = origin_table("o1", origin.addr, ""),
    );
    let edge = TestEdge::start(&config).await;
    for (path, status, _, stored) in CASES {
        let (_, second) = twice(&edge, &origin, path, &[], *stored).await;
        assert_eq!(second.status, *status);
    }
}

#[tokio::test]
async fn s_maxage_wins_over_max_age() {
    const CASES: &[Case] = &[
        // max-age=0 alone, with nothing to revalidate with, is not worth storing.
        ("/zero", 200, &[("cache-control", "max-age=0")], false),
        (
            "/shared",
            200,
            &[("cache-control", "max-age=0, s-maxage=60")],
            true,
        ),
        (
            "/shared-zero",
            200,
            &[("cache-control", "max-age=60, s-maxage=0")],
            false,
        ),
    ];
    check(CASES, "", "").await;
}

#[tokio::test]
async fn expires_gives_freshness_without_cache_control() {
    const CASES: &[Case] = &[
        (
            "/past",
            200,
            &[("expires", "Thu, 01 Jan 1998 00:00:00 GMT")],
            false,
        ),
        (
            "/future",
            200,
            &[("expires", "Fri, 01 Jan 2100 00:00:00 GMT")],
            true,
        ),
        ("/invalid", 200, &[("expires", "0")], false),
        (
            "/max-age-wins",
            200,
            &[
                ("expires", "Fri, 01 Jan 2100 00:00:00 GMT"),
                ("cache-control", "max-age=0"),
            ],
            false,
        ),
    ];
    check(CASES, "", "").await;
}

/// A distribution whose default behavior uses `policy` for `/x/*` paths and the derived
/// policy elsewhere, with `tables` appended.
fn with_policy(origin: SocketAddr, policy: &str, tables: &str) -> String {
    format!(
        r#"
[[distributions]]
id = "site"
domains = ["{HOST}"]
default_cache_behavior = {{ target_origin = "o1" }}
cache_behaviors = [{{ path_pattern = "/x/*", target_origin = "o1", cache_policy = "{policy}" }}]

[[distributions.origins]]
id = "o1"
domain_name = "{ip}"
http_port = {port}
protocol_policy = "http-only"
{tables}"#,
        ip = origin.ip(),
        port = origin.port()
    )
}

#[tokio::test]
async fn no_freshness_is_stored_only_when_the_policy_has_a_default_ttl() {
    // The derived policy follows the origin (default TTL 0): nothing to go on, not stored.
    // CachingOptimized gives such a response its default TTL of a day.
    const CASES: &[Case] = &[
        ("/bare", 200, &[], false),
        ("/x/bare", 200, &[], true),
        ("/x/no-cache", 200, &[("cache-control", "no-cache")], true),
    ];
    let origin = table_origin(CASES).await;
    let edge = TestEdge::start(&with_policy(origin.addr, "CachingOptimized", "")).await;
    for (path, _, _, stored) in CASES {
        twice(&edge, &origin, path, &[], *stored).await;
    }
}

#[tokio::test]
async fn a_minimum_ttl_overrides_no_store_and_max_age_zero() {
    const CASES: &[Case] = &[
        ("/no-store", 200, &[("cache-control", "no-store")], false),
        ("/x/no-store", 200, &[("cache-control", "no-store")], true),
        ("/x/zero", 200, &[("cache-control", "max-age=0")], true),
        ("/x/private", 200, &[("cache-control", "private")], true),
    ];
    let origin = table_origin(CASES).await;
    let floor = "\n[cache_policies.floor]\nmin_ttl = \"1h\"\n";
    let edge = TestEdge::start(&with_policy(origin.addr, "floor", floor)).await;
    for (path, _, _, stored) in CASES {
        twice(&edge, &origin, path, &[], *stored).await;
    }
}

#[tokio::test]
async fn a_maximum_ttl_caps_the_origin_lifetime() {
    // The origin's copy is 30 s old with 60 s to live: fresh under the derived policy, stale
    // on arrival under a 10 s cap, so the next viewer's request goes to the origin.
    const AGED: &[(&str, &str)] = &[("cache-control", "max-age=60"), ("age", "30")];
    const CASES: &[Case] = &[("/aged", 200, AGED, true), ("/x/aged", 200, AGED, false)];
    let origin = table_origin(CASES).await;
    let cap = "\n[cache_policies.cap]\ndefault_ttl = \"5s\"\nmax_ttl = \"10s\"\n";
    let edge = TestEdge::start(&with_policy(origin.addr, "cap", cap)).await;
    for (path, _, _, stored) in CASES {
        twice(&edge, &origin, path, &[], *stored).await;
    }
}

#[tokio::test]
async fn caching_disabled_never_stores() {
    const CASES: &[Case] = &[
        (
            "/x/long",
            200,
            &[("cache-control", "public, max-age=3600")],
            false,
        ),
        (
            "/x/cdn",
            200,
            &[("cdn-cache-control", "max-age=3600")],
            false,
        ),
    ];
    let origin = table_origin(CASES).await;
    let edge = TestEdge::start(&with_policy(origin.addr, "CachingDisabled", "")).await;
    for (path, _, _, stored) in CASES {
        twice(&edge, &origin, path, &[], *stored).await;
    }
}

#[tokio::test]
async fn cdn_cache_control_takes_precedence_over_cache_control() {
    // RFC 9213 §2.2.
    const CASES: &[Case] = &[
        (
            "/cdn-stores",
            200,
            &[
                ("cdn-cache-control", "max-age=60"),
                ("cache-control", "no-store"),
            ],
            true,
        ),
        (
            "/cdn-refuses",
            200,
            &[
                ("cdn-cache-control", "no-store"),
                ("cache-control", "max-age=60"),
            ],
            false,
        ),
        (
            "/cdn-unparseable",
            200,
            &[
                ("cdn-cache-control", "max-age=\"60"),
                ("cache-control", "max-age=60"),
            ],
            true,
        ),
    ];
    check(CASES, "", "").await;
}

#[tokio::test]
async fn an_old_last_modified_gives_heuristic_freshness() {
    // RFC 9111 §4.2.2: 10% of the time since Last-Modified. A minute-old Last-Modified
    // would give 6 s; ten years give the one-day ceiling.
    const CASES: &[Case] = &[
        (
            "/old",
            200,
            &[("last-modified", "Sun, 01 Jan 2012 00:00:00 GMT")],
            true,
        ),
        ("/none", 200, &[], false),
        ("/garbage", 200, &[("last-modified", "yesterday")], false),
        (
            "/not-heuristic",
            302,
            &[
                ("last-modified", "Sun, 01 Jan 2012 00:00:00 GMT"),
                ("location", "/old"),
            ],
            false,
        ),
    ];
    check(CASES, "", "").await;
}

#[tokio::test]
async fn a_last_modified_of_now_gives_no_heuristic_freshness() {
    let origin = TestOrigin::start(|_| {
        let now = fmt_http_date(SystemTime::now());
        let now = now.to_str().expect("date");
        respond(200, &[("last-modified", now), ("date", now)], "new")
    })
    .await;
    let edge = TestEdge::start(&site(origin.addr, "", "")).await;
    // Stored with a zero lifetime (it has a validator), so every use goes to the origin.
    let (_, second) = twice(&edge, &origin, "/new", &[], false).await;
    assert!(
        origin.last().header("if-modified-since").is_some(),
        "{:?}",
        origin.seen()
    );
    assert_eq!(second.text(), "new");
}

#[tokio::test]
async fn hits_carry_their_age() {
    const CASES: &[Case] = &[
        ("/young", 200, &[("cache-control", "max-age=600")], true),
        (
            "/aged",
            200,
            &[("cache-control", "max-age=600"), ("age", "100")],
            true,
        ),
    ];
    let origin = table_origin(CASES).await;
    let edge = TestEdge::start(&site(origin.addr, "", "")).await;

    let (miss, hit) = twice(&edge, &origin, "/young", &[], true).await;
    assert_eq!(miss.header("age"), None, "a miss has no age of its own");
    assert!(age(&hit) < 5, "{:?}", hit.header("age"));

    // The origin's Age counts (RFC 9111 §4.2.3): the hit is at least that old.
    let (_, hit) = twice(&edge, &origin, "/aged", &[], true).await;
    let aged = age(&hit);
    assert!((100..105).contains(&aged), "age {aged}");
}

#[tokio::test]
async fn an_origin_age_beyond_max_age_is_stale_on_arrival() {
    const CASES: &[Case] = &[(
        "/old-copy",
        200,
        &[("cache-control", "max-age=60"), ("age", "100")],
        false,
    )];
    check(CASES, "", "").await;
}

#[tokio::test]
async fn age_grows_while_an_object_is_stored() {
    // A one-second wait, bounded: the only test here that needs time to pass.
    let origin =
        TestOrigin::start(|_| respond(200, &[("cache-control", "max-age=600")], "x")).await;
    let edge = TestEdge::start(&site(origin.addr, "", "")).await;
    fetch(&edge, "/ages", &[]).await;
    let first = age(&fetch(&edge, "/ages", &[]).await);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(4);
    loop {
        let reply = fetch(&edge, "/ages", &[]).await;
        assert_eq!(x_cache(&reply), "Hit from verge");
        if age(&reply) > first {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "Age never grew");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(origin.count(), 1);
}
