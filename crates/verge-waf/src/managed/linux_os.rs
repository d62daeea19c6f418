//! `AWSManagedRulesLinuxRuleSet`: local file inclusion of Linux system files (`/etc/passwd`,
//! `/proc/self/environ`, logs, keys) in the URI path, the query string and headers.

use serde_json::Value;

use super::build::{
    self, PatternSet, Rule, URL_PATH, block, header_values, patterns, query_string, uri_path,
};

/// The group's name.
pub(crate) const NAME: &str = "AWSManagedRulesLinuxRuleSet";
const NAMESPACE: &str = "awswaf:managed:aws:linux-os:";

/// Linux files that reveal accounts, secrets, the environment or the system, matched after
/// decoding and path normalisation (so `/etc/./passwd` and `..\..\etc\passwd` count).
const LINUX_FILES: PatternSet = PatternSet {
    name: "verge-aws-linux-files",
    patterns: &[
        r"\betc/(?:passwd|shadow|g?shadow-?|group|hosts|hostname|issue|crontab|sudoers|master\.passwd|security/(?:passwd|opasswd)|ssh/sshd?_config|my\.cnf|mysql/my\.cnf|php\.ini|php/[\d.]+/\w+/php\.ini|nginx/nginx\.conf|apache2/apache2\.conf|httpd/conf/httpd\.conf|resolv\.conf|fstab|motd|profile|bashrc|environment|os-release|lsb-release|redhat-release|debian_version|aliases|inittab|network/interfaces|ld\.so\.preload|pam\.d/|cron\.d/|shells|passwd-)(?:$|[^\w.-])",
        r"\bproc/(?:self|\d+|thread-self)/(?:environ|cmdline|fd|maps|mem|status|cwd|exe|root|mounts|stat|loginuid|cgroup)\b",
        r"\bproc/(?:version|cpuinfo|meminfo|mounts|net/(?:tcp6?|udp6?|arp|route|fib_trie)|sched_debug|partitions|kcore|cmdline)\b",
        r"\bvar/log/(?:auth\.log|syslog|messages|secure|apache2?/|httpd/|nginx/|mail\.log|wtmp|lastlog|btmp|dmesg|kern\.log)",
        r"\bvar/run/secrets/|\bvar/lib/mysql/|\brun/secrets/|\bvar/lib/php\d*/sess(?:ions)?/|/sess_[a-z0-9]{6,}\b",
        r"\b(?:root|home/[^/\s]+)/\.(?:ssh|bash_history|bashrc|zsh_history|aws|docker|kube|git-credentials|netrc|pgpass|mysql_history)\b",
        r"\.ssh/(?:id_(?:rsa|dsa|ecdsa|ed25519)|authorized_keys|known_hosts)\b",
        r"\bboot/grub2?/grub\.cfg\b",
        r"\busr/local/etc/(?:php\.ini|nginx/nginx\.conf|apache2\d*/httpd\.conf)",
    ],
};

/// The regex pattern sets this group references.
pub(crate) const PATTERN_SETS: &[PatternSet] = &[LINUX_FILES];

/// The group as AWS-format JSON.
pub(crate) fn group() -> Value {
    let files = |field| patterns(LINUX_FILES, field, URL_PATH);
    let rules: Vec<Rule> = vec![
        block("LFI_URIPATH", "LFI_URIPath", files(uri_path())),
        block("LFI_QUERYSTRING", "LFI_QueryString", files(query_string())),
        block("LFI_HEADER", "LFI_Header", files(header_values())),
    ];
    build::group(
        NAME,
        NAMESPACE,
        "Verge's implementation of AWS's Linux operating system rule group",
        rules,
    )
}
