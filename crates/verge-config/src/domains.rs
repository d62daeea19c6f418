//! An index from host names to values (distributions, certificates) with exact names,
//! one-label wildcards (`*.example.com`) and a catch-all `*`. Lookups are hash lookups, so
//! the index stays fast with millions of names.

use std::collections::HashMap;

/// Host name index; exact names win over wildcards, wildcards over the catch-all.
#[derive(Debug, Clone)]
pub struct DomainIndex<T> {
    exact: HashMap<Box<str>, T>,
    wildcard: HashMap<Box<str>, T>,
    catch_all: Option<T>,
}

impl<T> Default for DomainIndex<T> {
    fn default() -> Self {
        DomainIndex {
            exact: HashMap::new(),
            wildcard: HashMap::new(),
            catch_all: None,
        }
    }
}

/// Why a name cannot be added to the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DomainError {
    /// The name is already claimed.
    Duplicate,
    /// The name is not a valid domain name or wildcard.
    Invalid(String),
}

impl<T> DomainIndex<T> {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty index sized for `names` entries.
    pub fn with_capacity(names: usize) -> Self {
        DomainIndex {
            exact: HashMap::with_capacity(names),
            wildcard: HashMap::new(),
            catch_all: None,
        }
    }

    /// Adds a name (`shop.example.com`, `*.example.com` or `*`).
    pub fn insert(&mut self, name: &str, value: T) -> Result<(), DomainError> {
        let name = normalise(name).map_err(DomainError::Invalid)?;
        if name == "*" {
            if self.catch_all.is_some() {
                return Err(DomainError::Duplicate);
            }
            self.catch_all = Some(value);
            return Ok(());
        }
        let (map, key) = match name.strip_prefix("*.") {
            Some(suffix) => (&mut self.wildcard, suffix.to_owned()),
            None => (&mut self.exact, name),
        };
        match map.entry(key.into_boxed_str()) {
            std::collections::hash_map::Entry::Occupied(_) => Err(DomainError::Duplicate),
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(value);
                Ok(())
            }
        }
    }

    /// The value for a host as a viewer sent it (any case, optional port and trailing dot).
    pub fn lookup(&self, host: &str) -> Option<&T> {
        let host = strip_port(host);
        let host = host.strip_suffix('.').unwrap_or(host);
        if host.bytes().any(|b| b.is_ascii_uppercase()) {
            self.lookup_lower(&host.to_ascii_lowercase())
        } else {
            self.lookup_lower(host)
        }
    }

    fn lookup_lower(&self, host: &str) -> Option<&T> {
        if let Some(value) = self.exact.get(host) {
            return Some(value);
        }
        if !self.wildcard.is_empty()
            && let Some((_, parent)) = host.split_once('.')
            && let Some(value) = self.wildcard.get(parent)
        {
            return Some(value);
        }
        self.catch_all.as_ref()
    }

    /// Number of names (the catch-all counts as one).
    pub fn len(&self) -> usize {
        self.exact.len() + self.wildcard.len() + usize::from(self.catch_all.is_some())
    }

    /// Whether the index has no names.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn strip_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

/// Lower-cases and checks a configured name.
pub fn normalise(name: &str) -> Result<String, String> {
    let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
    if name == "*" {
        return Ok(name);
    }
    let labels = name.strip_prefix("*.").unwrap_or(&name);
    if labels.is_empty() || labels.len() > 253 {
        return Err(format!("`{name}` is not a domain name"));
    }
    for label in labels.split('.') {
        let valid = !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !valid {
            return Err(format!(
                "`{name}` is not a domain name; a wildcard is allowed only as the whole first label (`*.example.com`)"
            ));
        }
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_beats_wildcard_beats_catch_all() {
        let mut index = DomainIndex::new();
        index.insert("shop.example.com", 1).expect("new");
        index.insert("*.example.com", 2).expect("new");
        index.insert("*", 3).expect("new");
        assert_eq!(index.lookup("shop.example.com"), Some(&1));
        assert_eq!(index.lookup("SHOP.Example.com:8443"), Some(&1));
        assert_eq!(index.lookup("blog.example.com."), Some(&2));
        assert_eq!(index.lookup("a.b.example.com"), Some(&3));
        assert_eq!(index.lookup("example.com"), Some(&3));
    }

    #[test]
    fn no_catch_all_means_none() {
        let mut index = DomainIndex::new();
        index.insert("*.example.com", 1).expect("new");
        assert_eq!(index.lookup("example.com"), None);
        assert_eq!(index.lookup("a.b.example.com"), None);
        assert_eq!(index.lookup("[::1]:8080"), None);
    }

    #[test]
    fn duplicates_and_bad_names_are_rejected() {
        let mut index = DomainIndex::new();
        index.insert("a.example.com", 1).expect("new");
        assert_eq!(
            index.insert("A.example.com", 2),
            Err(DomainError::Duplicate)
        );
        assert!(matches!(
            index.insert("a.*.com", 3),
            Err(DomainError::Invalid(_))
        ));
        assert!(matches!(
            index.insert("-a.com", 3),
            Err(DomainError::Invalid(_))
        ));
    }

    #[test]
    fn ip_hosts_with_ports() {
        let mut index = DomainIndex::new();
        index.insert("127.0.0.1", 1).expect("new");
        assert_eq!(index.lookup("127.0.0.1:8080"), Some(&1));
    }
}
