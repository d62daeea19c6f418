//! A request body that can be sent again if the first attempt never started reading it: a
//! failed connection leaves the body untouched, so the next attempt or the secondary origin
//! gets it whole without buffering.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};

use crate::body::{Body, BoxError};

/// Shared slot holding the viewer's body until an attempt starts reading it.
#[derive(Clone)]
pub struct ReplayableBody {
    slot: Arc<Mutex<Option<Body>>>,
    hint: SizeHint,
    end_stream: bool,
}

impl ReplayableBody {
    /// Wraps a body.
    pub fn new(body: Body) -> Self {
        let hint = body.size_hint();
        let end_stream = body.is_end_stream();
        ReplayableBody {
            slot: Arc::new(Mutex::new(Some(body))),
            hint,
            end_stream,
        }
    }

    /// Whether the body is still unread, so another attempt can send it.
    pub fn available(&self) -> bool {
        self.end_stream || self.slot.lock().map(|slot| slot.is_some()).unwrap_or(false)
    }

    /// A body for one attempt; it takes the real body on its first poll.
    pub fn attempt(&self) -> Body {
        if self.end_stream {
            return crate::body::empty();
        }
        crate::body::boxed(Attempt {
            slot: self.slot.clone(),
            taken: None,
            hint: self.hint,
        })
    }
}

struct Attempt {
    slot: Arc<Mutex<Option<Body>>>,
    taken: Option<Body>,
    hint: SizeHint,
}

impl HttpBody for Attempt {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if self.taken.is_none() {
            let taken = self.slot.lock().ok().and_then(|mut slot| slot.take());
            match taken {
                Some(body) => self.taken = Some(body),
                None => return Poll::Ready(Some(Err("request body already sent".into()))),
            }
        }
        match self.taken.as_mut() {
            Some(body) => Pin::new(body).poll_frame(cx),
            None => Poll::Ready(None),
        }
    }

    fn size_hint(&self) -> SizeHint {
        self.hint
    }
}
