//! The parts of a web request a statement inspects (`FieldToMatch`) and the text
//! transformations applied to them first, as AWS WAF's JSON spells them.

use serde::Deserialize;

/// An object AWS prints as `{}` for options that carry no settings (`UriPath`, `Method`...).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

/// The part of the request a statement inspects. Exactly one key is set in AWS's JSON.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum FieldToMatch {
    /// One header, by case-insensitive name.
    SingleHeader(NamedField),
    /// One query argument, by case-insensitive name.
    SingleQueryArgument(NamedField),
    /// Every query argument value.
    AllQueryArguments(Empty),
    /// The URI path, without the query string.
    UriPath(Empty),
    /// The query string, without `?`.
    QueryString(Empty),
    /// The body as plain bytes.
    Body(BodyField),
    /// The HTTP method.
    Method(Empty),
    /// The body parsed as JSON.
    JsonBody(JsonBodyField),
    /// Request headers, filtered by a match pattern.
    Headers(HeadersField),
    /// Request cookies, filtered by a match pattern.
    Cookies(CookiesField),
    /// The header names, in arrival order, joined by `:`.
    HeaderOrder(HeaderOrderField),
    /// The TLS ClientHello's JA3 fingerprint.
    #[serde(rename = "JA3Fingerprint")]
    Ja3Fingerprint(FingerprintField),
    /// The TLS ClientHello's JA4 fingerprint.
    #[serde(rename = "JA4Fingerprint")]
    Ja4Fingerprint(FingerprintField),
    /// The URI fragment. Viewers never send fragments, so this is always the fallback.
    UriFragment(UriFragmentField),
}

/// A field chosen by name (`SingleHeader`, `SingleQueryArgument`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct NamedField {
    /// The header or argument name, matched without regard to case.
    pub name: String,
}

/// What to do when the inspected part is larger than WAF inspects.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OversizeHandling {
    /// Inspect what fits and carry on (AWS's default for the body).
    #[default]
    Continue,
    /// Treat the statement as matching.
    Match,
    /// Treat the statement as not matching.
    NoMatch,
}

/// Options for `Body`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct BodyField {
    /// What to do with bodies over the inspection limit; `CONTINUE` when absent.
    #[serde(default)]
    pub oversize_handling: Option<OversizeHandling>,
}

/// Which parts of a matched element are inspected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MatchScope {
    /// Keys and values, each inspected on its own.
    All,
    /// Keys (names) only.
    Key,
    /// Values only.
    Value,
}

/// What to do when the body is not valid JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BodyParsingFallbackBehavior {
    /// Treat the statement as matching.
    Match,
    /// Treat the statement as not matching.
    NoMatch,
    /// Inspect the body as plain text.
    EvaluateAsString,
}

/// Options for `JsonBody`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct JsonBodyField {
    /// Which elements are inspected.
    pub match_pattern: JsonMatchPattern,
    /// Keys, values or both.
    pub match_scope: MatchScope,
    /// What to do when the body does not parse; AWS evaluates what parsed when absent.
    #[serde(default)]
    pub invalid_fallback_behavior: Option<BodyParsingFallbackBehavior>,
    /// What to do with bodies over the inspection limit.
    #[serde(default)]
    pub oversize_handling: Option<OversizeHandling>,
}

/// The elements of a JSON body to inspect: all of them or those at the given pointers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct JsonMatchPattern {
    /// Inspect every element.
    #[serde(default)]
    pub all: Option<Empty>,
    /// Inspect the elements at these JSON pointers (RFC 6901), and everything under them.
    #[serde(default)]
    pub included_paths: Option<Vec<String>>,
}

/// Options for `Headers`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct HeadersField {
    /// Which headers are inspected.
    pub match_pattern: HeaderMatchPattern,
    /// Names, values or both.
    pub match_scope: MatchScope,
    /// What to do when the headers exceed 8 KB or 200 entries.
    pub oversize_handling: OversizeHandling,
}

/// Which headers `Headers` inspects. Exactly one key is set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct HeaderMatchPattern {
    /// Every header.
    #[serde(default)]
    pub all: Option<Empty>,
    /// Only headers with these names (case-insensitive).
    #[serde(default)]
    pub included_headers: Option<Vec<String>>,
    /// Every header except those with these names (case-insensitive).
    #[serde(default)]
    pub excluded_headers: Option<Vec<String>>,
}

/// Options for `Cookies`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct CookiesField {
    /// Which cookies are inspected.
    pub match_pattern: CookieMatchPattern,
    /// Names, values or both.
    pub match_scope: MatchScope,
    /// What to do when the cookies exceed 8 KB or 200 entries.
    pub oversize_handling: OversizeHandling,
}

/// Which cookies `Cookies` inspects. Exactly one key is set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct CookieMatchPattern {
    /// Every cookie.
    #[serde(default)]
    pub all: Option<Empty>,
    /// Only cookies with these names (case-sensitive, as AWS matches them).
    #[serde(default)]
    pub included_cookies: Option<Vec<String>>,
    /// Every cookie except those with these names.
    #[serde(default)]
    pub excluded_cookies: Option<Vec<String>>,
}

/// Options for `HeaderOrder`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct HeaderOrderField {
    /// What to do when the headers exceed 8 KB or 200 entries.
    pub oversize_handling: OversizeHandling,
}

/// The result a fingerprint or fragment statement takes when the value is unavailable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FallbackBehavior {
    /// Treat the statement as matching.
    Match,
    /// Treat the statement as not matching.
    NoMatch,
}

/// Options for `JA3Fingerprint` and `JA4Fingerprint`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct FingerprintField {
    /// The result when the request carries no fingerprint.
    pub fallback_behavior: FallbackBehavior,
}

/// Options for `UriFragment`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct UriFragmentField {
    /// The result when there is no fragment; no match when absent.
    #[serde(default)]
    pub fallback_behavior: Option<FallbackBehavior>,
}

/// One text transformation and its place in the chain (lowest priority runs first).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct TextTransformation {
    /// Order within the statement; unique per statement.
    pub priority: i64,
    /// The transformation.
    #[serde(rename = "Type")]
    pub kind: TransformKind,
}

/// Every text transformation AWS WAF defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TransformKind {
    /// Leave the input unchanged.
    None,
    /// Collapse runs of whitespace into one space.
    CompressWhiteSpace,
    /// Decode HTML character references.
    HtmlEntityDecode,
    /// ASCII upper case to lower case.
    Lowercase,
    /// Undo command-line obfuscation (`\`, `"`, `'`, `^`, spacing, case).
    CmdLine,
    /// Decode `%XX` escapes and `+`.
    UrlDecode,
    /// Decode standard base64.
    #[serde(rename = "BASE64_DECODE")]
    Base64Decode,
    /// Decode hexadecimal digits into bytes.
    HexDecode,
    /// Replace the input by its MD5 digest.
    #[serde(rename = "MD5")]
    Md5,
    /// Replace C-style comments with a space.
    ReplaceComments,
    /// Decode ANSI C escape sequences.
    EscapeSeqDecode,
    /// Decode SQL `0x` hex literals.
    SqlHexDecode,
    /// Decode CSS escapes.
    CssDecode,
    /// Decode JavaScript escapes.
    JsDecode,
    /// Remove `./`, `//` and resolve `../`.
    NormalizePath,
    /// `NORMALIZE_PATH` after turning `\` into `/`.
    NormalizePathWin,
    /// Remove NUL bytes.
    RemoveNulls,
    /// Replace NUL bytes with spaces.
    ReplaceNulls,
    /// Decode base64, skipping characters outside the alphabet.
    #[serde(rename = "BASE64_DECODE_EXT")]
    Base64DecodeExt,
    /// `URL_DECODE` that also decodes `%uXXXX`.
    UrlDecodeUni,
    /// Turn UTF-8 sequences into `%uXXXX`.
    #[serde(rename = "UTF8_TO_UNICODE")]
    Utf8ToUnicode,
    /// Remove every whitespace character.
    RemoveWhitespace,
    /// Remove whitespace at both ends.
    Trim,
    /// Remove whitespace at the start.
    TrimLeft,
    /// Remove whitespace at the end.
    TrimRight,
    /// Remove comment markers (`/*`, `*/`, `--`, `#`), keeping the text between them.
    RemoveCommentsChar,
    /// ASCII lower case to upper case.
    Uppercase,
    /// Replace the input by its SHA-256 digest.
    #[serde(rename = "SHA256")]
    Sha256,
    /// Windows command-line normalisation (accepted by the parser, refused by validation).
    CmdLineWin,
    /// Unix command-line normalisation (accepted by the parser, refused by validation).
    CmdLineUnix,
    /// Extended JavaScript decoding (accepted by the parser, refused by validation).
    JsDecodeExt,
}

impl TransformKind {
    /// Whether Verge implements this transformation. AWS documents the API names of a few
    /// recent types without their exact semantics; ACLs using them are refused, not guessed.
    pub fn is_supported(self) -> bool {
        !matches!(
            self,
            Self::CmdLineWin | Self::CmdLineUnix | Self::JsDecodeExt
        )
    }
}
