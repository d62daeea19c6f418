//! Request collapsing: concurrent misses for one key make one origin request. The first
//! request leads; the others wait, bounded in time, for the leader to store or give up, then
//! look the key up again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

/// The requests in flight, by primary cache key.
#[derive(Debug, Default)]
pub struct Collapser {
    flights: Arc<Mutex<HashMap<String, watch::Receiver<()>>>>,
}

/// What a request does about a miss.
#[derive(Debug)]
pub enum Role {
    /// Fetch from the origin; dropping the guard releases the followers.
    Leader(Leader),
    /// Another request is fetching: wait for it.
    Follower(Follower),
}

/// Held by the request that fetches; followers wake when it is dropped or released.
#[derive(Debug)]
pub struct Leader {
    key: String,
    flights: Arc<Mutex<HashMap<String, watch::Receiver<()>>>>,
    sender: Option<watch::Sender<()>>,
}

/// A request waiting for a leader.
#[derive(Debug)]
pub struct Follower {
    receiver: watch::Receiver<()>,
}

/// How a wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waited {
    /// The leader finished (stored the object, found it uncacheable, or failed).
    Released,
    /// The bounded wait ran out first.
    TimedOut,
}

impl Collapser {
    /// A collapser with nothing in flight.
    pub fn new() -> Self {
        Self::default()
    }

    /// Joins the flight for `key`, leading it if there is none.
    pub fn join(&self, key: &str) -> Role {
        let mut flights = self.lock();
        if let Some(receiver) = flights.get(key)
            && receiver.has_changed().is_ok()
        {
            return Role::Follower(Follower {
                receiver: receiver.clone(),
            });
        }
        let (sender, receiver) = watch::channel(());
        flights.insert(key.to_owned(), receiver);
        Role::Leader(Leader {
            key: key.to_owned(),
            flights: self.flights.clone(),
            sender: Some(sender),
        })
    }

    /// Number of keys being fetched.
    pub fn in_flight(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, watch::Receiver<()>>> {
        // A panic while holding this lock cannot leave the map inconsistent (every operation
        // is a single insert or remove), so a poisoned lock is still usable.
        self.flights.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Leader {
    /// Releases the followers now (the response is stored, uncacheable, or failed).
    pub fn release(mut self) {
        self.finish();
    }

    fn finish(&mut self) {
        let Some(sender) = self.sender.take() else {
            return;
        };
        let mut flights = self.flights.lock().unwrap_or_else(|e| e.into_inner());
        // Only remove our own flight: a later leader may have taken the key.
        if flights
            .get(&self.key)
            .is_some_and(|receiver| receiver.same_channel(&sender.subscribe()))
        {
            flights.remove(&self.key);
        }
        drop(flights);
        drop(sender);
    }
}

impl Drop for Leader {
    fn drop(&mut self) {
        self.finish();
    }
}

impl Follower {
    /// Waits until the leader is done, at most `timeout`.
    pub async fn wait(mut self, timeout: Duration) -> Waited {
        // The channel never carries a value: `changed` returns only when the sender is gone.
        match tokio::time::timeout(timeout, self.receiver.changed()).await {
            Ok(_) => Waited::Released,
            Err(_) => Waited::TimedOut,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_leader_many_followers() {
        let collapser = Collapser::new();
        let Role::Leader(leader) = collapser.join("k") else {
            panic!("first request leads");
        };
        let followers: Vec<_> = (0..3)
            .map(|_| match collapser.join("k") {
                Role::Follower(f) => tokio::spawn(f.wait(Duration::from_secs(5))),
                Role::Leader(_) => panic!("second request must follow"),
            })
            .collect();
        assert!(matches!(collapser.join("other"), Role::Leader(_)));

        leader.release();
        for follower in followers {
            assert_eq!(follower.await.expect("joined"), Waited::Released);
        }
        assert_eq!(collapser.in_flight(), 0);
        assert!(matches!(collapser.join("k"), Role::Leader(_)));
    }

    #[tokio::test(start_paused = true)]
    async fn followers_give_up_after_the_timeout() {
        let collapser = Collapser::new();
        let _leader = collapser.join("k");
        let Role::Follower(follower) = collapser.join("k") else {
            panic!("must follow");
        };
        assert_eq!(
            follower.wait(Duration::from_secs(2)).await,
            Waited::TimedOut
        );
    }

    #[tokio::test]
    async fn a_dropped_leader_releases_and_frees_the_key() {
        let collapser = Collapser::new();
        let leader = collapser.join("k");
        let Role::Follower(follower) = collapser.join("k") else {
            panic!("must follow");
        };
        drop(leader);
        assert_eq!(
            follower.wait(Duration::from_secs(5)).await,
            Waited::Released
        );
        assert!(matches!(collapser.join("k"), Role::Leader(_)));
    }
}
