//! The self-signed certificate an edge serves when no configured certificate matches: made at
//! first start and kept in the data directory so browsers can keep an exception for it.

use std::path::Path;
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::sign::CertifiedKey;

use crate::error::EdgeError;

const CERT_FILE: &str = "self-signed.crt";
const KEY_FILE: &str = "self-signed.key";

/// Loads the self-signed certificate from `data_dir/tls/`, creating it on first use; without a
/// data directory, a fresh one lives in memory only.
pub fn self_signed_key(
    provider: &CryptoProvider,
    data_dir: Option<&Path>,
) -> Result<Arc<CertifiedKey>, EdgeError> {
    let Some(data_dir) = data_dir else {
        let (cert, key) = generate()?;
        return pem_pair(provider, &cert, &key);
    };
    let dir = data_dir.join("tls");
    let (cert_path, key_path) = (dir.join(CERT_FILE), dir.join(KEY_FILE));
    if cert_path.exists() && key_path.exists() {
        return super::load_certified_key(provider, &cert_path, &key_path);
    }
    let (cert, key) = generate()?;
    let io = |source| EdgeError::DataDir {
        path: dir.clone(),
        source,
    };
    std::fs::create_dir_all(&dir).map_err(io)?;
    std::fs::write(&cert_path, &cert).map_err(io)?;
    write_private(&key_path, &key).map_err(io)?;
    tracing::info!(path = %cert_path.display(), "Created self-signed certificate");
    pem_pair(provider, &cert, &key)
}

fn generate() -> Result<(String, String), EdgeError> {
    let names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    let certified = rcgen::generate_simple_self_signed(names)
        .map_err(|e| EdgeError::Tls(format!("cannot make a self-signed certificate: {e}")))?;
    Ok((certified.cert.pem(), certified.signing_key.serialize_pem()))
}

fn pem_pair(
    provider: &CryptoProvider,
    cert: &str,
    key: &str,
) -> Result<Arc<CertifiedKey>, EdgeError> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};

    let bad = |reason: String| EdgeError::Tls(format!("self-signed certificate: {reason}"));
    let chain =
        vec![CertificateDer::from_pem_slice(cert.as_bytes()).map_err(|e| bad(e.to_string()))?];
    let private = PrivateKeyDer::from_pem_slice(key.as_bytes()).map_err(|e| bad(e.to_string()))?;
    super::pem::certified_key(provider, chain, private, CERT_FILE).map_err(bad)
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;

    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_in_the_data_directory() {
        let dir = std::env::temp_dir().join(format!("verge-selfsigned-{}", std::process::id()));
        let provider = super::super::provider();
        let first = self_signed_key(&provider, Some(&dir)).expect("created");
        let second = self_signed_key(&provider, Some(&dir)).expect("loaded");
        assert_eq!(
            first.cert, second.cert,
            "the same certificate after a restart"
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
