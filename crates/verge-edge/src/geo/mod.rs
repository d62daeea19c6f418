//! Country and ASN of a viewer's address, from MaxMind-format (`.mmdb`) databases.
//!
//! [`GeoDb`] answers lookups on the request path; [`MmdbWriter`] writes databases for
//! tests and the demo, and [`import_asn_csv`] feeds it the ASN data that is published
//! only as CSV. This file holds the shared types: the answer and the error.

mod encode;
mod import;
mod lookup;
mod record;
mod writer;

use std::fmt;
use std::io;
use std::path::PathBuf;

pub use encode::MmdbValue;
pub use import::import_asn_csv;
pub use lookup::GeoDb;
pub use writer::{MmdbRecord, MmdbWriter};

/// What the loaded databases say about one address.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct GeoInfo {
    /// Country of the address, if a country database is loaded and knows it.
    pub country: Option<CountryCode>,
    /// Autonomous system number announcing the address, if an ASN database is loaded
    /// and knows it.
    pub asn: Option<u32>,
}

/// An ISO 3166-1 alpha-2 country code, always two uppercase ASCII letters.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// Parses a two-letter code in either case (`"de"` and `"DE"` give `DE`); anything
    /// else gives `None`.
    pub fn new(code: &str) -> Option<CountryCode> {
        match code.as_bytes() {
            [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => Some(CountryCode([
                a.to_ascii_uppercase(),
                b.to_ascii_uppercase(),
            ])),
            _ => None,
        }
    }

    /// The code as text, such as `"DE"`.
    pub fn as_str(&self) -> &str {
        // Both bytes are ASCII letters by construction, so this never takes the fallback.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    /// The code as its two ASCII bytes.
    pub fn to_bytes(self) -> [u8; 2] {
        self.0
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CountryCode({})", self.as_str())
    }
}

/// Why a geo database could not be opened or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GeoError {
    /// The file could not be read (missing, unreadable).
    #[error("cannot read geo database {}: {source}", path.display())]
    Read {
        /// The file that was configured.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// The file was read but is not a usable MaxMind DB.
    #[error("{} is not a usable MaxMind DB file: {reason}", path.display())]
    Invalid {
        /// The file that was configured.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A row of a CSV file given to [`import_asn_csv`] is malformed.
    #[error("{}:{line}: {reason}", path.display())]
    Csv {
        /// The CSV file.
        path: PathBuf,
        /// The row's line number, from 1.
        line: usize,
        /// What is wrong with the row.
        reason: String,
    },
    /// A network given to [`MmdbWriter`] is malformed.
    #[error("invalid network {addr}/{prefix_len}: {reason}")]
    Network {
        /// The network's address as given.
        addr: std::net::IpAddr,
        /// The prefix length as given.
        prefix_len: u8,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A record or tree given to [`MmdbWriter`] exceeds what the format can hold.
    #[error("MaxMind DB writer limit: {0}")]
    TooLarge(&'static str),
    /// A database written by [`MmdbWriter`] could not be saved.
    #[error("cannot write geo database {}: {source}", path.display())]
    Write {
        /// The destination file.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_code_normalises_case_and_rejects_other_text() {
        assert_eq!(
            CountryCode::new("de").map(|c| c.to_string()),
            Some("DE".into())
        );
        assert_eq!(CountryCode::new("Us").map(|c| c.to_bytes()), Some(*b"US"));
        for bad in ["", "D", "DEU", "1A", "é", "d\u{e9}"] {
            assert_eq!(CountryCode::new(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn errors_name_the_file_and_reason() {
        let err = GeoError::Invalid {
            path: "/var/lib/verge/geo/x.mmdb".into(),
            reason: "no metadata marker".into(),
        };
        let text = err.to_string();
        assert!(text.contains("/var/lib/verge/geo/x.mmdb"), "{text}");
        assert!(text.contains("no metadata marker"), "{text}");
    }
}
