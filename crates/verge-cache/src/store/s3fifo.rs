//! The S3-FIFO eviction policy (Yang et al., "FIFO queues are all you need for cache
//! eviction", SOSP 2023) for one shard of a tier: a small FIFO that filters one-hit wonders, a
//! main FIFO with lazy reinsertion, and a ghost queue of keys recently filtered out. Bounded
//! in bytes; knows nothing of HTTP. The caller holds the shard's lock around every call.

use std::mem;

use super::ghost::Ghost;
use super::shards::PreHashedMap;
use super::stats::Counters;

/// End of a list.
const NIL: u32 = u32::MAX;
/// Frequency counters saturate here: three hits buy three trips round the main FIFO.
const MAX_FREQ: u8 = 3;
/// The small FIFO gets one part in this many of the capacity (the paper's 10%).
const SMALL_SHARE: u64 = 10;
/// The ghost queue remembers at least this many hashes, however few entries a shard holds.
const GHOST_MIN: usize = 64;

/// Where a new entry starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admit {
    /// The small FIFO, or the main FIFO when the ghost queue remembers the key.
    New,
    /// The main FIFO: entries that proved themselves before (rebuilt from disk at startup).
    Main,
}

/// What [`S3Fifo::insert`] did with a value.
#[derive(Debug)]
pub(crate) enum Inserted<T> {
    /// Stored; `replaced` is the value previously stored under the same hash.
    Stored { replaced: Option<T> },
    /// Not stored: its charge alone exceeds the shard's capacity.
    Refused(T),
}

#[derive(Debug)]
struct Node<T> {
    hash: u64,
    value: T,
    charge: u64,
    freq: u8,
    in_main: bool,
    /// Towards the head (newer).
    prev: u32,
    /// Towards the tail (older).
    next: u32,
}

/// A FIFO threaded through the nodes; new entries at the head, eviction at the tail.
#[derive(Debug, Clone, Copy)]
struct List {
    head: u32,
    tail: u32,
    len: usize,
    bytes: u64,
}

impl List {
    const EMPTY: List = List {
        head: NIL,
        tail: NIL,
        len: 0,
        bytes: 0,
    };
}

/// One shard's entries and eviction state.
#[derive(Debug)]
pub(crate) struct S3Fifo<T> {
    /// Hash → position in `nodes`.
    index: PreHashedMap<u32>,
    /// Dense: removal moves the last node into the hole.
    nodes: Vec<Node<T>>,
    small: List,
    main: List,
    ghost: Ghost,
    capacity: u64,
    small_target: u64,
    counters: Counters,
}

impl<T> S3Fifo<T> {
    /// An empty shard holding at most `capacity` bytes of charges.
    pub(crate) fn new(capacity: u64) -> Self {
        Self {
            index: PreHashedMap::default(),
            nodes: Vec::new(),
            small: List::EMPTY,
            main: List::EMPTY,
            ghost: Ghost::default(),
            capacity,
            small_target: capacity / SMALL_SHARE,
            counters: Counters::default(),
        }
    }

    /// Entries stored.
    pub(crate) fn len(&self) -> usize {
        self.nodes.len()
    }

    /// The sum of the stored entries' charges.
    pub(crate) fn bytes(&self) -> u64 {
        self.small.bytes + self.main.bytes
    }

    /// The activity counters.
    pub(crate) fn counters(&self) -> Counters {
        self.counters
    }

    /// Looks `hash` up, counting a hit or a miss. A hit also counts as a use for eviction;
    /// `matches` rejects an entry of another key that shares the hash.
    pub(crate) fn get(&mut self, hash: u64, matches: impl FnOnce(&T) -> bool) -> Option<&T> {
        let Some(i) = self.use_entry(hash, matches) else {
            self.counters.misses += 1;
            return None;
        };
        self.counters.hits += 1;
        Some(&self.nodes[i].value)
    }

    /// Like [`get`](Self::get) without counting a hit or miss: a use seen by another tier.
    pub(crate) fn touch(&mut self, hash: u64, matches: impl FnOnce(&T) -> bool) -> Option<&T> {
        let i = self.use_entry(hash, matches)?;
        Some(&self.nodes[i].value)
    }

    /// Finds the entry for `hash` and bumps its frequency.
    fn use_entry(&mut self, hash: u64, matches: impl FnOnce(&T) -> bool) -> Option<usize> {
        let i = *self.index.get(&hash)? as usize;
        let node = &mut self.nodes[i];
        if !matches(&node.value) {
            return None;
        }
        node.freq = (node.freq + 1).min(MAX_FREQ);
        Some(i)
    }

    /// Looks `hash` up without counting anything.
    pub(crate) fn peek(&self, hash: u64) -> Option<&T> {
        let i = *self.index.get(&hash)? as usize;
        Some(&self.nodes[i].value)
    }

    /// Stores `value` under `hash`, evicting into `evicted` until it fits. A value already
    /// stored under `hash` is replaced in place, keeping its queue and frequency.
    pub(crate) fn insert(
        &mut self,
        hash: u64,
        value: T,
        charge: u64,
        admit: Admit,
        evicted: &mut Vec<T>,
    ) -> Inserted<T> {
        if charge > self.capacity {
            return Inserted::Refused(value);
        }

        if let Some(&i) = self.index.get(&hash) {
            let old = self.replace_at(i as usize, value, charge);
            self.counters.inserts += 1;
            self.make_room(0, evicted);
            return Inserted::Stored {
                replaced: Some(old),
            };
        }

        self.make_room(charge, evicted);
        let Ok(i) = u32::try_from(self.nodes.len()) else {
            return Inserted::Refused(value);
        };
        if i == NIL {
            return Inserted::Refused(value);
        }
        let in_main = match admit {
            Admit::Main => true,
            Admit::New => self.ghost.take(hash),
        };
        self.nodes.push(Node {
            hash,
            value,
            charge,
            freq: 0,
            in_main,
            prev: NIL,
            next: NIL,
        });
        self.index.insert(hash, i);
        self.push_head(i as usize, in_main);
        self.counters.inserts += 1;
        Inserted::Stored { replaced: None }
    }

    /// Changes the value under `hash` in place: `update` returns its new charge, or `None` to
    /// leave it (for instance when it belongs to another key). Evicts into `evicted` if the
    /// shard outgrew its capacity. Says whether the value was changed.
    pub(crate) fn update(
        &mut self,
        hash: u64,
        update: impl FnOnce(&mut T) -> Option<u64>,
        evicted: &mut Vec<T>,
    ) -> bool {
        let Some(&i) = self.index.get(&hash) else {
            return false;
        };
        let node = &mut self.nodes[i as usize];
        let Some(charge) = update(&mut node.value) else {
            return false;
        };
        let old = mem::replace(&mut node.charge, charge);
        let in_main = node.in_main;
        let list = self.list_mut(in_main);
        list.bytes = list.bytes - old + charge;
        self.make_room(0, evicted);
        true
    }

    /// Removes the value under `hash` if `matches` accepts it.
    pub(crate) fn remove_if(&mut self, hash: u64, matches: impl FnOnce(&T) -> bool) -> Option<T> {
        let i = *self.index.get(&hash)? as usize;
        if !matches(&self.nodes[i].value) {
            return None;
        }
        Some(self.remove_at(i))
    }

    /// Removes every value `keep` rejects into `removed`.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&T) -> bool, removed: &mut Vec<T>) {
        let mut i = 0;
        while i < self.nodes.len() {
            if keep(&self.nodes[i].value) {
                i += 1;
            } else {
                // The last node moves into `i`, so `i` is looked at again.
                removed.push(self.remove_at(i));
            }
        }
    }

    /// Evicts until `extra` more bytes fit, or nothing is left.
    fn make_room(&mut self, extra: u64, evicted: &mut Vec<T>) {
        while self.bytes() + extra > self.capacity && !self.nodes.is_empty() {
            self.evict_one(evicted);
            self.counters.evictions += 1;
        }
    }

    /// Evicts one entry: from the small FIFO while it holds its share, else from the main one.
    fn evict_one(&mut self, evicted: &mut Vec<T>) {
        let small_first = self.small.bytes >= self.small_target || self.main.len == 0;
        if small_first && self.evict_small(evicted) {
            return;
        }
        if !self.evict_main(evicted) {
            self.evict_small(evicted);
        }
    }

    /// Walks the small FIFO from its tail: entries used since they came in move to the main
    /// FIFO, the first unused one is evicted and remembered in the ghost queue.
    fn evict_small(&mut self, evicted: &mut Vec<T>) -> bool {
        while self.small.tail != NIL {
            let i = self.small.tail as usize;
            self.unlink(i);
            if self.nodes[i].freq > 0 {
                self.nodes[i].freq = 0;
                self.push_head(i, true);
            } else {
                let hash = self.nodes[i].hash;
                evicted.push(self.remove_unlinked(i));
                self.ghost.push(hash, self.nodes.len().max(GHOST_MIN));
                return true;
            }
        }
        false
    }

    /// Walks the main FIFO from its tail: used entries go back to the head with one use
    /// fewer, the first unused one is evicted.
    fn evict_main(&mut self, evicted: &mut Vec<T>) -> bool {
        while self.main.tail != NIL {
            let i = self.main.tail as usize;
            self.unlink(i);
            if self.nodes[i].freq > 0 {
                self.nodes[i].freq -= 1;
                self.push_head(i, true);
            } else {
                evicted.push(self.remove_unlinked(i));
                return true;
            }
        }
        false
    }

    fn replace_at(&mut self, i: usize, value: T, charge: u64) -> T {
        let node = &mut self.nodes[i];
        let old = mem::replace(&mut node.value, value);
        let old_charge = mem::replace(&mut node.charge, charge);
        let in_main = node.in_main;
        let list = self.list_mut(in_main);
        list.bytes = list.bytes - old_charge + charge;
        old
    }

    fn remove_at(&mut self, i: usize) -> T {
        self.unlink(i);
        self.remove_unlinked(i)
    }

    /// Takes the unlinked node `i` out of `nodes` and the index, moving the last node into
    /// its place.
    fn remove_unlinked(&mut self, i: usize) -> T {
        let node = self.nodes.swap_remove(i);
        self.index.remove(&node.hash);

        if i < self.nodes.len() {
            // `i` is below `NIL` because `nodes` never grows to `NIL` entries.
            let moved = i as u32;
            let (hash, prev, next, in_main) = {
                let m = &self.nodes[i];
                (m.hash, m.prev, m.next, m.in_main)
            };
            self.index.insert(hash, moved);
            if prev == NIL {
                self.list_mut(in_main).head = moved;
            } else {
                self.nodes[prev as usize].next = moved;
            }
            if next == NIL {
                self.list_mut(in_main).tail = moved;
            } else {
                self.nodes[next as usize].prev = moved;
            }
        }
        node.value
    }

    fn list_mut(&mut self, main: bool) -> &mut List {
        if main {
            &mut self.main
        } else {
            &mut self.small
        }
    }

    fn unlink(&mut self, i: usize) {
        let (prev, next, charge, in_main) = {
            let node = &self.nodes[i];
            (node.prev, node.next, node.charge, node.in_main)
        };
        if prev != NIL {
            self.nodes[prev as usize].next = next;
        }
        if next != NIL {
            self.nodes[next as usize].prev = prev;
        }
        let list = self.list_mut(in_main);
        if prev == NIL {
            list.head = next;
        }
        if next == NIL {
            list.tail = prev;
        }
        list.len -= 1;
        list.bytes -= charge;
        let node = &mut self.nodes[i];
        node.prev = NIL;
        node.next = NIL;
    }

    fn push_head(&mut self, i: usize, main: bool) {
        let charge = self.nodes[i].charge;
        let list = self.list_mut(main);
        let old_head = mem::replace(&mut list.head, i as u32);
        if old_head == NIL {
            list.tail = i as u32;
        }
        list.len += 1;
        list.bytes += charge;
        if old_head != NIL {
            self.nodes[old_head as usize].prev = i as u32;
        }
        let node = &mut self.nodes[i];
        node.in_main = main;
        node.prev = NIL;
        node.next = old_head;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl<T> S3Fifo<T> {
        /// Walks both lists and the index and checks they agree with each other.
        fn check(&self) {
            let mut seen = 0;
            for (main, list) in [(false, self.small), (true, self.main)] {
                let (mut i, mut prev, mut len, mut bytes) = (list.head, NIL, 0, 0);
                while i != NIL {
                    let node = &self.nodes[i as usize];
                    assert_eq!(node.in_main, main);
                    assert_eq!(node.prev, prev);
                    assert_eq!(self.index[&node.hash], i);
                    len += 1;
                    bytes += node.charge;
                    prev = i;
                    i = node.next;
                }
                assert_eq!(list.tail, prev);
                assert_eq!((list.len, list.bytes), (len, bytes));
                seen += len;
            }
            assert_eq!(seen, self.nodes.len());
            assert_eq!(self.index.len(), self.nodes.len());
            assert!(self.bytes() <= self.capacity);
        }
    }

    fn insert(cache: &mut S3Fifo<u64>, key: u64, charge: u64) -> Vec<u64> {
        let mut evicted = Vec::new();
        let inserted = cache.insert(key, key, charge, Admit::New, &mut evicted);
        assert!(matches!(inserted, Inserted::Stored { .. }));
        cache.check();
        evicted
    }

    fn hit(cache: &mut S3Fifo<u64>, key: u64) -> bool {
        cache.get(key, |_| true).is_some()
    }

    #[test]
    fn stays_within_capacity() {
        let mut cache = S3Fifo::new(10_000);
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..5_000 {
            let key = rng.u64(0..500);
            if !hit(&mut cache, key) {
                insert(&mut cache, key, rng.u64(1..700));
            }
        }
        assert!(cache.bytes() <= 10_000);
        assert!(cache.counters().evictions > 0);
    }

    #[test]
    fn a_scan_of_one_hit_wonders_passes_through_the_small_fifo() {
        let mut cache = S3Fifo::new(100 * 10);
        for key in 0..10 {
            insert(&mut cache, key, 10);
            hit(&mut cache, key);
        }
        for key in 1000..6000 {
            insert(&mut cache, key, 10);
            for hot in 0..10 {
                if key % 50 == 0 {
                    assert!(hit(&mut cache, hot), "hot key {hot} lost at {key}");
                }
            }
        }
        for hot in 0..10 {
            assert!(
                cache.peek(hot).is_some(),
                "hot key {hot} evicted by the scan"
            );
        }
    }

    #[test]
    fn a_key_the_ghost_remembers_goes_to_main() {
        let mut cache = S3Fifo::new(100);
        insert(&mut cache, 1, 10);
        let mut evicted = Vec::new();
        for key in 2..20 {
            evicted.extend(insert(&mut cache, key, 10));
        }
        assert!(evicted.contains(&1));
        insert(&mut cache, 1, 10);
        let i = cache.index[&1] as usize;
        assert!(cache.nodes[i].in_main);
    }

    #[test]
    fn replacing_keeps_one_entry_and_adjusts_bytes() {
        let mut cache = S3Fifo::new(100);
        insert(&mut cache, 1, 10);
        let mut evicted = Vec::new();
        let inserted = cache.insert(1, 11, 30, Admit::New, &mut evicted);
        assert!(matches!(inserted, Inserted::Stored { replaced: Some(1) }));
        cache.check();
        assert_eq!((cache.len(), cache.bytes()), (1, 30));
        assert_eq!(cache.peek(1), Some(&11));
    }

    #[test]
    fn too_large_is_refused() {
        let mut cache = S3Fifo::new(100);
        let mut evicted = Vec::new();
        let inserted = cache.insert(1, 1, 101, Admit::New, &mut evicted);
        assert!(matches!(inserted, Inserted::Refused(1)));
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn remove_update_and_retain_keep_the_lists_consistent() {
        let mut cache = S3Fifo::new(1000);
        for key in 0..20 {
            insert(&mut cache, key, 10);
            if key % 3 == 0 {
                hit(&mut cache, key);
            }
        }
        // Push some entries into main.
        for key in 100..170 {
            insert(&mut cache, key, 10);
        }
        assert_eq!(cache.remove_if(5, |_| false), None);
        let first = cache.nodes[0].hash;
        assert_eq!(cache.remove_if(first, |_| true), Some(first));
        cache.check();

        let mut evicted = Vec::new();
        let some = cache.nodes[3].hash;
        assert!(cache.update(some, |_| Some(25), &mut evicted));
        assert!(!cache.update(some, |_| None, &mut evicted));
        assert!(!cache.update(999_999, |_| Some(1), &mut evicted));
        cache.check();

        let mut removed = Vec::new();
        cache.retain(|key| key % 2 == 0, &mut removed);
        cache.check();
        assert!(removed.iter().all(|key| key % 2 == 1));
        assert!(cache.nodes.iter().all(|node| node.value % 2 == 0));
    }

    #[test]
    fn admit_main_skips_the_small_fifo() {
        let mut cache = S3Fifo::new(100);
        let mut evicted = Vec::new();
        cache.insert(1, 1, 10, Admit::Main, &mut evicted);
        cache.check();
        assert_eq!(cache.main.len, 1);
    }

    #[test]
    fn counts_hits_misses_inserts_evictions() {
        let mut cache = S3Fifo::new(20);
        insert(&mut cache, 1, 10);
        insert(&mut cache, 2, 10);
        insert(&mut cache, 3, 10);
        assert!(cache.get(3, |_| true).is_some());
        assert!(cache.get(3, |_| false).is_none());
        assert!(cache.touch(3, |_| true).is_some());
        let counters = cache.counters();
        assert_eq!(
            (
                counters.hits,
                counters.misses,
                counters.inserts,
                counters.evictions
            ),
            (1, 1, 3, 1)
        );
    }
}
