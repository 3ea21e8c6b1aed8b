//! Read, change and remove an instance; odd paths and methods answer JSON errors, never 500.

use serde_json::json;

use crate::helpers::{account_auth, fixture, TestServer};

#[tokio::test]
async fn patch_revalidates_and_delete_removes() {
    let server = TestServer::start();
    let (_, created) = server
        .post_raw("/instances", &fixture("sagecrm-seed.json"))
        .await;
    let id = created["id"].as_u64().expect("id");
    let path = format!("/instances/{id}");
    let request = server
        .client
        .patch(server.url(&path))
        .header("Authorization", account_auth())
        .header("Content-Type", "application/json")
        .body(
            json!({
                "name": "renamed",
                "configuration": {
                    "event.poller.refresh_interval": 5,
                    "event.notification.callback.url": "https://hooks.example.com/in"
                }
            })
            .to_string(),
        );
    let (status, patched) = server.send(request).await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["name"], "renamed");
    assert_eq!(patched["events"]["refreshInterval"], 5);
    assert_eq!(patched["configuration"]["password"], "********");
    let server = server.restart();
    let (_, read) = server.get(&path, &account_auth()).await;
    assert_eq!(
        read["configuration"]["event.notification.callback.url"],
        "https://hooks.example.com/in"
    );
    assert_eq!(read["name"], "renamed");

    let request = server
        .client
        .delete(server.url(&path))
        .header("Authorization", account_auth());
    let (status, _) = server.send(request).await;
    assert_eq!(status, 200);
    let (status, _) = server.get(&path, &account_auth()).await;
    assert_eq!(status, 404);
    let request = server
        .client
        .delete(server.url(&path))
        .header("Authorization", account_auth());
    let (status, _) = server.send(request).await;
    assert_eq!(status, 404, "deleting twice is 404");
}

#[tokio::test]
async fn odd_paths_and_methods_are_json_4xx() {
    let server = TestServer::start();
    for (method, path, status) in [
        ("GET", "/instances/abc", 404),
        ("GET", "/instances/0", 404),
        ("GET", "/instances/99999999999999999999999", 404),
        ("GET", "/nowhere", 404),
        ("PUT", "/instances", 405),
    ] {
        let request = server
            .client
            .request(method.parse().expect("method"), server.url(path))
            .header("Authorization", account_auth());
        let (got, body) = server.send(request).await;
        assert_eq!(got, status, "{method} {path}: {body}");
        assert!(body["message"].is_string(), "{method} {path}: {body}");
    }
    let (status, _) = server.get("/healthz", "").await.clone();
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_get_sent_back_as_a_patch_keeps_every_secret() {
    let server = TestServer::start();
    let mut body: serde_json::Value =
        serde_json::from_str(&fixture("sagecrm-seed.json")).expect("seed");
    body["configuration"]["event.notification.signature.key"] = json!("real-signing-key");
    let (_, created) = server.post_raw("/instances", &body.to_string()).await;
    let id = created["id"].as_u64().expect("id");
    let path = format!("/instances/{id}");
    let (_, shown) = server.get(&path, &account_auth()).await;
    assert!(
        shown["configuration"].get("webhook.secret").is_none(),
        "webhook secrets are shown once, at creation"
    );
    // Send the configuration back as GET showed it, placeholders and all, with one real change.
    let mut config = shown["configuration"].clone();
    config["event.poller.refresh_interval"] = json!("30");
    config["webhook.secret"] = json!("********");
    let request = server
        .client
        .patch(server.url(&path))
        .header("Authorization", account_auth())
        .header("Content-Type", "application/json")
        .body(json!({"configuration": config}).to_string());
    let (status, patched) = server.send(request).await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["events"]["refreshInterval"], 30);
    // The stored secrets are the real ones still: a new placeholder in a POST is refused.
    let mut again: serde_json::Value =
        serde_json::from_str(&fixture("sagecrm-seed.json")).expect("seed");
    again["configuration"]["password"] = json!("********");
    let (status, refused) = server.post_raw("/instances", &again.to_string()).await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.contains("configuration.password: '********' is the placeholder")),
        "{refused}"
    );
}
