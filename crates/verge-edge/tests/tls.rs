//! TLS end to end: the viewer's certificate chosen by SNI, ALPN, TLS versions and key
//! exchange groups, certificate errors at start, HTTPS origins (verification and HTTP/2),
//! and keep-alive connections to origins.

mod support;

use std::path::Path;

use bytes::Bytes;
use http::Version;
use http_body_util::Full;
use rustls::crypto::aws_lc_rs::kx_group;
use support::client::{Offer, tls_with};
use support::tls::{TlsOrigin, pem_certificate, self_signed};
use support::{NODE, TestEdge, TestOrigin, distribution, h1, h2_tls, request};
use verge_edge::{ConfigSource, Edge, EdgeError};

fn get(host: &str, path: &str) -> http::Request<Full<Bytes>> {
    request("GET", host, path)
        .body(Full::default())
        .expect("request")
}

/// Starts an edge from a whole config text, keeping `dir` (which holds the PEM files).
async fn start_in(dir: tempfile::TempDir, config: &str) -> Result<TestEdge, EdgeError> {
    let config_path = dir.path().join("verge.toml");
    std::fs::write(&config_path, config).expect("write config");
    let source = ConfigSource::File(config_path.clone());
    let edge = Edge::start(source, Some(dir.path().join("data"))).await?;
    Ok(TestEdge {
        edge,
        dir,
        config_path,
    })
}

/// A `[[certificates]]` entry.
fn certificate(domains: &str, cert: &Path, key: &Path) -> String {
    format!(
        "\n[[certificates]]\ndomains = [{domains}]\ncert = \"{}\"\nkey = \"{}\"\n",
        cert.display(),
        key.display()
    )
}

/// A distribution for `site.test` whose only origin is described by `origin` (TOML lines).
fn site(origin: &str) -> String {
    format!(
        r#"
[[distributions]]
id = "site"
domains = ["site.test"]
default_cache_behavior = {{ target_origin = "o1" }}

[[distributions.origins]]
id = "o1"
{origin}
"#
    )
}

/// Origin lines for the TLS origin reached as `localhost` over HTTPS.
fn https_origin(origin: &TlsOrigin, extra: &str) -> String {
    format!(
        "domain_name = \"localhost\"\nprotocol_policy = \"https-only\"\nhttps_port = {}\n{extra}",
        origin.addr.port()
    )
}

#[tokio::test]
async fn sni_picks_the_certificate() {
    let dir = tempfile::tempdir().expect("temp dir");
    let shop = self_signed(dir.path(), "shop", &["shop.example.com"]);
    let blog = self_signed(dir.path(), "blog", &["*.blog.example.com"]);
    let origin = TestOrigin::hello().await;
    let config = format!(
        "{NODE}{}{}{}",
        certificate(r#""shop.example.com""#, &shop.cert, &shop.key),
        certificate(r#""*.blog.example.com""#, &blog.cert, &blog.key),
        distribution(
            "all",
            r#""shop.example.com", "*.blog.example.com""#,
            origin.addr,
            ""
        )
    );
    let edge = start_in(dir, &config).await.expect("edge starts");
    let default = pem_certificate(&edge.dir.path().join("data/tls/self-signed.crt"));

    let reply = h2_tls(
        edge.https(),
        "shop.example.com",
        get("shop.example.com", "/"),
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.peer_certificate.as_ref(), Some(&shop.der));

    let reply = h2_tls(
        edge.https(),
        "en.blog.example.com",
        get("en.blog.example.com", "/"),
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.peer_certificate.as_ref(), Some(&blog.der));

    let reply = h2_tls(
        edge.https(),
        "EN.Blog.Example.COM",
        get("en.blog.example.com", "/"),
    )
    .await;
    assert_eq!(
        reply.peer_certificate.as_ref(),
        Some(&blog.der),
        "names match in any case"
    );

    let reply = h2_tls(
        edge.https(),
        "a.en.blog.example.com",
        get("shop.example.com", "/"),
    )
    .await;
    assert_eq!(
        reply.peer_certificate.as_ref(),
        Some(&default),
        "a wildcard covers one label"
    );

    let reply = h2_tls(
        edge.https(),
        "unknown.example.org",
        get("unknown.example.org", "/"),
    )
    .await;
    assert_eq!(
        reply.peer_certificate.as_ref(),
        Some(&default),
        "unknown names get the default"
    );
    assert_eq!(reply.status, 421, "and no distribution answers them");

    let reply = h2_tls(edge.https(), "127.0.0.1", get("shop.example.com", "/")).await;
    assert_eq!(
        reply.peer_certificate.as_ref(),
        Some(&default),
        "no SNI gets the default"
    );
}

#[tokio::test]
async fn default_certificate_survives_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let config_path = dir.path().join("verge.toml");
    std::fs::write(&config_path, NODE).expect("write config");
    let source = ConfigSource::File(config_path);

    let first = Edge::start(source.clone(), Some(data.clone()))
        .await
        .expect("edge starts");
    let before = h2_tls(
        first.https_address().expect("https"),
        "a.test",
        get("a.test", "/"),
    )
    .await;
    first.drain(std::time::Duration::from_secs(5)).await;
    let second = Edge::start(source, Some(data.clone()))
        .await
        .expect("edge restarts");
    let after = h2_tls(
        second.https_address().expect("https"),
        "a.test",
        get("a.test", "/"),
    )
    .await;

    let stored = pem_certificate(&data.join("tls/self-signed.crt"));
    assert_eq!(before.peer_certificate.as_ref(), Some(&stored));
    assert_eq!(after.peer_certificate.as_ref(), Some(&stored));
}

#[tokio::test]
async fn alpn_chooses_http2_or_http1() {
    let origin = TestOrigin::hello().await;
    let edge = TestEdge::start(&distribution("site", r#""site.test""#, origin.addr, "")).await;

    let both = tls_with(
        edge.https(),
        "site.test",
        &Offer::default(),
        get("site.test", "/"),
    )
    .await
    .expect("handshake");
    assert_eq!((both.status.as_u16(), both.version), (200, Version::HTTP_2));

    let http1 = Offer {
        alpn: vec![b"http/1.1".to_vec()],
        ..Offer::default()
    };
    let reply = tls_with(edge.https(), "site.test", &http1, get("site.test", "/")).await;
    let reply = reply.expect("handshake");
    assert_eq!(
        (reply.status.as_u16(), reply.version),
        (200, Version::HTTP_11)
    );
    assert_eq!(reply.text(), "hello from origin");

    let no_alpn = Offer {
        alpn: Vec::new(),
        ..Offer::default()
    };
    let reply = tls_with(edge.https(), "site.test", &no_alpn, get("site.test", "/")).await;
    let reply = reply.expect("handshake");
    assert_eq!(
        (reply.status.as_u16(), reply.version),
        (200, Version::HTTP_11)
    );
}

#[tokio::test]
async fn key_exchange_prefers_post_quantum() {
    let origin = TestOrigin::hello().await;
    let edge = TestEdge::start(&distribution("site", r#""site.test""#, origin.addr, "")).await;

    let reply = h2_tls(edge.https(), "site.test", get("site.test", "/")).await;
    let expected = ("TLSv1_3".to_owned(), "Some(X25519MLKEM768)".to_owned());
    assert_eq!(
        reply.tls,
        Some(expected),
        "a default rustls client gets X25519MLKEM768"
    );

    let x25519 = Offer {
        groups: Some(vec![kx_group::X25519]),
        ..Offer::default()
    };
    let reply = tls_with(edge.https(), "site.test", &x25519, get("site.test", "/")).await;
    let reply = reply.expect("an X25519-only client connects");
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.tls,
        Some(("TLSv1_3".to_owned(), "Some(X25519)".to_owned()))
    );
}

#[tokio::test]
async fn tls12_is_refused_below_a_13_floor() {
    let origin = TestOrigin::hello().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let config = format!(
        "{NODE}\n[[listeners]]\naddress = \"127.0.0.1:0\"\ntls = true\nmin_tls_version = \"1.3\"\n{}",
        distribution("site", r#""site.test""#, origin.addr, "")
    );
    let edge = start_in(dir, &config).await.expect("edge starts");
    let default_listener = edge.https();
    let strict = edge.edge.listeners()[2];
    assert!(strict.tls && strict.address != default_listener);

    let tls12 = Offer {
        versions: vec![&rustls::version::TLS12],
        ..Offer::default()
    };
    let reply = tls_with(default_listener, "site.test", &tls12, get("site.test", "/")).await;
    let reply = reply.expect("TLS 1.2 is accepted by default");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.tls.as_ref().map(|t| t.0.as_str()), Some("TLSv1_2"));

    let refused = tls_with(strict.address, "site.test", &tls12, get("site.test", "/")).await;
    let error = refused.expect_err("TLS 1.2 is refused with min_tls_version = 1.3");
    assert!(error.contains("ProtocolVersion"), "{error}");

    let reply = tls_with(
        strict.address,
        "site.test",
        &Offer::default(),
        get("site.test", "/"),
    )
    .await
    .expect("TLS 1.3 is accepted");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.tls.as_ref().map(|t| t.0.as_str()), Some("TLSv1_3"));
}

/// Starts an edge whose one certificate is `cert`/`key` and returns the start error.
async fn start_error(dir: tempfile::TempDir, cert: &Path, key: &Path) -> String {
    let config = format!("{NODE}{}", certificate(r#""shop.example.com""#, cert, key));
    match start_in(dir, &config).await {
        Ok(_) => panic!(
            "an edge with {} and {} must not start",
            cert.display(),
            key.display()
        ),
        Err(error) => error.to_string(),
    }
}

#[tokio::test]
async fn mismatched_key_is_refused_at_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    let shop = self_signed(dir.path(), "shop", &["shop.example.com"]);
    let other = self_signed(dir.path(), "other", &["other.example.com"]);

    let error = start_error(dir, &shop.cert, &other.key).await;
    assert!(
        error.contains(&other.key.display().to_string()),
        "names the key file: {error}"
    );
    assert!(
        error.contains(&shop.cert.display().to_string()),
        "names the certificate: {error}"
    );
    assert!(error.contains("does not match"), "{error}");
}

#[tokio::test]
async fn missing_or_empty_pem_is_refused_at_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    let shop = self_signed(dir.path(), "shop", &["shop.example.com"]);
    let missing = dir.path().join("missing.crt");
    let error = start_error(dir, &missing, &shop.key).await;
    assert!(
        error.contains(&missing.display().to_string()),
        "names the file: {error}"
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let shop = self_signed(dir.path(), "shop", &["shop.example.com"]);
    let missing = dir.path().join("missing.key");
    let error = start_error(dir, &shop.cert, &missing).await;
    assert!(
        error.contains(&missing.display().to_string()),
        "names the file: {error}"
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let shop = self_signed(dir.path(), "shop", &["shop.example.com"]);
    let error = start_error(dir, &shop.key, &shop.key).await;
    assert!(
        error.contains(&shop.key.display().to_string()),
        "names the file: {error}"
    );
    assert!(error.contains("no CERTIFICATE"), "{error}");
}

#[tokio::test]
async fn https_origin_trusted_by_ca_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let origin = TlsOrigin::start(dir.path()).await;
    let ca = format!("ca_file = \"{}\"", origin.cert.cert.display());
    let edge = start_in(dir, &format!("{NODE}{}", site(&https_origin(&origin, &ca)))).await;
    let edge = edge.expect("edge starts");

    let reply = h1(edge.http(), get("site.test", "/page")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text(), "hello over tls");
    let handshake = origin.handshakes().pop().expect("a TLS connection");
    assert_eq!(handshake.version, "TLSv1_3");
    assert_eq!(handshake.sni.as_deref(), Some("localhost"));
    let seen = origin.seen().pop().expect("a request");
    assert_eq!((seen.uri.path(), seen.version), ("/page", Version::HTTP_11));
}

#[tokio::test]
async fn https_origin_without_verification() {
    let dir = tempfile::tempdir().expect("temp dir");
    let origin = TlsOrigin::start(dir.path()).await;
    let lines = format!(
        "domain_name = \"127.0.0.1\"\nprotocol_policy = \"https-only\"\nhttps_port = {}\ntls_verify = false",
        origin.addr.port()
    );
    let edge = start_in(dir, &format!("{NODE}{}", site(&lines)))
        .await
        .expect("edge starts");

    let reply = h1(edge.http(), get("site.test", "/")).await;
    assert_eq!(
        reply.status, 200,
        "a certificate for `localhost` is accepted for 127.0.0.1"
    );
    assert_eq!(reply.text(), "hello over tls");
}

#[tokio::test]
async fn untrusted_https_origin_is_a_502() {
    let dir = tempfile::tempdir().expect("temp dir");
    let origin = TlsOrigin::start(dir.path()).await;
    let edge = start_in(dir, &format!("{NODE}{}", site(&https_origin(&origin, "")))).await;
    let edge = edge.expect("edge starts");

    let reply = h1(edge.http(), get("site.test", "/")).await;
    assert_eq!(reply.status, 502);
    assert_eq!(reply.header("x-cache"), Some("Error from verge"));
    assert!(
        origin.seen().is_empty(),
        "no request is sent over an unverified connection"
    );
    assert!(origin.handshakes().is_empty());
    assert!(origin.failed_handshakes() >= 1);
}

#[tokio::test]
async fn http2_to_origins() {
    let dir = tempfile::tempdir().expect("temp dir");
    let secure = TlsOrigin::start(dir.path()).await;
    let plain = TestOrigin::hello().await;
    let ca = format!(
        "ca_file = \"{}\"\nhttp_version = \"http2\"",
        secure.cert.cert.display()
    );
    let config = format!(
        r#"{NODE}{}
[[distributions]]
id = "plain"
domains = ["plain.test"]
default_cache_behavior = {{ target_origin = "o1" }}

[[distributions.origins]]
id = "o1"
domain_name = "127.0.0.1"
http_port = {}
protocol_policy = "http-only"
http_version = "http2"
"#,
        site(&https_origin(&secure, &ca)),
        plain.addr.port()
    );
    let edge = start_in(dir, &config).await.expect("edge starts");

    let reply = h1(edge.http(), get("site.test", "/tls")).await;
    assert_eq!(reply.status, 200);
    let handshake = secure.handshakes().pop().expect("a TLS connection");
    assert_eq!(
        (handshake.version.as_str(), handshake.alpn.as_deref()),
        ("TLSv1_3", Some("h2"))
    );
    assert_eq!(
        secure.seen().pop().expect("a request").version,
        Version::HTTP_2
    );

    let reply = h1(edge.http(), get("plain.test", "/h2c")).await;
    assert_eq!(reply.status, 200);
    let seen = plain.last();
    assert_eq!(
        (seen.uri.path(), seen.version),
        ("/h2c", Version::HTTP_2),
        "h2c to a plain origin"
    );
}

#[tokio::test]
async fn origin_connections_are_kept_alive() {
    for version in ["http1.1", "http2"] {
        let dir = tempfile::tempdir().expect("temp dir");
        let origin = TlsOrigin::start(dir.path()).await;
        let lines = format!(
            "ca_file = \"{}\"\nhttp_version = \"{version}\"",
            origin.cert.cert.display()
        );
        let edge = start_in(
            dir,
            &format!("{NODE}{}", site(&https_origin(&origin, &lines))),
        )
        .await;
        let edge = edge.expect("edge starts");

        for i in 0..20 {
            let reply = h1(edge.http(), get("site.test", &format!("/{i}"))).await;
            assert_eq!(reply.status, 200, "{version} request {i}");
        }
        assert_eq!(origin.seen().len(), 20);
        assert_eq!(
            origin.accepted(),
            1,
            "{version}: 20 requests on one origin connection"
        );
    }
}
