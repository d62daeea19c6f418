//! The IP address feeds behind AWS's IP list groups, which AWS fills from its own threat
//! intelligence and Verge leaves to the operator: text files with one address or CIDR block
//! a line. A feed that is not loaded leaves its rule registered but never matching.

use std::net::IpAddr;
use std::sync::Arc;

use crate::cidr::{Cidr, IpRanges};
use crate::error::{Error, Issue};

/// The most problems one feed reports before it summarises the rest.
const MAX_ISSUES: usize = 50;

/// One parsed feed: a sorted, merged table of address ranges.
#[derive(Debug, Clone, Default)]
pub struct IpFeed {
    ranges: Arc<IpRanges>,
    entries: usize,
}

impl IpFeed {
    /// Parses a feed. Each line holds an IPv4 or IPv6 address or CIDR block (`192.0.2.7`,
    /// `198.51.100.0/24`, `2001:db8::/32`); `#` starts a comment; blank lines are skipped;
    /// IPv4 and IPv6 may be mixed. `name` is used in errors, which list every bad line by
    /// number (1-based).
    pub fn parse(name: &str, text: &str) -> Result<Self, Error> {
        let mut blocks = Vec::new();
        let mut issues = Vec::new();
        let mut bad = 0usize;
        for (i, line) in text.lines().enumerate() {
            let entry = line.split('#').next().unwrap_or_default();
            let entry = entry.trim_start_matches('\u{feff}').trim();
            if entry.is_empty() {
                continue;
            }
            match parse_entry(entry) {
                Ok(block) => blocks.push(block),
                Err(message) => {
                    bad += 1;
                    if issues.len() < MAX_ISSUES {
                        issues.push(Issue {
                            path: format!("line {}", i + 1),
                            message,
                        });
                    }
                }
            }
        }
        if bad > issues.len() {
            issues.push(Issue {
                path: String::new(),
                message: format!("and {} more invalid lines", bad - issues.len()),
            });
        }
        if !issues.is_empty() {
            return Err(Error::Invalid {
                what: "IP feed",
                name: name.to_owned(),
                issues,
            });
        }
        Ok(Self {
            ranges: Arc::new(IpRanges::new(&blocks)),
            entries: blocks.len(),
        })
    }

    /// How many addresses and blocks the feed listed.
    pub fn len(&self) -> usize {
        self.entries
    }

    /// Whether the feed listed nothing.
    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    /// Whether an address is in the feed.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.ranges.contains(ip)
    }

    pub(crate) fn ranges(&self) -> Arc<IpRanges> {
        Arc::clone(&self.ranges)
    }
}

/// An address is a block of one: `/32` or `/128`.
fn parse_entry(entry: &str) -> Result<Cidr, String> {
    if entry.contains('/') {
        return Cidr::parse(entry);
    }
    let addr: IpAddr = entry
        .parse()
        .map_err(|_| format!("{entry:?} is not an IP address or CIDR block"))?;
    let prefix = if addr.is_ipv4() { 32 } else { 128 };
    Ok(Cidr { addr, prefix })
}

/// The feeds of AWS's two IP list groups. Each is optional; see [`super::install`].
#[derive(Debug, Clone, Default)]
pub struct IpFeeds {
    /// Addresses known for malicious activity: `AWSManagedIPReputationList`.
    pub reputation: Option<IpFeed>,
    /// Addresses that scan for vulnerabilities: `AWSManagedReconnaissanceList`.
    pub reconnaissance: Option<IpFeed>,
    /// Addresses taking part in DDoS attacks: `AWSManagedIPDDoSList` (Count by default).
    pub ddos: Option<IpFeed>,
    /// VPN, proxy and Tor exit addresses: `AnonymousIPList`.
    pub anonymous: Option<IpFeed>,
    /// Hosting and cloud provider addresses: `HostingProviderIPList`.
    pub hosting: Option<IpFeed>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_addresses_blocks_comments_and_blank_lines() {
        let text = "# reputation feed, 2024-05-01\n\n192.0.2.7\n198.51.100.0/24  # scanners\n\
                    2001:db8::/32\r\n  203.0.113.9  \n";
        let feed = IpFeed::parse("reputation", text).unwrap();
        assert_eq!(feed.len(), 4);
        for ip in ["192.0.2.7", "198.51.100.200", "2001:db8::1", "203.0.113.9"] {
            assert!(feed.contains(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["192.0.2.8", "2001:db9::1", "10.0.0.1"] {
            assert!(!feed.contains(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn errors_name_every_bad_line() {
        let text = "192.0.2.1\nnot-an-ip\n10.0.0.0/33\n\n# fine\n300.1.1.1\n";
        let err = IpFeed::parse("hosting", text).unwrap_err();
        let Error::Invalid { what, name, issues } = &err else {
            panic!("{err}");
        };
        assert_eq!((*what, name.as_str()), ("IP feed", "hosting"));
        let lines: Vec<&str> = issues.iter().map(|i| i.path.as_str()).collect();
        assert_eq!(lines, ["line 2", "line 3", "line 6"]);
        assert!(err.to_string().contains("not-an-ip"), "{err}");
    }

    #[test]
    fn many_bad_lines_are_summarised() {
        let text = "x\n".repeat(MAX_ISSUES + 7);
        let Err(Error::Invalid { issues, .. }) = IpFeed::parse("f", &text) else {
            panic!("expected an error");
        };
        assert_eq!(issues.len(), MAX_ISSUES + 1);
        assert!(issues[MAX_ISSUES].message.contains("7 more"));
    }

    #[test]
    fn empty_feed_matches_nothing() {
        let feed = IpFeed::parse("empty", "# nothing yet\n").unwrap();
        assert!(feed.is_empty());
        assert!(!feed.contains("192.0.2.1".parse().unwrap()));
    }
}
