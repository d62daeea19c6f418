//! Reading a TOML configuration: parse once keeping spans, deserialize each section and each
//! list element on its own so one run reports every error, then place every error at its
//! file, line and column.

use std::ops::Range;
use std::path::Path;

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use crate::error::{ConfigError, ConfigErrors};
use crate::model::Config;
use crate::validate::{Problem, validate};

const SECTIONS: &[&str] = &[
    "node",
    "listeners",
    "certificates",
    "limits",
    "geo",
    "logging",
    "cache",
    "cache_policies",
    "tiers",
    "origin_request_policies",
    "response_headers_policies",
    "waf",
    "functions",
    "key_value_stores",
    "distributions",
];

/// Reads, parses and validates a configuration file.
pub fn load_file(path: &Path) -> Result<Config, ConfigErrors> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| ConfigErrors::single(path, format!("cannot read file: {error}")))?;
    parse_str(&text, path)
}

/// Parses and validates configuration text; `file` is only used in error messages.
pub fn parse_str(text: &str, file: &Path) -> Result<Config, ConfigErrors> {
    let place = Placer { text, file };
    let root = DeTable::parse(text).map_err(|error| {
        ConfigErrors(vec![place.error(
            error.span(),
            "",
            error.message().trim(),
            None,
        )])
    })?;

    let mut config = Config::default();
    let mut errors = Vec::new();
    for (key, value) in root.get_ref().iter() {
        let name: &str = key.get_ref();
        let result = match name {
            "node" => one(value, name, &place).map(|v| config.node = v),
            "limits" => one(value, name, &place).map(|v| config.limits = v),
            "geo" => one(value, name, &place).map(|v| config.geo = v),
            "logging" => one(value, name, &place).map(|v| config.logging = v),
            "cache" => one(value, name, &place).map(|v| config.cache = v),
            "tiers" => one(value, name, &place).map(|v| config.tiers = v),
            "waf" => one(value, name, &place).map(|v| config.waf = v),
            "cache_policies" => named(value, name, &place, &mut config.cache_policies),
            "functions" => named(value, name, &place, &mut config.functions),
            "key_value_stores" => named(value, name, &place, &mut config.key_value_stores),
            "listeners" => list(value, name, &place, &mut config.listeners),
            "certificates" => list(value, name, &place, &mut config.certificates),
            "distributions" => list(value, name, &place, &mut config.distributions),
            "origin_request_policies" => {
                named(value, name, &place, &mut config.origin_request_policies)
            }
            "response_headers_policies" => {
                named(value, name, &place, &mut config.response_headers_policies)
            }
            other => Err(vec![place.error(
                Some(key.span()),
                other,
                "unknown section",
                Some(format!("known sections are {}", SECTIONS.join(", "))),
            )]),
        };
        if let Err(mut found) = result {
            errors.append(&mut found);
        }
    }
    if !errors.is_empty() {
        return Err(ConfigErrors(errors));
    }

    name_function_files(&mut config);
    if let Some(base) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
        resolve_paths(&mut config, base);
    }
    let problems = validate(&config);
    if problems.is_empty() {
        Ok(config)
    } else {
        let root = root.get_ref();
        Err(ConfigErrors(
            problems
                .into_iter()
                .map(|p| place.problem(root, p))
                .collect(),
        ))
    }
}

/// A cache behavior may name a `.js` file instead of a `[functions]` entry: such a file
/// becomes a function of its own, named by its path, with default limits.
pub fn name_function_files(config: &mut Config) {
    let files: Vec<String> = config
        .distributions
        .iter()
        .flat_map(|d| d.cache_behaviors.iter().chain([&d.default_cache_behavior]))
        .flat_map(|b| [b.viewer_request.as_ref(), b.viewer_response.as_ref()])
        .flatten()
        .filter(|name| name.ends_with(".js") && !config.functions.contains_key(*name))
        .cloned()
        .collect();
    for file in files {
        let function = crate::model::FunctionConfig::from_file(file.clone().into());
        config.functions.insert(file, function);
    }
}

/// Relative file paths in a configuration are relative to the file itself, so a config can
/// be validated and served from any working directory.
fn resolve_paths(config: &mut Config, base: &Path) {
    let join = |path: &mut std::path::PathBuf| {
        if path.is_relative() {
            *path = base.join(&*path);
        }
    };
    for certificate in &mut config.certificates {
        join(&mut certificate.cert);
        join(&mut certificate.key);
    }
    for distribution in &mut config.distributions {
        if let Some(acl) = distribution.web_acl.as_mut() {
            join(acl);
        }
        for origin in &mut distribution.origins {
            if let Some(ca) = origin.ca_file.as_mut() {
                join(ca);
            }
        }
    }
    for db in [config.geo.country_db.as_mut(), config.geo.asn_db.as_mut()]
        .into_iter()
        .flatten()
    {
        join(db);
    }
    if let Some(dir) = config.node.data_dir.as_mut() {
        join(dir);
    }
    let waf = &mut config.waf;
    for file in waf
        .ip_sets
        .iter_mut()
        .chain(&mut waf.regex_pattern_sets)
        .chain(&mut waf.rule_groups)
    {
        join(file);
    }
    if let Some(secret) = waf.token_secret_file.as_mut() {
        join(secret);
    }
    for feed in waf.ip_feeds.paths_mut() {
        join(feed);
    }
    if let Some(log) = waf.log.as_mut()
        && log != "stdout"
        && Path::new(log.as_str()).is_relative()
    {
        *log = base.join(log.as_str()).to_string_lossy().into_owned();
    }
    for function in config.functions.values_mut() {
        join(&mut function.file);
    }
    for import in config
        .key_value_stores
        .values_mut()
        .filter_map(|s| s.import.as_mut())
    {
        join(import);
    }
    if let Some(log) = config.logging.access_log.as_mut()
        && log != "stdout"
        && Path::new(log.as_str()).is_relative()
    {
        *log = base.join(log.as_str()).to_string_lossy().into_owned();
    }
}

fn one<T: DeserializeOwned>(
    value: &Spanned<DeValue<'_>>,
    path: &str,
    place: &Placer<'_>,
) -> Result<T, Vec<ConfigError>> {
    let deserializer = ValueDeserializer::from(value.clone());
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let inner_path = error.path().to_string();
        let full = join_path(path, &inner_path);
        let inner = error.into_inner();
        let span = inner.span().or_else(|| Some(value.span()));
        vec![place.error(span, &full, inner.message().trim(), None)]
    })
}

fn list<T: DeserializeOwned>(
    value: &Spanned<DeValue<'_>>,
    path: &str,
    place: &Placer<'_>,
    out: &mut Vec<T>,
) -> Result<(), Vec<ConfigError>> {
    let DeValue::Array(items) = value.get_ref() else {
        let hint = format!("write each entry as [[{path}]]");
        return Err(vec![place.error(
            Some(value.span()),
            path,
            "expected a list",
            Some(hint),
        )]);
    };
    let mut errors = Vec::new();
    for (index, item) in items.iter().enumerate() {
        match one(item, &format!("{path}[{index}]"), place) {
            Ok(parsed) => out.push(parsed),
            Err(mut found) => errors.append(&mut found),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn named<T: DeserializeOwned>(
    value: &Spanned<DeValue<'_>>,
    path: &str,
    place: &Placer<'_>,
    out: &mut std::collections::BTreeMap<String, T>,
) -> Result<(), Vec<ConfigError>> {
    let DeValue::Table(entries) = value.get_ref() else {
        let hint = format!("write each entry as [{path}.<name>]");
        return Err(vec![place.error(
            Some(value.span()),
            path,
            "expected a table",
            Some(hint),
        )]);
    };
    let mut errors = Vec::new();
    for (key, item) in entries.iter() {
        let name: &str = key.get_ref();
        match one(item, &format!("{path}.{name}"), place) {
            Ok(parsed) => {
                out.insert(name.to_owned(), parsed);
            }
            Err(mut found) => errors.append(&mut found),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn join_path(prefix: &str, inner: &str) -> String {
    match inner {
        "" | "." => prefix.to_owned(),
        _ if inner.starts_with('[') => format!("{prefix}{inner}"),
        _ => format!("{prefix}.{inner}"),
    }
}

/// Turns byte spans and field paths into file positions.
struct Placer<'a> {
    text: &'a str,
    file: &'a Path,
}

impl Placer<'_> {
    fn error(
        &self,
        span: Option<Range<usize>>,
        path: &str,
        message: &str,
        hint: Option<String>,
    ) -> ConfigError {
        let (line, column) = match span {
            Some(span) => {
                let (line, column) = line_column(self.text, span.start);
                (Some(line), Some(column))
            }
            None => (None, None),
        };
        ConfigError {
            file: self.file.to_path_buf(),
            line,
            column,
            path: path.to_owned(),
            message: message.to_owned(),
            hint,
        }
    }

    fn problem(&self, root: &DeTable<'_>, problem: Problem) -> ConfigError {
        let span = locate(root, &problem.path);
        self.error(span, &problem.path, &problem.message, problem.hint)
    }
}

/// One-based line and column of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..offset.min(text.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}

/// The span of the value at a dotted path like `distributions[0].origins[1].id`, or of the
/// deepest part of it that exists.
fn locate(root: &DeTable<'_>, path: &str) -> Option<Range<usize>> {
    let mut span = None;
    let mut table = Some(root);
    let mut current: Option<&Spanned<DeValue<'_>>> = None;
    for segment in path.split('.') {
        let (key, indexes) = split_indexes(segment);
        if !key.is_empty() {
            let found = table?.iter().find(|(k, _)| {
                let name: &str = k.get_ref();
                name == key
            })?;
            span = Some(found.1.span());
            current = Some(found.1);
        }
        for index in indexes {
            let Some(DeValue::Array(items)) = current.map(Spanned::get_ref) else {
                return span;
            };
            let Some(item) = items.get(index) else {
                return span;
            };
            span = Some(item.span());
            current = Some(item);
        }
        table = match current.map(Spanned::get_ref) {
            Some(DeValue::Table(inner)) => Some(inner),
            _ => None,
        };
    }
    span
}

fn split_indexes(segment: &str) -> (&str, Vec<usize>) {
    let key_end = segment.find('[').unwrap_or(segment.len());
    let indexes = segment[key_end..]
        .split(['[', ']'])
        .filter_map(|part| part.parse().ok())
        .collect();
    (&segment[..key_end], indexes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str) -> Vec<ConfigError> {
        match parse_str(text, Path::new("verge.toml")) {
            Ok(_) => panic!("expected errors"),
            Err(errors) => errors.0,
        }
    }

    const GOOD: &str = r#"
[[distributions]]
id = "shop"
domains = ["shop.example.com"]
default_cache_behavior = { target_origin = "app" }

[[distributions.origins]]
id = "app"
domain_name = "127.0.0.1"
protocol_policy = "http-only"
http_port = 3000
"#;

    #[test]
    fn parses_a_small_config() {
        let config = parse_str(GOOD, Path::new("verge.toml")).expect("valid");
        assert_eq!(config.distributions.len(), 1);
        assert_eq!(config.distributions[0].origins[0].http_port, 3000);
    }

    #[test]
    fn syntax_error_has_line_and_column() {
        let found = errors("[node]\npop = \n");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].line, Some(2));
    }

    #[test]
    fn unknown_field_names_its_path_and_line() {
        let text = GOOD.replace("http_port = 3000", "http_port = 3000\nhttp_prot = 1");
        let found = errors(&text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].path, "distributions[0].origins[0].http_prot");
        assert!(
            found[0].message.contains("unknown field"),
            "{}",
            found[0].message
        );
        assert_eq!(found[0].line, Some(12));
    }

    #[test]
    fn reports_every_error_in_one_run() {
        let text =
            format!("{GOOD}\n[node]\npop = 5\n[bogus]\nx = 1\n[[listeners]]\naddress = \"nope\"\n");
        let found = errors(&text);
        assert_eq!(found.len(), 3, "{found:?}");
        let paths: Vec<_> = found.iter().map(|e| e.path.as_str()).collect();
        assert!(paths.contains(&"node.pop"), "{paths:?}");
        assert!(paths.contains(&"bogus"), "{paths:?}");
        assert!(paths.contains(&"listeners[0].address"), "{paths:?}");
    }

    #[test]
    fn semantic_errors_are_placed() {
        let text = GOOD.replace("target_origin = \"app\"", "target_origin = \"nope\"");
        let found = errors(&text);
        assert_eq!(
            found[0].path,
            "distributions[0].default_cache_behavior.target_origin"
        );
        assert_eq!(found[0].line, Some(5));
        assert!(
            found[0].to_string().starts_with("verge.toml:5:"),
            "{}",
            found[0]
        );
    }

    #[test]
    fn a_missing_token_secret_file_is_named() {
        let text = format!("[waf]\ntoken_secret_file = \"/nonexistent/waf.secret\"\n{GOOD}");
        let found = errors(&text);
        assert_eq!(found[0].path, "waf.token_secret_file");
        assert_eq!(found[0].line, Some(2));
        assert!(
            found[0].to_string().contains("no such file"),
            "{}",
            found[0]
        );
    }

    #[test]
    fn cache_policies_and_settings_parse() {
        let text = format!(
            "[cache]\nmemory_size = \"64MiB\"\ndisk_size = 0\ntag_header = \"Surrogate-Key\"\n\n\
             [cache_policies.assets]\nmin_ttl = \"1m\"\ndefault_ttl = \"1h\"\nmax_ttl = \"1d\"\n\
             query_strings = {{ behavior = \"whitelist\", items = [\"v\"] }}\n\
             enable_accept_encoding_gzip = true\n{}",
            GOOD.replace(
                "target_origin = \"app\" }",
                "target_origin = \"app\", cache_policy = \"assets\" }"
            )
        );
        let config = parse_str(&text, Path::new("verge.toml")).expect("valid");
        assert_eq!(config.cache.memory_size, 64 << 20);
        assert_eq!(config.cache.disk_size, 0);
        let policy = &config.cache_policies["assets"];
        assert_eq!(policy.default_ttl, std::time::Duration::from_secs(3600));
        assert_eq!(policy.query_strings.items, ["v"]);
    }

    #[test]
    fn cache_policy_errors_are_placed() {
        let text = format!(
            "[cache_policies.bad]\nmin_ttl = 60\ndefault_ttl = 10\n\
             headers = {{ behavior = \"whitelist\" }}\n{}",
            GOOD.replace(
                "target_origin = \"app\" }",
                "target_origin = \"app\", cache_policy = \"Nope\" }"
            )
        );
        let found = errors(&text);
        let paths: Vec<_> = found.iter().map(|e| e.path.as_str()).collect();
        assert!(
            paths.contains(&"cache_policies.bad.default_ttl"),
            "{paths:?}"
        );
        assert!(
            paths.contains(&"cache_policies.bad.headers.items"),
            "{paths:?}"
        );
        assert!(
            paths.contains(&"distributions[0].default_cache_behavior.cache_policy"),
            "{paths:?}"
        );
        let bad_ttl = found
            .iter()
            .find(|e| e.path == "cache_policies.bad.default_ttl")
            .expect("placed");
        assert_eq!(bad_ttl.line, Some(3));
    }

    #[test]
    fn line_column_counts_characters() {
        assert_eq!(line_column("ab\ncdé", 6), (2, 4));
        assert_eq!(line_column("", 0), (1, 1));
    }
}
