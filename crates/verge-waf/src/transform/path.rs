//! `NORMALIZE_PATH` and `NORMALIZE_PATH_WIN`: collapse repeated slashes, drop `./`, resolve
//! `../` (never above the root of an absolute path), keep a trailing slash.

/// Normalises a path; with `windows`, backslashes count as slashes first.
pub(super) fn normalize(input: &[u8], windows: bool) -> Option<Vec<u8>> {
    let converted;
    let path: &[u8] = if windows && input.contains(&b'\\') {
        converted = input
            .iter()
            .map(|&b| if b == b'\\' { b'/' } else { b })
            .collect::<Vec<u8>>();
        &converted
    } else {
        input
    };
    if path.is_empty() {
        return None;
    }
    // A converted path differs from the input even when it is already normal.
    if path.as_ptr() == input.as_ptr() && is_normal(path) {
        return None;
    }

    let absolute = path.first() == Some(&b'/');
    let mut segments: Vec<&[u8]> = Vec::new();
    for segment in path.split(|&b| b == b'/') {
        match segment {
            b"" | b"." => {}
            b".." => {
                if segments.last().is_some_and(|s| *s != b"..") {
                    segments.pop();
                } else if !absolute {
                    segments.push(segment);
                }
            }
            _ => segments.push(segment),
        }
    }

    let last = path.rsplit(|&b| b == b'/').next().unwrap_or_default();
    let trailing = path.ends_with(b"/") || last == b"." || last == b"..";
    let mut out = Vec::with_capacity(path.len());
    if absolute {
        out.push(b'/');
    }
    for (i, segment) in segments.iter().enumerate() {
        if i > 0 {
            out.push(b'/');
        }
        out.extend_from_slice(segment);
    }
    if trailing && !segments.is_empty() {
        out.push(b'/');
    }
    (out != input).then_some(out)
}

/// Whether normalising changes nothing, checked without allocating: no `//` and no `.` or
/// `..` segment (a leading and a trailing `/` are kept as they are).
fn is_normal(path: &[u8]) -> bool {
    memchr::memmem::find(path, b"//").is_none()
        && !path
            .split(|&b| b == b'/')
            .any(|segment| segment == b"." || segment == b"..")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> String {
        let out = normalize(s.as_bytes(), false).unwrap_or_else(|| s.as_bytes().to_vec());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn resolves_dots_and_slashes() {
        assert_eq!(n("/a/b/../c"), "/a/c");
        assert_eq!(n("/a/./b//c/"), "/a/b/c/");
        assert_eq!(n("/../../etc/passwd"), "/etc/passwd");
        assert_eq!(n("a/../../b"), "../b");
        assert_eq!(n("/a/b/.."), "/a/");
        assert_eq!(n("/a/."), "/a/");
        assert_eq!(n("/"), "/");
        assert_eq!(n("//"), "/");
        assert_eq!(n("/.."), "/");
        assert_eq!(normalize(b"/already/clean", false), None);
    }

    #[test]
    fn clean_paths_are_left_alone() {
        for clean in [
            "/a/b",
            "/a/b/",
            "a/b",
            "/",
            "a",
            "/a.b/..c/...",
            "/.well-known/x",
        ] {
            assert_eq!(normalize(clean.as_bytes(), false), None, "{clean}");
            assert_eq!(normalize(clean.as_bytes(), true), None, "{clean}");
        }
        for dirty in ["/a//b", "/a/./b", "./a", "a/..", ".", "..", "/a/."] {
            assert!(normalize(dirty.as_bytes(), false).is_some(), "{dirty}");
        }
        assert!(normalize(br"\a\b", true).is_some());
    }

    #[test]
    fn windows_backslashes() {
        let out = normalize(br"C:\a\..\windows\\system32", true).unwrap();
        assert_eq!(out, b"C:/windows/system32");
        assert_eq!(normalize(br"\a\b", false), None);
    }
}
