//! The counters behind rate-based rules: a bounded, sharded map from key hash to a two-window
//! counter (24 bytes a key plus hash-table slack), so a million keys take at most about 55 MB
//! (16 shards, 2 generations each, 65,536 slots per generation). When a shard is full its
//! least recently seen keys are dropped: a full young generation becomes the old one and the
//! previous old one is discarded.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::Mutex;

/// Shards reduce lock contention between worker threads.
const SHARDS: usize = 16;

/// Requests seen for one key in the current and previous fixed windows.
#[derive(Debug, Clone, Copy)]
struct Counter {
    window: u64,
    current: u32,
    previous: u32,
}

#[derive(Debug, Default)]
struct Shard {
    young: HashMap<u64, Counter>,
    old: HashMap<u64, Counter>,
}

/// A bounded rate counter store, shared by every request evaluated against one rule.
#[derive(Debug)]
pub struct RateStore {
    shards: Vec<Mutex<Shard>>,
    hasher: RandomState,
    per_generation: usize,
}

impl RateStore {
    /// A store that keeps at most about `max_keys` keys.
    pub fn new(max_keys: usize) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            hasher: RandomState::new(),
            per_generation: (max_keys / (2 * SHARDS)).max(1),
        }
    }

    /// Counts one request for `key` at `now_ms` and returns the estimated number of requests
    /// in the sliding window ending now, this one included. The estimate weighs the previous
    /// fixed window by how much of it still overlaps the sliding window.
    pub fn hit(&self, key: &[u8], now_ms: u64, window_ms: u64) -> u64 {
        let window_ms = window_ms.max(1);
        let hash = self.hasher.hash_one(key);
        let index = (hash % SHARDS as u64) as usize;
        let Some(shard) = self.shards.get(index) else {
            return 1;
        };
        // A poisoned lock only means another thread panicked mid-update; counts stay usable.
        let mut shard = shard.lock().unwrap_or_else(|e| e.into_inner());
        let window = now_ms / window_ms;
        let counter = shard.touch(hash, window, self.per_generation);
        let overlap = u128::from(window_ms - now_ms % window_ms);
        let carried = u128::from(counter.previous) * overlap / u128::from(window_ms);
        u64::from(counter.current).saturating_add(u64::try_from(carried).unwrap_or(u64::MAX))
    }

    /// The number of keys currently held.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                let s = s.lock().unwrap_or_else(|e| e.into_inner());
                s.young.len() + s.old.len()
            })
            .sum()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Shard {
    fn touch(&mut self, hash: u64, window: u64, per_generation: usize) -> Counter {
        let existing = match self.young.get(&hash) {
            Some(c) => Some(*c),
            None => self.old.remove(&hash),
        };
        let mut counter = match existing {
            Some(c) if c.window == window => c,
            Some(c) if c.window.checked_add(1) == Some(window) => Counter {
                window,
                current: 0,
                previous: c.current,
            },
            _ => Counter {
                window,
                current: 0,
                previous: 0,
            },
        };
        counter.current = counter.current.saturating_add(1);
        if !self.young.contains_key(&hash) && self.young.len() >= per_generation {
            self.old = std::mem::take(&mut self.young);
        }
        self.young.insert(hash, counter);
        counter
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_within_a_window_and_slides() {
        let store = RateStore::new(1000);
        for i in 0..10 {
            assert_eq!(store.hit(b"a", 1_000 + i, 60_000), i + 1);
        }
        assert_eq!(store.hit(b"b", 1_000, 60_000), 1, "keys are independent");
        // Half-way through the next window, half of the previous window still counts.
        assert_eq!(store.hit(b"a", 90_000, 60_000), 1 + 10 / 2);
        // Two windows later nothing remains.
        assert_eq!(store.hit(b"a", 250_000, 60_000), 1);
    }

    #[test]
    fn memory_is_bounded_and_old_keys_go_first() {
        let store = RateStore::new(320);
        for i in 0u32..10_000 {
            store.hit(&i.to_be_bytes(), 0, 60_000);
        }
        assert!(store.len() <= 320, "{}", store.len());
        for _ in 0..5 {
            store.hit(b"recent", 0, 60_000);
        }
        assert_eq!(store.hit(b"recent", 0, 60_000), 6);
    }
}
