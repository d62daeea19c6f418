//! `AWSManagedRulesWindowsRuleSet`: Windows shell (`cmd.exe`) and PowerShell command injection
//! in cookies, query arguments and the body.

use serde_json::Value;

use super::build::{
    self, PatternSet, Rule, URL_CMD, URL_LC, URL2_LC, block, body, cookies, patterns, query_args,
};

/// The group's name.
pub(crate) const NAME: &str = "AWSManagedRulesWindowsRuleSet";
const NAMESPACE: &str = "awswaf:managed:aws:windows-os:";

/// `cmd.exe` commands after a separator or opening the value, system paths and environment
/// variables, in lower case.
const WINDOWS_SHELL: PatternSet = PatternSet {
    name: "verge-aws-windows-shell",
    patterns: &[
        r"[;&|`\n]\s*(?:cmd(?:\.exe)?\s*/[ckr]\b|(?:net|net1)\s+(?:user|localgroup|view|share|use|group|accounts|session)\b|whoami(?:\.exe)?(?:\s|$|/)|ipconfig(?:\.exe)?(?:\s|$|/)|systeminfo\b|tasklist\b|taskkill\s|nslookup\s|ping\s+-n\s|type\s+[a-z]:\\|dir\s+[a-z]:\\|netstat\s+-a|findstr\s+/)",
        r"[;&|`\n]\s*(?:(?:certutil|bitsadmin|wmic|mshta|rundll32|regsvr32|schtasks|cscript|wscript)(?:\.exe)?\s|reg(?:\.exe)?\s+(?:query|add|delete|save)\s|sc\s+(?:create|config|query|start)\s)",
        r"^(?:cmd(?:\.exe)?\s*/[ckr]\b|(?:net|net1)\s+(?:user|localgroup)\b|whoami(?:\.exe)?$)",
        r"\bcmd(?:\.exe)?\s*/[ck]\s",
        r":\\+(?:windows|winnt)\\+(?:system32|syswow64|win\.ini|system\.ini|repair\\)",
        r"\\windows\\system32\\|c:\\+boot\.ini\b|c:\\+inetpub\\",
        r"%(?:windir|systemroot|comspec|systemdrive|userprofile|programfiles|allusersprofile)%",
        r"\\\\[\w.-]+\\(?:c|admin|ipc)\$",
    ],
};

/// `cmd.exe` after `CMD_LINE` removed carets and quotes (`c^m^d /c`).
const WINDOWS_CMDLINE: PatternSet = PatternSet {
    name: "verge-aws-windows-cmdline",
    patterns: &[
        r"\bcmd(?:\.exe)?/[ckr]\b",
        r"\bpowershell(?:\.exe)?\s?-(?:e|en|enc|encodedcommand|c|command|nop|noprofile|w|windowstyle|ep|exec|executionpolicy)\b",
    ],
};

/// PowerShell cmdlets, .NET calls and launch options that attacks use, in lower case.
const POWERSHELL: PatternSet = PatternSet {
    name: "verge-aws-windows-powershell",
    patterns: &[
        r"\b(?:invoke-expression|invoke-webrequest|invoke-restmethod|invoke-command|invoke-item|invoke-wmimethod|invoke-mimikatz|invoke-shellcode|start-process|start-bitstransfer|set-mppreference|add-mppreference|get-wmiobject|get-ciminstance|set-executionpolicy|new-service|new-scheduledtask\w*|register-scheduledtask)\b",
        r"\bnew-object\s+(?:-typename\s+)?(?:system\.)?net\.(?:webclient|sockets\.tcpclient)\b",
        r"\biex\s*[(\x22'$]|\b(?:iwr|irm)\s+(?:-uri\s+)?['\x22]?https?://",
        r"\.download(?:string|file|data)\s*\(",
        r"\[(?:system\.)?convert\]::frombase64string|\[(?:system\.)?text\.encoding\]::|\[(?:system\.)?reflection\.assembly\]::load",
        r"-(?:e|ec|en|enc|encodedcommand)\s+[a-z0-9+/=]{16,}",
        r"-(?:exec|executionpolicy|ep)\s+bypass\b|-w(?:indowstyle)?\s+hidden\b|-nop(?:rofile)?\s+-",
        r"\$env:(?:temp|tmp|appdata|localappdata|computername|username|userprofile|comspec|path|programdata)\b",
        r"\bpowershell(?:\.exe)?\s+-|\bpwsh(?:\.exe)?\s+-",
    ],
};

/// The regex pattern sets this group references.
pub(crate) const PATTERN_SETS: &[PatternSet] = &[WINDOWS_SHELL, WINDOWS_CMDLINE, POWERSHELL];

/// The group as AWS-format JSON.
pub(crate) fn group() -> Value {
    let shell = |field: fn() -> Value, chain| {
        build::any(vec![
            patterns(WINDOWS_SHELL, field(), chain),
            patterns(WINDOWS_CMDLINE, field(), URL_CMD),
        ])
    };
    let rules: Vec<Rule> = vec![
        block(
            "WindowsShellCommands_COOKIE",
            "WindowsShellCommands_Cookie",
            shell(cookies, URL2_LC),
        ),
        block(
            "WindowsShellCommands_QUERYARGUMENTS",
            "WindowsShellCommands_QueryArguments",
            shell(query_args, URL2_LC),
        ),
        block(
            "WindowsShellCommands_BODY",
            "WindowsShellCommands_Body",
            patterns(WINDOWS_SHELL, body(), URL_LC),
        ),
        block(
            "PowerShellCommands_COOKIE",
            "PowerShellCommands_Cookie",
            patterns(POWERSHELL, cookies(), URL2_LC),
        ),
        block(
            "PowerShellCommands_QUERYARGUMENTS",
            "PowerShellCommands_QueryArguments",
            patterns(POWERSHELL, query_args(), URL2_LC),
        ),
        block(
            "PowerShellCommands_BODY",
            "PowerShellCommands_Body",
            patterns(POWERSHELL, body(), URL_LC),
        ),
    ];
    build::group(
        NAME,
        NAMESPACE,
        "Verge's implementation of AWS's Windows operating system rule group",
        rules,
    )
}
