//! JA3 (Salesforce): `SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats`
//! in decimal, values joined by `-`, GREASE left out, and its MD5 in lowercase hex.

use md5::{Digest, Md5};

use super::client_hello::ClientHello;
use super::{hex, is_grease, push_decimal};

/// The JA3 string of a ClientHello.
pub fn ja3_string(hello: &ClientHello) -> String {
    let mut out = String::with_capacity(256);
    push_decimal(&mut out, hello.legacy_version);
    out.push(',');
    join(&mut out, hello.cipher_suites.iter().copied());
    out.push(',');
    join(&mut out, hello.extensions.iter().copied());
    out.push(',');
    join(&mut out, hello.supported_groups.iter().copied());
    out.push(',');
    join(
        &mut out,
        hello.point_formats.iter().map(|&format| u16::from(format)),
    );
    out
}

/// The JA3 fingerprint: the MD5 of the JA3 string, 32 lowercase hex digits.
pub fn ja3_hash(ja3: &str) -> String {
    hex(&Md5::digest(ja3.as_bytes()))
}

/// Appends the non-GREASE values in decimal, joined by `-`.
fn join(out: &mut String, values: impl Iterator<Item = u16>) {
    let mut first = true;
    for value in values.filter(|&v| !is_grease(v)) {
        if !first {
            out.push('-');
        }
        first = false;
        push_decimal(out, value);
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_hello::{HelloSpec, groups, point_formats, sni};
    use super::*;

    fn parse(spec: &HelloSpec) -> ClientHello {
        ClientHello::parse(&spec.message()).expect("parses")
    }

    #[test]
    fn salesforce_readme_example() {
        // The JA3 README's worked example and its hash.
        let spec = HelloSpec {
            legacy_version: 769,
            ciphers: vec![47, 53, 5, 10, 49161, 49162, 49171, 49172, 50, 56, 19, 4],
            extensions: Some(vec![
                sni("example.com"),
                groups(&[23, 24, 25]),
                point_formats(&[0]),
            ]),
            ..HelloSpec::bare()
        };
        let ja3 = ja3_string(&parse(&spec));
        assert_eq!(
            ja3,
            "769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0"
        );
        assert_eq!(ja3_hash(&ja3), "ada70206e40642a3e4461f35503241d5");
    }

    #[test]
    fn chrome_as_browserleaks_reports_it_grease_left_out() {
        let ja3 = ja3_string(&parse(&HelloSpec::chrome_143()));
        assert_eq!(
            ja3,
            "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,\
             45-51-16-65037-23-17613-0-11-10-43-65281-35-18-5-13-27,4588-29-23-24,0"
        );
        assert_eq!(ja3_hash(&ja3), "98487aa16281980e7d1120d399efb6a4");
    }

    #[test]
    fn missing_extensions_leave_empty_fields() {
        let spec = HelloSpec {
            legacy_version: 0x0301,
            ciphers: vec![0x002f, 0x0a0a, 0x0035],
            ..HelloSpec::bare()
        };
        assert_eq!(ja3_string(&parse(&spec)), "769,47-53,,,");

        let spec = HelloSpec {
            extensions: Some(vec![sni("a.test")]),
            ..HelloSpec::bare()
        };
        assert_eq!(ja3_string(&parse(&spec)), "771,47,0,,");
    }
}
