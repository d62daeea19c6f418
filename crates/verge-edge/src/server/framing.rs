//! Follows HTTP/1.1 message framing (RFC 9112 §6-7) in the bytes hyper reads from a viewer:
//! where each request head starts and ends, and how its body is delimited. hyper resolves a
//! head carrying both Content-Length and Transfer-Encoding silently (§6.3), so the tracker is
//! what lets `admit` refuse it; it also lets `conn::serve` time a head from its first byte.

use std::mem::MaybeUninit;

/// The HTTP/2 prior-knowledge connection preface (RFC 9113 §3.4).
const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// The most header fields hyper parses in one head; more and it answers 431.
const MAX_HEADERS: usize = 100;

/// hyper refuses a Content-Length above this (two values are reserved for its markers).
const MAX_LENGTH: u64 = u64::MAX - 2;

/// What a read changed about the viewer's request heads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Nothing the connection acts on.
    None,
    /// A head began and is still incomplete at the end of the read.
    HeadOpened,
    /// The head that was open is complete (or no longer followed) and no other one is open.
    HeadClosed,
    /// A head carried both Content-Length and Transfer-Encoding; tracking has stopped.
    Ambiguous,
}

/// Where the tracker is in the byte stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Comparing the first bytes with the HTTP/2 preface; this many matched so far.
    Preface(usize),
    /// Between requests or inside a head.
    Head,
    /// Inside a Content-Length body; this many bytes left.
    Length(u64),
    /// At the start of a chunk-size line: a hex digit must follow.
    SizeStart,
    /// Reading the chunk size.
    Size(u64),
    /// Whitespace after the chunk size.
    SizeSpace(u64),
    /// A chunk extension, ignored up to the line end.
    Extension(u64),
    /// The LF ending a chunk-size line.
    SizeLf(u64),
    /// Chunk data; this many bytes left.
    Data(u64),
    /// The CR after chunk data.
    DataCr,
    /// The LF after chunk data.
    DataLf,
    /// After the last chunk or a trailer field: another field, or the final CRLF.
    TrailerStart,
    /// Inside a trailer field line.
    Trailer,
    /// The LF ending a trailer field line.
    TrailerLf,
    /// The LF of the final CRLF.
    EndLf,
    /// Not following: HTTP/2, a message hyper refuses, or ambiguous framing.
    Off,
}

/// How a complete head says its body is delimited.
enum Framing {
    /// No body.
    Empty,
    /// A Content-Length body.
    Length(u64),
    /// A chunked body.
    Chunked,
    /// Both Content-Length and Transfer-Encoding.
    Ambiguous,
    /// A head hyper refuses with 400 or 431 and then closes the connection.
    Refused,
}

/// Follows the framing of one HTTP/1 connection's requests, fed every byte hyper reads in
/// order. Body bytes are skipped in one step per read; a head is parsed straight from the
/// read when it arrives whole, and copied into a reused buffer only when it is split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FramingTracker {
    state: State,
    /// The part of a head that arrived in earlier reads.
    head: Vec<u8>,
    /// Line-end progress at the end of `head`: 1 after a LF, 2 after LF CR, else 0.
    line_end: u8,
    /// hyper's read buffer size: a head longer than this is answered with 431.
    limit: usize,
    /// Whether the caller was last told that a head is open.
    open: bool,
    /// Whether a head with ambiguous framing was seen.
    ambiguous: bool,
}

impl FramingTracker {
    /// A tracker for a connection whose protocol is known only from its first bytes (clear
    /// text, or TLS without ALPN `h2`); `limit` is hyper's HTTP/1 read buffer size.
    pub fn new(limit: usize) -> Self {
        FramingTracker {
            state: State::Preface(0),
            head: Vec::new(),
            line_end: 0,
            limit,
            open: false,
            ambiguous: false,
        }
    }

    /// A tracker that follows nothing (a connection that negotiated HTTP/2).
    pub fn disabled() -> Self {
        FramingTracker {
            state: State::Off,
            ..FramingTracker::new(0)
        }
    }

    /// Whether the tracker still follows the connection.
    pub fn is_tracking(&self) -> bool {
        self.state != State::Off
    }

    /// Whether a head with both Content-Length and Transfer-Encoding was seen.
    pub fn is_ambiguous(&self) -> bool {
        self.ambiguous
    }

    /// Whether a head has started and is not complete yet.
    pub fn head_open(&self) -> bool {
        self.open
    }

    /// Follows `bytes`, the next bytes read from the viewer, and reports what changed.
    pub fn feed(&mut self, bytes: &[u8]) -> Change {
        if self.state == State::Off {
            return Change::None;
        }
        let completed = self.run(bytes);
        if self.ambiguous {
            self.open = false;
            return Change::Ambiguous;
        }
        let open = self.state == State::Head && !self.head.is_empty();
        let change = match (self.open, open) {
            (false, true) => Change::HeadOpened,
            (true, true) if completed => Change::HeadOpened,
            (true, false) => Change::HeadClosed,
            _ => Change::None,
        };
        self.open = open;
        change
    }

    /// Advances over `data`; returns whether a head completed in it.
    fn run(&mut self, mut data: &[u8]) -> bool {
        let mut completed = false;
        while !data.is_empty() {
            let used = match self.state {
                State::Off => return completed,
                State::Preface(matched) => {
                    let wanted = &PREFACE[matched..];
                    let n = wanted.len().min(data.len());
                    if data[..n] == wanted[..n] {
                        self.state = if matched + n == PREFACE.len() {
                            State::Off
                        } else {
                            State::Preface(matched + n)
                        };
                        n
                    } else {
                        // HTTP/1: the bytes that looked like a preface start the first head.
                        self.state = State::Head;
                        completed |= self.run(&PREFACE[..matched]);
                        0
                    }
                }
                State::Head => {
                    let (used, done) = self.head_bytes(data);
                    completed |= done;
                    used
                }
                State::Length(left) => {
                    let n = skip(left, data.len());
                    self.state = if n as u64 == left {
                        State::Head
                    } else {
                        State::Length(left - n as u64)
                    };
                    n
                }
                State::Data(left) => {
                    let n = skip(left, data.len());
                    self.state = if n as u64 == left {
                        State::DataCr
                    } else {
                        State::Data(left - n as u64)
                    };
                    n
                }
                State::Extension(size) => {
                    match data.iter().position(|b| matches!(b, b'\r' | b'\n')) {
                        // A bare LF in an extension is refused (hyper does the same).
                        Some(at) if data[at] == b'\r' => {
                            self.state = State::SizeLf(size);
                            at + 1
                        }
                        Some(_) => self.stop(),
                        None => data.len(),
                    }
                }
                State::Trailer => match data.iter().position(|b| matches!(b, b'\r' | b'\n')) {
                    Some(at) if data[at] == b'\r' => {
                        self.state = State::TrailerLf;
                        at + 1
                    }
                    Some(_) => self.stop(),
                    None => data.len(),
                },
                state => {
                    self.state = chunk_step(state, data[0]);
                    1
                }
            };
            data = &data[used..];
        }
        completed
    }

    /// Reads head bytes from the start of `data`: returns how many belong to the head (or
    /// precede it) and whether the head completed.
    fn head_bytes(&mut self, data: &[u8]) -> (usize, bool) {
        if self.head.is_empty() {
            // RFC 9112 §2.2: empty lines before a request line are ignored, and do not
            // start the head's clock (some viewers send a CRLF after a body).
            let Some(start) = data.iter().position(|b| !matches!(b, b'\r' | b'\n')) else {
                return (data.len(), false);
            };
            let rest = &data[start..];
            return match parse(rest) {
                Parsed::Complete(len, framing) if len <= self.limit => {
                    self.begin_body(framing);
                    (start + len, true)
                }
                Parsed::Partial if rest.len() <= self.limit => {
                    self.head.extend_from_slice(rest);
                    self.line_end = line_end(rest);
                    (data.len(), false)
                }
                _ => (self.stop(), false),
            };
        }

        // The rest of a split head: find its empty line in the new bytes, then parse it whole.
        let Some(end) = self.find_end(data) else {
            if self.head.len() + data.len() > self.limit {
                return (self.stop(), false);
            }
            self.head.extend_from_slice(data);
            return (data.len(), false);
        };
        if self.head.len() + end + 1 > self.limit {
            return (self.stop(), false);
        }
        self.head.extend_from_slice(&data[..=end]);
        self.line_end = 0;
        match parse(&self.head) {
            Parsed::Complete(len, framing) if len == self.head.len() => {
                self.head.clear();
                self.begin_body(framing);
                (end + 1, true)
            }
            _ => (self.stop(), false),
        }
    }

    /// Finds the LF that ends the head's empty line in `data`, carrying line-end progress
    /// over from the previous read. Like httparse, a bare LF ends a line too.
    fn find_end(&mut self, data: &[u8]) -> Option<usize> {
        let mut line_end = self.line_end;
        for (at, byte) in data.iter().enumerate() {
            line_end = match (byte, line_end) {
                (b'\n', 0) => 1,
                (b'\n', _) => return Some(at),
                (b'\r', 1) => 2,
                _ => 0,
            };
        }
        self.line_end = line_end;
        None
    }

    /// Moves past a complete head to its body.
    fn begin_body(&mut self, framing: Framing) {
        self.state = match framing {
            Framing::Empty | Framing::Length(0) => State::Head,
            Framing::Length(length) => State::Length(length),
            Framing::Chunked => State::SizeStart,
            Framing::Ambiguous => {
                self.ambiguous = true;
                State::Off
            }
            Framing::Refused => State::Off,
        };
        if self.state == State::Off {
            self.stop();
        }
    }

    /// Stops following the connection; returns 0 bytes used, for the callers' convenience.
    fn stop(&mut self) -> usize {
        self.state = State::Off;
        self.head = Vec::new();
        self.line_end = 0;
        0
    }
}

/// How much of `len` available bytes a body with `left` bytes to go takes.
fn skip(left: u64, len: usize) -> usize {
    usize::try_from(left).map_or(len, |left| left.min(len))
}

/// Line-end progress at the end of a partial head.
fn line_end(head: &[u8]) -> u8 {
    match head {
        [.., b'\n'] => 1,
        [.., b'\n', b'\r'] => 2,
        _ => 0,
    }
}

/// One byte of a chunk-size line or of the CRLFs around chunk data and trailers, with
/// hyper's rules: hex digits, optional whitespace, `;` extensions, strict CRLF.
fn chunk_step(state: State, byte: u8) -> State {
    match (state, byte) {
        (State::SizeStart, _) => {
            hex(byte).map_or(State::Off, |digit| State::Size(u64::from(digit)))
        }
        (State::Size(size), b' ' | b'\t') | (State::SizeSpace(size), b' ' | b'\t') => {
            State::SizeSpace(size)
        }
        (State::Size(size), b';') | (State::SizeSpace(size), b';') => State::Extension(size),
        (State::Size(size), b'\r') | (State::SizeSpace(size), b'\r') => State::SizeLf(size),
        (State::Size(size), _) => match hex(byte) {
            Some(digit) => size
                .checked_mul(16)
                .and_then(|size| size.checked_add(u64::from(digit)))
                .map_or(State::Off, State::Size),
            None => State::Off,
        },
        (State::SizeLf(0), b'\n') => State::TrailerStart,
        (State::SizeLf(size), b'\n') => State::Data(size),
        (State::DataCr, b'\r') => State::DataLf,
        (State::DataLf, b'\n') => State::SizeStart,
        (State::TrailerStart, b'\r') => State::EndLf,
        (State::TrailerStart, b'\n') => State::Off,
        (State::TrailerStart, _) => State::Trailer,
        (State::TrailerLf, b'\n') => State::TrailerStart,
        (State::EndLf, b'\n') => State::Head,
        _ => State::Off,
    }
}

fn hex(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// What httparse makes of the bytes at the start of a head.
enum Parsed {
    /// The head is not complete yet.
    Partial,
    /// A complete head of this many bytes, and its framing.
    Complete(usize, Framing),
    /// A head httparse (and so hyper) refuses.
    Invalid,
}

/// Parses a request head at the start of `bytes`.
fn parse(bytes: &[u8]) -> Parsed {
    let mut fields = [MaybeUninit::<httparse::Header<'_>>::uninit(); MAX_HEADERS];
    let mut request = httparse::Request::new(&mut []);
    match request.parse_with_uninit_headers(bytes, &mut fields) {
        Ok(httparse::Status::Complete(len)) => {
            let http11 = request.version == Some(1);
            Parsed::Complete(len, framing(http11, request.headers))
        }
        Ok(httparse::Status::Partial) => Parsed::Partial,
        Err(_) => Parsed::Invalid,
    }
}

/// The framing a parsed head declares, decided as hyper decides it (RFC 9112 §6.3), except
/// that Content-Length with Transfer-Encoding is reported instead of resolved.
fn framing(http11: bool, fields: &[httparse::Header<'_>]) -> Framing {
    let mut chunked = None;
    let mut length = None;
    let mut has_length = false;
    let mut bad_length = false;
    for field in fields {
        match field.name.len() {
            17 if field.name.eq_ignore_ascii_case("transfer-encoding") => {
                // The last field decides; chunked must be the final coding.
                chunked = Some(last_coding_is_chunked(field.value));
            }
            14 if field.name.eq_ignore_ascii_case("content-length") => {
                has_length = true;
                match digits(field.value) {
                    Some(value) if length.is_none_or(|seen| seen == value) => length = Some(value),
                    _ => bad_length = true,
                }
            }
            _ => {}
        }
    }
    match (chunked, length) {
        (Some(_), _) if has_length => Framing::Ambiguous,
        (Some(true), _) if http11 => Framing::Chunked,
        (Some(_), _) => Framing::Refused,
        _ if bad_length => Framing::Refused,
        (None, Some(length)) if length > MAX_LENGTH => Framing::Refused,
        (None, Some(length)) => Framing::Length(length),
        (None, None) => Framing::Empty,
    }
}

fn last_coding_is_chunked(value: &[u8]) -> bool {
    let last = value.rsplit(|b| *b == b',').next().unwrap_or_default();
    last.trim_ascii().eq_ignore_ascii_case(b"chunked")
}

/// A Content-Length value: ASCII digits only, as hyper requires of HTTP/1 requests.
fn digits(value: &[u8]) -> Option<u64> {
    if value.is_empty() {
        return None;
    }
    value.iter().try_fold(0u64, |total, byte| {
        let digit = byte.checked_sub(b'0').filter(|d| *d <= 9)?;
        total.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: usize = 8192;

    /// Feeds `input` in one read, then in reads of every size from 1 to 9 bytes, and checks
    /// that the splits end where the single read does; returns the single-read tracker.
    fn track(input: &[u8]) -> FramingTracker {
        let mut whole = FramingTracker::new(LIMIT);
        whole.feed(input);
        for size in 1..10 {
            let mut split = FramingTracker::new(LIMIT);
            for piece in input.chunks(size) {
                split.feed(piece);
            }
            assert_eq!(split, whole, "reads of {size} bytes");
        }
        whole
    }

    fn idle(tracker: &FramingTracker) -> bool {
        tracker.state == State::Head && tracker.head.is_empty() && !tracker.ambiguous
    }

    fn post(headers: &str, body: &str) -> String {
        format!("POST /up HTTP/1.1\r\nHost: a\r\n{headers}\r\n{body}")
    }

    #[test]
    fn content_length_bodies_are_skipped() {
        // The body looks like an ambiguous head; it is only data.
        let body = "GET / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n";
        let input = post(&format!("Content-Length: {}\r\n", body.len()), body);
        assert!(idle(&track(input.as_bytes())));

        let mut tracker = FramingTracker::new(LIMIT);
        tracker.feed(post("Content-Length: 10\r\n", "abc").as_bytes());
        assert_eq!(tracker.state, State::Length(7));
        tracker.feed(b"defghij");
        assert!(idle(&tracker));
        assert!(idle(&track(
            post("Content-Length: 0\r\nContent-Length: 0\r\n", "").as_bytes()
        )));
    }

    #[test]
    fn chunked_bodies_with_extensions_and_trailers() {
        let body = "5;name=value\r\nhello\r\n1A \t;a;b=\"c d\"\r\nabcdefghijklmnopqrstuvwxyz\r\n\
                    0\r\nX-Checksum: 1\r\nX-Other: 2\r\n\r\n";
        let input = post("Transfer-Encoding: chunked\r\n", body);
        assert!(idle(&track(input.as_bytes())));
        let input = post("Transfer-Encoding: gzip, chunked\r\n", "0\r\n\r\n");
        assert!(idle(&track(input.as_bytes())));

        // Chunk data that looks like a last chunk and an ambiguous head is only data.
        let data =
            "0\r\n\r\nPOST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n";
        let input = post(
            "Transfer-Encoding: chunked\r\n",
            &format!("{:X}\r\n{data}\r\n0\r\n\r\n", data.len()),
        );
        assert!(idle(&track(input.as_bytes())));
    }

    #[test]
    fn pipelined_requests_are_followed() {
        let input = [
            "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n".to_owned(),
            post("Content-Length: 4\r\n", "abcd"),
            post("Transfer-Encoding: chunked\r\n", "2\r\nab\r\n0\r\n\r\n"),
            "\r\nGET /4 HTTP/1.0\r\n\r\n".to_owned(),
        ]
        .concat();
        assert!(idle(&track(input.as_bytes())));
    }

    #[test]
    fn heads_with_bare_line_feeds() {
        let input = "GET / HTTP/1.1\nHost: a\n\n\
                     POST / HTTP/1.1\nContent-Length: 2\r\n\nhi\
                     GET / HTTP/1.1\n\r\n";
        assert!(idle(&track(input.as_bytes())));
    }

    #[test]
    fn content_length_with_transfer_encoding_in_either_order() {
        for fields in [
            "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
            "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
            "transfer-encoding: gzip\r\ncontent-length: 5\r\n",
            "Transfer-Encoding: chunked\r\nContent-Length: nonsense\r\n",
        ] {
            let input = post(fields, "0\r\n\r\n");
            let tracker = track(input.as_bytes());
            assert!(tracker.is_ambiguous(), "{fields:?}");
            assert!(!tracker.is_tracking());
            assert_eq!(
                FramingTracker::new(LIMIT).feed(input.as_bytes()),
                Change::Ambiguous
            );
        }
    }

    #[test]
    fn ambiguous_head_later_in_a_pipeline() {
        let input = [
            "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n".to_owned(),
            post("Content-Length: 3\r\n", "abc"),
            post(
                "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n",
                "0\r\n\r\n",
            ),
            "GET /after HTTP/1.1\r\n\r\n".to_owned(),
        ]
        .concat();
        assert!(track(input.as_bytes()).is_ambiguous());

        let mut tracker = FramingTracker::new(LIMIT);
        assert_eq!(
            tracker.feed(b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST / HTTP/1.1\r\nContent-"),
            Change::HeadOpened
        );
        assert_eq!(
            tracker.feed(b"Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"),
            Change::Ambiguous
        );
        assert_eq!(tracker.feed(b"0\r\n\r\n"), Change::None);
    }

    #[test]
    fn head_open_and_close_are_reported_once() {
        let mut tracker = FramingTracker::new(LIMIT);
        assert_eq!(
            tracker.feed(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
            Change::None
        );
        // Empty lines between requests do not open a head.
        assert_eq!(tracker.feed(b"\r\n"), Change::None);
        assert_eq!(tracker.feed(b"GET / HT"), Change::HeadOpened);
        assert!(tracker.head_open());
        assert_eq!(tracker.feed(b"TP/1.1\r\nHost: a\r\n"), Change::None);
        assert_eq!(tracker.feed(b"\r\n"), Change::HeadClosed);
        assert!(!tracker.head_open());
        assert_eq!(tracker.feed(b"GET /2 HTTP/1.1\r\n"), Change::HeadOpened);
        // One head ends and the next begins in the same read: a new head, a new clock.
        assert_eq!(tracker.feed(b"\r\nGET /3 HTTP/1.1\r\n"), Change::HeadOpened);
        assert_eq!(
            tracker.feed(b"\r\nGET /4 HTTP/1.1\r\n\r\n"),
            Change::HeadClosed
        );
        // A body is not a head.
        assert_eq!(
            tracker.feed(post("Content-Length: 10\r\n", "abc").as_bytes()),
            Change::None
        );
        assert!(!tracker.head_open());
    }

    #[test]
    fn http2_preface_stops_tracking() {
        let mut tracker = FramingTracker::new(LIMIT);
        assert_eq!(tracker.feed(b"PRI * HTTP/2.0\r\n"), Change::None);
        assert!(tracker.is_tracking());
        tracker.feed(b"\r\nSM\r\n\r\n\x00\x00\x12\x04\x00\x00\x00\x00\x00");
        assert!(!tracker.is_tracking());
        assert!(!track(PREFACE).is_tracking());
        assert!(!FramingTracker::disabled().is_tracking());

        // A head that only starts like the preface is HTTP/1, followed from its first byte.
        let input = [
            "PRI * HTTP/1.1\r\nHost: a\r\n\r\n".to_owned(),
            post("Content-Length: 1\r\nTransfer-Encoding: chunked\r\n", ""),
        ]
        .concat();
        assert!(track(input.as_bytes()).is_ambiguous());
        assert!(idle(&track(
            b"PUT / HTTP/1.1\r\nContent-Length: 1\r\n\r\nx"
        )));
    }

    #[test]
    fn what_hyper_refuses_stops_tracking() {
        let refused = [
            "GARBAGE\r\n\r\n".to_owned(),
            "GET / HTTP/9.9\r\n\r\n".to_owned(),
            "GET / HTTP/1.1\r\nHo st: a\r\n\r\n".to_owned(),
            "G\0T / HTTP/1.1\r\n\r\n".to_owned(),
            post("Content-Length: 3\r\nContent-Length: 4\r\n", "abcd"),
            post("Content-Length: 3, 3\r\n", "abc"),
            post("Content-Length: -1\r\n", ""),
            post("Content-Length: 99999999999999999999999\r\n", ""),
            post("Transfer-Encoding: gzip\r\n", ""),
            post("Transfer-Encoding: chunked, gzip\r\n", "0\r\n\r\n"),
            "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".to_owned(),
            post("Transfer-Encoding: chunked\r\n", "zz\r\n"),
            post("Transfer-Encoding: chunked\r\n", "3\r\nabcdef\r\n"),
            post("Transfer-Encoding: chunked\r\n", "ffffffffffffffffff\r\n"),
            post("Transfer-Encoding: chunked\r\n", "3;ext\nabc\r\n"),
            post("Transfer-Encoding: chunked\r\n", "3\nabc\r\n"),
            post("Transfer-Encoding: chunked\r\n", "0\r\nX-Trailer: 1\n\r\n"),
            post("Transfer-Encoding: chunked\r\n", "0\r\n\n"),
        ];
        for input in &refused {
            let tracker = track(input.as_bytes());
            assert!(!tracker.is_tracking(), "{input:?}");
            assert!(!tracker.is_ambiguous(), "{input:?}");
        }
        let headers: String = (0..=MAX_HEADERS).map(|i| format!("X-{i}: v\r\n")).collect();
        assert!(!track(format!("GET / HTTP/1.1\r\n{headers}\r\n").as_bytes()).is_tracking());
    }

    /// A small xorshift generator, so the random tests repeat exactly.
    struct Random(u32);

    impl Random {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 17;
            self.0 ^= self.0 << 5;
            self.0 as usize % n
        }
    }

    /// One well-formed request of a random shape, with its own line ends and body framing.
    fn message(random: &mut Random, ambiguous: bool) -> String {
        let eol = ["\r\n", "\n"][random.below(2)];
        let mut head = format!(
            "{}POST /{} HTTP/1.1{eol}Host: a{eol}",
            "\r\n".repeat(random.below(2)),
            random.below(100)
        );
        let body = match random.below(3) {
            0 => String::new(),
            1 => {
                let body = "x\r\n".repeat(random.below(40));
                head += &format!("Content-Length: {}{eol}", body.len());
                body
            }
            _ => {
                head += &format!("Transfer-Encoding: chunked{eol}");
                let mut body = String::new();
                for _ in 0..random.below(4) {
                    let data = "0\r\n\r\n".repeat(random.below(9) + 1);
                    let extension = [";", ";a=b", " ;c", ""][random.below(4)];
                    body += &format!("{:x}{extension}\r\n{data}\r\n", data.len());
                }
                body + "0\r\n" + &"X-T: v\r\n".repeat(random.below(3)) + "\r\n"
            }
        };
        if ambiguous {
            head += &format!(
                "Content-Length: {}{eol}Transfer-Encoding: chunked{eol}",
                body.len()
            );
        }
        format!("{head}{eol}{body}")
    }

    #[test]
    fn random_pipelines_split_anywhere() {
        let mut random = Random(0x2545_f491);
        for _ in 0..300 {
            let count = random.below(5) + 1;
            let bad = random.below(2 * count);
            let input: String = (0..count).map(|i| message(&mut random, i == bad)).collect();
            let tracker = track(input.as_bytes());
            if bad < count {
                assert!(tracker.is_ambiguous(), "{input:?}");
            } else {
                assert!(idle(&tracker), "{input:?}");
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let alphabet = b"GET / HTTP/1.1\r\n:0;Tx";
        let mut random = Random(0x9e37_79b9);
        let noise: Vec<u8> = (0..20_000)
            .map(|_| alphabet[random.below(alphabet.len())])
            .collect();
        let bytes: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
        let mut corrupted = Vec::new();
        for _ in 0..200 {
            let mut input: Vec<u8> = (0..3)
                .flat_map(|_| message(&mut random, false).into_bytes())
                .collect();
            for _ in 0..random.below(3) + 1 {
                let at = random.below(input.len());
                input[at] = alphabet[random.below(alphabet.len())];
            }
            corrupted.push(input);
        }
        let inputs = noise
            .chunks(997)
            .chain([&bytes[..]])
            .chain(corrupted.iter().map(Vec::as_slice));
        for input in inputs {
            // Split reads may notice a broken head only at its end; an empty line settles it.
            let mut whole = FramingTracker::new(LIMIT);
            whole.feed(input);
            whole.feed(b"\r\n\r\n");
            let mut split = FramingTracker::new(LIMIT);
            for piece in input.chunks(random.below(16) + 1) {
                split.feed(piece);
            }
            split.feed(b"\r\n\r\n");
            assert_eq!(split, whole);
        }
    }

    #[test]
    fn heads_over_the_buffer_size_stop_tracking() {
        let mut tracker = FramingTracker::new(64);
        assert_eq!(
            tracker.feed(b"GET / HTTP/1.1\r\nX-Big: "),
            Change::HeadOpened
        );
        assert_eq!(tracker.feed(&[b'a'; 64]), Change::HeadClosed);
        assert!(!tracker.is_tracking());

        let head = format!("GET / HTTP/1.1\r\nX-Big: {}\r\n\r\n", "a".repeat(100));
        let mut tracker = FramingTracker::new(64);
        assert_eq!(tracker.feed(head.as_bytes()), Change::None);
        assert!(!tracker.is_tracking());
    }

    #[test]
    fn body_skips_do_not_depend_on_their_size() {
        let mut tracker = FramingTracker::new(LIMIT);
        tracker.feed(post(&format!("Content-Length: {}\r\n", u64::MAX - 2), "").as_bytes());
        let block = vec![0u8; 1 << 20];
        for _ in 0..64 {
            tracker.feed(&block);
        }
        assert_eq!(tracker.state, State::Length(u64::MAX - 2 - (64 << 20)));
    }
}
