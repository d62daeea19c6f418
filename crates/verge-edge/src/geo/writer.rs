//! [`MmdbWriter`]: writes MaxMind DB files (format 2.0) for tests and the demo, and the
//! ASN database that `import.rs` builds from CSV.
//!
//! The search tree is always IPv6 (`ip_version` 6) with IPv4 networks under `::/96`, where
//! readers start IPv4 lookups. Each distinct record is stored once in the data section and
//! shared by every network that carries it.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;
use std::net::IpAddr;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use super::GeoError;
use super::encode::{MmdbValue, encode};

/// Marks the start of the metadata map at the end of every MaxMind DB file.
const METADATA_MARKER: &[u8] = b"\xAB\xCD\xEFMaxMind.com";

/// Zero bytes between the search tree and the data section.
const DATA_SECTION_SEPARATOR: usize = 16;

/// A record in the ip-location-db layout: top-level `country_code`,
/// `autonomous_system_number` and `autonomous_system_organization`, each written only
/// when present.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MmdbRecord {
    /// ISO 3166-1 alpha-2 code, such as `"DE"`.
    pub country_code: Option<String>,
    /// Autonomous system number.
    pub autonomous_system_number: Option<u32>,
    /// Name of the organisation operating the autonomous system.
    pub autonomous_system_organization: Option<String>,
}

impl MmdbRecord {
    /// The record as the map written to the data section.
    pub fn to_value(&self) -> MmdbValue {
        let mut map = BTreeMap::new();
        if let Some(code) = &self.country_code {
            map.insert("country_code".to_owned(), MmdbValue::String(code.clone()));
        }
        if let Some(asn) = self.autonomous_system_number {
            map.insert(
                "autonomous_system_number".to_owned(),
                MmdbValue::Uint32(asn),
            );
        }
        if let Some(org) = &self.autonomous_system_organization {
            let org = MmdbValue::String(org.clone());
            map.insert("autonomous_system_organization".to_owned(), org);
        }
        MmdbValue::Map(map)
    }
}

/// Writes small MaxMind DB files, for tests and the demo; also builds the ASN database
/// from CSV (under a second and about 75 MB of memory for the full ip-location-db data).
///
/// Networks are inserted in any order; a later insert replaces what earlier inserts said
/// for every address it covers, so insert wide networks before the narrower exceptions.
pub struct MmdbWriter {
    database_type: String,
    /// Node 0 is the root; nodes cut off by a later insert stay here but are not written.
    nodes: Vec<[Slot; 2]>,
    data: Vec<u8>,
    /// Offset in `data` of each distinct encoded record.
    offsets: HashMap<Vec<u8>, u32>,
}

/// One record of a search tree node while the tree is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Empty,
    Node(u32),
    /// Offset of the record in the data section.
    Data(u32),
}

impl MmdbWriter {
    /// An empty database whose metadata names `database_type` (such as `"GeoLite2-Country"`).
    pub fn new(database_type: &str) -> MmdbWriter {
        MmdbWriter {
            database_type: database_type.to_owned(),
            nodes: vec![[Slot::Empty; 2]],
            data: Vec::new(),
            offsets: HashMap::new(),
        }
    }

    /// Maps `addr/prefix_len` to `{"country_code": country_code}`.
    pub fn insert_country(
        &mut self,
        addr: IpAddr,
        prefix_len: u8,
        country_code: &str,
    ) -> Result<(), GeoError> {
        let record = MmdbRecord {
            country_code: Some(country_code.to_owned()),
            ..MmdbRecord::default()
        };
        self.insert(addr, prefix_len, &record)
    }

    /// Maps `addr/prefix_len` to `{"autonomous_system_number": asn,
    /// "autonomous_system_organization": org}`.
    pub fn insert_asn(
        &mut self,
        addr: IpAddr,
        prefix_len: u8,
        asn: u32,
        org: &str,
    ) -> Result<(), GeoError> {
        let record = MmdbRecord {
            autonomous_system_number: Some(asn),
            autonomous_system_organization: Some(org.to_owned()),
            ..MmdbRecord::default()
        };
        self.insert(addr, prefix_len, &record)
    }

    /// Maps `addr/prefix_len` to `record`, in the ip-location-db layout.
    pub fn insert(
        &mut self,
        addr: IpAddr,
        prefix_len: u8,
        record: &MmdbRecord,
    ) -> Result<(), GeoError> {
        self.insert_value(addr, prefix_len, &record.to_value())
    }

    /// Maps `addr/prefix_len` to any value, for layouts other than ip-location-db's.
    ///
    /// Host bits of `addr` past `prefix_len` are ignored. IPv4 networks are stored at
    /// `::a.b.c.d/(96 + prefix_len)`.
    pub fn insert_value(
        &mut self,
        addr: IpAddr,
        prefix_len: u8,
        value: &MmdbValue,
    ) -> Result<(), GeoError> {
        let (bits, depth) = tree_position(addr, prefix_len)?;

        let mut encoded = Vec::new();
        encode(value, &mut encoded)?;
        let offset = self.store(encoded)?;

        self.set(bits, depth, Slot::Data(offset));
        Ok(())
    }

    /// Maps every address from `first` to `last` (inclusive, same family) to `record`,
    /// as the fewest networks that cover exactly that range.
    pub fn insert_range(
        &mut self,
        first: IpAddr,
        last: IpAddr,
        record: &MmdbRecord,
    ) -> Result<(), GeoError> {
        let (mut start, end, width) = match (first, last) {
            (IpAddr::V4(a), IpAddr::V4(b)) => (u128::from(u32::from(a)), u32::from(b).into(), 32),
            (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128),
            _ => return Err(range_error(first, "range mixes IPv4 and IPv6")),
        };
        if start > end {
            return Err(range_error(first, "range ends before it starts"));
        }

        let value = record.to_value();
        loop {
            // The widest block that starts at `start`, is aligned, and ends by `end`.
            let aligned = start.trailing_zeros().min(width);
            let fits = match (end - start).checked_add(1) {
                Some(span) => 127 - span.leading_zeros(),
                None => 128,
            };
            let host_bits = aligned.min(fits);

            let prefix_len = u8::try_from(width - host_bits).unwrap_or(0);
            self.insert_value(from_bits(start, width), prefix_len, &value)?;

            match start.checked_add(1u128.checked_shl(host_bits).unwrap_or(0)) {
                Some(next) if host_bits < 128 && next <= end && next > start => start = next,
                _ => return Ok(()),
            }
        }
    }

    /// The complete database file.
    pub fn to_bytes(&self) -> Vec<u8> {
        let (order, new_ids) = self.reachable_nodes();
        // `store` keeps the node count plus the data section within u32, so the widest
        // record value fits; the fallback is never taken.
        let node_count = u32::try_from(order.len()).unwrap_or(u32::MAX);
        let max_value = u64::from(node_count) + (DATA_SECTION_SEPARATOR + self.data.len()) as u64;
        let record_size = match max_value {
            v if v < 1 << 24 => 24,
            v if v < 1 << 28 => 28,
            _ => 32,
        };
        self.serialize(&order, &new_ids, record_size)
    }

    /// Writes the database to `path`, replacing any file there.
    pub fn write(&self, path: &Path) -> Result<(), GeoError> {
        std::fs::write(path, self.to_bytes()).map_err(|source| GeoError::Write {
            path: path.to_owned(),
            source,
        })
    }

    /// Adds an encoded record to the data section unless an identical one is there.
    fn store(&mut self, encoded: Vec<u8>) -> Result<u32, GeoError> {
        // Record values are `node_count + 16 + offset` and node ids are u32; keep room for
        // the nodes of one more full-depth insert.
        let bound = self.nodes.len() + 128 + DATA_SECTION_SEPARATOR + self.data.len();
        if bound.saturating_add(encoded.len()) > u32::MAX as usize {
            return Err(GeoError::TooLarge(
                "database would exceed 4 GiB of tree and data",
            ));
        }

        if let Some(&offset) = self.offsets.get(&encoded) {
            return Ok(offset);
        }

        let offset = u32::try_from(self.data.len())
            .map_err(|_| GeoError::TooLarge("data section exceeds 4 GiB"))?;
        self.data.extend_from_slice(&encoded);
        self.offsets.insert(encoded, offset);
        Ok(offset)
    }

    /// Points the network given by the first `depth` bits of `bits` at `slot`, splitting
    /// any wider network on the way so its other addresses keep their record.
    fn set(&mut self, bits: u128, depth: u8, slot: Slot) {
        if depth == 0 {
            self.nodes[0] = [slot; 2];
            return;
        }

        let bit_at = |i: u8| usize::from((bits >> (127 - i)) & 1 == 1);
        let mut node = 0usize;
        for i in 0..depth - 1 {
            let side = bit_at(i);
            node = match self.nodes[node][side] {
                Slot::Node(child) => child as usize,
                inherited => {
                    let child = self.nodes.len();
                    self.nodes.push([inherited; 2]);
                    // `store` bounds the node count well below u32::MAX.
                    self.nodes[node][side] = Slot::Node(child as u32);
                    child
                }
            };
        }
        self.nodes[node][bit_at(depth - 1)] = slot;
    }

    /// Nodes still in the tree, root first, and the id each gets in the file.
    fn reachable_nodes(&self) -> (Vec<usize>, Vec<u32>) {
        let mut new_ids = vec![u32::MAX; self.nodes.len()];
        let mut order = Vec::new();
        let mut queue = VecDeque::from([0usize]);

        while let Some(node) = queue.pop_front() {
            new_ids[node] = order.len() as u32;
            order.push(node);
            for slot in self.nodes[node] {
                if let Slot::Node(child) = slot {
                    queue.push_back(child as usize);
                }
            }
        }
        (order, new_ids)
    }

    fn serialize(&self, order: &[usize], new_ids: &[u32], record_size: u16) -> Vec<u8> {
        let node_count = order.len() as u64;
        let node_bytes = usize::from(record_size) / 4;
        let mut out = Vec::with_capacity(
            order.len() * node_bytes + DATA_SECTION_SEPARATOR + self.data.len() + 256,
        );

        for &node in order {
            let [left, right] = self.nodes[node].map(|slot| match slot {
                Slot::Empty => node_count,
                Slot::Node(child) => u64::from(new_ids[child as usize]),
                Slot::Data(offset) => {
                    node_count + DATA_SECTION_SEPARATOR as u64 + u64::from(offset)
                }
            });
            write_node(&mut out, record_size, left, right);
        }

        out.extend_from_slice(&[0; DATA_SECTION_SEPARATOR]);
        out.extend_from_slice(&self.data);
        out.extend_from_slice(METADATA_MARKER);
        let metadata = self.metadata(node_count, record_size);
        // Every metadata value is far below the size limits, so encoding cannot fail.
        if let Err(err) = encode(&metadata, &mut out) {
            tracing::error!(error = %err, "MaxMind DB metadata not encodable");
        }
        out
    }

    fn metadata(&self, node_count: u64, record_size: u16) -> MmdbValue {
        let build_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs());
        let text = |s: &str| MmdbValue::String(s.to_owned());
        let description = format!("{} written by Verge's MmdbWriter", self.database_type);

        MmdbValue::Map(BTreeMap::from([
            (
                "binary_format_major_version".to_owned(),
                MmdbValue::Uint16(2),
            ),
            (
                "binary_format_minor_version".to_owned(),
                MmdbValue::Uint16(0),
            ),
            ("build_epoch".to_owned(), MmdbValue::Uint64(build_epoch)),
            ("database_type".to_owned(), text(&self.database_type)),
            (
                "description".to_owned(),
                MmdbValue::Map(BTreeMap::from([("en".to_owned(), text(&description))])),
            ),
            ("ip_version".to_owned(), MmdbValue::Uint16(6)),
            ("languages".to_owned(), MmdbValue::Array(vec![text("en")])),
            (
                "node_count".to_owned(),
                MmdbValue::Uint32(node_count as u32),
            ),
            ("record_size".to_owned(), MmdbValue::Uint16(record_size)),
        ]))
    }
}

impl fmt::Debug for MmdbWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MmdbWriter")
            .field("database_type", &self.database_type)
            .field("nodes", &self.nodes.len())
            .field("records", &self.offsets.len())
            .field("data_bytes", &self.data.len())
            .finish()
    }
}

/// The network's bits in the 128-bit tree and how deep it sits.
fn tree_position(addr: IpAddr, prefix_len: u8) -> Result<(u128, u8), GeoError> {
    let (bits, depth) = match addr {
        IpAddr::V4(v4) if prefix_len <= 32 => (u128::from(u32::from(v4)), 96 + prefix_len),
        IpAddr::V6(v6) if prefix_len <= 128 => (u128::from(v6), prefix_len),
        _ => {
            return Err(GeoError::Network {
                addr,
                prefix_len,
                reason: "prefix length is longer than the address",
            });
        }
    };
    Ok((bits, depth))
}

fn from_bits(bits: u128, width: u32) -> IpAddr {
    if width == 32 {
        IpAddr::from((bits as u32).to_be_bytes())
    } else {
        IpAddr::from(bits.to_be_bytes())
    }
}

fn range_error(addr: IpAddr, reason: &'static str) -> GeoError {
    GeoError::Network {
        addr,
        prefix_len: 0,
        reason,
    }
}

/// Appends one node's two records, each `record_size` bits, big-endian.
fn write_node(out: &mut Vec<u8>, record_size: u16, left: u64, right: u64) {
    let low24 = |v: u64| [(v >> 16) as u8, (v >> 8) as u8, v as u8];
    match record_size {
        24 => {
            out.extend_from_slice(&low24(left));
            out.extend_from_slice(&low24(right));
        }
        28 => {
            // The middle byte holds the top nibble of each record, left first.
            out.extend_from_slice(&low24(left));
            out.push(((((left >> 24) & 0x0F) << 4) | ((right >> 24) & 0x0F)) as u8);
            out.extend_from_slice(&low24(right));
        }
        _ => {
            out.extend_from_slice(&(left as u32).to_be_bytes());
            out.extend_from_slice(&(right as u32).to_be_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv6Addr};

    use maxminddb::Reader;
    use serde::Deserialize;

    use super::*;
    use crate::geo::GeoDb;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Row<'a> {
        country_code: Option<&'a str>,
        autonomous_system_number: Option<u32>,
        autonomous_system_organization: Option<&'a str>,
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("test addresses are valid")
    }

    fn sample() -> MmdbWriter {
        let mut writer = MmdbWriter::new("Verge-Test");
        let de = MmdbRecord {
            country_code: Some("DE".into()),
            autonomous_system_number: Some(64500),
            autonomous_system_organization: Some("Example DE".into()),
        };
        let us = MmdbRecord {
            country_code: Some("US".into()),
            autonomous_system_number: Some(64501),
            autonomous_system_organization: Some("Example US".into()),
        };
        writer
            .insert(ip("192.0.2.0"), 24, &de)
            .expect("valid network");
        writer
            .insert(ip("198.51.100.0"), 24, &us)
            .expect("valid network");
        writer
            .insert_country(ip("2001:db8::"), 32, "FR")
            .expect("valid network");
        writer
    }

    fn row<'a>(reader: &'a Reader<Vec<u8>>, addr: &str) -> Option<Row<'a>> {
        let found = reader.lookup(ip(addr)).expect("lookup succeeds");
        found.decode::<Row<'a>>().expect("record decodes")
    }

    #[test]
    fn maxminddb_reads_what_was_written() {
        let reader = Reader::from_source(sample().to_bytes()).expect("valid database");
        reader.verify().expect("database verifies");

        let metadata = reader.metadata();
        assert_eq!(metadata.ip_version, 6);
        assert_eq!(metadata.record_size, 24);
        assert_eq!(metadata.database_type, "Verge-Test");
        assert_eq!(metadata.binary_format_major_version, 2);
        assert!(metadata.build_epoch > 1_600_000_000);

        let de = row(&reader, "192.0.2.77").expect("192.0.2.0/24 is in the database");
        assert_eq!(de.country_code, Some("DE"));
        assert_eq!(de.autonomous_system_number, Some(64500));
        assert_eq!(de.autonomous_system_organization, Some("Example DE"));
        let us = row(&reader, "198.51.100.255").expect("198.51.100.0/24 is in the database");
        assert_eq!(
            (us.country_code, us.autonomous_system_number),
            (Some("US"), Some(64501))
        );
        let fr = row(&reader, "2001:db8:ffff::1").expect("2001:db8::/32 is in the database");
        assert_eq!(
            (fr.country_code, fr.autonomous_system_number),
            (Some("FR"), None)
        );

        for miss in ["203.0.113.1", "192.0.3.0", "2001:db9::1", "::1", "0.0.0.0"] {
            assert_eq!(row(&reader, miss), None, "{miss}");
        }

        let found = reader.lookup(ip("192.0.2.1")).expect("lookup succeeds");
        assert_eq!(
            found.network().expect("network known").to_string(),
            "192.0.2.0/24"
        );
    }

    #[test]
    fn geodb_reads_what_was_written() {
        let path =
            std::env::temp_dir().join(format!("verge-geo-writer-{}.mmdb", std::process::id()));
        sample().write(&path).expect("temp dir is writable");
        let db = GeoDb::open(Some(&path), Some(&path));
        let _ = std::fs::remove_file(&path);
        let db = db.expect("written database opens");

        let country = |addr: &str| db.lookup(ip(addr)).country.map(|c| c.to_string());
        let asn = |addr: &str| db.lookup(ip(addr)).asn;
        assert_eq!(country("192.0.2.1").as_deref(), Some("DE"));
        assert_eq!(asn("192.0.2.1"), Some(64500));
        assert_eq!(country("198.51.100.9").as_deref(), Some("US"));
        assert_eq!(asn("198.51.100.9"), Some(64501));
        assert_eq!(country("2001:db8::5").as_deref(), Some("FR"));
        assert_eq!(asn("2001:db8::5"), None);
        assert_eq!(country("203.0.113.1"), None);
        assert_eq!(asn("203.0.113.1"), None);

        // An IPv4 viewer seen on a dual-stack socket.
        assert_eq!(country("::ffff:192.0.2.7").as_deref(), Some("DE"));
        assert_eq!(asn("::ffff:198.51.100.7"), Some(64501));
        assert_eq!(country("::ffff:203.0.113.1"), None);
    }

    #[test]
    fn every_record_size_reads_back() {
        let writer = sample();
        let (order, new_ids) = writer.reachable_nodes();
        for record_size in [24, 28, 32] {
            let bytes = writer.serialize(&order, &new_ids, record_size);
            let reader = Reader::from_source(bytes).expect("valid database");
            reader.verify().expect("database verifies");
            assert_eq!(reader.metadata().record_size, record_size);
            let de = row(&reader, "192.0.2.1").expect("hit");
            assert_eq!(de.country_code, Some("DE"), "record size {record_size}");
            let fr = row(&reader, "2001:db8::1").expect("hit");
            assert_eq!(fr.country_code, Some("FR"), "record size {record_size}");
            assert_eq!(
                row(&reader, "203.0.113.1"),
                None,
                "record size {record_size}"
            );
        }
    }

    #[test]
    fn record_size_28_splits_values_across_the_middle_nibbles() {
        let mut out = Vec::new();
        write_node(&mut out, 28, 0x0ABC_DEF1, 0x0123_4567);
        assert_eq!(out, [0xBC, 0xDE, 0xF1, 0xA1, 0x23, 0x45, 0x67]);
    }

    #[test]
    fn later_inserts_override_and_split_wider_networks() {
        let mut writer = MmdbWriter::new("Verge-Test");
        writer
            .insert_country(ip("10.0.0.0"), 8, "DE")
            .expect("valid network");
        writer
            .insert_country(ip("10.1.2.0"), 24, "NL")
            .expect("valid network");
        writer
            .insert_country(ip("10.1.2.128"), 25, "DE")
            .expect("valid network");
        writer
            .insert_country(ip("::"), 0, "ZZ")
            .expect("valid network");
        writer
            .insert_country(ip("10.0.0.0"), 8, "DE")
            .expect("valid network");
        writer
            .insert_country(ip("10.1.2.0"), 25, "NL")
            .expect("valid network");

        let reader = Reader::from_source(writer.to_bytes()).expect("valid database");
        let code = |addr: &str| row(&reader, addr).and_then(|r| r.country_code.map(str::to_owned));
        assert_eq!(code("10.9.9.9").as_deref(), Some("DE"));
        assert_eq!(code("10.1.2.1").as_deref(), Some("NL"));
        assert_eq!(code("10.1.2.200").as_deref(), Some("DE"));
        assert_eq!(code("11.0.0.1").as_deref(), Some("ZZ"));
        assert_eq!(code("2001:db8::1").as_deref(), Some("ZZ"));
        // Identical records are stored once.
        assert_eq!(writer.offsets.len(), 3);
    }

    #[test]
    fn ranges_become_the_fewest_covering_networks() {
        let mut writer = MmdbWriter::new("Verge-Test");
        let record = MmdbRecord {
            autonomous_system_number: Some(64496),
            ..MmdbRecord::default()
        };
        writer
            .insert_range(ip("192.0.2.1"), ip("192.0.2.130"), &record)
            .expect("valid range");
        writer
            .insert_range(ip("::"), ip("::"), &record)
            .expect("valid range");
        let full_v6 = IpAddr::V6(Ipv6Addr::from(u128::MAX));
        let mut everything = MmdbWriter::new("Verge-Test");
        everything
            .insert_range(ip("::"), full_v6, &record)
            .expect("valid range");
        everything
            .insert_range(ip("0.0.0.0"), ip("255.255.255.255"), &record)
            .expect("valid range");

        let reader = Reader::from_source(writer.to_bytes()).expect("valid database");
        let asn = |addr: &str| row(&reader, addr).and_then(|r| r.autonomous_system_number);
        assert_eq!(asn("192.0.2.0"), None);
        assert_eq!(asn("192.0.2.1"), Some(64496));
        assert_eq!(asn("192.0.2.64"), Some(64496));
        assert_eq!(asn("192.0.2.130"), Some(64496));
        assert_eq!(asn("192.0.2.131"), None);
        assert_eq!(asn("::"), Some(64496));
        assert_eq!(asn("::1"), None);

        let found = reader.lookup(ip("192.0.2.100")).expect("lookup succeeds");
        assert_eq!(
            found.network().expect("network known").to_string(),
            "192.0.2.64/26"
        );

        let reader = Reader::from_source(everything.to_bytes()).expect("valid database");
        assert_eq!(reader.metadata().node_count, 96);
        for addr in ["0.0.0.0", "255.255.255.255", "2001:db8::1", "ffff::1"] {
            let asn = row(&reader, addr).and_then(|r| r.autonomous_system_number);
            assert_eq!(asn, Some(64496), "{addr}");
        }
    }

    #[test]
    fn bad_networks_and_ranges_are_refused() {
        let mut writer = MmdbWriter::new("Verge-Test");
        let record = MmdbRecord::default();
        assert!(writer.insert_country(ip("192.0.2.0"), 33, "DE").is_err());
        assert!(writer.insert_country(ip("2001:db8::"), 129, "DE").is_err());
        assert!(
            writer
                .insert_range(ip("192.0.2.9"), ip("192.0.2.1"), &record)
                .is_err()
        );
        assert!(
            writer
                .insert_range(ip("192.0.2.1"), ip("2001:db8::"), &record)
                .is_err()
        );
        assert_eq!(writer.nodes.len(), 1);
    }

    #[test]
    fn empty_database_is_valid() {
        let reader = Reader::from_source(MmdbWriter::new("Empty").to_bytes()).expect("valid");
        reader.verify().expect("database verifies");
        assert_eq!(row(&reader, "192.0.2.1"), None);
        assert_eq!(row(&reader, "2001:db8::1"), None);
    }
}
