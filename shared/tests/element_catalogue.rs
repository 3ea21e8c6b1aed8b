//! `GET /elements` and `GET /elements/{key}` over the API Router: what the catalogue says each
//! field is holds at registration (required fields are required, secret ones come back masked),
//! and every element's defaults register as they are.

mod router_call;

use std::sync::Arc;

use axum::http::StatusCode;
use pollhook_core::adapters::sqlite::SqliteStore;
use pollhook_core::api::{router, ApiState};
use pollhook_core::secret_box::SecretBox;
use pollhook_core::secret_fields::REDACTED;
use serde_json::{json, Map, Value};

const AUTH: &str = "User u, Organization o";

fn app() -> axum::Router {
    let store = SqliteStore::open_in_memory(SecretBox::from_key(&[7; 32])).expect("store");
    store
        .upsert_account("local", "local", "o", "u")
        .expect("account");
    router(ApiState::on_store(Arc::new(store)))
}

async fn get(app: &axum::Router, path: &str) -> (StatusCode, Value) {
    router_call::call(app, "GET", path, AUTH, None).await
}

async fn catalogue(app: &axum::Router) -> Vec<Value> {
    let (status, body) = get(app, "/elements").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array().expect("an array of elements").clone()
}

/// A plain value of the field's type, as a user would type it.
fn sample(field: &Value) -> Value {
    let key = field["key"].as_str().unwrap_or_default();
    match field["type"].as_str() {
        Some("url") => json!(format!("https://example.com/{key}")),
        Some("number") => field["default"].clone(),
        Some("boolean") => json!(true),
        Some("password") => json!(format!("s3cret-{key}")),
        Some("select") => field["options"][0].clone(),
        _ => json!("sample-value"),
    }
}

/// An instance body built only from an element's description: its required fields (or all of
/// them), events on, and every resource at its default poller configuration.
fn body_from(element: &Value, all_fields: bool) -> Value {
    let mut configuration = Map::new();
    for field in element["configuration"].as_array().expect("configuration") {
        if all_fields || field["required"] == true {
            let key = field["key"].as_str().expect("key").to_owned();
            configuration.insert(key, sample(field));
        }
    }
    configuration.insert("event.notification.enabled".into(), json!(true));
    configuration.insert(
        "event.notification.callback.url".into(),
        json!("https://hooks.example.invalid/in"),
    );
    let mut poller = Map::new();
    for r in element["resources"].as_array().expect("resources") {
        let name = r["name"].as_str().expect("name").to_owned();
        poller.insert(name, r["defaultPoller"].clone());
    }
    configuration.insert("event.poller.configuration".into(), Value::Object(poller));
    let mut provider_data = Map::new();
    for field in element["providerData"].as_array().expect("providerData") {
        let key = field["key"].as_str().expect("key").to_owned();
        provider_data.insert(key, sample(field));
    }
    json!({
        "element": {"key": element["key"]},
        "name": format!("{} from the catalogue", element["key"]),
        "configuration": configuration,
        "providerData": provider_data,
    })
}

#[tokio::test]
async fn lists_every_element_with_typed_fields() {
    let app = app();
    let elements = catalogue(&app).await;
    let keys: Vec<&str> = elements.iter().filter_map(|e| e["key"].as_str()).collect();
    assert_eq!(keys, ["sagecrm", "sageone", "http"]);
    for element in &elements {
        for field in element["configuration"].as_array().expect("configuration") {
            assert!(
                field["key"].as_str().is_some_and(|k| !k.is_empty()),
                "{field}"
            );
            assert!(
                field["label"].as_str().is_some_and(|l| !l.is_empty()),
                "{field}"
            );
            assert!(
                ["text", "password", "url", "number", "boolean", "select"]
                    .contains(&field["type"].as_str().unwrap_or_default()),
                "{field}"
            );
            assert!(field["required"].is_boolean(), "{field}");
            assert!(field["secret"].is_boolean(), "{field}");
        }
        let event_keys: Vec<&str> = element["configuration"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f["key"].as_str())
            .filter(|k| k.starts_with("event."))
            .collect();
        assert_eq!(
            event_keys,
            [
                "event.notification.enabled",
                "event.notification.callback.url",
                "event.poller.refresh_interval",
                "event.notification.signature.key"
            ]
        );
        assert!(
            element["resources"]
                .as_array()
                .is_some_and(|r| !r.is_empty()),
            "{element}"
        );
    }
    let crm_resources: Vec<&str> = elements[0]["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert_eq!(
        crm_resources,
        ["accounts", "contacts", "leads", "opportunities", "users"]
    );
}

#[tokio::test]
async fn one_element_by_key_and_an_unknown_key_is_404() {
    let app = app();
    let elements = catalogue(&app).await;
    for element in &elements {
        let key = element["key"].as_str().expect("key");
        let (status, one) = get(&app, &format!("/elements/{key}")).await;
        assert_eq!(status, StatusCode::OK, "{one}");
        assert_eq!(&one, element);
    }
    let (status, body) = get(&app, "/elements/salesforce").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("'salesforce'") && message.contains("sagecrm"),
        "{message}"
    );
    assert!(body["requestId"].is_string(), "{body}");
}

#[tokio::test]
async fn the_catalogue_needs_the_same_authorization_as_instances() {
    let app = app();
    for path in ["/elements", "/elements/sagecrm", "/elements/salesforce"] {
        for auth in ["", "User u, Organization wrong"] {
            let (status, body) = router_call::call(&app, "GET", path, auth, None).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{path} '{auth}': {body}");
        }
    }
}

#[tokio::test]
async fn every_elements_defaults_register_with_its_required_fields() {
    let app = app();
    for element in catalogue(&app).await {
        let body = body_from(&element, false);
        let (status, created) =
            router_call::call(&app, "POST", "/instances", AUTH, Some(&body.to_string())).await;
        assert_eq!(status, StatusCode::OK, "{}: {created}", element["key"]);
        let wanted: Vec<&str> = element["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["name"].as_str())
            .collect();
        let mut polled: Vec<&str> = created["events"]["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        polled.sort_unstable();
        let mut sorted = wanted.clone();
        sorted.sort_unstable();
        assert_eq!(polled, sorted, "{}", element["key"]);
        assert_eq!(
            created["configuration"]["event.poller.configuration"],
            body["configuration"]["event.poller.configuration"],
            "{}: stored as given",
            element["key"]
        );
    }
}

#[tokio::test]
async fn each_required_field_is_required_at_registration() {
    let app = app();
    for element in catalogue(&app).await {
        let required = element["configuration"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|f| f["required"] == true)
            .filter_map(|f| f["key"].as_str());
        for key in required {
            let mut body = body_from(&element, false);
            body["configuration"]
                .as_object_mut()
                .expect("configuration")
                .remove(key);
            let (status, refused) =
                router_call::call(&app, "POST", "/instances", AUTH, Some(&body.to_string())).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{key}: {refused}");
            let fields: Vec<&str> = refused["errors"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| e["field"].as_str())
                .collect();
            assert_eq!(fields, [format!("configuration.{key}")], "{key}");
        }
        for field in element["providerData"].as_array().into_iter().flatten() {
            let key = field["key"].as_str().expect("key");
            let mut body = body_from(&element, false);
            body["providerData"]
                .as_object_mut()
                .expect("providerData")
                .remove(key);
            let (status, refused) =
                router_call::call(&app, "POST", "/instances", AUTH, Some(&body.to_string())).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{key}: {refused}");
            assert!(
                refused["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with(&format!("providerData.{key}: "))),
                "{refused}"
            );
        }
    }
    let (_, listed) = router_call::call(&app, "GET", "/instances", AUTH, None).await;
    assert_eq!(listed, json!([]), "nothing stored");
}

#[tokio::test]
async fn exactly_the_secret_fields_come_back_masked() {
    let app = app();
    for element in catalogue(&app).await {
        let body = body_from(&element, true);
        let (status, created) =
            router_call::call(&app, "POST", "/instances", AUTH, Some(&body.to_string())).await;
        assert_eq!(status, StatusCode::OK, "{}: {created}", element["key"]);
        let id = created["id"].as_u64().expect("id");
        let (_, read) = get(&app, &format!("/instances/{id}")).await;
        for shown in [&created, &read] {
            for field in element["configuration"].as_array().expect("configuration") {
                let key = field["key"].as_str().expect("key");
                let value = &shown["configuration"][key];
                if field["secret"] == true {
                    assert_eq!(value, REDACTED, "{}: {key}", element["key"]);
                } else {
                    assert_eq!(
                        value, &body["configuration"][key],
                        "{}: {key}",
                        element["key"]
                    );
                }
            }
            for field in element["providerData"].as_array().into_iter().flatten() {
                let key = field["key"].as_str().expect("key");
                assert_eq!(field["secret"], true);
                assert_eq!(shown["providerData"][key], REDACTED, "{key}");
            }
        }
    }
}
