//! `ByteMatchStatement`: a search string at a position in the transformed field.

use memchr::memmem::Finder;

use crate::model::statement::PositionalConstraint;

/// A compiled search string and positional constraint.
#[derive(Debug)]
pub(crate) struct ByteMatcher {
    needle: Vec<u8>,
    finder: Finder<'static>,
    position: PositionalConstraint,
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl ByteMatcher {
    pub(crate) fn new(needle: &[u8], position: PositionalConstraint) -> Self {
        Self {
            needle: needle.to_vec(),
            finder: Finder::new(needle).into_owned(),
            position,
        }
    }

    /// Whether `value` satisfies the constraint.
    pub(crate) fn matches(&self, value: &[u8]) -> bool {
        let needle = self.needle.as_slice();
        match self.position {
            PositionalConstraint::Exactly => value == needle,
            PositionalConstraint::StartsWith => value.starts_with(needle),
            PositionalConstraint::EndsWith => value.ends_with(needle),
            PositionalConstraint::Contains => self.finder.find(value).is_some(),
            PositionalConstraint::ContainsWord => self.contains_word(value),
        }
    }

    /// AWS's `CONTAINS_WORD`: an occurrence bounded on each side by the field's edge or a
    /// character that is not alphanumeric or `_`.
    fn contains_word(&self, value: &[u8]) -> bool {
        self.finder.find_iter(value).any(|start| {
            let end = start + self.needle.len();
            let before = start == 0 || !is_word(value[start - 1]);
            let after = end >= value.len() || !is_word(value[end]);
            before && after
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(needle: &str, position: PositionalConstraint, value: &str) -> bool {
        ByteMatcher::new(needle.as_bytes(), position).matches(value.as_bytes())
    }

    #[test]
    fn positional_constraints() {
        use PositionalConstraint::*;
        assert!(m("/admin", Exactly, "/admin"));
        assert!(!m("/admin", Exactly, "/admin/"));
        assert!(m("/admin", StartsWith, "/admin/users"));
        assert!(!m("/admin", StartsWith, "/x/admin"));
        assert!(m(".php", EndsWith, "/index.php"));
        assert!(!m(".php", EndsWith, "/index.php5"));
        assert!(m("select", Contains, "1 union select 2"));
        assert!(!m("select", Contains, "1 union sel ect"));
    }

    #[test]
    fn contains_word_needs_boundaries() {
        use PositionalConstraint::ContainsWord;
        assert!(m("admin", ContainsWord, "admin"));
        assert!(m("admin", ContainsWord, "/admin/"));
        assert!(m("admin", ContainsWord, "x=admin;"));
        assert!(!m("admin", ContainsWord, "administrator"));
        assert!(!m("admin", ContainsWord, "sysadmin"));
        assert!(!m("admin", ContainsWord, "my_admin"));
        assert!(
            m("admin", ContainsWord, "sysadmin admin"),
            "a later occurrence counts"
        );
    }
}
