//! `AWSManagedRulesUnixRuleSet`: command injection for POSIX shells in the query string, the
//! body and headers: chained commands, `$IFS` and `$HOME`-style variables, shell paths,
//! reverse shells, download-and-run, Shellshock.

use serde_json::Value;

use super::build::{
    self, PatternSet, Rule, URL, URL_CMD, URL2, block, body, header_values, patterns, query_string,
};

/// The group's name.
pub(crate) const NAME: &str = "AWSManagedRulesUnixRuleSet";
const NAMESPACE: &str = "awswaf:managed:aws:posix-os:";

/// A command after a shell separator (`;`, `|`, `&&`, `$(`, a backtick or a newline) that
/// takes an argument or ends the value. Commands are matched in lower case only: shells are
/// case-sensitive, and prose capitalises.
const AFTER_SEPARATOR: &str = r"(?:[;|`\n\r]|&&|\$\()\s*(?:(?:/usr)?/s?bin/)?(?:cat|tac|nl|echo|printf|id|whoami|uname|ls|wget|curl|nc|ncat|netcat|socat|telnet|bash|sh|zsh|dash|ksh|csh|python[23]?|perl|ruby|php|lua|chmod|chown|rm|kill|pkill|ping|nslookup|dig|sleep|ifconfig|env|printenv|pwd|ps|base64|tftp|busybox|crontab|mkfifo|awk|sed|nohup|useradd|passwd|head|tail|more|less|find|uptime|hostname|netstat|lsof|xxd|xargs|exec|eval)(?:$|[;&`)<>$\n{]|\s+[-/$.~'\x22\d\\*])";

/// The same after a separator a body uses for prose and Markdown (no backtick).
const AFTER_SEPARATOR_BODY: &str = r"(?:[;|\n\r]|&&|\$\()\s*(?:(?:/usr)?/s?bin/)?(?:cat|tac|echo|id|whoami|uname|ls|wget|curl|nc|ncat|netcat|socat|bash|sh|zsh|python[23]?|perl|ruby|php|chmod|rm|ping|nslookup|sleep|ifconfig|printenv|base64|busybox|crontab|mkfifo|nohup|useradd|passwd|xxd)(?:$|[;&)<>$\n{]|\s+[-/$.~'\x22\d\\*])";

/// Shell syntax in the query string and headers: chained commands, and constructs that need
/// no separator to be recognised (variables, shell paths, reverse shells, Shellshock).
const SHELL: PatternSet = PatternSet {
    name: "verge-aws-posix-shell",
    patterns: &[
        AFTER_SEPARATOR,
        r"(?:[;|`\n]|&&|\$\()\s*(?:wget|curl|fetch|lwp-download|tftp)\s",
        r"\$\{?IFS\b",
        r"\b(?:echo|printf|print|cat|ls|cd|export|env)\s+['\x22]?\$\{?(?:HOME|PATH|SHELL|USER|PWD|HOSTNAME|UID|LOGNAME|BASH_VERSION|IFS)\b",
        r"/bin/(?:ba|z|da|k|c|tc|fi)?sh\b|/usr/bin/(?:env|id|whoami|python[23]?|perl|ruby|php|nc|ncat|wget|curl|base64)\b|/bin/busybox\b",
        r"/dev/(?:tcp|udp)/",
        r"\b(?:nc|ncat|netcat)\b[^;|&\n]{0,40}\s-[a-z]*[ec]\s",
        r"\b(?:ba|z)?sh\s+-i\b|>&\s*/dev/|\bmkfifo\s|\bsocat\b[^;|&\n]{0,60}\bexec:",
        r"\b(?:python[23]?|perl|ruby|php|node)\s+-[a-z]*[ecr]\s+['\x22]",
        r"\b(?:wget|curl|fetch)\s[^|;\n]{0,200}\|\s*(?:ba|z|da)?sh\b",
        r"\(\s*\)\s*\{[^}]{0,20};\s*\}\s*;",
        REDIRECT,
        SENSITIVE_READ,
        r"\$\{[A-Za-z_]+:-?\d+(?::\d+)?\}",
        r"/[a-z]?\?{2,}[a-z?]*/",
    ],
};

/// Output redirected to an absolute path after a chained command.
const REDIRECT: &str = r"(?:[;|`\n]|&&)\s*[a-z]+(?:\s+[^;|&\n>]{0,80})?\s*>{1,2}\s*[/~$]";

/// Reading the password file with a pager or `cat`, wherever it appears.
const SENSITIVE_READ: &str =
    r"\b(?:cat|head|tail|more|less|nl|tac|strings)\s+/etc/(?:passwd|shadow|sudoers)\b";

/// Shell syntax in bodies: the same ideas, without the constructs Markdown and code
/// snippets use every day.
const SHELL_BODY: PatternSet = PatternSet {
    name: "verge-aws-posix-shell-body",
    patterns: &[
        AFTER_SEPARATOR_BODY,
        r"(?:[;|\n]|&&|\$\()\s*(?:wget|curl)\s+(?:-\S+\s+)*(?:https?|ftp)://",
        r"\$\{?IFS\b",
        r"\b(?:echo|printf|cat|ls|cd|export)\s+['\x22]?\$\{?(?:HOME|PATH|SHELL|USER|PWD|HOSTNAME|UID|LOGNAME|BASH_VERSION)\b",
        r"/bin/(?:ba|z|da|k)?sh\s+-[ic]\b|/dev/(?:tcp|udp)/",
        r"\b(?:nc|ncat|netcat)\b[^;|&\n]{0,40}\s-[a-z]*e\s",
        r"\b(?:ba|z)?sh\s+-i\b|>&\s*/dev/|\bmkfifo\s|\bsocat\b[^;|&\n]{0,60}\bexec:",
        r"\b(?:wget|curl)\s[^|;\n]{0,200}\|\s*(?:ba|z|da)?sh\b",
        r"\(\s*\)\s*\{[^}]{0,20};\s*\}\s*;",
        REDIRECT,
        SENSITIVE_READ,
    ],
};

/// Shell commands after `CMD_LINE` undid quoting tricks (`c'a't`, `w\ho\ami`): the text is
/// lower case, separators are spaces and no space precedes `/`.
const SHELL_CMDLINE: PatternSet = PatternSet {
    name: "verge-aws-posix-shell-cmdline",
    patterns: &[
        r"\b(?:cat|tac|nl|head|tail|more|less|strings|xxd|od|base64)\s?/(?:etc|proc|var|root|home)/",
        r"\b(?:wget|curl)\s?(?:-\S+\s)*(?:https?|ftp)://",
        r"\becho\s\$\{?(?:home|path|shell|user|ifs)\b",
        r"\b(?:nc|ncat|netcat)\s-[a-z]*e/bin/",
        r"(?:^|\s)(?:whoami|uname\s-a|ifconfig)(?:\s|$)",
    ],
};

/// The regex pattern sets this group references.
pub(crate) const PATTERN_SETS: &[PatternSet] = &[SHELL, SHELL_BODY, SHELL_CMDLINE];

/// The group as AWS-format JSON.
pub(crate) fn group() -> Value {
    let rules: Vec<Rule> = vec![
        block(
            "UNIXShellCommandsVariables_QUERYSTRING",
            "UNIXShellCommandsVariables_QueryString",
            build::any(vec![
                patterns(SHELL, query_string(), URL2),
                patterns(SHELL_CMDLINE, query_string(), URL_CMD),
            ]),
        ),
        block(
            "UNIXShellCommandsVariables_BODY",
            "UNIXShellCommandsVariables_Body",
            patterns(SHELL_BODY, body(), URL),
        ),
        block(
            "UNIXShellCommandsVariables_HEADER",
            "UNIXShellCommandsVariables_Header",
            patterns(SHELL, header_values(), URL),
        ),
    ];
    build::group(
        NAME,
        NAMESPACE,
        "Verge's implementation of AWS's POSIX operating system rule group",
        rules,
    )
}
