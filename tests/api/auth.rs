//! Authorization as Open Connectors: account secrets, Element tokens, tenants kept apart.

use crate::helpers::{account_auth, fixture, TestServer, ORG_SECRET, USER_SECRET};

#[tokio::test]
async fn wrong_or_missing_secrets_are_401() {
    let server = TestServer::start();
    for auth in [
        None,
        Some("".to_owned()),
        Some(format!("User {USER_SECRET}")),
        Some(format!("User wrong, Organization {ORG_SECRET}")),
        Some(format!("User {USER_SECRET}, Organization wrong")),
        Some("Bearer abc".to_owned()),
        Some("Element not-a-token".to_owned()),
    ] {
        let mut request = server.client.get(server.url("/instances"));
        if let Some(a) = &auth {
            request = request.header("Authorization", a);
        }
        let (status, body) = server.send(request).await;
        assert_eq!(status, 401, "{auth:?}: {body}");
        assert!(
            body["message"]
                .as_str()
                .is_some_and(|m| m.contains("Authorization")),
            "{body}"
        );
    }
    let request = server
        .client
        .post(server.url("/instances"))
        .header(
            "Authorization",
            format!("User {USER_SECRET}, Organization nope"),
        )
        .header("Content-Type", "application/json")
        .body(fixture("sagecrm-seed.json"));
    let (status, _) = server.send(request).await;
    assert_eq!(status, 401);
    assert_eq!(server.snapshot().await, serde_json::json!([]));
}

#[tokio::test]
async fn an_element_token_reaches_only_its_own_instance() {
    let server = TestServer::start();
    let (_, a) = server
        .post_raw("/instances", &fixture("sagecrm-seed.json"))
        .await;
    let (_, b) = server
        .post_raw("/instances", &fixture("sageone-seed.json"))
        .await;
    let token_a = format!("Element {}", a["token"].as_str().expect("token"));
    let (status, _) = server
        .get(&format!("/instances/{}", a["id"]), &token_a)
        .await;
    assert_eq!(status, 200);
    let (status, _) = server
        .get(&format!("/instances/{}", b["id"]), &token_a)
        .await;
    assert_eq!(
        status, 404,
        "another instance is invisible to an Element token"
    );
    let (status, list) = server.get("/instances", &token_a).await;
    assert_eq!(status, 200);
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    let request = server
        .client
        .post(server.url("/instances"))
        .header("Authorization", &token_a)
        .header("Content-Type", "application/json")
        .body(fixture("sagecrm-seed.json"));
    let (status, body) = server.send(request).await;
    assert_eq!(status, 403, "creating needs account secrets: {body}");
}

#[tokio::test]
async fn another_tenants_instance_is_404() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("t.db");
    let first = TestServer::start_on(&db, &[]);
    let (_, created) = first
        .post_raw("/instances", &fixture("sagecrm-seed.json"))
        .await;
    drop(first);
    // The operator rotates the local account's secrets: the old ones stop working at once.
    let second = TestServer::start_on(
        &db,
        &[
            ("POLLHOOK_ORGANIZATION_SECRET", "other-org"),
            ("POLLHOOK_USER_SECRET", "other-user"),
        ],
    );
    let (status, _) = second
        .get(&format!("/instances/{}", created["id"]), &account_auth())
        .await;
    assert_eq!(status, 401);
    let (status, _) = second
        .get(
            &format!("/instances/{}", created["id"]),
            "User other-user, Organization other-org",
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = second
        .get(
            "/instances/999999",
            "User other-user, Organization other-org",
        )
        .await;
    assert_eq!(status, 404, "{body}");
}
