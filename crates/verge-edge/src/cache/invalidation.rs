//! Invalidations through the admin API, as CloudFront has them: paths (exact, or ending in
//! `*` for a prefix) and, beyond CloudFront, cache tags from the configured tag header. Each
//! is applied at once on this node and kept, with its status, for the API to report.

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
    /// Paths: `/a/b.html`, or `/a/*` for everything under `/a/`; `/*` for all.
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
        let Some((distribution, path)) = key_path(&meta.key) else {
            return false;
        };
        if distribution != self.distribution {
            return false;
        }
        let by_path = self
            .paths
            .iter()
            .any(|pattern| match pattern.strip_suffix('*') {
                Some(prefix) => path.starts_with(prefix),
                None => path == pattern,
            });
        by_path || meta.tags.iter().any(|tag| self.tags.contains(tag))
    }

    /// Whether a primary key (distribution and path) is covered by a path of this target.
    pub fn covers_primary(&self, primary: &str) -> bool {
        let Some((distribution, path)) = key_path(primary) else {
            return false;
        };
        distribution == self.distribution
            && self
                .paths
                .iter()
                .any(|pattern| match pattern.strip_suffix('*') {
                    Some(prefix) => path.starts_with(prefix),
                    None => path == pattern,
                })
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
    kept: Mutex<VecDeque<Invalidation>>,
}

impl Invalidations {
    /// Records a new invalidation in progress and returns its id.
    pub fn begin(&self, target: &Target) -> String {
        let id = format!(
            "I{}",
            crate::context::request_id()[..13].to_ascii_uppercase()
        );
        let invalidation = Invalidation {
            id: id.clone(),
            status: "InProgress",
            distribution: target.distribution.clone(),
            paths: target.paths.clone(),
            tags: target.tags.clone(),
            create_time: rfc3339(SystemTime::now()),
            removed: 0,
            duration_ms: 0,
        };
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        if kept.len() == KEPT {
            kept.pop_front();
        }
        kept.push_back(invalidation);
        id
    }

    /// Marks `id` completed.
    pub fn complete(&self, id: &str, removed: u64, duration_ms: u64) -> Option<Invalidation> {
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        let invalidation = kept.iter_mut().find(|i| i.id == id)?;
        invalidation.status = "Completed";
        invalidation.removed = removed;
        invalidation.duration_ms = duration_ms;
        Some(invalidation.clone())
    }

    /// The invalidation `id`.
    pub fn get(&self, id: &str) -> Option<Invalidation> {
        let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        kept.iter().find(|i| i.id == id).cloned()
    }

    /// The most recent invalidations, newest first.
    pub fn recent(&self, limit: usize) -> Vec<Invalidation> {
        let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        kept.iter().rev().take(limit).cloned().collect()
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
