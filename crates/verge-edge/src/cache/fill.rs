//! Filling the cache while a response streams to the viewer: every data frame passes through
//! unchanged and a reference to it is kept; when the body ends whole, the kept pieces are
//! handed to a callback that stores them. A body that fails, is dropped early, or grows past
//! the object size limit stores nothing.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http_body::{Body as _, Frame, SizeHint};

use crate::body::{Body, BoxError};

/// What the callback receives: the body's pieces in order and their total length.
pub struct Filled {
    /// The data frames, in order (shared with what the viewer was sent, not copied).
    pub chunks: Vec<Bytes>,
    /// Their total length.
    pub len: u64,
}

type OnComplete = Box<dyn FnOnce(Filled) + Send>;
type OnAbandon = Box<dyn FnOnce(&'static str) + Send>;

/// A body that keeps what passes through it for the cache.
pub struct FillBody {
    inner: Body,
    chunks: Vec<Bytes>,
    len: u64,
    limit: u64,
    on_complete: Option<OnComplete>,
    on_abandon: Option<OnAbandon>,
}

impl FillBody {
    /// Wraps `inner`; `on_complete` runs once if the whole body (at most `limit` bytes)
    /// passed, `on_abandon` once with the reason otherwise.
    pub fn new(
        inner: Body,
        limit: u64,
        on_complete: impl FnOnce(Filled) + Send + 'static,
        on_abandon: impl FnOnce(&'static str) + Send + 'static,
    ) -> Self {
        FillBody {
            inner,
            chunks: Vec::new(),
            len: 0,
            limit,
            on_complete: Some(Box::new(on_complete)),
            on_abandon: Some(Box::new(on_abandon)),
        }
    }

    fn complete(&mut self) {
        self.on_abandon = None;
        if let Some(callback) = self.on_complete.take() {
            let chunks = std::mem::take(&mut self.chunks);
            callback(Filled {
                chunks,
                len: self.len,
            });
        }
    }

    fn abandon(&mut self, reason: &'static str) {
        self.on_complete = None;
        self.chunks = Vec::new();
        if let Some(callback) = self.on_abandon.take() {
            callback(reason);
        }
    }
}

impl Drop for FillBody {
    fn drop(&mut self) {
        // hyper does not poll a body it knows is empty, or whose last frame it already has.
        if self.on_complete.is_some() && self.inner.is_end_stream() {
            self.complete();
        } else {
            self.abandon("viewer_gone");
        }
    }
}

impl http_body::Body for FillBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        let polled = ready!(Pin::new(&mut this.inner).poll_frame(cx));
        match polled {
            Some(Ok(frame)) => {
                if this.on_complete.is_some()
                    && let Some(data) = frame.data_ref()
                {
                    this.len += data.len() as u64;
                    if this.len > this.limit {
                        this.abandon("too_large");
                    } else {
                        this.chunks.push(data.clone());
                    }
                }
                if this.inner.is_end_stream() {
                    this.complete();
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Some(Err(error)) => {
                this.abandon("origin_body_error");
                Poll::Ready(Some(Err(error)))
            }
            None => {
                this.complete();
                Poll::Ready(None)
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use http_body_util::BodyExt;

    use super::*;
    use crate::body::{boxed, full};

    type Outcome = Arc<Mutex<Option<Result<Vec<u8>, &'static str>>>>;

    fn fill(inner: Body, limit: u64) -> (FillBody, Outcome) {
        let outcome: Outcome = Arc::default();
        let done = outcome.clone();
        let failed = outcome.clone();
        let body = FillBody::new(
            inner,
            limit,
            move |filled| {
                let bytes: Vec<u8> = filled.chunks.concat();
                assert_eq!(bytes.len() as u64, filled.len);
                *done.lock().expect("test lock") = Some(Ok(bytes));
            },
            move |reason| *failed.lock().expect("test lock") = Some(Err(reason)),
        );
        (body, outcome)
    }

    fn chunked(parts: &'static [&'static str]) -> Body {
        let frames = parts
            .iter()
            .map(|p| Ok::<_, BoxError>(Frame::data(Bytes::from_static(p.as_bytes()))));
        boxed(http_body_util::StreamBody::new(futures_util::stream::iter(
            frames,
        )))
    }

    #[tokio::test]
    async fn a_whole_body_is_kept_and_passed_on() {
        let (body, outcome) = fill(chunked(&["hello ", "world"]), 100);
        let sent = body.collect().await.expect("body").to_bytes();
        assert_eq!(&sent[..], b"hello world");
        assert_eq!(
            outcome.lock().expect("lock").clone(),
            Some(Ok(b"hello world".to_vec()))
        );
    }

    #[tokio::test]
    async fn a_body_over_the_limit_still_reaches_the_viewer() {
        let (body, outcome) = fill(chunked(&["hello ", "world"]), 8);
        let sent = body.collect().await.expect("body").to_bytes();
        assert_eq!(&sent[..], b"hello world");
        assert_eq!(
            outcome.lock().expect("lock").clone(),
            Some(Err("too_large"))
        );
    }

    #[tokio::test]
    async fn a_dropped_body_is_not_kept() {
        let (mut body, outcome) = fill(chunked(&["a", "b", "c"]), 100);
        let first = body.frame().await.expect("frame").expect("ok");
        assert!(first.is_data());
        drop(body);
        assert_eq!(
            outcome.lock().expect("lock").clone(),
            Some(Err("viewer_gone"))
        );
    }

    #[tokio::test]
    async fn an_unpolled_empty_body_is_complete() {
        let (body, outcome) = fill(full(Bytes::new()), 100);
        drop(body);
        assert_eq!(outcome.lock().expect("lock").clone(), Some(Ok(Vec::new())));
    }
}
