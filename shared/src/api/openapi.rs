//! The API's OpenAPI 3.1 document, derived from the handlers' `#[utoipa::path]` annotations and
//! the types they answer with, so it changes when the code does. Served at `/openapi.json`;
//! `tests/openapi.rs` checks that it names every route of [`router`](super::router).

use std::sync::LazyLock;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::openapi::{ObjectBuilder, RefOr, Type};
use utoipa::{Modify, OpenApi};

use super::error::ErrorBody;
use super::instance_body::{ConfigPatchValue, ConfigValue};
use super::request_id::HEADER as REQUEST_ID_HEADER;
use super::{docs, elements, events, health, instances, metrics};

/// The name the operations' security requirements use for the `Authorization` header (the
/// `security` of [`ApiDoc`] spells it out: the derive takes only a literal).
pub const AUTHORIZATION_SCHEME: &str = "Authorization";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "pollhook",
        description = "Open, self-hostable polling events: register connector instances as \
Open Connectors does, and get a signed webhook for every record that changed at the vendor.\n\n\
Every error answers with the same JSON body (`ErrorBody`): the request id, a message, and for \
bad requests each problem with the field it is about.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    paths(
        health::check,
        metrics::render,
        openapi_json,
        docs::page,
        elements::list,
        elements::get_one,
        instances::list,
        instances::create,
        events::list_all,
        instances::get,
        instances::patch,
        instances::delete,
        events::list,
        events::retry_dead,
        events::get_one,
        events::retry_one,
        instances::rotate_webhook_secret,
        events::polls,
        events::poll_now,
    ),
    // Schemas only a `schema_with` function or a flattened map refers to, which the derive
    // does not register.
    components(schemas(ErrorBody, ConfigPatchValue, ConfigValue)),
    security(("Authorization" = [])),
    modifiers(&Authorization, &RequestIdHeader),
    tags(
        (name = "instances", description = "Register, read, change and remove connector instances"),
        (name = "events", description = "What polling found and how its delivery went"),
        (name = "polls", description = "Poll now, and the poll log"),
        (name = "elements", description = "The connectors and how to configure them"),
        (name = "service", description = "Health, metrics and this document"),
    )
)]
pub struct ApiDoc;

/// The Open Connectors `Authorization` header. OpenAPI has no scheme for its two forms, so it
/// is described as an API key in the header, with the forms in the description.
struct Authorization;

impl Modify for Authorization {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            AUTHORIZATION_SCHEME,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "`User <user secret>, Organization <organization secret>` for the account, or \
`Element <token>` for one instance (the token `POST /instances` answered with). An Element \
token sees only its own instance, and cannot register instances.",
            ))),
        );
    }
}

/// Every answer carries `Elements-Request-Id` (see [`request_id`](super::request_id)).
struct RequestIdHeader;

impl Modify for RequestIdHeader {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let header = HeaderBuilder::new()
            .schema(ObjectBuilder::new().schema_type(Type::String))
            .description(Some(
                "The id this request was logged under; quote it when reporting a problem.",
            ))
            .build();
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                for response in operation.responses.responses.values_mut() {
                    if let RefOr::T(response) = response {
                        response.headers.insert(header_name(), header.clone());
                    }
                }
            }
        }
    }
}

/// `Elements-Request-Id` as the document spells it.
fn header_name() -> String {
    REQUEST_ID_HEADER
        .split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// The document as served.
pub fn document() -> Value {
    // Serializing a document of plain maps and strings cannot fail; an empty object (which
    // the tests would catch) stands in if it ever did.
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    camel_case_links(&mut doc);
    doc
}

/// The document as served, serialized once.
pub fn document_json() -> &'static str {
    static JSON: LazyLock<String> =
        LazyLock::new(|| serde_json::to_string_pretty(&document()).unwrap_or_default());
    &JSON
}

/// utoipa 5 writes a Link's fields in snake case (`operation_id`), which OpenAPI does not
/// know, so the links would be ignored by clients and the document would not validate.
fn camel_case_links(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    let operations = paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut());
    for operation in operations {
        let Some(responses) = operation
            .get_mut("responses")
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        let links = responses
            .values_mut()
            .filter_map(|r| r.get_mut("links"))
            .filter_map(Value::as_object_mut)
            .flat_map(|links| links.values_mut())
            .filter_map(Value::as_object_mut);
        for link in links {
            for (snake, camel) in [
                ("operation_id", "operationId"),
                ("operation_ref", "operationRef"),
                ("request_body", "requestBody"),
            ] {
                if let Some(v) = link.remove(snake) {
                    link.insert(camel.to_owned(), v);
                }
            }
        }
    }
}

/// `GET /openapi.json`: this document, without authentication, like `/docs`.
#[utoipa::path(
    get,
    path = "/openapi.json",
    operation_id = "getOpenApiDocument",
    summary = "This OpenAPI document",
    description = "The OpenAPI 3.1 document of this API, generated from the code. No authentication.",
    tag = "service",
    security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document of this API", content_type = "application/json", body = Object)),
)]
pub async fn openapi_json() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        document_json(),
    )
        .into_response()
}
