//! [`AccessLog`], the cheap handle the request path logs through: it only ever tries to
//! enqueue, so a slow disk costs dropped records, never viewer latency.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{mpsc, oneshot};

use super::format::LogFormat;
use super::record::AccessLogRecord;
use super::writer::{self, Message};
use crate::TelemetryError;

/// Records that may wait for the writer before new ones are dropped.
pub const DEFAULT_CAPACITY: usize = 65_536;

/// Where access log lines go.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LogDestination {
    /// The process's standard output.
    Stdout,
    /// A file, appended to and created if missing.
    File(PathBuf),
}

impl fmt::Display for LogDestination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogDestination::Stdout => f.write_str("stdout"),
            LogDestination::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// A cloneable handle to one access log; every clone feeds the same writer.
///
/// The writer stops, after flushing, once every clone is dropped.
#[derive(Clone, Debug)]
pub struct AccessLog {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// `None` for a disabled log.
    sender: Option<mpsc::Sender<Message>>,
    /// Shared so metrics can read it without keeping the writer alive.
    dropped: Arc<AtomicU64>,
}

impl AccessLog {
    /// Opens `destination` and starts its writer, with room for [`DEFAULT_CAPACITY`] records.
    ///
    /// Works both inside and outside a tokio runtime: the writer runs on its own thread.
    pub fn open(destination: LogDestination, format: LogFormat) -> Result<Self, TelemetryError> {
        Self::open_with_capacity(destination, format, DEFAULT_CAPACITY)
    }

    /// Like [`AccessLog::open`], with room for `capacity` queued records (at least one).
    pub fn open_with_capacity(
        destination: LogDestination,
        format: LogFormat,
        capacity: usize,
    ) -> Result<Self, TelemetryError> {
        let (sender, receiver) = mpsc::channel(capacity.max(1));
        writer::spawn(&destination, format, receiver)?;
        Ok(Self::with_sender(Some(sender)))
    }

    /// A handle that discards every record without counting it as dropped.
    pub fn disabled() -> Self {
        Self::with_sender(None)
    }

    fn with_sender(sender: Option<mpsc::Sender<Message>>) -> Self {
        AccessLog {
            inner: Arc::new(Inner {
                sender,
                dropped: Arc::new(AtomicU64::new(0)),
            }),
        }
    }

    /// Whether records logged through this handle are written anywhere.
    pub fn is_enabled(&self) -> bool {
        self.inner.sender.is_some()
    }

    /// Queues `record` for writing without blocking; drops and counts it when the queue is
    /// full or the writer has stopped.
    pub fn log(&self, record: AccessLogRecord) {
        self.send(Message::Record(Box::new(record)));
    }

    /// Queues a line the caller rendered (a newline is added), as [`AccessLog::log`] does.
    /// The WAF log writes AWS WAF's JSON records this way.
    pub fn log_line(&self, mut line: String) {
        line.push('\n');
        self.send(Message::Line(line));
    }

    fn send(&self, message: Message) {
        let Some(sender) = &self.inner.sender else {
            return;
        };
        if let Err(error) = sender.try_send(message) {
            let reason = match error {
                TrySendError::Full(_) => "queue full",
                TrySendError::Closed(_) => "writer stopped",
            };
            let dropped = self.inner.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            // Warn at 1, 2, 4, 8, ... drops so a stuck disk cannot flood the log.
            if dropped.is_power_of_two() {
                tracing::warn!(dropped, reason, "Access log records dropped");
            }
        }
    }

    /// A log whose writer never drains its queue of `capacity` records, for drop tests.
    #[cfg(test)]
    pub(crate) fn stalled(capacity: usize) -> (Self, mpsc::Receiver<Message>) {
        let (sender, receiver) = mpsc::channel(capacity);
        (Self::with_sender(Some(sender)), receiver)
    }

    /// How many records have been dropped since the log was opened.
    pub fn dropped(&self) -> u64 {
        self.inner.dropped.load(Ordering::Relaxed)
    }

    /// The shared drop counter, for metrics that must not keep the writer alive.
    pub(crate) fn dropped_counter(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.inner.dropped)
    }

    /// Returns once every record logged before this call has been handed to the destination
    /// (or the writer has stopped). Waits for queue space rather than dropping the request.
    pub async fn flush(&self) {
        let Some(sender) = &self.inner.sender else {
            return;
        };
        let (done, flushed) = oneshot::channel();
        if sender.send(Message::Flush(done)).await.is_ok() {
            // An error means the writer stopped, which flushes on its way out.
            let _ = flushed.await;
        }
    }

    /// Flushes and drops this handle; the writer stops once every other clone is gone too.
    pub async fn close(self) {
        self.flush().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access_log::record::tests::sample;
    use std::sync::atomic::AtomicUsize;

    /// A fresh path in the temp directory, unique per process and call.
    fn temp_log(name: &str) -> PathBuf {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        std::env::temp_dir().join(format!(
            "verge-telemetry-{}-{n}-{name}.log",
            std::process::id()
        ))
    }

    fn read(path: &PathBuf) -> String {
        std::fs::read_to_string(path).expect("log file is readable")
    }

    #[tokio::test]
    async fn flush_makes_records_visible_in_the_file() {
        let path = temp_log("flush");
        let log = AccessLog::open(LogDestination::File(path.clone()), LogFormat::CloudFront)
            .expect("temp file opens");
        for _ in 0..3 {
            log.log(sample());
        }
        log.flush().await;

        let text = read(&path);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5);
        assert!(lines[0].starts_with("#Version: 1.0"));
        assert!(lines[1].starts_with("#Fields: date time"));
        assert!(lines[2..].iter().all(|l| l.split('\t').count() == 33));
        assert_eq!(log.dropped(), 0);
        let _ = std::fs::remove_file(&path);
    }

    #[tokio::test]
    async fn header_is_written_once_across_reopens() {
        let path = temp_log("reopen");
        for _ in 0..2 {
            let log = AccessLog::open(LogDestination::File(path.clone()), LogFormat::CloudFront)
                .expect("temp file opens");
            log.log(sample());
            log.close().await;
        }

        let text = read(&path);
        assert_eq!(text.matches("#Fields:").count(), 1);
        assert_eq!(text.matches("#Version:").count(), 1);
        assert_eq!(text.lines().count(), 4);
        let _ = std::fs::remove_file(&path);
    }

    #[tokio::test]
    async fn header_is_written_into_an_existing_empty_file() {
        let path = temp_log("empty");
        std::fs::write(&path, "").expect("temp file is writable");
        let log = AccessLog::open(LogDestination::File(path.clone()), LogFormat::CloudFront)
            .expect("temp file opens");
        log.close().await;
        assert!(read(&path).starts_with("#Version: 1.0\n#Fields: "));
        let _ = std::fs::remove_file(&path);
    }

    #[tokio::test]
    async fn json_files_have_no_header() {
        let path = temp_log("json");
        let log = AccessLog::open(LogDestination::File(path.clone()), LogFormat::Json)
            .expect("temp file opens");
        log.log(sample());
        log.flush().await;
        let text = read(&path);
        assert_eq!(text.lines().count(), 1);
        assert!(text.starts_with('{'));
        let _ = std::fs::remove_file(&path);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn periodic_flush_writes_without_an_explicit_flush() {
        let path = temp_log("periodic");
        let log = AccessLog::open(LogDestination::File(path.clone()), LogFormat::Json)
            .expect("temp file opens");
        log.log(sample());

        // Poll the file rather than sleeping a fixed time; give up after five seconds.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while read(&path).is_empty() && std::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(read(&path).lines().count(), 1);
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn opens_outside_a_runtime() {
        let path = temp_log("no-runtime");
        let log = AccessLog::open(LogDestination::File(path.clone()), LogFormat::CloudFront);
        assert!(log.is_ok());
        drop(log);
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn full_queue_drops_and_counts() {
        // The queue holds two records, the rest are dropped.
        let (log, _receiver) = AccessLog::stalled(2);
        for _ in 0..5 {
            log.log(sample());
        }
        assert_eq!(log.dropped(), 3);
        assert_eq!(log.clone().dropped(), 3);
    }

    #[test]
    fn stopped_writer_drops_and_counts() {
        let (sender, receiver) = mpsc::channel(2);
        drop(receiver);
        let log = AccessLog::with_sender(Some(sender));
        log.log(sample());
        assert_eq!(log.dropped(), 1);
    }

    #[tokio::test]
    async fn disabled_log_discards_silently() {
        let log = AccessLog::disabled();
        assert!(!log.is_enabled());
        log.log(sample());
        log.flush().await;
        assert_eq!(log.dropped(), 0);
    }

    #[test]
    fn destination_display() {
        assert_eq!(LogDestination::Stdout.to_string(), "stdout");
        assert_eq!(
            LogDestination::File(PathBuf::from("/var/log/verge.log")).to_string(),
            "/var/log/verge.log"
        );
    }
}
