//! Cookie values and verification forms from viewers: opening tokens and sealed puzzles,
//! parsing forms and verifying them never panic, and nothing forged opens.
#![no_main]

use libfuzzer_sys::fuzz_target;
use verge_waf::challenge::{Form, PuzzleKind, verify};
use verge_waf::token::{KeyRing, Token};

fuzz_target!(|data: &[u8]| {
    let Ok(keys) = KeyRing::new(b"a fuzzing secret, long enough") else {
        return;
    };
    let now = 1_750_000_000;
    if let Ok(text) = std::str::from_utf8(data) {
        assert!(Token::open(&keys, text, now).is_err(), "a forged token opened");
    }
    if let Ok(form) = Form::parse(data) {
        let _ = form.return_path();
        for kind in [PuzzleKind::Challenge, PuzzleKind::Captcha] {
            assert!(verify(&keys, kind, &form, "a.test", now, None, &[]).is_err());
        }
    }
});
