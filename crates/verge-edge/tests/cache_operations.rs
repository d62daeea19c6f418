//! The cache as an operator runs it: concurrent misses collapse into one origin request
//! (and stop waiting when the answer cannot be stored, or after `collapse_timeout`), the
//! memory tier stays within its size and keeps hot objects through a scan, and hits show in
//! the metrics and the access log.

mod support;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::BodyExt;
use support::cache_ops::{
    Gate, cache_section, cache_state, get, metric, metrics_when, storable_origin, x_cache,
};
use support::origin::{channel_body, respond_streamed};
use support::session::H1Session;
use support::{Reply, TestEdge, TestOrigin, distribution, h1, h2c, respond};

/// `len` bytes that differ from one offset to the next, so a misplaced chunk shows.
fn pattern(len: usize) -> Bytes {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// An origin that holds its first request until `gate` opens and answers every later one at
/// once, always with `cache_control` and `body`.
async fn held_first(gate: Gate, cache_control: &'static str, body: Bytes) -> TestOrigin {
    let first = Arc::new(AtomicBool::new(true));
    TestOrigin::start_async(move |_| {
        let hold = first.swap(false, Ordering::SeqCst);
        let gate = gate.clone();
        let body = body.clone();
        async move {
            if hold {
                gate.wait().await;
            }
            respond(200, &[("cache-control", cache_control)], body).map(BodyExt::boxed)
        }
    })
    .await
}

/// An edge with one distribution `site` for `site.test` and the `[cache]` lines given.
async fn edge(origin: &TestOrigin, cache: &str) -> TestEdge {
    TestEdge::start(&format!(
        "{}{}",
        distribution("site", r#""site.test""#, origin.addr, ""),
        cache_section(cache)
    ))
    .await
}

const COLLAPSED: &str = r#"verge_cache_collapsed_requests_total{distribution="site"}"#;

/// Waits until `followers` requests wait for the one the origin holds; fails at once if a
/// second request reaches the origin.
async fn until_collapsed(edge: &TestEdge, origin: &TestOrigin, followers: usize) {
    metrics_when(edge, |text| {
        assert!(origin.count() <= 1, "a follower reached the origin");
        metric(text, COLLAPSED) == Some(followers as f64)
    })
    .await;
}

/// Sends `count` concurrent GETs for `path`, each on its own HTTP/1.1 connection.
fn viewers(edge: &TestEdge, path: &str, count: usize) -> Vec<tokio::task::JoinHandle<Reply>> {
    (0..count)
        .map(|_| {
            let addr = edge.http();
            let path = path.to_owned();
            tokio::spawn(async move { h1(addr, get("site.test", &path)).await })
        })
        .collect()
}

/// Sends `count` concurrent GETs for `path`, each on its own h2c connection.
fn h2_viewers(edge: &TestEdge, path: &str, count: usize) -> Vec<tokio::task::JoinHandle<Reply>> {
    (0..count)
        .map(|_| {
            let addr = edge.http();
            let path = path.to_owned();
            tokio::spawn(async move { h2c(addr, get("site.test", &path)).await })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_misses_make_one_origin_request() {
    const VIEWERS: usize = 20;
    let gate = Gate::new();
    let body = pattern(200_000);
    let origin = held_first(gate.clone(), "max-age=60", body.clone()).await;
    let edge = edge(&origin, r#"collapse_timeout = "30s""#).await;

    let viewers = viewers(&edge, "/big.bin", VIEWERS);
    until_collapsed(&edge, &origin, VIEWERS - 1).await;
    gate.open();

    let mut results: HashMap<String, usize> = HashMap::new();
    for viewer in viewers {
        let reply = viewer.await.expect("viewer task");
        assert_eq!(reply.status, 200);
        assert!(
            reply.body == body,
            "a viewer got {} bytes",
            reply.body.len()
        );
        *results.entry(x_cache(&reply).to_owned()).or_default() += 1;
    }
    assert_eq!(origin.count(), 1, "one origin request for all viewers");
    assert_eq!(results.get("Miss from verge"), Some(&1), "{results:?}");
    assert_eq!(
        results.get("Hit from verge"),
        Some(&(VIEWERS - 1)),
        "{results:?}"
    );

    let text = metrics_when(&edge, |_| true).await;
    assert_eq!(
        metric(&text, COLLAPSED),
        Some((VIEWERS - 1) as f64),
        "{text}"
    );
    assert_eq!(
        x_cache(&h1(edge.http(), get("site.test", "/big.bin")).await),
        "Hit from verge"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_viewers_collapse_too() {
    const VIEWERS: usize = 10;
    let gate = Gate::new();
    let origin = held_first(gate.clone(), "max-age=60", pattern(50_000)).await;
    let edge = edge(&origin, r#"collapse_timeout = "30s""#).await;

    let viewers = h2_viewers(&edge, "/h2.bin", VIEWERS);
    until_collapsed(&edge, &origin, VIEWERS - 1).await;
    gate.open();
    for viewer in viewers {
        let reply = viewer.await.expect("viewer task");
        assert_eq!(reply.body.len(), 50_000);
    }
    assert_eq!(origin.count(), 1);
}

#[tokio::test]
async fn http1_and_http2_viewers_share_stored_objects() {
    let origin = storable_origin().await;
    let edge = edge(&origin, "").await;
    assert_eq!(
        x_cache(&h1(edge.http(), get("site.test", "/shared")).await),
        "Miss from verge"
    );
    let reply = h2c(edge.http(), get("site.test", "/shared")).await;
    assert_eq!(x_cache(&reply), "Hit from verge");
    assert_eq!(origin.count(), 1);
}

/// The leader's answer turns out not storable: its followers go to the origin at once.
async fn uncacheable_answer_releases_the_waiters(cache_control: &'static str) {
    const VIEWERS: usize = 10;
    let gate = Gate::new();
    let origin = held_first(gate.clone(), cache_control, Bytes::from_static(b"personal")).await;
    let edge = edge(&origin, r#"collapse_timeout = "30s""#).await;

    let viewers = viewers(&edge, "/account", VIEWERS);
    until_collapsed(&edge, &origin, VIEWERS - 1).await;
    let released = Instant::now();
    gate.open();

    for viewer in viewers {
        let reply = tokio::time::timeout(Duration::from_secs(10), viewer)
            .await
            .expect("the waiters did not wait for collapse_timeout")
            .expect("viewer task");
        assert_eq!(reply.status, 200);
        assert_eq!(reply.text(), "personal");
        assert_eq!(x_cache(&reply), "Miss from verge");
    }
    let waited = released.elapsed();
    assert!(
        waited < Duration::from_secs(5),
        "{cache_control}: the waiters took {waited:?}"
    );
    assert_eq!(
        origin.count(),
        VIEWERS,
        "every waiter asked the origin itself"
    );
    let state = cache_state(&edge).await;
    assert_eq!(state["memory"]["entries"], 0, "{state}");
    assert_eq!(state["in_flight"], 0, "{state}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_no_store_answer_releases_the_waiters_at_once() {
    uncacheable_answer_releases_the_waiters("no-store").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_answer_releases_the_waiters_at_once() {
    uncacheable_answer_releases_the_waiters("private, max-age=60").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiters_give_up_after_the_collapse_timeout() {
    const FOLLOWERS: usize = 5;
    let gate = Gate::new();
    // Only the held answer may be stored: a follower that gives up late must not find what
    // an earlier one fetched.
    let first = Arc::new(AtomicBool::new(true));
    let origin = TestOrigin::start_async({
        let gate = gate.clone();
        move |_| {
            let hold = first.swap(false, Ordering::SeqCst);
            let gate = gate.clone();
            async move {
                let cache_control = if hold {
                    gate.wait().await;
                    "max-age=60"
                } else {
                    "no-store"
                };
                respond(200, &[("cache-control", cache_control)], "slow").map(BodyExt::boxed)
            }
        }
    })
    .await;
    let edge = edge(&origin, r#"collapse_timeout = "200ms""#).await;

    let leader = viewers(&edge, "/slow", 1);
    support::session::eventually(
        Duration::from_secs(5),
        "the origin holds the leader",
        || {
            let seen = origin.count() == 1;
            async move { seen }
        },
    )
    .await;
    let started = Instant::now();
    let followers = viewers(&edge, "/slow", FOLLOWERS);
    for follower in followers {
        let reply = tokio::time::timeout(Duration::from_secs(5), follower)
            .await
            .expect("a follower waited past its timeout")
            .expect("viewer task");
        assert_eq!(reply.status, 200);
        assert_eq!(reply.text(), "slow");
    }
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(200),
        "waited only {waited:?}"
    );
    assert_eq!(
        origin.count(),
        1 + FOLLOWERS,
        "the followers went to the origin themselves"
    );
    assert!(!gate.is_open(), "the leader is still held");
    let text = metrics_when(&edge, |_| true).await;
    assert_eq!(metric(&text, COLLAPSED), Some(FOLLOWERS as f64), "{text}");

    gate.open();
    let reply = leader
        .into_iter()
        .next()
        .expect("leader")
        .await
        .expect("task");
    assert_eq!(reply.text(), "slow");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_leaving_mid_body_releases_the_waiters() {
    const FOLLOWERS: usize = 5;
    let gate = Gate::new();
    let first = Arc::new(AtomicBool::new(true));
    let origin = TestOrigin::start_async({
        let gate = gate.clone();
        move |_| {
            let hold = first.swap(false, Ordering::SeqCst);
            let gate = gate.clone();
            async move {
                let (mut sender, body) = channel_body();
                tokio::spawn(async move {
                    let _ = sender.send_data(Bytes::from_static(b"part one, ")).await;
                    if hold {
                        gate.wait().await;
                    }
                    let _ = sender.send_data(Bytes::from_static(b"part two")).await;
                });
                let mut response = respond_streamed(200, body);
                response.headers_mut().insert(
                    "cache-control",
                    http::HeaderValue::from_static("max-age=60"),
                );
                response
            }
        }
    })
    .await;
    let edge = edge(&origin, r#"collapse_timeout = "30s""#).await;

    let mut leader = H1Session::connect(edge.http()).await;
    let head = leader
        .send_head(get("site.test", "/feed"))
        .await
        .expect("head");
    let mut body = head.into_body();
    let first = body.frame().await.expect("a frame").expect("data");
    assert_eq!(first.into_data().expect("data"), "part one, ");
    let followers = viewers(&edge, "/feed", FOLLOWERS);
    until_collapsed(&edge, &origin, FOLLOWERS).await;

    let left = Instant::now();
    leader.connection.abort();
    drop(body);
    for follower in followers {
        let reply = tokio::time::timeout(Duration::from_secs(10), follower)
            .await
            .expect("the waiters did not wait for collapse_timeout")
            .expect("viewer task");
        assert_eq!(reply.text(), "part one, part two");
    }
    let waited = left.elapsed();
    assert!(
        waited < Duration::from_secs(5),
        "the waiters took {waited:?}"
    );
    // Released waiters fetch again; those that arrive together may collapse among
    // themselves, so the origin sees between one and FOLLOWERS requests more.
    let fetched = origin.count();
    assert!(
        (2..=1 + FOLLOWERS).contains(&fetched),
        "origin requests: {fetched}"
    );
    gate.open();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_stays_bounded_and_keeps_the_hot_object_through_a_scan() {
    let origin = TestOrigin::start(|seen| {
        let mut body = vec![b'.'; 10_000];
        let path = seen.uri.path().as_bytes();
        body[..path.len()].copy_from_slice(path);
        respond(200, &[("cache-control", "max-age=600")], body)
    })
    .await;
    let edge = edge(&origin, "memory_size = \"1MiB\"\ndisk_size = 0").await;
    let mut viewer = H1Session::connect(edge.http()).await;
    let mut send = async |path: &str| viewer.send(get("site.test", path)).await.expect("reply");

    assert_eq!(x_cache(&send("/hot").await), "Miss from verge");
    for _ in 0..3 {
        let reply = send("/hot").await;
        assert_eq!(x_cache(&reply), "Hit from verge");
        assert!(reply.body.starts_with(b"/hot.."));
    }
    for i in 0..300 {
        let path = format!("/scan/{i}");
        let reply = send(&path).await;
        assert_eq!(reply.body.len(), 10_000);
        assert_eq!(x_cache(&reply), "Miss from verge", "{path}");
    }
    let hot = send("/hot").await;
    assert_eq!(
        x_cache(&hot),
        "Hit from verge",
        "the scan pushed out the hot object"
    );
    assert_eq!(origin.count(), 301);

    let state = cache_state(&edge).await;
    let memory = &state["memory"];
    let bytes = memory["bytes"].as_u64().expect("bytes");
    assert!(bytes <= 1 << 20, "{state}");
    assert!(bytes > 512 << 10, "the tier is used: {state}");
    assert!(
        memory["evictions"].as_u64().is_some_and(|n| n > 0),
        "{state}"
    );
    assert!(state["disk"].is_null(), "{state}");
    assert_eq!(x_cache(&send("/scan/0").await), "Miss from verge");
    let text = metrics_when(&edge, |_| true).await;
    assert!(
        metric(&text, r#"verge_cache_evictions_total{tier="memory"}"#).is_some_and(|n| n > 0.0),
        "{text}"
    );
    assert!(
        metric(&text, r#"verge_cache_bytes{tier="memory"}"#).is_some_and(|n| n <= 1048576.0),
        "{text}"
    );
}

#[tokio::test]
async fn stored_objects_outlive_a_reload() {
    let origin = storable_origin().await;
    let edge = edge(&origin, "").await;
    assert_eq!(
        x_cache(&h1(edge.http(), get("site.test", "/kept")).await),
        "Miss from verge"
    );
    assert_eq!(
        x_cache(&h1(edge.http(), get("site.test", "/kept")).await),
        "Hit from verge"
    );

    let reply = support::session::admin(edge.edge.admin_address(), "POST", "/reload").await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let hit = h1(edge.http(), get("site.test", "/kept")).await;
    assert_eq!(x_cache(&hit), "Hit from verge");
    assert_eq!(hit.text(), "stored /kept");
    assert_eq!(origin.count(), 1);
}

/// The access log's records once `expected` are there.
async fn log_records(edge: &TestEdge, path: &Path, expected: usize) -> Vec<String> {
    let started = Instant::now();
    loop {
        edge.edge.state().access_log.flush().await;
        let lines: Vec<String> = std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect();
        if lines.iter().filter(|l| !l.starts_with('#')).count() >= expected {
            return lines;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "access log records missing: {lines:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn hits_and_misses_show_in_metrics_and_the_access_log() {
    let logs = tempfile::tempdir().expect("temp dir");
    let log = logs.path().join("access.log");
    let origin = storable_origin().await;
    let edge = TestEdge::start(&format!(
        "{}\n[logging]\naccess_log = \"{}\"\n",
        distribution("site", r#""site.test""#, origin.addr, ""),
        log.display()
    ))
    .await;

    let miss = h1(edge.http(), get("site.test", "/m")).await;
    let hit = h1(edge.http(), get("site.test", "/m")).await;
    assert_eq!(x_cache(&miss), "Miss from verge");
    assert_eq!(x_cache(&hit), "Hit from verge");
    assert_eq!(hit.text(), "stored /m");
    assert_eq!(origin.count(), 1);

    let lookups = r#"verge_cache_lookups_total{distribution="site",result="#;
    let text = metrics_when(&edge, |text| {
        metric(text, &format!(r#"{lookups}"hit"}}"#)) == Some(1.0)
    })
    .await;
    assert_eq!(
        metric(&text, &format!(r#"{lookups}"miss"}}"#)),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        metric(
            &text,
            r#"verge_cache_served_bytes_total{distribution="site",tier="memory"}"#
        ),
        Some("stored /m".len() as f64),
        "{text}"
    );
    assert!(
        metric(&text, r#"verge_cache_entries{tier="memory"}"#).is_some_and(|n| n >= 1.0),
        "{text}"
    );
    assert!(
        metric(&text, r#"verge_cache_bytes{tier="memory"}"#).is_some_and(|n| n > 0.0),
        "{text}"
    );
    assert_eq!(
        metric(
            &text,
            r#"verge_requests_total{distribution="site",status_class="2xx",cache_result="Hit"}"#
        ),
        Some(1.0),
        "{text}"
    );

    let lines = log_records(&edge, &log, 2).await;
    let names: Vec<&str> = lines[1]
        .trim_start_matches("#Fields: ")
        .split(' ')
        .collect();
    let field = |reply: &Reply, name: &str| -> String {
        let id = reply.header("x-verge-request-id").expect("request id");
        let record: Vec<&str> = lines
            .iter()
            .map(|l| l.split('\t').collect::<Vec<&str>>())
            .find(|r| r.contains(&id))
            .unwrap_or_else(|| panic!("no record for {id}: {lines:?}"));
        let index = names.iter().position(|n| *n == name).expect("field");
        record[index].to_owned()
    };
    assert_eq!(field(&miss, "x-edge-result-type"), "Miss");
    assert_eq!(field(&hit, "x-edge-result-type"), "Hit");
    assert_eq!(field(&hit, "x-edge-response-result-type"), "Hit");
    assert_eq!(field(&hit, "sc-status"), "200");
}
