//! The crate's single error type: what can fail while setting up telemetry.

use std::io;
use std::path::PathBuf;

/// Everything that can go wrong while opening access logs or parsing telemetry settings.
///
/// Recording a request never fails: a full access log channel drops the record and counts it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TelemetryError {
    /// The access log file could not be opened or created.
    #[error("cannot open access log file {}: {source}", .path.display())]
    OpenLog {
        /// The file that was being opened.
        path: PathBuf,
        /// The underlying I/O error.
        source: io::Error,
    },

    /// The W3C header could not be written to a new access log file.
    #[error("cannot write the header of access log file {}: {source}", .path.display())]
    WriteHeader {
        /// The file whose header was being written.
        path: PathBuf,
        /// The underlying I/O error.
        source: io::Error,
    },

    /// The background writer thread (or its private runtime) could not be started.
    #[error("cannot start the access log writer: {0}")]
    StartWriter(#[source] io::Error),

    /// An access log format name was not recognised.
    #[error("unknown access log format {0:?}; expected \"cloudfront\" or \"json\"")]
    UnknownFormat(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_error_names_the_path() {
        let err = TelemetryError::OpenLog {
            path: PathBuf::from("/nope/access.log"),
            source: io::Error::from(io::ErrorKind::NotFound),
        };
        assert!(err.to_string().contains("/nope/access.log"));
    }

    #[test]
    fn unknown_format_says_how_to_fix() {
        let err = TelemetryError::UnknownFormat("xml".into());
        let text = err.to_string();
        assert!(text.contains("\"xml\""));
        assert!(text.contains("cloudfront"));
    }
}
