//! The key-value store part of the admin API, in CloudFront KeyValueStore's terms:
//! `GET /kvs` (every store), `GET /kvs/<name>` (its keys), `GET|PUT|DELETE
//! /kvs/<name>/keys/<key>`, and `POST /kvs/<name>` with `{"Puts": [...], "Deletes": [...]}`
//! (UpdateKeys). Changes are saved to the data directory before they are answered, and the
//! next function invocation sees them. `If-Match` with a store's version guards a change.

use std::sync::Arc;
use std::time::UNIX_EPOCH;

use http::{HeaderMap, Method, Response, StatusCode, header};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use serde::Deserialize;
use serde_json::json;
use verge_functions::KeyValueStore;

use super::Edge;
use super::admin::json_response;
use crate::body::Body;

/// The largest change request accepted (a whole 5 MB store fits, with JSON overhead).
const MAX_BODY: usize = 8 << 20;

#[derive(Debug, Default, Deserialize)]
struct UpdateKeys {
    #[serde(rename = "Puts", alias = "puts", default)]
    puts: Vec<Put>,
    #[serde(rename = "Deletes", alias = "deletes", default)]
    deletes: Vec<Delete>,
}

#[derive(Debug, Deserialize)]
struct Put {
    #[serde(rename = "Key", alias = "key")]
    key: String,
    #[serde(rename = "Value", alias = "value")]
    value: String,
}

#[derive(Debug, Deserialize)]
struct Delete {
    #[serde(rename = "Key", alias = "key")]
    key: String,
}

#[derive(Debug, Deserialize)]
struct PutKey {
    #[serde(rename = "Value", alias = "value")]
    value: String,
}

/// Routes `/kvs...` requests.
pub async fn route(
    edge: &Edge,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    body: Incoming,
) -> Response<Body> {
    let rest = path.trim_start_matches("/kvs").trim_start_matches('/');
    if rest.is_empty() {
        return match *method {
            Method::GET => list(edge),
            _ => error(StatusCode::METHOD_NOT_ALLOWED, "use GET /kvs".to_owned()),
        };
    }
    let (name, key) = match rest.split_once("/keys/") {
        Some((name, key)) => (name, Some(decode(key))),
        None => (rest.trim_end_matches('/'), None),
    };
    let Some(store) = edge
        .state()
        .snapshot
        .load()
        .functions
        .stores
        .get(name)
        .cloned()
    else {
        return error(
            StatusCode::NOT_FOUND,
            format!("no key-value store `{name}`"),
        );
    };
    let Some(key) = key else {
        return match *method {
            Method::GET => keys(&store),
            Method::POST => match read::<UpdateKeys>(body).await {
                Ok(update) => {
                    let puts = update.puts.into_iter().map(|p| (p.key, p.value)).collect();
                    let deletes = update.deletes.into_iter().map(|d| d.key).collect();
                    change(store, headers, puts, deletes).await
                }
                Err(message) => error(StatusCode::BAD_REQUEST, message),
            },
            _ => error(StatusCode::METHOD_NOT_ALLOWED, "use GET or POST".to_owned()),
        };
    };
    match *method {
        Method::GET => match store.snapshot().get(&key) {
            Some(value) => json_response(StatusCode::OK, json!({"Key": key, "Value": value})),
            None => error(StatusCode::NOT_FOUND, format!("no key `{key}` in `{name}`")),
        },
        Method::PUT => match read::<PutKey>(body).await {
            Ok(put) => change(store, headers, vec![(key, put.value)], Vec::new()).await,
            Err(message) => error(StatusCode::BAD_REQUEST, message),
        },
        Method::DELETE => {
            if store.snapshot().get(&key).is_none() {
                return error(StatusCode::NOT_FOUND, format!("no key `{key}` in `{name}`"));
            }
            change(store, headers, Vec::new(), vec![key]).await
        }
        _ => error(
            StatusCode::METHOD_NOT_ALLOWED,
            "use GET, PUT or DELETE".to_owned(),
        ),
    }
}

fn list(edge: &Edge) -> Response<Body> {
    let snapshot = edge.state().snapshot.load();
    let mut stores: Vec<_> = snapshot
        .functions
        .stores
        .values()
        .map(|s| summary(s))
        .collect();
    stores.sort_by(|a, b| a["Name"].as_str().cmp(&b["Name"].as_str()));
    json_response(StatusCode::OK, json!({"KeyValueStores": stores}))
}

fn keys(store: &KeyValueStore) -> Response<Body> {
    let contents = store.snapshot();
    let items: Vec<_> = contents
        .sorted()
        .into_iter()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect();
    let mut body = summary(store);
    body["Items"] = json!(items);
    json_response(StatusCode::OK, body)
}

fn summary(store: &KeyValueStore) -> serde_json::Value {
    let contents = store.snapshot();
    let millis = |t: std::time::SystemTime| {
        t.duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64)
    };
    json!({
        "Name": store.name(),
        "ETag": contents.version.to_string(),
        "ItemCount": contents.len(),
        "TotalSizeInBytes": contents.bytes(),
        "Created": millis(contents.created),
        "LastModified": millis(contents.last_updated),
    })
}

async fn change(
    store: Arc<KeyValueStore>,
    headers: &HeaderMap,
    puts: Vec<(String, String)>,
    deletes: Vec<String>,
) -> Response<Body> {
    let expected = headers
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().trim_matches('"').to_owned());
    let name = store.name().to_owned();
    let applied = tokio::task::spawn_blocking(move || {
        if let Some(expected) = expected
            && expected != store.snapshot().version.to_string()
        {
            return Err((
                StatusCode::PRECONDITION_FAILED,
                "the store changed since that ETag".to_owned(),
            ));
        }
        match store.update(&puts, &deletes) {
            Ok(_) => Ok(summary(&store)),
            Err(verge_functions::KvsError::Limit(message)) => {
                Err((StatusCode::BAD_REQUEST, message))
            }
            Err(other) => Err((StatusCode::INTERNAL_SERVER_ERROR, other.to_string())),
        }
    })
    .await;
    match applied {
        Ok(Ok(summary)) => {
            tracing::info!(store = %name, version = %summary["ETag"], "Key-value store updated");
            json_response(StatusCode::OK, summary)
        }
        Ok(Err((status, message))) => error(status, message),
        Err(_) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the update did not finish".to_owned(),
        ),
    }
}

async fn read<T: serde::de::DeserializeOwned>(body: Incoming) -> Result<T, String> {
    let bytes = Limited::new(body, MAX_BODY)
        .collect()
        .await
        .map_err(|_| "the body is unreadable or larger than 8 MiB".to_owned())?
        .to_bytes();
    serde_json::from_slice(&bytes).map_err(|e| format!("invalid JSON: {e}"))
}

fn error(status: StatusCode, message: String) -> Response<Body> {
    json_response(status, json!({"error": message}))
}

/// Percent-decodes a key taken from the path.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
