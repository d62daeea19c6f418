//! Tiered caching across real edge nodes on loopback: edge POPs send misses to a regional
//! parent chosen by rendezvous hashing, the parent goes through the origin's shield, the
//! shield to the origin; N edges missing one object make one origin request, tier hits show
//! as `OriginShieldHit`, and a viewer cannot forge the tier marker.

mod support;

use std::net::SocketAddr;

use support::cache_ops::{get, storable_origin, x_cache};
use support::{TestEdge, h1, h2c};

const SECRET: &str = "tier-secret-0123456789";

/// The shared distribution: one origin behind the shield `shield1` at `shield`.
fn site(origin: SocketAddr, shield: SocketAddr, tiers: &str) -> String {
    format!(
        r#"
[tiers]
secret = "{SECRET}"
{tiers}

[[distributions]]
id = "shop"
domains = ["shop.test"]
default_cache_behavior = {{ target_origin = "o1" }}

[[distributions.origins]]
id = "o1"
domain_name = "{ip}"
http_port = {port}
protocol_policy = "http-only"
origin_shield = {{ pop = "shield1", address = "{shield}" }}
"#,
        ip = origin.ip(),
        port = origin.port(),
    )
}

/// A shield, a regional parent and two edge POPs in front of `origin`.
async fn deployment(origin: SocketAddr) -> (TestEdge, TestEdge, TestEdge, TestEdge) {
    // The shield's own address is not in its config: a node skips tiers named after its POP.
    let unused: SocketAddr = ([127, 0, 0, 1], 9).into();
    let shield = TestEdge::start_as("shield1", &site(origin, unused, "")).await;
    let regional = TestEdge::start_as("reg1", &site(origin, shield.http(), "")).await;
    let parents = format!(
        "parents = [{{ pop = \"reg1\", address = \"{}\" }}]",
        regional.http()
    );
    let edge_a = TestEdge::start_as("edge-a", &site(origin, shield.http(), &parents)).await;
    let edge_b = TestEdge::start_as("edge-b", &site(origin, shield.http(), &parents)).await;
    (shield, regional, edge_a, edge_b)
}

#[tokio::test]
async fn edges_share_one_origin_request_through_their_parent_and_the_shield() {
    let origin = storable_origin().await;
    let (shield, regional, edge_a, edge_b) = deployment(origin.addr).await;

    let first = h1(edge_a.http(), get("shop.test", "/logo.png")).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.text(), "stored /logo.png");
    assert_eq!(x_cache(&first), "Miss from verge");
    let via = first.header("via").unwrap_or_default();
    for pop in ["shield1", "reg1", "edge-a"] {
        assert!(via.contains(pop), "via {via} lacks {pop}");
    }

    // The other edge misses locally and is served by the parent's cache.
    let second = h2c(edge_b.http(), get("shop.test", "/logo.png")).await;
    assert_eq!(second.text(), "stored /logo.png");
    assert_eq!(x_cache(&second), "OriginShieldHit from verge");
    // Then both edges hit locally.
    for edge in [&edge_a, &edge_b] {
        let again = h1(edge.http(), get("shop.test", "/logo.png")).await;
        assert_eq!(x_cache(&again), "Hit from verge");
    }
    assert_eq!(origin.seen().len(), 1, "one origin request for two edges");

    // The origin saw the shield, never the marker or its secret.
    let seen = origin.last();
    assert!(seen.header("x-verge-tier").is_none());
    assert!(!format!("{:?}", seen.headers).contains(SECRET));
    drop((shield, regional));
}

#[tokio::test]
async fn concurrent_misses_on_many_edges_make_one_origin_request() {
    let origin = storable_origin().await;
    let (_shield, _regional, edge_a, edge_b) = deployment(origin.addr).await;
    let mut viewers = Vec::new();
    for n in 0..20 {
        let edge = if n % 2 == 0 {
            edge_a.http()
        } else {
            edge_b.http()
        };
        viewers.push(tokio::spawn(h1(edge, get("shop.test", "/video.mp4"))));
    }
    for viewer in viewers {
        let reply = viewer.await.expect("viewer");
        assert_eq!(reply.status, 200);
        assert_eq!(reply.text(), "stored /video.mp4");
    }
    assert_eq!(origin.seen().len(), 1);
}

#[tokio::test]
async fn an_edge_without_parents_goes_through_the_shield() {
    let origin = storable_origin().await;
    let unused: SocketAddr = ([127, 0, 0, 1], 9).into();
    let shield = TestEdge::start_as("shield1", &site(origin.addr, unused, "")).await;
    let edge_a = TestEdge::start_as("edge-a", &site(origin.addr, shield.http(), "")).await;
    let edge_b = TestEdge::start_as("edge-b", &site(origin.addr, shield.http(), "")).await;

    assert_eq!(
        x_cache(&h1(edge_a.http(), get("shop.test", "/a")).await),
        "Miss from verge"
    );
    let b = h1(edge_b.http(), get("shop.test", "/a")).await;
    assert_eq!(x_cache(&b), "OriginShieldHit from verge");
    assert_eq!(origin.seen().len(), 1);
}

#[tokio::test]
async fn an_unreachable_parent_is_skipped() {
    let origin = storable_origin().await;
    let closed = support::fixtures::closed_port();
    let parents = format!("parents = [{{ pop = \"reg1\", address = \"127.0.0.1:{closed}\" }}]");
    let shield: SocketAddr = ([127, 0, 0, 1], closed).into();
    let edge = TestEdge::start_as("edge-a", &site(origin.addr, shield, &parents)).await;
    let reply = h1(edge.http(), get("shop.test", "/x")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text(), "stored /x");
    assert_eq!(origin.seen().len(), 1);
}

#[tokio::test]
async fn a_forged_tier_marker_is_not_trusted() {
    let origin = storable_origin().await;
    let unused: SocketAddr = ([127, 0, 0, 1], 9).into();
    let shield = TestEdge::start_as("shield1", &site(origin.addr, unused, "")).await;
    // A viewer claiming to be a tier hop with a wrong token and a huge hop count is served
    // as a viewer, and the marker never reaches the origin.
    let forged = support::request("GET", "shop.test", "/y")
        .header("x-verge-tier", "hops=9; pop=evil; token=guess")
        .body(Default::default())
        .expect("request");
    let reply = h1(shield.http(), forged).await;
    assert_eq!(reply.status, 200);
    assert!(origin.last().header("x-verge-tier").is_none());

    // With the right token but past max_hops, it is refused as a loop.
    let looping = support::request("GET", "shop.test", "/z")
        .header("x-verge-tier", format!("hops=9; pop=x; token={SECRET}"))
        .body(Default::default())
        .expect("request");
    assert_eq!(h1(shield.http(), looping).await.status, 508);
}
