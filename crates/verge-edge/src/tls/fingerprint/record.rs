//! The TLS record layer in front of a ClientHello (RFC 8446 §5.1): where the hello ends in
//! what a viewer sent first, and the hello put back together when the viewer split it over
//! several handshake records.

use std::borrow::Cow;

use super::error::ClientHelloError;

/// `ContentType.handshake`.
const HANDSHAKE: u8 = 22;
/// `HandshakeType.client_hello`.
const CLIENT_HELLO: u8 = 1;
/// Content type, legacy record version and length.
const RECORD_HEADER: usize = 5;
/// Type and 24-bit length.
const MESSAGE_HEADER: usize = 4;
/// The largest plaintext fragment a record may carry (RFC 8446 §5.1).
const MAX_FRAGMENT: usize = 1 << 14;

/// How far a viewer's first bytes go towards a whole ClientHello.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// More bytes are needed.
    Incomplete,
    /// The ClientHello is whole; the record completing it ends at this offset.
    Complete(usize),
}

/// Walks the records at the start of `bytes` to see whether they carry a whole ClientHello.
/// Fails as soon as the bytes cannot be one (not a handshake record, not a ClientHello).
pub fn progress(bytes: &[u8]) -> Result<Progress, ClientHelloError> {
    Ok(match scan(bytes)? {
        Some(found) => Progress::Complete(found.records_end),
        None => Progress::Incomplete,
    })
}

/// The ClientHello handshake message, from its 4-byte header to its last byte, borrowed
/// when one record carries it whole.
pub fn client_hello_message(bytes: &[u8]) -> Result<Cow<'_, [u8]>, ClientHelloError> {
    let Some(found) = scan(bytes)? else {
        return Err(ClientHelloError::Truncated("records"));
    };
    let mut fragments = Records::new(bytes);
    let first = fragments
        .next()
        .transpose()?
        .ok_or(ClientHelloError::Truncated("records"))?;
    if let Some(whole) = first.get(..found.message_len) {
        return Ok(Cow::Borrowed(whole));
    }

    let mut message = Vec::with_capacity(found.message_len);
    message.extend_from_slice(first);
    for fragment in fragments {
        let wanted = found.message_len.saturating_sub(message.len());
        let fragment = fragment?;
        message.extend_from_slice(&fragment[..wanted.min(fragment.len())]);
        if message.len() == found.message_len {
            return Ok(Cow::Owned(message));
        }
    }
    Err(ClientHelloError::Truncated("records"))
}

/// Where the first handshake message ends.
struct Found {
    /// The offset just past the record holding its last byte.
    records_end: usize,
    /// Its length with its header.
    message_len: usize,
}

/// Finds the end of the ClientHello, or `None` when the bytes stop first.
fn scan(bytes: &[u8]) -> Result<Option<Found>, ClientHelloError> {
    let mut records = Records::new(bytes);
    let mut header = [0u8; MESSAGE_HEADER];
    let mut seen = 0usize;
    let mut message_len = None;
    while let Some(fragment) = records.next().transpose()? {
        // The message header itself may be split between records.
        if seen < MESSAGE_HEADER {
            let n = (MESSAGE_HEADER - seen).min(fragment.len());
            header[seen..seen + n].copy_from_slice(&fragment[..n]);
        }
        seen += fragment.len();
        if message_len.is_none() && seen >= MESSAGE_HEADER {
            if header[0] != CLIENT_HELLO {
                return Err(ClientHelloError::NotClientHello(header[0]));
            }
            let body =
                usize::from(header[1]) << 16 | usize::from(header[2]) << 8 | usize::from(header[3]);
            message_len = Some(MESSAGE_HEADER + body);
        }
        if let Some(message_len) = message_len
            && seen >= message_len
        {
            return Ok(Some(Found {
                records_end: records.at,
                message_len,
            }));
        }
    }
    Ok(None)
}

/// The fragments of the whole handshake records at the start of some bytes; stops at the
/// first record not yet received in full.
struct Records<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Records<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Records { bytes, at: 0 }
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<&'a [u8], ClientHelloError>;

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.bytes.get(self.at..)?;
        let &[kind, major, minor, high, low, ..] = rest else {
            return None;
        };
        if kind != HANDSHAKE {
            return Some(Err(ClientHelloError::NotHandshake(kind)));
        }
        if major != 3 {
            return Some(Err(ClientHelloError::RecordVersion(u16::from_be_bytes([
                major, minor,
            ]))));
        }
        let len = usize::from(u16::from_be_bytes([high, low]));
        // Zero-length handshake fragments are forbidden too (RFC 8446 §5.1).
        if len == 0 || len > MAX_FRAGMENT {
            return Some(Err(ClientHelloError::RecordLength(len)));
        }
        let fragment = rest.get(RECORD_HEADER..RECORD_HEADER + len)?;
        self.at += RECORD_HEADER + len;
        Some(Ok(fragment))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A handshake record carrying `fragment`.
    fn record(fragment: &[u8]) -> Vec<u8> {
        let len = u16::try_from(fragment.len()).expect("test fragments are small");
        let mut out = vec![HANDSHAKE, 3, 1];
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(fragment);
        out
    }

    /// A ClientHello message of `body_len` bytes of body (not a valid hello: the record
    /// layer does not look inside).
    fn message(body_len: usize) -> Vec<u8> {
        let len = u32::try_from(body_len).expect("small").to_be_bytes();
        let mut out = vec![CLIENT_HELLO, len[1], len[2], len[3]];
        out.extend((0..body_len).map(|i| i as u8));
        out
    }

    #[test]
    fn one_record_holding_the_hello_is_borrowed() {
        let hello = message(40);
        let mut bytes = record(&hello);
        let end = bytes.len();
        assert_eq!(progress(&bytes), Ok(Progress::Complete(end)));
        bytes.extend_from_slice(&[20, 3, 3, 0, 1, 1]);
        assert_eq!(
            progress(&bytes),
            Ok(Progress::Complete(end)),
            "what follows is not read"
        );
        let found = client_hello_message(&bytes).expect("whole");
        assert!(matches!(found, Cow::Borrowed(_)));
        assert_eq!(&found[..], &hello[..]);
    }

    #[test]
    fn a_hello_split_over_records_is_put_back_together() {
        let hello = message(300);
        // Split inside the message header too: 2 bytes, then 100, then the rest.
        let mut bytes = record(&hello[..2]);
        bytes.extend(record(&hello[2..102]));
        assert_eq!(progress(&bytes), Ok(Progress::Incomplete));
        bytes.extend(record(&hello[102..]));
        assert_eq!(progress(&bytes), Ok(Progress::Complete(bytes.len())));
        let found = client_hello_message(&bytes).expect("whole");
        assert!(matches!(found, Cow::Owned(_)));
        assert_eq!(&found[..], &hello[..]);
    }

    #[test]
    fn every_prefix_of_a_hello_is_incomplete_never_a_panic() {
        let hello = message(120);
        let mut bytes = record(&hello[..50]);
        bytes.extend(record(&hello[50..]));
        for cut in 0..bytes.len() {
            assert_eq!(
                progress(&bytes[..cut]),
                Ok(Progress::Incomplete),
                "cut at {cut}"
            );
            assert_eq!(
                client_hello_message(&bytes[..cut]).err(),
                Some(ClientHelloError::Truncated("records"))
            );
        }
    }

    #[test]
    fn bytes_that_cannot_be_a_hello_fail_early() {
        assert_eq!(
            progress(b"GET / HTTP/1.1\r\n"),
            Err(ClientHelloError::NotHandshake(b'G'))
        );
        // An SSL 2.0 compatible hello starts with the high bit of a two-byte length.
        assert_eq!(
            progress(&[0x80, 0x2e, 0x01, 0x00, 0x02]),
            Err(ClientHelloError::NotHandshake(0x80))
        );
        assert_eq!(
            progress(&[HANDSHAKE, 2, 0, 0, 4]),
            Err(ClientHelloError::RecordVersion(0x0200))
        );
        assert_eq!(
            progress(&[HANDSHAKE, 3, 1, 0, 0]),
            Err(ClientHelloError::RecordLength(0))
        );
        assert_eq!(
            progress(&[HANDSHAKE, 3, 1, 0x40, 0x01]),
            Err(ClientHelloError::RecordLength(MAX_FRAGMENT + 1))
        );
        // A ServerHello (type 2) where a ClientHello should be.
        assert_eq!(
            progress(&record(&[2, 0, 0, 1, 0])),
            Err(ClientHelloError::NotClientHello(2))
        );
        // An alert record in the middle of a split hello.
        let hello = message(20);
        let mut bytes = record(&hello[..10]);
        bytes.extend_from_slice(&[21, 3, 3, 0, 2, 2, 40]);
        assert_eq!(progress(&bytes), Err(ClientHelloError::NotHandshake(21)));
    }
}
