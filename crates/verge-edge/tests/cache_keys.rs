//! What makes two requests the same stored object, end to end: the cache policy's query
//! strings, headers and cookies, the derived policy's host, cookies and query, the
//! distribution, the normalised Accept-Encoding of compressed objects, and the origin's
//! `Vary` (RFC 9111 §4.1).

mod support;

use bytes::Bytes;
use http_body_util::Full;
use support::cache::{fetch, seen_for, site, x_cache};
use support::fixtures::decode;
use support::{Reply, TestEdge, TestOrigin, distribution, h1, request, respond};

/// A cache policy keying on one query string, one header and one cookie.
const KEYED: &str = r#"
[cache_policies.keyed]
default_ttl = "1h"
query_strings = { behavior = "whitelist", items = ["v"] }
headers = { behavior = "whitelist", items = ["X-Device"] }
cookies = { behavior = "whitelist", items = ["session"] }
"#;

/// An origin echoing what tells objects apart: the query, `x-device` and `cookie` it got.
async fn echo_origin() -> TestOrigin {
    TestOrigin::start(|seen| {
        let body = format!(
            "query={} device={} cookie={}",
            seen.uri.query().unwrap_or("-"),
            seen.header("x-device").unwrap_or("-"),
            seen.header("cookie").unwrap_or("-"),
        );
        respond(200, &[("cache-control", "max-age=60")], body)
    })
    .await
}

/// One request of a sequence: path, request headers, and the `x-cache` it should get.
type Step<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);

/// Sends each step in turn and returns the replies.
async fn expect(edge: &TestEdge, steps: &[Step<'_>]) -> Vec<Reply> {
    let mut replies = Vec::new();
    for (path, headers, result) in steps {
        let reply = fetch(edge, path, headers).await;
        assert_eq!(reply.status, 200, "{path} {headers:?}");
        assert_eq!(
            x_cache(&reply),
            *result,
            "{path} {headers:?}: {}",
            reply.text()
        );
        replies.push(reply);
    }
    replies
}

#[tokio::test]
async fn whitelisted_query_strings_split_the_key_and_others_do_not() {
    let origin = echo_origin().await;
    let edge = TestEdge::start(&site(origin.addr, r#", cache_policy = "keyed""#, KEYED)).await;

    let replies = expect(
        &edge,
        &[
            ("/q?v=1", &[], "Miss from verge"),
            ("/q?v=1&utm=mail", &[], "Hit from verge"),
            ("/q?utm=ad&v=1", &[], "Hit from verge"),
            ("/q?v=2", &[], "Miss from verge"),
            ("/q", &[], "Miss from verge"),
            ("/q?utm=ad", &[], "Hit from verge"),
        ],
    )
    .await;
    assert_eq!(replies[1].text(), "query=v=1 device=- cookie=-");
    assert_eq!(replies[5].text(), replies[4].text());
    assert_eq!(seen_for(&origin, "/q"), 3);
}

#[tokio::test]
async fn a_whitelisted_header_splits_the_key_and_reaches_the_origin() {
    let origin = echo_origin().await;
    let edge = TestEdge::start(&site(origin.addr, r#", cache_policy = "keyed""#, KEYED)).await;

    let mobile: &[(&str, &str)] = &[("x-device", "mobile")];
    let replies = expect(
        &edge,
        &[
            ("/h", mobile, "Miss from verge"),
            (
                "/h",
                &[("x-device", "mobile"), ("x-other", "1")],
                "Hit from verge",
            ),
            ("/h", &[("x-device", "desktop")], "Miss from verge"),
            ("/h", &[], "Miss from verge"),
            ("/h", mobile, "Hit from verge"),
        ],
    )
    .await;
    assert_eq!(replies[4].text(), "query=- device=mobile cookie=-");
    assert_eq!(replies[2].text(), "query=- device=desktop cookie=-");
    assert_eq!(seen_for(&origin, "/h"), 3);
}

#[tokio::test]
async fn a_whitelisted_cookie_splits_the_key_and_others_do_not() {
    let origin = echo_origin().await;
    let edge = TestEdge::start(&site(origin.addr, r#", cache_policy = "keyed""#, KEYED)).await;

    let replies = expect(
        &edge,
        &[
            ("/c", &[("cookie", "session=a")], "Miss from verge"),
            (
                "/c",
                &[("cookie", "session=a; theme=dark")],
                "Hit from verge",
            ),
            (
                "/c",
                &[("cookie", "theme=light; session=a")],
                "Hit from verge",
            ),
            ("/c", &[("cookie", "session=b")], "Miss from verge"),
            ("/c", &[], "Miss from verge"),
        ],
    )
    .await;
    assert_eq!(replies[2].text(), "query=- device=- cookie=session=a");
    assert_eq!(seen_for(&origin, "/c"), 3);
}

#[tokio::test]
async fn the_derived_policy_keys_on_host_cookies_and_query() {
    let origin = echo_origin().await;
    let config = distribution("site", r#""site.test", "www.site.test""#, origin.addr, "");
    let edge = TestEdge::start(&config).await;
    let send = async |host: &str, path: &str, cookie: &str| {
        let mut builder = request("GET", host, path);
        if !cookie.is_empty() {
            builder = builder.header("cookie", cookie);
        }
        let reply = h1(edge.http(), builder.body(Full::default()).expect("request")).await;
        x_cache(&reply).to_owned()
    };

    assert_eq!(send("site.test", "/d?a=1", "").await, "Miss from verge");
    assert_eq!(send("site.test", "/d?a=1", "").await, "Hit from verge");
    assert_eq!(send("site.test", "/d?a=2", "").await, "Miss from verge");
    assert_eq!(send("www.site.test", "/d?a=1", "").await, "Miss from verge");
    assert_eq!(send("site.test", "/d?a=1", "x=1").await, "Miss from verge");
    assert_eq!(send("site.test", "/d?a=1", "x=1").await, "Hit from verge");
    assert_eq!(origin.count(), 4);
}

#[tokio::test]
async fn two_distributions_never_share_an_object() {
    let origin = TestOrigin::start(|seen| {
        let host = seen.header("x-distribution").unwrap_or("-").to_owned();
        respond(200, &[("cache-control", "max-age=60")], host)
    })
    .await;
    // CachingOptimized leaves the host out of the key: only the distribution separates them.
    let optimized = r#", cache_policy = "CachingOptimized""#;
    let config = format!(
        "{}{}",
        distribution("one", r#""one.test""#, origin.addr, optimized),
        distribution("two", r#""two.test""#, origin.addr, optimized)
    );
    let edge = TestEdge::start(&config).await;
    let get = |host: &str| {
        request("GET", host, "/shared.css")
            .header("x-distribution", host)
            .body(Full::default())
            .expect("request")
    };

    let one = h1(edge.http(), get("one.test")).await;
    let two = h1(edge.http(), get("two.test")).await;
    assert_eq!(x_cache(&one), "Miss from verge");
    assert_eq!(x_cache(&two), "Miss from verge");
    let one = h1(edge.http(), get("one.test")).await;
    let two = h1(edge.http(), get("two.test")).await;
    assert_eq!(
        (x_cache(&one), one.text().as_str()),
        ("Hit from verge", "one.test")
    );
    assert_eq!(
        (x_cache(&two), two.text().as_str()),
        ("Hit from verge", "two.test")
    );
    assert_eq!(origin.count(), 2);
}

/// A policy keying on gzip and brotli (not zstd), for a compressing behavior.
const ZIPPED: &str = r#"
[cache_policies.zipped]
default_ttl = "1h"
enable_accept_encoding_gzip = true
enable_accept_encoding_brotli = true
"#;

#[tokio::test]
async fn each_viewer_gets_a_stored_copy_in_its_own_encoding() {
    let page: Bytes = "a page of text that compresses well. "
        .repeat(100)
        .into_bytes()
        .into();
    let served = page.clone();
    let origin = TestOrigin::start(move |_| {
        respond(
            200,
            &[
                ("content-type", "text/plain"),
                ("cache-control", "max-age=60"),
            ],
            served.clone(),
        )
    })
    .await;
    let behavior = r#", cache_policy = "zipped", compress = true"#;
    let edge = TestEdge::start(&site(origin.addr, behavior, ZIPPED)).await;

    // (Accept-Encoding, x-cache, Content-Encoding)
    let steps: &[(&str, &str, Option<&str>)] = &[
        ("gzip", "Miss from verge", Some("gzip")),
        ("gzip", "Hit from verge", Some("gzip")),
        ("br", "Miss from verge", Some("br")),
        ("br", "Hit from verge", Some("br")),
        // Brotli is preferred when both are accepted: the brotli copy.
        ("gzip, deflate, br", "Hit from verge", Some("br")),
        ("", "Miss from verge", None),
        ("", "Hit from verge", None),
        ("identity", "Hit from verge", None),
        // zstd is not in the key: the identity copy, compressed on the way out.
        ("zstd", "Hit from verge", Some("zstd")),
    ];
    for (accept, result, coding) in steps {
        let headers: &[(&str, &str)] = if accept.is_empty() {
            &[]
        } else {
            &[("accept-encoding", accept)]
        };
        let reply = fetch(&edge, "/page.txt", headers).await;
        assert_eq!(reply.status, 200);
        assert_eq!(x_cache(&reply), *result, "{accept:?}");
        assert_eq!(reply.header("content-encoding"), *coding, "{accept:?}");
        let body = match coding {
            Some(coding) => decode(coding, &reply.body).await,
            None => reply.body.to_vec(),
        };
        assert!(body == page, "{accept:?}: the body decodes to the page");
        if coding.is_some() {
            let vary = reply.header("vary").unwrap_or("");
            assert!(
                vary.to_ascii_lowercase().contains("accept-encoding"),
                "{vary}"
            );
        }
    }
    assert_eq!(
        origin.count(),
        3,
        "one origin request per encoding in the key"
    );
}

#[tokio::test]
async fn each_language_gets_its_own_variant() {
    let origin = TestOrigin::start(|seen| {
        let language = seen.header("accept-language").unwrap_or("none").to_owned();
        respond(
            200,
            &[("cache-control", "max-age=60"), ("vary", "Accept-Language")],
            format!("page in {language}"),
        )
    })
    .await;
    let edge = TestEdge::start(&site(origin.addr, "", "")).await;
    let en: &[(&str, &str)] = &[("accept-language", "en")];
    let fr: &[(&str, &str)] = &[("accept-language", "fr")];

    let replies = expect(
        &edge,
        &[
            ("/hello", en, "Miss from verge"),
            ("/hello", fr, "Miss from verge"),
            ("/hello", en, "Hit from verge"),
            ("/hello", fr, "Hit from verge"),
            ("/hello", &[], "Miss from verge"),
            ("/hello", &[], "Hit from verge"),
        ],
    )
    .await;
    assert_eq!(replies[2].text(), "page in en");
    assert_eq!(replies[3].text(), "page in fr");
    assert_eq!(replies[5].text(), "page in none");
    assert_eq!(replies[3].header("vary"), Some("Accept-Language"));
    let languages: Vec<Option<String>> = origin
        .seen()
        .iter()
        .map(|seen| seen.header("accept-language").map(str::to_owned))
        .collect();
    assert_eq!(
        languages,
        [Some("en".to_owned()), Some("fr".to_owned()), None],
        "the origin saw each language once"
    );
}
