//! A function's source made ready to run as a script: checked against the size limit, and
//! its `import` statements turned into `require` calls (the runtime's modules are built in),
//! each replaced on its own lines so error line numbers still match the file.

use std::sync::LazyLock;

use regex::{Captures, Regex};

use crate::error::FunctionError;

static IMPORT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?m)^[ \t]*import[ \t]+(?:([\s\S]*?)[ \t\r\n]+from[ \t]+)?['"]([^'"\r\n]+)['"][ \t]*;?"#,
    )
    .expect("the import pattern is a valid regex")
});

/// Checks the size and rewrites imports.
pub fn prepare(source: &str, max_bytes: usize) -> Result<String, FunctionError> {
    if source.len() > max_bytes {
        return Err(FunctionError::TooLarge {
            size: source.len(),
            max: max_bytes,
        });
    }
    let mut failure = None;
    let rewritten = IMPORT.replace_all(source, |caps: &Captures| {
        let module = &caps[2];
        let statement = match caps.get(1).map(|m| m.as_str().trim()) {
            None => String::new(),
            Some(clause) => match bind(clause, module) {
                Some(statement) => statement,
                None => {
                    failure.get_or_insert_with(|| {
                        format!("unsupported import of '{module}': {clause}")
                    });
                    String::new()
                }
            },
        };
        let lines = caps[0].matches('\n').count();
        format!("{statement}{}", "\n".repeat(lines))
    });
    match failure {
        Some(message) => Err(FunctionError::Compile(message)),
        None => Ok(rewritten.into_owned()),
    }
}

/// `cf`, `* as cf`, `{ a, b as c }` or `cf, { a }` as declarations.
fn bind(clause: &str, module: &str) -> Option<String> {
    let require = format!("require('{module}')");
    if let Some(name) = clause.strip_prefix('*') {
        let name = name.trim().strip_prefix("as")?.trim();
        return identifier(name).then(|| format!("const {name} = {require};"));
    }
    if clause.starts_with('{') {
        return Some(format!("const {} = {require};", names(clause)?));
    }
    match clause.split_once(',') {
        Some((default, rest)) => {
            let default = default.trim();
            let names = names(rest.trim())?;
            identifier(default)
                .then(|| format!("const {default} = {require}; const {names} = {default};"))
        }
        None => identifier(clause).then(|| format!("const {clause} = {require};")),
    }
}

/// `{ a, b as c }` as a destructuring pattern `{ a, b: c }`.
fn names(clause: &str) -> Option<String> {
    let inner = clause.strip_prefix('{')?.strip_suffix('}')?;
    let mut out = Vec::new();
    for part in inner.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once(" as ") {
            Some((name, alias)) if identifier(name.trim()) && identifier(alias.trim()) => {
                out.push(format!("{}: {}", name.trim(), alias.trim()));
            }
            None if identifier(part) => out.push(part.to_owned()),
            _ => return None,
        }
    }
    Some(format!("{{ {} }}", out.join(", ")))
}

fn identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_become_requires_on_the_same_lines() {
        let source = "import cf from 'cloudfront';\nimport {\n  createHash,\n  createHmac as hmac\n} from \"crypto\";\nimport * as qs from 'querystring';\nfunction handler(e) { return e.request; }\n";
        let out = prepare(source, 10_240).expect("valid");
        assert_eq!(out.lines().count(), source.lines().count());
        assert!(out.contains("const cf = require('cloudfront');"));
        assert!(out.contains("const { createHash, createHmac: hmac } = require('crypto');"));
        assert!(out.contains("const qs = require('querystring');"));
        assert_eq!(out.lines().nth(6), source.lines().nth(6));
    }

    #[test]
    fn oversized_functions_are_refused() {
        let error = prepare(&"x".repeat(10_241), 10_240).expect_err("too large");
        assert_eq!(
            error,
            FunctionError::TooLarge {
                size: 10_241,
                max: 10_240
            }
        );
    }
}
