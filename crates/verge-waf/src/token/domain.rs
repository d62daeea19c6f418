//! Token domains, as AWS WAF treats them: a token is accepted when its domain is the request's
//! host, or is one of the web ACL's `TokenDomains` or a subdomain of one. A new token gets the
//! shortest token domain that covers the host (so one token serves every site under it), or
//! the host itself.

/// The host without port, trailing dot or upper case (`WWW.Example.com.:8443` →
/// `www.example.com`).
pub(crate) fn normalise_host(host: &str) -> String {
    let host = host.trim();
    let host = if host.starts_with('[') {
        // An IPv6 literal keeps its brackets; only a port after them is cut.
        host.find(']').map_or(host, |end| &host[..=end])
    } else {
        host.rsplit_once(':')
            .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
            .map_or(host, |(name, _)| name)
    };
    host.trim_end_matches('.').to_ascii_lowercase()
}

fn normalise_domain(domain: &str) -> String {
    domain
        .trim()
        .trim_start_matches('.')
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

/// Whether `name` is `domain` or one of its subdomains (both normalised).
fn covers(domain: &str, name: &str) -> bool {
    !domain.is_empty()
        && (name == domain
            || name
                .strip_suffix(domain)
                .is_some_and(|head| head.ends_with('.')))
}

/// Whether a token issued for `token_domain` is accepted for a request to `host` under a web
/// ACL with these `TokenDomains`.
pub fn accepts_domain(token_domain: &str, host: &str, token_domains: &[String]) -> bool {
    let token_domain = normalise_domain(token_domain);
    if token_domain.is_empty() {
        return false;
    }
    if token_domain == normalise_host(host) {
        return true;
    }
    token_domains
        .iter()
        .any(|d| covers(&normalise_domain(d), &token_domain))
}

/// The domain a new token for `host` gets: the shortest of the `TokenDomains` that covers
/// the host, else the host.
pub fn token_domain(host: &str, token_domains: &[String]) -> String {
    let host = normalise_host(host);
    token_domains
        .iter()
        .map(|d| normalise_domain(d))
        .filter(|d| covers(d, &host))
        .min_by_key(String::len)
        .unwrap_or(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(domains: &[&str]) -> Vec<String> {
        domains.iter().map(|d| (*d).to_owned()).collect()
    }

    #[test]
    fn hosts_are_normalised() {
        assert_eq!(normalise_host("WWW.Example.com.:8443"), "www.example.com");
        assert_eq!(normalise_host("[::1]:443"), "[::1]");
        assert_eq!(normalise_host("example.com"), "example.com");
    }

    #[test]
    fn without_token_domains_only_the_host_is_accepted() {
        assert!(accepts_domain(
            "shop.example.com",
            "shop.example.com:443",
            &[]
        ));
        assert!(!accepts_domain("example.com", "shop.example.com", &[]));
        assert!(!accepts_domain(
            "other.example.com",
            "shop.example.com",
            &[]
        ));
        assert!(!accepts_domain("", "", &[]));
    }

    #[test]
    fn token_domains_cover_their_subdomains() {
        let domains = list(&["example.com", ".example.org"]);
        assert!(accepts_domain("example.com", "www.example.com", &domains));
        assert!(accepts_domain(
            "api.example.com",
            "www.example.com",
            &domains
        ));
        assert!(accepts_domain("example.org", "shop.example.com", &domains));
        assert!(!accepts_domain(
            "badexample.com",
            "www.example.com",
            &domains
        ));
        assert!(!accepts_domain("example.net", "www.example.com", &domains));
    }

    #[test]
    fn new_tokens_get_the_shortest_covering_domain() {
        let domains = list(&["shop.example.com", "example.com", "example.org"]);
        assert_eq!(
            token_domain("www.shop.example.com", &domains),
            "example.com"
        );
        assert_eq!(token_domain("Example.COM", &domains), "example.com");
        assert_eq!(
            token_domain("elsewhere.net:8080", &domains),
            "elsewhere.net"
        );
        assert_eq!(token_domain("www.example.com", &[]), "www.example.com");
    }
}
