//! CloudWatch embedded metric format (EMF): the AWS functions' metrics recorder.
//!
//! Lambda ships stdout to CloudWatch Logs, which turns each EMF line into metric values: no
//! PutMetricData call, no extra latency or IAM permission, and the line stays searchable in
//! Logs Insights. Format: one JSON object per line, its `_aws` member saying which top-level
//! members are metrics (with units) and which are dimensions.
//! <https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>

use std::io::Write;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::metrics::{DeliveryOutcome, MetricsRecorder, PollOutcome};

/// The namespace the dashboard and alarms of template.yaml read.
pub const DEFAULT_NAMESPACE: &str = "pollhook";

/// Metric names, as infra/dashboard.json spells them (a unit test checks they agree).
pub const EVENTS_FOUND: &str = "EventsFound";
pub const POLLS: &str = "Polls";
pub const POLL_ERRORS: &str = "PollErrors";
pub const POLL_DURATION: &str = "PollDuration";
pub const NOTIFICATIONS_DELIVERED: &str = "NotificationsDelivered";
pub const NOTIFICATIONS_FAILED: &str = "NotificationsFailed";
pub const NOTIFICATIONS_DEAD: &str = "NotificationsDead";
pub const DELIVERY_LATENCY: &str = "DeliveryLatency";

/// Dimension names of [`EVENTS_FOUND`]; the other metrics have none (one series each).
pub const ELEMENT: &str = "element";
pub const RESOURCE: &str = "resource";

const COUNT: &str = "Count";
const MILLISECONDS: &str = "Milliseconds";

/// Writes one EMF line per recorded call. Each line goes out in one `write_all` under a lock,
/// so lines of concurrent tasks never interleave.
pub struct EmfRecorder {
    namespace: String,
    out: Mutex<Box<dyn Write + Send>>,
}

impl std::fmt::Debug for EmfRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EmfRecorder({})", self.namespace)
    }
}

impl Default for EmfRecorder {
    fn default() -> Self {
        Self::stdout()
    }
}

impl EmfRecorder {
    /// Lines to stdout (which Lambda sends to CloudWatch Logs), in namespace `pollhook`.
    pub fn stdout() -> Self {
        Self::to_writer(std::io::stdout())
    }

    /// Lines to `out` (a file, a buffer in tests), in namespace `pollhook`.
    pub fn to_writer(out: impl Write + Send + 'static) -> Self {
        Self {
            namespace: DEFAULT_NAMESPACE.to_owned(),
            out: Mutex::new(Box::new(out)),
        }
    }

    /// The same recorder writing into another CloudWatch namespace.
    pub fn with_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// Writes one line: `metrics` as (name, unit, value), `dimensions` as (name, value).
    fn emit(
        &self,
        dimensions: &[(&str, &str)],
        metrics: &[(&str, &str, Value)],
        extra: &[(&str, &str)],
    ) {
        let mut line = Map::new();
        line.insert(
            "_aws".into(),
            json!({
                "Timestamp": chrono::Utc::now().timestamp_millis(),
                "CloudWatchMetrics": [{
                    "Namespace": self.namespace,
                    "Dimensions": [dimensions.iter().map(|(name, _)| *name).collect::<Vec<_>>()],
                    "Metrics": metrics
                        .iter()
                        .map(|(name, unit, _)| json!({"Name": name, "Unit": unit}))
                        .collect::<Vec<_>>(),
                }],
            }),
        );
        for (name, value) in dimensions.iter().chain(extra) {
            line.insert((*name).into(), Value::from(*value));
        }
        for (name, _, value) in metrics {
            line.insert((*name).into(), value.clone());
        }
        // A Value with string keys always serialises; the fallback only keeps this panic-free.
        let mut bytes = serde_json::to_vec(&line).unwrap_or_default();
        bytes.push(b'\n');
        let mut out = self
            .out
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Err(e) = out.write_all(&bytes).and_then(|()| out.flush()) {
            tracing::warn!(error = %e, "could not write an EMF metrics line");
        }
    }
}

/// A duration in (fractional) milliseconds, the unit CloudWatch graphs it in.
fn millis(d: Duration) -> Value {
    // Exact below 2^53 ns (104 days).
    Value::from(d.as_nanos() as f64 / 1e6)
}

/// 1 for the outcome that happened, 0 for the others: every series gets a point per call, so
/// sums and averages (error rates) need no fill.
fn one_if(happened: bool) -> Value {
    Value::from(u64::from(happened))
}

impl MetricsRecorder for EmfRecorder {
    fn events_found(&self, element: &str, resource: &str, count: u64) {
        self.emit(
            &[(ELEMENT, element), (RESOURCE, resource)],
            &[(EVENTS_FOUND, COUNT, Value::from(count))],
            &[],
        );
    }

    fn poll(&self, outcome: PollOutcome, duration: Duration) {
        let (failed, label) = match outcome {
            PollOutcome::Ok => (false, "ok"),
            PollOutcome::Error => (true, "error"),
        };
        self.emit(
            &[],
            &[
                (POLLS, COUNT, Value::from(1)),
                (POLL_ERRORS, COUNT, one_if(failed)),
                (POLL_DURATION, MILLISECONDS, millis(duration)),
            ],
            &[("outcome", label)],
        );
    }

    fn delivery(&self, outcome: DeliveryOutcome, latency: Duration) {
        let label = match outcome {
            DeliveryOutcome::Delivered => "delivered",
            DeliveryOutcome::Failed => "failed",
            DeliveryOutcome::Dead => "dead",
        };
        self.emit(
            &[],
            &[
                (
                    NOTIFICATIONS_DELIVERED,
                    COUNT,
                    one_if(outcome == DeliveryOutcome::Delivered),
                ),
                (
                    NOTIFICATIONS_FAILED,
                    COUNT,
                    one_if(outcome == DeliveryOutcome::Failed),
                ),
                (
                    NOTIFICATIONS_DEAD,
                    COUNT,
                    one_if(outcome == DeliveryOutcome::Dead),
                ),
                (DELIVERY_LATENCY, MILLISECONDS, millis(latency)),
            ],
            &[("outcome", label)],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// A writer keeping each write call apart, to see how lines were written.
    #[derive(Clone, Default)]
    struct Calls(Arc<Mutex<Vec<Vec<u8>>>>);

    impl Write for Calls {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("calls").push(buf.to_vec());
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Calls {
        fn lines(&self) -> Vec<Value> {
            self.0
                .lock()
                .expect("calls")
                .iter()
                .map(|call| {
                    let text = std::str::from_utf8(call).expect("utf-8");
                    let line = text.strip_suffix('\n').expect("ends with a newline");
                    assert!(!line.contains('\n'), "one line per write: {text}");
                    let value: Value = serde_json::from_str(line).expect("a JSON object");
                    assert_valid_emf(&value);
                    value
                })
                .collect()
        }
    }

    fn recorder() -> (EmfRecorder, Calls) {
        let calls = Calls::default();
        (EmfRecorder::to_writer(calls.clone()), calls)
    }

    /// What the spec requires of every line: one directive; every dimension a string member
    /// and every metric a numeric member of the root; units from CloudWatch's list.
    fn assert_valid_emf(line: &Value) {
        let aws = &line["_aws"];
        assert!(aws["Timestamp"].is_i64(), "{line}");
        let directives = aws["CloudWatchMetrics"].as_array().expect("directives");
        assert_eq!(directives.len(), 1, "{line}");
        let directive = &directives[0];
        assert!(directive["Namespace"].is_string(), "{line}");
        for set in directive["Dimensions"].as_array().expect("dimension sets") {
            for name in set.as_array().expect("a dimension set") {
                let name = name.as_str().expect("a dimension name");
                assert!(line[name].is_string(), "dimension {name} missing: {line}");
            }
        }
        let metrics = directive["Metrics"].as_array().expect("metrics");
        assert!(!metrics.is_empty() && metrics.len() <= 100, "{line}");
        for metric in metrics {
            let name = metric["Name"].as_str().expect("a metric name");
            assert!(line[name].is_number(), "metric {name} missing: {line}");
            assert!(
                matches!(metric["Unit"].as_str(), Some("Count" | "Milliseconds")),
                "{line}"
            );
        }
    }

    /// (name, unit) of each metric a line's directive declares.
    fn declared(line: &Value) -> Vec<(String, String)> {
        line["_aws"]["CloudWatchMetrics"][0]["Metrics"]
            .as_array()
            .expect("metrics")
            .iter()
            .map(|m| {
                (
                    m["Name"].as_str().expect("name").to_owned(),
                    m["Unit"].as_str().expect("unit").to_owned(),
                )
            })
            .collect()
    }

    fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
        expected
            .iter()
            .map(|(n, u)| ((*n).to_owned(), (*u).to_owned()))
            .collect()
    }

    #[test]
    fn events_found_is_a_count_by_element_and_resource() {
        let (recorder, calls) = recorder();
        let before = chrono::Utc::now().timestamp_millis();
        recorder.events_found("sagecrm", "accounts", 3);
        let after = chrono::Utc::now().timestamp_millis();

        let lines = calls.lines();
        assert_eq!(lines.len(), 1);
        let line = &lines[0];
        let directive = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "pollhook");
        assert_eq!(directive["Dimensions"], json!([["element", "resource"]]));
        assert_eq!(declared(line), pairs(&[("EventsFound", "Count")]));
        assert_eq!(line["element"], "sagecrm");
        assert_eq!(line["resource"], "accounts");
        assert_eq!(line["EventsFound"], 3);
        let timestamp = line["_aws"]["Timestamp"].as_i64().expect("epoch ms");
        assert!((before..=after).contains(&timestamp), "{timestamp}");
    }

    #[test]
    fn a_poll_counts_itself_its_error_and_its_duration_in_ms() {
        let (recorder, calls) = recorder();
        recorder.poll(PollOutcome::Ok, Duration::from_millis(80));
        recorder.poll(PollOutcome::Error, Duration::from_micros(1500));

        let lines = calls.lines();
        let want = pairs(&[
            ("Polls", "Count"),
            ("PollErrors", "Count"),
            ("PollDuration", "Milliseconds"),
        ]);
        for line in &lines {
            assert_eq!(
                line["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
                json!([[]])
            );
            assert_eq!(declared(line), want);
            assert_eq!(line["Polls"], 1);
        }
        assert_eq!(lines[0]["PollErrors"], 0);
        assert_eq!(lines[0]["PollDuration"], 80.0);
        assert_eq!(lines[0]["outcome"], "ok");
        assert_eq!(lines[1]["PollErrors"], 1);
        assert_eq!(lines[1]["PollDuration"], 1.5);
        assert_eq!(lines[1]["outcome"], "error");
    }

    #[test]
    fn a_delivery_counts_its_outcome_and_its_latency_in_ms() {
        let (recorder, calls) = recorder();
        recorder.delivery(DeliveryOutcome::Delivered, Duration::from_millis(20));
        recorder.delivery(DeliveryOutcome::Failed, Duration::from_millis(250));
        recorder.delivery(DeliveryOutcome::Dead, Duration::from_secs(10));

        let lines = calls.lines();
        let want = pairs(&[
            ("NotificationsDelivered", "Count"),
            ("NotificationsFailed", "Count"),
            ("NotificationsDead", "Count"),
            ("DeliveryLatency", "Milliseconds"),
        ]);
        let expected = [
            ([1, 0, 0], 20.0, "delivered"),
            ([0, 1, 0], 250.0, "failed"),
            ([0, 0, 1], 10_000.0, "dead"),
        ];
        assert_eq!(lines.len(), expected.len());
        for (line, (counts, latency, outcome)) in lines.iter().zip(expected) {
            assert_eq!(
                line["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
                json!([[]])
            );
            assert_eq!(declared(line), want);
            assert_eq!(line["NotificationsDelivered"], counts[0], "{line}");
            assert_eq!(line["NotificationsFailed"], counts[1], "{line}");
            assert_eq!(line["NotificationsDead"], counts[2], "{line}");
            assert_eq!(line["DeliveryLatency"], latency, "{line}");
            assert_eq!(line["outcome"], outcome);
        }
    }

    #[test]
    fn the_namespace_is_configurable_and_odd_names_stay_valid_json() {
        let calls = Calls::default();
        let recorder = EmfRecorder::to_writer(calls.clone()).with_namespace("pollhook-staging");
        assert_eq!(recorder.namespace(), "pollhook-staging");
        recorder.events_found("http", "odd\"na\\me\n", 0);

        let lines = calls.lines();
        assert_eq!(
            lines[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"],
            "pollhook-staging"
        );
        assert_eq!(lines[0]["resource"], "odd\"na\\me\n");
        assert_eq!(lines[0]["EventsFound"], 0);
    }

    #[test]
    fn concurrent_calls_write_whole_lines_one_write_each() {
        let (recorder, calls) = recorder();
        let recorder = Arc::new(recorder);
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let recorder = Arc::clone(&recorder);
                std::thread::spawn(move || {
                    for i in 0..50 {
                        recorder.events_found("sagecrm", &format!("resource-{t}"), i);
                        recorder.poll(PollOutcome::Ok, Duration::from_millis(i));
                        recorder.delivery(DeliveryOutcome::Delivered, Duration::from_millis(i));
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().expect("thread");
        }
        // `lines` checks each write call is exactly one complete, valid EMF line.
        assert_eq!(calls.lines().len(), 8 * 50 * 3);
    }

    #[test]
    fn a_failing_writer_loses_the_line_without_panicking() {
        struct Broken;
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::new(
                    std::io::ErrorKind::BrokenPipe,
                    "closed",
                ))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let recorder = EmfRecorder::to_writer(Broken);
        recorder.poll(PollOutcome::Error, Duration::from_secs(1));
        recorder.delivery(DeliveryOutcome::Dead, Duration::from_secs(1));
    }

    /// The dashboard (infra/dashboard.json, inlined in template.yaml) graphs metrics by name:
    /// each `pollhook` metric it names must be one this recorder writes.
    #[test]
    fn every_metric_the_dashboard_and_template_name_is_written() {
        let written = [
            EVENTS_FOUND,
            POLLS,
            POLL_ERRORS,
            POLL_DURATION,
            NOTIFICATIONS_DELIVERED,
            NOTIFICATIONS_FAILED,
            NOTIFICATIONS_DEAD,
            DELIVERY_LATENCY,
        ];
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for file in ["infra/dashboard.json", "template.yaml"] {
            let text = std::fs::read_to_string(root.join(file))
                .unwrap_or_else(|e| panic!("reading {file}: {e}"));
            let marker = r#"Namespace=\"pollhook\" MetricName=\""#;
            let named: Vec<&str> = text
                .split(marker)
                .skip(1)
                .filter_map(|rest| rest.split('\\').next())
                .collect();
            assert!(!named.is_empty(), "{file} names no pollhook metric");
            for name in named {
                assert!(
                    written.contains(&name),
                    "{file} graphs {name}, never written"
                );
            }
        }
    }
}
