//! TLS for viewers and origins: certificates from PEM files, the self-signed certificate made
//! at first start, the SNI resolver, and the rustls configurations (TLS 1.3 and 1.2,
//! X25519MLKEM768 preferred, then X25519).

mod client;
pub mod fingerprint;
mod names;
mod pem;
mod resolver;
mod self_signed;
mod server;

pub use client::origin_client_config;
pub use names::{cipher_name, handshake_name, version_name};
pub use pem::load_certified_key;
pub use resolver::SniResolver;
pub use self_signed::self_signed_key;
pub use server::server_config;

use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::crypto::aws_lc_rs::{self, kx_group};

/// aws-lc-rs with the key exchange groups in Verge's order of preference.
pub fn provider() -> Arc<CryptoProvider> {
    let mut provider = aws_lc_rs::default_provider();
    provider.kx_groups = vec![
        kx_group::X25519MLKEM768,
        kx_group::X25519,
        kx_group::SECP256R1,
        kx_group::SECP384R1,
    ];
    Arc::new(provider)
}
