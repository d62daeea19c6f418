//! Regular expressions from web ACLs, compiled with the `regex` crate so matching is linear in
//! the input. Patterns that need a backtracking engine are refused with a clear reason.

use regex::bytes::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};

/// The compiled-program size limit per pattern; far above any pattern AWS accepts (512 chars).
const SIZE_LIMIT: usize = 4 * 1024 * 1024;

/// Compiles one pattern, matching bytes (fields need not be UTF-8).
pub fn compile(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .size_limit(SIZE_LIMIT)
        .build()
        .map_err(|e| explain(pattern, &e))
}

/// Compiles patterns that share a field into one set, so a field is scanned once.
pub fn compile_set(patterns: &[String]) -> Result<RegexSet, String> {
    for pattern in patterns {
        compile(pattern)?;
    }
    RegexSetBuilder::new(patterns)
        .size_limit(SIZE_LIMIT.saturating_mul(patterns.len().max(1)))
        .build()
        .map_err(|e| format!("the patterns cannot be compiled together: {e}"))
}

fn explain(pattern: &str, error: &regex::Error) -> String {
    let text = error.to_string();
    if text.contains("look-around") {
        format!(
            "regex {pattern:?} uses look-around ((?=, (?!, (?<=, (?<!), which needs a backtracking \
             engine; Verge matches in linear time only: rewrite it without look-around"
        )
    } else if text.contains("backreference") {
        format!(
            "regex {pattern:?} uses a backreference (\\1, \\k<name>), which needs a backtracking \
             engine; Verge matches in linear time only: rewrite it without backreferences"
        )
    } else if matches!(error, regex::Error::CompiledTooBig(_)) {
        format!("regex {pattern:?} compiles to a program that is too large")
    } else {
        let first = text.lines().last().unwrap_or("invalid syntax").trim();
        format!("regex {pattern:?} is not valid: {first}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_linear_patterns() {
        let re = compile(r"(?i)^/admin(/|$)").unwrap();
        assert!(re.is_match(b"/ADMIN/x"));
        assert!(
            compile_set(&["a+b".into(), "^c".into()])
                .unwrap()
                .is_match(b"cat")
        );
    }

    #[test]
    fn refuses_backtracking_features_by_name() {
        let err = compile(r"foo(?=bar)").unwrap_err();
        assert!(err.contains("look-around"), "{err}");
        assert!(err.contains("foo(?=bar)"), "{err}");
        let err = compile(r"(a)\1").unwrap_err();
        assert!(err.contains("backreference"), "{err}");
        let err = compile(r"(unclosed").unwrap_err();
        assert!(err.contains("not valid"), "{err}");
    }
}
