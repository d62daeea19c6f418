//! Viewer bytes on an HTTP/1 connection: the framing tracker never panics, and the same bytes
//! split into reads of any size end in the state one read ends in.
#![no_main]

use libfuzzer_sys::fuzz_target;
use verge_edge::server::framing::FramingTracker;

fuzz_target!(|input: (u8, &[u8])| {
    let (read_size, bytes) = input;
    let mut whole = FramingTracker::new(4096);
    whole.feed(bytes);
    let mut split = FramingTracker::new(4096);
    for read in bytes.chunks(usize::from(read_size) + 1) {
        split.feed(read);
    }
    // Split reads may notice a broken head only at its end; an empty line settles it.
    whole.feed(b"\r\n\r\n");
    split.feed(b"\r\n\r\n");
    assert_eq!(whole, split);
});
