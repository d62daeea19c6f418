//! The memory tier's real overhead per stored object: resident memory growth while 100k
//! entries are inserted, read from `/proc/self/status`, compared with the tier's estimate.
//! Each shape is measured in a fresh process (this bench re-run with an environment
//! variable), so memory freed by an earlier measurement cannot hide growth.

use bytes::Bytes;
use http::{HeaderName, HeaderValue};
use verge_cache::store::{MemoryTier, entry_charge};

use super::meta;

const ENTRIES: usize = 100_000;

/// Resident set size in bytes, if this platform has `/proc`.
fn resident() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Inserts (and reads once) `ENTRIES` entries and prints the growth per entry.
fn measure(label: &str, extra_headers: usize, body_len: usize) {
    let tier = MemoryTier::with_object_limit(1 << 40, 1 << 20);
    let before = resident();
    let mut charged = 0;
    let mut described = 0;
    for i in 0..ENTRIES {
        let key = format!("https://example.com/static/assets/{i:09}.js");
        let mut meta = meta(&key);
        for n in 0..extra_headers {
            let value = HeaderValue::from_str(&format!("value-{n}-{i}")).expect("valid value");
            let name = HeaderName::try_from(format!("x-header-{n}")).expect("valid name");
            meta.headers.append(name, value);
        }
        let body = if body_len == 0 {
            Bytes::new()
        } else {
            Bytes::from(vec![0; body_len])
        };
        charged += entry_charge(&meta, body_len as u64);
        described += key.len()
            + meta
                .headers
                .iter()
                .map(|(n, v)| n.as_str().len() + v.len())
                .sum::<usize>()
            + body_len;
        let _ = tier.insert(meta, body);
        let _ = tier.get(&key);
    }
    let (Some(before), Some(after)) = (before, resident()) else {
        println!("overhead: /proc/self/status unavailable");
        return;
    };
    let per_entry = after.saturating_sub(before) as f64 / ENTRIES as f64;
    let described = described as f64 / ENTRIES as f64;
    println!(
        "overhead {label:<28} resident {per_entry:>7.0} B/entry, of which key+headers+body \
         {described:>6.0} B, overhead {:>5.0} B; charged {:>6.0} B/entry",
        per_entry - described,
        charged as f64 / ENTRIES as f64
    );
    drop(tier);
}

/// The variable that makes this bench run one measurement and exit.
const CHILD: &str = "VERGE_BENCH_OVERHEAD_SHAPE";

const SHAPES: [(&str, usize, usize); 3] = [
    ("1 header, 1 tag, empty body", 0, 0),
    ("9 headers, 1 tag, empty body", 8, 0),
    ("1 header, 1 tag, 1 KiB body", 0, 1024),
];

/// In a child process: measures its shape and returns true (the caller exits).
pub fn run_child() -> bool {
    let Some(shape) = std::env::var(CHILD)
        .ok()
        .and_then(|s| s.parse::<usize>().ok())
    else {
        return false;
    };
    if let Some(&(label, headers, body)) = SHAPES.get(shape) {
        measure(label, headers, body);
    }
    true
}

/// Measures every shape, each in a child process.
pub fn run() {
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    for shape in 0..SHAPES.len() {
        let status = std::process::Command::new(&exe)
            .env(CHILD, shape.to_string())
            .status();
        if !status.is_ok_and(|status| status.success()) {
            println!("overhead: measurement {shape} failed");
        }
    }
}
