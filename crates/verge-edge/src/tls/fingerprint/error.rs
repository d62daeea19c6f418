//! Why a viewer's first bytes could not be read as a TLS ClientHello.

/// A ClientHello that cannot be fingerprinted: not TLS, cut short, or malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientHelloError {
    /// A record that is not a handshake record (an SSL 2.0 hello, plain HTTP, an alert).
    #[error("record content type {0} is not a handshake")]
    NotHandshake(u8),
    /// A record whose version does not start with 3 (TLS 1.x and SSL 3.0 records do).
    #[error("record version {0:#06x} is not TLS")]
    RecordVersion(u16),
    /// A record with no fragment, or a fragment over 2^14 bytes (RFC 8446 §5.1).
    #[error("record length {0} is out of range")]
    RecordLength(usize),
    /// The first handshake message is not a ClientHello.
    #[error("handshake message type {0} is not a ClientHello")]
    NotClientHello(u8),
    /// The bytes end before the named field does.
    #[error("the ClientHello ends inside its {0}")]
    Truncated(&'static str),
    /// The named field's length does not fit what it holds or what holds it.
    #[error("the ClientHello's {0} is malformed")]
    Malformed(&'static str),
}
