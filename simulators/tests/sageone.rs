//! Sage Accounting v3.1 simulator over real HTTP: the OAuth server (codes, refresh rotation,
//! expiry on the simulator clock), Bearer checks, contacts paging and filters, faults.

mod common;

use common::Sim;
use pollhook_simulators::sageone::{router, Options};
use serde_json::{json, Value};

async fn sim() -> Sim {
    Sim::start(router(Options::default())).await
}

async fn token_call(sim: &Sim, form: &[(&str, &str)]) -> (u16, Value) {
    let response = sim
        .http
        .post(sim.url("/token"))
        .form(form)
        .send()
        .await
        .expect("token call");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn new_code(sim: &Sim, redirect_uri: Option<&str>) -> String {
    let body = redirect_uri.map_or(json!({}), |r| json!({"redirect_uri": r}));
    let (status, body) = sim.admin_post("/_sim/oauth/codes", body).await;
    assert_eq!(status, 200);
    body["code"].as_str().expect("code").to_owned()
}

async fn exchange(sim: &Sim, code: &str) -> (u16, Value) {
    token_call(
        sim,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", "cid"),
            ("client_secret", "cs"),
            ("code", code),
            ("redirect_uri", "https://app.example/cb"),
        ],
    )
    .await
}

async fn access_token(sim: &Sim) -> String {
    let (status, tokens) = sim.admin_post("/_sim/oauth/tokens", json!({})).await;
    assert_eq!(status, 200);
    tokens["access_token"].as_str().expect("token").to_owned()
}

async fn contacts(sim: &Sim, token: &str, query: &str) -> (u16, Value) {
    let response = sim
        .http
        .get(sim.url(&format!("/contacts{query}")))
        .bearer_auth(token)
        .header("X-Business", "b1")
        .header("Ocp-Apim-Subscription-Key", "k")
        .send()
        .await
        .expect("api call");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn error_code(body: &Value) -> (String, String) {
    assert_eq!(
        body[0]["$severity"], "error",
        "not a Sage error array: {body}"
    );
    assert_eq!(body[0]["$source"], "");
    (
        body[0]["$dataCode"].as_str().unwrap_or_default().to_owned(),
        body[0]["$message"].as_str().unwrap_or_default().to_owned(),
    )
}

fn ids(page: &Value) -> Vec<String> {
    page["$items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| i["id"].as_str().unwrap_or("?").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn code_exchange_works_once_and_within_60_seconds() {
    let sim = sim().await;
    sim.freeze_at("2024-05-01T10:00:00Z").await;
    let code = new_code(&sim, None).await;
    sim.advance(59.0).await;
    let (status, tokens) = exchange(&sim, &code).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["scope"], "full_access");
    assert_eq!(tokens["token_type"], "bearer");
    assert_eq!(tokens["expires_in"], 300);
    assert_eq!(tokens["refresh_token_expires_in"], 2_678_400);
    assert!(tokens["requested_by_id"].as_str().is_some_and(uuid_like));
    assert_ne!(tokens["access_token"], tokens["refresh_token"]);

    let (status, body) = exchange(&sim, &code).await;
    assert_eq!(
        (status, body["error"].clone()),
        (400, json!("invalid_grant")),
        "a code works once"
    );

    let late = new_code(&sim, None).await;
    sim.advance(60.0).await;
    let (status, body) = exchange(&sim, &late).await;
    assert_eq!(
        (status, body["error"].clone()),
        (400, json!("invalid_grant")),
        "codes expire after 60 s"
    );

    let (status, body) = exchange(&sim, "never-issued").await;
    assert_eq!(
        (status, body["error"].clone()),
        (400, json!("invalid_grant"))
    );

    let bound = new_code(&sim, Some("https://other.example/cb")).await;
    let (status, _) = exchange(&sim, &bound).await;
    assert_eq!(
        status, 400,
        "redirect_uri must match the one the code was issued for"
    );
    let bound = new_code(&sim, Some("https://app.example/cb")).await;
    assert_eq!(exchange(&sim, &bound).await.0, 200);

    let (status, body) = token_call(&sim, &[("grant_type", "password"), ("username", "x")]).await;
    assert_eq!(
        (status, body["error"].clone()),
        (400, json!("invalid_grant"))
    );
}

fn uuid_like(id: &str) -> bool {
    id.len() == 36 && id.chars().filter(|c| *c == '-').count() == 4
}

#[tokio::test]
async fn client_credentials_are_checked_when_configured() {
    let sim = Sim::start(router(Options {
        client_id: Some("cid".into()),
        client_secret: Some("cs".into()),
    }))
    .await;
    let code = new_code(&sim, None).await;
    let (status, body) = token_call(
        &sim,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", "cid"),
            ("client_secret", "wrong"),
            ("code", &code),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].clone()),
        (401, json!("invalid_client"))
    );
    let (status, body) = token_call(
        &sim,
        &[("grant_type", "authorization_code"), ("code", &code)],
    )
    .await;
    assert_eq!(
        (status, body["error"].clone()),
        (401, json!("invalid_client"))
    );
    let (status, _) = exchange(&sim, &code).await;
    assert_eq!(status, 200, "the refused attempts did not consume the code");
}

#[tokio::test]
async fn refresh_tokens_rotate_and_access_tokens_expire() {
    let sim = sim().await;
    sim.freeze_at("2024-05-01T10:00:00Z").await;
    let code = new_code(&sim, None).await;
    let (_, first) = exchange(&sim, &code).await;
    let access = first["access_token"].as_str().expect("access").to_owned();
    let refresh = first["refresh_token"].as_str().expect("refresh").to_owned();

    sim.advance(299.0).await;
    assert_eq!(
        contacts(&sim, &access, "").await.0,
        200,
        "valid until expires_in has passed"
    );
    sim.advance(1.0).await;
    let (status, body) = contacts(&sim, &access, "").await;
    assert_eq!(status, 401);
    let (code, message) = error_code(&body);
    assert_eq!(code, "AuthorizationFailure");
    assert!(message.contains("expired"), "{message}");

    let (status, second) = token_call(
        &sim,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", "cid"),
            ("client_secret", "cs"),
            ("refresh_token", &refresh),
        ],
    )
    .await;
    assert_eq!(status, 200, "{second}");
    assert_ne!(second["refresh_token"].as_str(), Some(refresh.as_str()));
    let new_access = second["access_token"].as_str().expect("access").to_owned();
    assert_eq!(contacts(&sim, &new_access, "").await.0, 200);

    let (status, body) = token_call(
        &sim,
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
    )
    .await;
    assert_eq!(
        (status, body["error"].clone()),
        (400, json!("invalid_grant")),
        "the old refresh token stopped working"
    );
    let newer = second["refresh_token"].as_str().expect("refresh");
    let (status, _) = token_call(
        &sim,
        &[("grant_type", "refresh_token"), ("refresh_token", newer)],
    )
    .await;
    assert_eq!(status, 200, "the rotated refresh token works");

    let (status, body) = contacts(&sim, "made-up", "").await;
    assert_eq!(status, 401);
    assert_eq!(error_code(&body).0, "AuthorizationFailure");
    let response = sim
        .http
        .get(sim.url("/v3.1/contacts"))
        .send()
        .await
        .expect("call");
    assert_eq!(response.status().as_u16(), 401, "no Authorization header");
}

#[tokio::test]
async fn authorize_redirects_with_a_usable_code() {
    let sim = sim().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let response = client
        .get(sim.url("/oauth2/auth/central?filter=apiv3.1&client_id=cid&response_type=code&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&state=xyz"))
        .send()
        .await
        .expect("authorize");
    assert_eq!(response.status().as_u16(), 302);
    let location = response
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        location.starts_with("https://app.example/cb?code="),
        "{location}"
    );
    assert!(location.ends_with("&country=gb&state=xyz"), "{location}");
    let code = location
        .trim_start_matches("https://app.example/cb?code=")
        .split('&')
        .next()
        .unwrap_or_default();
    assert_eq!(exchange(&sim, code).await.0, 200);
}

#[tokio::test]
async fn contacts_written_by_admin_read_back_with_attributes() {
    let sim = sim().await;
    let token = access_token(&sim).await;
    sim.freeze_at("2024-05-01T10:20:30Z").await;
    let (status, created) = sim
        .admin_post(
            "/_sim/contacts",
            json!({"name": "Acme", "reference": "ACME01", "email": "a@acme.test"}),
        )
        .await;
    assert_eq!(status, 201);
    let id = created["id"].as_str().expect("id").to_owned();
    assert!(
        id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit()),
        "{id}"
    );
    assert_eq!(created["displayed_as"], "Acme (ACME01)");
    assert_eq!(created["$path"], format!("/contacts/{id}"));
    assert_eq!(created["created_at"], "2024-05-01T10:20:30Z");
    assert_eq!(created["updated_at"], "2024-05-01T10:20:30Z");
    assert_eq!(created["deleted_at"], Value::Null);
    assert_eq!(
        created["contact_types"],
        json!([{"id": "CUSTOMER", "displayed_as": "Customer", "$path": "/contact_types/CUSTOMER"}])
    );

    let (status, page) = contacts(&sim, &token, "").await;
    assert_eq!(status, 200);
    assert_eq!(
        page,
        json!({"$total": 1, "$page": 1, "$next": null, "$back": null, "$itemsPerPage": 20,
               "$items": [{"id": id, "displayed_as": "Acme (ACME01)", "$path": format!("/contacts/{id}")}]})
    );
    let (_, page) = contacts(&sim, &token, "?attributes=created_at,updated_at").await;
    assert_eq!(
        page["$items"][0],
        json!({"id": id, "displayed_as": "Acme (ACME01)", "$path": format!("/contacts/{id}"), "created_at": "2024-05-01T10:20:30Z", "updated_at": "2024-05-01T10:20:30Z"})
    );
    let (_, page) = contacts(&sim, &token, "?attributes=all").await;
    assert_eq!(page["$items"][0], created);

    sim.advance(60.0).await;
    let (status, patched) = sim
        .admin_patch(
            &format!("/_sim/contacts/{id}"),
            json!({"name": "Acme Corp"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(patched["updated_at"], "2024-05-01T10:21:30Z");
    assert_eq!(patched["displayed_as"], "Acme Corp (ACME01)");
    let response = sim
        .http
        .get(sim.url(&format!("/v3.1/contacts/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("call");
    let one: Value = response.json().await.expect("json");
    assert_eq!(one["name"], "Acme Corp");

    assert_eq!(sim.admin_delete(&format!("/_sim/contacts/{id}")).await, 200);
    let (_, page) = contacts(&sim, &token, "").await;
    assert_eq!(page["$total"], 0);
    assert_eq!(page["$items"], json!([]));
    let (_, page) = contacts(&sim, &token, "?deleted_since=2024-05-01T10:00:00Z").await;
    assert_eq!(
        ids(&page),
        vec![id.clone()],
        "deleted_since lists deletions"
    );
    let response = sim
        .http
        .get(sim.url(&format!("/contacts/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("call");
    assert_eq!(response.status().as_u16(), 404);
    let admin = sim.admin_get(&format!("/_sim/contacts/{id}")).await;
    assert_eq!(admin["deleted_at"], "2024-05-01T10:21:30Z");

    let (status, _) = sim
        .admin_post("/_sim/contacts", json!({"created_at": "soon"}))
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        sim.admin_patch("/_sim/contacts/nope", json!({})).await.0,
        404
    );
}

#[tokio::test]
async fn pages_link_to_each_other_and_past_the_end_is_the_last_page() {
    let sim = sim().await;
    let token = access_token(&sim).await;
    let batch: Vec<Value> = (0..45).map(|i| json!({"name": format!("C{i:02}"), "updated_at": "2024-06-01T00:00:00Z", "created_at": "2024-06-01T00:00:00Z"})).collect();
    let (status, created) = sim.admin_post("/_sim/contacts", Value::Array(batch)).await;
    assert_eq!(status, 201);
    let all_ids: Vec<String> = created
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| c["id"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default();

    let (_, page) = contacts(&sim, &token, "").await;
    assert_eq!(
        (page["$itemsPerPage"].clone(), ids(&page).len()),
        (json!(20), 20),
        "default items_per_page is 20"
    );

    let since = "updated_or_created_since=2024-01-01T00%3A00%3A00Z";
    let (_, p1) = contacts(&sim, &token, &format!("?{since}&items_per_page=20")).await;
    assert_eq!(p1["$total"], 45);
    assert_eq!(p1["$page"], 1);
    assert_eq!(p1["$back"], Value::Null);
    assert_eq!(
        p1["$next"],
        format!("/contacts?page=2&items_per_page=20&{since}")
    );
    let (_, p2) = contacts(
        &sim,
        &token,
        p1["$next"]
            .as_str()
            .unwrap_or("")
            .trim_start_matches("/contacts"),
    )
    .await;
    assert_eq!(p2["$page"], 2);
    assert_eq!(
        p2["$back"],
        format!("/contacts?page=1&items_per_page=20&{since}")
    );
    let (_, p3) = contacts(
        &sim,
        &token,
        p2["$next"]
            .as_str()
            .unwrap_or("")
            .trim_start_matches("/contacts"),
    )
    .await;
    assert_eq!(p3["$page"], 3);
    assert_eq!(p3["$next"], Value::Null);
    assert_eq!(ids(&p3).len(), 5);
    let read: Vec<String> = [ids(&p1), ids(&p2), ids(&p3)].concat();
    assert_eq!(read, all_ids, "every contact once, in creation order");

    let (_, past) = contacts(&sim, &token, "?page=9&items_per_page=20").await;
    assert_eq!(past["$page"], 3);
    assert_eq!(ids(&past), ids(&p3));
    let (_, big) = contacts(&sim, &token, "?items_per_page=1000").await;
    assert_eq!(big["$itemsPerPage"], 200);
    assert_eq!(ids(&big).len(), 45);
    let (status, body) = contacts(&sim, &token, "?items_per_page=0").await;
    assert_eq!(status, 400);
    assert!(error_code(&body).1.contains("items_per_page"));
    let (status, body) = contacts(&sim, &token, "?updated_or_created_since=yesterday").await;
    assert_eq!(status, 400);
    assert!(error_code(&body).1.contains("updated_or_created_since"));
}

#[tokio::test]
async fn updated_or_created_since_is_inclusive_and_other_filters_combine() {
    let sim = sim().await;
    let token = access_token(&sim).await;
    let specs = [
        json!({"name": "Old", "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z"}),
        json!({"name": "Edge", "reference": "EDGE", "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-02-01T12:00:00Z"}),
        json!({"name": "New vendor", "email": "v@x.test", "contact_types": ["VENDOR"], "created_at": "2024-02-01T12:00:01Z"}),
    ];
    let mut made = Vec::new();
    for spec in specs {
        let (status, c) = sim.admin_post("/_sim/contacts", spec).await;
        assert_eq!(status, 201, "{c}");
        made.push(c["id"].as_str().unwrap_or_default().to_owned());
    }
    let query = |since: &str| {
        format!(
            "?updated_or_created_since={}",
            since.replace(':', "%3A").replace('+', "%2B")
        )
    };
    let (_, page) = contacts(&sim, &token, &query("2024-02-01T12:00:00Z")).await;
    assert_eq!(
        ids(&page),
        [made[1].clone(), made[2].clone()],
        "inclusive at the boundary"
    );
    let (_, page) = contacts(&sim, &token, &query("2024-02-01T12:00:00.001Z")).await;
    assert_eq!(ids(&page), [made[2].clone()]);
    let (_, page) = contacts(&sim, &token, &query("2024-02-01T14:00:00+02:00")).await;
    assert_eq!(
        ids(&page),
        [made[1].clone(), made[2].clone()],
        "offsets compare as instants"
    );
    let (_, page) = contacts(&sim, &token, "?contact_type_id=CUSTOMER").await;
    assert_eq!(ids(&page), [made[0].clone(), made[1].clone()]);
    let (_, page) = contacts(
        &sim,
        &token,
        "?contact_type_id=VENDOR&attributes=contact_types",
    )
    .await;
    assert_eq!(page["$items"][0]["contact_types"][0]["id"], "VENDOR");
    let (_, page) = contacts(&sim, &token, "?search=edge").await;
    assert_eq!(ids(&page), [made[1].clone()]);
    let (_, page) = contacts(&sim, &token, "?email=V@X.test").await;
    assert_eq!(ids(&page), [made[2].clone()]);
}

#[tokio::test]
async fn faults_hit_the_api_but_not_the_token_endpoint() {
    let sim = sim().await;
    let token = access_token(&sim).await;
    let (status, _) = sim.admin_post("/_sim/contacts", json!({"name": "x"})).await;
    assert_eq!(status, 201);

    sim.fault(json!({"kind": "rate_limit", "retry_after_secs": 3}))
        .await;
    let code = new_code(&sim, None).await;
    assert_eq!(
        exchange(&sim, &code).await.0,
        200,
        "the token endpoint is never faulted"
    );
    let response = sim
        .http
        .get(sim.url("/contacts"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("call");
    assert_eq!(response.status().as_u16(), 429);
    assert_eq!(
        response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("3")
    );
    let body: Value = response.json().await.expect("json");
    assert_eq!(error_code(&body).0, "TooManyRequests");
    assert_eq!(contacts(&sim, &token, "").await.0, 200);

    sim.fault(json!({"kind": "server_error"})).await;
    let (status, body) = contacts(&sim, &token, "").await;
    assert_eq!(status, 500);
    assert_eq!(error_code(&body).0, "UnexpectedError");

    sim.fault(json!({"kind": "malformed", "style": "missing_items"}))
        .await;
    let (status, page) = contacts(&sim, &token, "").await;
    assert_eq!(status, 200);
    assert_eq!(page["$total"], 1);
    assert!(page.get("$items").is_none(), "{page}");

    sim.fault(json!({"kind": "malformed", "style": "html"}))
        .await;
    let response = sim
        .http
        .get(sim.url("/contacts"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("call");
    assert!(response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("text/html")));

    sim.fault(json!({"kind": "hang", "hang_secs": 30})).await;
    let timed_out = sim
        .http
        .get(sim.url("/contacts"))
        .bearer_auth(&token)
        .timeout(std::time::Duration::from_millis(200))
        .send()
        .await;
    assert!(timed_out.is_err_and(|e| e.is_timeout()));
    assert_eq!(contacts(&sim, &token, "").await.0, 200);

    sim.fault(json!({"kind": "server_error", "target": "token"}))
        .await;
    assert_eq!(
        contacts(&sim, &token, "").await.0,
        200,
        "token faults leave the API alone"
    );
    let code = new_code(&sim, None).await;
    let (status, body) = exchange(&sim, &code).await;
    assert_eq!(status, 500);
    assert_eq!(error_code(&body).0, "UnexpectedError");
    assert_eq!(
        exchange(&sim, &code).await.0,
        200,
        "the faulted call did not consume the code"
    );

    let log = sim.admin_get("/_sim/requests").await;
    let paths: Vec<&str> = log
        .as_array()
        .map(|l| l.iter().filter_map(|e| e["path"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        paths,
        [
            "/token",
            "/contacts",
            "/contacts",
            "/contacts",
            "/contacts",
            "/contacts",
            "/contacts",
            "/contacts",
            "/contacts",
            "/token",
            "/token"
        ]
    );
    assert_eq!(
        log[1]["headers"]["authorization"],
        format!("Bearer {token}")
    );
    assert_eq!(log[8]["headers"]["x-business"], "b1");
}
