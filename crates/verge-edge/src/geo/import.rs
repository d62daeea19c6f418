//! Builds an ASN database from ip-location-db's range CSV files, the only form in which
//! its ASN data is published on npm (`@ip-location-db/asn`: `asn-ipv4.csv`,
//! `asn-ipv6.csv`). Each row is `first,last,asn,organisation`, an inclusive range, with
//! RFC 4180 quoting; the result is written with [`MmdbWriter`].

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::net::IpAddr;
use std::path::Path;

use super::{GeoError, MmdbRecord, MmdbWriter};

/// Adds every row of the ASN CSV file at `path` to `writer`; returns how many rows.
///
/// Rows are applied in file order. The first malformed row stops the import with an
/// error naming the file and line.
pub fn import_asn_csv(writer: &mut MmdbWriter, path: &Path) -> Result<usize, GeoError> {
    let file = File::open(path).map_err(|source| GeoError::Read {
        path: path.to_owned(),
        source,
    })?;
    let csv_error = |line: usize, reason: String| GeoError::Csv {
        path: path.to_owned(),
        line,
        reason,
    };

    let mut rows = 0;
    for (index, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|source| GeoError::Read {
            path: path.to_owned(),
            source,
        })?;
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            continue;
        }

        let (first, last, record) =
            parse_row(line).map_err(|reason| csv_error(index + 1, reason))?;
        writer
            .insert_range(first, last, &record)
            .map_err(|err| csv_error(index + 1, err.to_string()))?;
        rows += 1;
    }
    Ok(rows)
}

/// One `first,last,asn,organisation` row; the organisation may be empty or absent.
fn parse_row(line: &str) -> Result<(IpAddr, IpAddr, MmdbRecord), String> {
    let fields = split_fields(line)?;
    let [first, last, asn, rest @ ..] = fields.as_slice() else {
        return Err(format!("expected 4 fields, found {}", fields.len()));
    };

    let address = |text: &str| {
        text.parse::<IpAddr>()
            .map_err(|_| format!("{text:?} is not an IP address"))
    };
    let asn = asn
        .parse::<u32>()
        .map_err(|_| format!("{asn:?} is not an AS number"))?;
    let organisation = rest.first().filter(|org| !org.is_empty()).cloned();

    let record = MmdbRecord {
        autonomous_system_number: Some(asn),
        autonomous_system_organization: organisation,
        ..MmdbRecord::default()
    };
    Ok((address(first)?, address(last)?, record))
}

/// Splits one CSV line into fields, undoing RFC 4180 quoting (`"a ""b"", c"`).
fn split_fields(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut rest = line;

    loop {
        let after = match rest.strip_prefix('"') {
            Some(quoted) => {
                let (value, after) = unquote(quoted)?;
                fields.push(value);
                after
            }
            None => {
                let end = rest.find(',').unwrap_or(rest.len());
                fields.push(rest[..end].to_owned());
                &rest[end..]
            }
        };

        match after.strip_prefix(',') {
            Some(next) => rest = next,
            None if after.is_empty() => return Ok(fields),
            None => return Err("text after a closing quote".to_owned()),
        }
    }
}

/// The value of a quoted field whose opening quote is already consumed, and the text
/// after its closing quote.
fn unquote(quoted: &str) -> Result<(String, &str), String> {
    let mut value = String::new();
    let mut rest = quoted;

    while let Some(at) = rest.find('"') {
        value.push_str(&rest[..at]);
        match rest[at + 1..].strip_prefix('"') {
            Some(after_pair) => {
                value.push('"');
                rest = after_pair;
            }
            None => return Ok((value, &rest[at + 1..])),
        }
    }
    Err("quoted field is not closed".to_owned())
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::path::PathBuf;
    use std::time::Instant;

    use super::*;
    use crate::geo::GeoDb;

    fn temp_csv(name: &str, text: &str) -> PathBuf {
        let path = std::env::temp_dir().join(format!("verge-geo-{}-{name}", std::process::id()));
        let mut file = File::create(&path).expect("temp dir is writable");
        file.write_all(text.as_bytes())
            .expect("temp dir is writable");
        path
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("test addresses are valid")
    }

    #[test]
    fn quoted_fields_are_unquoted() {
        let fields = |line: &str| split_fields(line).expect("well-formed line");
        assert_eq!(fields("a,b,,d"), ["a", "b", "", "d"]);
        assert_eq!(
            fields(r#"1,2,3,"Example, Inc.""#),
            ["1", "2", "3", "Example, Inc."]
        );
        assert_eq!(
            fields(r#"1,"LLC ""SPUTNIK""",x"#),
            ["1", r#"LLC "SPUTNIK""#, "x"]
        );
        assert_eq!(fields(r#""""#), [""]);
        assert!(split_fields(r#"1,"open"#).is_err());
        assert!(split_fields(r#"1,"a"b"#).is_err());
    }

    #[test]
    fn rows_become_networks_in_an_asn_database() {
        let csv = temp_csv(
            "asn.csv",
            concat!(
                "1.0.0.0,1.0.0.255,13335,\"Example, Inc.\"\r\n",
                "192.0.2.0,192.0.2.127,64500,\n",
                "\n",
                "2001:db8::,2001:db8:ffff:ffff:ffff:ffff:ffff:ffff,64501,\"LLC \"\"X\"\"\"\n",
            ),
        );
        let mut writer = MmdbWriter::new("ip-location-db-asn");
        let rows = import_asn_csv(&mut writer, &csv);
        let _ = std::fs::remove_file(&csv);
        assert_eq!(rows.expect("well-formed file"), 3);

        let mmdb = std::env::temp_dir().join(format!("verge-geo-{}-asn.mmdb", std::process::id()));
        writer.write(&mmdb).expect("temp dir is writable");
        let db = GeoDb::open(None, Some(&mmdb));
        let _ = std::fs::remove_file(&mmdb);
        let db = db.expect("written database opens");

        assert_eq!(db.lookup(ip("1.0.0.1")).asn, Some(13335));
        assert_eq!(db.lookup(ip("192.0.2.127")).asn, Some(64500));
        assert_eq!(db.lookup(ip("192.0.2.128")).asn, None);
        assert_eq!(db.lookup(ip("2001:db8:1::1")).asn, Some(64501));
    }

    #[test]
    fn malformed_rows_name_the_file_and_line() {
        for (bad, reason) in [
            (
                "1.0.0.0,1.0.0.255,13335,x\n1.0.1.0,1.0.1.255\n",
                "expected 4 fields",
            ),
            (
                "1.0.0.0,1.0.0.255,13335,x\nfoo,1.0.1.255,1,x\n",
                "not an IP address",
            ),
            (
                "1.0.0.0,1.0.0.255,13335,x\n1.0.1.0,1.0.1.255,AS1,x\n",
                "not an AS number",
            ),
            (
                "1.0.0.0,1.0.0.255,13335,x\n1.0.1.9,1.0.1.0,1,x\n",
                "ends before it starts",
            ),
        ] {
            let csv = temp_csv("bad.csv", bad);
            let result = import_asn_csv(&mut MmdbWriter::new("t"), &csv);
            let _ = std::fs::remove_file(&csv);
            let text = result.expect_err("malformed row").to_string();
            assert!(text.contains(&format!("{}:2:", csv.display())), "{text}");
            assert!(text.contains(reason), "{text}");
        }
    }

    /// Converts the CSVs installed by `scripts/install-geo-db.sh` (in `$VERGE_GEO_DIR`,
    /// default `/tmp/verge-geo`) into `asn.mmdb` beside them; run with `--release --
    /// --ignored --nocapture`.
    #[test]
    #[ignore = "needs the CSVs installed by scripts/install-geo-db.sh"]
    fn installed_asn_csv_converts() {
        let dir = std::env::var("VERGE_GEO_DIR").unwrap_or_else(|_| "/tmp/verge-geo".into());
        let dir = PathBuf::from(dir);

        let started = Instant::now();
        let mut writer = MmdbWriter::new("ip-location-db-asn");
        for name in ["asn-ipv4.csv", "asn-ipv6.csv"] {
            let rows = import_asn_csv(&mut writer, &dir.join("csv").join(name));
            println!("{name}: {} rows", rows.expect("installed CSV imports"));
        }
        writer
            .write(&dir.join("asn.mmdb"))
            .expect("geo dir is writable");
        println!("converted in {:?}: {writer:?}", started.elapsed());
    }
}
