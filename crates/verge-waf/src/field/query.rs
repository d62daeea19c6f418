//! Query arguments as AWS WAF splits them: `&`-separated `name=value` pairs, raw (not
//! percent-decoded); a pair without `=` has an empty value.

/// The `(name, value)` pairs of a raw query string, in order; empty pairs are skipped.
pub(crate) fn args(query: &str) -> impl Iterator<Item = (&[u8], &[u8])> {
    query
        .as_bytes()
        .split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.iter().position(|&b| b == b'=') {
            Some(eq) => (&pair[..eq], &pair[eq + 1..]),
            None => (pair, &pair[pair.len()..]),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_pairs() {
        let pairs: Vec<_> = args("a=1&&b&c=x=y&=z").collect();
        assert_eq!(
            pairs,
            vec![
                (&b"a"[..], &b"1"[..]),
                (b"b", b""),
                (b"c", b"x=y"),
                (b"", b"z"),
            ]
        );
        assert_eq!(args("").count(), 0);
    }
}
