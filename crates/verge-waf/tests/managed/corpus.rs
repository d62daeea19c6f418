//! Reads the request corpus (`tests/corpus/*.txt`, format in `tests/corpus/README.md`).

use verge_waf::Request;

/// The headers every corpus request starts with: a desktop browser's.
const DEFAULT_HEADERS: &[(&str, &str)] = &[
    ("Host", "www.example.com"),
    (
        "User-Agent",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
         Chrome/124.0.0.0 Safari/537.36",
    ),
    (
        "Accept",
        "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
    ),
    ("Accept-Language", "en-US,en;q=0.9"),
];

/// One corpus request.
pub struct Entry {
    /// The first word after `%%`.
    pub category: String,
    /// The rest of the `%%` line.
    pub description: String,
    /// The 1-based line of the `%%` marker.
    pub line: usize,
    /// The request.
    pub request: Request,
}

/// Loads `tests/corpus/<name>`.
pub fn load(name: &str) -> Vec<Entry> {
    let path = format!("{}/tests/corpus/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    parse(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Parses a corpus file.
pub fn parse(text: &str) -> Result<Vec<Entry>, String> {
    let lines: Vec<&str> = text.split('\n').collect();
    let starts: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].starts_with("%%"))
        .collect();
    let mut entries = Vec::with_capacity(starts.len());
    for (n, &start) in starts.iter().enumerate() {
        let end = starts.get(n + 1).copied().unwrap_or(lines.len());
        let entry =
            entry(&lines[start..end], start + 1).map_err(|e| format!("line {}: {e}", start + 1))?;
        entries.push(entry);
    }
    Ok(entries)
}

fn entry(lines: &[&str], line: usize) -> Result<Entry, String> {
    let marker = lines[0].trim_start_matches('%').trim();
    let (category, description) = marker.split_once(' ').unwrap_or((marker, ""));
    if category.is_empty() {
        return Err("the %% line needs a category".to_owned());
    }
    let mut rest = lines[1..].iter();
    let request_line = rest
        .by_ref()
        .find(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .ok_or("no request line")?;
    let (method, target) = request_line
        .split_once(' ')
        .ok_or("the request line needs a method and a target")?;
    let target = target
        .trim_end_matches(" HTTP/1.1")
        .trim_end_matches(" HTTP/2");
    let (path, query) = target.split_once('?').unwrap_or((target, ""));

    let mut headers: Vec<(String, String)> = DEFAULT_HEADERS
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    for header in rest.by_ref() {
        if header.trim().is_empty() {
            break;
        }
        if header.starts_with('#') {
            continue;
        }
        if let Some(name) = header.strip_prefix('-') {
            headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name.trim()));
            continue;
        }
        let (name, value) = header
            .split_once(':')
            .ok_or_else(|| format!("{header:?} is not a header line"))?;
        let value = value.trim();
        match headers
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some(existing) => existing.1 = value.to_owned(),
            None => headers.push((name.to_owned(), value.to_owned())),
        }
    }
    let body_lines: Vec<&str> = rest.copied().collect();
    let body = body_lines.join("\n");
    let body = body.trim_end_matches('\n');

    let mut request =
        Request::new(method, path, "198.51.100.23".parse().unwrap()).with_query(query);
    for (name, value) in &headers {
        request = request.with_header(name, value);
    }
    if !body.is_empty() {
        request = request.with_body(body.as_bytes());
    }
    Ok(Entry {
        category: category.to_owned(),
        description: description.to_owned(),
        line,
        request,
    })
}

#[test]
fn parses_the_format() {
    let text = "# comment\n%% sqli one\nGET /a?b=c\nCookie: x=1\n-Accept-Language\n\n{\"k\": 1}\n\n%% ok two\nPOST /p HTTP/1.1\n\nline1\nline2\n";
    let entries = parse(text).unwrap();
    assert_eq!(entries.len(), 2);
    let first = &entries[0];
    assert_eq!((first.category.as_str(), first.line), ("sqli", 2));
    assert_eq!(first.request.uri_path, "/a");
    assert_eq!(first.request.query_string, "b=c");
    assert_eq!(first.request.body, b"{\"k\": 1}");
    assert!(first.request.header_values("cookie").next().is_some());
    assert!(
        first
            .request
            .header_values("accept-language")
            .next()
            .is_none()
    );
    assert_eq!(entries[1].request.body, b"line1\nline2");
    assert_eq!(entries[1].request.uri_path, "/p");
}
