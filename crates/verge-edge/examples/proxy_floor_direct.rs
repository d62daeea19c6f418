//! A second proxy floor: hyper's server in front of hyper's low-level HTTP/1 client with a
//! plain idle-connection pool, a connection going back to the pool when its response body
//! ends. Compared with `proxy_floor` (hyper-util's pooled client) it tells what an own origin
//! pool would save.
//!
//! `cargo run --release -p verge-edge --example proxy_floor_direct -- LISTEN ORIGIN`

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::Frame;
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::{TcpListener, TcpStream};

type Pool = Arc<Mutex<Vec<SendRequest<Incoming>>>>;

/// A response body that returns its connection to the pool when it ends.
struct Returning {
    inner: Incoming,
    sender: Option<SendRequest<Incoming>>,
    pool: Pool,
}

impl http_body::Body for Returning {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        let ended = matches!(polled, Poll::Ready(None)) || self.inner.is_end_stream();
        if ended
            && let Some(sender) = self.sender.take()
            && let Ok(mut pool) = self.pool.lock()
        {
            pool.push(sender);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }
}

async fn connection(origin: &str, pool: &Pool) -> std::io::Result<SendRequest<Incoming>> {
    loop {
        let pooled = pool.lock().ok().and_then(|mut p| p.pop());
        match pooled {
            Some(mut sender) => {
                if sender.ready().await.is_ok() {
                    return Ok(sender);
                }
            }
            None => break,
        }
    }
    let stream = TcpStream::connect(origin).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(std::io::Error::other)?;
    tokio::spawn(conn);
    Ok(sender)
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let listen: SocketAddr = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(([127, 0, 0, 1], 8091).into());
    let origin = args.next().unwrap_or_else(|| "127.0.0.1:3000".to_owned());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let pool: Pool = Arc::new(Mutex::new(Vec::new()));
        let listener = TcpListener::bind(listen).await?;
        loop {
            let (stream, _) = listener.accept().await?;
            let _ = stream.set_nodelay(true);
            let pool = pool.clone();
            let origin = origin.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request: hyper::Request<Incoming>| {
                    let pool = pool.clone();
                    let origin = origin.clone();
                    async move {
                        let empty = || {
                            hyper::Response::new(http_body_util::Either::Right(
                                http_body_util::Empty::new(),
                            ))
                        };
                        let Ok(mut sender) = connection(&origin, &pool).await else {
                            return Ok::<_, Infallible>(empty());
                        };
                        let response = match sender.send_request(request).await {
                            Ok(response) => response.map(|inner| {
                                http_body_util::Either::Left(Returning {
                                    inner,
                                    sender: Some(sender),
                                    pool,
                                })
                            }),
                            Err(_) => empty(),
                        };
                        Ok(response)
                    }
                });
                let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                let _ = builder
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    })
}
