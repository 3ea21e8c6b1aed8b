//! The instances list: each instance with its events switch, last poll, today's events and
//! what is failing.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;

use crate::api::ApiState;
use crate::console::activity::{scan_events, start_of_today, summarize_polls, POLL_WINDOW};
use crate::console::html::{page, problem, respond, when};
use crate::console::signed_in::SignedIn;
use crate::instance::Instance;
use crate::ports::StoreError;

/// One row of the list.
struct Row {
    instance: Instance,
    last_poll: Option<(chrono::DateTime<chrono::Utc>, bool)>,
    events_today: u64,
    failed_polls_today: u64,
    failing_deliveries: u64,
    capped: bool,
}

async fn row(state: &ApiState, instance: Instance) -> Result<Row, StoreError> {
    let now = chrono::Utc::now();
    let today = start_of_today(now);
    let polls = state.events.list_polls(instance.id, POLL_WINDOW).await?;
    let summary = summarize_polls(&polls, today);
    let scan = scan_events(state, instance.id, 0, today).await?;
    Ok(Row {
        last_poll: summary.last.map(|p| (p.started, summary.last_failed)),
        events_today: summary.events_since,
        failed_polls_today: summary.failed_since,
        failing_deliveries: scan.failing,
        capped: scan.capped,
        instance,
    })
}

/// `GET /console`.
pub async fn list(State(state): State<ApiState>, signed_in: SignedIn) -> Response {
    let instances = match state
        .instances
        .list(&signed_in.account.organization_id)
        .await
    {
        Ok(i) => i,
        Err(e) => return store_problem(&signed_in, e),
    };
    let mut rows = Vec::with_capacity(instances.len());
    for instance in instances {
        match row(&state, instance).await {
            Ok(r) => rows.push(r),
            Err(e) => return store_problem(&signed_in, e),
        }
    }
    let body = html! {
        p { a class="button" href="/console/instances/new" { "Create instance" } }
        @if rows.is_empty() {
            p { "No instances yet. Create one to start polling." }
        } @else {
            table class="instances" {
                caption { "Your connector instances" }
                thead {
                    tr {
                        th scope="col" { "Name" }
                        th scope="col" { "Element" }
                        th scope="col" { "Tags" }
                        th scope="col" { "Events" }
                        th scope="col" { "Last poll" }
                        th scope="col" { "Events today" }
                        th scope="col" { "Failures" }
                    }
                }
                tbody {
                    @for r in &rows {
                        @let spec = &r.instance.spec;
                        tr {
                            th scope="row" {
                                a href=(format!("/console/instances/{}", r.instance.id)) { (spec.name) }
                            }
                            td { (spec.element.display_name()) }
                            td {
                                @for tag in &spec.tags { span class="tag" { (tag) } " " }
                            }
                            td { @if spec.events.enabled { "on" } @else { "off" } }
                            td {
                                @match r.last_poll {
                                    Some((at, failed)) => {
                                        time datetime=(at.to_rfc3339()) { (when(at)) }
                                        @if failed { " " span class="bad" { "(failed)" } }
                                    }
                                    None => { "never" }
                                }
                            }
                            td { (r.events_today) }
                            td {
                                @if r.failed_polls_today == 0 && r.failing_deliveries == 0 {
                                    "none"
                                } @else {
                                    span class="bad" {
                                        (r.failed_polls_today) " failed polls today, "
                                        (r.failing_deliveries) @if r.capped { "+" }
                                        " failing deliveries"
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    respond(
        StatusCode::OK,
        page("Instances", Some(&signed_in.viewer()), body),
    )
}

/// The store failed: logged for operators, a page saying to try again for the user.
pub fn store_problem(signed_in: &SignedIn, error: StoreError) -> Response {
    tracing::error!(request_id = %signed_in.request_id.0, error = %error, "store error in the console");
    problem(
        StatusCode::SERVICE_UNAVAILABLE,
        "Try again",
        "The store could not answer just now; try again in a moment.",
    )
}
