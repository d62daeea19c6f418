//! The WAF's error type: a web ACL, rule group, IP set or regex pattern set that does not
//! parse, or that parses but is not something AWS WAF would accept or Verge can enforce.

use std::fmt;

/// One problem found in a document, at a JSON path such as `Rules[2].Statement.AndStatement`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// Where the problem is, from the document's root.
    pub path: String,
    /// What is wrong and, where it helps, how to fix it.
    pub message: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// What went wrong while loading or compiling WAF configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The text is not JSON of the expected shape (unknown field, wrong type, bad enum value).
    #[error("{what}: {path}: {message} (line {line}, column {column})")]
    Parse {
        /// The kind of document (`web ACL`, `IP set`, ...).
        what: &'static str,
        /// The JSON path of the offending value.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// serde's description.
        message: String,
    },
    /// The document parsed but breaks AWS WAF's rules, references something unknown, or uses a
    /// feature Verge cannot enforce. Every problem found is listed.
    #[error("{what} {name:?} has {} problem(s):\n{}", issues.len(), list(issues))]
    Invalid {
        /// The kind of document.
        what: &'static str,
        /// The document's `Name`.
        name: String,
        /// Every problem, in document order.
        issues: Vec<Issue>,
    },
}

fn list(issues: &[Issue]) -> String {
    let lines: Vec<String> = issues.iter().map(|i| format!("  - {i}")).collect();
    lines.join("\n")
}
