//! The OpenAPI document against the Router it describes: it is OpenAPI 3.1 that reads back,
//! every `$ref` and link resolves, and it lists exactly the routes and methods the Router
//! serves, so a route added without `#[utoipa::path]` (or documented but not routed) fails here.
//! Its validity against the OpenAPI 3.1 schema itself, and the API's behaviour against it, are
//! checked by `tests/schemathesis.sh` (openapi-spec-validator, then Schemathesis).

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use pollhook_core::adapters::sqlite::SqliteStore;
use pollhook_core::api::openapi::{document, document_json};
use pollhook_core::api::{router, ApiState};
use pollhook_core::secret_box::SecretBox;
use serde_json::Value;
use tower::ServiceExt;

/// Routes of the Router that are not API operations: the web console's HTML pages and the
/// reference page's script.
const NOT_API: &[&str] = &["/console", "/docs/"];

/// Methods an API route may have.
const METHODS: [Method; 5] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
];

fn app() -> axum::Router {
    let store = SqliteStore::open_in_memory(SecretBox::from_key(&[7; 32])).expect("store");
    router(ApiState::on_store(Arc::new(store)))
}

/// The paths the Router was built with. axum has no API to list them; its `Debug` output
/// names every route's path (`paths: {RouteId(0): "/healthz", ...}`), and this test fails
/// loudly, not silently, if that ever changes (it finds no paths).
fn router_paths(app: &axum::Router) -> BTreeSet<String> {
    let debug = format!("{app:?}");
    let mut paths = BTreeSet::new();
    for quoted in debug.split('"').skip(1).step_by(2) {
        if quoted.starts_with('/')
            && !quoted.contains("__private__axum")
            && !NOT_API.iter().any(|p| quoted.starts_with(p))
        {
            paths.insert(quoted.to_owned());
        }
    }
    assert!(
        paths.contains("/instances") && paths.contains("/instances/{id}"),
        "could not read the Router's paths from its Debug output; found {paths:?}"
    );
    paths
}

/// `path` with its parameters filled in, e.g. `/instances/{id}` -> `/instances/1`.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "1"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether `method path` reaches a handler: the Router's fallbacks answer 404 "no route" and
/// 405, no handler does either.
async fn routed(app: &axum::Router, method: &Method, path: &str) -> bool {
    let request = Request::builder()
        .method(method)
        .uri(concrete(path))
        .body(Body::empty())
        .expect("request");
    let response = app.clone().oneshot(request).await.expect("response");
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let message = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v["message"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let fallback = status == StatusCode::METHOD_NOT_ALLOWED
        || (status == StatusCode::NOT_FOUND && message.starts_with("no route for"));
    !fallback
}

/// Every (method, path) the document lists.
fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let paths = doc["paths"].as_object().expect("paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            let item = item.as_object().expect("path item");
            METHODS
                .iter()
                .filter(|m| item.contains_key(&m.as_str().to_ascii_lowercase()))
                .map(|m| (m.as_str().to_owned(), path.clone()))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[tokio::test]
async fn the_document_lists_every_route_and_method_the_router_serves() {
    let app = app();
    let mut served = BTreeSet::new();
    for path in router_paths(&app) {
        for method in &METHODS {
            if routed(&app, method, &path).await {
                served.insert((method.as_str().to_owned(), path.clone()));
            }
        }
    }
    let documented = documented(&document());
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty() && unrouted.is_empty(),
        "routes without #[utoipa::path] (add them to openapi::ApiDoc): {undocumented:?}\n\
         documented operations the Router does not serve: {unrouted:?}"
    );
}

/// The outline of an OpenAPI 3.1 document; the full check against the OpenAPI 3.1 schema is
/// openapi-spec-validator's, in `tests/schemathesis.sh` (utoipa cannot read back all it writes).
#[test]
fn the_document_is_openapi_3_1_as_served() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["title"], "pollhook");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    assert!(doc["paths"].as_object().is_some_and(|p| !p.is_empty()));
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    let served: Value = serde_json::from_str(document_json()).expect("served JSON");
    assert_eq!(served, doc);
}

/// Every `$ref` in `value`, as (where, target).
fn refs(value: &Value, at: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "$ref" {
                    if let Some(target) = v.as_str() {
                        out.push((at.to_owned(), target.to_owned()));
                    }
                } else {
                    refs(v, &format!("{at}/{k}"), out);
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                refs(v, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn every_reference_resolves() {
    let doc = document();
    let mut found = Vec::new();
    refs(&doc, "", &mut found);
    assert!(!found.is_empty());
    let dangling: Vec<_> = found
        .iter()
        .filter(|(_, target)| {
            target
                .strip_prefix('#')
                .and_then(|pointer| doc.pointer(pointer))
                .is_none()
        })
        .collect();
    assert!(dangling.is_empty(), "dangling $ref: {dangling:?}");
}

#[test]
fn every_operation_has_an_id_errors_and_authorization_or_none_on_purpose() {
    let doc = document();
    let mut ids = BTreeSet::new();
    for (method, path) in documented(&doc) {
        let operation = &doc["paths"][&path][method.to_ascii_lowercase()];
        let id = operation["operationId"].as_str().expect("operationId");
        assert!(ids.insert(id.to_owned()), "operationId {id} used twice");
        assert!(
            operation["summary"].as_str().is_some_and(|s| !s.is_empty()),
            "{method} {path}: no summary"
        );
        let responses = operation["responses"].as_object().expect("responses");
        assert!(responses.contains_key("200"), "{method} {path}: no 200");
        // Public routes say so with an empty requirement; the rest inherit the document's.
        let public = operation["security"] == serde_json::json!([{}]);
        if !public {
            assert!(
                operation.get("security").is_none(),
                "{method} {path}: unexpected security {}",
                operation["security"]
            );
            let unauthorized = &responses["401"]["content"]["application/json"]["schema"];
            assert_eq!(
                unauthorized["$ref"], "#/components/schemas/ErrorBody",
                "{method} {path}: its 401 is not the error body"
            );
        }
    }
    assert_eq!(
        doc["security"],
        serde_json::json!([{ "Authorization": [] }])
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["Authorization"]["in"],
        "header"
    );
}

#[test]
fn registration_links_to_the_instance_operations() {
    let doc = document();
    let ids: BTreeSet<String> = documented(&doc)
        .into_iter()
        .filter_map(|(method, path)| {
            doc["paths"][&path][method.to_ascii_lowercase()]["operationId"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    let links = doc["paths"]["/instances"]["post"]["responses"]["200"]["links"]
        .as_object()
        .expect("links on POST /instances");
    let targets: BTreeSet<&str> = links
        .values()
        .map(|l| l["operationId"].as_str().expect("operationId, camel case"))
        .collect();
    for target in &targets {
        assert!(ids.contains(*target), "link to unknown operation {target}");
    }
    for needed in [
        "getInstance",
        "patchInstance",
        "deleteInstance",
        "pollInstance",
        "listInstanceEvents",
    ] {
        assert!(targets.contains(needed), "no link to {needed}");
    }
    for link in links.values() {
        assert_eq!(link["parameters"]["id"], "$response.body#/id");
    }
}
