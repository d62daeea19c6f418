//! The rustls server configuration for viewer listeners: TLS 1.3 and (by default) 1.2, ALPN
//! `h2` then `http/1.1`, session tickets for resumption, certificates chosen by SNI.

use std::sync::Arc;

use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use verge_config::model::TlsVersion;

use super::SniResolver;
use crate::error::EdgeError;

/// A server configuration for one TLS version floor.
pub fn server_config(
    provider: Arc<CryptoProvider>,
    resolver: Arc<SniResolver>,
    min_version: TlsVersion,
) -> Result<Arc<ServerConfig>, EdgeError> {
    let versions: &[&rustls::SupportedProtocolVersion] = match min_version {
        TlsVersion::Tls12 => &[&rustls::version::TLS13, &rustls::version::TLS12],
        TlsVersion::Tls13 => &[&rustls::version::TLS13],
    };
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .map_err(|e| EdgeError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_cert_resolver(resolver);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    config.ticketer =
        rustls::crypto::aws_lc_rs::Ticketer::new().map_err(|e| EdgeError::Tls(e.to_string()))?;
    config.session_storage = rustls::server::ServerSessionMemoryCache::new(64 * 1024);
    Ok(Arc::new(config))
}
