//! UTC date and time columns of a log line, computed without panicking on odd clocks.

use std::time::{SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;
use time::macros::format_description;

/// Splits `at` into CloudFront's `date` (`YYYY-MM-DD`) and `time` (`HH:MM:SS`) columns, in UTC.
///
/// A clock before 1970 or beyond the year 9999 is clamped to the epoch rather than failing.
pub(crate) fn date_and_time(at: SystemTime) -> (String, String) {
    let secs = at
        .duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_secs()).ok())
        .unwrap_or(0);
    let moment = OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH);

    let date = moment
        .format(format_description!("[year]-[month]-[day]"))
        .unwrap_or_else(|_| "1970-01-01".to_owned());
    let time = moment
        .format(format_description!("[hour]:[minute]:[second]"))
        .unwrap_or_else(|_| "00:00:00".to_owned());
    (date, time)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_utc_date_and_time() {
        let at = UNIX_EPOCH + Duration::from_secs(1_709_618_828);
        assert_eq!(
            date_and_time(at),
            ("2024-03-05".to_owned(), "06:07:08".to_owned())
        );
    }

    #[test]
    fn clock_before_epoch_is_clamped() {
        let at = UNIX_EPOCH - Duration::from_secs(10);
        assert_eq!(date_and_time(at).0, "1970-01-01");
    }

    #[test]
    fn far_future_is_clamped() {
        let at = UNIX_EPOCH + Duration::from_secs(400_000_000_000);
        assert_eq!(date_and_time(at).1, "00:00:00");
    }
}
