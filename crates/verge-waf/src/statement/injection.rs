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
    r"(?i)\bunion\b(\s|/\*.*?\*/)+(all\s+|distinct\s+)?select\b",
    r"(?i);\s*(drop\s+(table|database)|delete\s+from|insert\s+into|update\s+\w+\s+set|alter\s+table|create\s+(table|user|database)|truncate\s+table|exec(ute)?\s+\w|shutdown\b)",
    r"(?i)\b(sleep|benchmark|pg_sleep|dbms_pipe\.receive_message)\s*\(",
    r"(?i)\bwaitfor\s+(delay|time)\s+'",
    r#"(?i)['"`]\s*(or|and|\|\||&&)\s*['"`]?\w+['"`]?\s*(=|<|>|\blike\b)"#,
    r#"(?i)['"`]\s*(--|#|/\*)"#,
    r"(?i)\b(information_schema|sysobjects|pg_catalog|sqlite_master)\b",
];

/// The constant patterns, compiled once (a test checks they compile; were one not to, HIGH
/// would fall back to LOW rather than panic).
static HIGH: LazyLock<Option<RegexSet>> = LazyLock::new(|| RegexSet::new(HIGH_PATTERNS).ok());

/// Whether `value` looks like SQL injection at the given sensitivity.
pub(crate) fn is_sqli(value: &[u8], level: Sensitivity) -> bool {
    if value.is_empty() {
        return false;
    }
    if libinjectionrs::detect_sqli(value).is_injection() {
        return true;
    }
    level == SensitivityLevel::High && HIGH.as_ref().is_some_and(|set| set.is_match(value))
}

/// Whether `value` looks like cross-site scripting.
pub(crate) fn is_xss(value: &[u8]) -> bool {
    !value.is_empty() && libinjectionrs::detect_xss(value).is_injection()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn high_patterns_compile() {
        assert!(HIGH.is_some());
    }

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
        for attack in [
            "x'; waitfor delay '0:0:5'--",
            "name FROM information_schema.tables",
            "1 and sleep(5)",
            "abc'; drop table users",
            "1 union/**/select 1",
        ] {
            assert!(
                is_sqli(attack.as_bytes(), SensitivityLevel::High),
                "{attack}"
            );
        }
        // libinjection alone lets a catalog probe through; HIGH does not.
        let probe = b"name FROM information_schema.tables";
        assert!(!is_sqli(probe, SensitivityLevel::Low));
        assert!(is_sqli(probe, SensitivityLevel::High));
    }

    /// Everyday text that must pass at both levels.
    #[test]
    fn benign_text_passes_at_both_levels() {
        let benign = [
            "hello world",
            "Please select a size from the list",
            "I can't sleep; update me when it ships",
            "O'Reilly & Sons",
            "{\"query\": \"red shoes\", \"page\": 2}",
            "## Release notes\n- fixed the login form\n- updated docs",
            "report_2024-final.pdf",
            "user@example.com",
            "Drop-off points: union station, main street",
            "SELECT your favourite colour",
            "She said \"hello\" and left",
            "a+b=c",
        ];
        for text in benign {
            for level in [SensitivityLevel::Low, SensitivityLevel::High] {
                assert!(!is_sqli(text.as_bytes(), level), "{level:?}: {text}");
            }
        }
    }

    #[test]
    fn xss() {
        assert!(is_xss(b"<script>alert(1)</script>"));
        assert!(is_xss(b"<img src=x onerror=alert(1)>"));
        assert!(!is_xss(b"hello <b>world</b>"));
        assert!(!is_xss(b"a < b and c > d"));
    }
}
