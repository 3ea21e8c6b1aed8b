//! Create Instance, the seed pages' UI path: choose the element, fill its fields, turn on
//! events, tick the resources to poll (each with its default configuration, editable and
//! copyable to another resource, its poll URL previewed live), then Create Instance. The
//! post goes through the same registration code as `POST /instances`.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{html, Markup};
use serde::Deserialize;

use crate::api::instances::create_instance;
use crate::api::ApiState;
use crate::console::create_form::{
    config_name, errors_by_input, id_for, provider_name, resource_name, CreateForm, ResourceForm,
    FILTER_BY_CURRENT, FILTER_BY_UPDATED, GENERAL, RESOURCES, RESOURCE_INPUTS,
};
use crate::console::csrf::SignedInForm;
use crate::console::html::{csrf_input, page, problem, respond};
use crate::console::preview::{expand, preview_instant};
use crate::console::signed_in::SignedIn;
use crate::element_catalogue::{catalogue, find, ConfigField, ElementDescription, FieldType};
use crate::field_error::FieldError;

const PATH: &str = "/console/instances/new";

#[derive(Debug, Deserialize)]
pub struct ElementQuery {
    element: Option<String>,
}

/// Errors to show, by form input name.
type Errors = BTreeMap<String, Vec<String>>;

/// `GET /console/instances/new[?element=key]`: the element choice, then its form.
pub async fn show(signed_in: SignedIn, Query(query): Query<ElementQuery>) -> Response {
    let Some(key) = query.element.as_deref().filter(|k| !k.is_empty()) else {
        return respond(
            StatusCode::OK,
            page("Create instance", Some(&signed_in.viewer()), choose()),
        );
    };
    let Some(element) = find(key) else {
        return problem(
            StatusCode::NOT_FOUND,
            "Unknown element",
            "There is no such element; choose one from the list.",
        );
    };
    let form = CreateForm::new(element);
    respond(
        StatusCode::OK,
        page(
            &title(element),
            Some(&signed_in.viewer()),
            render_form(&form, &Errors::new(), &signed_in.csrf, false),
        ),
    )
}

/// `POST /console/instances/new`: registers through the API's code, or shows the form again
/// with each error next to its field (and secret fields empty, to be entered again).
pub async fn submit(State(state): State<ApiState>, form: SignedInForm) -> Response {
    let signed_in = &form.signed_in;
    let Some(element) = form.fields.get("element").and_then(find) else {
        return problem(
            StatusCode::BAD_REQUEST,
            "Unknown element",
            "The form names no element pollhook knows; start again from Create instance.",
        );
    };
    let (shown, body) = CreateForm::from_post(element, &form.fields);
    let result = create_instance(
        &state,
        &signed_in.request_id,
        signed_in.account.organization_id.clone(),
        &body,
    )
    .await;
    match result {
        Ok(created) => respond(
            StatusCode::OK,
            page(
                "Instance created",
                Some(&signed_in.viewer()),
                created_page(
                    &created.instance.spec.name,
                    created.instance.id.0,
                    &created.token,
                    created.webhook_secret.as_str(),
                ),
            ),
        ),
        Err(e) => {
            let field_errors: Vec<FieldError> = match &e.validation {
                Some(v) => v.0.clone(),
                None => vec![FieldError::new(GENERAL, e.message.clone())],
            };
            let errors = errors_by_input(&shown, &field_errors);
            respond(
                e.status,
                page(
                    &title(element),
                    Some(&signed_in.viewer()),
                    render_form(&shown, &errors, &signed_in.csrf, true),
                ),
            )
        }
    }
}

fn title(element: &ElementDescription) -> String {
    format!("Create a {} instance", element.name)
}

fn choose() -> Markup {
    html! {
        p { "Choose the element (connector) of the new instance." }
        ul class="elements" {
            @for e in catalogue() {
                li {
                    h2 { (e.name) }
                    p { (e.description) }
                    p { a href=(format!("{PATH}?element={}", e.key)) { "Create a " (e.name) " instance" } }
                }
            }
        }
    }
}

fn created_page(name: &str, id: u64, token: &str, webhook_secret: &str) -> Markup {
    html! {
        p role="status" { "The instance " strong { (name) } " is registered." }
        section aria-labelledby="shown-once-heading" class="notice" {
            h2 id="shown-once-heading" { "Shown once" }
            p { "Copy these now: pollhook keeps only their digests or encrypted copies and does not show them again." }
            dl {
                dt { "Element token (" code { "Authorization: Element <token>" } ")" }
                dd { code id="instance-token" { (token) } }
                dt { "Webhook secret (Standard Webhooks signatures)" }
                dd { code id="webhook-secret" { (webhook_secret) } }
            }
        }
        p { a class="button" href=(format!("/console/instances/{id}")) { "Open the instance" } }
    }
}

/// The ids a field's help and errors are announced with.
fn described_by(id: &str, help: bool, error: bool) -> Option<String> {
    let mut ids = Vec::new();
    if error {
        ids.push(format!("error-{id}"));
    }
    if help {
        ids.push(format!("help-{id}"));
    }
    (!ids.is_empty()).then(|| ids.join(" "))
}

fn error_list(id: &str, messages: Option<&Vec<String>>) -> Markup {
    html! {
        @if let Some(messages) = messages {
            p class="field-error" id=(format!("error-{id}")) {
                @for (i, m) in messages.iter().enumerate() {
                    @if i > 0 { br; }
                    (m)
                }
            }
        }
    }
}

/// One text-like input with its label, help and errors.
struct Input<'a> {
    name: &'a str,
    label: Markup,
    kind: &'a str,
    value: &'a str,
    required: bool,
    help: Option<&'a str>,
}

fn input(field: Input<'_>, errors: &Errors) -> Markup {
    let id = id_for(field.name);
    let messages = errors.get(field.name);
    let password = field.kind == "password";
    html! {
        div class="field" {
            label for=(id) { (field.label) @if field.required { " (required)" } }
            input type=(field.kind) id=(id) name=(field.name)
                value=[(!password).then_some(field.value)]
                autocomplete=[password.then_some("new-password")]
                spellcheck=[(!password).then_some("false")]
                aria-invalid=[messages.map(|_| "true")]
                aria-describedby=[described_by(&id, field.help.is_some(), messages.is_some())];
            (error_list(&id, messages))
            @if let Some(help) = field.help { p class="help" id=(format!("help-{id}")) { (help) } }
        }
    }
}

fn checkbox(
    name: &str,
    label: Markup,
    checked: bool,
    help: Option<&str>,
    errors: &Errors,
) -> Markup {
    let id = id_for(name);
    let messages = errors.get(name);
    html! {
        div class="field check" {
            input type="checkbox" id=(id) name=(name) checked[checked]
                aria-invalid=[messages.map(|_| "true")]
                aria-describedby=[described_by(&id, help.is_some(), messages.is_some())];
            label for=(id) { (label) }
            (error_list(&id, messages))
            @if let Some(help) = help { p class="help" id=(format!("help-{id}")) { (help) } }
        }
    }
}

fn select(name: &str, field: &ConfigField, value: &str, errors: &Errors) -> Markup {
    let id = id_for(name);
    let messages = errors.get(name);
    let help = field.help.as_deref();
    html! {
        div class="field" {
            label for=(id) { (field.label) @if field.required { " (required)" } }
            select id=(id) name=(name)
                aria-invalid=[messages.map(|_| "true")]
                aria-describedby=[described_by(&id, help.is_some(), messages.is_some())] {
                @if !field.required { option value="" selected[value.is_empty()] { "(none)" } }
                @for o in &field.options { option value=(o) selected[o == value] { (o) } }
            }
            (error_list(&id, messages))
            @if let Some(help) = help { p class="help" id=(format!("help-{id}")) { (help) } }
        }
    }
}

/// A catalogue field, as the input its type calls for; secrets never carry a value.
fn config_field(
    name: &str,
    field: &ConfigField,
    value: &str,
    reask: bool,
    errors: &Errors,
) -> Markup {
    let help_text;
    let help = if field.secret && reask {
        help_text = format!(
            "{} Enter it again: secrets are not kept in the page.",
            field.help.as_deref().unwrap_or_default()
        );
        Some(help_text.trim())
    } else {
        field.help.as_deref()
    };
    let kind = match field.field_type {
        FieldType::Boolean => {
            return checkbox(name, html! { (field.label) }, value == "true", help, errors)
        }
        FieldType::Select => return select(name, field, value, errors),
        FieldType::Password => "password",
        FieldType::Url => "url",
        FieldType::Number => "number",
        FieldType::Text => "text",
    };
    input(
        Input {
            name,
            label: html! { (field.label) },
            kind,
            value,
            required: field.required,
            help,
        },
        errors,
    )
}

fn render_form(form: &CreateForm, errors: &Errors, csrf: &str, reask: bool) -> Markup {
    let element = form.element;
    let (event_fields, own_fields): (Vec<&ConfigField>, Vec<&ConfigField>) = element
        .configuration
        .iter()
        .partition(|f| f.key.starts_with("event."));
    let any_secret = element
        .configuration
        .iter()
        .chain(&element.provider_data)
        .any(|f| f.secret);
    let value_of = |map: &BTreeMap<String, String>, key: &str| -> String {
        map.get(key).cloned().unwrap_or_default()
    };
    html! {
        @if !errors.is_empty() { (error_summary(form, errors)) }
        p { "Element: " strong { (element.name) } " (" code { (element.key) } "). "
            a href=(PATH) { "Choose another element" } }
        @if reask && any_secret {
            p class="notice" { "Secret fields are empty again: pollhook never puts a secret back into a page. Enter them again before creating the instance." }
        }
        form method="post" action=(PATH) novalidate class="create" {
            (csrf_input(csrf))
            input type="hidden" name="element" value=(element.key);
            fieldset {
                legend { "Instance" }
                (input(Input { name: "name", label: html! { "Name" }, kind: "text", value: &form.name, required: true, help: None }, errors))
                (input(Input { name: "tags", label: html! { "Tags" }, kind: "text", value: &form.tags, required: false, help: Some("Comma-separated, e.g. Docs, crm.") }, errors))
            }
            fieldset {
                legend { "Authenticate: " (element.name) }
                @for f in &own_fields {
                    (config_field(&config_name(&f.key), f, &value_of(&form.config, &f.key), reask, errors))
                }
                @for f in &element.provider_data {
                    (config_field(&provider_name(&f.key), f, &value_of(&form.provider, &f.key), reask, errors))
                }
            }
            fieldset {
                legend { "Events" }
                @for f in &event_fields {
                    (config_field(&config_name(&f.key), f, &value_of(&form.config, &f.key), reask, errors))
                }
            }
            fieldset id="resources" aria-describedby=[errors.get(RESOURCES).map(|_| format!("error-{RESOURCES}"))] {
                legend { "Resources to poll" }
                p class="help" { "Tick each resource to poll. Its configuration starts from the element's default; edit it, or copy it to another resource (the seed pages' way to poll more)." }
                (error_list(RESOURCES, errors.get(RESOURCES)))
                @for (i, r) in form.resources.iter().enumerate() {
                    (resource_section(i, r, errors))
                }
                datalist id="resource-names" {
                    @for r in &element.resources { option value=(r.name) {} }
                }
            }
            p role="status" aria-live="polite" id="copy-status" class="help" {}
            button type="submit" class="primary" { "Create Instance" }
        }
    }
}

fn error_summary(form: &CreateForm, errors: &Errors) -> Markup {
    html! {
        div class="error-summary" role="alert" aria-labelledby="error-summary-heading" {
            h2 id="error-summary-heading" { "The instance was not created" }
            ul {
                @for (name, messages) in errors {
                    @for m in messages {
                        li {
                            @if name == GENERAL { (m) }
                            @else {
                                a href=(format!("#{}", id_for(name))) {
                                    @if let Some(label) = form.label_of(name) { (label) ": " }
                                    (m)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn resource_section(i: usize, r: &ResourceForm, errors: &Errors) -> Markup {
    let name = |suffix: &str| resource_name(i, suffix);
    let prefix = |text: &str| html! { span class="visually-hidden" { (r.name) " " } (text) };
    let has_error = |suffix: &str| errors.contains_key(&name(suffix));
    let advanced_error = RESOURCE_INPUTS.iter().any(|input| has_error(input.key))
        || has_error(FILTER_BY_UPDATED)
        || has_error(FILTER_BY_CURRENT);
    let url_name = name("url");
    let url_id = id_for(&url_name);
    let preview_id = id_for(&name("preview"));
    let copy_id = id_for(&name("copy-to"));
    let preview = expand(&r.url, r.url_zone(), preview_instant(chrono::Utc::now()));
    html! {
        fieldset class="resource" data-index=(i) data-resource=(r.name) {
            legend {
                code { (r.name) }
                @if let Some(label) = &r.label { " · " (label) }
            }
            input type="hidden" name=(name("name")) value=(r.name);
            (checkbox(&name("poll"), html! { "Poll " (r.name) }, r.poll, None, errors))
            (input(Input { name: &url_name, label: prefix("URL"), kind: "text", value: &r.url, required: true,
                help: Some("A path such as /hubs/crm/accounts?where=... or an http(s) URL; ${gmtDate:FORMAT} and ${date:FORMAT} become the last poll's time.") }, errors))
            p class="preview" {
                "Poll URL now: "
                output id=(preview_id) for=(url_id) aria-live="polite" data-preview=(i) {
                    @match &preview {
                        Ok(url) => code { (url) },
                        Err(e) => span class="bad" { (e) },
                    }
                }
            }
            details open[advanced_error] {
                summary { "Polling configuration of " (r.name) }
                @for ri in RESOURCE_INPUTS {
                    (input(Input {
                        name: &name(ri.key),
                        label: prefix(ri.label),
                        kind: if ri.place == crate::console::create_form::Place::Number { "number" } else { "text" },
                        value: r.inputs.get(ri.key).map(String::as_str).unwrap_or_default(),
                        required: false,
                        help: None,
                    }, errors))
                }
                (checkbox(&name(FILTER_BY_UPDATED), prefix("Filter by updated date"), r.filter_by_updated, None, errors))
                (checkbox(&name(FILTER_BY_CURRENT), prefix("Filter by current date (upper bound at the poll's start)"), r.filter_by_current, None, errors))
            }
            div class="copy" hidden data-copy-row {
                label for=(copy_id) { "Copy " (r.name) " to resource" }
                input type="text" id=(copy_id) list="resource-names" spellcheck="false";
                button type="button" data-copy-from=(i) { "Copy to another resource" }
            }
        }
    }
}
