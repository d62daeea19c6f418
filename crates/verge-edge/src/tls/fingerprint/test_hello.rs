//! ClientHellos for tests: messages built from lists (GREASE wherever a test puts it), the
//! TLS records carrying them, published hellos with known fingerprints, and real captures.

use super::client_hello::ext;

/// A ClientHello to build.
#[derive(Debug, Clone)]
pub struct HelloSpec {
    /// `legacy_version`.
    pub legacy_version: u16,
    /// The session id.
    pub session_id: Vec<u8>,
    /// Cipher suites.
    pub ciphers: Vec<u16>,
    /// Raw cipher suite bytes instead of `ciphers` (to make them malformed).
    pub raw_ciphers: Option<Vec<u8>>,
    /// Extensions as type and data, in order; `None` leaves out the extensions block.
    pub extensions: Option<Vec<(u16, Vec<u8>)>>,
}

impl HelloSpec {
    /// A TLS 1.0-style hello with no extensions block and one cipher suite.
    pub fn bare() -> Self {
        HelloSpec {
            legacy_version: 0x0303,
            session_id: Vec::new(),
            ciphers: vec![0x002f],
            raw_ciphers: None,
            extensions: None,
        }
    }

    /// The hello FoxIO's JA4 technical details work through (its cipher suites, extension
    /// types and signature algorithms in their order), with GREASE added at both ends.
    pub fn foxio_example() -> Self {
        let mut ciphers = vec![0x0a0a];
        ciphers.extend([
            0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014,
            0x009c, 0x009d, 0x002f, 0x0035,
        ]);
        let extensions = vec![
            empty(0x3a3a),
            (0x001b, vec![2, 0, 2]),
            sni("example.com"),
            (0x0033, vec![0, 0]),
            alpn(&[b"h2", b"http/1.1"]),
            (0x4469, vec![0, 3, 2, b'h', b'2']),
            empty(0x0017),
            (0x002d, vec![1, 1]),
            signature_algorithms(&[
                0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
            ]),
            (0x0005, vec![1, 0, 0, 0, 0]),
            empty(0x0023),
            empty(0x0012),
            versions(&[0x4a4a, 0x0304, 0x0303]),
            (0xff01, vec![0]),
            point_formats(&[0]),
            groups(&[0x4a4a, 0x001d, 0x0017, 0x0018]),
            (0x0015, vec![0; 8]),
            (0x1a1a, vec![0]),
        ];
        HelloSpec {
            legacy_version: 0x0303,
            session_id: vec![0x5e; 32],
            ciphers,
            raw_ciphers: None,
            extensions: Some(extensions),
        }
    }

    /// Chrome 143 on Android, as tls.browserleaks.com reported it with its JA3 and JA4
    /// (an outer hello with ECH; key share and ECH payloads shortened, which no fingerprint
    /// reads).
    pub fn chrome_143() -> Self {
        let ciphers = vec![
            0xaaaa, 4865, 4866, 4867, 49195, 49199, 49196, 49200, 52393, 52392, 49171, 49172, 156,
            157, 47, 53,
        ];
        let extensions = vec![
            empty(0x4a4a),
            (45, vec![1, 1]),
            (51, vec![0, 5, 0x3a, 0x3a, 0, 1, 0]),
            alpn(&[b"h2", b"http/1.1"]),
            (65037, vec![0, 0, 1, 0, 1, 0xfe, 0, 0, 0, 0]),
            empty(23),
            (17613, vec![0, 3, 2, b'h', b'2']),
            sni("tls-outer.browserleaks.com"),
            point_formats(&[0]),
            groups(&[14906, 4588, 29, 23, 24]),
            versions(&[27242, 772, 771]),
            (65281, vec![0]),
            empty(35),
            empty(18),
            (5, vec![1, 0, 0, 0, 0]),
            signature_algorithms(&[1027, 2052, 1025, 1283, 2053, 1281, 2054, 1537]),
            (27, vec![2, 0, 2]),
            (27242, vec![0]),
        ];
        HelloSpec {
            legacy_version: 771,
            session_id: vec![0x26; 32],
            ciphers,
            raw_ciphers: None,
            extensions: Some(extensions),
        }
    }

    /// The handshake message: type, 24-bit length, body.
    pub fn message(&self) -> Vec<u8> {
        let mut body = self.legacy_version.to_be_bytes().to_vec();
        body.extend([0x11; 32]);
        push8(&mut body, &self.session_id);
        let ciphers = match &self.raw_ciphers {
            Some(raw) => raw.clone(),
            None => self.ciphers.iter().flat_map(|c| c.to_be_bytes()).collect(),
        };
        push16(&mut body, &ciphers);
        push8(&mut body, &[0]);
        if let Some(extensions) = &self.extensions {
            let mut block = Vec::new();
            for (kind, data) in extensions {
                block.extend(kind.to_be_bytes());
                push16(&mut block, data);
            }
            push16(&mut body, &block);
        }
        let len = u32::try_from(body.len()).expect("small").to_be_bytes();
        let mut message = vec![1, len[1], len[2], len[3]];
        message.extend(body);
        message
    }
}

/// Handshake records (record version TLS 1.0, as clients send) carrying `message` in
/// fragments of at most `fragment` bytes.
pub fn records(message: &[u8], fragment: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for chunk in message.chunks(fragment) {
        out.extend([22, 3, 1]);
        push16(&mut out, chunk);
    }
    out
}

/// An extension with no data.
pub fn empty(kind: u16) -> (u16, Vec<u8>) {
    (kind, Vec::new())
}

/// `server_name` with one host name.
pub fn sni(host: &str) -> (u16, Vec<u8>) {
    let mut entry = vec![0];
    push16(&mut entry, host.as_bytes());
    let mut data = Vec::new();
    push16(&mut data, &entry);
    (ext::SERVER_NAME, data)
}

/// `supported_groups`.
pub fn groups(groups: &[u16]) -> (u16, Vec<u8>) {
    (ext::SUPPORTED_GROUPS, list16(groups))
}

/// `ec_point_formats`.
pub fn point_formats(formats: &[u8]) -> (u16, Vec<u8>) {
    let mut data = Vec::new();
    push8(&mut data, formats);
    (ext::EC_POINT_FORMATS, data)
}

/// `signature_algorithms`.
pub fn signature_algorithms(schemes: &[u16]) -> (u16, Vec<u8>) {
    (ext::SIGNATURE_ALGORITHMS, list16(schemes))
}

/// `application_layer_protocol_negotiation`.
pub fn alpn(protocols: &[&[u8]]) -> (u16, Vec<u8>) {
    let mut list = Vec::new();
    for protocol in protocols {
        push8(&mut list, protocol);
    }
    let mut data = Vec::new();
    push16(&mut data, &list);
    (ext::ALPN, data)
}

/// `supported_versions`.
pub fn versions(versions: &[u16]) -> (u16, Vec<u8>) {
    let bytes: Vec<u8> = versions.iter().flat_map(|v| v.to_be_bytes()).collect();
    let mut data = Vec::new();
    push8(&mut data, &bytes);
    (ext::SUPPORTED_VERSIONS, data)
}

/// A list of 16-bit values with a two-byte length.
fn list16(values: &[u16]) -> Vec<u8> {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_be_bytes()).collect();
    let mut data = Vec::new();
    push16(&mut data, &bytes);
    data
}

fn push8(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(u8::try_from(bytes.len()).expect("short vector"));
    out.extend_from_slice(bytes);
}

fn push16(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend(u16::try_from(bytes.len()).expect("vector").to_be_bytes());
    out.extend_from_slice(bytes);
}

/// Decodes hex test data.
pub fn unhex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text
        .bytes()
        .filter(u8::is_ascii_hexdigit)
        .map(|d| match d {
            b'0'..=b'9' => d - b'0',
            b'a'..=b'f' => d - b'a' + 10,
            _ => d - b'A' + 10,
        })
        .collect();
    digits.chunks_exact(2).map(|p| p[0] << 4 | p[1]).collect()
}

/// A real TLS 1.3 ClientHello handshake message (curl with OpenSSL, SNI, no ALPN), as
/// published with its JA4 in a JA4 implementation's test suite.
pub const CURL_HELLO: &str = "\
010001fc0303e4422635180a6d52305577414519930d2eb4b714ecbaffc7aa4ef762421df37920a89626d7567923\
c523a5255cfc150232e8491a92f4d85e848d5f8432baf6d273003e130213031301c02cc030009fcca9cca8ccaac0\
2bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033009d009c003d003c0035002f00ff010001\
750000001c001a00001772656d6f74652e7069786965647573742e6f6e6c696e65000b000403000102000a000c00\
0a001d0017001e0019001800230000001600000017000000310000000d002a002804030503060308070808080908\
0a080b080408050806040105010601030303010302040205020602002b00050403040303002d0002010100330026\
0024001d0020d8a1f885af25dd99f2c6a123fae44fadc43bc5d9c123e0ec0fbbdc0a90a6b24e001500c200000000\
00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000\
00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000\
00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000\
00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000\
000000000000";

/// A real TLS 1.3 ClientHello handshake message (a browser with ECH and ALPN h2), from the
/// same suite.
pub const BROWSER_HELLO: &str = "\
010002880303b1454f846bd902745d988d870726ef0c313ce90f17984d51557964c3e606fa91200b509f238e6769\
dd3ad25fe6ed13020e3f7b64738a226fc0158ef2b59ba19b2c0022130113031302c02bc02fcca9cca8c02cc030c0\
0ac009c013c014009c009d002f00350100021d0000000e000c0000096a613464622e636f6d00170000ff01000100\
000a000e000c001d00170018001901000101000b00020100002300000010000e000c02683208687474702f312e31\
0005000501000000000022000a000804030503060302030033006b0069001d0020cb5494b8b6fffd904f2c18eecc\
978ae6ef7c9c89d347498dae1b66799176554900170041040bbdc463c55494edca30649e6c48e51261c4d61843e7\
cf607fffddca1d7cf7d8ae69ced9796f6403565655906bbcd7dffc103db95889d5d6774114b6793c4132002b0005\
0403040303000d0018001604030503060308040805080604010501060102030201002d00020101001c00024001fe\
0d01190000010003d10020b8cdfd2a9b9924e45471c4ebb24514d71a231a49d8d314fbcb75af0214a2e67c00efd3\
56cf2704ea9bb5e85579856bf473cb9b5ae1657b33929c86f5ee4b57cafcac74ecb8fe201f5d9e883efdd3913956\
39d9e42eafa8eae467601838c23c3e239907da1a6983f4e966e4990ff13f74e0159fe37d60535b76d308caea1e11\
4170ce3e3fd67c14a2f5e3e8fe540895e3d6a66fec86e88d2e403f9ff299681748c664572a7e889fe274ec142b2f\
5eb9445142c16dd98034f92d47be96ead6b030536ca37506cc44c94fd7d1f1b2178b71d5fc5e5339b1c91cf9db67\
c82099a0f0168ce228947c600a1cd48ee9d9b481c87f052999431bd4b91d2aac4a7dab3090578a64087a3d7cd9c6\
03c6e75c7d878f9d";
