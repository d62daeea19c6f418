//! A bounds-checked cursor over TLS wire bytes: big-endian integers and length-prefixed
//! vectors (RFC 8446 §3.4), each failure naming the field it was reading.

use super::error::ClientHelloError;

/// The unread part of a byte string.
#[derive(Debug, Clone, Copy)]
pub(super) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader at the start of `bytes`.
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        Reader { rest: bytes }
    }

    /// Whether everything was read.
    pub(super) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// What is left, consuming it.
    pub(super) fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.rest)
    }

    /// The next `len` bytes.
    pub(super) fn take(
        &mut self,
        len: usize,
        field: &'static str,
    ) -> Result<&'a [u8], ClientHelloError> {
        if len > self.rest.len() {
            return Err(ClientHelloError::Truncated(field));
        }
        let (taken, rest) = self.rest.split_at(len);
        self.rest = rest;
        Ok(taken)
    }

    /// One byte.
    pub(super) fn u8(&mut self, field: &'static str) -> Result<u8, ClientHelloError> {
        Ok(self.take(1, field)?[0])
    }

    /// A 16-bit integer.
    pub(super) fn u16(&mut self, field: &'static str) -> Result<u16, ClientHelloError> {
        let bytes = self.take(2, field)?;
        Ok(u16::from_be_bytes([bytes[0], bytes[1]]))
    }

    /// A 24-bit integer.
    pub(super) fn u24(&mut self, field: &'static str) -> Result<usize, ClientHelloError> {
        let bytes = self.take(3, field)?;
        Ok(usize::from(bytes[0]) << 16 | usize::from(bytes[1]) << 8 | usize::from(bytes[2]))
    }

    /// A vector with a one-byte length.
    pub(super) fn vec8(&mut self, field: &'static str) -> Result<Reader<'a>, ClientHelloError> {
        let len = self.u8(field)?;
        Ok(Reader::new(self.take(usize::from(len), field)?))
    }

    /// A vector with a two-byte length.
    pub(super) fn vec16(&mut self, field: &'static str) -> Result<Reader<'a>, ClientHelloError> {
        let len = self.u16(field)?;
        Ok(Reader::new(self.take(usize::from(len), field)?))
    }

    /// A vector with a three-byte length.
    pub(super) fn vec24(&mut self, field: &'static str) -> Result<Reader<'a>, ClientHelloError> {
        let len = self.u24(field)?;
        Ok(Reader::new(self.take(len, field)?))
    }

    /// The rest as 16-bit integers; an odd number of bytes is malformed.
    pub(super) fn u16s(mut self, field: &'static str) -> Result<Vec<u16>, ClientHelloError> {
        let pairs = self.rest().chunks_exact(2);
        if !pairs.remainder().is_empty() {
            return Err(ClientHelloError::Malformed(field));
        }
        Ok(pairs
            .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
            .collect())
    }

    /// Fails when bytes are left over after a field that should fill its container.
    pub(super) fn finish(&self, field: &'static str) -> Result<(), ClientHelloError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(ClientHelloError::Malformed(field))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_integers_and_vectors_within_bounds() {
        let mut reader = Reader::new(&[0x01, 0x02, 0x03, 0x00, 0x00, 0x02, 0xaa, 0xbb, 0x02, 0x0a]);
        assert_eq!(reader.u8("a"), Ok(1));
        assert_eq!(reader.u16("b"), Ok(0x0203));
        assert_eq!(
            reader.vec24("c").map(|mut v| v.rest()),
            Ok(&[0xaa, 0xbb][..])
        );
        assert_eq!(
            reader.vec8("d").err(),
            Some(ClientHelloError::Truncated("d"))
        );
    }

    #[test]
    fn a_length_past_the_end_is_truncation_not_a_panic() {
        let mut reader = Reader::new(&[0xff, 0xff, 0x00]);
        assert_eq!(
            reader.vec16("list").err(),
            Some(ClientHelloError::Truncated("list"))
        );
        let mut reader = Reader::new(&[0x00]);
        assert_eq!(
            reader.u16("short").err(),
            Some(ClientHelloError::Truncated("short"))
        );
        assert_eq!(
            Reader::new(&[0x00, 0x01, 0x02]).u16s("odd").err(),
            Some(ClientHelloError::Malformed("odd"))
        );
    }
}
