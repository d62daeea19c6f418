//! JA4 (FoxIO) for TLS over TCP: `t`, version, SNI, cipher and extension counts and ALPN
//! (`t13d1516h2`), then 12 hex digits of SHA-256 over the sorted cipher suites, then over the
//! sorted extensions (less SNI and ALPN) and the signature algorithms. GREASE is left out
//! everywhere. The raw form (`JA4_r`) shows the lists instead of their hashes.

use sha2::{Digest, Sha256};

use super::client_hello::{ClientHello, ext};
use super::{hex, is_grease, push_hex4};

/// What JA4_b or JA4_c is when its list is empty, instead of the hash of nothing.
const EMPTY: &str = "000000000000";

/// The JA4 fingerprint of a ClientHello.
pub fn ja4(hello: &ClientHello) -> String {
    let parts = Parts::new(hello);
    let ciphers = hash12(&parts.ciphers);
    let extensions = hash12(&parts.extensions);
    format!("{}_{ciphers}_{extensions}", parts.prefix)
}

/// The raw JA4 (`JA4_r`): the sorted lists themselves.
pub fn ja4_raw(hello: &ClientHello) -> String {
    let parts = Parts::new(hello);
    format!("{}_{}_{}", parts.prefix, parts.ciphers, parts.extensions)
}

/// JA4's three parts before hashing.
struct Parts {
    /// JA4_a: `t13d1516h2`.
    prefix: String,
    /// The cipher suites, sorted, 4 hex digits each, comma-joined.
    ciphers: String,
    /// The extensions less SNI and ALPN, sorted, then `_` and the signature algorithms in
    /// the order sent (no `_` when there are none).
    extensions: String,
}

impl Parts {
    fn new(hello: &ClientHello) -> Self {
        let mut ciphers = without_grease(&hello.cipher_suites);
        let mut extensions = without_grease(&hello.extensions);
        let prefix = format!(
            "t{}{}{:02}{:02}{}",
            version(hello),
            if hello.server_name { 'd' } else { 'i' },
            ciphers.len().min(99),
            extensions.len().min(99),
            alpn(hello.alpn.as_deref()),
        );

        ciphers.sort_unstable();
        extensions.retain(|&e| e != ext::SERVER_NAME && e != ext::ALPN);
        extensions.sort_unstable();
        let mut extension_list = hex_list(&extensions);
        let signatures = without_grease(&hello.signature_algorithms);
        if !extensions.is_empty() && !signatures.is_empty() {
            extension_list.push('_');
            extension_list.push_str(&hex_list(&signatures));
        }
        Parts {
            prefix,
            ciphers: hex_list(&ciphers),
            extensions: extension_list,
        }
    }
}

/// The highest version in `supported_versions`, else `legacy_version`, as JA4 writes it.
fn version(hello: &ClientHello) -> &'static str {
    let offered = hello
        .supported_versions
        .iter()
        .copied()
        .filter(|&v| !is_grease(v))
        .max();
    match offered.unwrap_or(hello.legacy_version) {
        0x0304 => "13",
        0x0303 => "12",
        0x0302 => "11",
        0x0301 => "10",
        0x0300 => "s3",
        0x0002 => "s2",
        0xfeff => "d1",
        0xfefd => "d2",
        0xfefc => "d3",
        _ => "00",
    }
}

/// The first and last characters of the first ALPN protocol; when either is not
/// alphanumeric, the first and last digits of the protocol in hex; `00` without one.
fn alpn(first: Option<&[u8]>) -> String {
    let Some((&head, &tail)) = first.and_then(|p| p.first().zip(p.last())) else {
        return "00".to_owned();
    };
    if head.is_ascii_alphanumeric() && tail.is_ascii_alphanumeric() {
        return [char::from(head), char::from(tail)].iter().collect();
    }
    let digits = hex(&[head, tail]);
    digits
        .chars()
        .take(1)
        .chain(digits.chars().skip(3))
        .collect()
}

fn without_grease(values: &[u16]) -> Vec<u16> {
    values.iter().copied().filter(|&v| !is_grease(v)).collect()
}

/// Values as 4 lowercase hex digits each, comma-joined.
fn hex_list(values: &[u16]) -> String {
    let mut out = String::with_capacity(values.len() * 5);
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_hex4(&mut out, *value);
    }
    out
}

/// The first 12 hex digits of the SHA-256 of `list`, or zeros for an empty list.
fn hash12(list: &str) -> String {
    if list.is_empty() {
        return EMPTY.to_owned();
    }
    let digest = Sha256::digest(list.as_bytes());
    hex(&digest[..6])
}

#[cfg(test)]
mod tests {
    use super::super::test_hello::{
        BROWSER_HELLO, CURL_HELLO, HelloSpec, alpn as alpn_ext, empty, records, sni, unhex,
        versions,
    };
    use super::*;

    fn parse(spec: &HelloSpec) -> ClientHello {
        ClientHello::parse(&spec.message()).expect("parses")
    }

    #[test]
    fn foxio_worked_example() {
        let hello = parse(&HelloSpec::foxio_example());
        assert_eq!(ja4(&hello), "t13d1516h2_8daaf6152771_e5627efa2ab1");
        assert_eq!(
            ja4_raw(&hello),
            "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_\
             0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_\
             0403,0804,0401,0503,0805,0501,0806,0601"
        );
    }

    #[test]
    fn without_signature_algorithms_the_list_ends_without_an_underscore() {
        // FoxIO's example again, its signature_algorithms extension sent with no schemes.
        let mut spec = HelloSpec::foxio_example();
        for (kind, data) in spec.extensions.iter_mut().flatten() {
            if *kind == ext::SIGNATURE_ALGORITHMS {
                *data = vec![0, 0];
            }
        }
        let hello = parse(&spec);
        assert!(
            ja4_raw(&hello).ends_with(
                "_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01"
            )
        );
        assert_eq!(ja4(&hello), "t13d1516h2_8daaf6152771_6d807ffa2a79");
    }

    #[test]
    fn chrome_as_browserleaks_reports_it() {
        let hello = parse(&HelloSpec::chrome_143());
        assert_eq!(ja4(&hello), "t13d1516h2_8daaf6152771_d8a2da3f94cd");
        assert_eq!(
            ja4_raw(&hello),
            "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_\
             0005,000a,000b,000d,0012,0017,001b,0023,002b,002d,0033,44cd,fe0d,ff01_\
             0403,0804,0401,0503,0805,0501,0806,0601"
        );
    }

    #[test]
    fn real_captures_split_over_records() {
        let cases = [
            (
                CURL_HELLO,
                "t13d311200_e8f1e7e78f70_d339722ba4af",
                "t13d311200_002f,0033,0035,0039,003c,003d,0067,006b,009c,009d,009e,009f,00ff,\
                 1301,1302,1303,c009,c00a,c013,c014,c023,c024,c027,c028,c02b,c02c,c02f,c030,\
                 cca8,cca9,ccaa_000a,000b,000d,0015,0016,0017,0023,002b,002d,0031,0033_\
                 0403,0503,0603,0807,0808,0809,080a,080b,0804,0805,0806,0401,0501,0601,0303,\
                 0301,0302,0402,0502,0602",
            ),
            (
                BROWSER_HELLO,
                "t13d1715h2_5b57614c22b0_5c2c66f702b0",
                "t13d1715h2_002f,0035,009c,009d,1301,1302,1303,c009,c00a,c013,c014,c02b,c02c,\
                 c02f,c030,cca8,cca9_0005,000a,000b,000d,0017,001c,0022,0023,002b,002d,0033,\
                 fe0d,ff01_0403,0503,0603,0804,0805,0806,0401,0501,0601,0203,0201",
            ),
        ];
        for (capture, expected, raw) in cases {
            let message = unhex(capture);
            for fragment in [16_384, 300, 7, 1] {
                let hello =
                    ClientHello::from_records(&records(&message, fragment)).expect("parses");
                assert_eq!(ja4(&hello), expected, "fragments of {fragment}");
                assert_eq!(ja4_raw(&hello), raw);
            }
        }
    }

    #[test]
    fn grease_changes_nothing() {
        let plain = HelloSpec {
            ciphers: vec![0x1301, 0x1302],
            extensions: Some(vec![
                sni("a.test"),
                versions(&[0x0304]),
                alpn_ext(&[b"h2"]),
                (ext::SIGNATURE_ALGORITHMS, vec![0, 4, 4, 3, 8, 4]),
            ]),
            ..HelloSpec::bare()
        };
        let greased = HelloSpec {
            ciphers: vec![0xdada, 0x1301, 0x1302],
            extensions: Some(vec![
                empty(0x2a2a),
                sni("a.test"),
                versions(&[0x7a7a, 0x0304]),
                alpn_ext(&[b"h2"]),
                (
                    ext::SIGNATURE_ALGORITHMS,
                    vec![0, 6, 0x9a, 0x9a, 4, 3, 8, 4],
                ),
                (0xfafa, vec![0]),
            ]),
            ..HelloSpec::bare()
        };
        let (plain, greased) = (parse(&plain), parse(&greased));
        assert_eq!(ja4(&plain), ja4(&greased));
        assert!(ja4(&plain).starts_with("t13d0204h2_"), "{}", ja4(&plain));
    }

    #[test]
    fn versions_come_from_supported_versions_else_the_legacy_version() {
        let with = |legacy: u16, offered: Option<&[u16]>| {
            let spec = HelloSpec {
                legacy_version: legacy,
                extensions: offered.map(|v| vec![versions(v)]),
                ..HelloSpec::bare()
            };
            ja4(&parse(&spec))[1..3].to_owned()
        };
        assert_eq!(with(0x0303, Some(&[0x3a3a, 0x0303, 0x0304])), "13");
        assert_eq!(with(0x0303, None), "12");
        assert_eq!(with(0x0302, None), "11");
        assert_eq!(with(0x0301, None), "10");
        assert_eq!(with(0x0300, None), "s3");
        assert_eq!(with(0x0002, None), "s2");
        assert_eq!(with(0x7f1c, None), "00");
        // GREASE alone in supported_versions leaves the legacy version.
        assert_eq!(with(0x0303, Some(&[0x0a0a])), "12");
    }

    #[test]
    fn alpn_characters_follow_the_specification() {
        let cases: [(&[u8], &str); 9] = [
            (b"h2", "h2"),
            (b"http/1.1", "h1"),
            (b"a", "aa"),
            (&[0xab], "ab"),
            (&[0xab, 0xcd], "ad"),
            (&[0x30, 0xab], "3b"),
            (&[0x30, 0x31, 0xab, 0xcd], "3d"),
            (&[0x30, 0xab, 0xcd, 0x31], "01"),
            (b"", "00"),
        ];
        for (protocol, expected) in cases {
            assert_eq!(alpn(Some(protocol)), expected, "{protocol:02x?}");
        }
        assert_eq!(alpn(None), "00");
    }

    #[test]
    fn empty_lists_hash_to_zeros_and_counts_stop_at_99() {
        let spec = HelloSpec {
            ciphers: Vec::new(),
            extensions: Some(vec![sni("a.test"), alpn_ext(&[b"h2"])]),
            ..HelloSpec::bare()
        };
        assert_eq!(ja4(&parse(&spec)), "t12d0002h2_000000000000_000000000000");

        let spec = HelloSpec {
            ciphers: (1..=120).collect(),
            extensions: Some((0x0100..0x0100 + 105).map(empty).collect()),
            ..HelloSpec::bare()
        };
        assert!(ja4(&parse(&spec)).starts_with("t12i999900_"));

        let bare = parse(&HelloSpec::bare());
        assert_eq!(ja4_raw(&bare), "t12i010000_002f_");
    }
}
