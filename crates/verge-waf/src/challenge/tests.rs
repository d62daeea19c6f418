//! Interstitials from page to token: the test reads a page as a browser would, solves it and
//! posts the form.

use super::*;

const NOW: u64 = 1_750_000_000;
const HOST: &str = "www.example.com";

fn keys() -> KeyRing {
    KeyRing::new(b"an operator secret for the tests").expect("long enough")
}

/// The value of `attribute="..."` after `anchor` in a page.
fn attribute(html: &str, anchor: &str, attribute: &str) -> String {
    let from = html.find(anchor).expect("anchor");
    let rest = &html[from..];
    let start = rest.find(&format!("{attribute}=\"")).expect("attribute") + attribute.len() + 2;
    let len = rest[start..].find('"').expect("closing quote");
    rest[start..start + len].to_owned()
}

fn solved_challenge() -> Form {
    let page = challenge_page(&keys(), HOST, NOW, 8, "/cart?id=1").expect("page");
    let sealed = attribute(&page.html, "name=\"challenge\"", "value");
    let seed = attribute(&page.html, "id=\"verge-challenge\"", "data-seed");
    let bits: u8 = attribute(&page.html, "id=\"verge-challenge\"", "data-bits")
        .parse()
        .expect("bits");
    let back = attribute(&page.html, "name=\"return\"", "value");
    Form {
        challenge: Some(sealed),
        solution: Some(solve(&seed, bits).to_string()),
        answer: None,
        return_to: Some(back),
    }
}

#[test]
fn a_solved_challenge_earns_a_token() {
    let form = solved_challenge();
    assert_eq!(form.return_path(), "/cart?id=1");
    let token = verify(
        &keys(),
        PuzzleKind::Challenge,
        &form,
        "WWW.example.com:443",
        NOW + 2,
        None,
        &[],
    )
    .expect("solved");
    assert_eq!(token.domain, HOST);
    assert_eq!(token.challenge_at, Some(NOW + 2));
    assert_eq!(token.captcha_at, None);
}

#[test]
fn bad_challenge_posts_are_refused() {
    let form = solved_challenge();
    let check = |form: &Form, host: &str, now: u64| {
        verify(&keys(), PuzzleKind::Challenge, form, host, now, None, &[])
    };
    let mut wrong = form.clone();
    wrong.solution = Some("x".to_owned());
    assert_eq!(check(&wrong, HOST, NOW), Err(VerifyError::WrongSolution));
    assert_eq!(
        check(&form, HOST, NOW + CHALLENGE_VALIDITY_SECS + 1),
        Err(VerifyError::Expired)
    );
    assert_eq!(
        check(&form, "shop.example.com", NOW),
        Err(VerifyError::WrongHost)
    );
    let mut forged = form.clone();
    forged.challenge = forged.challenge.map(|c| format!("{c}AA"));
    assert!(matches!(
        check(&forged, HOST, NOW),
        Err(VerifyError::Malformed(_))
    ));
    assert!(matches!(
        check(&Form::default(), HOST, NOW),
        Err(VerifyError::Malformed(_))
    ));
    assert!(matches!(
        verify(&keys(), PuzzleKind::Captcha, &form, HOST, NOW, None, &[]),
        Err(VerifyError::Malformed(_))
    ));
}

#[test]
fn a_solved_captcha_earns_both_solve_times() {
    let page = captcha_page(&keys(), HOST, NOW, "/", None).expect("page");
    assert!(page.html.contains("data:image/svg+xml;base64,"));
    let sealed = attribute(&page.html, "name=\"challenge\"", "value");
    // The test holds the secret, so it can read the answer a person would read.
    let answer = Puzzle::open(&keys(), &sealed, NOW).expect("opens").answer;
    assert_eq!(answer.len(), ANSWER_LEN);

    let mut form = Form {
        challenge: Some(sealed),
        answer: Some("WRONG".to_owned()),
        ..Form::default()
    };
    let post = |form: &Form, current: Option<&Token>| {
        verify(
            &keys(),
            PuzzleKind::Captcha,
            form,
            HOST,
            NOW + 30,
            current,
            &[],
        )
    };
    assert_eq!(post(&form, None), Err(VerifyError::WrongAnswer));

    form.answer = Some(answer.to_lowercase());
    let token = post(&form, None).expect("solved");
    assert_eq!(token.captcha_at, Some(NOW + 30));
    assert_eq!(
        token.challenge_at,
        Some(NOW + 30),
        "a first CAPTCHA runs the challenge too"
    );

    let held = Token {
        domain: HOST.to_owned(),
        issued_at: NOW - 1000,
        challenge_at: Some(NOW - 1000),
        captcha_at: None,
    };
    let token = post(&form, Some(&held)).expect("solved");
    assert_eq!(
        token.challenge_at,
        Some(NOW - 1000),
        "the held challenge time is kept"
    );
    assert_eq!(token.captcha_at, Some(NOW + 30));
}

#[test]
fn a_challenge_keeps_the_captcha_time_and_uses_token_domains() {
    let form = solved_challenge();
    let held = Token {
        domain: "example.com".to_owned(),
        issued_at: NOW - 10,
        challenge_at: Some(NOW - 10),
        captcha_at: Some(NOW - 10),
    };
    let domains = ["example.com".to_owned()];
    let token = verify(
        &keys(),
        PuzzleKind::Challenge,
        &form,
        HOST,
        NOW,
        Some(&held),
        &domains,
    )
    .expect("solved");
    assert_eq!(token.domain, "example.com");
    assert_eq!(token.captcha_at, Some(NOW - 10));

    // Without the token domain, the held token belongs to another site: nothing carries over.
    let token = verify(
        &keys(),
        PuzzleKind::Challenge,
        &form,
        HOST,
        NOW,
        Some(&held),
        &[],
    )
    .expect("solved");
    assert_eq!(token.domain, HOST);
    assert_eq!(token.captcha_at, None);
}
