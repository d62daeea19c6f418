//! The edge's side of WAF tokens: the secret they are sealed with (`[waf] token_secret_file`,
//! or one generated at first start and kept in `<data_dir>/waf-token.key`), reading the
//! viewer's `aws-waf-token` cookie, and the `Set-Cookie` that hands out a new token.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use http::HeaderMap;
use http::header::{COOKIE, HeaderValue};
use verge_config::model::WafSettings;
use verge_waf::token::{KeyRing, MAX_TOKEN_LEN, TOKEN_COOKIE, Token, TokenState, accepts_domain};

use crate::error::EdgeError;

/// The generated secret's file in the data directory.
const SECRET_FILE: &str = "waf-token.key";

/// How many `aws-waf-token` cookies of one request are tried.
const MAX_CANDIDATES: usize = 4;

/// How long browsers keep the token cookie: AWS's longest immunity time; the key ring opens
/// tokens at least this long.
pub const COOKIE_MAX_AGE: u64 = 259_200;

/// The keys tokens and puzzles are sealed with, and where their secret came from.
#[derive(Clone)]
pub struct TokenKeys {
    /// The key ring.
    pub ring: KeyRing,
    /// The configured secret file; `None` for a generated secret.
    source: Option<PathBuf>,
}

impl TokenKeys {
    /// The keys `[waf]` asks for. A generated secret that lives only in memory (no data
    /// directory) is taken over from `previous`, so a reload does not void every token.
    pub fn load(
        waf: &WafSettings,
        data_dir: Option<&Path>,
        previous: Option<&TokenKeys>,
    ) -> Result<TokenKeys, EdgeError> {
        if let Some(file) = &waf.token_secret_file {
            let secret = std::fs::read(file).map_err(|e| secret_error(file, e.to_string()))?;
            let ring =
                KeyRing::new(secret.trim_ascii()).map_err(|e| secret_error(file, e.to_string()))?;
            return Ok(TokenKeys {
                ring,
                source: Some(file.clone()),
            });
        }
        if let (None, Some(previous)) = (data_dir, previous)
            && previous.source.is_none()
        {
            return Ok(previous.clone());
        }
        let secret = generated_secret(data_dir)?;
        let ring = KeyRing::new(secret.trim_ascii()).map_err(|e| {
            secret_error(
                &data_dir.map_or_else(PathBuf::new, |d| d.join(SECRET_FILE)),
                e.to_string(),
            )
        })?;
        Ok(TokenKeys { ring, source: None })
    }
}

fn secret_error(file: &Path, reason: String) -> EdgeError {
    EdgeError::WebAcl {
        path: file.to_owned(),
        reason: format!("[waf] token_secret_file: {reason}"),
    }
}

/// The secret kept in the data directory, made on first use; without a data directory, a
/// fresh one in memory.
fn generated_secret(data_dir: Option<&Path>) -> Result<Vec<u8>, EdgeError> {
    // Limitation: POPs that generate their secrets do not accept each other's tokens; a
    // fleet sets `[waf] token_secret_file` to the same secret everywhere.
    let Some(dir) = data_dir else {
        tracing::warn!(
            "No data directory: WAF tokens are sealed with a secret that a restart forgets"
        );
        return random_secret();
    };
    let path = dir.join(SECRET_FILE);
    let io = |source| EdgeError::DataDir {
        path: path.clone(),
        source,
    };
    match std::fs::read(&path) {
        Ok(secret) => return Ok(secret),
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
        Err(_) => {}
    }
    let secret = random_secret()?;
    std::fs::create_dir_all(dir).map_err(io)?;
    write_private(&path, &secret).map_err(io)?;
    tracing::info!(path = %path.display(), "Created WAF token secret");
    Ok(secret)
}

/// A new secret, as text.
fn random_secret() -> Result<Vec<u8>, EdgeError> {
    KeyRing::new_secret()
        .map(String::into_bytes)
        .map_err(|e| secret_error(Path::new(SECRET_FILE), e.to_string()))
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;

    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents)
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

/// The viewer's token as read from the request.
#[derive(Debug)]
pub enum HeldToken {
    /// No `aws-waf-token` cookie.
    Absent,
    /// Cookies that do not open.
    Invalid,
    /// A token that opened.
    Present(Token),
}

impl HeldToken {
    /// The view evaluation takes.
    pub fn state(&self) -> TokenState<'_> {
        match self {
            HeldToken::Absent => TokenState::Absent,
            HeldToken::Invalid => TokenState::Invalid,
            HeldToken::Present(token) => TokenState::Present(token),
        }
    }

    /// The token, if one opened.
    pub fn token(&self) -> Option<&Token> {
        match self {
            HeldToken::Present(token) => Some(token),
            _ => None,
        }
    }
}

/// Reads the `aws-waf-token` cookies of a request: the first that opens with a domain this
/// host accepts wins, else the first that opens at all.
pub fn read_token(
    headers: &HeaderMap,
    keys: &KeyRing,
    now: u64,
    host: &str,
    token_domains: &[String],
) -> HeldToken {
    let values = headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(name, _)| *name == TOKEN_COOKIE)
        .map(|(_, value)| value.trim().trim_matches('"'))
        .take(MAX_CANDIDATES);
    let mut seen = false;
    let mut fallback = None;
    for value in values {
        seen = true;
        if value.len() > MAX_TOKEN_LEN {
            continue;
        }
        if let Ok(token) = Token::open(keys, value, now) {
            if accepts_domain(&token.domain, host, token_domains) {
                return HeldToken::Present(token);
            }
            fallback.get_or_insert(token);
        }
    }
    match (fallback, seen) {
        (Some(token), _) => HeldToken::Present(token),
        (None, true) => HeldToken::Invalid,
        (None, false) => HeldToken::Absent,
    }
}

/// The `Set-Cookie` value for a sealed token: for the token's domain and its subdomains when
/// that is one of the web ACL's token domains, else host-only; `Secure` over HTTPS.
pub fn token_cookie(
    sealed: &str,
    token: &Token,
    host: &str,
    https: bool,
    token_domains: &[String],
) -> Option<HeaderValue> {
    let mut cookie = format!(
        "{TOKEN_COOKIE}={sealed}; Path=/; Max-Age={COOKIE_MAX_AGE}; HttpOnly; SameSite=Lax"
    );
    let host = host
        .rsplit_once(':')
        .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
        .map_or(host, |(name, _)| name)
        .trim_end_matches('.');
    let listed = token_domains.iter().any(|d| {
        d.trim_matches('.')
            .eq_ignore_ascii_case(token.domain.trim_matches('.'))
    });
    if listed || !token.domain.eq_ignore_ascii_case(host) {
        cookie.push_str("; Domain=");
        cookie.push_str(&token.domain);
    }
    if https {
        cookie.push_str("; Secure");
    }
    HeaderValue::from_str(&cookie).ok()
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring() -> KeyRing {
        KeyRing::new(b"0123456789abcdef0123456789abcdef").expect("long enough")
    }

    fn token(domain: &str) -> Token {
        Token {
            domain: domain.to_owned(),
            issued_at: 1000,
            challenge_at: Some(1000),
            captcha_at: None,
        }
    }

    fn cookies(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(COOKIE, HeaderValue::from_str(value).expect("value"));
        }
        headers
    }

    #[test]
    fn the_token_cookie_is_found_among_others() {
        let sealed = token("a.test").seal(&ring(), 1000).expect("sealed");
        let headers = cookies(&["theme=dark", &format!("x=1; aws-waf-token={sealed}; y=2")]);
        let held = read_token(&headers, &ring(), 1000, "a.test", &[]);
        assert_eq!(held.token(), Some(&token("a.test")));
        assert!(matches!(
            read_token(&cookies(&["a=b"]), &ring(), 1000, "a.test", &[]),
            HeldToken::Absent
        ));
        assert!(matches!(
            read_token(
                &cookies(&["aws-waf-token=garbage"]),
                &ring(),
                1000,
                "a.test",
                &[]
            ),
            HeldToken::Invalid
        ));
    }

    #[test]
    fn a_token_for_this_host_wins_over_a_foreign_one() {
        let foreign = token("b.test").seal(&ring(), 1000).expect("sealed");
        let ours = token("a.test").seal(&ring(), 1000).expect("sealed");
        let headers = cookies(&[&format!("aws-waf-token={foreign}; aws-waf-token={ours}")]);
        let held = read_token(&headers, &ring(), 1000, "a.test", &[]);
        assert_eq!(held.token().map(|t| t.domain.as_str()), Some("a.test"));
    }

    #[test]
    fn cookies_are_host_only_unless_the_token_domain_is_wider() {
        let value = token_cookie(
            "v",
            &token("www.example.com"),
            "www.example.com:8443",
            false,
            &[],
        )
        .expect("value");
        let value = value.to_str().expect("text");
        assert!(value.starts_with("aws-waf-token=v; Path=/; Max-Age=259200; HttpOnly"));
        assert!(!value.contains("Domain=") && !value.contains("Secure"));
        let domains = ["example.com".to_owned()];
        let value = token_cookie(
            "v",
            &token("example.com"),
            "www.example.com",
            true,
            &domains,
        )
        .expect("value");
        let value = value.to_str().expect("text");
        assert!(
            value.ends_with("SameSite=Lax; Domain=example.com; Secure"),
            "{value}"
        );
        let value = token_cookie("v", &token("example.com"), "example.com", false, &domains)
            .expect("value");
        assert!(
            value
                .to_str()
                .expect("text")
                .ends_with("; Domain=example.com")
        );
    }

    #[test]
    fn a_generated_secret_is_kept_in_the_data_directory() {
        let dir = tempfile::tempdir().expect("temp dir");
        let waf = WafSettings::default();
        let first = TokenKeys::load(&waf, Some(dir.path()), None).expect("created");
        let sealed = token("a.test").seal(&first.ring, 1000).expect("sealed");
        let second = TokenKeys::load(&waf, Some(dir.path()), None).expect("loaded");
        assert!(
            Token::open(&second.ring, &sealed, 1000).is_ok(),
            "same secret after restart"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(SECRET_FILE))
                .expect("file")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_configured_secret_must_exist_and_be_long_enough() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("secret");
        let waf = WafSettings {
            token_secret_file: Some(file.clone()),
            ..WafSettings::default()
        };
        let error = TokenKeys::load(&waf, None, None)
            .err()
            .expect("missing file");
        assert!(error.to_string().contains("token_secret_file"), "{error}");
        std::fs::write(&file, "short\n").expect("write");
        let error = TokenKeys::load(&waf, None, None)
            .err()
            .expect("short secret");
        assert!(error.to_string().contains("at least 16"), "{error}");
        std::fs::write(&file, "a shared secret for every POP\n").expect("write");
        let here = TokenKeys::load(&waf, None, None).expect("loads");
        let there = TokenKeys::load(&waf, Some(dir.path()), None).expect("loads");
        let sealed = token("a.test").seal(&here.ring, 1000).expect("sealed");
        assert!(Token::open(&there.ring, &sealed, 1000).is_ok());
    }
}
