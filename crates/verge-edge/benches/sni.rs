//! The SNI certificate index at fleet scale: building it from a million tenant names and ten
//! thousand wildcards, and the cost of one handshake's lookup (exact hit, wildcard hit, miss).

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use rustls::sign::CertifiedKey;
use verge_edge::tls::{SniResolver, provider, self_signed_key};

const EXACT_NAMES: usize = 1_000_000;
const WILDCARDS: usize = 10_000;
const KEYS: usize = 4;

/// Tenants share a few certificates, as SAN certificates covering many names do.
fn build(keys: &[Arc<CertifiedKey>], default: Arc<CertifiedKey>) -> SniResolver {
    let mut resolver = SniResolver::with_capacity(default, EXACT_NAMES + WILDCARDS);
    for i in 0..EXACT_NAMES {
        let key = keys[i % keys.len()].clone();
        resolver
            .add(&format!("tenant{i}.example.com"), key)
            .expect("a valid name");
    }
    for i in 0..WILDCARDS {
        let key = keys[i % keys.len()].clone();
        resolver
            .add(&format!("*.zone{i}.example.net"), key)
            .expect("a valid wildcard");
    }
    resolver
}

fn sni(c: &mut Criterion) {
    let provider = provider();
    let key = |_| self_signed_key(&provider, None).expect("a self-signed key");
    let keys: Vec<Arc<CertifiedKey>> = (0..KEYS).map(key).collect();
    let default = key(KEYS);

    let started = Instant::now();
    let resolver = build(&keys, default.clone());
    println!(
        "sni: built an index of {} names in {:.2?}",
        resolver.len(),
        started.elapsed()
    );

    let exact = Some("tenant654321.example.com");
    let wildcard = Some("www.zone4321.example.net");
    let miss = Some("tenant654321.example.org");
    assert!(Arc::ptr_eq(&resolver.lookup(exact), &keys[654_321 % KEYS]));
    assert!(Arc::ptr_eq(&resolver.lookup(wildcard), &keys[4321 % KEYS]));
    assert!(Arc::ptr_eq(&resolver.lookup(miss), &default));

    let mut group = c.benchmark_group("sni_lookup");
    group.bench_function("exact", |b| b.iter(|| resolver.lookup(black_box(exact))));
    group.bench_function("wildcard", |b| {
        b.iter(|| resolver.lookup(black_box(wildcard)))
    });
    group.bench_function("miss", |b| b.iter(|| resolver.lookup(black_box(miss))));
    group.finish();
}

criterion_group!(benches, sni);
criterion_main!(benches);
