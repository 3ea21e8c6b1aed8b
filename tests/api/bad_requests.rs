//! Bad requests: each gets a 4xx naming the field, and nothing stored changes.

use serde_json::{json, Value};

use crate::helpers::{account_auth, fixture, TestServer};

const POLLER: &str = "event.poller.configuration";

fn seed() -> Value {
    serde_json::from_str(&fixture("sagecrm-seed.json")).expect("seed is JSON")
}

fn with(change: impl FnOnce(&mut Value)) -> String {
    let mut body = seed();
    change(&mut body);
    body.to_string()
}

fn config(body: &mut Value) -> &mut serde_json::Map<String, Value> {
    body["configuration"]
        .as_object_mut()
        .expect("configuration object")
}

fn accounts(body: &mut Value) -> &mut serde_json::Map<String, Value> {
    body["configuration"][POLLER]["accounts"]
        .as_object_mut()
        .expect("accounts")
}

struct Case {
    name: &'static str,
    body: String,
    content_type: &'static str,
    status: u16,
    /// Must appear in the message: the field (and often the problem).
    expect: &'static str,
}

fn case(name: &'static str, body: String, status: u16, expect: &'static str) -> Case {
    Case {
        name,
        body,
        content_type: "application/json",
        status,
        expect,
    }
}

fn cases() -> Vec<Case> {
    vec![
        case("malformed JSON", "{\"element\": ".into(), 400, "body: malformed JSON"),
        case("empty body", "".into(), 400, "body"),
        case("not an object", "[1,2]".into(), 400, "body: expected a JSON object"),
        Case {
            name: "wrong content type",
            body: seed().to_string(),
            content_type: "text/plain",
            status: 415,
            expect: "Content-Type",
        },
        case("body over 1 MiB", format!("{{\"name\": \"{}\"}}", "a".repeat(1024 * 1024 + 10)), 413, "body: larger than"),
        case("missing element", with(|b| { b.as_object_mut().expect("obj").remove("element"); }), 400, "element.key: required"),
        case("element key missing", with(|b| b["element"] = json!({})), 400, "element.key: required"),
        case("element key not a string", with(|b| b["element"]["key"] = json!(5)), 400, "element.key: expected a string"),
        case("unknown element", with(|b| b["element"]["key"] = json!("salesforce")), 400, "element.key: unknown element 'salesforce'"),
        case("missing configuration", with(|b| { b.as_object_mut().expect("obj").remove("configuration"); }), 400, "configuration: required"),
        case("configuration not an object", with(|b| b["configuration"] = json!("x")), 400, "configuration: expected an object"),
        case("missing password", with(|b| { config(b).remove("password"); }), 400, "configuration.password: required for element 'sagecrm'"),
        case("missing username", with(|b| { config(b).remove("username"); }), 400, "configuration.username: required"),
        case("empty subdomain", with(|b| { config(b).insert("subdomain".into(), json!(" ")); }), 400, "configuration.subdomain: required"),
        case("subdomain with scheme", with(|b| { config(b).insert("subdomain".into(), json!("https://crm.example.com")); }), 400, "configuration.subdomain: 'https://crm.example.com' must be a host name only"),
        case("configuration value is an array", with(|b| { config(b).insert("username".into(), json!(["a"])); }), 400, "configuration.username: expected a string, boolean or number"),
        case("events on without callback", with(|b| { config(b).remove("event.notification.callback.url"); }), 400, "configuration.event.notification.callback.url: required when event.notification.enabled is true"),
        case("callback not http", with(|b| { config(b).insert("event.notification.callback.url".into(), json!("ftp://example.com/in")); }), 400, "configuration.event.notification.callback.url: scheme 'ftp' is not allowed"),
        case("callback not a URL", with(|b| { config(b).insert("event.notification.callback.url".into(), json!("not a url")); }), 400, "configuration.event.notification.callback.url: 'not a url' is not a valid absolute URL"),
        case("events enabled not boolean", with(|b| { config(b).insert("event.notification.enabled".into(), json!("maybe")); }), 400, "configuration.event.notification.enabled: expected true or false"),
        case("refresh interval zero", with(|b| { config(b).insert("event.poller.refresh_interval".into(), json!("0")); }), 400, "configuration.event.poller.refresh_interval: 0 minutes is out of range"),
        case("refresh interval too big", with(|b| { config(b).insert("event.poller.refresh_interval".into(), json!(1441)); }), 400, "configuration.event.poller.refresh_interval: 1441 minutes is out of range"),
        case("refresh interval fractional", with(|b| { config(b).insert("event.poller.refresh_interval".into(), json!("1.5")); }), 400, "configuration.event.poller.refresh_interval: '1.5' is not a positive whole number"),
        case("refresh interval negative", with(|b| { config(b).insert("event.poller.refresh_interval".into(), json!(-5)); }), 400, "configuration.event.poller.refresh_interval"),
        case("poller configuration invalid JSON string", with(|b| { config(b).insert(POLLER.into(), json!("{\"accounts\": ")); }), 400, "configuration.event.poller.configuration: is not valid JSON"),
        case("poller configuration a JSON array string", with(|b| { config(b).insert(POLLER.into(), json!("[1]")); }), 400, "configuration.event.poller.configuration: the JSON-encoded string holds an array"),
        case("poller configuration a number", with(|b| { config(b).insert(POLLER.into(), json!(7)); }), 400, "configuration.event.poller.configuration: expected an object"),
        case("poller configuration empty", with(|b| { config(b).insert(POLLER.into(), json!({})); }), 400, "configuration.event.poller.configuration: must configure at least one resource"),
        case("resource not an object", with(|b| { b["configuration"][POLLER]["accounts"] = json!("x"); }), 400, "configuration.event.poller.configuration.accounts: expected an object"),
        case("resource without url", with(|b| { accounts(b).remove("url"); }), 400, "configuration.event.poller.configuration.accounts.url: required"),
        case("url with unknown placeholder", with(|b| { accounts(b).insert("url".into(), json!("/hubs/crm/accounts?where=x>'${now}'")); }), 400, "configuration.event.poller.configuration.accounts.url: unknown placeholder '${now}'"),
        case("url with unbalanced placeholder", with(|b| { accounts(b).insert("url".into(), json!("/hubs/crm/accounts?where=x>'${gmtDate:yyyy-MM-dd")); }), 400, "configuration.event.poller.configuration.accounts.url: unclosed '${'"),
        case("url not a path", with(|b| { accounts(b).insert("url".into(), json!("hubs/crm/accounts")); }), 400, "configuration.event.poller.configuration.accounts.url: 'hubs/crm/accounts' must be a path"),
        case("date pattern unknown letter", with(|b| { b["configuration"][POLLER]["accounts"]["datesConfiguration"]["updatedDateFormat"] = json!("yyyy-MM-dd'T'HH:mm:ss.qqq"); }), 400, "configuration.event.poller.configuration.accounts.datesConfiguration.updatedDateFormat: unknown pattern letter 'q'"),
        case("date pattern unterminated quote", with(|b| { b["configuration"][POLLER]["accounts"]["datesConfiguration"]["createdDateFormat"] = json!("yyyy-MM-dd'T"); }), 400, "configuration.event.poller.configuration.accounts.datesConfiguration.createdDateFormat: unterminated quote"),
        case("unknown time zone", with(|b| { b["configuration"][POLLER]["accounts"]["datesConfiguration"]["updatedDateTimezone"] = json!("Mars/Olympus"); }), 400, "configuration.event.poller.configuration.accounts.datesConfiguration.updatedDateTimezone: unknown time zone 'Mars/Olympus'"),
        case("idField malformed", with(|b| { accounts(b).insert("idField".into(), json!("data..id")); }), 400, "configuration.event.poller.configuration.accounts.idField: empty segment"),
        case("pageSize zero", with(|b| { accounts(b).insert("pageSize".into(), json!(0)); }), 400, "configuration.event.poller.configuration.accounts.pageSize: expected a whole number from 1"),
        case("unknown resource key", with(|b| { accounts(b).insert("idFeild".into(), json!("key")); }), 400, "configuration.event.poller.configuration.accounts.idFeild: unknown key"),
        case("url with a broken where clause", with(|b| { accounts(b).insert("url".into(), json!("/hubs/crm/accounts?where=Comp_UpdatedDate>>'${gmtDate}'")); }), 400, "configuration.event.poller.configuration.accounts.url: where=Comp_UpdatedDate>>'2022-01-08T00:00:00Z': expected a value after '>'"),
        case("url naming a resource the element lacks", with(|b| { accounts(b).insert("url".into(), json!("/hubs/crm/widgets?where=x>'${gmtDate}'")); }), 400, "configuration.event.poller.configuration.accounts.url: Sage CRM has no resource 'widgets'"),
        case("name missing", with(|b| { b.as_object_mut().expect("obj").remove("name"); }), 400, "name: required"),
        case("tags not strings", with(|b| b["tags"] = json!([1])), 400, "tags[0]: expected a string"),
        case("sageone without code", {
            let mut b: Value = serde_json::from_str(&fixture("sageone-seed.json")).expect("json");
            b.as_object_mut().expect("obj").remove("providerData");
            b.to_string()
        }, 400, "providerData.code: required for element 'sageone'"),
        case("http element without base.url", with(|b| {
            b["element"]["key"] = json!("http");
        }), 400, "configuration.base.url: required for element 'http'"),
    ]
}

#[tokio::test]
async fn every_bad_request_is_a_4xx_naming_its_field_and_changes_nothing() {
    let server = TestServer::start();
    let (status, created) = server
        .post_raw("/instances", &fixture("sagecrm-seed.json"))
        .await;
    assert_eq!(status, 200, "{created}");
    let before = server.snapshot().await;
    let cases = cases();
    assert!(cases.len() >= 25);
    for c in cases {
        let request = server
            .client
            .post(server.url("/instances"))
            .header("Authorization", account_auth())
            .header("Content-Type", c.content_type)
            .body(c.body);
        let (status, body) = server.send(request).await;
        assert_eq!(status, c.status, "{}: {body}", c.name);
        let message = body["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(c.expect),
            "{}: message {message:?} lacks {:?}",
            c.name,
            c.expect
        );
        assert!(
            body["requestId"].as_str().is_some_and(|r| !r.is_empty()),
            "{}: no requestId",
            c.name
        );
        // Every error names its field in the `errors` list too, the first one as in the message.
        let first = &body["errors"][0];
        let field = first["field"].as_str().unwrap_or_default();
        assert!(
            !field.is_empty(),
            "{}: no errors[0].field in {body}",
            c.name
        );
        assert!(
            message.starts_with(field),
            "{}: {field} vs {message}",
            c.name
        );
    }
    assert_eq!(
        server.snapshot().await,
        before,
        "a rejected request changed what is stored"
    );
}

#[tokio::test]
async fn a_rejected_patch_leaves_the_instance_as_it_was() {
    let server = TestServer::start();
    let (_, created) = server
        .post_raw("/instances", &fixture("sagecrm-seed.json"))
        .await;
    let id = created["id"].as_u64().expect("id");
    let before = server.snapshot().await;
    for (patch, status, expect) in [
        (
            json!({"configuration": {"event.poller.refresh_interval": "abc"}}),
            400,
            "configuration.event.poller.refresh_interval",
        ),
        (
            json!({"configuration": {"event.notification.callback.url": "javascript:alert(1)"}}),
            400,
            "configuration.event.notification.callback.url",
        ),
        (
            json!({"configuration": {"password": null}}),
            400,
            "configuration.password: required",
        ),
        (
            json!({"element": {"key": "sageone"}}),
            400,
            "element.key: cannot be changed",
        ),
        (json!({"name": ""}), 400, "name: must not be empty"),
        (json!({"colour": "blue"}), 400, "colour: unknown key"),
    ] {
        let request = server
            .client
            .patch(server.url(&format!("/instances/{id}")))
            .header("Authorization", account_auth())
            .header("Content-Type", "application/json")
            .body(patch.to_string());
        let (got, body) = server.send(request).await;
        assert_eq!(got, status, "{patch}: {body}");
        let message = body["message"].as_str().unwrap_or_default();
        assert!(message.contains(expect), "{patch}: {message}");
    }
    assert_eq!(server.snapshot().await, before);
}
