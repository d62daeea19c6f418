//! The one body type of the edge, and wrappers that stream bodies through it: a timeout
//! between pieces (origin read timeout, viewer body timeout) and a byte counter.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Empty, Full};
use tokio::time::{Instant, Sleep};

/// Errors carried by bodies.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Every request and response body inside the edge.
pub type Body = UnsyncBoxBody<Bytes, BoxError>;

/// A body with no bytes.
pub fn empty() -> Body {
    Empty::<Bytes>::new()
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// A body of fixed bytes.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// Boxes any body into [`Body`].
pub fn boxed<B>(body: B) -> Body
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    body.map_err(Into::into).boxed_unsync()
}

/// A body whose pieces must each arrive within `timeout` of being asked for. Only time spent
/// waiting on `inner` counts: a consumer that is slow to ask (a viewer reading slowly, an
/// origin connection not yet open) does not use up the producer's allowance.
pub struct TimeoutBody<B> {
    inner: Pin<Box<B>>,
    timeout: Duration,
    sleep: Pin<Box<Sleep>>,
    /// Whether `sleep` is armed for the piece being waited on.
    waiting: bool,
    what: &'static str,
}

/// The error a [`TimeoutBody`] ends with.
#[derive(Debug, thiserror::Error)]
#[error("{what}: no data for {seconds:.1}s")]
pub struct BodyTimeout {
    /// Which body stalled, e.g. "origin response body".
    pub what: &'static str,
    /// The timeout.
    pub seconds: f64,
}

impl<B> TimeoutBody<B> {
    /// Wraps `inner`; `what` names the body in the timeout error.
    pub fn new(inner: B, timeout: Duration, what: &'static str) -> Self {
        TimeoutBody {
            inner: Box::pin(inner),
            timeout,
            sleep: Box::pin(tokio::time::sleep(timeout)),
            waiting: false,
            what,
        }
    }
}

impl<B> http_body::Body for TimeoutBody<B>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        match this.inner.as_mut().poll_frame(cx) {
            Poll::Ready(frame) => {
                this.waiting = false;
                Poll::Ready(frame.map(|f| f.map_err(Into::into)))
            }
            Poll::Pending => {
                if !this.waiting {
                    this.waiting = true;
                    this.sleep.as_mut().reset(Instant::now() + this.timeout);
                }
                ready!(this.sleep.as_mut().poll(cx));
                let error = BodyTimeout {
                    what: this.what,
                    seconds: this.timeout.as_secs_f64(),
                };
                Poll::Ready(Some(Err(Box::new(error))))
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

/// Counts the data bytes that pass through a body, and runs a callback once when the body
/// ends, fails or is dropped (the viewer went away).
pub struct CountingBody<B: http_body::Body> {
    inner: Pin<Box<B>>,
    counter: Arc<AtomicU64>,
    on_end: Option<Box<dyn FnOnce(BodyEnd) + Send>>,
}

/// How a counted body finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyEnd {
    /// Every byte was sent.
    Complete,
    /// The body failed (origin error or timeout).
    Failed,
    /// The body was dropped before its end (the viewer disconnected).
    Aborted,
}

impl<B: http_body::Body> CountingBody<B> {
    /// Wraps `inner`, adding to `counter` as data passes.
    pub fn new(inner: B, counter: Arc<AtomicU64>) -> Self {
        CountingBody {
            inner: Box::pin(inner),
            counter,
            on_end: None,
        }
    }

    /// Runs `callback` once when the body ends.
    pub fn on_end(mut self, callback: impl FnOnce(BodyEnd) + Send + 'static) -> Self {
        self.on_end = Some(Box::new(callback));
        self
    }

    fn finish(&mut self, end: BodyEnd) {
        if let Some(callback) = self.on_end.take() {
            callback(end);
        }
    }
}

impl<B: http_body::Body> Drop for CountingBody<B> {
    fn drop(&mut self) {
        // A body with nothing left to send is complete even if never polled: hyper does not
        // poll the body of a HEAD response or a 304.
        let complete = self.on_end.is_some() && self.inner.is_end_stream();
        self.finish(if complete {
            BodyEnd::Complete
        } else {
            BodyEnd::Aborted
        });
    }
}

impl<B> http_body::Body for CountingBody<B>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        let polled = ready!(this.inner.as_mut().poll_frame(cx));
        match polled {
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    this.counter.fetch_add(data.len() as u64, Ordering::Relaxed);
                }
                if this.inner.is_end_stream() {
                    this.finish(BodyEnd::Complete);
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Some(Err(error)) => {
                this.finish(BodyEnd::Failed);
                Poll::Ready(Some(Err(error.into())))
            }
            None => {
                this.finish(BodyEnd::Complete);
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
    use super::*;

    #[tokio::test]
    async fn counts_and_reports_completion() {
        let counter = Arc::new(AtomicU64::new(0));
        let (tx, rx) = std::sync::mpsc::channel();
        let body = CountingBody::new(full("hello"), counter.clone())
            .on_end(move |end| tx.send(end).expect("receiver alive"));
        let collected = body.collect().await.expect("body").to_bytes();
        assert_eq!(collected, "hello");
        assert_eq!(counter.load(Ordering::Relaxed), 5);
        assert_eq!(rx.recv().expect("called"), BodyEnd::Complete);
    }

    #[tokio::test]
    async fn dropped_empty_body_is_complete() {
        let (tx, rx) = std::sync::mpsc::channel();
        let body = CountingBody::new(empty(), Arc::new(AtomicU64::new(0)))
            .on_end(move |end| tx.send(end).expect("receiver alive"));
        drop(body);
        assert_eq!(rx.recv().expect("called"), BodyEnd::Complete);
    }

    #[tokio::test]
    async fn dropped_body_reports_abort() {
        let (tx, rx) = std::sync::mpsc::channel();
        let body = CountingBody::new(full("x"), Arc::new(AtomicU64::new(0)))
            .on_end(move |end| tx.send(end).expect("receiver alive"));
        drop(body);
        assert_eq!(rx.recv().expect("called"), BodyEnd::Aborted);
    }

    #[tokio::test(start_paused = true)]
    async fn time_before_the_first_poll_does_not_count() {
        let (mut tx, body) = http_body_util::channel::Channel::<Bytes, BoxError>::new(1);
        let mut body = TimeoutBody::new(body, Duration::from_secs(2), "viewer request body");
        tokio::time::sleep(Duration::from_secs(5)).await;
        let sender = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            tx.send_data(Bytes::from_static(b"late"))
                .await
                .expect("receiver alive");
        });
        let frame = body.frame().await.expect("a frame").expect("no timeout");
        assert_eq!(frame.into_data().expect("data"), "late");
        sender.await.expect("sender ends");
    }

    #[tokio::test(start_paused = true)]
    async fn stalled_body_times_out() {
        let (_tx, body) = http_body_util::channel::Channel::<Bytes, BoxError>::new(1);
        let body = TimeoutBody::new(body, Duration::from_secs(2), "origin response body");
        let error = body.collect().await.expect_err("times out");
        assert!(
            error.to_string().contains("origin response body"),
            "{error}"
        );
    }
}
