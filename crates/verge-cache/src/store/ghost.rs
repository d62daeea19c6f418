//! S3-FIFO's ghost queue: the hashes of keys recently evicted from the small FIFO, without
//! their values. A key that comes back while still remembered has proved it is reused and
//! skips the small FIFO.

use std::collections::VecDeque;

use super::shards::PreHashedMap;

/// A FIFO of key hashes with O(1) membership.
#[derive(Debug, Default)]
pub(crate) struct Ghost {
    /// Oldest first; an entry whose stamp no longer matches `live` was taken already.
    order: VecDeque<(u64, u32)>,
    /// Remembered hashes and the stamp of their newest entry in `order`.
    live: PreHashedMap<u32>,
    stamp: u32,
}

impl Ghost {
    /// Forgets `hash` and says whether it was remembered.
    pub(crate) fn take(&mut self, hash: u64) -> bool {
        self.live.remove(&hash).is_some()
    }

    /// Remembers `hash`, forgetting the oldest hashes beyond `limit` entries.
    pub(crate) fn push(&mut self, hash: u64, limit: usize) {
        self.stamp = self.stamp.wrapping_add(1);
        self.live.insert(hash, self.stamp);
        self.order.push_back((hash, self.stamp));

        while self.order.len() > limit {
            let Some((old, stamp)) = self.order.pop_front() else {
                break;
            };
            if self.live.get(&old) == Some(&stamp) {
                self.live.remove(&old);
            }
        }
    }

    /// How many hashes are remembered.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.live.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_until_pushed_out() {
        let mut ghost = Ghost::default();
        for hash in 0..5 {
            ghost.push(hash, 3);
        }
        assert_eq!(ghost.len(), 3);
        assert!(!ghost.take(0));
        assert!(!ghost.take(1));
        assert!(ghost.take(4));
        assert!(!ghost.take(4), "taking forgets");
    }

    #[test]
    fn a_stale_entry_does_not_forget_a_newer_push() {
        let mut ghost = Ghost::default();
        ghost.push(7, 2);
        assert!(ghost.take(7));
        ghost.push(7, 2);
        // Pops the stale first entry for 7, which must not forget the second push.
        ghost.push(8, 2);
        assert!(ghost.take(7));
        ghost.push(9, 2);
        assert_eq!(ghost.len(), 2);
    }
}
