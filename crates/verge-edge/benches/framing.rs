//! The framing tracker's cost per read on the viewer hot path: a browser-sized GET head in one
//! read and split in three, 64 KiB reads of a Content-Length body and of a chunked body, and
//! an HTTP/2 connection the tracker no longer follows.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use verge_edge::server::framing::{Change, FramingTracker};

const LIMIT: usize = 24 * 1024;

const GET: &[u8] = b"GET /assets/app.3f9c2b.js?v=20240611 HTTP/1.1\r\n\
    Host: www.example.com\r\n\
    User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0\r\n\
    Accept: */*\r\n\
    Accept-Language: en-US,en;q=0.5\r\n\
    Accept-Encoding: gzip, deflate, br, zstd\r\n\
    Referer: https://www.example.com/\r\n\
    Cookie: session=4f1d2c3b5a6e7f8091a2b3c4d5e6f708; theme=dark\r\n\
    Connection: keep-alive\r\n\r\n";

fn framing(c: &mut Criterion) {
    let mut group = c.benchmark_group("framing_feed");

    let mut tracker = FramingTracker::new(LIMIT);
    group.bench_function("get_head_one_read", |b| {
        b.iter(|| tracker.feed(black_box(GET)))
    });

    let (first, rest) = GET.split_at(100);
    let (second, third) = rest.split_at(200);
    let mut tracker = FramingTracker::new(LIMIT);
    group.bench_function("get_head_three_reads", |b| {
        b.iter(|| {
            tracker.feed(black_box(first));
            tracker.feed(black_box(second));
            tracker.feed(black_box(third))
        })
    });

    let read = vec![b'x'; 64 * 1024];
    let mut tracker = FramingTracker::new(LIMIT);
    tracker.feed(b"PUT /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 999999999999\r\n\r\n");
    group.bench_function("length_body_64k_read", |b| {
        b.iter(|| tracker.feed(black_box(&read)))
    });

    let mut chunk = format!("{:x}\r\n", 16 * 1024).into_bytes();
    chunk.extend_from_slice(&[b'x'; 16 * 1024]);
    chunk.extend_from_slice(b"\r\n");
    let chunks: Vec<u8> = chunk.repeat(4);
    let mut tracker = FramingTracker::new(LIMIT);
    tracker.feed(b"PUT /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
    group.bench_function("chunked_body_4x16k_read", |b| {
        b.iter(|| tracker.feed(black_box(&chunks)))
    });
    assert!(tracker.is_tracking());

    let mut tracker = FramingTracker::new(LIMIT);
    assert_eq!(
        tracker.feed(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
        Change::None
    );
    group.bench_function("http2_not_followed", |b| {
        b.iter(|| tracker.feed(black_box(&read)))
    });
    group.finish();
}

criterion_group!(benches, framing);
criterion_main!(benches);
