//! Serving one viewer connection with hyper: HTTP/1.1 and HTTP/2 (by ALPN over TLS, by the
//! prior-knowledge preface in clear text) on one pipeline, with a header-read timeout (for
//! the first request of any protocol, and for each HTTP/1.1 head from its first byte), an
//! idle timeout, and a graceful close when the node drains.

use std::convert::Infallible;
use std::future::poll_fn;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use verge_config::model::Limits;

use super::drain::Drain;
use super::framing::{Change, FramingTracker};
use crate::body::{CountingBody, boxed};
use crate::context::ConnInfo;
use crate::pipeline;
use crate::state::EdgeState;

/// The per-connection limits, fixed when the node starts.
#[derive(Debug, Clone, Copy)]
pub struct ConnLimits {
    /// Time allowed for the TLS handshake and the first request, and for each HTTP/1.1
    /// request head from its first byte.
    pub header_timeout: Duration,
    /// How long a connection with nothing in flight is kept.
    pub idle_timeout: Duration,
    /// hyper's HTTP/1 read buffer: a request head longer than this gets 431.
    pub head_bytes: usize,
}

impl ConnLimits {
    /// The connection limits of a configuration.
    pub fn new(limits: &Limits) -> Self {
        ConnLimits {
            header_timeout: limits.header_read_timeout,
            idle_timeout: limits.idle_timeout,
            head_bytes: (limits.max_header_bytes + 4096).max(8192),
        }
    }
}

/// The HTTP server settings every connection shares.
pub fn http_builder(limits: &Limits) -> auto::Builder<TokioExecutor> {
    let conn = ConnLimits::new(limits);
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // hyper starts its header clock as soon as it waits for the next request, so it would
    // close idle keep-alive connections at the header timeout; `serve` times each head from
    // its first byte instead. hyper's clock stays, at the idle timeout, as a backstop for
    // connections whose framing the tracker stopped following.
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(conn.idle_timeout.max(conn.header_timeout))
        .keep_alive(true)
        // CloudFront's HTTP/1.1 responses capitalise header names (`X-Cache`), including the
        // lowercase names edge functions write.
        .title_case_headers(true)
        .max_buf_size(conn.head_bytes);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(128)
        .max_header_list_size(u32::try_from(limits.max_header_bytes + 4096).unwrap_or(u32::MAX))
        .keep_alive_interval(Duration::from_secs(20))
        .keep_alive_timeout(Duration::from_secs(20));
    builder
}

/// Serves requests on `io` until the viewer closes, the connection idles out, or the node
/// drains. A connection whose first request has not arrived within the header timeout is
/// dropped: hyper knows nothing of the protocol before it, so a viewer sending nothing, or
/// half an HTTP/2 preface, would otherwise hold it until the idle timeout. On HTTP/1, a
/// request head not complete within the header timeout of its first byte closes the
/// connection too (Slowloris).
pub async fn serve<I>(
    io: I,
    state: Arc<EdgeState>,
    info: Arc<ConnInfo>,
    builder: Arc<auto::Builder<TokioExecutor>>,
    drain: Arc<Drain>,
    limits: ConnLimits,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let _open = drain.connection();
    let mut draining = drain.subscribe();
    let activity = Arc::new(Activity::new());
    let framing = match &info.tls {
        Some(tls) if tls.alpn == Some("h2") => FramingTracker::disabled(),
        _ => FramingTracker::new(limits.head_bytes),
    };
    let io = TokioIo::new(Tracked {
        inner: io,
        activity: activity.clone(),
        framing,
        info: info.clone(),
    });
    let peer = info.peer;

    let in_flight = activity.clone();
    let service = service_fn(move |request| {
        let state = state.clone();
        let info = info.clone();
        let request_guard = InFlight::start(in_flight.clone());
        async move {
            let response = pipeline::handle(state, info, request).await;
            // The request stays in flight until its body ends, or until hyper drops it
            // (an HTTP/2 stream the viewer reset before the response was ready).
            let sent = request_guard.activity.sent.clone();
            let response = response.map(|body| {
                boxed(CountingBody::new(body, sent).on_end(move |_| drop(request_guard)))
            });
            Ok::<_, Infallible>(response)
        }
    });

    let connection = builder.serve_connection(io, service);
    tokio::pin!(connection);
    let first_head = tokio::time::sleep(limits.header_timeout);
    tokio::pin!(first_head);
    let mut awaiting_first = true;
    let mut closing = *draining.borrow();
    if closing {
        connection.as_mut().graceful_shutdown();
    }
    loop {
        let now = activity.now_ms();
        let head = activity.head_deadline(limits.header_timeout);
        let idle_since = activity.last_ms.load(Ordering::Relaxed);
        let idle = (!closing).then(|| idle_since.saturating_add(millis(limits.idle_timeout)));
        let due = head.into_iter().chain(idle).min();
        // Never sooner than 100 ms: a busy connection past its idle time is checked again,
        // not spun on.
        let wait = due.map(|due| Duration::from_millis(due.saturating_sub(now)).max(MIN_CHECK));
        let check = tokio::time::sleep(wait.unwrap_or_default());
        // Biased: the connection is polled first, so the head clock below sees what its
        // reads just did; it needs no waker of its own, being polled on every wake.
        let head_moved = poll_fn(|_| match activity.head_deadline(limits.header_timeout) {
            Some(deadline) if due.is_none_or(|due| deadline < due) => Poll::Ready(()),
            _ => Poll::Pending,
        });
        tokio::select! {
            biased;
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%error, "Viewer connection ended with an error");
                }
                return;
            }
            // Preconditions are read when the loop turns, so `served` is checked again here.
            _ = &mut first_head, if awaiting_first => {
                if !activity.served.load(Ordering::Acquire) {
                    tracing::debug!(%peer, "No request within the header read timeout");
                    return;
                }
                awaiting_first = false;
            }
            _ = draining.changed(), if !closing => {
                closing = true;
                connection.as_mut().graceful_shutdown();
            }
            _ = head_moved => {}
            _ = check, if wait.is_some() => {
                if activity.head_overdue(limits.header_timeout) {
                    tracing::debug!(%peer, "Request head incomplete at the header read timeout");
                    return;
                }
                if !closing && activity.idle(limits.idle_timeout) {
                    closing = true;
                    connection.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// The shortest wait between two checks of one connection's clocks.
const MIN_CHECK: Duration = Duration::from_millis(100);

/// `Activity::head_ms` when no request head is open.
const NO_HEAD: u64 = u64::MAX;

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// When a connection last read or wrote, how many requests are in flight on it, whether it
/// has carried one at all, and when its open HTTP/1.1 request head started. Times are
/// milliseconds since the connection was accepted.
struct Activity {
    start: Instant,
    last_ms: AtomicU64,
    requests: AtomicUsize,
    served: AtomicBool,
    sent: Arc<AtomicU64>,
    /// When the first byte of a head still incomplete was read, or `NO_HEAD`.
    head_ms: AtomicU64,
    /// When the last request finished.
    settled_ms: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Activity {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
            requests: AtomicUsize::new(0),
            served: AtomicBool::new(false),
            sent: Arc::new(AtomicU64::new(0)),
            head_ms: AtomicU64::new(NO_HEAD),
            settled_ms: AtomicU64::new(0),
        }
    }

    fn now_ms(&self) -> u64 {
        millis(self.start.elapsed())
    }

    /// Records activity now; returns the time.
    fn touch(&self) -> u64 {
        let now = self.now_ms();
        self.last_ms.store(now, Ordering::Relaxed);
        now
    }

    /// Whether nothing is in flight and nothing was read or written for `idle_timeout`.
    fn idle(&self, idle_timeout: Duration) -> bool {
        let idle_ms = self
            .now_ms()
            .saturating_sub(self.last_ms.load(Ordering::Relaxed));
        idle_ms >= millis(idle_timeout) && self.requests.load(Ordering::Acquire) == 0
    }

    /// When the open head runs out of time, if one is open. A head read while a request is
    /// in flight (pipelined) waits on the edge, not the viewer: its clock starts when the
    /// connection is free again.
    fn head_deadline(&self, header_timeout: Duration) -> Option<u64> {
        let opened = self.head_ms.load(Ordering::Relaxed);
        if opened == NO_HEAD || self.requests.load(Ordering::Acquire) > 0 {
            return None;
        }
        let since = opened.max(self.settled_ms.load(Ordering::Relaxed));
        Some(since.saturating_add(millis(header_timeout)))
    }

    /// Whether the open head has run out of time.
    fn head_overdue(&self, header_timeout: Duration) -> bool {
        self.head_deadline(header_timeout)
            .is_some_and(|deadline| deadline <= self.now_ms())
    }
}

/// Counts one request as in flight on its connection until dropped.
struct InFlight {
    activity: Arc<Activity>,
}

impl InFlight {
    fn start(activity: Arc<Activity>) -> Self {
        activity.requests.fetch_add(1, Ordering::AcqRel);
        activity.served.store(true, Ordering::Release);
        InFlight { activity }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let now = self.activity.touch();
        self.activity.settled_ms.store(now, Ordering::Relaxed);
        self.activity.requests.fetch_sub(1, Ordering::AcqRel);
    }
}

/// An IO that records activity and follows HTTP/1 framing in what the viewer sends.
struct Tracked<I> {
    inner: I,
    activity: Arc<Activity>,
    framing: FramingTracker,
    info: Arc<ConnInfo>,
}

impl<I: AsyncRead + Unpin> AsyncRead for Tracked<I> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        let read = &buf.filled()[before..];
        if read.is_empty() {
            return polled;
        }
        let now = this.activity.touch();
        match this.framing.feed(read) {
            Change::None => {}
            Change::HeadOpened => this.activity.head_ms.store(now, Ordering::Relaxed),
            Change::HeadClosed => this.activity.head_ms.store(NO_HEAD, Ordering::Relaxed),
            Change::Ambiguous => {
                // Set before hyper parses this head, so before `admit` runs for it.
                this.info.ambiguous_framing.store(true, Ordering::Release);
                this.activity.head_ms.store(NO_HEAD, Ordering::Relaxed);
            }
        }
        polled
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Tracked<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
