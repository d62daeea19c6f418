//! TLS ClientHello records from viewers: the record scan, the parser and both fingerprints
//! never panic, and a hello read whole fingerprints the same as the handshake message alone.
#![no_main]

use libfuzzer_sys::fuzz_target;
use verge_edge::tls::fingerprint::{
    ClientHello, Fingerprints, Progress, client_hello_message, progress,
};

fuzz_target!(|data: &[u8]| {
    let _ = ClientHello::parse(data);
    let fingerprints = Fingerprints::of_records(data);
    if let Ok(Progress::Complete(end)) = progress(data) {
        let message = client_hello_message(&data[..end]).expect("a complete hello reassembles");
        let alone = ClientHello::parse(&message).map(|hello| Fingerprints::of(&hello));
        assert_eq!(alone, fingerprints);
    }
});
