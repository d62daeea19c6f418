//! What JA3 and JA4 add to an HTTPS connection, on a real rustls ClientHello (X25519MLKEM768
//! key share, so about 1.5 KB): the record scan run on each read until the hello is whole,
//! and the fingerprints, computed once per connection when a web ACL first asks.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use rustls::pki_types::ServerName;
use verge_edge::tls::fingerprint::{Fingerprints, progress};

/// The records a rustls client sends first.
fn client_hello() -> Vec<u8> {
    let mut config = rustls::ClientConfig::builder_with_provider(verge_edge::tls::provider())
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let name = ServerName::try_from("shop.example.com".to_owned()).expect("a name");
    let mut client = rustls::ClientConnection::new(Arc::new(config), name).expect("a client");
    let mut records = Vec::new();
    client.write_tls(&mut records).expect("a hello");
    records
}

fn fingerprint(c: &mut Criterion) {
    let records = client_hello();
    let prints = Fingerprints::of_records(&records).expect("fingerprints");
    println!("fingerprint: {} bytes, JA4 {}", records.len(), prints.ja4);

    c.bench_function("fingerprint/record_scan", |b| {
        b.iter(|| progress(black_box(&records)))
    });
    c.bench_function("fingerprint/ja3_and_ja4", |b| {
        b.iter(|| Fingerprints::of_records(black_box(&records)))
    });
}

criterion_group!(benches, fingerprint);
criterion_main!(benches);
