//! `AWSManagedRulesPHPRuleSet`: PHP code injection in headers, the query string and the body:
//! high-risk functions, superglobals, stream wrappers, PHP-CGI option injection and
//! serialized objects.

use serde_json::Value;

use super::build::{
    self, PatternSet, Rule, URL_LC, URL2_LC, block, body, header_values, patterns, query_string,
};

/// The group's name.
pub(crate) const NAME: &str = "AWSManagedRulesPHPRuleSet";
const NAMESPACE: &str = "awswaf:managed:aws:php-app:";

/// PHP that only an injection puts in a request, in lower case (PHP's function names are
/// case-insensitive).
const PHP: PatternSet = PatternSet {
    name: "verge-aws-php-high-risk",
    patterns: &[
        r"\b(?:fsockopen|pfsockopen|shell_exec|passthru|proc_open|popen|pcntl_exec|php_uname|phpinfo|posix_\w+|create_function|call_user_func(?:_array)?|base64_decode|gzinflate|gzuncompress|str_rot13|move_uploaded_file|highlight_file|show_source|file_put_contents|file_get_contents|ini_set|putenv|assert_options)\s*\(",
        r"\b(?:system|exec|eval|assert|passthru)\s*\(\s*(?:\$_|\$\w+\s*\)|base64_decode|gzinflate|str_rot13|['\x22][^'\x22]{0,40}\b(?:cat|ls|id|whoami|uname|wget|curl|nc|bash|sh)\b)",
        r"\$_(?:get|post|request|cookie|server|files|env|session)\b|\$globals\s*\[|\$http_raw_post_data\b",
        r"<\?(?:php\b|=)",
        r"\b(?:php|phar|expect|glob|zlib|compress\.zlib|ssh2\.\w+)://|\bdata://\w+/\w+",
        r"-d\s*\+?(?:allow_url_include|auto_prepend_file|auto_append_file|safe_mode|open_basedir|disable_functions)\b",
        r"\b(?:allow_url_include|auto_prepend_file|auto_append_file)\s*=",
        r"\bo:\d+:\x22[\w\\]+\x22:\d+:\{",
        r"\bchr\s*\(\s*\d+\s*\)\s*\.\s*chr\s*\(",
        r"\bpreg_replace\s*\(\s*['\x22][^'\x22]{0,100}/e['\x22]",
    ],
};

/// The regex pattern sets this group references.
pub(crate) const PATTERN_SETS: &[PatternSet] = &[PHP];

/// The group as AWS-format JSON.
pub(crate) fn group() -> Value {
    let rules: Vec<Rule> = vec![
        block(
            "PHPHighRiskMethodsVariables_HEADER",
            "PHPHighRiskMethodsVariables_Header",
            patterns(PHP, header_values(), URL_LC),
        ),
        block(
            "PHPHighRiskMethodsVariables_QUERYSTRING",
            "PHPHighRiskMethodsVariables_QueryString",
            patterns(PHP, query_string(), URL2_LC),
        ),
        block(
            "PHPHighRiskMethodsVariables_BODY",
            "PHPHighRiskMethodsVariables_Body",
            patterns(PHP, body(), URL_LC),
        ),
    ];
    build::group(
        NAME,
        NAMESPACE,
        "Verge's implementation of AWS's PHP application rule group",
        rules,
    )
}
