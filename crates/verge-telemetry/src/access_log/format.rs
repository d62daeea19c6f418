//! Which of the two access log formats to write, and how a format is named in config.

use std::str::FromStr;

use super::record::AccessLogRecord;
use super::{cloudfront, json};
use crate::TelemetryError;

/// How each access log record is rendered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum LogFormat {
    /// CloudFront standard logging v1: W3C header, then tab-separated lines (`"cloudfront"`).
    #[default]
    CloudFront,
    /// One JSON object per line, keyed by CloudFront field names (`"json"`).
    Json,
}

impl LogFormat {
    /// Appends `record`, newline included, to `out`.
    pub(crate) fn write_line(self, record: &AccessLogRecord, out: &mut String) {
        match self {
            LogFormat::CloudFront => cloudfront::write_line(record, out),
            LogFormat::Json => json::write_line(record, out),
        }
    }

    /// The lines a new, empty file of this format starts with, if any.
    pub(crate) fn file_header(self) -> Option<String> {
        match self {
            LogFormat::CloudFront => Some(cloudfront::header()),
            LogFormat::Json => None,
        }
    }
}

impl FromStr for LogFormat {
    type Err = TelemetryError;

    /// Parses `"cloudfront"` or `"json"`.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "cloudfront" => Ok(LogFormat::CloudFront),
            "json" => Ok(LogFormat::Json),
            other => Err(TelemetryError::UnknownFormat(other.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_names() {
        assert_eq!(
            "cloudfront".parse::<LogFormat>().ok(),
            Some(LogFormat::CloudFront)
        );
        assert_eq!("json".parse::<LogFormat>().ok(), Some(LogFormat::Json));
    }

    #[test]
    fn rejects_unknown_names() {
        assert!(matches!(
            "w3c".parse::<LogFormat>(),
            Err(TelemetryError::UnknownFormat(name)) if name == "w3c"
        ));
    }

    #[test]
    fn only_cloudfront_has_a_header() {
        assert!(LogFormat::CloudFront.file_header().is_some());
        assert!(LogFormat::Json.file_header().is_none());
    }
}
