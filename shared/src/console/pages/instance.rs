//! One instance: its configuration (secrets masked as the API masks them), poll now, the
//! poll log, events with their delivery attempts, dead letters with retry, a chart of the
//! last day, and webhook secret rotation. Every action goes through the API's own code.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use maud::{html, Markup};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde::Deserialize;
use serde_json::Value;

use crate::api::events::{poll_instance, retry_event};
use crate::api::instances::{load, rotate_secret};
use crate::api::{ApiError, ApiState};
use crate::console::activity::{scan_events, EventScan, POLL_WINDOW};
use crate::console::chart;
use crate::console::csrf::SignedInForm;
use crate::console::html::{csrf_input, page, problem, respond, see_other, when};
use crate::console::pages::instances::store_problem;
use crate::console::signed_in::SignedIn;
use crate::instance::{Instance, POLLER_CONFIGURATION};
use crate::ports::{AttemptRecord, PollLogEntry};

/// Poll log entries shown.
const POLLS_SHOWN: usize = 50;
/// Newest events shown, and dead letters listed.
const EVENTS_SHOWN: usize = 25;
const DEAD_SHOWN: usize = 100;

/// What the page says above everything after an action.
pub enum Notice {
    Info(String),
    Error(String),
    /// A rotated webhook secret: shown this once.
    Secret {
        secret: String,
        previous_expires: DateTime<Utc>,
    },
}

#[derive(Debug, Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
    n: Option<String>,
}

impl NoticeQuery {
    /// Only fixed messages: nothing from the URL is shown as text.
    fn notice(&self) -> Option<Notice> {
        let n = self.n.as_deref().and_then(|n| n.parse::<u64>().ok());
        Some(Notice::Info(match self.notice.as_deref()? {
            "polled" => "Polled: the poll log below shows what each resource found.".to_owned(),
            "retried" => match n {
                Some(1) | None => "Sent again: the dead letter is queued for delivery now.".into(),
                Some(n) => format!("Sent again: {n} dead letters are queued for delivery now."),
            },
            "nothing" => "There were no dead letters to send again.".to_owned(),
            _ => return None,
        }))
    }
}

/// Loads the instance as the API would for this caller; a page saying why otherwise.
async fn load_for(
    state: &ApiState,
    signed_in: &SignedIn,
    raw_id: &str,
) -> Result<Instance, Response> {
    load(state, &signed_in.caller(), &signed_in.request_id, raw_id)
        .await
        .map_err(|e| api_problem(&e))
}

fn api_problem(e: &ApiError) -> Response {
    let title = if e.status == StatusCode::NOT_FOUND {
        "Not found"
    } else {
        "Try again"
    };
    problem(e.status, title, &e.message)
}

fn instance_path(instance: &Instance) -> String {
    format!("/console/instances/{}", instance.id)
}

/// `GET /console/instances/{id}`.
pub async fn show(
    State(state): State<ApiState>,
    signed_in: SignedIn,
    Path(raw_id): Path<String>,
    Query(query): Query<NoticeQuery>,
) -> Response {
    match load_for(&state, &signed_in, &raw_id).await {
        Ok(instance) => {
            render(
                &state,
                &signed_in,
                &instance,
                query.notice(),
                StatusCode::OK,
            )
            .await
        }
        Err(r) => r,
    }
}

/// `POST /console/instances/{id}/poll`: Poll now, as `POST /instances/{id}/poll`.
pub async fn poll_now(
    State(state): State<ApiState>,
    Path(raw_id): Path<String>,
    form: SignedInForm,
) -> Response {
    let signed_in = &form.signed_in;
    let instance = match load_for(&state, signed_in, &raw_id).await {
        Ok(i) => i,
        Err(r) => return r,
    };
    match poll_instance(&state, &signed_in.request_id, &instance).await {
        Ok(_) => see_other(&format!(
            "{}?notice=polled#poll-log",
            instance_path(&instance)
        )),
        Err(e) => {
            let notice = Notice::Error(format!("Not polled: {}", e.message));
            render(&state, signed_in, &instance, Some(notice), e.status).await
        }
    }
}

/// `POST /console/instances/{id}/events/{eventId}/retry`: one dead letter again.
pub async fn retry_one(
    State(state): State<ApiState>,
    Path((raw_id, event_id)): Path<(String, String)>,
    form: SignedInForm,
) -> Response {
    retry(&state, &form.signed_in, &raw_id, Some(&event_id)).await
}

/// `POST /console/instances/{id}/events/retry`: every dead letter again.
pub async fn retry_all(
    State(state): State<ApiState>,
    Path(raw_id): Path<String>,
    form: SignedInForm,
) -> Response {
    retry(&state, &form.signed_in, &raw_id, None).await
}

async fn retry(
    state: &ApiState,
    signed_in: &SignedIn,
    raw_id: &str,
    event_id: Option<&str>,
) -> Response {
    let caller = signed_in.caller();
    match retry_event(state, &caller, &signed_in.request_id, raw_id, event_id).await {
        Ok((id, 0)) => see_other(&format!(
            "/console/instances/{id}?notice=nothing#dead-letters"
        )),
        Ok((id, n)) => see_other(&format!(
            "/console/instances/{id}?notice=retried&n={n}#dead-letters"
        )),
        Err(e) if e.status == StatusCode::NOT_FOUND && event_id.is_none() => api_problem(&e),
        Err(e) => match load_for(state, signed_in, raw_id).await {
            Ok(instance) => {
                let notice = Notice::Error(format!("Not sent again: {}", e.message));
                render(state, signed_in, &instance, Some(notice), e.status).await
            }
            Err(r) => r,
        },
    }
}

/// `POST /console/instances/{id}/webhook-secret/rotate`: a new secret, shown once here.
pub async fn rotate(
    State(state): State<ApiState>,
    Path(raw_id): Path<String>,
    form: SignedInForm,
) -> Response {
    let signed_in = &form.signed_in;
    let rotated =
        match rotate_secret(&state, &signed_in.caller(), &signed_in.request_id, &raw_id).await {
            Ok(r) => r,
            Err(e) => return api_problem(&e),
        };
    match load_for(&state, signed_in, &raw_id).await {
        Ok(instance) => {
            let notice = Notice::Secret {
                secret: rotated.secret.as_str().to_owned(),
                previous_expires: rotated.previous_expires,
            };
            render(&state, signed_in, &instance, Some(notice), StatusCode::OK).await
        }
        Err(r) => r,
    }
}

/// The whole page, with `notice` on top.
async fn render(
    state: &ApiState,
    signed_in: &SignedIn,
    instance: &Instance,
    notice: Option<Notice>,
    status: StatusCode,
) -> Response {
    let now = Utc::now();
    let polls = match state.events.list_polls(instance.id, POLL_WINDOW).await {
        Ok(p) => p,
        Err(e) => return store_problem(signed_in, e),
    };
    let since = now - chrono::Duration::hours(chart::HOURS as i64);
    let scan = match scan_events(state, instance.id, EVENTS_SHOWN.max(DEAD_SHOWN), since).await {
        Ok(s) => s,
        Err(e) => return store_problem(signed_in, e),
    };
    let mut attempts: HashMap<String, Vec<AttemptRecord>> = HashMap::new();
    for record in scan.recent.iter().rev().take(EVENTS_SHOWN) {
        let Some(n) = &record.notification_id else {
            continue;
        };
        if attempts.contains_key(n) {
            continue;
        }
        match state.delivery.attempts(n).await {
            Ok(a) => {
                attempts.insert(n.clone(), a);
            }
            Err(e) => return store_problem(signed_in, e),
        }
    }
    let buckets = chart::hourly(now, &polls, &scan.failing_found);
    let csrf = signed_in.csrf.as_str();
    let base = instance_path(instance);
    let body = html! {
        @if let Some(notice) = &notice { (notice_markup(notice)) }
        (summary(instance))
        section aria-labelledby="actions-heading" {
            h2 id="actions-heading" { "Actions" }
            div class="actions" {
                form method="post" action=(format!("{base}/poll")) {
                    (csrf_input(csrf))
                    button type="submit" { "Poll now" }
                }
                form method="post" action=(format!("{base}/webhook-secret/rotate")) {
                    (csrf_input(csrf))
                    button type="submit" { "Rotate secret" }
                }
            }
            p class="hint" { "Rotate secret issues a new Standard Webhooks secret, shown once; the old one keeps signing for 24 hours." }
        }
        section aria-labelledby="activity-heading" {
            h2 id="activity-heading" { "Activity" }
            (chart::render(&buckets))
        }
        (configuration(instance))
        (poll_log(&polls))
        (events(&scan, &attempts))
        (dead_letters(&base, csrf, &scan))
    };
    respond(
        status,
        page(&instance.spec.name, Some(&signed_in.viewer()), body),
    )
}

fn notice_markup(notice: &Notice) -> Markup {
    match notice {
        Notice::Info(text) => html! { p class="notice" role="status" { (text) } },
        Notice::Error(text) => html! { p class="error" role="alert" { (text) } },
        Notice::Secret {
            secret,
            previous_expires,
        } => html! {
            section class="notice" role="status" aria-labelledby="new-secret-heading" {
                h2 id="new-secret-heading" { "New webhook secret" }
                p { "Copy it now: it is not shown again. The previous secret keeps signing until "
                    (when(*previous_expires)) "." }
                p { code id="new-webhook-secret" { (secret) } }
            }
        },
    }
}

fn summary(instance: &Instance) -> Markup {
    let spec = &instance.spec;
    let events = &spec.events;
    html! {
        section aria-labelledby="summary-heading" {
            h2 id="summary-heading" { "Summary" }
            dl class="summary" {
                dt { "Element" } dd { (spec.element.display_name()) " (" code { (spec.element.as_str()) } ")" }
                dt { "Instance id" } dd { (instance.id) }
                dt { "Created" } dd { (when(instance.created_date)) }
                dt { "Events" } dd { @if events.enabled { "on" } @else { "off" } }
                dt { "Callback URL" } dd {
                    @match &events.callback_url { Some(u) => code { (u.as_str()) }, None => "none" }
                }
                dt { "Refresh interval" } dd { (events.refresh_interval.minutes()) " minutes" }
                dt { "Resources" } dd {
                    @for (i, name) in events.resources.keys().enumerate() {
                        @if i > 0 { ", " } code { (name) }
                    }
                }
                dt { "Tags" } dd { @for tag in &spec.tags { span class="tag" { (tag) } " " } }
                dt { "Authorization" } dd { @if spec.is_authorized() { "valid" } @else { "pending (see configuration)" } }
            }
        }
    }
}

fn value_markup(value: &Value) -> Markup {
    match value {
        Value::String(s) => html! { code { (s) } },
        Value::Object(_) | Value::Array(_) => html! {
            pre { code { (serde_json::to_string_pretty(value).unwrap_or_default()) } }
        },
        other => html! { code { (other.to_string()) } },
    }
}

fn configuration(instance: &Instance) -> Markup {
    let shown = instance.spec.redacted_configuration();
    let provider = instance.spec.redacted_provider_data();
    html! {
        section aria-labelledby="configuration-heading" {
            h2 id="configuration-heading" { "Configuration" }
            p class="hint" { "Secrets show as ******** as the API shows them; they are never sent back." }
            table class="configuration" {
                caption { "Configuration keys and values" }
                thead { tr { th scope="col" { "Key" } th scope="col" { "Value" } } }
                tbody {
                    @for (key, value) in shown.iter().filter(|(k, _)| k.as_str() != POLLER_CONFIGURATION) {
                        tr { th scope="row" { code { (key) } } td { (value_markup(value)) } }
                    }
                    @for (key, value) in &provider {
                        tr { th scope="row" { code { "providerData." (key) } } td { (value_markup(value)) } }
                    }
                    @if let Some(poller) = shown.get(POLLER_CONFIGURATION) {
                        tr { th scope="row" { code { (POLLER_CONFIGURATION) } } td { (value_markup(poller)) } }
                    }
                }
            }
        }
    }
}

fn poll_log(polls: &[PollLogEntry]) -> Markup {
    html! {
        section aria-labelledby="poll-log-heading" id="poll-log" {
            h2 id="poll-log-heading" { "Poll log" }
            @if polls.is_empty() {
                p { "No polls yet." }
            } @else {
                table class="polls" {
                    caption { "Most recent polls, newest first, one row per resource" }
                    thead {
                        tr {
                            th scope="col" { "Started" }
                            th scope="col" { "Resource" }
                            th scope="col" { "Since" }
                            th scope="col" { "Pages" }
                            th scope="col" { "Records" }
                            th scope="col" { "Events" }
                            th scope="col" { "Skipped" }
                            th scope="col" { "Outcome" }
                            th scope="col" { "Notes" }
                        }
                    }
                    tbody {
                        @for p in polls.iter().take(POLLS_SHOWN) {
                            tr {
                                th scope="row" { (when(p.started)) }
                                td { code { (p.resource) } }
                                td { (when(p.since)) }
                                td { (p.pages) }
                                td { (p.records) }
                                td { (p.events) }
                                td { (p.skipped) }
                                td {
                                    @match &p.error {
                                        Some(e) => span class="bad" { "failed: " (e) },
                                        None => "ok",
                                    }
                                }
                                td {
                                    @for (i, note) in p.notes.iter().enumerate() {
                                        @if i > 0 { br; }
                                        (note)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn attempt_text(a: &AttemptRecord) -> String {
    let outcome = match (a.status_code, &a.error) {
        (Some(code), Some(e)) => format!("{code}: {e}"),
        (Some(code), None) => code.to_string(),
        (None, Some(e)) => e.clone(),
        (None, None) => "no answer".to_owned(),
    };
    format!("{} · {outcome} · {} ms", when(a.attempted_at), a.latency_ms)
}

fn events(scan: &EventScan, attempts: &HashMap<String, Vec<AttemptRecord>>) -> Markup {
    html! {
        section aria-labelledby="events-heading" id="events" {
            h2 id="events-heading" { "Events" }
            @if scan.capped {
                p class="hint" { "Only the first " (scan.total) " events were read; newer ones are in the API (GET /instances/{id}/events)." }
            }
            @if scan.recent.is_empty() {
                p { "No events yet." }
            } @else {
                table class="events" {
                    caption { "Most recent events, newest first, with their delivery attempts" }
                    thead {
                        tr {
                            th scope="col" { "Found" }
                            th scope="col" { "Resource" }
                            th scope="col" { "Object id" }
                            th scope="col" { "Type" }
                            th scope="col" { "Status" }
                            th scope="col" { "Delivery attempts" }
                        }
                    }
                    tbody {
                        @for r in scan.recent.iter().rev().take(EVENTS_SHOWN) {
                            tr {
                                th scope="row" { (when(r.created_at)) }
                                td { code { (r.event.object_type) } }
                                td { code { (r.event.object_id) } }
                                td { (r.event.event_type.as_str()) }
                                td { (r.status) }
                                td {
                                    @let tried = r.notification_id.as_ref().and_then(|n| attempts.get(n));
                                    @match tried {
                                        Some(list) if !list.is_empty() => {
                                            ol class="attempts" {
                                                @for a in list { li { (attempt_text(a)) } }
                                            }
                                        }
                                        _ => "none yet",
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn dead_letters(base: &str, csrf: &str, scan: &EventScan) -> Markup {
    html! {
        section aria-labelledby="dead-letters-heading" id="dead-letters" {
            h2 id="dead-letters-heading" { "Dead letters" }
            @if scan.dead.is_empty() {
                p { "No dead letters: every event was delivered or is still being retried." }
            } @else {
                p { "Events whose every delivery attempt failed. Retry sends one again now." }
                form method="post" action=(format!("{base}/events/retry")) {
                    (csrf_input(csrf))
                    button type="submit" { "Retry all dead letters" }
                }
                table class="dead" {
                    caption { "Dead letters, newest first" }
                    thead {
                        tr {
                            th scope="col" { "Found" }
                            th scope="col" { "Resource" }
                            th scope="col" { "Object id" }
                            th scope="col" { "Type" }
                            th scope="col" { "Action" }
                        }
                    }
                    tbody {
                        @for r in scan.dead.iter().rev() {
                            tr {
                                th scope="row" { (when(r.created_at)) }
                                td { code { (r.event.object_type) } }
                                td { code { (r.event.object_id) } }
                                td { (r.event.event_type.as_str()) }
                                td {
                                    form method="post" action=(format!("{base}/events/{}/retry", utf8_percent_encode(&r.event.id, NON_ALPHANUMERIC))) {
                                        (csrf_input(csrf))
                                        button type="submit" aria-label=(format!("Retry event {} of {}", r.event.object_id, r.event.object_type)) { "Retry" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
