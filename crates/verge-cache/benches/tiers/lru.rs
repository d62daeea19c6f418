//! A plain byte-bounded LRU, the baseline the hit-ratio simulation compares S3-FIFO with.

use std::collections::HashMap;

const NIL: usize = usize::MAX;

struct Node {
    key: u64,
    charge: u64,
    prev: usize,
    next: usize,
}

/// Least recently used first out; a doubly linked list through a slab.
pub struct Lru {
    index: HashMap<u64, usize>,
    nodes: Vec<Node>,
    free: Vec<usize>,
    head: usize,
    tail: usize,
    bytes: u64,
    capacity: u64,
}

impl Lru {
    /// An empty cache of `capacity` bytes.
    pub fn new(capacity: u64) -> Self {
        Self {
            index: HashMap::new(),
            nodes: Vec::new(),
            free: Vec::new(),
            head: NIL,
            tail: NIL,
            bytes: 0,
            capacity,
        }
    }

    /// A hit moves the key to the front.
    pub fn get(&mut self, key: u64) -> bool {
        let Some(&i) = self.index.get(&key) else {
            return false;
        };
        self.unlink(i);
        self.push_front(i);
        true
    }

    /// Stores `key`, evicting from the back until `charge` more bytes fit.
    pub fn insert(&mut self, key: u64, charge: u64) {
        while self.bytes + charge > self.capacity && self.tail != NIL {
            let victim = self.tail;
            self.unlink(victim);
            self.index.remove(&self.nodes[victim].key);
            self.bytes -= self.nodes[victim].charge;
            self.free.push(victim);
        }
        let node = Node {
            key,
            charge,
            prev: NIL,
            next: NIL,
        };
        let i = match self.free.pop() {
            Some(i) => {
                self.nodes[i] = node;
                i
            }
            None => {
                self.nodes.push(node);
                self.nodes.len() - 1
            }
        };
        self.index.insert(key, i);
        self.bytes += charge;
        self.push_front(i);
    }

    fn unlink(&mut self, i: usize) {
        let (prev, next) = (self.nodes[i].prev, self.nodes[i].next);
        match prev {
            NIL => self.head = next,
            prev => self.nodes[prev].next = next,
        }
        match next {
            NIL => self.tail = prev,
            next => self.nodes[next].prev = prev,
        }
    }

    fn push_front(&mut self, i: usize) {
        self.nodes[i].prev = NIL;
        self.nodes[i].next = self.head;
        match self.head {
            NIL => self.tail = i,
            head => self.nodes[head].prev = i,
        }
        self.head = i;
    }
}
