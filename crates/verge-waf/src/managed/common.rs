//! `AWSManagedRulesCommonRuleSet`, AWS's core rule set (CRS): missing and scanner user
//! agents, oversize components, EC2 instance metadata SSRF, path traversal, restricted file
//! extensions, remote file inclusion and cross-site scripting, each rule on one component.

use serde_json::Value;

use super::build::{
    self, PatternSet, RAW, Rule, URL_JS_HTML, URL_JS_HTML_LC, URL_LC, URL2, URL2_HTML,
    URL2_HTML_LC, URL2_LC, all, block, body, cookies, header, larger_than, not, patterns,
    query_args, query_string, regex, uri_path, xss,
};

/// The group's name.
pub(crate) const NAME: &str = "AWSManagedRulesCommonRuleSet";
const NAMESPACE: &str = "awswaf:managed:aws:core-rule-set:";

/// User agents of vulnerability scanners and attack tools (not crawlers: that is Bot
/// Control), matched in lower case.
const BAD_BOTS: &str = r"\b(?:nessus|nmap|nikto|sqlmap|masscan|zgrab|nuclei|wpscan|dirbuster|gobuster|feroxbuster|ffuf|wfuzz|acunetix|netsparker|w3af|havij|zmeu|openvas|arachni|jaeles|whatweb|fimap|commix|skipfish|appscan|webinspect|paros|xsser|morfeus|dirb|brutus|jorgee|libwhisker)\b";

/// The EC2 instance metadata service in the spellings URL parsers accept, in lower case.
const EC2_METADATA: PatternSet = PatternSet {
    name: "verge-aws-crs-ec2-metadata",
    patterns: &[
        r"169\.254\.169\.254",
        r"a9fe:a9fe",
        r"fd00:ec2::254",
        r"0x0*a9fea9fe",
        r"2852039166",
        r"0x0*a9\.0x0*fe\.0x0*a9\.0x0*fe",
        r"251\.0+376\.0+251\.0+376",
        r"169\.254\.43518\b|169\.16689662\b",
        r"169\.254\.170\.2\b",
        r"instance-data\b",
        r"/latest/(?:meta-data|user-data|api/token|dynamic/instance-identity)",
    ],
};

/// Path traversal in query arguments and the URI path, after decoding.
const TRAVERSAL: PatternSet = PatternSet {
    name: "verge-aws-crs-traversal",
    patterns: &[
        r"\.\.[\\/]",
        r"\.\.;[\\/]",
        r"^\.\.$|[\\/]\.\.$",
        r"(?-u:\xc0[\xae\xaf]|\xe0\x80\xae|\xc1\x9c)",
    ],
};

/// Path traversal in bodies, where one or two `../` are everyday relative links and imports:
/// three levels, or a traversal that reaches a well-known sensitive file (lower case).
const TRAVERSAL_BODY: PatternSet = PatternSet {
    name: "verge-aws-crs-traversal-body",
    patterns: &[
        r"(?:\.\.[\\/]){3,}",
        r"\.\.[\\/]+(?:[^\s\x22'<>]*[\\/])?(?:etc[\\/](?:passwd|shadow|hosts|group)|proc[\\/]self|win\.ini|boot\.ini|system32|\.ssh|id_rsa|\.aws|\.env\b|web\.config|wp-config)",
        r"(?-u:\xc0[\xae\xaf]|\xe0\x80\xae|\xc1\x9c)",
    ],
};

/// File extensions of logs, configuration, backups, databases and keys, at the end of the
/// path or of a query argument (lower case).
const RESTRICTED_EXTENSIONS: PatternSet = PatternSet {
    name: "verge-aws-crs-restricted-extensions",
    patterns: &[
        r"\.(?:log|ini|bak|backup|bck|old|orig|save|swp|swo|tmp|sql|dump|conf|cfg|config|cnf|env|htaccess|htpasswd|htdigest|passwd|pwd|inc|mdb|sqlite3?|db|dbf|pem|p12|pfx|jks|keystore|ds_store|bash_history|properties)[.\s~]*(?:$|[;?])",
        r"\.(?:env|htaccess|htpasswd|git-credentials|npmrc|pgpass|bash_history|ds_store)(?:\.\w+)?$",
        r"\.(?:php|asp|aspx|jsp|py|rb|pl|cgi)~$",
    ],
};

/// URLs whose host is an IPv4 address (dotted or as one integer), URLs ending in the `?` or
/// NUL that cut off an appended suffix, and UNC paths to an address: remote file inclusion.
const RFI: PatternSet = PatternSet {
    name: "verge-aws-crs-rfi",
    patterns: &[
        r"(?:https?|ftps?|file|gopher|dict|ldaps?|tftp|jar|sftp|smb|php|phar)://(?:[^/?#@\s]*@)?(?:\d{1,3}\.){3}\d{1,3}\b",
        r"(?:https?|ftps?)://(?:[^/?#@\s]*@)?(?:0x[0-9a-f]{8}|\d{8,10})(?:[:/?#]|$)",
        r"^(?:https?|ftps?)://[^\s?#]+\?+$",
        r"^\\\\(?:\d{1,3}\.){3}\d{1,3}\\",
        r"(?:https?|ftps?)://\S+?\x00",
    ],
};

/// Script injection libinjection's XSS check misses (lower case): `javascript:` URLs with
/// code after them, breaking out of a quoted JavaScript string, template injection.
const XSS_EXTRA: PatternSet = PatternSet {
    name: "verge-aws-crs-xss",
    patterns: &[
        r"(?:java|vb|live)script\s*:\s*(?:[\w$]+\s*[(.\[=`]|/)",
        r"['\x22`]\s*[;,)+-]\s*(?:alert|prompt|confirm|eval|print)\s*(?:\(|`)",
        r"['\x22`]\s*[;,)+-]\s*(?:document\s*\.\s*(?:cookie|location|domain|write)|window\s*\.\s*location|fetch\s*\()",
        r"</\s*script\s*>",
        r"\bon(?:error|load|mouseover|focus|toggle|animationstart|pointerover|begin|pageshow)\s*=",
        r"\{\{[^}]{0,80}(?:constructor|\$on|\$eval|alert\s*\()",
        r"\bdata\s*:\s*text/html",
    ],
};

/// What a query argument, cookie or path must contain before libinjection's XSS check
/// reads it: markup or attribute punctuation.
const XSS_GATE: &str = r"[<>\x22'\x60=]";

/// What a body must contain (in lower case) before libinjection's XSS check reads it (the
/// check walks the whole body in five HTML contexts): a tag, an event handler, a script URL
/// or a style.
const XSS_BODY_GATE: &str =
    r"<[a-z!/?]|\bon[a-z]{3,}\s*=|(?:java|vb|live)script\s*:|\b(?:style|formaction|srcdoc)\s*=";

/// Script in a body that no XML or HTML document carries innocently (lower case): script
/// elements, event handlers and script URLs inside a tag, frames.
const XSS_BODY: PatternSet = PatternSet {
    name: "verge-aws-crs-xss-body",
    patterns: &[
        r"<\s*script[\s>/]",
        r"<[a-z][^>]{0,200}?[\s/\x22']on[a-z]{3,}\s*=",
        r"<[a-z][^>]{0,200}?\b(?:href|src|action|formaction|data|xlink:href)\s*=\s*['\x22]?\s*(?:java|vb)script\s*:",
        r"<\s*(?:iframe|frame|object|embed|applet)\b",
    ],
};

/// The regex pattern sets this group references.
pub(crate) const PATTERN_SETS: &[PatternSet] = &[
    EC2_METADATA,
    TRAVERSAL,
    TRAVERSAL_BODY,
    RESTRICTED_EXTENSIONS,
    RFI,
    XSS_EXTRA,
    XSS_BODY,
];

/// Characters every cross-site scripting payload of [`XSS_EXTRA`] or libinjection needs;
/// values without any (most of them) cost one regex.
const XSS_ANY_GATE: &str = r"[<>\x22'\x60=:{]";

/// libinjection's XSS check behind [`XSS_GATE`], or the extra patterns, both behind
/// [`XSS_ANY_GATE`].
fn scripting(field: fn() -> Value) -> Value {
    all(vec![
        regex(XSS_ANY_GATE, field(), URL2_HTML),
        build::any(vec![
            all(vec![
                regex(XSS_GATE, field(), URL2_HTML),
                xss(field(), URL2_HTML),
            ]),
            patterns(XSS_EXTRA, field(), URL2_HTML_LC),
        ]),
    ])
}

/// The group as AWS-format JSON.
pub(crate) fn group() -> Value {
    let ssrf = |field| patterns(EC2_METADATA, field, URL2_LC);
    let rules: Vec<Rule> = vec![
        block(
            "NoUserAgent_HEADER",
            "NoUserAgent_Header",
            not(larger_than(header("user-agent"), 0)),
        ),
        block(
            "UserAgent_BadBots_HEADER",
            "BadBots_Header",
            regex(BAD_BOTS, header("user-agent"), URL_LC),
        ),
        block(
            "SizeRestrictions_QUERYSTRING",
            "SizeRestrictions_QueryString",
            larger_than(query_string(), 2048),
        ),
        // Limitation: each `Cookie` header is measured on its own, so HTTP/2 cookie crumbs
        // add up only if the edge joins them into one header first (RFC 9113 §8.2.3).
        block(
            "SizeRestrictions_Cookie_HEADER",
            "SizeRestrictions_Cookie_Header",
            larger_than(header("cookie"), 10_240),
        ),
        block(
            "SizeRestrictions_BODY",
            "SizeRestrictions_Body",
            larger_than(body(), 8_192),
        ),
        block(
            "SizeRestrictions_URIPATH",
            "SizeRestrictions_URIPath",
            larger_than(uri_path(), 1_024),
        ),
        block("EC2MetaDataSSRF_BODY", "EC2MetaDataSSRF_Body", ssrf(body())),
        block(
            "EC2MetaDataSSRF_COOKIE",
            "EC2MetaDataSSRF_Cookie",
            ssrf(cookies()),
        ),
        block(
            "EC2MetaDataSSRF_URIPATH",
            "EC2MetaDataSSRF_URIPath",
            ssrf(uri_path()),
        ),
        block(
            "EC2MetaDataSSRF_QUERYARGUMENTS",
            "EC2MetaDataSSRF_QueryArguments",
            ssrf(query_args()),
        ),
        block(
            "GenericLFI_QUERYARGUMENTS",
            "GenericLFI_QueryArguments",
            patterns(TRAVERSAL, query_args(), URL2),
        ),
        block(
            "GenericLFI_URIPATH",
            "GenericLFI_URIPath",
            patterns(TRAVERSAL, uri_path(), URL2),
        ),
        block(
            "GenericLFI_BODY",
            "GenericLFI_Body",
            patterns(TRAVERSAL_BODY, body(), URL2_LC),
        ),
        block(
            "RestrictedExtensions_URIPATH",
            "RestrictedExtensions_URIPath",
            patterns(RESTRICTED_EXTENSIONS, uri_path(), URL2_LC),
        ),
        block(
            "RestrictedExtensions_QUERYARGUMENTS",
            "RestrictedExtensions_QueryArguments",
            patterns(RESTRICTED_EXTENSIONS, query_args(), URL2_LC),
        ),
        block(
            "GenericRFI_QUERYARGUMENTS",
            "GenericRFI_QueryArguments",
            patterns(RFI, query_args(), URL2_LC),
        ),
        block(
            "GenericRFI_BODY",
            "GenericRFI_Body",
            patterns(RFI, body(), URL_LC),
        ),
        block(
            "GenericRFI_URIPATH",
            "GenericRFI_URIPath",
            patterns(RFI, uri_path(), URL2_LC),
        ),
        block(
            "CrossSiteScripting_COOKIE",
            "CrossSiteScripting_Cookie",
            scripting(cookies),
        ),
        block(
            "CrossSiteScripting_QUERYARGUMENTS",
            "CrossSiteScripting_QueryArguments",
            scripting(query_args),
        ),
        // Limitation: XML bodies (SOAP, feeds) are full of tags libinjection distrusts
        // (`<link>`, `xmlns`), so they get only the unambiguous patterns of `XSS_BODY`, and a
        // client that labels an HTML body as XML skips libinjection.
        block(
            "CrossSiteScripting_BODY",
            "CrossSiteScripting_Body",
            build::any(vec![
                all(vec![
                    not(regex(r"(?i)[/+]xml\b", header("content-type"), RAW)),
                    regex(XSS_BODY_GATE, body(), URL_JS_HTML_LC),
                    xss(body(), URL_JS_HTML),
                ]),
                patterns(XSS_BODY, body(), URL_JS_HTML_LC),
            ]),
        ),
        block(
            "CrossSiteScripting_URIPATH",
            "CrossSiteScripting_URIPath",
            scripting(uri_path),
        ),
    ];
    build::group(
        NAME,
        NAMESPACE,
        "Verge's implementation of AWS's core rule set (CRS)",
        rules,
    )
}
