//! Validation end to end: the viewer's request directives (RFC 9111 §5.2.1), revalidating a
//! stored response with the origin and freshening it from a 304 (§4.3), the viewer's own
//! preconditions answered from the cache (RFC 9110 §13), and HEAD and byte ranges served
//! from a stored GET (RFC 9110 §9.3.2, §14).

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use support::cache::{Scripted, fetch, site, with_method, x_cache};
use support::{TestEdge, TestOrigin, h1, respond};

const STORED: &str = "the stored body";

/// An origin answering 200 with `cache_control`, `ETag: "v1"` and [`STORED`], and an edge in
/// front of it; the object is already stored by one GET for `path`.
async fn stored(cache_control: &str, path: &str) -> (Scripted, TestEdge) {
    let origin = Scripted::start(
        200,
        &[("cache-control", cache_control), ("etag", "\"v1\"")],
        STORED,
    )
    .await;
    let edge = TestEdge::start(&site(origin.addr(), "", "")).await;
    let first = fetch(&edge, path, &[]).await;
    assert_eq!(x_cache(&first), "Miss from verge");
    assert_eq!(first.text(), STORED);
    (origin, edge)
}

/// The origin's answer to a matching conditional request: still valid, for a minute more.
fn not_modified(origin: &Scripted) {
    origin.set(
        304,
        &[("cache-control", "max-age=60"), ("etag", "\"v1\"")],
        "",
    );
}

#[tokio::test]
async fn viewer_no_cache_and_max_age_zero_force_a_validation() {
    let (origin, edge) = stored("max-age=60", "/doc").await;
    not_modified(&origin);

    let mut expected = 1;
    for directive in [
        ("cache-control", "no-cache"),
        ("cache-control", "max-age=0"),
        ("pragma", "no-cache"),
    ] {
        let reply = fetch(&edge, "/doc", &[directive]).await;
        expected += 1;
        assert_eq!(origin.count(), expected, "{directive:?}");
        assert_eq!(
            origin.origin.last().header("if-none-match"),
            Some("\"v1\""),
            "{directive:?}: a conditional request"
        );
        assert_eq!(reply.status, 200);
        assert_eq!(reply.text(), STORED);
        assert_eq!(x_cache(&reply), "RefreshHit from verge", "{directive:?}");
    }

    // A plain request takes the stored copy as it is.
    let hit = fetch(&edge, "/doc", &[]).await;
    assert_eq!(x_cache(&hit), "Hit from verge");
    assert_eq!(origin.count(), expected);
}

#[tokio::test]
async fn only_if_cached_never_reaches_the_origin() {
    let origin = Scripted::start(200, &[("cache-control", "max-age=60")], "x").await;
    let edge = TestEdge::start(&site(origin.addr(), "", "")).await;
    let only = [("cache-control", "only-if-cached")];

    let miss = fetch(&edge, "/o", &only).await;
    assert_eq!(miss.status, 504);
    assert_eq!(origin.count(), 0);

    fetch(&edge, "/o", &[]).await;
    let hit = fetch(&edge, "/o", &only).await;
    assert_eq!(hit.status, 200);
    assert_eq!(x_cache(&hit), "Hit from verge");
    assert_eq!(origin.count(), 1);
}

#[tokio::test]
async fn min_fresh_beyond_the_remaining_lifetime_validates() {
    let (origin, edge) = stored("max-age=60", "/m").await;
    not_modified(&origin);

    let enough = fetch(&edge, "/m", &[("cache-control", "min-fresh=10")]).await;
    assert_eq!(x_cache(&enough), "Hit from verge");
    assert_eq!(origin.count(), 1);

    let more = fetch(&edge, "/m", &[("cache-control", "min-fresh=120")]).await;
    assert_eq!(x_cache(&more), "RefreshHit from verge");
    assert_eq!(more.text(), STORED);
    assert_eq!(origin.count(), 2);
    assert_eq!(origin.origin.last().header("if-none-match"), Some("\"v1\""));
}

#[tokio::test]
async fn max_stale_accepts_a_stale_copy() {
    // Ten seconds of life, twenty seconds old: stale by ten on arrival.
    let origin = Scripted::start(
        200,
        &[("cache-control", "max-age=10"), ("age", "20")],
        "old",
    )
    .await;
    let edge = TestEdge::start(&site(origin.addr(), "", "")).await;
    fetch(&edge, "/s", &[]).await;
    origin.set(200, &[("cache-control", "max-age=60")], "new");

    let lenient = fetch(&edge, "/s", &[("cache-control", "max-stale=60")]).await;
    assert_eq!(
        (x_cache(&lenient), lenient.text().as_str()),
        ("Hit from verge", "old")
    );
    let any = fetch(&edge, "/s", &[("cache-control", "max-stale")]).await;
    assert_eq!(any.text(), "old");
    assert_eq!(origin.count(), 1);

    let strict = fetch(&edge, "/s", &[("cache-control", "max-stale=5")]).await;
    assert_eq!(
        (x_cache(&strict), strict.text().as_str()),
        ("Miss from verge", "new")
    );
    assert_eq!(origin.count(), 2);
}

#[tokio::test]
async fn a_304_freshens_the_stored_response_by_etag() {
    // A zero lifetime with a validator: stored, and validated on every use until freshened.
    let origin = Scripted::start(
        200,
        &[
            ("cache-control", "max-age=0"),
            ("etag", "\"v1\""),
            ("x-extra", "original"),
        ],
        STORED,
    )
    .await;
    let edge = TestEdge::start(&site(origin.addr(), "", "")).await;
    fetch(&edge, "/e", &[]).await;
    origin.set(
        304,
        &[
            ("cache-control", "max-age=60"),
            ("etag", "\"v1\""),
            ("x-extra", "refreshed"),
        ],
        "",
    );

    let refreshed = fetch(&edge, "/e", &[]).await;
    assert_eq!(origin.origin.last().header("if-none-match"), Some("\"v1\""));
    assert_eq!(refreshed.status, 200);
    assert_eq!(refreshed.text(), STORED);
    assert_eq!(x_cache(&refreshed), "RefreshHit from verge");
    assert_eq!(refreshed.header("x-extra"), Some("refreshed"));
    assert_eq!(refreshed.header("cache-control"), Some("max-age=60"));
    assert_eq!(refreshed.header("content-length"), Some("15"));

    let hit = fetch(&edge, "/e", &[]).await;
    assert_eq!(x_cache(&hit), "Hit from verge");
    assert_eq!(hit.text(), STORED);
    assert_eq!(hit.header("x-extra"), Some("refreshed"));
    assert_eq!(origin.count(), 2);
}

#[tokio::test]
async fn a_304_freshens_the_stored_response_by_last_modified() {
    const MODIFIED: &str = "Sun, 01 Jan 2012 00:00:00 GMT";
    let origin = Scripted::start(
        200,
        &[("cache-control", "max-age=0"), ("last-modified", MODIFIED)],
        STORED,
    )
    .await;
    let edge = TestEdge::start(&site(origin.addr(), "", "")).await;
    fetch(&edge, "/lm", &[]).await;
    origin.set(
        304,
        &[("cache-control", "max-age=60"), ("x-extra", "refreshed")],
        "",
    );

    let refreshed = fetch(&edge, "/lm", &[]).await;
    let validation = origin.origin.last();
    assert_eq!(validation.header("if-modified-since"), Some(MODIFIED));
    assert_eq!(validation.header("if-none-match"), None);
    assert_eq!(refreshed.text(), STORED);
    assert_eq!(x_cache(&refreshed), "RefreshHit from verge");
    assert_eq!(refreshed.header("x-extra"), Some("refreshed"));
    assert_eq!(refreshed.header("last-modified"), Some(MODIFIED));

    assert_eq!(x_cache(&fetch(&edge, "/lm", &[]).await), "Hit from verge");
    assert_eq!(origin.count(), 2);
}

#[tokio::test]
async fn a_changed_object_replaces_the_stored_one() {
    let (origin, edge) = stored("max-age=0", "/c").await;
    origin.set(
        200,
        &[("cache-control", "max-age=60"), ("etag", "\"v2\"")],
        "the new body",
    );

    let changed = fetch(&edge, "/c", &[]).await;
    assert_eq!(origin.origin.last().header("if-none-match"), Some("\"v1\""));
    assert_eq!(x_cache(&changed), "Miss from verge");
    assert_eq!(changed.text(), "the new body");

    let hit = fetch(&edge, "/c", &[]).await;
    assert_eq!(x_cache(&hit), "Hit from verge");
    assert_eq!(hit.text(), "the new body");
    assert_eq!(hit.header("etag"), Some("\"v2\""));
    assert_eq!(origin.count(), 2);
}

#[tokio::test]
async fn a_304_for_another_version_does_not_freshen_the_stored_one() {
    // RFC 9111 §4.3.4: the origin says "not modified" but names another version; the edge
    // cannot tell what that is and asks for the whole response.
    let first = Arc::new(AtomicBool::new(true));
    let origin = TestOrigin::start(move |seen| {
        if seen.header("if-none-match").is_some() {
            return respond(
                304,
                &[("etag", "\"v9\""), ("cache-control", "max-age=60")],
                "",
            );
        }
        if first.swap(false, Ordering::SeqCst) {
            return respond(
                200,
                &[("etag", "\"v1\""), ("cache-control", "max-age=0")],
                "v1",
            );
        }
        respond(
            200,
            &[("etag", "\"v2\""), ("cache-control", "max-age=60")],
            "v2",
        )
    })
    .await;
    let edge = TestEdge::start(&site(origin.addr, "", "")).await;
    fetch(&edge, "/v", &[]).await;

    let reply = fetch(&edge, "/v", &[]).await;
    assert_eq!((reply.status.as_u16(), reply.text().as_str()), (200, "v2"));
    assert_eq!(reply.header("etag"), Some("\"v2\""));
    let seen = origin.seen();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[1].header("if-none-match"), Some("\"v1\""));
    assert_eq!(seen[2].header("if-none-match"), None);

    let hit = fetch(&edge, "/v", &[]).await;
    assert_eq!(
        (x_cache(&hit), hit.text().as_str()),
        ("Hit from verge", "v2")
    );
}

#[tokio::test]
async fn viewer_preconditions_are_answered_from_the_cache() {
    const MODIFIED: &str = "Sun, 01 Jan 2012 00:00:00 GMT";
    let origin = Scripted::start(
        200,
        &[
            ("cache-control", "max-age=60"),
            ("etag", "\"v1\""),
            ("last-modified", MODIFIED),
        ],
        STORED,
    )
    .await;
    let edge = TestEdge::start(&site(origin.addr(), "", "")).await;
    fetch(&edge, "/p", &[]).await;

    // (precondition, status, body)
    let cases: &[(&str, &str, u16, &str)] = &[
        ("if-none-match", "\"v1\"", 304, ""),
        ("if-none-match", "W/\"v1\"", 304, ""),
        ("if-none-match", "\"v0\", \"v1\"", 304, ""),
        ("if-none-match", "*", 304, ""),
        ("if-none-match", "\"v0\"", 200, STORED),
        (
            "if-modified-since",
            "Mon, 01 Jan 2024 00:00:00 GMT",
            304,
            "",
        ),
        (
            "if-modified-since",
            "Sat, 01 Jan 2011 00:00:00 GMT",
            200,
            STORED,
        ),
        ("if-match", "\"v1\"", 200, STORED),
        ("if-match", "\"v0\"", 412, ""),
        (
            "if-unmodified-since",
            "Sat, 01 Jan 2011 00:00:00 GMT",
            412,
            "",
        ),
    ];
    for (name, value, status, body) in cases {
        let reply = fetch(&edge, "/p", &[(name, value)]).await;
        assert_eq!(reply.status, *status, "{name}: {value}");
        assert_eq!(reply.text(), *body, "{name}: {value}");
        if *status == 304 {
            assert_eq!(reply.header("etag"), Some("\"v1\""));
            assert_eq!(x_cache(&reply), "Hit from verge");
            assert!(reply.header("age").is_some());
        }
    }
    assert_eq!(origin.count(), 1, "the origin was never asked");
}

#[tokio::test]
async fn head_is_answered_from_a_stored_get() {
    let (origin, edge) = stored("max-age=60", "/h").await;

    let head = h1(edge.http(), with_method("HEAD", "/h", &[])).await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.header("content-length"), Some("15"));
    assert_eq!(head.header("etag"), Some("\"v1\""));
    assert_eq!(x_cache(&head), "Hit from verge");

    // RFC 9110 §14.2: range handling is defined for GET only.
    let ranged = h1(
        edge.http(),
        with_method("HEAD", "/h", &[("range", "bytes=0-3")]),
    )
    .await;
    assert_eq!(ranged.status, 200);
    assert_eq!(ranged.header("content-length"), Some("15"));
    assert_eq!(ranged.header("content-range"), None);
    assert_eq!(origin.count(), 1);
    assert!(origin.origin.seen().iter().all(|seen| seen.method == "GET"));
}

#[tokio::test]
async fn byte_ranges_are_served_from_the_stored_object() {
    const BODY: &str = "0123456789abcdefghijklmnopqrstuvwxyz";
    let origin = Scripted::start(200, &[("cache-control", "max-age=60")], BODY).await;
    let edge = TestEdge::start(&site(origin.addr(), "", "")).await;
    fetch(&edge, "/r", &[]).await;

    // (Range, status, Content-Range, body)
    let cases: &[(&str, u16, Option<&str>, &str)] = &[
        ("bytes=0-9", 206, Some("bytes 0-9/36"), "0123456789"),
        ("bytes=-5", 206, Some("bytes 31-35/36"), "vwxyz"),
        ("bytes=30-", 206, Some("bytes 30-35/36"), "uvwxyz"),
        ("bytes=30-1000", 206, Some("bytes 30-35/36"), "uvwxyz"),
        ("bytes=1000-", 416, Some("bytes */36"), ""),
        // Several ranges: the whole object (multipart/byteranges is not produced).
        ("bytes=0-1,5-6", 200, None, BODY),
        ("items=0-1", 200, None, BODY),
    ];
    for (range, status, content_range, body) in cases {
        let reply = fetch(&edge, "/r", &[("range", range)]).await;
        assert_eq!(reply.status, *status, "{range}");
        assert_eq!(reply.header("content-range"), *content_range, "{range}");
        assert_eq!(reply.text(), *body, "{range}");
        if *status == 206 {
            let length = body.len().to_string();
            assert_eq!(reply.header("content-length"), Some(length.as_str()));
        }
    }

    // If-Range with a validator that no longer matches: the whole object.
    let stale = fetch(
        &edge,
        "/r",
        &[("range", "bytes=0-1"), ("if-range", "\"old\"")],
    )
    .await;
    assert_eq!(stale.status, 200);
    assert_eq!(origin.count(), 1);
    assert!(origin.origin.last().header("range").is_none());
}

#[tokio::test]
async fn an_answer_to_one_viewers_range_or_precondition_is_not_stored() {
    // On a miss the viewer's Range and preconditions reach the origin; what it answers to
    // them must not be what every later viewer gets.
    let origin = TestOrigin::start(|seen| {
        let cache_control = ("cache-control", "max-age=60");
        if seen.header("range").is_some() {
            return respond(416, &[cache_control, ("content-range", "bytes */4")], "");
        }
        if seen.header("if-match").is_some() {
            return respond(412, &[cache_control], "");
        }
        respond(200, &[cache_control, ("etag", "\"v1\"")], "full")
    })
    .await;
    let edge = TestEdge::start(&site(origin.addr, "", "")).await;

    let ranged = fetch(&edge, "/a", &[("range", "bytes=1000-")]).await;
    assert_eq!(ranged.status, 416);
    let failed = fetch(&edge, "/b", &[("if-match", "\"v0\"")]).await;
    assert_eq!(failed.status, 412);
    for path in ["/a", "/b"] {
        let whole = fetch(&edge, path, &[]).await;
        assert_eq!(
            (x_cache(&whole), whole.text().as_str()),
            ("Miss from verge", "full")
        );
        let hit = fetch(&edge, path, &[]).await;
        assert_eq!(x_cache(&hit), "Hit from verge");
    }
    assert_eq!(origin.count(), 4);
}

#[tokio::test]
async fn unsafe_methods_invalidate_the_stored_response() {
    // RFC 9111 §4.4: a non-error response to an unsafe method invalidates the target URI.
    let origin = Scripted::start(200, &[("cache-control", "max-age=60")], "v").await;
    let methods = support::config::ALL_METHODS;
    let edge = TestEdge::start(&site(origin.addr(), methods, "")).await;
    let gzip: &[(&str, &str)] = &[("accept-encoding", "gzip")];

    for method in ["POST", "PUT", "DELETE", "PATCH"] {
        fetch(&edge, "/item", &[]).await;
        fetch(&edge, "/item", gzip).await;
        assert_eq!(x_cache(&fetch(&edge, "/item", &[]).await), "Hit from verge");
        assert_eq!(
            x_cache(&fetch(&edge, "/item", gzip).await),
            "Hit from verge"
        );

        let unsafe_reply = h1(edge.http(), with_method(method, "/item", &[])).await;
        assert_eq!(unsafe_reply.status, 200);
        let after = fetch(&edge, "/item", &[]).await;
        assert_eq!(x_cache(&after), "Miss from verge", "after {method}");
        // Every stored copy of the URI goes, whatever encoding it was stored for.
        let compressed = fetch(&edge, "/item", gzip).await;
        assert_eq!(
            x_cache(&compressed),
            "Miss from verge",
            "gzip after {method}"
        );
    }

    // Safe methods and failed unsafe ones leave it alone.
    fetch(&edge, "/item", &[]).await;
    origin.set(500, &[], "failed");
    let failed = h1(edge.http(), with_method("POST", "/item", &[])).await;
    assert_eq!(failed.status, 500);
    let options = h1(edge.http(), with_method("OPTIONS", "/item", &[])).await;
    assert_eq!(options.status, 500);
    let kept = fetch(&edge, "/item", &[]).await;
    assert_eq!(
        (x_cache(&kept), kept.text().as_str()),
        ("Hit from verge", "v")
    );

    // Another URI is not touched.
    origin.set(200, &[("cache-control", "max-age=60")], "v");
    fetch(&edge, "/other", &[]).await;
    h1(edge.http(), with_method("POST", "/item", &[])).await;
    assert_eq!(
        x_cache(&fetch(&edge, "/other", &[]).await),
        "Hit from verge"
    );
}
