//! Web ACL JSON from users: parsing, validation and compilation never panic, and a compiled
//! ACL evaluates a request without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use verge_waf::{Env, Request, Resources, WebAclEngine};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let resources = Resources::new();
    if let Ok(engine) = WebAclEngine::from_json(text, &resources) {
        let request = Request::new("GET", "/", std::net::IpAddr::from([192, 0, 2, 1]))
            .with_query("a=1&b=%27")
            .with_header("user-agent", "fuzz")
            .with_body(b"{\"k\": [1, 2]}");
        let _ = engine.evaluate(&request, Env::default());
    }
});
