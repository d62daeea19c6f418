//! The demo's own origin: an HTML page with cacheable assets, a JSON API path that echoes
//! what the origin received, a login form, and a page for custom 404 errors.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

const INDEX: &str = include_str!("index.html");
const CSS: &str = "body{font-family:system-ui,sans-serif;max-width:42rem;margin:3rem auto;padding:0 1rem;color:#1d2330}\ncode{background:#eef1f6;padding:.1rem .3rem;border-radius:3px}\n.card{border:1px solid #d5dbe5;border-radius:8px;padding:1rem;margin:1rem 0}\n";
const JS: &str = "document.addEventListener('DOMContentLoaded', async () => {\n  const out = document.getElementById('api');\n  const response = await fetch('/api/time');\n  out.textContent = JSON.stringify(await response.json(), null, 2) + '\\n\\nx-cache: ' + response.headers.get('x-cache');\n});\n";
const NOT_FOUND: &str = "<!DOCTYPE html><html><head><title>Not found</title><link rel=\"stylesheet\" href=\"/assets/app.css\"></head><body><h1>Nothing here</h1><p>This page is the distribution's custom error response for 404.</p><p><a href=\"/\">Home</a></p></body></html>\n";

/// Binds the demo origin on `address` and serves it in the background.
pub async fn start(address: SocketAddr) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(address).await?;
    let bound = listener.local_addr()?;
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(async move {
                let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                let _ = builder
                    .serve_connection(TokioIo::new(stream), service_fn(respond))
                    .await;
            });
        }
    });
    Ok(bound)
}

async fn respond(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().to_owned();
    let response = match (request.method(), path.as_str()) {
        (&Method::GET | &Method::HEAD, "/" | "/index.html") => {
            page(INDEX, "text/html; charset=utf-8", "public, max-age=60")
        }
        (&Method::GET | &Method::HEAD, "/assets/app.css") => {
            page(CSS, "text/css", "public, max-age=86400")
        }
        (&Method::GET | &Method::HEAD, "/assets/app.js") => {
            page(JS, "application/javascript", "public, max-age=86400")
        }
        (&Method::GET | &Method::HEAD, "/errors/404.html") => {
            page(NOT_FOUND, "text/html; charset=utf-8", "public, max-age=60")
        }
        (&Method::GET | &Method::HEAD, "/api/time") => api_time(&request),
        (&Method::GET | &Method::HEAD, "/login") => {
            page(&login_form(None), "text/html; charset=utf-8", "no-store")
        }
        (&Method::POST, "/login") => login(request).await,
        _ => {
            let mut response = page("not found\n", "text/plain", "no-store");
            *response.status_mut() = StatusCode::NOT_FOUND;
            response
        }
    };
    Ok(response)
}

fn page(
    body: &str,
    content_type: &'static str,
    cache_control: &'static str,
) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_owned())));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    headers.insert(
        header::SERVER,
        HeaderValue::from_static("verge-demo-origin"),
    );
    response
}

fn api_time(request: &Request<Incoming>) -> Response<Full<Bytes>> {
    let seen: serde_json::Map<String, serde_json::Value> = request
        .headers()
        .iter()
        .filter(|(name, _)| {
            let name = name.as_str();
            name.starts_with("cloudfront-")
                || name.starts_with("x-forwarded")
                || name == "via"
                || name == "host"
                || name == "x-verge-request-id"
        })
        .map(|(name, value)| {
            (
                name.to_string(),
                String::from_utf8_lossy(value.as_bytes()).into(),
            )
        })
        .collect();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let body = serde_json::json!({ "unix_time": now, "origin_saw": seen });
    page(&format!("{body}\n"), "application/json", "no-store")
}

async fn login(request: Request<Incoming>) -> Response<Full<Bytes>> {
    let body = match Limited::new(request.into_body(), 16 * 1024).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            let mut response = page("form too large\n", "text/plain", "no-store");
            *response.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
            return response;
        }
    };
    let form = String::from_utf8_lossy(&body);
    let user = form
        .split('&')
        .find_map(|pair| pair.strip_prefix("user="))
        .map(|v| v.replace('+', " "))
        .unwrap_or_default();
    let mut response = page(
        &login_form(Some(&user)),
        "text/html; charset=utf-8",
        "no-store",
    );
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("session=demo; Path=/; HttpOnly; SameSite=Lax"),
    );
    response
}

fn login_form(user: Option<&str>) -> String {
    let greeting = match user {
        Some(user) => format!(
            "<p>Welcome, <strong>{}</strong>. A session cookie was set.</p>",
            escape(user)
        ),
        None => String::new(),
    };
    format!(
        "<!DOCTYPE html><html><head><title>Sign in</title><link rel=\"stylesheet\" href=\"/assets/app.css\"></head><body><h1>Sign in</h1>{greeting}<form method=\"post\" action=\"/login\"><p><label>User <input name=\"user\"></label></p><p><label>Password <input name=\"password\" type=\"password\"></label></p><p><button>Sign in</button></p></form><p><a href=\"/\">Home</a></p></body></html>\n"
    )
}

fn escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '&' => "&amp;".to_owned(),
            '"' => "&quot;".to_owned(),
            c => c.to_string(),
        })
        .collect()
}
