//! `FieldToMatch` checks: names present, exactly one match pattern, list sizes, JSON pointers.

use super::field::FieldToMatch;
use super::validate::Validator;

/// Checks one field to match.
pub(crate) fn field(v: &mut Validator, path: &str, field: &FieldToMatch) {
    match field {
        FieldToMatch::SingleHeader(f) => {
            if f.name.is_empty() || f.name.len() > 64 {
                v.push(
                    &format!("{path}.SingleHeader.Name"),
                    "the header name must be 1–64 characters",
                );
            }
        }
        FieldToMatch::SingleQueryArgument(f) => {
            if f.name.is_empty() || f.name.len() > 64 {
                v.push(
                    &format!("{path}.SingleQueryArgument.Name"),
                    "the argument name must be 1–64 characters",
                );
            }
        }
        FieldToMatch::Headers(f) => {
            let p = &f.match_pattern;
            let lists = [p.included_headers.as_deref(), p.excluded_headers.as_deref()];
            pattern(
                v,
                &format!("{path}.Headers.MatchPattern"),
                p.all.is_some(),
                lists,
            );
        }
        FieldToMatch::Cookies(f) => {
            let p = &f.match_pattern;
            let lists = [p.included_cookies.as_deref(), p.excluded_cookies.as_deref()];
            pattern(
                v,
                &format!("{path}.Cookies.MatchPattern"),
                p.all.is_some(),
                lists,
            );
        }
        FieldToMatch::JsonBody(f) => {
            let p = &f.match_pattern;
            let mp = format!("{path}.JsonBody.MatchPattern");
            pattern(v, &mp, p.all.is_some(), [p.included_paths.as_deref(), None]);
            for (i, pointer) in p.included_paths.iter().flatten().enumerate() {
                if !pointer.is_empty() && !pointer.starts_with('/') {
                    v.push(
                        &format!("{mp}.IncludedPaths[{i}]"),
                        format!(
                            "{pointer:?} is not a JSON pointer: it must be empty or start with /"
                        ),
                    );
                }
            }
        }
        FieldToMatch::AllQueryArguments(_)
        | FieldToMatch::UriPath(_)
        | FieldToMatch::QueryString(_)
        | FieldToMatch::Body(_)
        | FieldToMatch::Method(_)
        | FieldToMatch::HeaderOrder(_)
        | FieldToMatch::Ja3Fingerprint(_)
        | FieldToMatch::Ja4Fingerprint(_)
        | FieldToMatch::UriFragment(_) => {}
    }
}

fn pattern(v: &mut Validator, path: &str, all: bool, lists: [Option<&[String]>; 2]) {
    let set = usize::from(all) + lists.iter().filter(|l| l.is_some()).count();
    if set != 1 {
        v.push(
            path,
            "set exactly one of All and the included or excluded list",
        );
    }
    for list in lists.into_iter().flatten() {
        if !(1..=199).contains(&list.len()) {
            v.push(path, "a match pattern list needs 1–199 entries");
        }
        if list.iter().any(String::is_empty) {
            v.push(path, "a match pattern list contains an empty name");
        }
    }
}
