//! Where the cache keeps objects: the disk tier survives a restart (variants and tags
//! included), objects too large for memory live on disk only and stream from there, objects
//! over `max_object_size` pass through unstored, and the tiers can be turned off.

mod support;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use support::cache_ops::{
    admin_post, cache_section, cache_state, get, json, metric, metrics_when, restart,
    storable_origin, x_cache,
};
use support::origin::{OriginBody, channel_body, respond_streamed};
use support::{Reply, TestEdge, TestOrigin, distribution, h1, request, respond};

/// `len` bytes that differ from one offset to the next, so a misplaced chunk shows.
fn pattern(len: usize) -> Bytes {
    (0..len).map(|i| (i % 251) as u8).collect()
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

async fn fetch(edge: &TestEdge, path: &str) -> Reply {
    let reply = h1(edge.http(), get("site.test", path)).await;
    assert_eq!(reply.status, 200, "{path}: {}", reply.text());
    reply
}

/// A response streaming `body` in 64 KiB chunks without a length, fresh for a minute.
fn streamed(body: Bytes) -> http::Response<OriginBody> {
    let (mut sender, channel) = channel_body();
    tokio::spawn(async move {
        for chunk in body.chunks(64 << 10) {
            if sender.send_data(body.slice_ref(chunk)).await.is_err() {
                return;
            }
        }
    });
    let mut response = respond_streamed(200, channel);
    response.headers_mut().insert(
        "cache-control",
        http::HeaderValue::from_static("max-age=60"),
    );
    response
}

#[tokio::test]
async fn the_disk_tier_survives_a_restart() {
    let origin = TestOrigin::start(|seen| {
        let language = seen.header("accept-language").unwrap_or("none").to_owned();
        let (vary, tag) = match seen.uri.path() {
            "/page" => ("accept-language", "pages"),
            _ => ("origin", "files"),
        };
        respond(
            200,
            &[
                ("cache-control", "max-age=60"),
                ("vary", vary),
                ("cache-tag", tag),
            ],
            format!("{} {language}", seen.uri.path()),
        )
    })
    .await;
    let edge = edge(&origin, r#"disk_size = "64MiB""#).await;
    let page = |language: &str| {
        request("GET", "site.test", "/page")
            .header("accept-language", language)
            .body(Full::default())
            .expect("request")
    };
    assert_eq!(x_cache(&fetch(&edge, "/file.txt").await), "Miss from verge");
    assert_eq!(x_cache(&fetch(&edge, "/file.txt").await), "Hit from verge");
    assert_eq!(
        x_cache(&h1(edge.http(), page("en")).await),
        "Miss from verge"
    );
    assert_eq!(
        x_cache(&h1(edge.http(), page("en")).await),
        "Hit from verge"
    );
    assert_eq!(origin.count(), 2);

    let edge = restart(edge).await;
    let state = cache_state(&edge).await;
    assert_eq!(state["disk"]["entries"], 2, "{state}");
    assert_eq!(state["memory"]["entries"], 0, "{state}");
    let text = metrics_when(&edge, |_| true).await;
    assert_eq!(
        metric(&text, r#"verge_cache_entries{tier="disk"}"#),
        Some(2.0),
        "{text}"
    );
    let file = fetch(&edge, "/file.txt").await;
    assert_eq!(x_cache(&file), "Hit from verge");
    assert_eq!(file.text(), "/file.txt none");
    assert_eq!(file.header("vary"), Some("origin"));
    let english = h1(edge.http(), page("en")).await;
    assert_eq!(
        x_cache(&english),
        "Hit from verge",
        "the variant is found again"
    );
    assert_eq!(english.text(), "/page en");
    assert_eq!(origin.count(), 2, "the origin was not asked again");
    let french = h1(edge.http(), page("fr")).await;
    assert_eq!(x_cache(&french), "Miss from verge");
    assert_eq!(french.text(), "/page fr");

    // Tags were kept on disk too.
    let reply = admin_post(
        edge.edge.admin_address(),
        "/invalidations",
        r#"{"distribution": "site", "tags": ["files"]}"#,
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert_eq!(json(&reply)["invalidation"]["removed"], 1);
    assert_eq!(x_cache(&fetch(&edge, "/file.txt").await), "Miss from verge");
    assert_eq!(
        x_cache(&h1(edge.http(), page("en")).await),
        "Hit from verge"
    );

    // What an invalidation removed does not come back with the next restart.
    let reply = admin_post(
        edge.edge.admin_address(),
        "/invalidations",
        r#"{"distribution": "site", "paths": ["/page"]}"#,
    )
    .await;
    assert_eq!(
        json(&reply)["invalidation"]["removed"],
        2,
        "{}",
        reply.text()
    );
    let edge = restart(edge).await;
    assert_eq!(
        x_cache(&h1(edge.http(), page("en")).await),
        "Miss from verge"
    );
    assert_eq!(
        x_cache(&h1(edge.http(), page("fr")).await),
        "Miss from verge"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_memory_evicted_are_served_from_disk() {
    let origin = TestOrigin::start(|seen| {
        let mut body = vec![b'.'; 10_000];
        let path = seen.uri.path().as_bytes();
        body[..path.len()].copy_from_slice(path);
        respond(200, &[("cache-control", "max-age=600")], body)
    })
    .await;
    let edge = edge(&origin, "memory_size = \"1MiB\"\ndisk_size = \"64MiB\"").await;
    let mut viewer = support::session::H1Session::connect(edge.http()).await;
    for i in 0..300 {
        let reply = viewer
            .send(get("site.test", &format!("/obj/{i}")))
            .await
            .expect("reply");
        assert_eq!(x_cache(&reply), "Miss from verge");
    }
    support::session::eventually(
        std::time::Duration::from_secs(5),
        "all stored on disk",
        || async { cache_state(&edge).await["disk"]["entries"] == 300 },
    )
    .await;
    let state = cache_state(&edge).await;
    assert!(
        state["memory"]["evictions"].as_u64().is_some_and(|n| n > 0),
        "{state}"
    );

    let first = fetch(&edge, "/obj/0").await;
    assert_eq!(x_cache(&first), "Hit from verge", "served from disk");
    assert!(first.body.starts_with(b"/obj/0.."));
    assert_eq!(first.body.len(), 10_000);
    assert_eq!(origin.count(), 300);
    let state = cache_state(&edge).await;
    assert!(
        state["disk"]["hits"].as_u64().is_some_and(|n| n >= 1),
        "{state}"
    );
}

#[tokio::test]
async fn bytes_read_from_disk_count_for_the_disk_tier() {
    let origin = storable_origin().await;
    let edge = edge(&origin, r#"disk_size = "64MiB""#).await;
    assert_eq!(x_cache(&fetch(&edge, "/a").await), "Miss from verge");
    let edge = restart(edge).await;
    assert_eq!(x_cache(&fetch(&edge, "/a").await), "Hit from verge");
    let text = metrics_when(&edge, |_| true).await;
    assert_eq!(
        metric(
            &text,
            r#"verge_cache_served_bytes_total{distribution="site",tier="disk"}"#
        ),
        Some("stored /a".len() as f64),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_too_large_for_memory_stream_from_disk() {
    const LEN: usize = 3_000_000;
    let body = pattern(LEN);
    let served = body.clone();
    let origin = TestOrigin::start_async(move |_| {
        let body = served.clone();
        async move { streamed(body) }
    })
    .await;
    let cache = r#"
memory_size = "8MiB"
memory_max_object_size = "1MiB"
max_object_size = "16MiB"
disk_size = "64MiB"
"#;
    let edge = edge(&origin, cache).await;

    let miss = fetch(&edge, "/video.mp4").await;
    assert_eq!(x_cache(&miss), "Miss from verge");
    assert!(
        miss.body == body,
        "the viewer got {} bytes",
        miss.body.len()
    );
    let hit = fetch(&edge, "/video.mp4").await;
    assert_eq!(x_cache(&hit), "Hit from verge");
    assert!(hit.body == body, "the hit had {} bytes", hit.body.len());
    assert_eq!(hit.header("content-length"), Some("3000000"));
    assert_eq!(origin.count(), 1);

    let state = cache_state(&edge).await;
    assert_eq!(state["memory"]["entries"], 0, "{state}");
    assert_eq!(state["disk"]["entries"], 1, "{state}");
    let text = metrics_when(&edge, |_| true).await;
    assert_eq!(
        metric(
            &text,
            r#"verge_cache_served_bytes_total{distribution="site",tier="disk"}"#
        ),
        Some(LEN as f64),
        "{text}"
    );

    // A range from the middle is read from the file at its offset.
    let ranged = h1(
        edge.http(),
        request("GET", "site.test", "/video.mp4")
            .header("range", "bytes=1000000-1000099")
            .body(Full::default())
            .expect("request"),
    )
    .await;
    assert_eq!(ranged.status, 206);
    assert_eq!(ranged.body, body.slice(1_000_000..1_000_100));
    assert_eq!(origin.count(), 1);
}

#[tokio::test]
async fn objects_over_the_size_limit_pass_through() {
    const LEN: usize = 2_000_000;
    let body = pattern(LEN);
    let served = body.clone();
    let origin = TestOrigin::start_async(move |seen| {
        let body = served.clone();
        async move {
            if seen.uri.path() == "/sized" {
                respond(200, &[("cache-control", "max-age=60")], body).map(BodyExt::boxed)
            } else {
                streamed(body)
            }
        }
    })
    .await;
    let edge = edge(&origin, "max_object_size = \"1MiB\"").await;

    for path in ["/sized", "/streamed"] {
        for _ in 0..2 {
            let reply = fetch(&edge, path).await;
            assert_eq!(x_cache(&reply), "Miss from verge", "{path}");
            assert!(reply.body == body, "{path}: {} bytes", reply.body.len());
        }
    }
    assert_eq!(origin.count(), 4);
    let state = cache_state(&edge).await;
    assert_eq!(state["memory"]["entries"], 0, "{state}");
    assert_eq!(state["disk"]["entries"], 0, "{state}");
    assert_eq!(state["in_flight"], 0, "{state}");
}

#[tokio::test]
async fn a_memory_only_cache() {
    let origin = TestOrigin::start(|seen| {
        let body = match seen.uri.path() {
            "/big" => pattern(200_000),
            path => Bytes::from(format!("stored {path}")),
        };
        respond(200, &[("cache-control", "max-age=60")], body)
    })
    .await;
    let edge = edge(&origin, "memory_size = \"1MiB\"\ndisk_size = 0").await;
    assert_eq!(x_cache(&fetch(&edge, "/a").await), "Miss from verge");
    let hit = fetch(&edge, "/a").await;
    assert_eq!(x_cache(&hit), "Hit from verge");
    assert_eq!(hit.text(), "stored /a");
    assert_eq!(origin.count(), 1);

    let state = cache_state(&edge).await;
    assert_eq!(state["enabled"], true);
    assert!(state["disk"].is_null(), "{state}");
    assert_eq!(state["memory"]["entries"], 1, "{state}");
    assert!(
        !edge.dir.path().join("data").join("cache").exists(),
        "no disk tier directory"
    );

    // Over an eighth of the memory tier, with no disk tier to take it: not stored.
    for _ in 0..2 {
        let big = fetch(&edge, "/big").await;
        assert_eq!(x_cache(&big), "Miss from verge");
        assert!(big.body == pattern(200_000));
    }
    assert_eq!(origin.count(), 3);
    assert_eq!(cache_state(&edge).await["in_flight"], 0);
}

#[tokio::test]
async fn without_tiers_everything_comes_from_the_origin() {
    let origin = storable_origin().await;
    let edge = edge(&origin, "memory_size = 0\ndisk_size = 0").await;
    for _ in 0..3 {
        let reply = fetch(&edge, "/a").await;
        assert_eq!(x_cache(&reply), "Miss from verge");
        assert_eq!(reply.text(), "stored /a");
    }
    assert_eq!(origin.count(), 3);

    let state = cache_state(&edge).await;
    assert_eq!(state["enabled"], false, "{state}");
    let reply = admin_post(
        edge.edge.admin_address(),
        "/invalidations",
        r#"{"distribution": "site", "paths": ["/*"]}"#,
    )
    .await;
    assert_eq!(reply.status, 409, "{}", reply.text());
    assert!(json(&reply)["error"].is_string());
    let text = metrics_when(&edge, |_| true).await;
    let counted = text
        .lines()
        .filter(|l| l.starts_with("verge_cache_lookups_total{"))
        .any(|l| !l.ends_with(" 0"));
    assert!(!counted, "no cache, no lookups: {text}");
}

/// Every entry file under the disk tier's directory (temporary files left out).
fn entry_files(edge: &TestEdge) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                if !path.ends_with("tmp") {
                    walk(&path, out);
                }
            } else {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&edge.dir.path().join("data").join("cache"), &mut files);
    files
}

#[tokio::test]
async fn a_corrupt_entry_is_dropped_not_served() {
    let origin = storable_origin().await;
    let edge = edge(&origin, r#"disk_size = "64MiB""#).await;
    assert_eq!(x_cache(&fetch(&edge, "/a").await), "Miss from verge");
    assert_eq!(x_cache(&fetch(&edge, "/a").await), "Hit from verge");
    support::cache_ops::settled(&edge).await;
    let files = entry_files(&edge);
    assert_eq!(files.len(), 1, "{files:?}");

    // The body comes first in the file: flip its first byte.
    let mut bytes = std::fs::read(&files[0]).expect("entry file");
    assert_eq!(&bytes[..9], b"stored /a");
    bytes[0] ^= 0x20;
    std::fs::write(&files[0], &bytes).expect("rewrite");

    let edge = restart(edge).await;
    let reply = fetch(&edge, "/a").await;
    assert_eq!(reply.text(), "stored /a", "the corrupt body was served");
    assert_eq!(x_cache(&reply), "Miss from verge");
    assert_eq!(origin.count(), 2);
    assert_eq!(x_cache(&fetch(&edge, "/a").await), "Hit from verge");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_smaller_disk_tier_after_a_restart_keeps_the_newest_objects() {
    let origin = TestOrigin::start(|seen| {
        let mut body = vec![b'.'; 100_000];
        let path = seen.uri.path().as_bytes();
        body[..path.len()].copy_from_slice(path);
        respond(200, &[("cache-control", "max-age=600")], body)
    })
    .await;
    let edge = edge(&origin, r#"disk_size = "64MiB""#).await;
    for i in 0..20 {
        assert_eq!(
            x_cache(&fetch(&edge, &format!("/obj/{i}")).await),
            "Miss from verge"
        );
        // One at a time, so the files' times follow the order they were stored in.
        support::cache_ops::settled(&edge).await;
    }
    assert_eq!(cache_state(&edge).await["disk"]["entries"], 20);

    edge.rewrite(&format!(
        "{}{}",
        distribution("site", r#""site.test""#, origin.addr, ""),
        cache_section(r#"disk_size = "1MiB""#)
    ));
    let edge = restart(edge).await;
    let state = cache_state(&edge).await;
    let disk = &state["disk"];
    assert!(
        disk["bytes"].as_u64().is_some_and(|b| b <= 1 << 20),
        "{state}"
    );
    let kept = disk["entries"].as_u64().expect("entries");
    assert!((1..20).contains(&kept), "{state}");
    assert_eq!(
        entry_files(&edge).len() as u64,
        kept,
        "evicted files are deleted"
    );
    let newest = fetch(&edge, "/obj/19").await;
    assert_eq!(x_cache(&newest), "Hit from verge", "{state}");
    assert!(newest.body.starts_with(b"/obj/19.."));
    assert_eq!(x_cache(&fetch(&edge, "/obj/0").await), "Miss from verge");
}
