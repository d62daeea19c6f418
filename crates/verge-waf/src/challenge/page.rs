//! The interstitial pages, complete in themselves (inline style, inline script, the CAPTCHA
//! image as a data URI), and the `Content-Security-Policy` each is served with: only the
//! page's own script runs, only data images load, forms post only to the same site.

use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use super::{CAPTCHA_PATH, CHALLENGE_PATH};

/// The challenge page's script: the proof-of-work search and the code that posts it.
pub const SOLVER_JS: &str = include_str!("solver.js");

const STYLE: &str = "body{margin:0;font:16px/1.5 system-ui,sans-serif;background:#f6f7f9;\
color:#1f2a36}main{max-width:28rem;margin:12vh auto;padding:2rem;background:#fff;\
border-radius:12px;box-shadow:0 2px 12px rgba(0,0,0,.08)}h1{font-size:1.3rem;margin:0 0 .5rem}\
img{display:block;width:100%;height:auto;border-radius:6px;margin:1rem 0}\
input[type=text]{font:inherit;font-size:1.3rem;letter-spacing:.2em;width:100%;\
box-sizing:border-box;padding:.5rem;text-transform:uppercase}button{font:inherit;\
margin-top:1rem;padding:.5rem 1.5rem}.notice{color:#a3261b}small{color:#5b6775}";

/// Escapes text for HTML content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn document(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<meta name=\"robots\" content=\"noindex\"><title>{title}</title><style>{STYLE}</style>\
</head><body><main>{body}</main></body></html>"
    )
}

/// The silent challenge page: it solves the proof of work for `seed` at `bits` and posts the
/// nonce with the sealed puzzle to [`CHALLENGE_PATH`], then the viewer returns to
/// `return_path`.
pub fn challenge_page(sealed: &str, seed: &str, bits: u8, return_path: &str) -> String {
    let body = format!(
        "<h1>Checking your browser</h1><p>This takes a moment and happens once.</p>\
<noscript><p class=\"notice\">Please turn on JavaScript to continue.</p></noscript>\
<form id=\"verge-challenge\" method=\"post\" action=\"{CHALLENGE_PATH}\" \
data-seed=\"{seed}\" data-bits=\"{bits}\">\
<input type=\"hidden\" name=\"challenge\" value=\"{sealed}\">\
<input type=\"hidden\" name=\"solution\" value=\"\">\
<input type=\"hidden\" name=\"return\" value=\"{back}\"></form>\
<script>{SOLVER_JS}</script>",
        seed = escape(seed),
        sealed = escape(sealed),
        back = escape(return_path),
    );
    document("Checking your browser", &body)
}

/// The CAPTCHA page: the image, a field for the characters, and the sealed puzzle, posted to
/// [`CAPTCHA_PATH`]. It needs no script. `notice` says why a puzzle is shown again.
pub fn captcha_page(sealed: &str, svg: &str, return_path: &str, notice: Option<&str>) -> String {
    let notice = notice
        .map(|n| format!("<p class=\"notice\" role=\"alert\">{}</p>", escape(n)))
        .unwrap_or_default();
    let body = format!(
        "<h1>Are you a person?</h1><p>Type the characters in the picture.</p>{notice}\
<form method=\"post\" action=\"{CAPTCHA_PATH}\">\
<img src=\"data:image/svg+xml;base64,{image}\" width=\"260\" height=\"90\" \
alt=\"Distorted characters to type\">\
<input type=\"text\" name=\"answer\" required autofocus autocomplete=\"off\" \
autocapitalize=\"characters\" spellcheck=\"false\" maxlength=\"16\" \
aria-label=\"Characters in the picture\">\
<input type=\"hidden\" name=\"challenge\" value=\"{sealed}\">\
<input type=\"hidden\" name=\"return\" value=\"{back}\">\
<button type=\"submit\">Continue</button></form>\
<p><small><a href=\"{back}\">Show another picture</a></small></p>",
        image = STANDARD.encode(svg),
        sealed = escape(sealed),
        back = escape(return_path),
    );
    document("Are you a person?", &body)
}

/// The policy the challenge page is served with: its script is allowed by hash.
pub fn challenge_csp() -> &'static str {
    static CSP: OnceLock<String> = OnceLock::new();
    CSP.get_or_init(|| {
        let hash = STANDARD.encode(Sha256::digest(SOLVER_JS.as_bytes()));
        format!(
            "default-src 'none'; script-src 'sha256-{hash}'; style-src 'unsafe-inline'; \
form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
        )
    })
}

/// The policy the CAPTCHA page is served with: no script at all.
pub fn captcha_csp() -> &'static str {
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; form-action 'self'; \
base-uri 'none'; frame-ancestors 'none'"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_escape_what_they_echo() {
        let page = challenge_page("abc", "seed", 16, "/a?b=\"><script>");
        assert!(page.contains("value=\"/a?b=&quot;&gt;&lt;script&gt;\""));
        assert!(page.contains("data-seed=\"seed\" data-bits=\"16\""));
        assert!(page.contains(&format!("<script>{SOLVER_JS}</script>")));
        assert!(!page.contains("http://") && !page.contains("https://"));

        let page = captcha_page("abc", "<svg/>", "/", Some("Try <again>"));
        assert!(page.contains("Try &lt;again&gt;"));
        assert!(page.contains("data:image/svg+xml;base64,PHN2Zy8+"));
        assert!(!page.contains("<script"));
    }

    #[test]
    fn the_challenge_policy_names_the_script_hash() {
        assert!(challenge_csp().contains("script-src 'sha256-"));
        assert!(captcha_csp().contains("img-src data:"));
    }
}
