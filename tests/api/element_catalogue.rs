//! End to end: an instance built only from `GET /elements/{key}` (its required fields and every
//! resource at its default poller configuration) registers and then polls each resource into
//! events: Sage CRM and Sage Accounting against the shipped simulators, the generic element
//! against a small JSON API served here.

use std::sync::{Arc, Mutex};

use axum::extract::{RawQuery, State};
use axum::routing::get;
use axum::Json;
use chrono::{Duration, SecondsFormat, Utc};
use pollhook_simulators::{sagecrm, sageone, spawn, Running};
use reqwest::Method;
use serde_json::{json, Map, Value};

use crate::helpers::{account_auth, events, poll_now, sim_admin, TestServer};

/// A callback nobody listens on: deliveries fail and are retried; the events are found anyway.
const CALLBACK: &str = "http://127.0.0.1:9/hook";

async fn describe(server: &TestServer, key: &str) -> Value {
    let (status, element) = server
        .get(&format!("/elements/{key}"), &account_auth())
        .await;
    assert_eq!(status, 200, "{element}");
    element
}

fn resource_names(element: &Value) -> Vec<String> {
    element["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["name"].as_str().map(str::to_owned))
        .collect()
}

/// The element's required fields from `values`, events on, every resource at its default.
fn body_from(element: &Value, values: &[(&str, Value)], provider_data: Value) -> Value {
    let mut configuration = Map::new();
    for field in element["configuration"].as_array().expect("configuration") {
        let key = field["key"].as_str().expect("key");
        if field["required"] == true {
            let value = values
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| panic!("no test value for required field {key}"));
            configuration.insert(key.to_owned(), value);
        }
    }
    for (key, value) in values {
        configuration.insert((*key).to_owned(), value.clone());
    }
    configuration.insert("event.notification.enabled".into(), json!(true));
    configuration.insert("event.notification.callback.url".into(), json!(CALLBACK));
    let poller: Map<String, Value> = element["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| Some((r["name"].as_str()?.to_owned(), r["defaultPoller"].clone())))
        .collect();
    configuration.insert("event.poller.configuration".into(), Value::Object(poller));
    json!({
        "element": {"key": element["key"]},
        "name": "from the catalogue",
        "configuration": configuration,
        "providerData": provider_data,
    })
}

async fn register(server: &TestServer, body: &Value) -> u64 {
    let (status, created) = server.post_raw("/instances", &body.to_string()).await;
    assert_eq!(status, 200, "{created}");
    created["id"].as_u64().expect("id")
}

/// (resource, object id, event type) of each event, sorted.
fn found(events: &[Value]) -> Vec<(String, String, String)> {
    let mut s: Vec<_> = events
        .iter()
        .map(|e| {
            let text = |k: &str| e[k].as_str().unwrap_or_default().to_owned();
            (text("objectType"), text("objectId"), text("eventType"))
        })
        .collect();
    s.sort();
    s
}

async fn set_sim_clock(sim: &Running, at: chrono::DateTime<Utc>) {
    sim_admin(
        sim,
        Method::POST,
        "/_sim/clock",
        json!({"now": at.to_rfc3339_opts(SecondsFormat::Secs, true)}),
    )
    .await;
}

/// The created record's id as Sage CRM's `$key` (what the default `idField: key` reads).
fn crm_key(record: &Value) -> String {
    match &record["$key"] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[tokio::test]
async fn sage_crm_defaults_poll_every_resource_of_the_simulator() {
    let sim = spawn(sagecrm::router(sagecrm::Options::default()))
        .await
        .expect("sim");
    let now = Utc::now();
    set_sim_clock(&sim, now).await;
    let server = TestServer::start();
    let element = describe(&server, "sagecrm").await;
    let body = body_from(
        &element,
        &[
            ("subdomain", json!("crm.example.com")),
            ("username", json!("admin")),
            ("password", json!("secret")),
            ("base.url", json!(sim.base_url())),
        ],
        json!({}),
    );
    let id = register(&server, &body).await;

    set_sim_clock(&sim, now + Duration::seconds(5)).await;
    let mut expected = Vec::new();
    for (resource, entity, record) in [
        ("accounts", "company", json!({"Comp_Name": "Acme"})),
        ("contacts", "person", json!({"Pers_FirstName": "Jane"})),
        ("leads", "lead", json!({"Lead_Description": "A lead"})),
        (
            "opportunities",
            "opportunity",
            json!({"Oppo_Description": "A deal"}),
        ),
        ("users", "user", json!({"User_Logon": "jdoe"})),
    ] {
        let created = sim_admin(&sim, Method::POST, &format!("/_sim/{entity}"), record).await;
        expected.push((resource.to_owned(), crm_key(&created), "CREATED".to_owned()));
    }
    expected.sort();
    assert_eq!(
        resource_names(&element),
        ["accounts", "contacts", "leads", "opportunities", "users"]
    );

    poll_now(&server, id).await;
    assert_eq!(found(&events(&server, id).await), expected);
}

#[tokio::test]
async fn sage_accounting_defaults_poll_every_resource_of_the_simulator() {
    let sim = spawn(sageone::router(sageone::Options::default()))
        .await
        .expect("sim");
    let now = Utc::now();
    set_sim_clock(&sim, now).await;
    let callback = "https://app.example.com/sage/callback";
    let code = sim_admin(
        &sim,
        Method::POST,
        "/_sim/oauth/codes",
        json!({"redirect_uri": callback}),
    )
    .await;
    let server = TestServer::start();
    let element = describe(&server, "sageone").await;
    let body = body_from(
        &element,
        &[
            ("oauth.api.key", json!("client-id")),
            ("oauth.api.secret", json!("client-secret")),
            ("oauth.callback.url", json!(callback)),
            ("base.url", json!(sim.base_url())),
            ("oauth.token.url", json!(sim.url("/token"))),
        ],
        json!({"code": code["code"]}),
    );
    let id = register(&server, &body).await;
    let (_, instance) = server
        .get(&format!("/instances/{id}"), &account_auth())
        .await;
    assert_eq!(
        instance["valid"], true,
        "the code was exchanged: {instance}"
    );

    set_sim_clock(&sim, now + Duration::seconds(5)).await;
    let customer = sim_admin(
        &sim,
        Method::POST,
        "/_sim/contacts",
        json!({"name": "A Customer", "contact_types": [{"id": "CUSTOMER"}]}),
    )
    .await;
    let vendor = sim_admin(
        &sim,
        Method::POST,
        "/_sim/contacts",
        json!({"name": "A Supplier", "contact_types": [{"id": "VENDOR"}]}),
    )
    .await;
    let customer = customer["id"].as_str().expect("id").to_owned();
    let vendor = vendor["id"].as_str().expect("id").to_owned();
    assert_eq!(
        resource_names(&element),
        ["customers", "vendors", "contacts"]
    );

    poll_now(&server, id).await;
    let created =
        |resource: &str, id: &str| (resource.to_owned(), id.to_owned(), "CREATED".to_owned());
    let mut expected = vec![
        created("customers", &customer),
        created("vendors", &vendor),
        created("contacts", &customer),
        created("contacts", &vendor),
    ];
    expected.sort();
    assert_eq!(found(&events(&server, id).await), expected);
}

/// A JSON API answering `GET /items` with the records it holds, noting each query it got.
#[derive(Clone, Default)]
struct Items {
    records: Arc<Mutex<Vec<Value>>>,
    queries: Arc<Mutex<Vec<String>>>,
}

async fn list_items(State(items): State<Items>, RawQuery(query): RawQuery) -> Json<Value> {
    if let Ok(mut queries) = items.queries.lock() {
        queries.push(query.unwrap_or_default());
    }
    let records = items.records.lock().map(|r| r.clone()).unwrap_or_default();
    Json(Value::Array(records))
}

#[tokio::test]
async fn generic_http_default_polls_a_json_api() {
    let items = Items::default();
    let api = spawn(
        axum::Router::new()
            .route("/items", get(list_items))
            .with_state(items.clone()),
    )
    .await
    .expect("api");
    let server = TestServer::start();
    let element = describe(&server, "http").await;
    let body = body_from(&element, &[("base.url", json!(api.base_url()))], json!({}));
    let id = register(&server, &body).await;

    let stamp = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
    if let Ok(mut records) = items.records.lock() {
        records.push(json!({"id": "item-1", "created_at": stamp, "updated_at": stamp}));
    }
    poll_now(&server, id).await;
    assert_eq!(
        found(&events(&server, id).await),
        [(
            "items".to_owned(),
            "item-1".to_owned(),
            "CREATED".to_owned()
        )]
    );
    let queries = items.queries.lock().map(|q| q.clone()).unwrap_or_default();
    assert!(
        queries.iter().any(|q| q.contains("updated_since=20")),
        "the url's date was expanded: {queries:?}"
    );
}
