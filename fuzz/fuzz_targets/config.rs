//! Any text given as a configuration file yields a config or located errors, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(config) = verge_config::parse_str(text, std::path::Path::new("fuzz.toml")) {
            let _ = verge_config::compile(&config);
        }
    }
});
