//! Metrics of polling and delivery: a [`MetricsRecorder`] port that the poll runner and the
//! deliverer report to, and [`Metrics`], the local mode's recorder, rendered as Prometheus text
//! (exposition format 0.0.4) on `GET /metrics`. The AWS functions can implement the same port
//! with CloudWatch EMF log lines.
//!
//! Written by hand rather than with an exporter crate: it is five series and two fixed-bucket
//! histograms, and the text format is a few lines of formatting.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// The Content-Type of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// How one resource's poll ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollOutcome {
    Ok,
    Error,
}

/// How one delivery attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    Delivered,
    /// Failed, and a retry is scheduled.
    Failed,
    /// Failed for good: no attempts left, or the receiver answered 410 Gone.
    Dead,
}

/// Where the poll runner and the deliverer report what they did.
pub trait MetricsRecorder: Send + Sync {
    /// New events one poll of `resource` enqueued (0 still makes the series exist).
    fn events_found(&self, element: &str, resource: &str, count: u64);
    /// One resource polled, and how long it took.
    fn poll(&self, outcome: PollOutcome, duration: Duration);
    /// One delivery attempt, and how long the attempt took.
    fn delivery(&self, outcome: DeliveryOutcome, latency: Duration);
}

/// Upper bounds (seconds) of the poll duration buckets: a page is ~0.1 s, a big resource minutes.
const POLL_BUCKETS: &[f64] = &[0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0];
/// Upper bounds (seconds) of the delivery latency buckets: a receiver's answer, up to its timeout.
const DELIVERY_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The local mode's recorder: counters and histograms in memory, shared as an `Arc<Metrics>`.
pub struct Metrics {
    /// Keyed by (element, resource); a BTreeMap so the rendering is in a stable order.
    events_found: Mutex<BTreeMap<(String, String), u64>>,
    delivered: AtomicU64,
    failed: AtomicU64,
    dead: AtomicU64,
    polls_ok: AtomicU64,
    polls_error: AtomicU64,
    poll_duration: Histogram,
    delivery_latency: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        Self {
            events_found: Mutex::new(BTreeMap::new()),
            delivered: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            dead: AtomicU64::new(0),
            polls_ok: AtomicU64::new(0),
            polls_error: AtomicU64::new(0),
            poll_duration: Histogram::new(POLL_BUCKETS),
            delivery_latency: Histogram::new(DELIVERY_BUCKETS),
        }
    }

    /// Everything recorded so far, in the Prometheus text exposition format 0.0.4.
    pub fn render(&self) -> String {
        let mut out = String::new();
        header(
            &mut out,
            "pollhook_events_found_total",
            "New events found by polls.",
            "counter",
        );
        {
            let found = self
                .events_found
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            for ((element, resource), count) in found.iter() {
                let _ = writeln!(
                    out,
                    "pollhook_events_found_total{{element=\"{}\",resource=\"{}\"}} {count}",
                    escape(element),
                    escape(resource)
                );
            }
        }
        for (name, help, value) in [
            (
                "pollhook_notifications_delivered_total",
                "Notifications a callback accepted (2xx).",
                &self.delivered,
            ),
            (
                "pollhook_notifications_failed_total",
                "Delivery attempts that failed and will be retried.",
                &self.failed,
            ),
            (
                "pollhook_notifications_dead_total",
                "Notifications given up on (attempts exhausted or 410 Gone).",
                &self.dead,
            ),
        ] {
            header(&mut out, name, help, "counter");
            let _ = writeln!(out, "{name} {}", value.load(Ordering::Relaxed));
        }
        header(
            &mut out,
            "pollhook_polls_total",
            "Resources polled, by outcome.",
            "counter",
        );
        for (outcome, value) in [("ok", &self.polls_ok), ("error", &self.polls_error)] {
            let _ = writeln!(
                out,
                "pollhook_polls_total{{outcome=\"{outcome}\"}} {}",
                value.load(Ordering::Relaxed)
            );
        }
        self.poll_duration.render(
            &mut out,
            "pollhook_poll_duration_seconds",
            "Time to poll one resource.",
        );
        self.delivery_latency.render(
            &mut out,
            "pollhook_delivery_latency_seconds",
            "Time of one delivery attempt.",
        );
        out
    }
}

impl MetricsRecorder for Metrics {
    fn events_found(&self, element: &str, resource: &str, count: u64) {
        let mut found = self
            .events_found
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *found
            .entry((element.to_owned(), resource.to_owned()))
            .or_default() += count;
    }

    fn poll(&self, outcome: PollOutcome, duration: Duration) {
        let counter = match outcome {
            PollOutcome::Ok => &self.polls_ok,
            PollOutcome::Error => &self.polls_error,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        self.poll_duration.observe(duration);
    }

    fn delivery(&self, outcome: DeliveryOutcome, latency: Duration) {
        let counter = match outcome {
            DeliveryOutcome::Delivered => &self.delivered,
            DeliveryOutcome::Failed => &self.failed,
            DeliveryOutcome::Dead => &self.dead,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        self.delivery_latency.observe(latency);
    }
}

/// A histogram over fixed buckets. The sum is kept in whole microseconds so it needs no lock
/// and renders without float drift; a scrape racing an observation may see it half-counted.
struct Histogram {
    bounds: &'static [f64],
    /// Observations per bucket, not cumulative; the last one is +Inf.
    buckets: Vec<AtomicU64>,
    sum_micros: AtomicU64,
    count: AtomicU64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Self {
        Self {
            bounds,
            buckets: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum_micros: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }

    fn observe(&self, value: Duration) {
        let seconds = value.as_secs_f64();
        let index = self
            .bounds
            .iter()
            .position(|&bound| seconds <= bound)
            .unwrap_or(self.bounds.len());
        if let Some(bucket) = self.buckets.get(index) {
            bucket.fetch_add(1, Ordering::Relaxed);
        }
        let micros = u64::try_from(value.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        header(out, name, help, "histogram");
        let mut cumulative = 0;
        let labels = self
            .bounds
            .iter()
            .map(|bound| bound.to_string())
            .chain(std::iter::once("+Inf".to_owned()));
        for (le, bucket) in labels.zip(&self.buckets) {
            cumulative += bucket.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{le}\"}} {cumulative}");
        }
        // Lossy only past 2^53 µs (285 years of summed time).
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum {sum}");
        let _ = writeln!(out, "{name}_count {}", self.count.load(Ordering::Relaxed));
    }
}

fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A label value as the text format wants it: backslash, double quote and newline escaped.
fn escape(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            '"' => escaped.push_str("\\\""),
            '\n' => escaped.push_str("\\n"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_recorded_values_in_the_text_format() {
        let m = Metrics::new();
        m.events_found("sagecrm", "accounts", 3);
        m.events_found("sagecrm", "accounts", 2);
        m.events_found("http", "odd\"na\\me\n", 0);
        m.poll(PollOutcome::Ok, Duration::from_millis(80));
        m.poll(PollOutcome::Error, Duration::from_secs(400));
        m.delivery(DeliveryOutcome::Delivered, Duration::from_millis(20));
        m.delivery(DeliveryOutcome::Failed, Duration::from_millis(250));
        m.delivery(DeliveryOutcome::Dead, Duration::from_micros(1500));
        let want = r#"# HELP pollhook_events_found_total New events found by polls.
# TYPE pollhook_events_found_total counter
pollhook_events_found_total{element="http",resource="odd\"na\\me\n"} 0
pollhook_events_found_total{element="sagecrm",resource="accounts"} 5
# HELP pollhook_notifications_delivered_total Notifications a callback accepted (2xx).
# TYPE pollhook_notifications_delivered_total counter
pollhook_notifications_delivered_total 1
# HELP pollhook_notifications_failed_total Delivery attempts that failed and will be retried.
# TYPE pollhook_notifications_failed_total counter
pollhook_notifications_failed_total 1
# HELP pollhook_notifications_dead_total Notifications given up on (attempts exhausted or 410 Gone).
# TYPE pollhook_notifications_dead_total counter
pollhook_notifications_dead_total 1
# HELP pollhook_polls_total Resources polled, by outcome.
# TYPE pollhook_polls_total counter
pollhook_polls_total{outcome="ok"} 1
pollhook_polls_total{outcome="error"} 1
# HELP pollhook_poll_duration_seconds Time to poll one resource.
# TYPE pollhook_poll_duration_seconds histogram
pollhook_poll_duration_seconds_bucket{le="0.05"} 0
pollhook_poll_duration_seconds_bucket{le="0.1"} 1
pollhook_poll_duration_seconds_bucket{le="0.25"} 1
pollhook_poll_duration_seconds_bucket{le="0.5"} 1
pollhook_poll_duration_seconds_bucket{le="1"} 1
pollhook_poll_duration_seconds_bucket{le="2.5"} 1
pollhook_poll_duration_seconds_bucket{le="5"} 1
pollhook_poll_duration_seconds_bucket{le="10"} 1
pollhook_poll_duration_seconds_bucket{le="30"} 1
pollhook_poll_duration_seconds_bucket{le="60"} 1
pollhook_poll_duration_seconds_bucket{le="300"} 1
pollhook_poll_duration_seconds_bucket{le="+Inf"} 2
pollhook_poll_duration_seconds_sum 400.08
pollhook_poll_duration_seconds_count 2
# HELP pollhook_delivery_latency_seconds Time of one delivery attempt.
# TYPE pollhook_delivery_latency_seconds histogram
pollhook_delivery_latency_seconds_bucket{le="0.005"} 1
pollhook_delivery_latency_seconds_bucket{le="0.01"} 1
pollhook_delivery_latency_seconds_bucket{le="0.025"} 2
pollhook_delivery_latency_seconds_bucket{le="0.05"} 2
pollhook_delivery_latency_seconds_bucket{le="0.1"} 2
pollhook_delivery_latency_seconds_bucket{le="0.25"} 3
pollhook_delivery_latency_seconds_bucket{le="0.5"} 3
pollhook_delivery_latency_seconds_bucket{le="1"} 3
pollhook_delivery_latency_seconds_bucket{le="2.5"} 3
pollhook_delivery_latency_seconds_bucket{le="5"} 3
pollhook_delivery_latency_seconds_bucket{le="10"} 3
pollhook_delivery_latency_seconds_bucket{le="30"} 3
pollhook_delivery_latency_seconds_bucket{le="+Inf"} 3
pollhook_delivery_latency_seconds_sum 0.2715
pollhook_delivery_latency_seconds_count 3
"#;
        assert_eq!(m.render(), want);
    }

    #[test]
    fn nothing_recorded_still_renders_every_family_at_zero() {
        let text = Metrics::new().render();
        assert!(text.contains("pollhook_notifications_delivered_total 0\n"));
        assert!(text.contains("pollhook_polls_total{outcome=\"error\"} 0\n"));
        assert!(text.contains("pollhook_poll_duration_seconds_count 0\n"));
        assert!(text.contains("# TYPE pollhook_events_found_total counter\n"));
    }

    #[test]
    fn a_value_on_a_bound_falls_in_that_bucket() {
        let m = Metrics::new();
        m.delivery(DeliveryOutcome::Delivered, Duration::from_millis(100));
        let text = m.render();
        assert!(text.contains("pollhook_delivery_latency_seconds_bucket{le=\"0.05\"} 0\n"));
        assert!(text.contains("pollhook_delivery_latency_seconds_bucket{le=\"0.1\"} 1\n"));
    }
}
