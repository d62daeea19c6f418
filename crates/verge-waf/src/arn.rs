//! WAF ARNs, reduced to what Verge resolves references by: the resource kind and name.
//! `arn:aws:wafv2:us-east-1:123456789012:regional/ipset/NAME/ID` names the IP set `NAME`.

/// The parts of a WAF ARN Verge uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn<'a> {
    /// The account id (may be empty in hand-written ARNs).
    pub account: &'a str,
    /// `ipset`, `regexpatternset`, `rulegroup`, `webacl`, ...
    pub kind: &'a str,
    /// The resource's name.
    pub name: &'a str,
}

/// Parses `arn:<partition>:wafv2:<region>:<account>:<scope>/<kind>/<name>/<id>`. Returns `None`
/// for anything else.
pub fn parse(text: &str) -> Option<Arn<'_>> {
    let mut parts = text.splitn(6, ':');
    let (arn, _partition, service, _region, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if arn != "arn" || service != "wafv2" {
        return None;
    }
    let mut pieces = resource.split('/');
    let scope = pieces.next()?;
    let kind = pieces.next()?;
    let name = pieces.next()?;
    let _id = pieces.next()?;
    let scope_ok = matches!(scope, "regional" | "global");
    (scope_ok && !kind.is_empty() && !name.is_empty() && pieces.next().is_none()).then_some(Arn {
        account,
        kind,
        name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_waf_arns() {
        let a = parse("arn:aws:wafv2:us-east-1:123456789012:regional/ipset/bad-ips/a1b2").unwrap();
        assert_eq!(
            (a.account, a.kind, a.name),
            ("123456789012", "ipset", "bad-ips")
        );
        let g = parse("arn:aws:wafv2:us-east-1:1:global/rulegroup/rg/x").unwrap();
        assert_eq!(g.kind, "rulegroup");
    }

    #[test]
    fn rejects_other_arns() {
        assert!(parse("arn:aws:s3:::bucket").is_none());
        assert!(parse("arn:aws:wafv2:us-east-1:1:regional/ipset/name").is_none());
        assert!(parse("bad-ips").is_none());
    }
}
