//! Invalidations through the admin API: by path prefix, exact path, everything, and cache
//! tag, in Verge's short JSON form and CloudFront's `InvalidationBatch` form; their status
//! afterwards; refused requests that remove nothing; and a few thousand objects at once.

mod support;

use std::time::{Duration, Instant};

use support::cache_ops::{
    admin_post, cache_state, get, json, metric, metrics_when, settled, storable_origin, x_cache,
};
use support::session::{H1Session, admin};
use support::{TestEdge, TestOrigin, distribution, h1, respond};

/// An edge with one distribution `site` for `site.test`, plus `extra` top-level tables.
async fn edge(origin: &TestOrigin, extra: &str) -> TestEdge {
    TestEdge::start(&format!(
        "{}{extra}",
        distribution("site", r#""site.test""#, origin.addr, "")
    ))
    .await
}

/// The `x-cache` result of a GET for `path`.
async fn result(edge: &TestEdge, path: &str) -> String {
    let reply = h1(edge.http(), get("site.test", path)).await;
    assert_eq!(reply.status, 200, "{path}");
    x_cache(&reply).to_owned()
}

/// Requests each path until it is served from the cache.
async fn store(edge: &TestEdge, paths: &[&str]) {
    for path in paths {
        assert_eq!(result(edge, path).await, "Miss from verge", "{path}");
        assert_eq!(result(edge, path).await, "Hit from verge", "{path}");
    }
}

/// Waits until no response is being stored, then invalidates as [`invalidate_now`] does.
async fn invalidate(edge: &TestEdge, body: &str) -> serde_json::Value {
    settled(edge).await;
    invalidate_now(edge, body).await
}

/// Posts an invalidation, expects it created, and returns its `invalidation` object.
async fn invalidate_now(edge: &TestEdge, body: &str) -> serde_json::Value {
    let reply = admin_post(edge.edge.admin_address(), "/invalidations", body).await;
    assert_eq!(reply.status, 201, "{body}: {}", reply.text());
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let invalidation = json(&reply)["invalidation"].clone();
    assert_eq!(invalidation["status"], "Completed", "{invalidation}");
    assert!(
        invalidation["id"].as_str().is_some_and(|id| !id.is_empty()),
        "{invalidation}"
    );
    invalidation
}

#[tokio::test]
async fn a_prefix_removes_what_it_covers_and_nothing_else() {
    let origin = storable_origin().await;
    let edge = edge(&origin, "").await;
    store(&edge, &["/img/a.png", "/img/b.png", "/index.html"]).await;
    assert_eq!(origin.count(), 3);

    let done = invalidate(&edge, r#"{"distribution": "site", "paths": ["/img/*"]}"#).await;
    assert_eq!(done["removed"], 2, "{done}");
    assert_eq!(done["distribution"], "site");
    assert_eq!(done["paths"], serde_json::json!(["/img/*"]));

    assert_eq!(result(&edge, "/img/a.png").await, "Miss from verge");
    assert_eq!(result(&edge, "/index.html").await, "Hit from verge");
    assert_eq!(result(&edge, "/img/a.png").await, "Hit from verge");
    assert_eq!(origin.count(), 4);

    // Its status stays available, alone and in the list.
    let id = done["id"].as_str().expect("id");
    let admin_addr = edge.edge.admin_address();
    let reply = admin(admin_addr, "GET", &format!("/invalidations/{id}")).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let reported = &json(&reply)["invalidation"];
    assert_eq!(reported["id"], id);
    assert_eq!(reported["status"], "Completed");
    assert_eq!(reported["removed"], 2);
    let listed = json(&admin(admin_addr, "GET", "/invalidations").await);
    assert_eq!(listed["invalidations"][0]["id"], id, "{listed}");
    let missing = admin(admin_addr, "GET", "/invalidations/INOPE").await;
    assert_eq!(missing.status, 404);

    let text = metrics_when(&edge, |_| true).await;
    assert_eq!(
        metric(&text, r#"verge_invalidations_total{result="completed"}"#),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        metric(&text, "verge_invalidated_objects_total"),
        Some(2.0),
        "{text}"
    );
}

#[tokio::test]
async fn exact_paths_and_everything() {
    let origin = storable_origin().await;
    let edge = edge(&origin, "").await;
    store(
        &edge,
        &["/a.html", "/a.html2", "/b/c.html", "/b/c.html?v=2"],
    )
    .await;

    let done = invalidate(&edge, r#"{"distribution": "site", "paths": ["/a.html"]}"#).await;
    assert_eq!(done["removed"], 1, "{done}");
    assert_eq!(result(&edge, "/a.html2").await, "Hit from verge");
    assert_eq!(result(&edge, "/a.html").await, "Miss from verge");

    // An exact path covers every query string stored under it.
    let done = invalidate(&edge, r#"{"distribution": "site", "paths": ["/b/c.html"]}"#).await;
    assert_eq!(done["removed"], 2, "{done}");
    assert_eq!(result(&edge, "/b/c.html?v=2").await, "Miss from verge");

    let done = invalidate(&edge, r#"{"distribution": "site", "paths": ["/*"]}"#).await;
    assert_eq!(done["removed"], 3, "{done}");
    for path in ["/a.html", "/a.html2", "/b/c.html?v=2"] {
        assert_eq!(result(&edge, path).await, "Miss from verge", "{path}");
    }
    support::session::eventually(Duration::from_secs(5), "stored again", || async {
        cache_state(&edge).await["memory"]["entries"] == 3
    })
    .await;

    // Newest first.
    let listed = json(&admin(edge.edge.admin_address(), "GET", "/invalidations").await);
    let paths: Vec<&serde_json::Value> = listed["invalidations"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|i| &i["paths"][0])
        .collect();
    assert_eq!(paths, ["/*", "/b/c.html", "/a.html"], "{listed}");
}

#[tokio::test]
async fn every_variant_of_a_path_goes() {
    let origin = TestOrigin::start(|seen| {
        let language = seen.header("accept-language").unwrap_or("none").to_owned();
        respond(
            200,
            &[("cache-control", "max-age=60"), ("vary", "accept-language")],
            language,
        )
    })
    .await;
    let edge = edge(&origin, "").await;
    let ask = async |language: &str| {
        let request = support::request("GET", "site.test", "/page")
            .header("accept-language", language)
            .body(http_body_util::Full::default())
            .expect("request");
        let reply = h1(edge.http(), request).await;
        assert_eq!(reply.text(), language);
        x_cache(&reply).to_owned()
    };
    for language in ["en", "fr"] {
        assert_eq!(ask(language).await, "Miss from verge");
        assert_eq!(ask(language).await, "Hit from verge");
    }

    let done = invalidate(&edge, r#"{"distribution": "site", "paths": ["/page"]}"#).await;
    assert_eq!(done["removed"], 2, "{done}");
    for language in ["en", "fr"] {
        assert_eq!(ask(language).await, "Miss from verge");
        assert_eq!(ask(language).await, "Hit from verge");
    }
}

#[tokio::test]
async fn tags_remove_exactly_the_tagged_objects() {
    let origin = TestOrigin::start(|seen| {
        let tags = match seen.uri.path() {
            "/p/7" => "product-7, list",
            "/p/8" => "product-8",
            "/list" => "list",
            _ => "",
        };
        respond(
            200,
            &[("cache-control", "max-age=60"), ("cache-tag", tags)],
            seen.uri.path().to_owned(),
        )
    })
    .await;
    let edge = edge(&origin, "").await;
    store(&edge, &["/p/7", "/p/8", "/list", "/untagged"]).await;

    let done = invalidate(&edge, r#"{"distribution": "site", "tags": ["product-7"]}"#).await;
    assert_eq!(done["removed"], 1, "{done}");
    assert_eq!(done["tags"], serde_json::json!(["product-7"]));
    assert_eq!(result(&edge, "/list").await, "Hit from verge");
    assert_eq!(result(&edge, "/p/8").await, "Hit from verge");
    assert_eq!(result(&edge, "/p/7").await, "Miss from verge");

    let done = invalidate(&edge, r#"{"distribution": "site", "tags": ["list"]}"#).await;
    assert_eq!(done["removed"], 2, "/p/7 again and /list: {done}");
    assert_eq!(result(&edge, "/p/8").await, "Hit from verge");
    assert_eq!(result(&edge, "/untagged").await, "Hit from verge");
    assert_eq!(result(&edge, "/list").await, "Miss from verge");
}

#[tokio::test]
async fn the_tag_header_is_configurable() {
    let origin = TestOrigin::start(|seen| {
        respond(
            200,
            &[
                ("cache-control", "max-age=60"),
                ("surrogate-key", "a"),
                ("cache-tag", "b"),
            ],
            seen.uri.path().to_owned(),
        )
    })
    .await;
    let edge = edge(&origin, "\n[cache]\ntag_header = \"surrogate-key\"\n").await;
    store(&edge, &["/x"]).await;

    let done = invalidate(&edge, r#"{"distribution": "site", "tags": ["b"]}"#).await;
    assert_eq!(done["removed"], 0, "{done}");
    let done = invalidate(&edge, r#"{"distribution": "site", "tags": ["a"]}"#).await;
    assert_eq!(done["removed"], 1, "{done}");
    assert_eq!(result(&edge, "/x").await, "Miss from verge");
}

#[tokio::test]
async fn cloudfront_invalidation_batches_work() {
    let origin = storable_origin().await;
    let edge = edge(&origin, "").await;
    store(&edge, &["/img/a.png", "/img/b.png", "/index.html"]).await;

    let body = r#"{
        "DistributionId": "site",
        "InvalidationBatch": {
            "CallerReference": "deploy-42",
            "Paths": {"Quantity": 2, "Items": ["/img/a.png", "/index.html"]}
        }
    }"#;
    let done = invalidate(&edge, body).await;
    assert_eq!(done["removed"], 2, "{done}");
    assert_eq!(
        done["paths"],
        serde_json::json!(["/img/a.png", "/index.html"])
    );
    assert_eq!(result(&edge, "/img/b.png").await, "Hit from verge");
    assert_eq!(result(&edge, "/img/a.png").await, "Miss from verge");
    assert_eq!(result(&edge, "/index.html").await, "Miss from verge");
}

#[tokio::test]
async fn bad_requests_are_refused_and_remove_nothing() {
    let origin = storable_origin().await;
    let edge = edge(&origin, "").await;
    let paths = ["/img/a.png", "/index.html"];
    store(&edge, &paths).await;
    let admin_addr = edge.edge.admin_address();

    let bad = [
        ("not JSON", "{\"distribution\": "),
        ("not an object", "[\"/*\"]"),
        (
            "unknown distribution",
            r#"{"distribution": "nope", "paths": ["/*"]}"#,
        ),
        (
            "no leading slash",
            r#"{"distribution": "site", "paths": ["img/*"]}"#,
        ),
        (
            "star in the middle",
            r#"{"distribution": "site", "paths": ["/img/*/a.png"]}"#,
        ),
        (
            "nothing to remove",
            r#"{"distribution": "site", "paths": [], "tags": []}"#,
        ),
        ("no paths or tags", r#"{"distribution": "site"}"#),
        ("no distribution", r#"{"paths": ["/*"]}"#),
        ("an empty tag", r#"{"distribution": "site", "tags": [""]}"#),
        (
            "an unknown field",
            r#"{"distribution": "site", "paths": ["/*"], "recursive": true}"#,
        ),
        (
            "an empty batch",
            r#"{"DistributionId": "site", "InvalidationBatch": {"Paths": {"Quantity": 0}}}"#,
        ),
    ];
    for (what, body) in bad {
        let reply = admin_post(admin_addr, "/invalidations", body).await;
        assert_eq!(reply.status, 400, "{what}: {}", reply.text());
        assert_eq!(reply.header("content-type"), Some("application/json"));
        let error = json(&reply)["error"].clone();
        assert!(
            error.as_str().is_some_and(|e| !e.is_empty()),
            "{what}: {error}"
        );
    }

    let huge = format!(
        r#"{{"distribution": "site", "paths": ["/{}"]}}"#,
        "a".repeat(1 << 20)
    );
    let reply = admin_post(admin_addr, "/invalidations", &huge).await;
    assert_eq!(reply.status, 400, "a body over 1 MiB: {}", reply.text());

    for path in paths {
        assert_eq!(result(&edge, path).await, "Hit from verge", "{path}");
    }
    assert_eq!(origin.count(), 2);
    let listed = json(&admin(admin_addr, "GET", "/invalidations").await);
    assert_eq!(listed["invalidations"], serde_json::json!([]), "{listed}");
    let text = metrics_when(&edge, |_| true).await;
    assert_eq!(
        metric(&text, r#"verge_invalidations_total{result="rejected"}"#),
        Some(bad.len() as f64 + 1.0),
        "{text}"
    );
    assert_eq!(
        metric(&text, "verge_invalidated_objects_total"),
        Some(0.0),
        "{text}"
    );
    let wrong_method = admin(admin_addr, "PUT", "/invalidations").await;
    assert_eq!(wrong_method.status, 405);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_objects_go_at_once() {
    const OBJECTS: usize = 2_000;
    const VIEWERS: usize = 4;
    let origin = storable_origin().await;
    let edge = edge(&origin, "").await;

    let started = Instant::now();
    let mut viewers = Vec::new();
    for viewer in 0..VIEWERS {
        let addr = edge.http();
        viewers.push(tokio::spawn(async move {
            let mut session = H1Session::connect(addr).await;
            for i in (viewer..OBJECTS).step_by(VIEWERS) {
                let reply = session
                    .send(get("site.test", &format!("/many/{i}")))
                    .await
                    .expect("reply");
                assert_eq!(reply.status, 200);
            }
        }));
    }
    for viewer in viewers {
        viewer.await.expect("viewer");
    }
    store(&edge, &["/kept"]).await;
    let filled = started.elapsed();
    support::session::eventually(Duration::from_secs(5), "every object stored", || async {
        let state = cache_state(&edge).await;
        state["memory"]["entries"].as_u64() == Some(OBJECTS as u64 + 1)
    })
    .await;

    let started = Instant::now();
    let done = invalidate(&edge, r#"{"distribution": "site", "paths": ["/many/*"]}"#).await;
    let took = started.elapsed();
    println!(
        "invalidated {} objects (memory and disk tiers) in {took:?} as the admin client saw it, \
         {} ms inside the edge; filling took {filled:?}",
        done["removed"], done["duration_ms"]
    );
    assert_eq!(done["removed"], OBJECTS, "{done}");
    let state = cache_state(&edge).await;
    assert_eq!(state["memory"]["entries"], 1, "{state}");
    assert_eq!(state["disk"]["entries"], 1, "{state}");
    assert_eq!(result(&edge, "/kept").await, "Hit from verge");
    assert_eq!(result(&edge, "/many/1234").await, "Miss from verge");
}

#[tokio::test]
async fn a_path_with_a_query_string_removes_that_version() {
    let origin = storable_origin().await;
    let edge = edge(&origin, "").await;
    let versions = [
        "/image.jpg?parameter1=a",
        "/image.jpg?parameter1=b",
        "/image.jpg",
    ];
    store(&edge, &versions).await;

    // CloudFront's form for one query string version of a file.
    let body = r#"{"distribution": "site", "paths": ["/image.jpg?parameter1=a"]}"#;
    let done = invalidate(&edge, body).await;
    assert_eq!(done["removed"], 1, "{done}");
    assert_eq!(
        result(&edge, "/image.jpg?parameter1=b").await,
        "Hit from verge"
    );
    assert_eq!(result(&edge, "/image.jpg").await, "Hit from verge");
    assert_eq!(
        result(&edge, "/image.jpg?parameter1=a").await,
        "Miss from verge"
    );

    let body = r#"{"distribution": "site", "paths": ["/image.jpg?parameter1=*"]}"#;
    let done = invalidate(&edge, body).await;
    assert_eq!(done["removed"], 2, "{done}");
    assert_eq!(result(&edge, "/image.jpg").await, "Hit from verge");
    assert_eq!(
        result(&edge, "/image.jpg?parameter1=b").await,
        "Miss from verge"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_fetched_before_an_invalidation_is_not_stored_after_it() {
    let gate = support::cache_ops::Gate::new();
    let origin = TestOrigin::start_async({
        let gate = gate.clone();
        move |_| {
            let gate = gate.clone();
            async move {
                let (mut sender, body) = support::origin::channel_body();
                tokio::spawn(async move {
                    let _ = sender.send_data(bytes::Bytes::from_static(b"old ")).await;
                    gate.wait().await;
                    let _ = sender.send_data(bytes::Bytes::from_static(b"page")).await;
                });
                let mut response = support::origin::respond_streamed(200, body);
                response.headers_mut().insert(
                    "cache-control",
                    http::HeaderValue::from_static("max-age=60"),
                );
                response
            }
        }
    })
    .await;
    let edge = edge(&origin, "").await;

    let mut viewer = H1Session::connect(edge.http()).await;
    let head = viewer
        .send_head(get("site.test", "/doc"))
        .await
        .expect("head");
    let done = invalidate_now(&edge, r#"{"distribution": "site", "paths": ["/doc"]}"#).await;
    assert_eq!(done["removed"], 0, "{done}");
    gate.open();
    let reply = support::session::collect(head).await.expect("body");
    assert_eq!(reply.text(), "old page");

    // Whatever the fill was doing, it ends before the key is free again.
    settled(&edge).await;
    assert_eq!(result(&edge, "/doc").await, "Miss from verge");
    assert_eq!(origin.count(), 2);
}
