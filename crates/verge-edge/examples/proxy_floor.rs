//! The floor of a hyper-based proxy: hyper's server in front of hyper-util's pooled client,
//! forwarding every request unchanged. `bench/` compares Verge's pass-through with it to
//! tell the cost of Verge's pipeline from the cost of the HTTP stack underneath.
//!
//! `cargo run --release -p verge-edge --example proxy_floor -- LISTEN ORIGIN`

use std::convert::Infallible;
use std::net::SocketAddr;

use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let listen: SocketAddr = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(([127, 0, 0, 1], 8090).into());
    let origin = args.next().unwrap_or_else(|| "127.0.0.1:3000".to_owned());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let client: Client<HttpConnector, Incoming> =
            Client::builder(TokioExecutor::new()).build(HttpConnector::new());
        let listener = TcpListener::bind(listen).await?;
        loop {
            let (stream, _) = listener.accept().await?;
            let _ = stream.set_nodelay(true);
            let client = client.clone();
            let origin = origin.clone();
            tokio::spawn(async move {
                let service = service_fn(move |mut request: hyper::Request<Incoming>| {
                    let client = client.clone();
                    let path = request
                        .uri()
                        .path_and_query()
                        .map_or("/", |p| p.as_str())
                        .to_owned();
                    *request.uri_mut() =
                        format!("http://{origin}{path}").parse().unwrap_or_default();
                    async move {
                        let response = match client.request(request).await {
                            Ok(response) => response.map(http_body_util::Either::Left),
                            Err(_) => hyper::Response::new(http_body_util::Either::Right(
                                http_body_util::Empty::new(),
                            )),
                        };
                        Ok::<_, Infallible>(response)
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
