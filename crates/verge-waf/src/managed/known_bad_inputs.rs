//! `AWSManagedRulesKnownBadInputsRuleSet`: inputs that only exploits send. Java
//! deserialization and expression-language RCE (Spring4Shell, Spring Cloud Function, OGNL,
//! gadget chains), a `localhost` Host, `PROPFIND`, well-known exploitable paths, Log4Shell
//! lookups with their obfuscations, and React Server Components reference abuse.

use serde_json::Value;

use super::build::{
    self, PatternSet, RAW, Rule, URL, URL_JS_LC, URL_LC, URL_PATH_LC, URL2, URL2_LC, block, body,
    exactly, header, headers, method, patterns, query_string, regex, uri_path,
};

/// The group's name.
pub(crate) const NAME: &str = "AWSManagedRulesKnownBadInputsRuleSet";
const NAMESPACE: &str = "awswaf:managed:aws:known-bad-inputs:";

/// Java and Spring expression, OGNL and deserialization payloads. Java names are
/// case-sensitive, and so are these patterns.
const JAVA_RCE: PatternSet = PatternSet {
    name: "verge-aws-kbi-java-rce",
    patterns: &[
        // Spring4Shell (CVE-2022-22965), dotted or bracketed property paths.
        r"class\W{1,3}module\W{1,3}classLoader",
        // Spring Cloud Function routing expressions (CVE-2022-22963), SpEL and EL payloads.
        r"[sS]pring\.[cC]loud\.[fF]unction\.[rR]outing-[eE]xpression",
        r"java\.lang\.(?:Runtime|ProcessBuilder)\b",
        r"getRuntime\s*\(\s*\)\s*\.\s*exec\s*\(",
        // OGNL (Struts).
        r"@ognl\.OgnlContext@|#_?memberAccess|#context\[|@java\.lang\.Runtime@",
        // Serialized Java objects: raw, hex, and base64 of the stream header AC ED 00 05.
        r"(?-u:\xac\xed\x00\x05)",
        r"[aA][cC][eE][dD]0005",
        r"rO0AB",
        // Gadget classes of deserialization chains and JSON polymorphic typing.
        r"org\.apache\.commons\.collections[0-9]*\.functors\.\w+Transformer",
        r"com\.sun\.org\.apache\.xalan\.internal\.xsltc\.trax\.TemplatesImpl",
        r"com\.sun\.rowset\.JdbcRowSetImpl|javax\.management\.BadAttributeValueExpException",
        r"org\.codehaus\.groovy\.runtime\.(?:ConvertedClosure|MethodClosure)",
        r"@type\x22\s*:\s*\x22(?:com\.sun|org\.apache|java\.|javax\.|com\.mchange|bsh\.)",
        r"<(?:java\.lang\.ProcessBuilder|dynamic-proxy|java\.beans\.XMLDecoder)\b",
    ],
};

/// Log4j lookups (CVE-2021-44228 and follow-ups) and the usual ways of hiding `jndi`, in
/// lower case (Log4j reads lookup names without regard to case).
const LOG4J: PatternSet = PatternSet {
    name: "verge-aws-kbi-log4j",
    patterns: &[
        r"\$\{[\s\x00]*jndi[\s\x00]*:",
        // A lookup inside a lookup: `${${lower:j}ndi:`, `${${::-j}${::-n}di:`.
        r"\$\{[^}]{0,64}\$\{",
        // Lookups that only attacks use in a request.
        r"\$\{[\s\x00]*(?:lower|upper|::-|env|sys|date|ctx|k8s|main|marker|bundle|java|jvmrunargs|log4j|spring|docker|web|base64|event|sd|map)[\s\x00]*:",
        r"jndi[\s\x00]*:[\s\x00]*(?:ldaps?|rmi|dns|nis|iiop|corba|nds|https?)[\s\x00]*:",
    ],
};

/// Paths of administration consoles, source control, secrets and known vulnerable scripts,
/// after normalisation and in lower case.
const EXPLOITABLE_PATHS: PatternSet = PatternSet {
    name: "verge-aws-kbi-exploitable-paths",
    patterns: &[
        r"/(?:web|meta)-inf(?:/|$)",
        r"/\.(?:git|svn|hg|bzr|aws|ssh|docker|kube)(?:/|$)",
        r"/(?:server-status|server-info|jmx-console|web-console|invoker/(?:jmxinvokerservlet|ejbinvokerservlet)|manager/html|host-manager/html|axis2?/axis2-admin|solr/admin/cores|hnap1)(?:/|$)",
        r"/actuator/(?:env|heapdump|threaddump|jolokia|gateway|logfile|shutdown|restart|configprops)(?:/|$)",
        r"/(?:phpunit/(?:phpunit/)?src/util/php/eval-stdin\.php|_ignition/execute-solution|boaform/admin/formlogin)",
        r"/(?:wp-config\.php|config\.php\.bak|\.env\.(?:local|production|backup))$",
    ],
};

/// React Server Components payloads that walk prototypes through Flight references
/// (CVE-2025-55182).
const REACT_RSC: &str = r"\$[0-9a-fA-F]*@?[0-9a-fA-F]*:(?:__proto__|constructor|prototype)\b";

/// `localhost` and loopback addresses in the Host header.
const LOCALHOST: &str = r"(?i)^\s*(?:localhost(?:\.localdomain)?|127(?:\.\d{1,3}){3}|\[?0*:(?:0*:)*0*1\]?|0\.0\.0\.0|0x7f0{5}1|2130706433)\.?(?::\d+)?\s*$";

/// The regex pattern sets this group references.
pub(crate) const PATTERN_SETS: &[PatternSet] = &[JAVA_RCE, LOG4J, EXPLOITABLE_PATHS];

/// The group as AWS-format JSON.
pub(crate) fn group() -> Value {
    let java = |field| patterns(JAVA_RCE, field, URL2);
    let log4j = |field, chain| patterns(LOG4J, field, chain);
    let rules: Vec<Rule> = vec![
        block(
            "JavaDeserializationRCE_HEADER",
            "JavaDeserializationRCE_Header",
            patterns(JAVA_RCE, headers(), URL),
        ),
        block(
            "JavaDeserializationRCE_BODY",
            "JavaDeserializationRCE_Body",
            java(body()),
        ),
        block(
            "JavaDeserializationRCE_URIPATH",
            "JavaDeserializationRCE_URIPath",
            java(uri_path()),
        ),
        block(
            "JavaDeserializationRCE_QUERYSTRING",
            "JavaDeserializationRCE_QueryString",
            java(query_string()),
        ),
        block(
            "Host_localhost_HEADER",
            "Host_Localhost_Header",
            regex(LOCALHOST, header("host"), RAW),
        ),
        block(
            "PROPFIND_METHOD",
            "Propfind_Method",
            exactly("PROPFIND", method(), &["UPPERCASE"]),
        ),
        block(
            "ExploitablePaths_URIPATH",
            "ExploitablePaths_URIPath",
            patterns(EXPLOITABLE_PATHS, uri_path(), URL_PATH_LC),
        ),
        block(
            "Log4JRCE_HEADER",
            "Log4JRCE_Header",
            log4j(headers(), URL_LC),
        ),
        block(
            "Log4JRCE_QUERYSTRING",
            "Log4JRCE_QueryString",
            log4j(query_string(), URL2_LC),
        ),
        block("Log4JRCE_BODY", "Log4JRCE_Body", log4j(body(), URL_JS_LC)),
        block(
            "Log4JRCE_URIPATH",
            "Log4JRCE_URIPath",
            log4j(uri_path(), URL2_LC),
        ),
        block(
            "ReactJSRCE_BODY",
            "ReactJSRCE_Body",
            regex(REACT_RSC, body(), URL),
        ),
    ];
    build::group(
        NAME,
        NAMESPACE,
        "Verge's implementation of AWS's known bad inputs rule group",
        rules,
    )
}
