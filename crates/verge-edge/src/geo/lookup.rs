//! [`GeoDb`]: the country and ASN databases held in memory, and the per-request lookup.
//!
//! Runs for each viewer address; which record fields are read is up to `record.rs`.

use std::collections::HashSet;
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use maxminddb::{Reader, WithinOptions};

use super::record::Record;
use super::{GeoError, GeoInfo};

/// Country and ASN databases loaded fully into memory, cheap to clone and share.
///
/// Built once at start or reload with [`GeoDb::open`]; [`GeoDb::lookup`] never fails and
/// never panics: an address a database does not know, or a record it cannot decode,
/// gives an empty answer.
#[derive(Clone, Default)]
pub struct GeoDb {
    country: Option<Arc<LoadedDb>>,
    asn: Option<Arc<LoadedDb>>,
}

/// One `.mmdb` file and where it came from.
struct LoadedDb {
    path: PathBuf,
    reader: Reader<Vec<u8>>,
}

impl GeoDb {
    /// A database that knows nothing: every lookup gives an empty [`GeoInfo`].
    pub fn empty() -> GeoDb {
        GeoDb::default()
    }

    /// Loads the country and ASN databases named in the config; either may be absent.
    ///
    /// The two may be the same file, which is then loaded once and decoded once per lookup.
    /// Each file is read into memory and every record in it decoded once, so a damaged
    /// file is refused here rather than misanswering later.
    pub fn open(country_db: Option<&Path>, asn_db: Option<&Path>) -> Result<GeoDb, GeoError> {
        let country = country_db.map(|path| load(path, "country")).transpose()?;

        let asn = match (asn_db, &country) {
            (Some(path), Some(loaded)) if same_file(path, &loaded.path) => Some(Arc::clone(loaded)),
            (Some(path), _) => Some(load(path, "asn")?),
            (None, _) => None,
        };

        Ok(GeoDb { country, asn })
    }

    /// Whether a country database is loaded.
    pub fn has_country(&self) -> bool {
        self.country.is_some()
    }

    /// Whether an ASN database is loaded.
    pub fn has_asn(&self) -> bool {
        self.asn.is_some()
    }

    /// Country and ASN of `ip`; IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are looked
    /// up as the IPv4 address they carry.
    pub fn lookup(&self, ip: IpAddr) -> GeoInfo {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            IpAddr::V4(_) => ip,
        };

        match (&self.country, &self.asn) {
            (Some(country), Some(asn)) if Arc::ptr_eq(country, asn) => {
                let record = country.record(ip);
                GeoInfo {
                    country: record.country(),
                    asn: record.asn(),
                }
            }
            (country, asn) => GeoInfo {
                country: country.as_ref().and_then(|db| db.record(ip).country()),
                asn: asn.as_ref().and_then(|db| db.record(ip).asn()),
            },
        }
    }
}

impl fmt::Debug for GeoDb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = |db: &Option<Arc<LoadedDb>>| db.as_ref().map(|db| db.path.clone());
        f.debug_struct("GeoDb")
            .field("country_db", &path(&self.country))
            .field("asn_db", &path(&self.asn))
            .finish()
    }
}

/// Reads and parses one database file, and checks every record a lookup could reach.
fn load(path: &Path, role: &'static str) -> Result<Arc<LoadedDb>, GeoError> {
    let bytes = std::fs::read(path).map_err(|source| GeoError::Read {
        path: path.to_owned(),
        source,
    })?;
    let invalid = |reason: String| GeoError::Invalid {
        path: path.to_owned(),
        reason,
    };

    let size = bytes.len();
    let reader = Reader::from_source(bytes).map_err(|err| invalid(err.to_string()))?;
    let (networks, records) = check_records(&reader).map_err(invalid)?;

    let metadata = reader.metadata();
    tracing::info!(
        role,
        path = %path.display(),
        database_type = %metadata.database_type,
        build_epoch = metadata.build_epoch,
        ip_version = metadata.ip_version,
        bytes = size,
        networks,
        records,
        "Geo database loaded"
    );
    Ok(Arc::new(LoadedDb {
        path: path.to_owned(),
        reader,
    }))
}

/// Walks the whole search tree and decodes each distinct record the way lookups will,
/// so a damaged file is refused at load instead of misanswering later. Returns how many
/// networks and distinct records the file holds.
///
/// `Reader::verify` is not used: it also rejects harmless metadata quirks of real files
/// (ip-location-db ships an empty `description` map).
fn check_records(reader: &Reader<Vec<u8>>) -> Result<(usize, usize), String> {
    // A binary tree of N nodes has at most N + 1 leaves; more means records point back
    // into the tree, which a lookup survives but a walk would never finish.
    let max_leaves = (reader.metadata().node_count as usize).saturating_mul(2) + 2;
    let options = WithinOptions::default().include_networks_without_data();

    let mut leaves = 0usize;
    let mut networks = 0usize;
    let mut decoded = HashSet::new();
    for found in reader.networks(options).map_err(|err| err.to_string())? {
        let found = found.map_err(|err| err.to_string())?;
        leaves += 1;
        if leaves > max_leaves {
            return Err("search tree has more leaves than nodes allow".to_owned());
        }

        let Some(offset) = found.offset() else {
            continue;
        };
        networks += 1;
        if decoded.insert(offset) {
            found.decode::<Record>().map_err(|err| {
                let network = found
                    .network()
                    .map(|net| net.to_string())
                    .unwrap_or_default();
                format!("record of {network}: {err}")
            })?;
        }
    }
    Ok((networks, decoded.len()))
}

/// Whether two configured paths name the same file, so it is loaded only once.
fn same_file(a: &Path, b: &Path) -> bool {
    if a == b {
        return true;
    }
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

impl LoadedDb {
    /// The record for `ip`, or an empty one when the database has none or it is unreadable.
    fn record(&self, ip: IpAddr) -> Record {
        // An IPv4-only database cannot answer for IPv6; that is a miss, not an error.
        if ip.is_ipv6() && self.reader.metadata().ip_version == 4 {
            return Record::default();
        }

        match self
            .reader
            .lookup(ip)
            .and_then(|found| found.decode::<Record>())
        {
            Ok(record) => record.unwrap_or_default(),
            Err(err) => {
                let path = self.path.display();
                tracing::debug!(%path, %ip, error = %err, "Geo record unreadable");
                Record::default()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::io::Write;
    use std::time::Instant;

    use super::*;
    use crate::geo::{MmdbValue, MmdbWriter};

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("test addresses are valid")
    }

    fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
        let path = std::env::temp_dir().join(format!("verge-geo-{}-{name}", std::process::id()));
        let mut file = std::fs::File::create(&path).expect("temp dir is writable");
        file.write_all(bytes).expect("temp dir is writable");
        path
    }

    fn map(entries: Vec<(&str, MmdbValue)>) -> MmdbValue {
        let entries: BTreeMap<String, MmdbValue> = entries
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        MmdbValue::Map(entries)
    }

    fn text(value: &str) -> MmdbValue {
        MmdbValue::String(value.to_owned())
    }

    #[test]
    fn empty_db_knows_nothing() {
        let db = GeoDb::empty();
        assert!(!db.has_country() && !db.has_asn());
        assert_eq!(db.lookup(ip("192.0.2.1")), GeoInfo::default());
    }

    #[test]
    fn missing_file_error_names_the_path() {
        let err = GeoDb::open(Some(Path::new("/nonexistent/geo/country.mmdb")), None)
            .expect_err("file does not exist");
        assert!(matches!(err, GeoError::Read { .. }), "{err:?}");
        assert!(
            err.to_string().contains("/nonexistent/geo/country.mmdb"),
            "{err}"
        );
    }

    #[test]
    fn non_mmdb_file_is_refused_with_its_path() {
        let path = temp_file("not-mmdb", b"this is not a MaxMind database\n");
        let err = GeoDb::open(None, Some(&path)).expect_err("not a database");
        let _ = std::fs::remove_file(&path);
        assert!(matches!(err, GeoError::Invalid { .. }), "{err:?}");
        assert!(err.to_string().contains(&*path.to_string_lossy()), "{err}");
    }

    #[test]
    fn damaged_tree_is_refused_at_open() {
        let mut writer = MmdbWriter::new("Test-Country");
        writer
            .insert_country(ip("0.0.0.0"), 1, "DE")
            .expect("valid network");
        writer
            .insert_country(ip("192.0.2.0"), 24, "FR")
            .expect("valid network");
        let bytes = writer.to_bytes();

        // The root's right record (addresses 8000::/1) pointing past the data section.
        let mut past_data = bytes.clone();
        past_data[3..6].copy_from_slice(&[0xff, 0xff, 0xf0]);
        // The root's right record pointing back at the root.
        let mut cycle = bytes;
        cycle[3..6].copy_from_slice(&[0, 0, 0]);

        for (name, bytes) in [("past-data", past_data), ("cycle", cycle)] {
            let path = temp_file(name, &bytes);
            let result = GeoDb::open(Some(&path), None);
            let _ = std::fs::remove_file(&path);
            assert!(
                matches!(result, Err(GeoError::Invalid { .. })),
                "{name}: {result:?}"
            );
        }
    }

    #[test]
    fn truncated_file_is_refused() {
        let mut writer = MmdbWriter::new("Test-Country");
        writer
            .insert_country(ip("192.0.2.0"), 24, "DE")
            .expect("valid network");
        let bytes = writer.to_bytes();

        let path = temp_file("truncated", &bytes[..bytes.len() / 2]);
        let result = GeoDb::open(Some(&path), None);
        let _ = std::fs::remove_file(&path);
        assert!(
            matches!(result, Err(GeoError::Invalid { .. })),
            "{result:?}"
        );
    }

    #[test]
    fn geolite2_layouts_are_read() {
        let mut country = MmdbWriter::new("GeoLite2-Country");
        let place = |code: &str| {
            map(vec![
                ("iso_code", text(code)),
                ("geoname_id", MmdbValue::Uint32(1)),
            ])
        };
        let names = map(vec![("en", text("Germany")), ("de", text("Deutschland"))]);
        let de = map(vec![
            (
                "country",
                map(vec![("iso_code", text("DE")), ("names", names)]),
            ),
            ("registered_country", place("FR")),
            ("continent", map(vec![("code", text("EU"))])),
        ]);
        country
            .insert_value(ip("192.0.2.0"), 24, &de)
            .expect("valid network");
        // Anycast networks carry only the registered country.
        let anycast = map(vec![("registered_country", place("us"))]);
        country
            .insert_value(ip("198.51.100.0"), 24, &anycast)
            .expect("valid network");
        // A field of an unexpected type reads as absent instead of failing the record.
        let odd = map(vec![
            ("country", text("DE")),
            ("country_code", MmdbValue::Uint16(7)),
        ]);
        country
            .insert_value(ip("203.0.113.0"), 24, &odd)
            .expect("valid network");

        let mut asn = MmdbWriter::new("GeoLite2-ASN");
        let record = map(vec![
            ("autonomous_system_number", MmdbValue::Uint32(64500)),
            ("autonomous_system_organization", text("Example Networks")),
        ]);
        asn.insert_value(ip("192.0.2.0"), 23, &record)
            .expect("valid network");

        let country_path = temp_file("geolite2-country", &country.to_bytes());
        let asn_path = temp_file("geolite2-asn", &asn.to_bytes());
        let db = GeoDb::open(Some(&country_path), Some(&asn_path));
        let _ = std::fs::remove_file(&country_path);
        let _ = std::fs::remove_file(&asn_path);
        let db = db.expect("written databases open");

        let info = db.lookup(ip("192.0.2.200"));
        assert_eq!(info.country.map(|c| c.to_string()).as_deref(), Some("DE"));
        assert_eq!(info.asn, Some(64500));
        let info = db.lookup(ip("198.51.100.1"));
        assert_eq!(info.country.map(|c| c.to_string()).as_deref(), Some("US"));
        assert_eq!(info.asn, None);
        assert_eq!(db.lookup(ip("203.0.113.9")), GeoInfo::default());
    }

    #[test]
    fn one_file_serves_both_roles() {
        let mut writer = MmdbWriter::new("ip-location-db");
        let record = crate::geo::MmdbRecord {
            country_code: Some("NL".into()),
            autonomous_system_number: Some(64511),
            autonomous_system_organization: Some("Example".into()),
        };
        writer
            .insert(ip("2001:db8:1::"), 48, &record)
            .expect("valid network");
        let path = temp_file("combined", &writer.to_bytes());
        let db = GeoDb::open(Some(&path), Some(&path));
        let _ = std::fs::remove_file(&path);
        let db = db.expect("written database opens");

        assert!(db.has_country() && db.has_asn());
        let info = db.lookup(ip("2001:db8:1::42"));
        assert_eq!(info.country.map(|c| c.to_bytes()), Some(*b"NL"));
        assert_eq!(info.asn, Some(64511));
    }

    /// Opens databases installed by `scripts/install-geo-db.sh` (into `$VERGE_GEO_DIR`,
    /// default `/tmp/verge-geo`) and times lookups; run with `--release -- --ignored
    /// --nocapture`.
    #[test]
    #[ignore = "needs databases installed by scripts/install-geo-db.sh"]
    fn installed_databases_open_and_answer() {
        let dir = PathBuf::from(std::env::var("VERGE_GEO_DIR").unwrap_or("/tmp/verge-geo".into()));
        let country = dir.join("geo-whois-asn-country.mmdb");
        let asn = dir.join("asn.mmdb");
        let asn = asn.exists().then_some(asn);

        let started = Instant::now();
        let db = GeoDb::open(Some(&country), asn.as_deref()).expect("installed databases open");
        println!("open: {:?}", started.elapsed());

        let info = db.lookup(ip("1.1.1.1"));
        println!("1.1.1.1 -> {info:?}");
        assert!(info.country.is_some());
        if db.has_asn() {
            assert_eq!(info.asn, Some(13335));
        }

        let rounds = 1_000_000u32;
        let started = Instant::now();
        let mut found = 0u32;
        for i in 0..rounds {
            let addr = IpAddr::from((i.wrapping_mul(2_654_435_761)).to_be_bytes());
            found += u32::from(db.lookup(addr).country.is_some());
        }
        let per_lookup = started.elapsed() / rounds;
        println!("{rounds} lookups: {per_lookup:?} each, {found} with a country");
    }
}
