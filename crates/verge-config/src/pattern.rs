//! CloudFront path patterns: `*` matches any run of characters (slashes included), `?` exactly
//! one, everything else itself, case-sensitively. A pattern without a leading `/` is read as if
//! it had one, as CloudFront does.

/// A compiled path pattern of a cache behavior.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathPattern {
    source: String,
    pattern: Vec<u8>,
}

/// Characters CloudFront accepts in a path pattern.
fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_-.*$/~\"'@:+?&%=!,;()[]".contains(c)
}

impl PathPattern {
    /// Compiles a pattern, rejecting characters CloudFront does not accept and lengths over 255.
    pub fn new(source: &str) -> Result<Self, String> {
        if source.is_empty() {
            return Err("a path pattern cannot be empty".to_owned());
        }
        if source.len() > 255 {
            return Err("a path pattern is at most 255 characters".to_owned());
        }
        if let Some(bad) = source.chars().find(|c| !allowed(*c)) {
            return Err(format!("`{bad}` is not allowed in a path pattern"));
        }
        let normalised = if source.starts_with('/') || source == "*" {
            source.to_owned()
        } else {
            format!("/{source}")
        };
        Ok(PathPattern {
            source: source.to_owned(),
            pattern: normalised.into_bytes(),
        })
    }

    /// The pattern that matches every path (the default cache behavior).
    pub fn any() -> Self {
        PathPattern {
            source: "*".to_owned(),
            pattern: b"*".to_vec(),
        }
    }

    /// The pattern as written in the configuration.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether `path` (without the query string) matches.
    pub fn matches(&self, path: &str) -> bool {
        glob(&self.pattern, path.as_bytes())
    }
}

/// Wildcard matching with one backtrack point: linear in practice, O(n·m) at worst.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == b'?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, path: &str) -> bool {
        PathPattern::new(pattern)
            .expect("valid pattern")
            .matches(path)
    }

    #[test]
    fn stars_cross_slashes() {
        assert!(m("/images/*", "/images/a/b/c.png"));
        assert!(m("/images/*.jpg", "/images/x/y.jpg"));
        assert!(!m("/images/*.jpg", "/images/x/y.jpeg"));
        assert!(m("*.gif", "/a/b.gif"));
        assert!(m("*", "/anything"));
    }

    #[test]
    fn question_mark_is_one_character() {
        assert!(m("/v?/api", "/v1/api"));
        assert!(!m("/v?/api", "/v10/api"));
    }

    #[test]
    fn case_sensitive_and_leading_slash_optional() {
        assert!(!m("/Images/*", "/images/a"));
        assert!(m("images/*", "/images/a"));
        assert!(m("/api", "/api"));
        assert!(!m("/api", "/api/"));
    }

    #[test]
    fn rejects_bad_patterns() {
        assert!(PathPattern::new("").is_err());
        assert!(PathPattern::new("/a b").is_err());
        assert!(PathPattern::new(&"a".repeat(256)).is_err());
    }

    #[test]
    fn many_stars_stay_fast() {
        let pattern = PathPattern::new(&"*a".repeat(50)).expect("valid");
        assert!(!pattern.matches(&"a".repeat(49)));
    }
}
