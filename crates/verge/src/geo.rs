//! `verge geo import-asn-csv`: turns the CSV ASN data published on npm into a MaxMind-format
//! database the edge can open.

use std::path::{Path, PathBuf};

use verge_edge::geo::{GeoError, MmdbWriter, import_asn_csv as import};

/// Reads every CSV file into one ASN database and writes it to `out`.
pub fn import_asn_csv(out: &Path, csv: &[PathBuf]) -> Result<(), GeoError> {
    let mut writer = MmdbWriter::new("ip-location-db-asn");
    let mut networks = 0;
    for path in csv {
        networks += import(&mut writer, path)?;
    }
    writer.write(out)?;
    println!("{}: {networks} ranges", out.display());
    Ok(())
}
