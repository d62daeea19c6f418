//! Host headers from the network: lookups in the domain index never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use verge_config::domains::DomainIndex;

fuzz_target!(|input: (Vec<&str>, &str)| {
    let (names, host) = input;
    let mut index = DomainIndex::new();
    for (position, name) in names.iter().enumerate() {
        let _ = index.insert(name, position);
    }
    let _ = index.lookup(host);
});
