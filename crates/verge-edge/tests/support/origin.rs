//! An in-process origin over real TCP (HTTP/1.1 and h2c), recording every request it gets
//! and counting the connections it accepts; handlers may answer at once or asynchronously
//! with a streamed body.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode, Uri, Version};
use http_body_util::channel::{Channel, Sender};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

/// A request as the origin saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: Method,
    pub uri: Uri,
    pub version: Version,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// Whether the body arrived whole (false when the edge aborted it).
    pub body_complete: bool,
}

impl Seen {
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A response body an asynchronous handler may stream.
pub type OriginBody = BoxBody<Bytes, Infallible>;

type Answer = Pin<Box<dyn Future<Output = Response<OriginBody>> + Send>>;
type Handler = dyn Fn(Seen) -> Answer + Send + Sync;

/// A running origin.
pub struct TestOrigin {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    connections: Arc<AtomicUsize>,
}

/// A body fed through the returned sender; it ends when the sender is dropped.
pub fn channel_body() -> (Sender<Bytes, Infallible>, OriginBody) {
    let (sender, body) = Channel::<Bytes, Infallible>::new(4);
    (sender, body.boxed())
}

/// A response with a streamed body.
pub fn respond_streamed(status: u16, body: OriginBody) -> Response<OriginBody> {
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::from_u16(status).expect("valid status");
    response
}

/// A response with a status, headers and a body.
pub fn respond(
    status: u16,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = StatusCode::from_u16(status).expect("valid status");
    for (name, value) in headers {
        response.headers_mut().append(
            http::HeaderName::from_bytes(name.as_bytes()).expect("name"),
            http::HeaderValue::from_str(value).expect("value"),
        );
    }
    response
}

impl TestOrigin {
    /// An origin answering 200 with `hello from origin` and the path in `x-origin-path`.
    pub async fn hello() -> TestOrigin {
        Self::start(|seen| {
            respond(
                200,
                &[
                    ("content-type", "text/plain"),
                    ("x-origin-path", seen.uri.path()),
                ],
                "hello from origin",
            )
        })
        .await
    }

    /// An origin answering with `handler`.
    pub async fn start(
        handler: impl Fn(&Seen) -> Response<Full<Bytes>> + Send + Sync + 'static,
    ) -> TestOrigin {
        Self::start_async(move |seen| {
            let response = handler(&seen).map(|body| body.boxed());
            async move { response }
        })
        .await
    }

    /// An origin answering with an asynchronous `handler`, which may hold its answer or
    /// stream the body; the request is recorded before the handler runs.
    pub async fn start_async<F, A>(handler: F) -> TestOrigin
    where
        F: Fn(Seen) -> A + Send + Sync + 'static,
        A: Future<Output = Response<OriginBody>> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind origin");
        let addr = listener.local_addr().expect("addr");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let handler: Arc<Handler> = Arc::new(move |seen| Box::pin(handler(seen)) as Answer);
        let record = seen.clone();
        let accepted = connections.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                accepted.fetch_add(1, Ordering::SeqCst);
                let handler = handler.clone();
                let record = record.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request: Request<Incoming>| {
                        let handler = handler.clone();
                        let record = record.clone();
                        async move {
                            let (parts, body) = request.into_parts();
                            let collected = body.collect().await.map(|b| b.to_bytes());
                            let body_complete = collected.is_ok();
                            let body = collected.unwrap_or_default();
                            let seen = Seen {
                                method: parts.method,
                                uri: parts.uri,
                                version: parts.version,
                                headers: parts.headers,
                                body,
                                body_complete,
                            };
                            record.lock().expect("lock").push(seen.clone());
                            Ok::<_, Infallible>(handler(seen).await)
                        }
                    });
                    let builder =
                        hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                    let _ = builder
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        TestOrigin {
            addr,
            seen,
            connections,
        }
    }

    /// Every request seen so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }

    /// The last request seen.
    pub fn last(&self) -> Seen {
        self.seen().pop().expect("the origin saw a request")
    }

    /// How many requests were seen.
    pub fn count(&self) -> usize {
        self.seen.lock().expect("lock").len()
    }

    /// How many TCP connections the origin accepted.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}
