//! `SqliMatchStatement` and `XssMatchStatement`, on libinjection's tokenisers
//! (`libinjectionrs`). `LOW` sensitivity is libinjection's verdict alone; `HIGH` also flags
//! common SQL injection shapes libinjection lets through (stacked statements, comment
//! truncation, `UNION SELECT`, time-based probes), trading false positives for detections.

use std::sync::LazyLock;

use regex::bytes::RegexSet;

use crate::model::statement::SensitivityLevel;

/// How eager SQL injection detection is.
pub(crate) type Sensitivity = SensitivityLevel;

/// Shapes that `HIGH` adds. Each is case-insensitive and linear-time.
const HIGH_PATTERNS: &[&str] = &[
    r"(?i)\bunion\b[\s\S]{0,40}?\bselect\b",
    r"(?i)\bselect\b[\s\S]{1,200}?\bfrom\b",
    r"(?i);\s*(drop|delete|insert|update|alter|create|truncate|exec|shutdown)\b",
    r"(?i)\b(sleep|benchmark|pg_sleep|waitfor\s+delay)\s*\(?",
    r#"(?i)['"`]\s*(or|and|\|\||&&)\s*['"`]?\w+['"`]?\s*(=|<|>|like\b)"#,
    r#"(?i)['"`]\s*(--|#|/\*)"#,
    r"(?i)\b(information_schema|sysobjects|pg_catalog|sqlite_master)\b",
];

static HIGH: LazyLock<RegexSet> = LazyLock::new(|| {
    // The patterns are constants covered by tests, so building the set cannot fail.
    RegexSet::new(HIGH_PATTERNS).expect("constant SQL injection patterns compile")
});

/// Whether `value` looks like SQL injection at the given sensitivity.
pub(crate) fn is_sqli(value: &[u8], level: Sensitivity) -> bool {
    if value.is_empty() {
        return false;
    }
    if libinjectionrs::detect_sqli(value).is_injection() {
        return true;
    }
    level == SensitivityLevel::High && HIGH.is_match(value)
}

/// Whether `value` looks like cross-site scripting.
pub(crate) fn is_xss(value: &[u8]) -> bool {
    !value.is_empty() && libinjectionrs::detect_xss(value).is_injection()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libinjection_verdicts_at_low() {
        for attack in [
            "1' OR '1'='1",
            "1 UNION SELECT username, password FROM users--",
            "' or 1=1 --",
        ] {
            assert!(
                is_sqli(attack.as_bytes(), SensitivityLevel::Low),
                "{attack}"
            );
        }
        for benign in [
            "hello world",
            "O'Reilly",
            "select your plan",
            "2024-01-01",
            "",
        ] {
            assert!(
                !is_sqli(benign.as_bytes(), SensitivityLevel::Low),
                "{benign}"
            );
        }
    }

    #[test]
    fn high_flags_more_shapes() {
        let probe = b"x'; waitfor delay '0:0:5";
        assert!(is_sqli(probe, SensitivityLevel::High));
        assert!(is_sqli(
            b"name FROM information_schema.tables",
            SensitivityLevel::High
        ));
        assert!(!is_sqli(b"hello world", SensitivityLevel::High));
        assert!(!is_sqli(b"I will select a seat", SensitivityLevel::High));
    }

    #[test]
    fn xss() {
        assert!(is_xss(b"<script>alert(1)</script>"));
        assert!(is_xss(b"<img src=x onerror=alert(1)>"));
        assert!(!is_xss(b"hello <b>world</b>"));
        assert!(!is_xss(b"a < b and c > d"));
    }
}
