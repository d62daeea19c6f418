//! The background access log writer: a dedicated thread with a private single-threaded
//! runtime that drains the record channel into a buffered sink, flushing every 200 ms,
//! on request, and when the last [`super::AccessLog`] handle is gone.

use std::fs::OpenOptions;
use std::io::{self, BufWriter, Write};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::time::MissedTickBehavior;

use super::format::LogFormat;
use super::handle::LogDestination;
use super::record::AccessLogRecord;
use crate::TelemetryError;

/// Longest time a written record may sit in the buffer.
const FLUSH_INTERVAL: Duration = Duration::from_millis(200);

/// Records taken from the channel per wake-up.
const BATCH: usize = 256;

/// What travels from the request path to the writer.
#[derive(Debug)]
pub(crate) enum Message {
    /// A record to render and write.
    Record(Box<AccessLogRecord>),
    /// A line rendered by the caller (WAF log records), newline included.
    Line(String),
    /// Flush everything received so far, then signal.
    Flush(oneshot::Sender<()>),
}

/// Opens the destination (writing the W3C header into a new or empty CloudFront file) and
/// starts the writer thread reading from `receiver`.
pub(crate) fn spawn(
    destination: &LogDestination,
    format: LogFormat,
    receiver: mpsc::Receiver<Message>,
) -> Result<(), TelemetryError> {
    let sink = open_sink(destination, format)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .map_err(TelemetryError::StartWriter)?;
    let label = destination.to_string();

    std::thread::Builder::new()
        .name("verge-access-log".into())
        .spawn(move || runtime.block_on(run(receiver, sink, format, label)))
        .map_err(TelemetryError::StartWriter)?;
    Ok(())
}

/// Opens the sink for `destination`; a file is appended to, and created if missing.
fn open_sink(
    destination: &LogDestination,
    format: LogFormat,
) -> Result<Box<dyn Write + Send>, TelemetryError> {
    let LogDestination::File(path) = destination else {
        return Ok(Box::new(io::stdout()));
    };

    let open_error = |source| TelemetryError::OpenLog {
        path: path.clone(),
        source,
    };
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(open_error)?;
    let is_empty = file.metadata().map_err(open_error)?.len() == 0;

    if let (true, Some(header)) = (is_empty, format.file_header()) {
        file.write_all(header.as_bytes())
            .map_err(|source| TelemetryError::WriteHeader {
                path: path.clone(),
                source,
            })?;
    }
    Ok(Box::new(file))
}

/// The writer loop; returns once every sender is gone and the buffer is flushed.
async fn run(
    mut receiver: mpsc::Receiver<Message>,
    sink: Box<dyn Write + Send>,
    format: LogFormat,
    destination: String,
) {
    tracing::info!(%destination, ?format, "Access log writer started");
    let mut sink = Sink::new(sink, destination);
    let mut ticker = tokio::time::interval(FLUSH_INTERVAL);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut batch = Vec::with_capacity(BATCH);
    let mut line = String::with_capacity(1024);

    loop {
        tokio::select! {
            received = receiver.recv_many(&mut batch, BATCH) => {
                if received == 0 {
                    break;
                }
                for message in batch.drain(..) {
                    match message {
                        Message::Record(record) => {
                            line.clear();
                            format.write_line(&record, &mut line);
                            sink.write(line.as_bytes());
                        }
                        Message::Line(text) => sink.write(text.as_bytes()),
                        Message::Flush(done) => {
                            sink.flush();
                            // The caller may have stopped waiting; nothing to do then.
                            let _ = done.send(());
                        }
                    }
                }
            }
            _ = ticker.tick() => sink.flush(),
        }
    }

    sink.flush();
    tracing::info!(destination = %sink.destination, "Access log writer stopped");
}

/// A buffered sink that reports a failing destination once, not once per record.
struct Sink {
    out: BufWriter<Box<dyn Write + Send>>,
    destination: String,
    dirty: bool,
    failing: bool,
}

impl Sink {
    fn new(out: Box<dyn Write + Send>, destination: String) -> Self {
        Sink {
            out: BufWriter::with_capacity(64 * 1024, out),
            destination,
            dirty: false,
            failing: false,
        }
    }

    fn write(&mut self, bytes: &[u8]) {
        let result = self.out.write_all(bytes);
        self.dirty = true;
        self.note(result);
    }

    fn flush(&mut self) {
        if self.dirty {
            let result = self.out.flush();
            self.dirty = result.is_err();
            self.note(result);
        }
    }

    fn note(&mut self, result: io::Result<()>) {
        match (result, self.failing) {
            (Err(error), false) => {
                self.failing = true;
                tracing::warn!(
                    destination = %self.destination,
                    %error,
                    "Access log write failed; records are being lost"
                );
            }
            (Ok(()), true) => {
                self.failing = false;
                tracing::info!(
                    destination = %self.destination,
                    "Access log writes recovered"
                );
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A sink that fails until told otherwise, recording what reaches it.
    #[derive(Clone, Default)]
    struct Flaky {
        fail: Arc<Mutex<bool>>,
        seen: Arc<Mutex<Vec<u8>>>,
    }

    impl Write for Flaky {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if *self.fail.lock().expect("test lock") {
                return Err(io::Error::other("disk full"));
            }
            self.seen.lock().expect("test lock").extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn sink_survives_write_errors() {
        let flaky = Flaky::default();
        *flaky.fail.lock().expect("test lock") = true;
        let mut sink = Sink::new(Box::new(flaky.clone()), "test".into());

        sink.write(b"lost\n");
        sink.flush();
        assert!(sink.failing);

        *flaky.fail.lock().expect("test lock") = false;
        sink.write(b"kept\n");
        sink.flush();
        assert!(!sink.failing);
        assert!(String::from_utf8_lossy(&flaky.seen.lock().expect("test lock")).contains("kept"));
    }

    #[test]
    fn missing_directory_is_an_open_error_naming_the_path() {
        let path = std::env::temp_dir()
            .join("verge-telemetry-no-such-dir")
            .join("access.log");
        let result = open_sink(&LogDestination::File(path.clone()), LogFormat::CloudFront);
        match result {
            Err(TelemetryError::OpenLog { path: reported, .. }) => assert_eq!(reported, path),
            Err(other) => panic!("unexpected error: {other}"),
            Ok(_) => panic!("opening a file in a missing directory succeeded"),
        }
    }
}
