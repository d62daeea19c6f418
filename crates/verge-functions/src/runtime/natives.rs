//! The operations the prelude calls into Rust for: hashing, UTF-8, key-value store reads,
//! origin changes and the invocation's environment. Bytes cross as binary strings (one
//! character per byte); failures come back as messages the prelude throws.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use hmac::{Hmac, Mac};
use md5::Md5;
use rquickjs::{Ctx, Function, Object};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::Environment;
use crate::cloudfront::{self, OriginChange};
use crate::kvs::KeyValueStore;

/// Log lines kept per invocation, and the longest line.
const MAX_LOG_LINES: usize = 100;
const MAX_LOG_LINE: usize = 1024;

/// What the natives record during one invocation.
#[derive(Debug, Default)]
pub(super) struct CallState {
    pub logs: Vec<String>,
    pub origin: Option<OriginChange>,
    pub env: Environment,
}

impl CallState {
    pub fn begin(&mut self, env: Environment) {
        self.logs.clear();
        self.origin = None;
        self.env = env;
    }

    fn log(&mut self, mut line: String) {
        if self.logs.len() >= MAX_LOG_LINES {
            return;
        }
        if line.len() > MAX_LOG_LINE {
            let mut cut = MAX_LOG_LINE;
            while !line.is_char_boundary(cut) {
                cut -= 1;
            }
            line.truncate(cut);
            line.push('…');
        }
        self.logs.push(line);
    }
}

/// Puts the natives on `globalThis.__vergeNative` for the prelude to take.
pub(super) fn install(
    ctx: &Ctx<'_>,
    state: Rc<RefCell<CallState>>,
    stores: Arc<[Arc<KeyValueStore>]>,
) -> rquickjs::Result<()> {
    let native = Object::new(ctx.clone())?;

    let log_state = state.clone();
    native.set(
        "log",
        Function::new(ctx.clone(), move |line: String| {
            log_state.borrow_mut().log(line)
        })?,
    )?;
    native.set(
        "digest",
        Function::new(
            ctx.clone(),
            |algorithm: String, key: Option<String>, data: String| {
                digest(
                    &algorithm,
                    key.as_deref().map(to_bytes).as_deref(),
                    &to_bytes(&data),
                )
                .map(|bytes| to_binary(&bytes))
                .unwrap_or_default()
            },
        )?,
    )?;
    native.set(
        "utf8Encode",
        Function::new(ctx.clone(), |text: String| to_binary(text.as_bytes()))?,
    )?;
    native.set(
        "utf8Decode",
        Function::new(ctx.clone(), |binary: String| {
            String::from_utf8_lossy(&to_bytes(&binary)).into_owned()
        })?,
    )?;

    let resolve_stores = stores.clone();
    native.set(
        "kvsResolve",
        Function::new(ctx.clone(), move |id: String| resolve(&resolve_stores, &id))?,
    )?;
    let get_stores = stores.clone();
    native.set(
        "kvsGet",
        Function::new(ctx.clone(), move |index: i32, key: String| {
            store(&get_stores, index).and_then(|s| s.snapshot().get(&key).map(str::to_owned))
        })?,
    )?;
    let exists_stores = stores.clone();
    native.set(
        "kvsExists",
        Function::new(ctx.clone(), move |index: i32, key: String| {
            store(&exists_stores, index).is_some_and(|s| s.snapshot().get(&key).is_some())
        })?,
    )?;
    native.set(
        "kvsMeta",
        Function::new(ctx.clone(), move |index: i32| {
            let Some(store) = store(&stores, index) else {
                return "{}".to_owned();
            };
            let contents = store.snapshot();
            serde_json::json!({
                "creationDateTime": rfc3339(contents.created),
                "lastUpdatedDateTime": rfc3339(contents.last_updated),
                "keyCount": contents.len(),
            })
            .to_string()
        })?,
    )?;

    let update_state = state.clone();
    native.set(
        "originUpdate",
        Function::new(ctx.clone(), move |json: String| {
            record(&update_state, cloudfront::update(&json))
        })?,
    )?;
    let select_state = state.clone();
    native.set(
        "originSelect",
        Function::new(ctx.clone(), move |id: String| {
            let change = cloudfront::select(&id, &select_state.borrow().env.origin_ids);
            record(&select_state, change)
        })?,
    )?;
    let group_state = state.clone();
    native.set(
        "originGroup",
        Function::new(ctx.clone(), move |json: String| {
            let change = cloudfront::group(&json, &group_state.borrow().env.origin_ids);
            record(&group_state, change)
        })?,
    )?;
    let edge_state = state.clone();
    native.set(
        "edgeLocation",
        Function::new(ctx.clone(), move || {
            serde_json::to_string(&edge_state.borrow().env.edge_location).unwrap_or_default()
        })?,
    )?;
    native.set(
        "tenant",
        Function::new(ctx.clone(), move || match &state.borrow().env.tenant {
            Some(tenant) => serde_json::to_string(tenant.as_ref()).unwrap_or_default(),
            None => String::new(),
        })?,
    )?;

    ctx.globals().set("__vergeNative", native)
}

fn record(state: &Rc<RefCell<CallState>>, change: Result<OriginChange, String>) -> String {
    match change {
        Ok(change) => {
            state.borrow_mut().origin = Some(change);
            String::new()
        }
        Err(message) => message,
    }
}

/// A store's index for `cf.kvs(id)`: -1 none associated, -2 several and no id, -3 unknown id.
fn resolve(stores: &[Arc<KeyValueStore>], id: &str) -> i32 {
    if id.is_empty() {
        return match stores.len() {
            0 => -1,
            1 => 0,
            _ => -2,
        };
    }
    // An ARN or id ending in the store's name finds it too.
    let name = id.rsplit('/').next().unwrap_or(id);
    stores
        .iter()
        .position(|s| s.name() == id || s.name() == name)
        .and_then(|i| i32::try_from(i).ok())
        .unwrap_or(-3)
}

fn store(stores: &[Arc<KeyValueStore>], index: i32) -> Option<&Arc<KeyValueStore>> {
    usize::try_from(index).ok().and_then(|i| stores.get(i))
}

fn digest(algorithm: &str, key: Option<&[u8]>, data: &[u8]) -> Option<Vec<u8>> {
    Some(match (algorithm, key) {
        ("md5", None) => Md5::digest(data).to_vec(),
        ("sha1", None) => Sha1::digest(data).to_vec(),
        ("sha256", None) => Sha256::digest(data).to_vec(),
        ("md5", Some(key)) => mac::<Hmac<Md5>>(key, data)?,
        ("sha1", Some(key)) => mac::<Hmac<Sha1>>(key, data)?,
        ("sha256", Some(key)) => mac::<Hmac<Sha256>>(key, data)?,
        _ => return None,
    })
}

fn mac<M: Mac + hmac::digest::KeyInit>(key: &[u8], data: &[u8]) -> Option<Vec<u8>> {
    let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(key).ok()?;
    mac.update(data);
    Some(mac.finalize().into_bytes().to_vec())
}

fn to_bytes(binary: &str) -> Vec<u8> {
    binary.chars().map(|c| c as u32 as u8).collect()
}

fn to_binary(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

fn rfc3339(time: std::time::SystemTime) -> String {
    time::OffsetDateTime::from(time)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
