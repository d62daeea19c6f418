//! Benchmarks of the storage tiers: memory `get` hit latency and insert throughput, the
//! store's `get` (memory hit plus the disk tier's use count), disk insert throughput; then
//! two measurements printed rather than timed: hit ratios of S3-FIFO against LRU, and the
//! memory overhead per stored object (`VERGE_BENCH_TIMINGS_ONLY=1` skips those two).

#[path = "tiers/hit_ratio.rs"]
mod hit_ratio;
#[path = "tiers/lru.rs"]
mod lru;
#[path = "tiers/overhead.rs"]
mod overhead;
#[path = "tiers/zipf.rs"]
mod zipf;

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use criterion::{BatchSize, Criterion, Throughput};
use http::HeaderMap;
use http::header::CONTENT_TYPE;
use verge_cache::Meta;
use verge_cache::store::{MemoryTier, Store, StoreConfig, entry_charge};

/// Metadata like the edge stores: one header, one tag.
pub fn meta(key: &str) -> Meta {
    let mut headers = HeaderMap::new();
    headers.insert(
        CONTENT_TYPE,
        "application/javascript".parse().expect("valid value"),
    );
    Meta {
        key: key.to_owned(),
        status: 200,
        headers,
        request_time: SystemTime::UNIX_EPOCH,
        response_time: SystemTime::UNIX_EPOCH,
        initial_age: Duration::ZERO,
        fresh_for: Duration::from_secs(3600),
        stale_while_revalidate: Duration::ZERO,
        stale_if_error: Duration::ZERO,
        must_revalidate: false,
        no_cache: false,
        tags: vec!["assets".to_owned()],
        body_len: 0,
    }
}

const ENTRIES: usize = 100_000;
const BODY: usize = 1024;

fn key(i: usize) -> String {
    format!("https://example.com/static/{i:08}.js")
}

/// A memory tier holding `ENTRIES` 1 KiB entries, and their keys in random order.
fn full_tier() -> (Arc<MemoryTier>, Vec<String>) {
    let charge = entry_charge(&meta(&key(0)), BODY as u64);
    let tier = Arc::new(MemoryTier::new(charge * ENTRIES as u64 * 2));
    let mut keys: Vec<String> = (0..ENTRIES).map(key).collect();
    for key in &keys {
        let _ = tier.insert(meta(key), Bytes::from(vec![0; BODY]));
    }
    fastrand::Rng::with_seed(3).shuffle(&mut keys);
    assert_eq!(tier.len(), ENTRIES);
    (tier, keys)
}

fn memory(c: &mut Criterion) {
    let (tier, keys) = full_tier();
    let mut group = c.benchmark_group("memory");
    group.throughput(Throughput::Elements(1));

    let mut i = 0;
    group.bench_function("get_hit_100k_1KiB", |b| {
        b.iter(|| {
            i = (i + 1) % keys.len();
            black_box(tier.get(&keys[i]))
        })
    });
    group.bench_function("get_miss", |b| {
        b.iter(|| black_box(tier.get("https://example.com/none")))
    });

    // The floor for a lookup in a map this size (cache misses dominate): a plain `HashMap`.
    let baseline: HashMap<String, (Arc<Meta>, Bytes)> = keys
        .iter()
        .map(|key| {
            (
                key.clone(),
                (Arc::new(meta(key)), Bytes::from(vec![0; BODY])),
            )
        })
        .collect();
    group.bench_function("baseline_hashmap_get_100k", |b| {
        b.iter(|| {
            i = (i + 1) % keys.len();
            black_box(
                baseline
                    .get(&keys[i])
                    .map(|(meta, body)| (meta.clone(), body.clone())),
            )
        })
    });
    drop(baseline);

    // A working set that fits in the CPU caches: the tier's own cost per hit.
    let hot = &keys[..1_000];
    group.bench_function("get_hit_1k_in_cpu_cache", |b| {
        b.iter(|| {
            i = (i + 1) % hot.len();
            black_box(tier.get(&hot[i]))
        })
    });

    // Two threads hitting at once: time per get, as seen by each thread.
    group.bench_function("get_hit_2_threads", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            std::thread::scope(|scope| {
                for t in 0..2 {
                    let (tier, keys) = (&tier, &keys);
                    scope.spawn(move || {
                        for n in 0..iters as usize {
                            black_box(tier.get(&keys[(n * 7 + t * 50_000) % keys.len()]));
                        }
                    });
                }
            });
            start.elapsed()
        })
    });

    // Steady state: every insert evicts.
    let mut n = ENTRIES;
    group.bench_function("insert_1KiB_evicting", |b| {
        b.iter_batched(
            || {
                n += 1;
                (meta(&key(n)), Bytes::from(vec![0; BODY]))
            },
            |(meta, body)| tier.insert(meta, body),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn store(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(StoreConfig {
        memory_bytes: 64 << 20,
        disk: Some((dir.path().to_owned(), 256 << 20)),
        max_object_bytes: 1 << 20,
        memory_object_bytes: 64 << 10,
    })
    .expect("opens");
    let keys: Vec<String> = (0..10_000).map(key).collect();
    for key in &keys {
        store
            .insert(meta(key), Bytes::from(vec![0; BODY]))
            .expect("stored");
    }

    let mut group = c.benchmark_group("store");
    group.throughput(Throughput::Elements(1));
    let mut i = 0;
    group.bench_function("get_memory_hit_with_disk", |b| {
        b.iter(|| {
            i = (i + 7) % keys.len();
            black_box(store.get(&keys[i]))
        })
    });
    let mut n = keys.len();
    group.sample_size(20);
    group.bench_function("disk_insert_1KiB", |b| {
        b.iter_batched(
            || {
                n += 1;
                meta(&key(n))
            },
            |meta| store.insert_disk(meta, &[0; BODY]).expect("stored"),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn main() {
    if overhead::run_child() {
        return;
    }
    if std::env::var_os("VERGE_BENCH_TIMINGS_ONLY").is_none() {
        overhead::run();
        hit_ratio::run();
    }

    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    memory(&mut criterion);
    store(&mut criterion);
    criterion.final_summary();
}
