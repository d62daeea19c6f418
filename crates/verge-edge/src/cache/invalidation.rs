//! Invalidations through the admin API, as CloudFront has them: paths (exact, or ending in
//! `*` for a prefix, with or without a query string) and, beyond CloudFront, cache tags from
//! the configured tag header. Each is applied at once on this node and kept, with its status,
//! for the API to report and so that a response fetched before it is not stored after it.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::SystemTime;

use serde::Serialize;
use verge_cache::Meta;
use verge_cache::key::key_path;

/// Invalidations kept for reporting.
const KEPT: usize = 1000;

/// What to remove.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    /// The distribution.
    pub distribution: String,
    /// Paths: `/a/b.html`, or `/a/*` for everything under `/a/`; `/*` for all. A path
    /// without a query string covers every query string stored under it; one with a query
    /// string (`/a.jpg?size=1`, `/a.jpg?size=*`) only the versions it names.
    pub paths: Vec<String>,
    /// Cache tags.
    pub tags: Vec<String>,
}

impl Target {
    /// Checks the paths as CloudFront does: each starts with `/`, and `*` only at the end.
    pub fn check(&self) -> Result<(), String> {
        if self.paths.is_empty() && self.tags.is_empty() {
            return Err("give at least one path or tag".to_owned());
        }
        for path in &self.paths {
            if !path.starts_with('/') {
                return Err(format!("path `{path}` must start with /"));
            }
            if path.trim_end_matches('*').contains('*') {
                return Err(format!("path `{path}`: `*` is only allowed at the end"));
            }
        }
        if let Some(tag) = self.tags.iter().find(|t| t.is_empty() || t.contains(',')) {
            return Err(format!("tag `{tag}` is empty or contains a comma"));
        }
        Ok(())
    }

    /// Whether the stored object `meta` is invalidated by this target.
    pub fn matches(&self, meta: &Meta) -> bool {
        self.covers_primary(&meta.key) || meta.tags.iter().any(|tag| self.tags.contains(tag))
    }

    /// Whether a key (its distribution, path and query string) is covered by a path of this
    /// target.
    pub fn covers_primary(&self, key: &str) -> bool {
        let Some((distribution, path)) = key_path(key) else {
            return false;
        };
        if distribution != self.distribution {
            return false;
        }
        // The line after the path holds the query string the cache key kept, if any.
        let query = key
            .get(distribution.len() + path.len() + 2..)
            .and_then(|rest| rest.split('\n').next())
            .unwrap_or_default();
        self.paths
            .iter()
            .any(|pattern| path_matches(pattern, path, query))
    }
}

/// Whether `pattern` covers a key's `path` and `query`. CloudFront's invalidation paths name
/// a query string version as `/a.jpg?x=1`; a pattern without `?` covers every version.
fn path_matches(pattern: &str, path: &str, query: &str) -> bool {
    let (prefix, exact) = match pattern.strip_suffix('*') {
        Some(prefix) => (prefix, false),
        None => (pattern, true),
    };
    match prefix.split_once('?') {
        Some((pattern_path, pattern_query)) => {
            pattern_path == path
                && if exact {
                    query == pattern_query
                } else {
                    query.starts_with(pattern_query)
                }
        }
        None if exact => path == prefix,
        None => path.starts_with(prefix),
    }
}

/// An invalidation's state, as the API reports it.
#[derive(Debug, Clone, Serialize)]
pub struct Invalidation {
    /// Its id.
    pub id: String,
    /// `InProgress` or `Completed` (CloudFront's words).
    pub status: &'static str,
    /// The distribution.
    pub distribution: String,
    /// The paths asked for.
    pub paths: Vec<String>,
    /// The tags asked for.
    pub tags: Vec<String>,
    /// When it was made (RFC 3339).
    pub create_time: String,
    /// Objects removed on this node.
    pub removed: u64,
    /// Milliseconds it took to apply on this node.
    pub duration_ms: u64,
}

/// Every invalidation made since start, newest last (the oldest are forgotten past 1000).
#[derive(Debug, Default)]
pub struct Invalidations {
    kept: Mutex<VecDeque<Kept>>,
}

/// One invalidation with what it removes and when it began.
#[derive(Debug)]
struct Kept {
    invalidation: Invalidation,
    target: Target,
    begun: SystemTime,
}

impl Invalidations {
    /// Records a new invalidation in progress and returns its id. From now on,
    /// [`covers_fill`](Self::covers_fill) reports responses it covers that were requested
    /// before it.
    pub fn begin(&self, target: &Target) -> String {
        let id = format!(
            "I{}",
            crate::context::request_id()[..13].to_ascii_uppercase()
        );
        let begun = SystemTime::now();
        let invalidation = Invalidation {
            id: id.clone(),
            status: "InProgress",
            distribution: target.distribution.clone(),
            paths: target.paths.clone(),
            tags: target.tags.clone(),
            create_time: rfc3339(begun),
            removed: 0,
            duration_ms: 0,
        };
        let mut kept = self.lock();
        if kept.len() == KEPT {
            kept.pop_front();
        }
        kept.push_back(Kept {
            invalidation,
            target: target.clone(),
            begun,
        });
        id
    }

    /// Marks `id` completed.
    pub fn complete(&self, id: &str, removed: u64, duration_ms: u64) -> Option<Invalidation> {
        let mut kept = self.lock();
        let invalidation = &mut kept
            .iter_mut()
            .find(|k| k.invalidation.id == id)?
            .invalidation;
        invalidation.status = "Completed";
        invalidation.removed = removed;
        invalidation.duration_ms = duration_ms;
        Some(invalidation.clone())
    }

    /// The invalidation `id`.
    pub fn get(&self, id: &str) -> Option<Invalidation> {
        let kept = self.lock();
        kept.iter()
            .find(|k| k.invalidation.id == id)
            .map(|k| k.invalidation.clone())
    }

    /// The most recent invalidations, newest first.
    pub fn recent(&self, limit: usize) -> Vec<Invalidation> {
        let kept = self.lock();
        kept.iter()
            .rev()
            .take(limit)
            .map(|k| k.invalidation.clone())
            .collect()
    }

    /// Whether an invalidation that began after the response in `meta` was requested covers
    /// it: what the origin sent may be the very version the invalidation removes, so it must
    /// not be stored once the invalidation has run.
    pub fn covers_fill(&self, meta: &Meta) -> bool {
        let kept = self.lock();
        kept.iter()
            .rev()
            .take_while(|k| k.begun >= meta.request_time)
            .any(|k| k.target.matches(meta))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Kept>> {
        // Every change under this lock is one push, pop or field update: a panic elsewhere
        // cannot leave the list half-changed.
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn rfc3339(time: SystemTime) -> String {
    let format = time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::from(time)
        .format(&format)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn meta(key: &str, tags: &[&str]) -> Meta {
        Meta {
            key: key.to_owned(),
            status: 200,
            headers: http::HeaderMap::new(),
            request_time: SystemTime::UNIX_EPOCH,
            response_time: SystemTime::UNIX_EPOCH,
            initial_age: Duration::ZERO,
            fresh_for: Duration::from_secs(60),
            stale_while_revalidate: Duration::ZERO,
            stale_if_error: Duration::ZERO,
            must_revalidate: false,
            no_cache: false,
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            body_len: 0,
        }
    }

    #[test]
    fn paths_match_exactly_or_by_prefix() {
        let target = Target {
            distribution: "shop".to_owned(),
            paths: vec!["/img/*".to_owned(), "/index.html".to_owned()],
            tags: Vec::new(),
        };
        assert!(target.check().is_ok());
        assert!(target.matches(&meta("shop\n/img/a.png\nv=1", &[])));
        assert!(target.matches(&meta("shop\n/index.html\n", &[])));
        assert!(!target.matches(&meta("shop\n/index.html2\n", &[])));
        assert!(!target.matches(&meta("other\n/img/a.png\n", &[])));
        assert!(target.covers_primary("shop\n/img/x\n"));
    }

    #[test]
    fn a_query_string_in_the_path_names_one_version() {
        let target = Target {
            distribution: "shop".to_owned(),
            paths: vec!["/a.jpg?size=1".to_owned(), "/b.jpg?v=*".to_owned()],
            tags: Vec::new(),
        };
        assert!(target.check().is_ok());
        assert!(target.matches(&meta("shop\n/a.jpg\nsize=1", &[])));
        assert!(target.matches(&meta("shop\n/a.jpg\nsize=1\nv:lang=en", &[])));
        assert!(!target.matches(&meta("shop\n/a.jpg\nsize=10", &[])));
        assert!(!target.matches(&meta("shop\n/a.jpg\n", &[])));
        assert!(target.matches(&meta("shop\n/b.jpg\nv=2&w=3", &[])));
        assert!(!target.matches(&meta("shop\n/b.jpg\nw=3", &[])));
        assert!(!target.matches(&meta("shop\n/b.jpgx\nv=2", &[])));
    }

    #[test]
    fn only_fills_requested_before_an_invalidation_are_covered() {
        let invalidations = Invalidations::default();
        let mut before = meta("shop\n/doc\n", &[]);
        before.request_time = SystemTime::now() - Duration::from_secs(1);
        let target = Target {
            distribution: "shop".to_owned(),
            paths: vec!["/doc".to_owned()],
            tags: Vec::new(),
        };
        assert!(!invalidations.covers_fill(&before));
        invalidations.begin(&target);
        let mut after = meta("shop\n/doc\n", &[]);
        after.request_time = SystemTime::now() + Duration::from_secs(1);
        assert!(invalidations.covers_fill(&before));
        assert!(!invalidations.covers_fill(&after));
        assert!(!invalidations.covers_fill(&meta("shop\n/other\n", &[])));
    }

    #[test]
    fn tags_match_any_listed_tag() {
        let target = Target {
            distribution: "shop".to_owned(),
            paths: Vec::new(),
            tags: vec!["product-7".to_owned()],
        };
        assert!(target.matches(&meta("shop\n/p/7\n", &["list", "product-7"])));
        assert!(!target.matches(&meta("shop\n/p/8\n", &["list"])));
    }

    #[test]
    fn bad_targets_are_refused() {
        let mut target = Target {
            distribution: "shop".to_owned(),
            ..Target::default()
        };
        assert!(target.check().is_err());
        target.paths = vec!["img/*".to_owned()];
        assert!(target.check().is_err());
        target.paths = vec!["/a*b".to_owned()];
        assert!(target.check().is_err());
    }

    #[test]
    fn invalidations_report_their_status() {
        let invalidations = Invalidations::default();
        let target = Target {
            distribution: "shop".to_owned(),
            paths: vec!["/*".to_owned()],
            tags: Vec::new(),
        };
        let id = invalidations.begin(&target);
        assert_eq!(invalidations.get(&id).expect("kept").status, "InProgress");
        invalidations.complete(&id, 3, 1);
        let done = invalidations.get(&id).expect("kept");
        assert_eq!((done.status, done.removed), ("Completed", 3));
    }
}
