//! `AWSManagedRulesSQLiRuleSet`: SQL injection in query arguments, the body, cookies and the
//! URI path through the SQL injection statement (libinjection, `LOW`), plus extended patterns
//! that find injections anywhere in a value, where libinjection reads only its start.

use serde_json::Value;

use super::build::{
    self, PatternSet, Rule, URL_LC, URL_SQL_LC, URL2_HTML, URL2_HTML_LC, all, block, body, cookies,
    header, not, patterns, query_args, regex, sqli, uri_path,
};

/// The group's name.
pub(crate) const NAME: &str = "AWSManagedRulesSQLiRuleSet";
const NAMESPACE: &str = "awswaf:managed:aws:sql-database:";

/// Injection shapes found anywhere in a value, after comments are removed, whitespace is
/// folded and the text is lower-cased. Each needs SQL punctuation or a database-specific
/// name, so prose that merely uses words such as "select", "union" or "drop" does not match.
const EXTENDED: PatternSet = PatternSet {
    name: "verge-aws-sqli-extended",
    patterns: &[
        r"\bunion\b[\s(]+(?:all\s+|distinct\s+)?\(?\s*select\b",
        r"['\x22`)]\s*(?:(?:or|and|xor)\b|\|\||&&)\s*\(?\s*['\x22`]?[\w@.]*['\x22`]?\s*(?:=|<>|!=|<=?|>=?|\blike\b|\bregexp\b|\bbetween\b)",
        r"['`)]\s*(?:(?:or|and|xor)\b|\|\||&&)\s*(?:not\s+)?(?:true|false|null|\d+)\b\s*(?:$|--|#|/\*|;)",
        r"\b(?:or|and)\s+(\d+)\s*=\s*\d+\s*(?:$|--|#|/\*|;|\))",
        r"['\x22`)]\s*(?:--(?:[^-\w]|$)|/\*[!\s\w]|;\s*--)|['`)]\s*#(?:[^\w]|$)",
        r"['\x22`)\d]\s*;\s*(?:drop\s+(?:table|database|schema)|delete\s+from|insert\s+into|update\s+\w+\s+set\s+\w+\s*=|alter\s+table|create\s+(?:table|user|database|procedure)|truncate\s+table|exec(?:ute)?\s+(?:xp_|sp_|master\.|immediate\b|@)|declare\s+@|shutdown\b)",
        r"(?:\b(?:and|or|xor|select|then|else)|[;|&(,])\s*(?:sleep|pg_sleep|benchmark)\s*\(\s*\d",
        r"\bwaitfor\s+(?:delay|time)\s+['\x22]",
        r"\b(?:dbms_pipe\.receive_message|dbms_lock\.sleep|utl_inaddr\.get_host_\w+|utl_http\.request)\s*\(",
        r"\b(?:information_schema|sysobjects|syscolumns|sys\.tables|pg_catalog|pg_shadow|sqlite_master|mysql\.user|msysaccessobjects|all_tab_columns|user_tables)\b",
        r"\b(?:extractvalue|updatexml|load_file|group_concat|make_set|elt|exp\s*\(\s*~)\s*\(",
        r"\binto\s+(?:out|dump)file\b",
        r"\b(?:xp_cmdshell|xp_dirtree|xp_regread|sp_oacreate|sp_executesql|openrowset|opendatasource)\b",
        r"@@(?:version|datadir|hostname|basedir|servername)\b",
        r"\bchar\s*\(\s*\d+\s*(?:,\s*\d+\s*){2,}\)",
        r"\bconcat(?:_ws)?\s*\([^)]{0,60}(?:0x[0-9a-f]{2,}|char\s*\(|@@)",
        r"/\*!\d*",
        r"\border\s+by\s+\d+\s*(?:--|#|/\*|$)",
        r"\bhaving\s+\d+\s*=\s*\d+",
        r"\bcase\s+when\b[^;]{1,80}\bthen\b",
        r"['\x22`)\d]\s*;\s*select\b.{1,80}\bfrom\b",
        r"\bselect\b.{1,80}\bfrom\b.{1,80}\bwhere\b.{1,80}(?:=|\blike\b).{0,40}(?:--|#|/\*)",
    ],
};

/// What a value must contain (in lower case) before libinjection reads it: SQL punctuation
/// or a keyword that injections use without punctuation. libinjection costs microseconds a
/// value; this regex costs nanoseconds and lets words, numbers, identifiers and search prose
/// (even "black or white", `"exact phrase" AND 2024`) pass untouched.
// Limitation: a value libinjection would flag that has none of these characters or words
// (a bare `1 or 1`, say) is not read by it; the extended patterns still see it.
const SQL_GATE: &str = r"['\x60;()=<>@|&!~^\\*]|--|\b(?:union|select|sleep|benchmark|waitfor|having|exec|execute|declare)\b";

/// What a value must contain before the extended patterns read it: [`SQL_GATE`], or a
/// catalog name or `ORDER BY` probe that needs no punctuation.
const EXTENDED_GATE: &str = r"['\x60;()=<>@|&!~^\\*]|--|\b(?:union|select|sleep|benchmark|waitfor|having|exec|execute|declare|information_schema|sysobjects|syscolumns|pg_catalog|pg_shadow|sqlite_master|order\s+by)\b";

/// The SQL injection statement behind [`SQL_GATE`].
fn gated_sqli(field: fn() -> Value) -> Value {
    all(vec![
        regex(SQL_GATE, field(), URL2_HTML_LC),
        sqli(field(), URL2_HTML),
    ])
}

/// The extended patterns behind [`EXTENDED_GATE`].
fn extended(field: fn() -> Value) -> Value {
    all(vec![
        regex(EXTENDED_GATE, field(), URL2_HTML_LC),
        patterns(EXTENDED, field(), URL_SQL_LC),
    ])
}

/// The regex pattern sets this group references.
pub(crate) const PATTERN_SETS: &[PatternSet] = &[EXTENDED];

/// The group as AWS-format JSON.
pub(crate) fn group() -> Value {
    let rules: Vec<Rule> = vec![
        block(
            "SQLi_QUERYARGUMENTS",
            "SQLi_QueryArguments",
            gated_sqli(query_args),
        ),
        block(
            "SQLiExtendedPatterns_QUERYARGUMENTS",
            "SQLiExtendedPatterns_QueryArguments",
            extended(query_args),
        ),
        // Limitation: libinjection reads the start of the whole body, so an injection late in
        // a form body is found only by the extended patterns; JSON bodies (every string
        // quoted, `#` colours, prose) go to the extended patterns only, so a client that
        // labels a form body as JSON skips libinjection.
        block(
            "SQLi_BODY",
            "SQLi_Body",
            all(vec![
                not(regex("json", header("content-type"), URL_LC)),
                gated_sqli(body),
            ]),
        ),
        block(
            "SQLiExtendedPatterns_BODY",
            "SQLiExtendedPatterns_Body",
            extended(body),
        ),
        block("SQLi_COOKIE", "SQLi_Cookie", gated_sqli(cookies)),
        block(
            "SQLi_URIPATH",
            "SQLi_URIPath",
            build::any(vec![gated_sqli(uri_path), extended(uri_path)]),
        ),
    ];
    build::group(
        NAME,
        NAMESPACE,
        "Verge's implementation of AWS's SQL database rule group",
        rules,
    )
}
