//! Cache-Control directives (RFC 9111 §5.2) from `Cache-Control`, `CDN-Cache-Control`
//! (RFC 9213) and `Pragma` (RFC 9111 §5.4), parsed leniently into one typed [`CacheControl`].
//! Storability and freshness decisions read this; nothing here decides anything itself.

use std::time::Duration;

use http::header::{CACHE_CONTROL, PRAGMA};
use http::{HeaderMap, HeaderName};

/// The largest delta-seconds value the cache keeps apart; RFC 9111 §1.2.2 says anything larger
/// (or overflowing) is taken as 2^31 seconds.
pub const MAX_DELTA_SECONDS: u64 = 2_147_483_648;

/// The field RFC 9213 §3 defines for CDN caches.
pub const CDN_CACHE_CONTROL: &str = "cdn-cache-control";

/// One valued directive as received.
///
/// A response whose freshness directive (`max-age`, `s-maxage`) is `Invalid` is to be treated
/// as already stale (RFC 9111 §4.2.1: with conflicting or malformed values "the response should
/// be considered stale"), never as if the directive were absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Directive<T> {
    /// The directive is not present.
    #[default]
    Absent,
    /// Present, with a well-formed value (identical repeats are fine).
    Valid(T),
    /// Present but malformed (`max-age=abc`, `max-age=-1`, `max-age=1.5`, `max-age=`, a bare
    /// `max-age`), or repeated with differing values.
    Invalid,
}

impl<T> Directive<T> {
    /// Whether the directive appeared at all, valid or not.
    pub fn is_present(&self) -> bool {
        !matches!(self, Directive::Absent)
    }

    /// The value, when valid.
    pub fn valid(&self) -> Option<&T> {
        match self {
            Directive::Valid(value) => Some(value),
            Directive::Absent | Directive::Invalid => None,
        }
    }
}

/// `no-cache` or `private`: absent, unqualified, or qualified with field names
/// (`no-cache="Set-Cookie, foo"`, RFC 9111 §5.2.2.4 and §5.2.2.7).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum NoCache {
    /// The directive is not present.
    #[default]
    Absent,
    /// Unqualified: it applies to the whole response. Also the reading of a qualified form
    /// whose list cannot be parsed or is empty, the conservative choice.
    All,
    /// Qualified: it applies only to these header fields (lowercase, deduplicated, in order
    /// of appearance).
    Fields(Vec<HeaderName>),
}

impl NoCache {
    /// Whether the directive is unqualified (applies to the whole response).
    pub fn is_all(&self) -> bool {
        matches!(self, NoCache::All)
    }

    /// Whether the qualified form names `field`.
    pub fn names(&self, field: &HeaderName) -> bool {
        match self {
            NoCache::Fields(fields) => fields.contains(field),
            NoCache::Absent | NoCache::All => false,
        }
    }

    fn merge(&mut self, other: NoCache) {
        match (&mut *self, other) {
            (_, NoCache::Absent) | (NoCache::All, _) => {}
            (NoCache::Fields(fields), NoCache::Fields(more)) => {
                for field in more {
                    if !fields.contains(&field) {
                        fields.push(field);
                    }
                }
            }
            (slot, other) => *slot = other,
        }
    }
}

/// Every cache directive the cache understands, from requests and responses alike. Unknown
/// directives are ignored (RFC 9111 §5.2.3).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CacheControl {
    /// `max-age` (§5.2.1.1 request, §5.2.2.1 response).
    pub max_age: Directive<Duration>,
    /// `s-maxage` (§5.2.2.10).
    pub s_maxage: Directive<Duration>,
    /// `no-store` (§5.2.1.5, §5.2.2.5).
    pub no_store: bool,
    /// `no-cache` (§5.2.1.4, §5.2.2.4).
    pub no_cache: NoCache,
    /// `private` (§5.2.2.7); same shape as `no-cache`.
    pub private: NoCache,
    /// `public` (§5.2.2.9).
    pub public: bool,
    /// `must-revalidate` (§5.2.2.2).
    pub must_revalidate: bool,
    /// `proxy-revalidate` (§5.2.2.8).
    pub proxy_revalidate: bool,
    /// `must-understand` (§5.2.2.3).
    pub must_understand: bool,
    /// `no-transform` (§5.2.1.6, §5.2.2.6).
    pub no_transform: bool,
    /// `immutable` (RFC 8246).
    pub immutable: bool,
    /// `stale-while-revalidate` (RFC 5861 §3).
    pub stale_while_revalidate: Directive<Duration>,
    /// `stale-if-error` (RFC 5861 §4).
    pub stale_if_error: Directive<Duration>,
    /// Request `max-stale` (§5.2.1.2): `Valid(None)` for a bare `max-stale`, meaning any
    /// staleness is acceptable.
    pub max_stale: Directive<Option<Duration>>,
    /// Request `min-fresh` (§5.2.1.3).
    pub min_fresh: Directive<Duration>,
    /// Request `only-if-cached` (§5.2.1.7).
    pub only_if_cached: bool,
}

/// Parses every `Cache-Control` field line of `headers`.
pub fn parse(headers: &HeaderMap) -> CacheControl {
    parse_field(headers, CACHE_CONTROL.as_str()).0
}

/// Parses every line of the field `name` with Cache-Control syntax (for targeted fields such
/// as `Surrogate-Control` or a vendor's own).
pub fn parse_named(headers: &HeaderMap, name: &str) -> CacheControl {
    parse_field(headers, name).0
}

/// Parses `CDN-Cache-Control` (RFC 9213), which replaces `Cache-Control` and `Expires` for the
/// cache's own decisions when it is usable (RFC 9213 §2.2).
///
/// The field is an sf-dictionary (RFC 9213 §2.1), but origins send plain Cache-Control syntax
/// just as often; both are accepted (`max-age=60, no-store`, `no-store=?1`, `max-age="60"`,
/// parameters such as `max-age=60;x=y` ignored). Returns `None` when the field is absent and,
/// as RFC 9213 §2.1 requires, when it is empty or cannot be parsed (an unterminated quoted
/// string, a member without a name, text after a value): the cache then falls back to
/// `Cache-Control`. Origins that want "no directives for CDNs" send e.g. `CDN-Cache-Control:
/// none`, as the RFC's own example does.
pub fn parse_cdn(headers: &HeaderMap) -> Option<CacheControl> {
    let (directives, syntax) = parse_field(headers, CDN_CACHE_CONTROL);
    match syntax {
        Syntax::WellFormed => Some(directives),
        Syntax::Empty | Syntax::Broken => None,
    }
}

/// Parses a viewer request's directives. With no `Cache-Control` field at all, `Pragma:
/// no-cache` counts as `no-cache` (RFC 9111 §5.4); with one, `Pragma` is ignored.
pub fn parse_request(headers: &HeaderMap) -> CacheControl {
    let mut directives = parse(headers);
    if !headers.contains_key(CACHE_CONTROL) && pragma_no_cache(headers) {
        directives.no_cache = NoCache::All;
    }
    directives
}

/// Whether any `Pragma` line lists `no-cache` (RFC 9111 §5.4; case-insensitive).
fn pragma_no_cache(headers: &HeaderMap) -> bool {
    headers.get_all(PRAGMA).iter().any(|line| {
        members(line.as_bytes())
            .0
            .iter()
            .any(|member| member.name.eq_ignore_ascii_case(b"no-cache"))
    })
}

/// Whether a field had anything in it, and whether all of it parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Syntax {
    Empty,
    WellFormed,
    Broken,
}

fn parse_field(headers: &HeaderMap, name: &str) -> (CacheControl, Syntax) {
    let mut directives = CacheControl::default();
    let mut syntax = Syntax::Empty;

    // Each field line is tokenised on its own, so an unterminated quote cannot swallow the
    // next line; RFC 9110 §5.3 makes the lines one comma-separated list.
    for line in headers.get_all(name) {
        let (list, broken) = members(line.as_bytes());
        if broken {
            syntax = Syntax::Broken;
        } else if syntax == Syntax::Empty && !list.is_empty() {
            syntax = Syntax::WellFormed;
        }
        for member in list {
            directives.apply(member);
        }
    }
    (directives, syntax)
}

impl CacheControl {
    fn apply(&mut self, member: Member<'_>) {
        let name = member.name.to_ascii_lowercase();
        let arg = &member.arg;
        match name.as_slice() {
            b"max-age" => merge(&mut self.max_age, delta_seconds(arg)),
            b"s-maxage" => merge(&mut self.s_maxage, delta_seconds(arg)),
            b"stale-while-revalidate" => {
                merge(&mut self.stale_while_revalidate, delta_seconds(arg))
            }
            b"stale-if-error" => merge(&mut self.stale_if_error, delta_seconds(arg)),
            b"min-fresh" => merge(&mut self.min_fresh, delta_seconds(arg)),
            b"max-stale" => merge(&mut self.max_stale, max_stale(arg)),
            b"no-cache" => self.no_cache.merge(field_names(arg)),
            b"private" => self.private.merge(field_names(arg)),
            b"no-store" => self.no_store |= restrictive_flag(arg),
            b"must-revalidate" => self.must_revalidate |= restrictive_flag(arg),
            b"proxy-revalidate" => self.proxy_revalidate |= restrictive_flag(arg),
            b"no-transform" => self.no_transform |= restrictive_flag(arg),
            b"only-if-cached" => self.only_if_cached |= restrictive_flag(arg),
            b"public" => self.public |= permissive_flag(arg),
            b"immutable" => self.immutable |= permissive_flag(arg),
            b"must-understand" => self.must_understand |= permissive_flag(arg),
            _ => {}
        }
    }
}

/// Folds a repeated directive: identical values agree, differing ones make it `Invalid`
/// (RFC 9111 §4.2.1 lets a cache treat conflicting values as stale).
fn merge<T: PartialEq>(slot: &mut Directive<T>, next: Directive<T>) {
    if !slot.is_present() {
        *slot = next;
        return;
    }
    let agree =
        matches!((&*slot, &next), (Directive::Valid(old), Directive::Valid(new)) if old == new);
    if !agree {
        *slot = Directive::Invalid;
    }
}

/// delta-seconds = 1*DIGIT (RFC 9111 §1.2.2). The quoted form is accepted too: §5.2 says
/// senders should not use it for these directives, so recipients meet it in the wild.
fn delta_seconds(arg: &Arg<'_>) -> Directive<Duration> {
    let digits = match arg {
        Arg::Token(text) => *text,
        Arg::Quoted(text) => text.as_slice(),
        Arg::None | Arg::Malformed => return Directive::Invalid,
    };
    match parse_delta_seconds(digits) {
        Some(seconds) => Directive::Valid(Duration::from_secs(seconds)),
        None => Directive::Invalid,
    }
}

/// Parses 1*DIGIT, saturating at [`MAX_DELTA_SECONDS`] (RFC 9111 §1.2.2).
pub(crate) fn parse_delta_seconds(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut value: u64 = 0;
    for digit in digits {
        value = value * 10 + u64::from(digit - b'0');
        if value >= MAX_DELTA_SECONDS {
            return Some(MAX_DELTA_SECONDS);
        }
    }
    Some(value)
}

fn max_stale(arg: &Arg<'_>) -> Directive<Option<Duration>> {
    if matches!(arg, Arg::None) {
        return Directive::Valid(None);
    }
    match delta_seconds(arg) {
        Directive::Valid(limit) => Directive::Valid(Some(limit)),
        Directive::Absent | Directive::Invalid => Directive::Invalid,
    }
}

/// The argument of `no-cache` / `private`: none for the unqualified form, else a list of
/// field names. Anything unparseable widens to `All`: a shared cache errs towards not reusing.
fn field_names(arg: &Arg<'_>) -> NoCache {
    let list: &[u8] = match arg {
        Arg::None | Arg::Malformed => return NoCache::All,
        Arg::Token(b"?0") => return NoCache::Absent,
        Arg::Token(b"?1") => return NoCache::All,
        Arg::Token(text) => text,
        Arg::Quoted(text) => text,
    };
    let mut fields: Vec<HeaderName> = Vec::new();
    for name in list.split(|&b| b == b',').map(<[u8]>::trim_ascii) {
        if name.is_empty() {
            continue;
        }
        let Ok(field) = HeaderName::from_bytes(name) else {
            return NoCache::All;
        };
        if !fields.contains(&field) {
            fields.push(field);
        }
    }
    if fields.is_empty() {
        NoCache::All
    } else {
        NoCache::Fields(fields)
    }
}

/// A directive whose presence restricts the cache counts whatever its argument, unless it is
/// the sf-boolean false `?0` (RFC 8941 §3.3.6).
fn restrictive_flag(arg: &Arg<'_>) -> bool {
    !matches!(arg, Arg::Token(b"?0"))
}

/// A directive whose presence loosens the cache counts only when well-formed: bare or `?1`.
fn permissive_flag(arg: &Arg<'_>) -> bool {
    matches!(arg, Arg::None | Arg::Token(b"?1"))
}

/// One `name[=value]` list member.
#[derive(Debug, PartialEq, Eq)]
struct Member<'a> {
    name: &'a [u8],
    arg: Arg<'a>,
}

/// A member's argument.
#[derive(Debug, PartialEq, Eq)]
enum Arg<'a> {
    None,
    Token(&'a [u8]),
    /// A quoted-string with its escapes removed.
    Quoted(Vec<u8>),
    Malformed,
}

/// Splits one field line into members. Tolerates optional whitespace everywhere, empty list
/// elements (RFC 9110 §5.6.1), whitespace around `=`, and sf-dictionary parameters (`;a=b`,
/// ignored as RFC 9213 §2.1 says). The flag reports a syntax error somewhere in the line.
fn members(line: &[u8]) -> (Vec<Member<'_>>, bool) {
    let mut cursor = Cursor { line, at: 0 };
    let mut list = Vec::new();
    let mut broken = false;

    loop {
        cursor.skip(|b| b == b',' || is_ows(b));
        if cursor.done() {
            break;
        }

        let name = cursor.take(is_tchar);
        if name.is_empty() {
            broken = true;
            cursor.skip_member();
            continue;
        }

        cursor.skip(is_ows);
        let mut arg = Arg::None;
        if cursor.eat(b'=') {
            cursor.skip(is_ows);
            arg = cursor.value();
        }

        // sf-dictionary parameters carry nothing the cache uses.
        cursor.skip(is_ows);
        if cursor.peek() == Some(b';') {
            cursor.skip_member();
        }

        cursor.skip(is_ows);
        if !cursor.done() && cursor.peek() != Some(b',') {
            arg = Arg::Malformed;
            cursor.skip_member();
        }
        if arg == Arg::Malformed {
            broken = true;
        }
        list.push(Member { name, arg });
    }
    (list, broken)
}

/// A position in one field line.
struct Cursor<'a> {
    line: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn done(&self) -> bool {
        self.at >= self.line.len()
    }

    fn peek(&self) -> Option<u8> {
        self.line.get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let hit = self.peek() == Some(byte);
        if hit {
            self.at += 1;
        }
        hit
    }

    fn skip(&mut self, class: impl Fn(u8) -> bool) {
        while self.peek().is_some_and(&class) {
            self.at += 1;
        }
    }

    fn take(&mut self, class: impl Fn(u8) -> bool) -> &'a [u8] {
        let start = self.at;
        self.skip(class);
        &self.line[start..self.at]
    }

    /// A token-ish value (anything up to a delimiter, so sf-booleans like `?1` and sf
    /// integers like `-1` survive to be judged by the directive) or a quoted-string.
    fn value(&mut self) -> Arg<'a> {
        if self.peek() != Some(b'"') {
            let text = self.take(|b| !matches!(b, b',' | b';' | b'"') && !is_ows(b));
            return if text.is_empty() {
                Arg::Malformed
            } else {
                Arg::Token(text)
            };
        }

        // quoted-string (RFC 9110 §5.6.4), with quoted-pair escapes removed.
        self.at += 1;
        let mut text = Vec::new();
        while let Some(byte) = self.peek() {
            self.at += 1;
            match byte {
                b'"' => return Arg::Quoted(text),
                b'\\' => match self.peek() {
                    Some(escaped) => {
                        text.push(escaped);
                        self.at += 1;
                    }
                    None => break,
                },
                _ => text.push(byte),
            }
        }
        Arg::Malformed
    }

    /// Skips to the next comma that is not inside a quoted-string.
    fn skip_member(&mut self) {
        let mut quoted = false;
        while let Some(byte) = self.peek() {
            match byte {
                b',' if !quoted => return,
                b'"' => quoted = !quoted,
                b'\\' if quoted => self.at += 1,
                _ => {}
            }
            self.at += 1;
        }
    }
}

fn is_ows(byte: u8) -> bool {
    byte == b' ' || byte == b'\t'
}

/// tchar (RFC 9110 §5.6.2).
fn is_tchar(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn headers(name: &str, lines: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        let name = HeaderName::from_bytes(name.as_bytes()).expect("test name");
        for line in lines {
            map.append(&name, HeaderValue::from_str(line).expect("test value"));
        }
        map
    }

    fn cc(lines: &[&str]) -> CacheControl {
        parse(&headers("cache-control", lines))
    }

    fn cdn(lines: &[&str]) -> Option<CacheControl> {
        parse_cdn(&headers("cdn-cache-control", lines))
    }

    fn secs(n: u64) -> Directive<Duration> {
        Directive::Valid(Duration::from_secs(n))
    }

    fn fields(names: &[&str]) -> NoCache {
        let names = names
            .iter()
            .map(|n| HeaderName::from_bytes(n.as_bytes()).expect("name"));
        NoCache::Fields(names.collect())
    }

    #[test]
    fn no_field_means_nothing_set() {
        assert_eq!(parse(&HeaderMap::new()), CacheControl::default());
        assert_eq!(cc(&[""]), CacheControl::default());
    }

    #[test]
    fn typical_origin_response() {
        let parsed = cc(&["public, max-age=3600, s-maxage=600, must-revalidate"]);
        assert!(parsed.public);
        assert!(parsed.must_revalidate);
        assert_eq!(parsed.max_age, secs(3600));
        assert_eq!(parsed.s_maxage, secs(600));
        assert!(!parsed.no_store);
        assert_eq!(parsed.no_cache, NoCache::Absent);
    }

    #[test]
    fn names_are_case_insensitive_and_whitespace_tolerated() {
        let parsed = cc(&["  NO-STORE ,Max-Age = 60 ,\tPrivate  "]);
        assert!(parsed.no_store);
        assert_eq!(parsed.max_age, secs(60));
        assert_eq!(parsed.private, NoCache::All);
    }

    #[test]
    fn all_field_lines_are_combined() {
        // RFC 9110 §5.3: several lines are one comma-separated list.
        let parsed = cc(&["max-age=60", "no-transform", "stale-if-error=300"]);
        assert_eq!(parsed.max_age, secs(60));
        assert!(parsed.no_transform);
        assert_eq!(parsed.stale_if_error, secs(300));
    }

    #[test]
    fn empty_list_elements_are_ignored() {
        // RFC 9110 §5.6.1: recipients accept empty elements.
        let parsed = cc(&[",, max-age=5 ,, immutable,"]);
        assert_eq!(parsed.max_age, secs(5));
        assert!(parsed.immutable);
    }

    #[test]
    fn malformed_delta_seconds_are_invalid() {
        // RFC 9111 §1.2.2: delta-seconds = 1*DIGIT.
        for line in [
            "max-age=abc",
            "max-age=-1",
            "max-age=1.5",
            "max-age=",
            "max-age",
            "max-age=\"\"",
            "max-age=\" 60\"",
            "max-age=+5",
            "max-age=0x10",
            "max-age=\"60",
        ] {
            assert_eq!(cc(&[line]).max_age, Directive::Invalid, "{line}");
        }
    }

    #[test]
    fn quoted_delta_seconds_are_accepted() {
        // RFC 9111 §5.2: senders should not quote max-age; recipients cope when they do.
        assert_eq!(cc(&["max-age=\"60\""]).max_age, secs(60));
        assert_eq!(cc(&["s-maxage=\"0\""]).s_maxage, secs(0));
    }

    #[test]
    fn huge_delta_seconds_saturate_at_2_pow_31() {
        // RFC 9111 §1.2.2.
        assert_eq!(cc(&["max-age=2147483647"]).max_age, secs(2_147_483_647));
        assert_eq!(cc(&["max-age=2147483648"]).max_age, secs(MAX_DELTA_SECONDS));
        let huge = "max-age=99999999999999999999999999999999";
        assert_eq!(cc(&[huge]).max_age, secs(MAX_DELTA_SECONDS));
        assert_eq!(cc(&["max-age=0000000000000000000000042"]).max_age, secs(42));
    }

    #[test]
    fn duplicated_directive_with_same_value_is_kept() {
        assert_eq!(cc(&["max-age=60, max-age=60"]).max_age, secs(60));
        assert_eq!(cc(&["max-age=60", "max-age=\"60\""]).max_age, secs(60));
    }

    #[test]
    fn duplicated_directive_with_differing_values_is_invalid() {
        // RFC 9111 §4.2.1: conflicting max-age values make the response stale.
        assert_eq!(cc(&["max-age=60, max-age=120"]).max_age, Directive::Invalid);
        assert_eq!(
            cc(&["s-maxage=1", "s-maxage=2"]).s_maxage,
            Directive::Invalid
        );
        assert_eq!(cc(&["max-age=60, max-age=abc"]).max_age, Directive::Invalid);
        assert_eq!(cc(&["max-age=abc, max-age=60"]).max_age, Directive::Invalid);
    }

    #[test]
    fn unknown_directives_are_ignored() {
        // RFC 9111 §5.2.3.
        let parsed = cc(&["community=\"UCI\", foo=bar, max-age=10, x-y"]);
        assert_eq!(
            parsed,
            CacheControl {
                max_age: secs(10),
                ..CacheControl::default()
            }
        );
    }

    #[test]
    fn unqualified_and_qualified_no_cache() {
        assert_eq!(cc(&["no-cache"]).no_cache, NoCache::All);
        let qualified = cc(&["no-cache=\"Set-Cookie, foo\""]).no_cache;
        assert_eq!(qualified, fields(&["set-cookie", "foo"]));
        assert!(qualified.names(&http::header::SET_COOKIE));
        assert!(!qualified.is_all());
        // The token form, which senders should not generate (§5.2.2.4).
        assert_eq!(
            cc(&["no-cache=set-cookie"]).no_cache,
            fields(&["set-cookie"])
        );
    }

    #[test]
    fn qualified_lists_merge_and_unqualified_wins() {
        let merged = cc(&["no-cache=\"a\"", "no-cache=\"b, a\""]).no_cache;
        assert_eq!(merged, fields(&["a", "b"]));
        assert_eq!(cc(&["no-cache=\"a\", no-cache"]).no_cache, NoCache::All);
        assert_eq!(cc(&["no-cache, no-cache=\"a\""]).no_cache, NoCache::All);
    }

    #[test]
    fn unusable_field_lists_widen_to_all() {
        for line in [
            "private=\"\"",
            "private=\" , \"",
            "private=\"bad name\"",
            "private=\"a",
        ] {
            assert_eq!(cc(&[line]).private, NoCache::All, "{line}");
        }
    }

    #[test]
    fn qualified_private() {
        let parsed = cc(&["private=\"Set-Cookie\", max-age=60"]);
        assert_eq!(parsed.private, fields(&["set-cookie"]));
        assert_eq!(parsed.max_age, secs(60));
    }

    #[test]
    fn quoted_argument_may_contain_commas_and_escapes() {
        let parsed = cc(&["no-cache=\"a,\\b\", max-age=7"]);
        assert_eq!(parsed.no_cache, fields(&["a", "b"]));
        assert_eq!(parsed.max_age, secs(7));
    }

    #[test]
    fn request_directives() {
        let parsed = cc(&["max-stale, min-fresh=30, only-if-cached, no-cache"]);
        assert_eq!(parsed.max_stale, Directive::Valid(None));
        assert_eq!(parsed.min_fresh, secs(30));
        assert!(parsed.only_if_cached);
        assert_eq!(parsed.no_cache, NoCache::All);

        let bounded = cc(&["max-stale=120"]).max_stale;
        assert_eq!(bounded, Directive::Valid(Some(Duration::from_secs(120))));
        assert_eq!(cc(&["max-stale=x"]).max_stale, Directive::Invalid);
        assert_eq!(
            cc(&["max-stale, max-stale=5"]).max_stale,
            Directive::Invalid
        );
    }

    #[test]
    fn rfc5861_extensions() {
        let parsed = cc(&["max-age=600, stale-while-revalidate=30, stale-if-error=86400"]);
        assert_eq!(parsed.stale_while_revalidate, secs(30));
        assert_eq!(parsed.stale_if_error, secs(86_400));
        assert_eq!(
            cc(&["stale-while-revalidate"]).stale_while_revalidate,
            Directive::Invalid
        );
    }

    #[test]
    fn flags_and_their_arguments() {
        let all = cc(&["must-understand, no-store, proxy-revalidate, no-transform, immutable"]);
        assert!(all.must_understand && all.no_store && all.proxy_revalidate);
        assert!(all.no_transform && all.immutable);

        // Restrictive directives count even with a stray argument; permissive ones do not.
        let stray = cc(&["no-store=yes, public=yes, immutable=1"]);
        assert!(stray.no_store);
        assert!(!stray.public);
        assert!(!stray.immutable);
    }

    #[test]
    fn text_after_a_value_makes_that_member_malformed() {
        let parsed = cc(&["max-age=60 30, public"]);
        assert_eq!(parsed.max_age, Directive::Invalid);
        assert!(parsed.public);
    }

    #[test]
    fn unterminated_quote_stays_within_its_line() {
        let parsed = cc(&["no-cache=\"set-cookie", "max-age=60"]);
        assert_eq!(parsed.no_cache, NoCache::All);
        assert_eq!(parsed.max_age, secs(60));
    }

    #[test]
    fn obs_text_does_not_panic() {
        let mut map = HeaderMap::new();
        let raw = HeaderValue::from_bytes(b"max-age=6\xff0, no-cache=\"\xfe\"").expect("obs-text");
        map.insert(CACHE_CONTROL, raw);
        let parsed = parse(&map);
        assert_eq!(parsed.max_age, Directive::Invalid);
        assert_eq!(parsed.no_cache, NoCache::All);
    }

    #[test]
    fn parse_named_reads_any_field() {
        let map = headers("surrogate-control", &["max-age=99"]);
        assert_eq!(parse_named(&map, "surrogate-control").max_age, secs(99));
        assert_eq!(parse_named(&map, "Surrogate-Control").max_age, secs(99));
        assert_eq!(parse(&map), CacheControl::default());
    }

    #[test]
    fn cdn_cache_control_absent_is_none() {
        assert_eq!(parse_cdn(&headers("cache-control", &["max-age=1"])), None);
    }

    #[test]
    fn cdn_cache_control_accepts_cache_control_syntax() {
        let parsed = cdn(&["max-age=60, no-store"]).expect("present");
        assert_eq!(parsed.max_age, secs(60));
        assert!(parsed.no_store);
    }

    #[test]
    fn cdn_cache_control_accepts_sf_dictionary_forms() {
        // RFC 9213 §2.1: booleans, integers, strings; parameters are ignored.
        let parsed = cdn(&["max-age=60;x=1, no-store=?1, private=?0"]).expect("present");
        assert_eq!(parsed.max_age, secs(60));
        assert!(parsed.no_store);
        assert_eq!(parsed.private, NoCache::Absent);

        let strings = cdn(&["no-cache=\"set-cookie\", public=?1"]).expect("present");
        assert_eq!(strings.no_cache, fields(&["set-cookie"]));
        assert!(strings.public);

        assert!(!cdn(&["no-store=?0"]).expect("present").no_store);
    }

    #[test]
    fn cdn_cache_control_empty_or_broken_is_ignored() {
        // RFC 9213 §2.1: an empty field or a parsing error means the field is ignored.
        let broken = [
            &[""][..],
            &[" , "],
            &["max-age=60, \"x\""],
            &["no-cache=\"a"],
            &["a b"],
        ];
        for lines in broken {
            assert_eq!(cdn(lines), None, "{lines:?}");
        }
        // A directive name nobody registered is still well-formed (RFC 9213 §3.1's `none`).
        assert_eq!(cdn(&["none"]), Some(CacheControl::default()));
    }

    #[test]
    fn cdn_cache_control_invalid_value_is_parsed_not_ignored() {
        let parsed = cdn(&["max-age=1.5"]).expect("present");
        assert_eq!(parsed.max_age, Directive::Invalid);
    }

    #[test]
    fn pragma_no_cache_without_cache_control() {
        // RFC 9111 §5.4.
        let parsed = parse_request(&headers("pragma", &["No-Cache"]));
        assert_eq!(parsed.no_cache, NoCache::All);
        let listed = parse_request(&headers("pragma", &["foo, no-cache"]));
        assert_eq!(listed.no_cache, NoCache::All);
        let other = parse_request(&headers("pragma", &["foo"]));
        assert_eq!(other.no_cache, NoCache::Absent);
    }

    #[test]
    fn pragma_is_ignored_when_cache_control_is_present() {
        let mut map = headers("pragma", &["no-cache"]);
        map.insert(CACHE_CONTROL, HeaderValue::from_static("max-stale"));
        let parsed = parse_request(&map);
        assert_eq!(parsed.no_cache, NoCache::Absent);
        assert_eq!(parsed.max_stale, Directive::Valid(None));
    }

    #[test]
    fn directive_helpers() {
        assert!(!Directive::<u8>::Absent.is_present());
        assert!(Directive::<u8>::Invalid.is_present());
        assert_eq!(Directive::Valid(3).valid(), Some(&3));
        assert_eq!(Directive::<u8>::Invalid.valid(), None);
    }

    #[test]
    fn parse_delta_seconds_edges() {
        assert_eq!(parse_delta_seconds(b"0"), Some(0));
        assert_eq!(parse_delta_seconds(b""), None);
        assert_eq!(parse_delta_seconds(b"1 "), None);
        let overflow = parse_delta_seconds(b"18446744073709551616");
        assert_eq!(overflow, Some(MAX_DELTA_SECONDS));
    }
}
