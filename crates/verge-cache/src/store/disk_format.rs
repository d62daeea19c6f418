//! The disk tier's file format. One file per entry, named by the xxh3-128 hash of its key:
//! the body first (so it streams from offset 0 and a writer needs no final metadata to
//! start), then the encoded [`Meta`], then a fixed footer with magic, version, lengths and
//! hashes. A file whose footer, lengths or hashes do not check out is corrupt.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderName, HeaderValue};
use xxhash_rust::xxh3::{xxh3_64, xxh3_128};

use crate::Meta;

/// The last eight bytes of every entry file.
pub(crate) const MAGIC: [u8; 8] = *b"VRGCACHE";
/// The format written and the only one read; an entry of another version is discarded.
pub(crate) const VERSION: u32 = 1;
/// The footer's size: body length, metadata length, body hash, metadata hash (u64 each),
/// version and a reserved word (u32 each), magic.
pub(crate) const FOOTER_LEN: usize = 48;
/// Encoded metadata longer than this is refused when written and corrupt when read.
pub(crate) const MAX_META_LEN: u64 = 16 << 20;

/// Where an entry's body and metadata are and what they hash to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Footer {
    pub(crate) body_len: u64,
    pub(crate) meta_len: u64,
    /// xxh3-64 of the body.
    pub(crate) body_hash: u64,
    /// xxh3-64 of the encoded metadata.
    pub(crate) meta_hash: u64,
}

impl Footer {
    /// The length the whole file must have.
    pub(crate) fn file_len(&self) -> u64 {
        self.body_len
            .saturating_add(self.meta_len)
            .saturating_add(FOOTER_LEN as u64)
    }

    /// The footer's bytes.
    pub(crate) fn encode(&self) -> [u8; FOOTER_LEN] {
        let mut out = [0; FOOTER_LEN];
        out[0..8].copy_from_slice(&self.body_len.to_le_bytes());
        out[8..16].copy_from_slice(&self.meta_len.to_le_bytes());
        out[16..24].copy_from_slice(&self.body_hash.to_le_bytes());
        out[24..32].copy_from_slice(&self.meta_hash.to_le_bytes());
        out[32..36].copy_from_slice(&VERSION.to_le_bytes());
        out[40..48].copy_from_slice(&MAGIC);
        out
    }

    /// Reads a footer, checking magic and version before trusting anything else.
    pub(crate) fn decode(bytes: &[u8; FOOTER_LEN]) -> Result<Footer, String> {
        if bytes[40..48] != MAGIC {
            return Err("no entry footer (truncated or foreign file)".to_owned());
        }
        let version = u32::from_le_bytes([bytes[32], bytes[33], bytes[34], bytes[35]]);
        if version != VERSION {
            return Err(format!(
                "format version {version}, this build reads {VERSION}"
            ));
        }
        let word = |at: usize| {
            let mut word = [0; 8];
            word.copy_from_slice(&bytes[at..at + 8]);
            u64::from_le_bytes(word)
        };
        let footer = Footer {
            body_len: word(0),
            meta_len: word(8),
            body_hash: word(16),
            meta_hash: word(24),
        };
        if footer.meta_len > MAX_META_LEN {
            return Err(format!(
                "metadata length {} is implausible",
                footer.meta_len
            ));
        }
        Ok(footer)
    }
}

/// The file name of `key`'s entry: 32 hex digits of its xxh3-128 hash.
pub(crate) fn file_name(key: &str) -> String {
    format!("{:032x}", xxh3_128(key.as_bytes()))
}

/// Where `key`'s entry lives under `root`: `xx/yy/<name>`, so no directory grows huge.
pub(crate) fn entry_path(root: &Path, key: &str) -> PathBuf {
    let name = file_name(key);
    root.join(&name[0..2]).join(&name[2..4]).join(name)
}

/// Whether `name` looks like an entry file's name.
pub(crate) fn is_entry_name(name: &str) -> bool {
    name.len() == 32 && name.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Appends `meta`'s encoding to `out` and returns its footer for a body of `body_len` bytes
/// hashing to `body_hash`. Lengths and counts are LEB128 varints; times are seconds and
/// nanoseconds since the Unix epoch (earlier times are stored as the epoch).
pub(crate) fn encode_meta(meta: &Meta, body_len: u64, body_hash: u64, out: &mut Vec<u8>) -> Footer {
    let start = out.len();
    put_bytes(out, meta.key.as_bytes());
    out.extend_from_slice(&meta.status.to_le_bytes());

    put_varint(out, meta.headers.len() as u64);
    for (name, value) in &meta.headers {
        put_bytes(out, name.as_str().as_bytes());
        put_bytes(out, value.as_bytes());
    }

    for time in [meta.request_time, meta.response_time] {
        put_duration(out, time.duration_since(UNIX_EPOCH).unwrap_or_default());
    }
    for duration in [
        meta.initial_age,
        meta.fresh_for,
        meta.stale_while_revalidate,
        meta.stale_if_error,
    ] {
        put_duration(out, duration);
    }
    out.push(u8::from(meta.must_revalidate) | u8::from(meta.no_cache) << 1);

    put_varint(out, meta.tags.len() as u64);
    for tag in &meta.tags {
        put_bytes(out, tag.as_bytes());
    }
    put_varint(out, body_len);

    let encoded = &out[start..];
    Footer {
        body_len,
        meta_len: encoded.len() as u64,
        body_hash,
        meta_hash: xxh3_64(encoded),
    }
}

/// Decodes metadata written by [`encode_meta`], checking it against its footer.
pub(crate) fn decode_meta(bytes: &[u8], footer: &Footer) -> Result<Meta, String> {
    if xxh3_64(bytes) != footer.meta_hash {
        return Err("metadata hash mismatch".to_owned());
    }

    let mut input = Input { bytes };
    let key = input.string()?;
    let status = u16::from_le_bytes([input.byte()?, input.byte()?]);

    let count = input.count()?;
    let mut headers = HeaderMap::with_capacity(count.min(64));
    for _ in 0..count {
        let name = HeaderName::from_bytes(input.bytes()?).map_err(|_| "bad header name")?;
        let value = HeaderValue::from_bytes(input.bytes()?).map_err(|_| "bad header value")?;
        headers.append(name, value);
    }

    let request_time = input.time()?;
    let response_time = input.time()?;
    let initial_age = input.duration()?;
    let fresh_for = input.duration()?;
    let stale_while_revalidate = input.duration()?;
    let stale_if_error = input.duration()?;
    let flags = input.byte()?;
    if flags & !0b11 != 0 {
        return Err(format!("unknown flags {flags:#x}"));
    }

    let count = input.count()?;
    let mut tags = Vec::with_capacity(count.min(64));
    for _ in 0..count {
        tags.push(input.string()?);
    }
    let body_len = input.varint()?;
    if body_len != footer.body_len {
        return Err("metadata and footer disagree on the body length".to_owned());
    }
    if !input.bytes.is_empty() {
        return Err("trailing bytes after the metadata".to_owned());
    }

    Ok(Meta {
        key,
        status,
        headers,
        request_time,
        response_time,
        initial_age,
        fresh_for,
        stale_while_revalidate,
        stale_if_error,
        must_revalidate: flags & 1 != 0,
        no_cache: flags & 2 != 0,
        tags,
        body_len,
    })
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push(n as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn put_duration(out: &mut Vec<u8>, duration: Duration) {
    put_varint(out, duration.as_secs());
    put_varint(out, u64::from(duration.subsec_nanos()));
}

/// The unread rest of an encoded `Meta`.
struct Input<'a> {
    bytes: &'a [u8],
}

impl<'a> Input<'a> {
    fn byte(&mut self) -> Result<u8, String> {
        let (&first, rest) = self.bytes.split_first().ok_or("metadata truncated")?;
        self.bytes = rest;
        Ok(first)
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            let bits = u64::from(byte & 0x7f);
            if shift == 63 && bits > 1 {
                break;
            }
            n |= bits << shift;
            if byte & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err("varint overflows 64 bits".to_owned())
    }

    /// A count of items that each take at least one byte, so at most the bytes left.
    fn count(&mut self) -> Result<usize, String> {
        let n = self.varint()?;
        usize::try_from(n)
            .ok()
            .filter(|&n| n <= self.bytes.len())
            .ok_or_else(|| format!("count {n} exceeds the metadata"))
    }

    fn bytes(&mut self) -> Result<&'a [u8], String> {
        let len = self.count()?;
        let (bytes, rest) = self.bytes.split_at(len);
        self.bytes = rest;
        Ok(bytes)
    }

    fn string(&mut self) -> Result<String, String> {
        let bytes = self.bytes()?;
        String::from_utf8(bytes.to_vec()).map_err(|_| "string is not UTF-8".to_owned())
    }

    fn duration(&mut self) -> Result<Duration, String> {
        let secs = self.varint()?;
        let nanos = self.varint()?;
        match u32::try_from(nanos) {
            Ok(nanos) if nanos < 1_000_000_000 => Ok(Duration::new(secs, nanos)),
            _ => Err(format!("{nanos} nanoseconds is not below one second")),
        }
    }

    fn time(&mut self) -> Result<SystemTime, String> {
        let since_epoch = self.duration()?;
        UNIX_EPOCH
            .checked_add(since_epoch)
            .ok_or_else(|| "time out of range".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::{full_meta, meta};

    fn round_trip(meta: &Meta) -> Result<Meta, String> {
        let mut out = Vec::new();
        let footer = encode_meta(meta, meta.body_len, 5, &mut out);
        assert_eq!(footer.meta_len, out.len() as u64);
        let decoded_footer = Footer::decode(&footer.encode())?;
        assert_eq!(decoded_footer, footer);
        decode_meta(&out, &decoded_footer)
    }

    #[test]
    fn every_field_round_trips() {
        let original = full_meta("https://example.com/a?b=c|accept-encoding=br", 1234);
        let decoded = round_trip(&original).expect("decodes");
        assert_eq!(decoded, original);
        let cookies: Vec<_> = decoded.headers.get_all("set-cookie").iter().collect();
        assert_eq!(cookies, ["a=1; Path=/", "b=2; Secure"]);

        let plain = meta("");
        assert_eq!(round_trip(&plain).expect("decodes"), plain);
    }

    #[test]
    fn times_before_the_epoch_are_stored_as_the_epoch() {
        let mut old = meta("k");
        old.request_time = UNIX_EPOCH - Duration::from_secs(5);
        let decoded = round_trip(&old).expect("decodes");
        assert_eq!(decoded.request_time, UNIX_EPOCH);
    }

    #[test]
    fn varints_round_trip_at_the_edges() {
        for n in [
            0,
            1,
            127,
            128,
            300,
            u64::from(u32::MAX),
            u64::MAX - 1,
            u64::MAX,
        ] {
            let mut out = Vec::new();
            put_varint(&mut out, n);
            let mut input = Input { bytes: &out };
            assert_eq!(input.varint(), Ok(n));
            assert!(input.bytes.is_empty());
        }
        let mut input = Input { bytes: &[0xff; 11] };
        assert!(input.varint().is_err());
        let mut input = Input { bytes: &[0x80] };
        assert!(input.varint().is_err());
    }

    #[test]
    fn every_truncation_and_every_flipped_byte_is_an_error_not_a_panic() {
        let original = full_meta("key", 10);
        let mut out = Vec::new();
        let footer = encode_meta(&original, 10, 0, &mut out);
        for len in 0..out.len() {
            let truncated = &out[..len];
            let footer = Footer {
                meta_len: len as u64,
                meta_hash: xxh3_64(truncated),
                ..footer
            };
            assert!(
                decode_meta(truncated, &footer).is_err(),
                "truncated at {len}"
            );
        }
        for at in 0..out.len() {
            let mut flipped = out.clone();
            flipped[at] ^= 0x5a;
            assert!(
                decode_meta(&flipped, &footer).is_err(),
                "hash catches byte {at}"
            );
            // With a matching hash the decoder itself must cope.
            let footer = Footer {
                meta_hash: xxh3_64(&flipped),
                ..footer
            };
            let _ = decode_meta(&flipped, &footer);
        }
    }

    #[test]
    fn footers_with_wrong_magic_or_version_are_refused() {
        let footer = Footer {
            body_len: 1,
            meta_len: 2,
            body_hash: 3,
            meta_hash: 4,
        };
        let mut bytes = footer.encode();
        assert_eq!(Footer::decode(&bytes), Ok(footer));
        assert_eq!(footer.file_len(), 3 + FOOTER_LEN as u64);
        bytes[32] = 2;
        assert!(
            Footer::decode(&bytes)
                .expect_err("version")
                .contains("version 2")
        );
        bytes[47] = b'x';
        assert!(Footer::decode(&bytes).is_err());
        let mut long = footer;
        long.meta_len = MAX_META_LEN + 1;
        assert!(Footer::decode(&long.encode()).is_err());
    }

    #[test]
    fn entry_paths_fan_out_by_hash() {
        let path = entry_path(Path::new("/c"), "key");
        let name = file_name("key");
        assert!(is_entry_name(&name));
        assert_eq!(
            path,
            Path::new("/c")
                .join(&name[..2])
                .join(&name[2..4])
                .join(&name)
        );
        assert!(!is_entry_name("0123"));
        assert!(!is_entry_name(&name.to_uppercase()));
    }
}
