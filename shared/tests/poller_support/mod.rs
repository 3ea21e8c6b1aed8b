//! A scripted vendor and clock for poller tests: no network, no sleeping.

use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pollhook_core::ports::{Clock, Connector, ConnectorError, Page, PageRequest};
use serde_json::{json, Value};

/// Our clock, moved by the test.
pub struct FakeClock {
    pub now: Mutex<DateTime<Utc>>,
    pub slept: Mutex<Vec<Duration>>,
}

impl FakeClock {
    pub fn at(now: DateTime<Utc>) -> Self {
        Self {
            now: Mutex::new(now),
            slept: Mutex::new(Vec::new()),
        }
    }
    pub fn set(&self, at: DateTime<Utc>) {
        *self.now.lock().expect("clock") = at;
    }
}

#[async_trait]
impl Clock for FakeClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().expect("clock")
    }
    async fn sleep(&self, duration: Duration) {
        self.slept.lock().expect("slept").push(duration);
        let mut now = self.now.lock().expect("clock");
        *now += chrono::Duration::from_std(duration).unwrap_or_default();
    }
}

/// A vendor holding records `{id, created, updated}` (dates as `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`),
/// answering `?since=<date>` with records updated at or after it, sorted, in pages.
pub struct FakeVendor {
    pub records: Mutex<Vec<Value>>,
    pub page_size_override: Mutex<Option<usize>>,
    /// Errors to answer before the next successful pages, in order.
    pub faults: Mutex<Vec<ConnectorError>>,
    pub calls: Mutex<u32>,
}

pub const FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.3fZ";

pub fn stamp(at: DateTime<Utc>) -> String {
    at.format(FORMAT).to_string()
}

impl Default for FakeVendor {
    fn default() -> Self {
        Self::new()
    }
}

impl FakeVendor {
    pub fn new() -> Self {
        Self {
            records: Mutex::new(Vec::new()),
            page_size_override: Mutex::new(None),
            faults: Mutex::new(Vec::new()),
            calls: Mutex::new(0),
        }
    }

    /// Creates or updates record `id` at vendor time `at`.
    pub fn upsert(&self, id: u32, at: DateTime<Utc>) {
        let mut records = self.records.lock().expect("records");
        match records.iter_mut().find(|r| r["id"] == json!(id)) {
            Some(r) => r["updated"] = json!(stamp(at)),
            None => records.push(json!({"id": id, "created": stamp(at), "updated": stamp(at)})),
        }
    }
}

#[async_trait]
impl Connector for FakeVendor {
    async fn fetch_page(&self, request: &PageRequest<'_>) -> Result<Page, ConnectorError> {
        *self.calls.lock().expect("calls") += 1;
        if let Some(fault) = {
            let mut faults = self.faults.lock().expect("faults");
            (!faults.is_empty()).then(|| faults.remove(0))
        } {
            return Err(fault);
        }
        let since = request
            .url
            .split("since=")
            .nth(1)
            .and_then(|s| chrono::NaiveDateTime::parse_from_str(s, FORMAT).ok())
            .map(|n| n.and_utc())
            .ok_or_else(|| ConnectorError::MalformedPage(format!("no since in {}", request.url)))?;
        let mut matching: Vec<Value> = self
            .records
            .lock()
            .expect("records")
            .iter()
            .filter(|r| {
                r["updated"]
                    .as_str()
                    .and_then(|s| chrono::NaiveDateTime::parse_from_str(s, FORMAT).ok())
                    .is_some_and(|u| u.and_utc() >= since)
            })
            .cloned()
            .collect();
        matching.sort_by(|a, b| {
            (a["updated"].as_str(), a["id"].as_u64())
                .cmp(&(b["updated"].as_str(), b["id"].as_u64()))
        });
        let size = self
            .page_size_override
            .lock()
            .expect("size")
            .unwrap_or(request.page_size as usize)
            .max(1);
        let offset: usize = request.cursor.and_then(|c| c.parse().ok()).unwrap_or(0);
        let page: Vec<Value> = matching.iter().skip(offset).take(size).cloned().collect();
        let next = (offset + size < matching.len()).then(|| (offset + size).to_string());
        Ok(Page {
            records: page,
            next,
        })
    }
}

/// An instance body polling the fake vendor's one resource `items`.
pub fn instance_body(tolerance_secs: u64) -> Value {
    json!({
        "element": {"key": "http"},
        "name": "fake",
        "configuration": {
            "base.url": "http://127.0.0.1:9",
            "event.notification.enabled": true,
            "event.notification.callback.url": "http://127.0.0.1:9/hook",
            "event.poller.refresh_interval": 1,
            "event.poller.configuration": {
                "items": {
                    "url": "/items?since=${gmtDate:yyyy-MM-dd'T'HH:mm:ss.SSS'Z'}",
                    "idField": "id",
                    "createdCheckTolerance": tolerance_secs,
                    "datesConfiguration": {
                        "updatedDateField": "updated",
                        "updatedDateFormat": "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'",
                        "createdDateField": "created",
                        "createdDateFormat": "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"
                    }
                }
            }
        }
    })
}
