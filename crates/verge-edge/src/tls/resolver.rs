//! Choosing the certificate for a TLS handshake by SNI: exact names, then one-label
//! wildcards, then the default (self-signed) certificate. Hash lookups keep it fast with a
//! million names.

use std::sync::Arc;

use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use verge_config::domains::{DomainError, DomainIndex};

/// The SNI certificate resolver of one configuration snapshot.
#[derive(Debug)]
pub struct SniResolver {
    names: DomainIndex<Arc<CertifiedKey>>,
    default: Arc<CertifiedKey>,
}

impl SniResolver {
    /// A resolver that serves `default` when no name matches (or no SNI was sent).
    pub fn new(default: Arc<CertifiedKey>) -> Self {
        SniResolver {
            names: DomainIndex::new(),
            default,
        }
    }

    /// A resolver pre-sized for `names` names.
    pub fn with_capacity(default: Arc<CertifiedKey>, names: usize) -> Self {
        SniResolver {
            names: DomainIndex::with_capacity(names),
            default,
        }
    }

    /// Serves `key` for `name` (`shop.example.com` or `*.example.com`). A name listed twice
    /// keeps its first certificate.
    pub fn add(&mut self, name: &str, key: Arc<CertifiedKey>) -> Result<(), String> {
        if name.trim() == "*" {
            return Err("`*` is not a certificate name".to_owned());
        }
        match self.names.insert(name, key) {
            Ok(()) | Err(DomainError::Duplicate) => Ok(()),
            Err(DomainError::Invalid(message)) => Err(message),
        }
    }

    /// The certificate for a server name.
    pub fn lookup(&self, server_name: Option<&str>) -> Arc<CertifiedKey> {
        server_name
            .and_then(|name| self.names.lookup(name))
            .unwrap_or(&self.default)
            .clone()
    }

    /// Number of names with a certificate.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether only the default certificate is served.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

impl ResolvesServerCert for SniResolver {
    fn resolve(&self, client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.lookup(client_hello.server_name()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(count: usize) -> Vec<Arc<CertifiedKey>> {
        let provider = super::super::provider();
        (0..count)
            .map(|_| super::super::self_signed_key(&provider, None).expect("key"))
            .collect()
    }

    #[test]
    fn a_hundred_thousand_names() {
        let keys = keys(4);
        let default = keys[3].clone();
        let mut resolver = SniResolver::with_capacity(default.clone(), 101_000);
        for i in 0..100_000 {
            resolver
                .add(&format!("tenant{i}.example.com"), keys[i % 3].clone())
                .expect("name");
        }
        for i in 0..1_000 {
            resolver
                .add(&format!("*.zone{i}.example.net"), keys[i % 3].clone())
                .expect("wildcard");
        }
        assert_eq!(resolver.len(), 101_000);

        for i in (0..100_000).step_by(997) {
            let found = resolver.lookup(Some(&format!("tenant{i}.example.com")));
            assert!(Arc::ptr_eq(&found, &keys[i % 3]), "tenant{i}");
        }
        for i in (0..1_000).step_by(37) {
            let found = resolver.lookup(Some(&format!("www.zone{i}.example.net")));
            assert!(Arc::ptr_eq(&found, &keys[i % 3]), "zone{i}");
        }
        let upper = resolver.lookup(Some("TENANT42.Example.COM"));
        assert!(Arc::ptr_eq(&upper, &keys[0]), "names match in any case");
        for miss in [
            "tenant100000.example.com",
            "a.www.zone1.example.net",
            "zone1.example.net",
        ] {
            assert!(
                Arc::ptr_eq(&resolver.lookup(Some(miss)), &default),
                "{miss}"
            );
        }
        assert!(Arc::ptr_eq(&resolver.lookup(None), &default), "no SNI");
    }

    #[test]
    fn first_certificate_wins_and_bad_names_are_refused() {
        let keys = keys(3);
        let mut resolver = SniResolver::new(keys[2].clone());
        resolver
            .add("shop.example.com", keys[0].clone())
            .expect("name");
        resolver
            .add("Shop.Example.com.", keys[1].clone())
            .expect("a duplicate is not an error");
        assert!(Arc::ptr_eq(
            &resolver.lookup(Some("shop.example.com")),
            &keys[0]
        ));
        assert!(resolver.add("*", keys[0].clone()).is_err());
        assert!(resolver.add("shop.*.com", keys[0].clone()).is_err());
        assert!(resolver.add("sh op.example.com", keys[0].clone()).is_err());
        assert_eq!(resolver.len(), 1);
    }
}
