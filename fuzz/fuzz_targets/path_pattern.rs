//! Path patterns and request paths from the network: compiling and matching never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (&str, &str)| {
    let (pattern, path) = input;
    if let Ok(pattern) = verge_config::pattern::PathPattern::new(pattern) {
        let _ = pattern.matches(path);
    }
});
