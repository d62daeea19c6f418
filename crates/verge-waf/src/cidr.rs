//! CIDR blocks as IP sets list them, and a sorted, merged range table that answers "is this
//! address in the set?" with one binary search.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A parsed CIDR block, stored as an inclusive range of 128-bit addresses (IPv4 addresses are
/// kept in their own table, so the two families never mix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    /// The network address.
    pub addr: IpAddr,
    /// The prefix length.
    pub prefix: u8,
}

impl Cidr {
    /// Parses `a.b.c.d/n` or `x:y::z/n`. AWS requires the prefix; host bits may be set (AWS
    /// masks them) but the prefix must fit the family (1–32 for IPv4, 1–128 for IPv6).
    pub fn parse(text: &str) -> Result<Self, String> {
        let (addr, prefix) = text.split_once('/').ok_or_else(|| {
            format!("{text:?} is not a CIDR block: add a prefix length, e.g. /32")
        })?;
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("{text:?} is not a CIDR block: {addr:?} is not an IP address"))?;
        let prefix: u8 = prefix
            .parse()
            .map_err(|_| format!("{text:?} has an invalid prefix length {prefix:?}"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        if prefix == 0 || prefix > max {
            return Err(format!(
                "{text:?}: the prefix length must be between 1 and {max}"
            ));
        }
        Ok(Self { addr, prefix })
    }

    fn range(&self) -> (u128, u128) {
        let (value, bits) = match self.addr {
            IpAddr::V4(a) => (u128::from(u32::from(a)), 32u32),
            IpAddr::V6(a) => (u128::from(a), 128u32),
        };
        let host_bits = bits.saturating_sub(u32::from(self.prefix));
        let mask: u128 = if host_bits >= 128 {
            u128::MAX
        } else {
            (1u128 << host_bits) - 1
        };
        (value & !mask, value | mask)
    }
}

/// A set of addresses built from CIDR blocks: sorted, merged, non-overlapping ranges per family.
#[derive(Debug, Clone, Default)]
pub struct IpRanges {
    v4: Vec<(u128, u128)>,
    v6: Vec<(u128, u128)>,
}

impl IpRanges {
    /// Builds the table from parsed blocks.
    pub fn new(blocks: &[Cidr]) -> Self {
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for block in blocks {
            match block.addr {
                IpAddr::V4(_) => v4.push(block.range()),
                IpAddr::V6(_) => v6.push(block.range()),
            }
        }
        Self {
            v4: merge(v4),
            v6: merge(v6),
        }
    }

    /// Whether the address falls in any block. An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`)
    /// is looked up as IPv4.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(a) => lookup(&self.v4, v4_value(a)),
            IpAddr::V6(a) => match a.to_ipv4_mapped() {
                Some(v4) => lookup(&self.v4, v4_value(v4)),
                None => lookup(&self.v6, v6_value(a)),
            },
        }
    }

    /// The number of merged ranges (for sizing and tests).
    pub fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn v4_value(a: Ipv4Addr) -> u128 {
    u128::from(u32::from(a))
}

fn v6_value(a: Ipv6Addr) -> u128 {
    u128::from(a)
}

fn merge(mut ranges: Vec<(u128, u128)>) -> Vec<(u128, u128)> {
    ranges.sort_unstable();
    let mut merged: Vec<(u128, u128)> = Vec::with_capacity(ranges.len());
    for (start, end) in ranges {
        match merged.last_mut() {
            Some(last) if start <= last.1.saturating_add(1) => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    merged
}

fn lookup(ranges: &[(u128, u128)], value: u128) -> bool {
    // The last range starting at or before `value` is the only one that can contain it.
    let idx = ranges.partition_point(|&(start, _)| start <= value);
    idx > 0 && ranges.get(idx - 1).is_some_and(|&(_, end)| value <= end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(blocks: &[&str]) -> IpRanges {
        let parsed: Vec<Cidr> = blocks.iter().map(|b| Cidr::parse(b).unwrap()).collect();
        IpRanges::new(&parsed)
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn parses_and_rejects() {
        assert!(Cidr::parse("192.0.2.0/24").is_ok());
        assert!(Cidr::parse("2001:db8::/32").is_ok());
        assert!(Cidr::parse("192.0.2.1").is_err());
        assert!(Cidr::parse("192.0.2.0/33").is_err());
        assert!(Cidr::parse("192.0.2.0/0").is_err());
        assert!(Cidr::parse("300.0.2.0/8").is_err());
        assert!(Cidr::parse("::/129").is_err());
    }

    #[test]
    fn looks_up_v4_and_v6() {
        let s = set(&[
            "192.0.2.0/24",
            "10.0.0.0/8",
            "10.1.0.0/16",
            "2001:db8::/32",
            "198.51.100.7/32",
        ]);
        assert_eq!(s.len(), 4, "10.1/16 merges into 10/8");
        assert!(s.contains(ip("192.0.2.200")));
        assert!(s.contains(ip("10.255.255.255")));
        assert!(s.contains(ip("198.51.100.7")));
        assert!(!s.contains(ip("198.51.100.8")));
        assert!(!s.contains(ip("192.0.3.0")));
        assert!(s.contains(ip("2001:db8:ffff::1")));
        assert!(!s.contains(ip("2001:db9::1")));
        assert!(s.contains(ip("::ffff:192.0.2.9")));
    }

    #[test]
    fn host_bits_are_masked_and_adjacent_ranges_merge() {
        let s = set(&["192.0.2.77/24", "192.0.3.0/24"]);
        assert_eq!(s.len(), 1);
        assert!(s.contains(ip("192.0.2.0")));
        assert!(s.contains(ip("192.0.3.255")));
        assert!(set(&["0.0.0.0/1", "128.0.0.0/1"]).contains(ip("255.255.255.255")));
        assert!(set(&["::/1", "8000::/1"]).contains(ip("ffff::1")));
    }
}
