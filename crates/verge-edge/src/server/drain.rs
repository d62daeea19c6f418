//! Graceful drain: one signal tells every accept loop to stop and every connection to finish
//! (HTTP/1.1 responses say `Connection: close`, HTTP/2 sends GOAWAY); the drain waits until
//! the last connection closes or the deadline passes.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{Notify, watch};

/// The drain signal and the count of open connections.
pub struct Drain {
    signal: watch::Sender<bool>,
    open: AtomicUsize,
    closed: Notify,
}

impl Default for Drain {
    fn default() -> Self {
        Drain {
            signal: watch::channel(false).0,
            open: AtomicUsize::new(0),
            closed: Notify::new(),
        }
    }
}

impl Drain {
    /// A receiver that changes to `true` when draining starts.
    pub fn subscribe(&self) -> watch::Receiver<bool> {
        self.signal.subscribe()
    }

    /// Counts a connection until the returned guard is dropped.
    pub fn connection(self: &Arc<Self>) -> ConnectionGuard {
        self.open.fetch_add(1, Ordering::AcqRel);
        ConnectionGuard {
            drain: self.clone(),
        }
    }

    /// Open connections now.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::Acquire)
    }

    /// Signals the drain and waits up to `deadline` for connections to close; returns how
    /// many were still open.
    pub async fn drain(&self, deadline: Duration) -> usize {
        self.signal.send_replace(true);
        let wait = async {
            loop {
                let notified = self.closed.notified();
                if self.open() == 0 {
                    return;
                }
                notified.await;
            }
        };
        let _ = tokio::time::timeout(deadline, wait).await;
        self.open()
    }
}

/// Keeps a connection counted as open.
pub struct ConnectionGuard {
    drain: Arc<Drain>,
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        if self.drain.open.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.drain.closed.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waits_for_connections() {
        let drain = Arc::new(Drain::default());
        let mut signal = drain.subscribe();
        let worker = drain.clone();
        let task = tokio::spawn(async move {
            let _guard = worker.connection();
            let _ = signal.changed().await;
        });
        tokio::task::yield_now().await;
        while drain.open() == 0 {
            tokio::task::yield_now().await;
        }
        assert_eq!(drain.drain(Duration::from_secs(5)).await, 0);
        task.await.expect("task ends");
    }
}
