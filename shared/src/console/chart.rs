//! Events found and failures per hour over the last day, as an SVG drawn on the server (no
//! charting script), with the same numbers in a table for screen readers.

use chrono::{DateTime, Duration, DurationRound, Utc};
use maud::{html, Markup};

use crate::ports::PollLogEntry;

/// Hours the chart covers.
pub const HOURS: usize = 24;
const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;

/// One hour of activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    pub start: DateTime<Utc>,
    /// Events found by polls that started in this hour.
    pub events: u64,
    /// Polls that failed plus events whose delivery is failing, found in this hour.
    pub failures: u64,
}

/// The last [`HOURS`] hours up to `now`, oldest first.
pub fn hourly(
    now: DateTime<Utc>,
    polls: &[PollLogEntry],
    failing_found: &[DateTime<Utc>],
) -> Vec<Bucket> {
    let current = now.duration_trunc(Duration::hours(1)).unwrap_or(now);
    let first = current - Duration::hours(HOURS as i64 - 1);
    let mut buckets: Vec<Bucket> = (0..HOURS)
        .map(|i| Bucket {
            start: first + Duration::hours(i as i64),
            events: 0,
            failures: 0,
        })
        .collect();
    let index = |at: DateTime<Utc>| -> Option<usize> {
        if at < first || at > now {
            return None;
        }
        usize::try_from((at - first).num_hours())
            .ok()
            .filter(|i| *i < HOURS)
    };
    for p in polls {
        if let Some(i) = index(p.started) {
            buckets[i].events += p.events;
            buckets[i].failures += u64::from(p.error.is_some());
        }
    }
    for at in failing_found {
        if let Some(i) = index(*at) {
            buckets[i].failures += 1;
        }
    }
    buckets
}

/// A round top for the y axis, so its label reads well (1, 2, 5, 10, 20, 50, ...).
fn axis_top(max: u64) -> u64 {
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            if step * m >= max.max(1) {
                return step * m;
            }
        }
        step *= 10;
    }
}

/// The chart and its data table.
pub fn render(buckets: &[Bucket]) -> Markup {
    let max = buckets
        .iter()
        .map(|b| b.events.max(b.failures))
        .max()
        .unwrap_or(0);
    let top = axis_top(max);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = plot_w / buckets.len().max(1) as f64;
    let bar = (slot - 4.0) / 2.0;
    let y = |v: u64| TOP + plot_h - plot_h * v as f64 / top as f64;
    let total_events: u64 = buckets.iter().map(|b| b.events).sum();
    let total_failures: u64 = buckets.iter().map(|b| b.failures).sum();
    let summary = format!(
        "{total_events} events found and {total_failures} failures in the last {HOURS} hours"
    );
    html! {
        figure class="chart" {
            svg viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) role="img"
                aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg" {
                title id="chart-title" { "Events and failures per hour" }
                desc id="chart-desc" { (summary) }
                line x1=(LEFT) y1=(TOP + plot_h) x2=(WIDTH - RIGHT) y2=(TOP + plot_h)
                    stroke="#555" {}
                line x1=(LEFT) y1=(TOP) x2=(LEFT) y2=(TOP + plot_h) stroke="#555" {}
                text x=(LEFT - 6.0) y=(TOP + 4.0) text-anchor="end" font-size="11" fill="#222" { (top) }
                text x=(LEFT - 6.0) y=(TOP + plot_h) text-anchor="end" font-size="11" fill="#222" { "0" }
                @for (i, b) in buckets.iter().enumerate() {
                    @let x = LEFT + slot * i as f64 + 2.0;
                    rect x=(x) y=(y(b.events)) width=(bar) height=(TOP + plot_h - y(b.events))
                        fill="#1f5fa8" {}
                    rect x=(x + bar) y=(y(b.failures)) width=(bar)
                        height=(TOP + plot_h - y(b.failures)) fill="#b3261e" {}
                    @if i % 6 == 0 {
                        text x=(x) y=(HEIGHT - 10.0) font-size="11" fill="#222" {
                            (b.start.format("%H:00"))
                        }
                    }
                }
            }
            figcaption {
                span class="legend events" { "Events found" }
                " "
                span class="legend failures" { "Failures (failed polls, failing deliveries)" }
                " per hour, UTC. " (summary) "."
            }
            details {
                summary { "Chart data" }
                table {
                    caption { "Events and failures per hour (UTC)" }
                    thead { tr { th scope="col" { "Hour" } th scope="col" { "Events found" } th scope="col" { "Failures" } } }
                    tbody {
                        @for b in buckets {
                            tr {
                                th scope="row" { (b.start.format("%Y-%m-%d %H:00")) }
                                td { (b.events) }
                                td { (b.failures) }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poll(started: DateTime<Utc>, events: u64, failed: bool) -> PollLogEntry {
        PollLogEntry {
            instance_id: 1,
            resource: "accounts".into(),
            started,
            finished: started,
            since: started,
            pages: 1,
            records: events,
            events,
            skipped: 0,
            notes: Vec::new(),
            error: failed.then(|| "boom".to_owned()),
        }
    }

    #[test]
    fn puts_each_poll_in_its_hour_and_drops_older_ones() {
        let now = Utc::now();
        let polls = [
            poll(now, 3, false),
            poll(now - Duration::hours(2), 1, true),
            poll(now - Duration::hours(30), 9, true),
        ];
        let b = hourly(now, &polls, &[now]);
        assert_eq!(b.len(), HOURS);
        assert_eq!((b[HOURS - 1].events, b[HOURS - 1].failures), (3, 1));
        assert_eq!((b[HOURS - 3].events, b[HOURS - 3].failures), (1, 1));
        assert_eq!(b.iter().map(|b| b.events).sum::<u64>(), 4);
    }

    #[test]
    fn the_axis_top_is_round() {
        assert_eq!(
            [0, 1, 3, 7, 12, 51, 100].map(axis_top),
            [1, 1, 5, 10, 20, 100, 100]
        );
    }

    #[test]
    fn renders_an_accessible_svg() {
        let markup = render(&hourly(Utc::now(), &[], &[])).into_string();
        assert!(markup.contains("role=\"img\""));
        assert!(markup.contains("<title id=\"chart-title\">"));
        assert!(markup.contains("<th scope=\"col\">Events found</th>"));
    }
}
