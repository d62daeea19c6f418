//! The hit-ratio simulation: a Zipf key stream over a million keys, with and without a
//! stream of one-hit wonders mixed in, through the S3-FIFO memory tier and a plain LRU of
//! the same byte capacity. A measurement, not a timing.

use bytes::Bytes;
use verge_cache::store::{MemoryTier, entry_charge};

use super::lru::Lru;
use super::meta;
use super::zipf::Zipf;

const KEYS: u64 = 1_000_000;
const REQUESTS: u64 = 5_000_000;
/// Requests before counting starts, so the caches are full.
const WARM_UP: u64 = 1_000_000;

/// The key of id `id`; all keys have the same length, so all entries the same charge.
fn key(id: u64) -> String {
    format!("https://example.com/object/{id:09}")
}

/// One simulated workload.
struct Workload {
    alpha: f64,
    /// Share of requests for keys never seen before (a crawler, a scan).
    one_hit_share: f64,
}

/// Replays the workload through `lookup_or_insert`, returning the hit ratio after warm-up.
fn replay(workload: &Workload, zipf: &Zipf, mut lookup_or_insert: impl FnMut(u64) -> bool) -> f64 {
    let mut rng = fastrand::Rng::with_seed(42);
    let mut next_one_hit = KEYS;
    let mut hits = 0;
    for request in 0..REQUESTS {
        let id = if rng.f64() < workload.one_hit_share {
            next_one_hit += 1;
            next_one_hit
        } else {
            zipf.sample(&mut rng)
        };
        let hit = lookup_or_insert(id);
        if request >= WARM_UP && hit {
            hits += 1;
        }
    }
    hits as f64 / (REQUESTS - WARM_UP) as f64
}

/// Runs every workload and cache size and prints the hit ratios.
pub fn run() {
    let charge = entry_charge(&meta(&key(0)), 0);
    println!(
        "hit ratio: {KEYS} keys, {REQUESTS} requests ({WARM_UP} warm-up), {charge} B per entry"
    );
    println!(
        "{:>5} {:>9} {:>10} {:>16} {:>15} {:>8}",
        "alpha", "one-hit", "cache", "S3-FIFO 16 shards", "S3-FIFO 1 shard", "LRU"
    );
    for alpha in [0.9, 1.0] {
        let zipf = Zipf::new(KEYS as usize, alpha);
        for one_hit_share in [0.0, 0.3] {
            let workload = Workload {
                alpha,
                one_hit_share,
            };
            for share in [0.01, 0.1] {
                let capacity = (KEYS as f64 * share) as u64 * charge;
                // The object limit decides the shard count: small objects allow 16 shards, an
                // object of half the capacity forces a single one.
                let sharded = MemoryTier::with_object_limit(capacity, 1 << 16);
                let single = MemoryTier::with_object_limit(capacity, capacity / 2);
                let mut lru = Lru::new(capacity);

                let tiered = |tier: &MemoryTier| {
                    replay(&workload, &zipf, |id| {
                        let key = key(id);
                        if tier.get(&key).is_some() {
                            return true;
                        }
                        let _ = tier.insert(meta(&key), Bytes::new());
                        false
                    })
                };
                let s3_sharded = tiered(&sharded);
                let s3_single = tiered(&single);
                let lru = replay(&workload, &zipf, |id| {
                    if lru.get(id) {
                        return true;
                    }
                    lru.insert(id, charge);
                    false
                });
                println!(
                    "{:>5.1} {:>8.0}% {:>9.0}% {:>17.4} {:>15.4} {:>8.4}",
                    workload.alpha,
                    workload.one_hit_share * 100.0,
                    share * 100.0,
                    s3_sharded,
                    s3_single,
                    lru
                );
            }
        }
    }
}
