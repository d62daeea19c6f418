//! Serving stale responses end to end (RFC 5861): within `stale-while-revalidate` the stale
//! copy is served at once and refreshed by one background request; within `stale-if-error`
//! it stands in for an origin that fails or cannot be reached.

mod support;

use std::time::Duration;

use support::TestEdge;
use support::cache::{Scripted, Switch, age, eventually, fetch, site, x_cache};
use support::session::admin;

/// Waits until the edge has no origin fetch in flight (a background refresh included), so
/// that what it stores is visible.
async fn settled(edge: &TestEdge) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let reply = admin(edge.edge.admin_address(), "GET", "/cache").await;
        let state: serde_json::Value = serde_json::from_slice(&reply.body).expect("JSON");
        if state["in_flight"] == 0 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still in flight: {state}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn stale_while_revalidate_serves_the_stale_copy_and_refreshes_once() {
    // Stale on arrival (a zero lifetime with a validator), with 30 s to serve it stale.
    let origin = Scripted::start(
        200,
        &[
            ("cache-control", "max-age=0, stale-while-revalidate=30"),
            ("etag", "\"v1\""),
        ],
        "v1",
    )
    .await;
    let edge = TestEdge::start(&site(origin.addr(), "", "")).await;
    assert_eq!(x_cache(&fetch(&edge, "/swr", &[]).await), "Miss from verge");
    origin.set(
        200,
        &[("cache-control", "max-age=60"), ("etag", "\"v2\"")],
        "v2",
    );

    let stale = fetch(&edge, "/swr", &[]).await;
    assert_eq!(
        (x_cache(&stale), stale.text().as_str()),
        ("Hit from verge", "v1")
    );
    eventually("the background refresh", || origin.count() == 2).await;
    assert_eq!(origin.origin.last().header("if-none-match"), Some("\"v1\""));
    settled(&edge).await;

    let fresh = fetch(&edge, "/swr", &[]).await;
    assert_eq!(
        (x_cache(&fresh), fresh.text().as_str()),
        ("Hit from verge", "v2")
    );
    assert_eq!(fresh.header("etag"), Some("\"v2\""));
    assert_eq!(origin.count(), 2, "exactly one background request");
}

#[tokio::test]
async fn a_background_304_freshens_the_stale_copy() {
    let origin = Scripted::start(
        200,
        &[
            ("cache-control", "max-age=0, stale-while-revalidate=30"),
            ("etag", "\"v1\""),
        ],
        "v1",
    )
    .await;
    let edge = TestEdge::start(&site(origin.addr(), "", "")).await;
    fetch(&edge, "/swr", &[]).await;
    origin.set(
        304,
        &[("cache-control", "max-age=60"), ("x-refreshed", "yes")],
        "",
    );

    let stale = fetch(&edge, "/swr", &[]).await;
    assert_eq!(stale.text(), "v1");
    assert_eq!(stale.header("x-refreshed"), None);
    eventually("the background refresh", || origin.count() == 2).await;
    settled(&edge).await;

    let fresh = fetch(&edge, "/swr", &[]).await;
    assert_eq!(
        (x_cache(&fresh), fresh.text().as_str()),
        ("Hit from verge", "v1")
    );
    assert_eq!(fresh.header("x-refreshed"), Some("yes"));
    assert_eq!(origin.count(), 2);
}

#[tokio::test]
async fn stale_while_revalidate_without_a_validator_refetches_in_the_background() {
    // The one test here that waits for an object to age: a one-second lifetime, polled.
    let origin = Scripted::start(
        200,
        &[("cache-control", "max-age=1, stale-while-revalidate=30")],
        "v1",
    )
    .await;
    let edge = TestEdge::start(&site(origin.addr(), "", "")).await;
    fetch(&edge, "/swr", &[]).await;
    origin.set(200, &[("cache-control", "max-age=60")], "v2");

    // Fresh hits until the copy is a second old; the first stale one starts the refresh.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(4);
    loop {
        let reply = fetch(&edge, "/swr", &[]).await;
        assert_eq!(
            (x_cache(&reply), reply.text().as_str()),
            ("Hit from verge", "v1")
        );
        if age(&reply) >= 1 {
            break;
        }
        assert_eq!(origin.count(), 1, "a fresh hit went to the origin");
        assert!(tokio::time::Instant::now() < deadline, "never went stale");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eventually("the background refresh", || origin.count() == 2).await;
    let refresh = origin.origin.last();
    assert_eq!(refresh.header("if-none-match"), None);
    assert_eq!(refresh.header("if-modified-since"), None);
    settled(&edge).await;

    let fresh = fetch(&edge, "/swr", &[]).await;
    assert_eq!(
        (x_cache(&fresh), fresh.text().as_str()),
        ("Hit from verge", "v2")
    );
    assert_eq!(origin.count(), 2);
}

/// An origin answering `cache_control` and `ETag: "v1"`, reached through a switch, with
/// `/error` and `/down` already stored.
async fn stored_behind_a_switch(cache_control: &str) -> (Scripted, Switch, TestEdge) {
    let origin = Scripted::start(
        200,
        &[("cache-control", cache_control), ("etag", "\"v1\"")],
        "v1",
    )
    .await;
    let switch = Switch::start(origin.addr()).await;
    let edge = TestEdge::start(&site(switch.addr, "", "")).await;
    for path in ["/error", "/down"] {
        assert_eq!(x_cache(&fetch(&edge, path, &[]).await), "Miss from verge");
    }
    (origin, switch, edge)
}

#[tokio::test]
async fn stale_if_error_serves_the_stale_copy_when_the_origin_fails() {
    let (origin, switch, edge) = stored_behind_a_switch("max-age=0, stale-if-error=60").await;

    origin.set(503, &[], "unavailable");
    let on_error = fetch(&edge, "/error", &[]).await;
    assert_eq!(origin.origin.last().header("if-none-match"), Some("\"v1\""));
    assert_eq!(on_error.status, 200);
    assert_eq!(on_error.text(), "v1");
    assert_eq!(x_cache(&on_error), "Hit from verge");

    switch.down();
    let unreachable = fetch(&edge, "/down", &[]).await;
    assert_eq!(unreachable.status, 200);
    assert_eq!(unreachable.text(), "v1");
    assert_eq!(
        origin.count(),
        3,
        "two fills and one validation reached the origin"
    );
}

#[tokio::test]
async fn without_stale_if_error_the_failure_reaches_the_viewer() {
    let (origin, switch, edge) = stored_behind_a_switch("max-age=0").await;

    origin.set(503, &[], "unavailable");
    let on_error = fetch(&edge, "/error", &[]).await;
    assert_eq!(on_error.status, 503);
    assert_eq!(on_error.text(), "unavailable");

    switch.down();
    let unreachable = fetch(&edge, "/down", &[]).await;
    assert_eq!(unreachable.status, 502);
    assert_eq!(x_cache(&unreachable), "Error from verge");

    // The viewer's own stale-if-error lets it take the stale copy (RFC 5861 §4).
    let lenient = fetch(&edge, "/down", &[("cache-control", "stale-if-error=60")]).await;
    assert_eq!(
        (lenient.status.as_u16(), lenient.text().as_str()),
        (200, "v1")
    );
}
