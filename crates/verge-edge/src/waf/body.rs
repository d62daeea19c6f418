//! Reading the start of a viewer's request body for the WAF to inspect, without losing it:
//! the pieces read are replayed in front of the rest of the body on the way to the origin.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt;

use crate::body::{Body, BoxError, boxed};

/// The first bytes of a body, and the whole body to send on.
pub struct Inspected {
    /// Up to the inspection limit.
    pub prefix: Bytes,
    /// Whether the body ended within what was read.
    pub complete: bool,
    /// The body, unchanged, to forward.
    pub body: Body,
}

/// Reads up to `limit` bytes of `body` (and at most one piece beyond).
pub async fn inspect(mut body: Body, limit: usize) -> Result<Inspected, BoxError> {
    let mut pieces = VecDeque::new();
    let mut prefix = BytesMut::new();
    let mut complete = true;
    while prefix.len() < limit {
        match body.frame().await {
            None => break,
            Some(frame) => {
                let frame = frame?;
                if let Some(data) = frame.data_ref() {
                    let room = limit - prefix.len();
                    prefix.extend_from_slice(&data[..data.len().min(room)]);
                }
                pieces.push_back(frame);
            }
        }
    }
    if prefix.len() >= limit && !http_body::Body::is_end_stream(&body) {
        complete = false;
    }
    let replay = Replay { pieces, rest: body };
    Ok(Inspected {
        prefix: prefix.freeze(),
        complete,
        body: boxed(replay),
    })
}

/// The pieces already read, then the rest of the body.
struct Replay {
    pieces: VecDeque<Frame<Bytes>>,
    rest: Body,
}

impl http_body::Body for Replay {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if let Some(frame) = self.pieces.pop_front() {
            return Poll::Ready(Some(Ok(frame)));
        }
        Pin::new(&mut self.rest).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.pieces.is_empty() && self.rest.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        let buffered: u64 = self
            .pieces
            .iter()
            .filter_map(|f| f.data_ref())
            .map(|d| d.len() as u64)
            .sum();
        let rest = self.rest.size_hint();
        let mut hint = SizeHint::new();
        hint.set_lower(rest.lower() + buffered);
        if let Some(upper) = rest.upper() {
            hint.set_upper(upper + buffered);
        }
        hint
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::full;

    #[tokio::test]
    async fn the_whole_body_still_reaches_the_origin() {
        let inspected = inspect(full("0123456789"), 4).await.expect("readable");
        assert_eq!(&inspected.prefix[..], b"0123");
        let all = inspected.body.collect().await.expect("body").to_bytes();
        assert_eq!(&all[..], b"0123456789");

        let small = inspect(full("ab"), 16).await.expect("readable");
        assert!(small.complete);
        assert_eq!(&small.prefix[..], b"ab");
    }
}
