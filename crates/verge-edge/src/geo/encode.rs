//! The MaxMind DB data-section encoding of values, as written by [`MmdbWriter`].
//!
//! Each value starts with a control byte: three bits of type and five of size, with
//! "extended" types (above 7) in a second byte and large sizes in up to three more.
//!
//! [`MmdbWriter`]: super::MmdbWriter

use std::collections::BTreeMap;

use super::GeoError;

/// Largest size a control byte with its three extension bytes can state.
const MAX_ENCODED_SIZE: usize = 65_821 + 0xFF_FFFF;

/// A value in a MaxMind DB data section, of the types this writer supports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MmdbValue {
    /// UTF-8 string (type 2).
    String(String),
    /// Unsigned 16-bit integer (type 5).
    Uint16(u16),
    /// Unsigned 32-bit integer (type 6).
    Uint32(u32),
    /// Unsigned 64-bit integer (type 9).
    Uint64(u64),
    /// Boolean (type 14).
    Bool(bool),
    /// Array (type 11).
    Array(Vec<MmdbValue>),
    /// Map with string keys (type 7), written in key order.
    Map(BTreeMap<String, MmdbValue>),
}

/// Appends `value` in the MaxMind DB data encoding.
pub(super) fn encode(value: &MmdbValue, out: &mut Vec<u8>) -> Result<(), GeoError> {
    match value {
        MmdbValue::String(text) => {
            control(out, 2, text.len())?;
            out.extend_from_slice(text.as_bytes());
        }
        MmdbValue::Uint16(n) => unsigned(out, 5, u64::from(*n))?,
        MmdbValue::Uint32(n) => unsigned(out, 6, u64::from(*n))?,
        MmdbValue::Uint64(n) => unsigned(out, 9, *n)?,
        MmdbValue::Bool(flag) => control(out, 14, usize::from(*flag))?,
        MmdbValue::Array(items) => {
            control(out, 11, items.len())?;
            for item in items {
                encode(item, out)?;
            }
        }
        MmdbValue::Map(entries) => {
            control(out, 7, entries.len())?;
            for (key, item) in entries {
                control(out, 2, key.len())?;
                out.extend_from_slice(key.as_bytes());
                encode(item, out)?;
            }
        }
    }
    Ok(())
}

/// An unsigned integer in as few big-endian bytes as it needs (zero needs none).
fn unsigned(out: &mut Vec<u8>, type_id: u8, n: u64) -> Result<(), GeoError> {
    let bytes = n.to_be_bytes();
    let skip = (n.leading_zeros() / 8) as usize;
    control(out, type_id, bytes.len() - skip)?;
    out.extend_from_slice(&bytes[skip..]);
    Ok(())
}

/// Appends a control byte for `type_id` and `size`: types above 7 are "extended" (an
/// extra type byte), and sizes of 29 or more spill into up to three following bytes.
fn control(out: &mut Vec<u8>, type_id: u8, size: usize) -> Result<(), GeoError> {
    let (size_bits, extra_len, rest) = match size {
        0..=28 => (size as u8, 0, 0),
        29..=284 => (29, 1, size - 29),
        285..=65_820 => (30, 2, size - 285),
        65_821..=MAX_ENCODED_SIZE => (31, 3, size - 65_821),
        _ => {
            return Err(GeoError::TooLarge(
                "string, array or map longer than 16 MiB",
            ));
        }
    };

    if type_id <= 7 {
        out.push((type_id << 5) | size_bits);
    } else {
        out.push(size_bits);
        out.push(type_id - 7);
    }
    out.extend_from_slice(&(rest as u32).to_be_bytes()[4 - extra_len..]);
    Ok(())
}

#[cfg(test)]
mod tests {
    use maxminddb::Reader;
    use serde::Deserialize;

    use super::*;
    use crate::geo::MmdbWriter;

    fn ip(text: &str) -> std::net::IpAddr {
        text.parse().expect("test addresses are valid")
    }

    fn encoded(value: &MmdbValue) -> Vec<u8> {
        let mut out = Vec::new();
        encode(value, &mut out).expect("value is encodable");
        out
    }

    #[test]
    fn scalars_use_the_fewest_bytes() {
        assert_eq!(encoded(&MmdbValue::Uint16(0)), [0xA0]);
        assert_eq!(encoded(&MmdbValue::Uint16(0x1234)), [0xA2, 0x12, 0x34]);
        assert_eq!(encoded(&MmdbValue::Uint32(64500)), [0xC2, 0xFB, 0xF4]);
        assert_eq!(encoded(&MmdbValue::Uint64(1)), [0x01, 0x02, 0x01]);
        assert_eq!(encoded(&MmdbValue::Bool(true)), [0x01, 0x07]);
        assert_eq!(encoded(&MmdbValue::String("DE".into())), [0x42, b'D', b'E']);
    }

    #[test]
    fn long_sizes_spill_into_following_bytes() {
        let header = |len: usize| encoded(&MmdbValue::String("a".repeat(len)))[..4].to_vec();
        assert_eq!(header(28)[0], 0x5C);
        assert_eq!(header(29)[..2], [0x5D, 0x00]);
        assert_eq!(header(284)[..2], [0x5D, 0xFF]);
        assert_eq!(header(285)[..3], [0x5E, 0x00, 0x00]);
        assert_eq!(header(65_821), [0x5F, 0x00, 0x00, 0x00]);
        let array = encoded(&MmdbValue::Array(vec![MmdbValue::Bool(false); 30]));
        assert_eq!(array[..3], [0x1D, 0x04, 0x01]);
    }

    #[test]
    fn long_values_and_all_types_round_trip() {
        #[derive(Debug, Deserialize)]
        struct Everything {
            short: String,
            medium: String,
            long: String,
            small: u16,
            wide: u64,
            zero: u32,
            flag: bool,
            list: Vec<u32>,
        }

        let value = MmdbValue::Map(BTreeMap::from([
            ("short".to_owned(), MmdbValue::String("x".repeat(28))),
            ("medium".to_owned(), MmdbValue::String("y".repeat(300))),
            ("long".to_owned(), MmdbValue::String("z".repeat(70_000))),
            ("small".to_owned(), MmdbValue::Uint16(0x1234)),
            ("wide".to_owned(), MmdbValue::Uint64(u64::MAX - 1)),
            ("zero".to_owned(), MmdbValue::Uint32(0)),
            ("flag".to_owned(), MmdbValue::Bool(true)),
            (
                "list".to_owned(),
                MmdbValue::Array((0..40).map(MmdbValue::Uint32).collect()),
            ),
        ]));
        let mut writer = MmdbWriter::new("Verge-Test");
        writer
            .insert_value(ip("2001:db8::"), 64, &value)
            .expect("valid network");

        let reader = Reader::from_source(writer.to_bytes()).expect("valid database");
        reader.verify().expect("database verifies");
        let found = reader.lookup(ip("2001:db8::1")).expect("lookup succeeds");
        let got: Everything = found.decode().expect("decodes").expect("hit");
        assert_eq!(
            (got.short.len(), got.medium.len(), got.long.len()),
            (28, 300, 70_000)
        );
        assert_eq!(
            (got.small, got.wide, got.zero, got.flag),
            (0x1234, u64::MAX - 1, 0, true)
        );
        assert_eq!(got.list, (0..40).collect::<Vec<u32>>());
    }
}
