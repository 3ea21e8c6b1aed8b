//! Instances already parsed, by id, each with the stored row it came from. Validating a spec's
//! resources (date patterns, URL templates, CEQL) and opening its sealed secrets was most of an
//! API read's CPU; a read whose row is identical to the cached one reuses that work. Every read
//! still fetches the row, and any other row is parsed anew, so no read can be served stale.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use lru::LruCache;

use crate::instance::Instance;

/// Instances kept. A parsed Sage CRM seed instance with its row takes about 100 KB, so this
/// bounds the cache near 25 MiB; a large table read at random simply misses and parses, as it
/// would without the cache.
const CAPACITY: NonZeroUsize = match NonZeroUsize::new(256) {
    Some(n) => n,
    None => panic!("capacity is not zero"),
};

/// The parse of one stored row; `R` is the row's raw columns, compared whole.
pub(super) struct ParsedInstances<R> {
    entries: Mutex<LruCache<i64, Arc<(R, Instance)>>>,
}

impl<R: PartialEq> ParsedInstances<R> {
    pub(super) fn new() -> Self {
        Self::with_capacity(CAPACITY)
    }

    fn with_capacity(capacity: NonZeroUsize) -> Self {
        Self {
            entries: Mutex::new(LruCache::new(capacity)),
        }
    }

    /// The instance of `row`: the cached parse when the cached row for `id` is equal to it,
    /// else `parse(row)`, which is then cached (a point read: the API reading one instance).
    pub(super) fn get_or_parse<E>(
        &self,
        id: i64,
        row: R,
        parse: impl FnOnce(&R) -> Result<Instance, E>,
    ) -> Result<Instance, E> {
        if let Some(instance) = self.cached(id, &row) {
            return Ok(instance);
        }
        let instance = parse(&row)?;
        if let Ok(mut entries) = self.entries.lock() {
            entries.put(id, Arc::new((row, instance.clone())));
        }
        Ok(instance)
    }

    /// As [`get_or_parse`](Self::get_or_parse) but caching nothing new: for listings, so the
    /// scheduler reading every instance does not push the API's hot set out.
    pub(super) fn lookup_or_parse<E>(
        &self,
        id: i64,
        row: R,
        parse: impl FnOnce(&R) -> Result<Instance, E>,
    ) -> Result<Instance, E> {
        match self.cached(id, &row) {
            Some(instance) => Ok(instance),
            None => parse(&row),
        }
    }

    fn cached(&self, id: i64, row: &R) -> Option<Instance> {
        let entry = self
            .entries
            .lock()
            .ok()
            .and_then(|mut entries| entries.get(&id).cloned())?;
        (entry.0 == *row).then(|| entry.1.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instance::{InstanceId, InstanceSpec};
    use chrono::Utc;
    use serde_json::json;

    fn instance(id: u64, name: &str) -> Instance {
        let body = json!({
            "element": {"key": "sagecrm"},
            "name": name,
            "configuration": {
                "subdomain": "crm.example.com", "username": "u", "password": "p",
                "event.notification.enabled": true,
                "event.notification.callback.url": "https://hooks.example.com/in",
                "event.poller.configuration": {"accounts": {"url": "/hubs/crm/accounts"}}
            }
        });
        Instance {
            id: InstanceId(id),
            organization_id: "acme".into(),
            spec: InstanceSpec::from_body(&body).expect("valid"),
            token_digest: [0; 32],
            created_date: Utc::now(),
            updated_date: Utc::now(),
        }
    }

    #[test]
    fn an_equal_row_reuses_the_parse_and_a_changed_row_is_parsed_again() {
        let cache = ParsedInstances::<String>::new();
        let parses = std::cell::Cell::new(0);
        let read = |row: &str| {
            cache
                .get_or_parse(1, row.to_owned(), |r| {
                    parses.set(parses.get() + 1);
                    Ok::<_, ()>(instance(1, r))
                })
                .expect("parse")
        };
        assert_eq!(read("first").spec.name, "first");
        assert_eq!(read("first").spec.name, "first");
        assert_eq!(read("second").spec.name, "second");
        assert_eq!(read("first").spec.name, "first");
        assert_eq!(
            parses.get(),
            3,
            "only the repeated equal row is served from the cache"
        );
    }

    #[test]
    fn a_failed_parse_is_not_cached_and_the_least_recent_entry_leaves_first() {
        let cache = ParsedInstances::<String>::with_capacity(NonZeroUsize::MIN.saturating_add(1));
        let failed = cache.get_or_parse(1, "bad".to_owned(), |_| Err("corrupt"));
        assert_eq!(failed.err(), Some("corrupt"));
        for id in [1, 2, 3] {
            cache
                .get_or_parse(id, format!("row {id}"), |r| {
                    Ok::<_, ()>(instance(id as u64, r))
                })
                .expect("parse");
        }
        let listed = cache.lookup_or_parse(4, "row 4".to_owned(), |r| Ok::<_, ()>(instance(4, r)));
        assert_eq!(listed.map(|i| i.id), Ok(InstanceId(4)));
        let entries = cache.entries.lock().expect("lock");
        assert_eq!(entries.len(), 2, "a listed instance is not cached");
        assert!(!entries.contains(&1), "the oldest entry is evicted");
        assert_eq!(
            entries.peek(&3).map(|e| e.1.id),
            Some(InstanceId(3)),
            "entries are keyed by instance id"
        );
    }
}
