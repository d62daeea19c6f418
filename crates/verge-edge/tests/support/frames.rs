//! A minimal HTTP/2 client working in raw frames (RFC 9113 §4), for checking what the edge
//! puts on the wire, such as the GOAWAY frames of a drain, which a full client hides.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Frame types (RFC 9113 §6).
pub const DATA: u8 = 0x0;
pub const HEADERS: u8 = 0x1;
pub const RST_STREAM: u8 = 0x3;
pub const SETTINGS: u8 = 0x4;
pub const PING: u8 = 0x6;
pub const GOAWAY: u8 = 0x7;

/// Flags.
pub const END_STREAM: u8 = 0x1;
pub const ACK: u8 = 0x1;
pub const END_HEADERS: u8 = 0x4;

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// One frame as received.
#[derive(Debug, Clone)]
pub struct Frame {
    pub kind: u8,
    pub flags: u8,
    pub stream: u32,
    pub payload: Vec<u8>,
}

impl Frame {
    /// The last stream id of a GOAWAY frame.
    pub fn goaway_last_stream(&self) -> Option<u32> {
        let bytes: [u8; 4] = self.payload.get(..4)?.try_into().ok()?;
        (self.kind == GOAWAY).then(|| u32::from_be_bytes(bytes) & 0x7fff_ffff)
    }

    /// Whether this frame ends its stream.
    pub fn ends_stream(&self) -> bool {
        matches!(self.kind, DATA | HEADERS) && self.flags & END_STREAM != 0
    }
}

/// A prior-knowledge HTTP/2 connection driven frame by frame.
pub struct RawH2 {
    stream: TcpStream,
}

impl RawH2 {
    /// Connects and sends the preface with empty SETTINGS.
    pub async fn connect(addr: SocketAddr) -> RawH2 {
        let stream = TcpStream::connect(addr).await.expect("connect");
        let mut connection = RawH2 { stream };
        connection.stream.write_all(PREFACE).await.expect("preface");
        connection.write_frame(SETTINGS, 0, 0, &[]).await;
        connection
    }

    /// Sends a GET for `path` at `authority` on `stream` (odd, increasing), ending the stream.
    pub async fn get(&mut self, stream: u32, authority: &str, path: &str) {
        // HPACK (RFC 7541): indexed :method GET (2) and :scheme http (6), then :path (4) and
        // :authority (1) as literals without indexing, with indexed names, no Huffman.
        let mut block = vec![0x82, 0x86];
        for (name_index, value) in [(0x04u8, path), (0x01, authority)] {
            assert!(value.len() < 127, "short values only");
            block.push(name_index);
            block.push(value.len() as u8);
            block.extend_from_slice(value.as_bytes());
        }
        self.write_frame(HEADERS, END_STREAM | END_HEADERS, stream, &block)
            .await;
    }

    async fn write_frame(&mut self, kind: u8, flags: u8, stream: u32, payload: &[u8]) {
        let length = u32::try_from(payload.len())
            .expect("small frame")
            .to_be_bytes();
        let mut frame = vec![length[1], length[2], length[3], kind, flags];
        frame.extend_from_slice(&stream.to_be_bytes());
        frame.extend_from_slice(payload);
        // The peer may already have closed; the next read reports that.
        let _ = self.stream.write_all(&frame).await;
    }

    /// The next frame, or `None` when the connection closes or `limit` passes. SETTINGS and
    /// PING frames are acknowledged on the way and returned too.
    pub async fn next(&mut self, limit: Duration) -> Option<Frame> {
        let mut head = [0u8; 9];
        tokio::time::timeout(limit, self.stream.read_exact(&mut head))
            .await
            .ok()?
            .ok()?;
        let length = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
        let mut payload = vec![0u8; length];
        tokio::time::timeout(limit, self.stream.read_exact(&mut payload))
            .await
            .ok()?
            .ok()?;
        let frame = Frame {
            kind: head[3],
            flags: head[4],
            stream: u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff,
            payload,
        };
        if frame.kind == SETTINGS && frame.flags & ACK == 0 {
            self.write_frame(SETTINGS, ACK, 0, &[]).await;
        }
        if frame.kind == PING && frame.flags & ACK == 0 {
            let payload = frame.payload.clone();
            self.write_frame(PING, ACK, 0, &payload).await;
        }
        Some(frame)
    }

    /// Reads frames until `wanted` matches one (returned) or the connection closes.
    pub async fn until(
        &mut self,
        limit: Duration,
        mut wanted: impl FnMut(&Frame) -> bool,
    ) -> Option<Frame> {
        while let Some(frame) = self.next(limit).await {
            if wanted(&frame) {
                return Some(frame);
            }
        }
        None
    }
}
