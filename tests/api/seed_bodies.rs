//! The seed pages' bodies, byte for byte, are accepted and survive a restart.

use serde_json::Value;

use crate::helpers::{account_auth, fixture, TestServer};

const REDACTED: &str = "********";

fn assert_no_secret_leaks(body: &Value, secrets: &[&str]) {
    let text = body.to_string();
    for s in secrets {
        assert!(!text.contains(s), "secret {s:?} leaked in {text}");
    }
}

#[tokio::test]
async fn both_seed_bodies_register_and_survive_a_restart() {
    let server = TestServer::start();
    let mut created = Vec::new();
    for name in ["sagecrm-seed.json", "sageone-seed.json"] {
        let raw = fixture(name);
        let (status, body) = server.post_raw("/instances", &raw).await;
        assert_eq!(status, 200, "{name}: {body}");
        let id = body["id"]
            .as_u64()
            .unwrap_or_else(|| panic!("{name}: no numeric id in {body}"));
        let token = body["token"].as_str().expect("token").to_owned();
        assert!(token.len() >= 32, "token too short: {token}");
        assert!(
            body["createdDate"]
                .as_str()
                .is_some_and(|d| d.ends_with('Z')),
            "{body}"
        );
        let sent: Value = serde_json::from_str(&raw).expect("fixture is JSON");
        assert_eq!(body["name"], sent["name"]);
        assert_eq!(body["tags"], sent["tags"]);
        assert_eq!(body["element"]["key"], sent["element"]["key"]);
        created.push((id, token, sent));
    }

    let server = server.restart();
    for (id, token, sent) in &created {
        let (status, body) = server
            .get(&format!("/instances/{id}"), &account_auth())
            .await;
        assert_eq!(status, 200, "{body}");
        let config = &body["configuration"];
        let sent_config = &sent["configuration"];
        for (key, value) in sent_config.as_object().expect("config object") {
            let secret = [
                "password",
                "oauth.api.secret",
                "signature.secret",
                "apim.subscription.key",
            ]
            .contains(&key.as_str());
            if secret {
                assert_eq!(config[key], REDACTED, "{key} not redacted");
            } else {
                assert_eq!(&config[key], value, "{key} changed");
            }
        }
        assert!(body.get("token").is_none(), "token is shown once only");
        assert_no_secret_leaks(
            &body,
            &[
                "xxxxxxxxxxxxxxxxxxxxxx",
                "1c6ff4089d58d80e86482ab7d5b97f15dd7b041d",
            ],
        );
        let (status, by_token) = server
            .get(&format!("/instances/{id}"), &format!("Element {token}"))
            .await;
        assert_eq!(status, 200, "Element token works after restart: {by_token}");
    }
    let (_, list) = server.get("/instances", &account_auth()).await;
    assert_eq!(list.as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn the_one_line_sage_crm_template_is_accepted_too() {
    let server = TestServer::start();
    let (status, body) = server
        .post_raw("/instances", &fixture("sagecrm-seed-template.json"))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["configuration"]["password"], REDACTED);
}

#[tokio::test]
async fn the_sage_accounting_template_names_its_placeholder_interval() {
    let server = TestServer::start();
    let (status, body) = server
        .post_raw("/instances", &fixture("sageone-seed-template.json"))
        .await;
    assert_eq!(status, 400, "{body}");
    let message = body["message"].as_str().expect("message");
    assert!(
        message.contains("configuration.event.poller.refresh_interval"),
        "{message}"
    );
    assert!(message.contains("<minutes>"), "{message}");
}

#[tokio::test]
async fn poller_configuration_may_be_a_json_encoded_string() {
    let server = TestServer::start();
    let mut body: Value = serde_json::from_str(&fixture("sageone-seed.json")).expect("json");
    let poller = body["configuration"]["event.poller.configuration"].clone();
    body["configuration"]["event.poller.configuration"] = Value::String(poller.to_string());
    body["configuration"]["event.poller.refresh_interval"] = serde_json::json!(30);
    let (status, created) = server.post_raw("/instances", &body.to_string()).await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(
        created["configuration"]["event.poller.configuration"],
        poller
    );
    assert_eq!(created["events"]["refreshInterval"], 30);
}
