//! `LabelMatchStatement`: a label or namespace added by an earlier rule. A key that starts
//! with `awswaf:` is fully qualified; any other key is read in the namespace of the web ACL
//! or rule group the statement belongs to, as AWS does.

use crate::model::statement::LabelMatchScope;

/// A compiled label match.
#[derive(Debug)]
pub(crate) struct LabelMatch {
    scope: LabelMatchScope,
    key: String,
    /// The namespace of the statement's web ACL or rule group (`awswaf:...:`), used when the
    /// key is not fully qualified.
    context: String,
}

impl LabelMatch {
    pub(crate) fn new(scope: LabelMatchScope, key: &str, context: &str) -> Self {
        let mut key = key.to_owned();
        if scope == LabelMatchScope::Namespace && !key.ends_with(':') {
            key.push(':');
        }
        Self {
            scope,
            key,
            context: context.to_owned(),
        }
    }

    pub(crate) fn eval(&self, labels: &[String]) -> bool {
        labels.iter().any(|l| self.matches(l))
    }

    fn matches(&self, label: &str) -> bool {
        let key = self.key.as_str();
        if key.starts_with("awswaf:") {
            return match self.scope {
                LabelMatchScope::Label => label == key,
                LabelMatchScope::Namespace => label.starts_with(key),
            };
        }
        let Some(rest) = label.strip_prefix(self.context.as_str()) else {
            return false;
        };
        match self.scope {
            // The key names the label and any number of the namespaces just before it.
            LabelMatchScope::Label => {
                rest == key
                    || rest
                        .strip_suffix(key)
                        .is_some_and(|head| head.ends_with(':'))
            }
            // The key is a run of whole namespaces somewhere in the label's namespace.
            LabelMatchScope::Namespace => {
                let namespace = rest.rfind(':').map_or("", |i| &rest[..=i]);
                namespace.starts_with(key) || format!(":{namespace}").contains(&format!(":{key}"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACL: &str = "awswaf:111122223333:webacl:shop:";

    fn labels() -> Vec<String> {
        vec![
            format!("{ACL}admin:probe"),
            format!("{ACL}bots:bad:scraper"),
            "awswaf:managed:aws:core-rule-set:NoUserAgent_Header".to_owned(),
            "awswaf:clientip:geo:country:DE".to_owned(),
        ]
    }

    fn m(scope: LabelMatchScope, key: &str) -> bool {
        LabelMatch::new(scope, key, ACL).eval(&labels())
    }

    #[test]
    fn label_scope() {
        use LabelMatchScope::Label;
        assert!(m(Label, "admin:probe"));
        assert!(m(Label, "probe"), "the name alone is enough");
        assert!(m(Label, "bad:scraper"));
        assert!(!m(Label, "admin"));
        assert!(!m(Label, "robe"));
        assert!(m(Label, "awswaf:clientip:geo:country:DE"));
        assert!(!m(Label, "awswaf:clientip:geo:country:D"));
        assert!(
            !m(Label, "NoUserAgent_Header"),
            "other contexts need the full name"
        );
    }

    #[test]
    fn namespace_scope() {
        use LabelMatchScope::Namespace;
        assert!(m(Namespace, "bots:"));
        assert!(m(Namespace, "bots:bad"));
        assert!(m(Namespace, "bad:"));
        assert!(
            !m(Namespace, "scraper"),
            "the label's name is not a namespace"
        );
        assert!(!m(Namespace, "ots:"));
        assert!(m(Namespace, "awswaf:managed:aws:core-rule-set:"));
        assert!(m(Namespace, "awswaf:clientip:geo:country:"));
        assert!(!m(Namespace, "awswaf:clientip:geo:region:"));
    }
}
