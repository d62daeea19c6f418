//! Serving one viewer connection with hyper: HTTP/1.1 and HTTP/2 (by ALPN over TLS, by the
//! prior-knowledge preface in clear text) on one pipeline, with a header-read timeout (hyper's
//! for HTTP/1.1 heads, ours for the first request of any protocol), an idle timeout, and a
//! graceful close when the node drains.

use std::convert::Infallible;
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
use crate::body::{CountingBody, boxed};
use crate::context::ConnInfo;
use crate::pipeline;
use crate::state::EdgeState;

/// The HTTP server settings every connection shares.
pub fn http_builder(limits: &Limits) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true)
        .max_buf_size((limits.max_header_bytes + 4096).max(8192));
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
/// drains. A connection whose first request has not arrived within `header_timeout` is
/// dropped: hyper's own header timeout only starts once the protocol is known, so a viewer
/// sending nothing, or half an HTTP/2 preface, would otherwise hold it until `idle_timeout`.
pub async fn serve<I>(
    io: I,
    state: Arc<EdgeState>,
    info: Arc<ConnInfo>,
    builder: Arc<auto::Builder<TokioExecutor>>,
    drain: Arc<Drain>,
    header_timeout: Duration,
    idle_timeout: Duration,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let _open = drain.connection();
    let mut draining = drain.subscribe();
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Tracked { inner: io, activity: activity.clone() });
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
    let first_head = tokio::time::sleep(header_timeout);
    tokio::pin!(first_head);
    let mut closing = *draining.borrow();
    if closing {
        connection.as_mut().graceful_shutdown();
    }
    loop {
        let idle_check = tokio::time::sleep(activity.until_idle(idle_timeout));
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%error, "Viewer connection ended with an error");
                }
                return;
            }
            _ = &mut first_head, if !activity.served.load(Ordering::Acquire) => {
                tracing::debug!(%peer, "No request within the header read timeout");
                return;
            }
            _ = draining.changed(), if !closing => {
                closing = true;
                connection.as_mut().graceful_shutdown();
            }
            _ = idle_check, if !closing => {
                if activity.idle_for() >= idle_timeout && activity.requests.load(Ordering::Acquire) == 0 {
                    closing = true;
                    connection.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// When a connection last read or wrote, how many requests are in flight on it, and
/// whether it has carried one at all.
struct Activity {
    start: Instant,
    last_ms: AtomicU64,
    requests: AtomicUsize,
    served: AtomicBool,
    sent: Arc<AtomicU64>,
}

impl Activity {
    fn new() -> Self {
        Activity {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
            requests: AtomicUsize::new(0),
            served: AtomicBool::new(false),
            sent: Arc::new(AtomicU64::new(0)),
        }
    }

    fn touch(&self) {
        let now = self.start.elapsed().as_millis() as u64;
        self.last_ms.store(now, Ordering::Relaxed);
    }

    fn idle_for(&self) -> Duration {
        let now = self.start.elapsed().as_millis() as u64;
        Duration::from_millis(now.saturating_sub(self.last_ms.load(Ordering::Relaxed)))
    }

    fn until_idle(&self, timeout: Duration) -> Duration {
        timeout.saturating_sub(self.idle_for()).max(Duration::from_millis(100))
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
        self.activity.requests.fetch_sub(1, Ordering::AcqRel);
        self.activity.touch();
    }
}

/// An IO that records activity.
struct Tracked<I> {
    inner: I,
    activity: Arc<Activity>,
}

impl<I: AsyncRead + Unpin> AsyncRead for Tracked<I> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Tracked<I> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
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
