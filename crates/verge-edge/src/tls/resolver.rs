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
        SniResolver { names: DomainIndex::new(), default }
    }

    /// A resolver pre-sized for `names` names.
    pub fn with_capacity(default: Arc<CertifiedKey>, names: usize) -> Self {
        SniResolver { names: DomainIndex::with_capacity(names), default }
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
