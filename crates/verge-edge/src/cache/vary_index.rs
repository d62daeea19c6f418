//! Which stored objects vary, and on what: a primary key whose response carried `Vary` maps
//! to the request headers named there and to the variant keys stored under it, so a lookup
//! finds the variant for this viewer and an invalidation removes them all (RFC 9111 §4.1).

use std::collections::{HashMap, HashSet};
use std::sync::RwLock;

use http::{HeaderMap, HeaderName};
use verge_cache::vary;

/// The vary records of every stored primary key that has variants.
#[derive(Debug, Default)]
pub struct VaryIndex {
    records: RwLock<HashMap<String, Record>>,
}

#[derive(Debug, Default)]
struct Record {
    names: Vec<HeaderName>,
    variants: HashSet<String>,
}

/// How `Accept-Encoding` is keyed for a behavior.
#[derive(Debug, Clone, Copy)]
pub enum EncodingKey<'a> {
    /// The normalised encoding is already in the primary key.
    InPrimary,
    /// Not in the primary key: a `Vary: Accept-Encoding` keys on this normalised value.
    Normalised(&'a str),
}

impl VaryIndex {
    /// The key to look up or store for a viewer sending `headers`.
    pub fn variant_key(&self, primary: &str, headers: &HeaderMap, encoding: EncodingKey) -> String {
        let records = self.records.read().unwrap_or_else(|e| e.into_inner());
        match records.get(primary) {
            Some(record) => variant_of(primary, &record.names, headers, encoding),
            None => primary.to_owned(),
        }
    }

    /// Records that the response stored under `primary` varies on `names`, and returns the
    /// variant key for this viewer. Empty `names` store under the primary key itself.
    pub fn register(
        &self,
        primary: &str,
        names: Vec<HeaderName>,
        headers: &HeaderMap,
        encoding: EncodingKey,
    ) -> String {
        let names: Vec<HeaderName> = match encoding {
            EncodingKey::InPrimary => names
                .into_iter()
                .filter(|n| n != http::header::ACCEPT_ENCODING)
                .collect(),
            EncodingKey::Normalised(_) => names,
        };
        let mut records = self.records.write().unwrap_or_else(|e| e.into_inner());
        if names.is_empty() {
            // The object no longer varies: forget the variants (the caller replaces them).
            records.remove(primary);
            return primary.to_owned();
        }
        let key = variant_of(primary, &names, headers, encoding);
        let record = records.entry(primary.to_owned()).or_default();
        if record.names != names {
            record.names = names;
        }
        record.variants.insert(key.clone());
        key
    }

    /// Re-learns a stored variant found in the disk tier at start.
    pub fn restore(&self, meta: &verge_cache::Meta) {
        let primary = primary_of(&meta.key);
        if primary == meta.key {
            return;
        }
        let names = match vary::vary(&meta.headers) {
            vary::Vary::Names(names) => names,
            vary::Vary::None | vary::Vary::Any => return,
        };
        let mut records = self.records.write().unwrap_or_else(|e| e.into_inner());
        let record = records.entry(primary.to_owned()).or_default();
        if record.names.is_empty() {
            record.names = names
                .into_iter()
                .filter(|n| meta.key.contains("\nae:") || n != http::header::ACCEPT_ENCODING)
                .collect();
        }
        record.variants.insert(meta.key.clone());
    }

    /// Every key stored for `primary`: the variants, or the primary key itself.
    pub fn keys_of(&self, primary: &str) -> Vec<String> {
        let records = self.records.read().unwrap_or_else(|e| e.into_inner());
        let mut keys = vec![primary.to_owned()];
        if let Some(record) = records.get(primary) {
            keys.extend(record.variants.iter().cloned());
        }
        keys
    }

    /// Forgets `primary` and its variants.
    pub fn forget(&self, primary: &str) {
        let mut records = self.records.write().unwrap_or_else(|e| e.into_inner());
        records.remove(primary);
    }

    /// Forgets every record whose primary key fails `keep`.
    pub fn retain(&self, keep: impl Fn(&str) -> bool) {
        let mut records = self.records.write().unwrap_or_else(|e| e.into_inner());
        records.retain(|primary, _| keep(primary));
    }
}

/// The primary key of a variant key.
pub fn primary_of(key: &str) -> &str {
    key.split_once("\nv:").map_or(key, |(primary, _)| primary)
}

fn variant_of(
    primary: &str,
    names: &[HeaderName],
    headers: &HeaderMap,
    encoding: EncodingKey,
) -> String {
    let mut plain: Vec<HeaderName> = Vec::with_capacity(names.len());
    let mut accept_encoding = None;
    for name in names {
        match encoding {
            EncodingKey::Normalised(value) if name == http::header::ACCEPT_ENCODING => {
                accept_encoding = Some(value);
            }
            EncodingKey::InPrimary if name == http::header::ACCEPT_ENCODING => {}
            _ => plain.push(name.clone()),
        }
    }
    let mut key = format!("{primary}\nv:{}", vary::secondary_key(&plain, headers));
    if let Some(value) = accept_encoding {
        key.push_str("\nae:");
        key.push_str(value);
    }
    key
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    #[test]
    fn variants_follow_the_named_headers() {
        let index = VaryIndex::default();
        let mut en = HeaderMap::new();
        en.insert("accept-language", HeaderValue::from_static("en"));
        let mut fr = HeaderMap::new();
        fr.insert("accept-language", HeaderValue::from_static("fr"));
        let names = vec![HeaderName::from_static("accept-language")];

        assert_eq!(index.variant_key("p", &en, EncodingKey::InPrimary), "p");
        let stored = index.register("p", names, &en, EncodingKey::InPrimary);
        assert_ne!(stored, "p");
        assert_eq!(index.variant_key("p", &en, EncodingKey::InPrimary), stored);
        assert_ne!(index.variant_key("p", &fr, EncodingKey::InPrimary), stored);
        assert_eq!(primary_of(&stored), "p");
        assert_eq!(index.keys_of("p").len(), 2);
        index.forget("p");
        assert_eq!(index.variant_key("p", &fr, EncodingKey::InPrimary), "p");
    }

    #[test]
    fn accept_encoding_uses_the_normalised_value() {
        let index = VaryIndex::default();
        let names = vec![HeaderName::from_static("accept-encoding")];
        let mut chrome = HeaderMap::new();
        chrome.insert(
            "accept-encoding",
            HeaderValue::from_static("gzip, deflate, br, zstd"),
        );
        let mut firefox = HeaderMap::new();
        firefox.insert(
            "accept-encoding",
            HeaderValue::from_static("gzip, deflate, br"),
        );

        let stored = index.register("p", names.clone(), &chrome, EncodingKey::Normalised("br"));
        assert_eq!(
            index.variant_key("p", &firefox, EncodingKey::Normalised("br")),
            stored
        );
        assert_eq!(
            index.register("q", names, &chrome, EncodingKey::InPrimary),
            "q",
            "already keyed: no variants"
        );
    }
}
