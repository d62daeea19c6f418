//! The fields of a TLS ClientHello that JA3 and JA4 read (RFC 8446 §4.1.2, RFC 5246
//! §7.4.1.2): versions, cipher suites, extension types in the order sent, supported groups,
//! point formats, signature algorithms, the first ALPN protocol and whether SNI was sent.

use super::error::ClientHelloError;
use super::reader::Reader;
use super::record;

/// Extension types this parser looks into (IANA's TLS ExtensionType values).
pub(super) mod ext {
    /// `server_name` (RFC 6066 §3).
    pub const SERVER_NAME: u16 = 0x0000;
    /// `supported_groups`, once `elliptic_curves` (RFC 8422 §5.1.1).
    pub const SUPPORTED_GROUPS: u16 = 0x000a;
    /// `ec_point_formats` (RFC 8422 §5.1.2).
    pub const EC_POINT_FORMATS: u16 = 0x000b;
    /// `signature_algorithms` (RFC 8446 §4.2.3).
    pub const SIGNATURE_ALGORITHMS: u16 = 0x000d;
    /// `application_layer_protocol_negotiation` (RFC 7301 §3.1).
    pub const ALPN: u16 = 0x0010;
    /// `supported_versions` (RFC 8446 §4.2.1).
    pub const SUPPORTED_VERSIONS: u16 = 0x002b;
}

/// What a ClientHello offers, in the order the viewer sent it, GREASE values included.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientHello {
    /// `legacy_version` (`client_version` before TLS 1.3).
    pub legacy_version: u16,
    /// Cipher suites.
    pub cipher_suites: Vec<u16>,
    /// Extension types.
    pub extensions: Vec<u16>,
    /// Named groups (elliptic curves) from `supported_groups`.
    pub supported_groups: Vec<u16>,
    /// Point formats from `ec_point_formats`.
    pub point_formats: Vec<u8>,
    /// Signature schemes from `signature_algorithms`.
    pub signature_algorithms: Vec<u16>,
    /// Versions from `supported_versions`.
    pub supported_versions: Vec<u16>,
    /// The first protocol offered by ALPN, when the viewer sent the extension with one.
    pub alpn: Option<Vec<u8>>,
    /// Whether the viewer sent `server_name`.
    pub server_name: bool,
}

impl ClientHello {
    /// Parses the TLS records a viewer sent first, which carry its ClientHello.
    pub fn from_records(bytes: &[u8]) -> Result<Self, ClientHelloError> {
        Self::parse(&record::client_hello_message(bytes)?)
    }

    /// Parses a ClientHello handshake message, from its 4-byte header to its last byte.
    pub fn parse(message: &[u8]) -> Result<Self, ClientHelloError> {
        let mut message = Reader::new(message);
        let kind = message.u8("handshake type")?;
        if kind != 1 {
            return Err(ClientHelloError::NotClientHello(kind));
        }
        let mut body = message.vec24("handshake length")?;
        message.finish("handshake length")?;

        let mut hello = ClientHello {
            legacy_version: body.u16("legacy version")?,
            ..ClientHello::default()
        };
        body.take(32, "random")?;
        if body.vec8("session id")?.rest().len() > 32 {
            return Err(ClientHelloError::Malformed("session id"));
        }
        hello.cipher_suites = body.vec16("cipher suites")?.u16s("cipher suites")?;
        body.vec8("compression methods")?;
        // Hellos before TLS 1.2 may end here, without an extensions block.
        if body.is_empty() {
            return Ok(hello);
        }
        let mut extensions = body.vec16("extensions")?;
        body.finish("extensions")?;

        while !extensions.is_empty() {
            let kind = extensions.u16("extension type")?;
            let data = extensions.vec16("extension data")?;
            hello.extensions.push(kind);
            hello.read_extension(kind, data)?;
        }
        Ok(hello)
    }

    /// Takes what JA3 and JA4 need from one extension's data; each one read must be filled
    /// exactly by what it holds.
    fn read_extension(&mut self, kind: u16, mut data: Reader<'_>) -> Result<(), ClientHelloError> {
        let field = match kind {
            ext::SERVER_NAME => {
                self.server_name = true;
                return Ok(());
            }
            ext::SUPPORTED_GROUPS => {
                let field = "supported groups";
                self.supported_groups = data.vec16(field)?.u16s(field)?;
                field
            }
            ext::EC_POINT_FORMATS => {
                let field = "point formats";
                self.point_formats = data.vec8(field)?.rest().to_vec();
                field
            }
            ext::SIGNATURE_ALGORITHMS => {
                let field = "signature algorithms";
                self.signature_algorithms = data.vec16(field)?.u16s(field)?;
                field
            }
            ext::ALPN => {
                let mut protocols = data.vec16("ALPN")?;
                while !protocols.is_empty() {
                    let protocol = protocols.vec8("ALPN protocol")?.rest();
                    self.alpn.get_or_insert_with(|| protocol.to_vec());
                }
                "ALPN"
            }
            ext::SUPPORTED_VERSIONS => {
                let field = "supported versions";
                self.supported_versions = data.vec8(field)?.u16s(field)?;
                field
            }
            _ => return Ok(()),
        };
        data.finish(field)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_hello::{HelloSpec, alpn, empty, groups, records, sni};
    use super::*;

    #[test]
    fn reads_every_field_in_wire_order() {
        let spec = HelloSpec::chrome_143();
        let hello = ClientHello::from_records(&records(&spec.message(), 4096)).expect("parses");
        assert_eq!(hello.legacy_version, 0x0303);
        assert_eq!(hello.cipher_suites, spec.ciphers);
        let types: Vec<u16> = spec
            .extensions
            .iter()
            .flatten()
            .map(|(kind, _)| *kind)
            .collect();
        assert_eq!(hello.extensions, types);
        assert_eq!(hello.supported_groups, vec![0x3a3a, 4588, 29, 23, 24]);
        assert_eq!(hello.point_formats, vec![0]);
        assert_eq!(
            hello.signature_algorithms,
            vec![1027, 2052, 1025, 1283, 2053, 1281, 2054, 1537]
        );
        assert_eq!(hello.supported_versions, vec![0x6a6a, 0x0304, 0x0303]);
        assert_eq!(hello.alpn.as_deref(), Some(&b"h2"[..]));
        assert!(hello.server_name);
    }

    #[test]
    fn a_hello_without_extensions_parses() {
        let spec = HelloSpec {
            legacy_version: 0x0301,
            ciphers: vec![0x002f, 0x0035],
            ..HelloSpec::bare()
        };
        let hello = ClientHello::parse(&spec.message()).expect("parses");
        assert_eq!(hello.legacy_version, 0x0301);
        assert_eq!(hello.cipher_suites, vec![0x002f, 0x0035]);
        assert!(hello.extensions.is_empty());
        assert!(!hello.server_name);
        assert_eq!(hello.alpn, None);
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let message = HelloSpec::chrome_143().message();
        for cut in 0..message.len() {
            assert!(ClientHello::parse(&message[..cut]).is_err(), "cut at {cut}");
        }
        let bytes = records(&message, 100);
        for cut in 0..bytes.len() {
            assert!(
                ClientHello::from_records(&bytes[..cut]).is_err(),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn malformed_lengths_are_errors() {
        let good = HelloSpec::chrome_143().message();

        let mut long = good.clone();
        long[3] = long[3].wrapping_add(1);
        assert_eq!(
            ClientHello::parse(&long),
            Err(ClientHelloError::Truncated("handshake length"))
        );

        let mut trailing = good.clone();
        trailing.push(0);
        assert_eq!(
            ClientHello::parse(&trailing),
            Err(ClientHelloError::Malformed("handshake length"))
        );

        let cases = [
            (
                HelloSpec {
                    raw_ciphers: Some(vec![0x13, 0x01, 0x13]),
                    ..HelloSpec::bare()
                },
                ClientHelloError::Malformed("cipher suites"),
            ),
            (
                HelloSpec {
                    session_id: vec![7; 33],
                    ..HelloSpec::bare()
                },
                ClientHelloError::Malformed("session id"),
            ),
            (
                HelloSpec {
                    extensions: Some(vec![(ext::SUPPORTED_GROUPS, vec![0, 2, 0, 29, 9])]),
                    ..HelloSpec::bare()
                },
                ClientHelloError::Malformed("supported groups"),
            ),
            (
                HelloSpec {
                    extensions: Some(vec![(ext::ALPN, vec![0, 3, 5, b'h', b'2'])]),
                    ..HelloSpec::bare()
                },
                ClientHelloError::Truncated("ALPN protocol"),
            ),
            (
                HelloSpec {
                    extensions: Some(vec![empty(ext::SUPPORTED_VERSIONS)]),
                    ..HelloSpec::bare()
                },
                ClientHelloError::Truncated("supported versions"),
            ),
            (
                HelloSpec {
                    extensions: Some(vec![(ext::SIGNATURE_ALGORITHMS, vec![0, 3, 4, 3, 8])]),
                    ..HelloSpec::bare()
                },
                ClientHelloError::Malformed("signature algorithms"),
            ),
        ];
        for (spec, error) in cases {
            assert_eq!(ClientHello::parse(&spec.message()), Err(error));
        }
    }

    #[test]
    fn an_extensions_block_with_bytes_after_it_is_malformed() {
        let mut message = HelloSpec {
            extensions: Some(vec![sni("a.test"), groups(&[29]), alpn(&[b"h2"])]),
            ..HelloSpec::bare()
        }
        .message();
        // One more byte inside the handshake length, outside the extensions block.
        message.push(0);
        message[3] += 1;
        assert_eq!(
            ClientHello::parse(&message),
            Err(ClientHelloError::Malformed("extensions"))
        );
    }

    #[test]
    fn a_message_that_is_not_a_client_hello_is_refused() {
        let mut message = HelloSpec::chrome_143().message();
        message[0] = 2;
        assert_eq!(
            ClientHello::parse(&message),
            Err(ClientHelloError::NotClientHello(2))
        );
    }
}
