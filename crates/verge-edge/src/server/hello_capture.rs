//! Keeps a copy of what a viewer sends on an HTTPS connection until its TLS ClientHello is
//! whole, for the JA3 and JA4 fingerprints; from then on reads and writes pass straight
//! through to the socket, at the cost of one branch per read.

use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::tls::fingerprint::{Progress, progress};

/// How much of a ClientHello is kept at most. Browsers send one or two kilobytes (more with
/// post-quantum key shares); 16 KiB is one full record.
const MAX_HELLO: usize = 16 * 1024;

/// An IO that records the records carrying the viewer's ClientHello.
pub struct HelloCapture<I> {
    inner: I,
    /// What was read so far, while the hello is incomplete.
    recording: Option<Vec<u8>>,
    /// The records carrying the whole hello, once read.
    captured: Option<Vec<u8>>,
}

impl<I> HelloCapture<I> {
    /// Starts recording what is read from `inner`.
    pub fn new(inner: I) -> Self {
        HelloCapture {
            inner,
            recording: Some(Vec::new()),
            captured: None,
        }
    }

    /// The records carrying the ClientHello, if they were read whole; stops recording.
    pub fn take_hello(&mut self) -> Option<Vec<u8>> {
        self.recording = None;
        self.captured.take()
    }

    /// Adds what was just read; stops once the hello is whole, when the bytes cannot be a
    /// hello, or at the size limit.
    fn record(&mut self, read: &[u8]) {
        let Some(recording) = &mut self.recording else {
            return;
        };
        let room = MAX_HELLO.saturating_sub(recording.len());
        recording.extend_from_slice(&read[..read.len().min(room)]);
        match progress(recording) {
            Ok(Progress::Complete(end)) => {
                let mut records = self.recording.take().unwrap_or_default();
                records.truncate(end);
                self.captured = Some(records);
            }
            // Limitation: a ClientHello over 16 KiB is not fingerprinted; statements on
            // JA3 and JA4 take their fallback for it.
            Ok(Progress::Incomplete) if recording.len() < MAX_HELLO => {}
            Ok(Progress::Incomplete) | Err(_) => self.recording = None,
        }
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for HelloCapture<I> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if this.recording.is_some() {
            this.record(buf.filled().get(before..).unwrap_or_default());
        }
        polled
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for HelloCapture<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, data)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// A handshake record around `fragment`.
    fn record(fragment: &[u8]) -> Vec<u8> {
        let len = u16::try_from(fragment.len()).expect("small");
        let mut out = vec![22, 3, 1];
        out.extend(len.to_be_bytes());
        out.extend_from_slice(fragment);
        out
    }

    /// A ClientHello-typed message of `body` bytes, split into two records.
    fn split_hello(body: usize) -> Vec<u8> {
        let len = u32::try_from(body).expect("small").to_be_bytes();
        let mut message = vec![1, len[1], len[2], len[3]];
        message.resize(4 + body, 0x42);
        let mut out = record(&message[..10]);
        out.extend(record(&message[10..]));
        out
    }

    #[tokio::test]
    async fn records_the_hello_across_reads_and_nothing_after_it() {
        let hello = split_hello(600);
        let (mut viewer, edge) = tokio::io::duplex(64);
        let mut capture = HelloCapture::new(edge);
        let sent = hello.clone();
        let writer = tokio::spawn(async move {
            viewer.write_all(&sent).await.expect("write");
            viewer.write_all(b"after the hello").await.expect("write");
            viewer.shutdown().await.expect("shutdown");
            viewer
        });
        let mut read = Vec::new();
        capture.read_to_end(&mut read).await.expect("read");
        writer.await.expect("writer");

        assert_eq!(
            &read[hello.len()..],
            b"after the hello",
            "reads pass through whole"
        );
        assert_eq!(capture.take_hello(), Some(hello));
        assert_eq!(capture.take_hello(), None);
    }

    #[tokio::test]
    async fn bytes_that_are_not_a_hello_are_not_kept() {
        let (mut viewer, edge) = tokio::io::duplex(1024);
        let mut capture = HelloCapture::new(edge);
        viewer
            .write_all(b"GET / HTTP/1.1\r\n\r\n")
            .await
            .expect("write");
        drop(viewer);
        let mut read = Vec::new();
        capture.read_to_end(&mut read).await.expect("read");
        assert_eq!(read, b"GET / HTTP/1.1\r\n\r\n");
        assert!(capture.recording.is_none(), "gave up at the first byte");
        assert_eq!(capture.take_hello(), None);
    }

    #[tokio::test]
    async fn a_hello_over_the_limit_is_dropped() {
        // A hello that declares more than MAX_HELLO bytes, sent in full records.
        let len = u32::try_from(MAX_HELLO + 100).expect("small").to_be_bytes();
        let mut message = vec![1, len[1], len[2], len[3]];
        message.resize(4 + MAX_HELLO + 100, 0);
        let mut bytes = Vec::new();
        for chunk in message.chunks(4000) {
            bytes.extend(record(chunk));
        }
        let (mut viewer, edge) = tokio::io::duplex(8192);
        let mut capture = HelloCapture::new(edge);
        let writer = tokio::spawn(async move {
            viewer.write_all(&bytes).await.expect("write");
        });
        let mut read = Vec::new();
        capture.read_to_end(&mut read).await.expect("read");
        writer.await.expect("writer");
        assert_eq!(read.len(), message.len() + 5 * message.len().div_ceil(4000));
        assert!(capture.recording.is_none());
        assert_eq!(capture.take_hello(), None);
    }
}
