//! Loading a certificate chain and its private key from PEM files into a rustls signing key.

use std::path::Path;
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::EdgeError;

/// Reads `cert` (chain, leaf first) and `key` and checks that they belong together.
pub fn load_certified_key(
    provider: &CryptoProvider,
    cert: &Path,
    key: &Path,
) -> Result<Arc<CertifiedKey>, EdgeError> {
    let bad = |path: &Path, reason: String| EdgeError::Certificate {
        path: path.to_path_buf(),
        reason,
    };
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| bad(cert, e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| bad(cert, e.to_string()))?;
    if chain.is_empty() {
        return Err(bad(cert, "no CERTIFICATE block found".to_owned()));
    }
    let private = PrivateKeyDer::from_pem_file(key).map_err(|e| bad(key, e.to_string()))?;
    let leaf = cert.display().to_string();
    certified_key(provider, chain, private, &leaf).map_err(|reason| bad(key, reason))
}

/// Builds a signing key from DER parts, checking the key matches the leaf certificate;
/// `leaf` names the certificate in the error.
pub(crate) fn certified_key(
    provider: &CryptoProvider,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    leaf: &str,
) -> Result<Arc<CertifiedKey>, String> {
    let signing = provider
        .key_provider
        .load_private_key(key)
        .map_err(|e| format!("unsupported private key: {e}"))?;
    let certified = CertifiedKey::new(chain, signing);
    certified.keys_match().map_err(|e| match e {
        rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch) => {
            format!("the key does not match the certificate {leaf}; use the key it was issued for")
        }
        other => format!("cannot check that the key matches the certificate {leaf}: {other}"),
    })?;
    Ok(Arc::new(certified))
}
