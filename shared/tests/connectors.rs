//! The connectors over real HTTP, against small vendor stand-ins served by axum in each test:
//! paging, auth headers, error mapping, token refresh with rotation, code exchange.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{Duration as ChronoDuration, Utc};
use pollhook_core::credentials::digest;
use pollhook_core::elements::{authorize_new_instance, connector, OAuthTokens, TokenSink};
use pollhook_core::instance::{Instance, InstanceId, InstanceSpec};
use pollhook_core::ports::{Connector, ConnectorError, Page, PageRequest};
use serde_json::{json, Value};

type Params = Query<HashMap<String, String>>;

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, router).await.expect("serve") });
    format!("http://{addr}")
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_millis(500))
        .build()
        .expect("client")
}

fn instance(body: Value) -> Instance {
    let spec = InstanceSpec::from_body(&body).expect("valid body");
    Instance {
        id: InstanceId(1),
        organization_id: "org".into(),
        spec,
        token_digest: digest("t"),
        created_date: Utc::now(),
        updated_date: Utc::now(),
    }
}

/// Saves every rotation, as the instance store would.
#[derive(Default)]
struct Saved(Mutex<Vec<OAuthTokens>>);

#[async_trait]
impl TokenSink for Saved {
    async fn save(&self, tokens: &OAuthTokens) -> Result<(), String> {
        self.0
            .lock()
            .map_err(|e| e.to_string())?
            .push(tokens.clone());
        Ok(())
    }
}

fn no_sink() -> Arc<dyn TokenSink> {
    Arc::new(Saved::default())
}

async fn page(
    c: &dyn Connector,
    resource: &str,
    url: &str,
    size: u32,
    cursor: Option<&str>,
) -> Result<Page, ConnectorError> {
    c.fetch_page(&PageRequest {
        resource,
        url,
        page_size: size,
        cursor,
        until: None,
    })
    .await
}

/// Reads every page, returning the records and how many pages it took.
async fn all_pages(c: &dyn Connector, resource: &str, url: &str, size: u32) -> (Vec<Value>, usize) {
    let mut records = Vec::new();
    let mut cursor: Option<String> = None;
    for pages in 1..=50 {
        let p = page(c, resource, url, size, cursor.as_deref())
            .await
            .expect("page");
        records.extend(p.records);
        match p.next {
            Some(next) => cursor = Some(next),
            None => return (records, pages),
        }
    }
    panic!("paging never ended");
}

// ---------- Sage CRM ----------

fn sagecrm_body(base_url: &str) -> Value {
    json!({
        "element": {"key": "sagecrm"},
        "name": "crm",
        "configuration": {
            "subdomain": "crm.example.com",
            "username": "admin",
            "password": "pw",
            "base.url": base_url,
            "event.notification.enabled": true,
            "event.notification.callback.url": "https://example.com/hook",
            "event.poller.configuration": {
                "accounts": {"url": "/hubs/crm/accounts?where=Comp_UpdatedDate>'${gmtDate:yyyy-MM-dd'T'HH:mm:ss'Z'}'", "idField": "key"}
            }
        }
    })
}

#[derive(Default)]
struct CrmLog {
    wheres: Vec<String>,
}

async fn crm_company(
    State(log): State<Arc<Mutex<CrmLog>>>,
    headers: HeaderMap,
    Query(q): Params,
) -> Response {
    // base64("admin:pw")
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Basic YWRtaW46cHc=") {
        return (StatusCode::UNAUTHORIZED, "login required").into_response();
    }
    if let Ok(mut log) = log.lock() {
        log.wheres.push(q.get("where").cloned().unwrap_or_default());
    }
    let start: usize = q
        .get("startIndex")
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let count: usize = q.get("count").and_then(|s| s.parse().ok()).unwrap_or(10);
    let all: Vec<Value> = (1..=5)
        .map(|i| json!({"$key": i.to_string(), "$title": format!("Company {i}"), "comp_name": format!("Company {i}")}))
        .collect();
    let items: Vec<Value> = all.iter().skip(start - 1).take(count).cloned().collect();
    Json(json!({"$totalResults": all.len(), "$startIndex": start, "$itemsPerPage": count, "$resources": items})).into_response()
}

#[tokio::test]
async fn sagecrm_pages_with_basic_auth_and_translated_where() {
    let log = Arc::new(Mutex::new(CrmLog::default()));
    let app = Router::new()
        .route("/sdata/crmj/sagecrm2/-/company", get(crm_company))
        .with_state(log.clone());
    let base = serve(app).await;
    // base.url as host only: the REST prefix is appended.
    let c = connector(&instance(sagecrm_body(&base)), client(), no_sink()).expect("connector");
    let url = "/hubs/crm/accounts?where=Comp_UpdatedDate>'2024-05-01T10:20:30Z'";
    let (records, pages) = all_pages(c.as_ref(), "accounts", url, 2).await;
    assert_eq!(pages, 3);
    let keys: Vec<&str> = records.iter().filter_map(|r| r["key"].as_str()).collect();
    assert_eq!(keys, ["1", "2", "3", "4", "5"]);
    assert_eq!(records[0]["id"], json!("1"));
    let wheres = log.lock().expect("log").wheres.clone();
    assert_eq!(
        wheres,
        vec!["comp_updateddate gt '2024-05-01T10:20:30Z'"; 3]
    );

    // base.url with the full prefix works too, and wrong credentials are Unauthorized.
    let mut body = sagecrm_body(&format!("{base}/sdata/crmj/sagecrm2/-"));
    body["configuration"]["password"] = json!("wrong");
    let c = connector(&instance(body), client(), no_sink()).expect("connector");
    let err = page(c.as_ref(), "accounts", url, 2, None)
        .await
        .expect_err("bad password");
    assert!(matches!(err, ConnectorError::Unauthorized(_)), "{err:?}");
}

fn fixed(
    status: u16,
    headers: &'static [(&'static str, &'static str)],
    body: &'static str,
) -> Router {
    let handler = move || async move {
        let mut response = (StatusCode::from_u16(status).expect("status"), body).into_response();
        for (k, v) in headers {
            response
                .headers_mut()
                .insert(*k, v.parse().expect("header"));
        }
        response
    };
    Router::new().fallback(handler)
}

async fn crm_error(router: Router) -> ConnectorError {
    let base = serve(router).await;
    let c = connector(&instance(sagecrm_body(&base)), client(), no_sink()).expect("connector");
    page(c.as_ref(), "accounts", "/hubs/crm/accounts", 10, None)
        .await
        .expect_err("fault")
}

#[tokio::test]
async fn vendor_failures_map_onto_connector_errors() {
    let err = crm_error(fixed(429, &[("retry-after", "7")], "slow down")).await;
    assert_eq!(
        err,
        ConnectorError::RateLimited {
            retry_after: Some(Duration::from_secs(7))
        }
    );
    let err = crm_error(fixed(
        429,
        &[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")],
        "",
    ))
    .await;
    assert_eq!(
        err,
        ConnectorError::RateLimited {
            retry_after: Some(Duration::ZERO)
        }
    );
    let err = crm_error(fixed(500, &[], r#"{"$diagnoses":[{"$message":"boom"}]}"#)).await;
    assert!(
        matches!(&err, ConnectorError::Server { status: 500, message } if message.contains("boom")),
        "{err:?}"
    );
    assert!(err.is_transient());
    let err = crm_error(fixed(403, &[], "no")).await;
    assert!(matches!(err, ConnectorError::Unauthorized(_)), "{err:?}");
    let err = crm_error(fixed(
        200,
        &[("content-type", "application/json")],
        r#"{"unexpected": true}"#,
    ))
    .await;
    assert!(
        matches!(&err, ConnectorError::MalformedPage(m) if m.contains("$resources")),
        "{err:?}"
    );
    let err = crm_error(fixed(200, &[], "<html>maintenance</html>")).await;
    assert!(
        matches!(&err, ConnectorError::MalformedPage(m) if m.contains("not JSON")),
        "{err:?}"
    );

    let hang = Router::new().fallback(|| async {
        tokio::time::sleep(Duration::from_secs(5)).await;
        "late"
    });
    let err = crm_error(hang).await;
    assert!(matches!(err, ConnectorError::Timeout(_)), "{err:?}");
    assert!(err.is_transient());

    // A port nobody listens on.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let closed = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    let c = connector(&instance(sagecrm_body(&closed)), client(), no_sink()).expect("connector");
    let err = page(c.as_ref(), "accounts", "/hubs/crm/accounts", 10, None)
        .await
        .expect_err("refused");
    assert!(matches!(err, ConnectorError::Network(_)), "{err:?}");
}

// ---------- Sage Accounting ----------

/// The stand-in Sage: one live access token and one live refresh token at a time.
struct Sage {
    access: String,
    refresh: String,
    issued: u32,
    refreshes: u32,
    queries: Vec<HashMap<String, String>>,
    subscription_keys: Vec<String>,
}

type SageState = Arc<Mutex<Sage>>;

fn sage(access: &str, refresh: &str) -> SageState {
    Arc::new(Mutex::new(Sage {
        access: access.into(),
        refresh: refresh.into(),
        issued: 0,
        refreshes: 0,
        queries: Vec::new(),
        subscription_keys: Vec::new(),
    }))
}

fn invalid_grant() -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": "invalid_grant"})),
    )
        .into_response()
}

async fn sage_token(State(s): State<SageState>, body: String) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let Ok(mut s) = s.lock() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if form.get("client_id").map(String::as_str) != Some("cid")
        || form.get("client_secret").map(String::as_str) != Some("csecret")
    {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "invalid_client"})),
        )
            .into_response();
    }
    let ok = match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {
            form.get("code").map(String::as_str) == Some("good-code")
                && form.get("redirect_uri").map(String::as_str)
                    == Some("https://app.example.com/cb")
        }
        Some("refresh_token") => form.get("refresh_token") == Some(&s.refresh),
        _ => false,
    };
    if !ok {
        return invalid_grant();
    }
    s.issued += 1;
    if form.get("grant_type").map(String::as_str) == Some("refresh_token") {
        s.refreshes += 1;
    }
    s.access = format!("access-{}", s.issued);
    s.refresh = format!("refresh-{}", s.issued);
    Json(json!({"access_token": s.access, "refresh_token": s.refresh, "expires_in": 300, "token_type": "bearer"})).into_response()
}

async fn sage_contacts(
    State(s): State<SageState>,
    headers: HeaderMap,
    Query(q): Params,
) -> Response {
    let Ok(mut s) = s.lock() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if bearer != format!("Bearer {}", s.access) {
        let body = json!([{"$severity": "error", "$dataCode": "AuthorizationFailure", "$message": "expired", "$source": ""}]);
        return (StatusCode::UNAUTHORIZED, Json(body)).into_response();
    }
    if let Some(key) = headers
        .get("ocp-apim-subscription-key")
        .and_then(|v| v.to_str().ok())
    {
        s.subscription_keys.push(key.to_owned());
    }
    s.queries.push(q.clone());
    let page: usize = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    let per: usize = q
        .get("items_per_page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(20);
    let all: Vec<Value> = (1..=5)
        .map(|i| json!({"id": format!("{i:032x}"), "displayed_as": format!("C{i}"), "$path": format!("/contacts/{i:032x}"), "created_at": "2024-05-02T00:00:00Z", "updated_at": "2024-05-02T00:00:00Z"}))
        .collect();
    let pages = all.len().div_ceil(per);
    let items: Vec<Value> = all
        .iter()
        .skip((page - 1) * per)
        .take(per)
        .cloned()
        .collect();
    let link = |p: usize| format!("/contacts?page={p}&items_per_page={per}");
    Json(json!({
        "$total": all.len(), "$page": page, "$itemsPerPage": per,
        "$next": if page < pages { Value::String(link(page + 1)) } else { Value::Null },
        "$back": if page > 1 { Value::String(link(page - 1)) } else { Value::Null },
        "$items": items,
    }))
    .into_response()
}

async fn sage_server(state: SageState) -> String {
    let app = Router::new()
        .route("/token", post(sage_token))
        .route("/v3.1/contacts", get(sage_contacts))
        .with_state(state);
    serve(app).await
}

const SEED_URL: &str = "/hubs/finance/customers?where=lastModifiedDate>='2024-05-01T10:20:30Z' and attributes='created_at,updated_at";

fn sageone_body(base: &str, tokens: Option<(&str, &str, String)>) -> Value {
    let mut body = json!({
        "element": {"key": "sageone"},
        "name": "acc",
        "providerData": {"code": "good-code"},
        "configuration": {
            "oauth.api.key": "cid",
            "oauth.api.secret": "csecret",
            "oauth.callback.url": "https://app.example.com/cb",
            "apim.subscription.key": "apim-key",
            "country": "gb",
            "base.url": format!("{base}/v3.1"),
            "oauth.token.url": format!("{base}/token"),
            "event.notification.enabled": true,
            "event.notification.callback.url": "https://example.com/hook",
            "event.poller.configuration": {
                "customers": {
                    "url": "/hubs/finance/customers?where=lastModifiedDate>='${date:yyyy-MM-dd'T'HH:mm:ss'Z'}' and attributes='created_at,updated_at",
                    "idField": "id",
                    "datesConfiguration": {"updatedDateField": "updated_at", "createdDateField": "created_at"}
                }
            }
        }
    });
    if let Some((access, refresh, expires)) = tokens {
        let c = &mut body["configuration"];
        c["oauth.user.token"] = json!(access);
        c["oauth.user.refresh_token"] = json!(refresh);
        c["oauth.user.token.expires_at"] = json!(expires);
    }
    body
}

#[tokio::test]
async fn sageone_refreshes_on_401_rotates_and_pages_with_next() {
    // The server no longer honours the stored access token, although it has not expired yet.
    let state = sage("live-access", "r0");
    let base = sage_server(state.clone()).await;
    let expires = (Utc::now() + ChronoDuration::minutes(4)).to_rfc3339();
    let saved = Arc::new(Saved::default());
    let body = sageone_body(&base, Some(("stale-access", "r0", expires)));
    let c = connector(&instance(body), client(), saved.clone()).expect("connector");
    let (records, pages) = all_pages(c.as_ref(), "customers", SEED_URL, 2).await;
    assert_eq!((records.len(), pages), (5, 3));

    let s = state.lock().expect("state");
    assert_eq!(
        s.refreshes, 1,
        "one refresh, then the new token serves every page"
    );
    let rotated = saved.0.lock().expect("saved").clone();
    assert_eq!(rotated.len(), 1);
    assert_eq!(
        (
            rotated[0].access_token.as_str(),
            rotated[0].refresh_token.as_str()
        ),
        ("access-1", "refresh-1")
    );
    assert!(rotated[0].expires_at > Utc::now() + ChronoDuration::minutes(4));
    let q = &s.queries[0];
    assert_eq!(
        q.get("updated_or_created_since").map(String::as_str),
        Some("2024-05-01T10:20:30Z")
    );
    assert_eq!(
        q.get("contact_type_id").map(String::as_str),
        Some("CUSTOMER")
    );
    assert_eq!(
        q.get("attributes").map(String::as_str),
        Some("created_at,updated_at")
    );
    assert_eq!(q.get("items_per_page").map(String::as_str), Some("2"));
    let pages_asked: Vec<&str> = s
        .queries
        .iter()
        .filter_map(|q| q.get("page").map(String::as_str))
        .collect();
    assert_eq!(pages_asked, ["1", "2", "3"]);
    assert!(s.subscription_keys.iter().all(|k| k == "apim-key") && s.subscription_keys.len() == 3);
}

#[tokio::test]
async fn sageone_refreshes_before_expiry_and_reports_a_dead_refresh_token() {
    let state = sage("unknown", "r0");
    let base = sage_server(state.clone()).await;
    let soon = (Utc::now() + ChronoDuration::seconds(30)).to_rfc3339();
    let saved = Arc::new(Saved::default());
    let c = connector(
        &instance(sageone_body(&base, Some(("a0", "r0", soon)))),
        client(),
        saved.clone(),
    )
    .expect("connector");
    let p = page(c.as_ref(), "customers", SEED_URL, 200, None)
        .await
        .expect("page");
    assert_eq!(p.records.len(), 5);
    assert_eq!(p.next, None);
    assert_eq!(state.lock().expect("state").refreshes, 1);
    assert_eq!(saved.0.lock().expect("saved").len(), 1);

    // r0 was rotated away: an instance still holding it cannot refresh any more.
    let past = (Utc::now() - ChronoDuration::minutes(1)).to_rfc3339();
    let c = connector(
        &instance(sageone_body(&base, Some(("a0", "r0", past)))),
        client(),
        no_sink(),
    )
    .expect("connector");
    let err = page(c.as_ref(), "customers", SEED_URL, 20, None)
        .await
        .expect_err("dead refresh token");
    assert!(
        matches!(&err, ConnectorError::Unauthorized(m) if m.contains("invalid_grant")),
        "{err:?}"
    );

    // An untranslatable filter is a configuration error naming the resource's url.
    let err = page(
        c.as_ref(),
        "customers",
        "/hubs/finance/customers?where=name='x'",
        20,
        None,
    )
    .await
    .expect_err("untranslatable");
    assert!(
        matches!(&err, ConnectorError::Configuration { field, .. } if field == "configuration.event.poller.configuration.customers.url"),
        "{err:?}"
    );
}

#[tokio::test]
async fn sageone_authorizes_a_new_instance_with_its_code() {
    let state = sage("none", "none");
    let base = sage_server(state.clone()).await;
    let mut spec = InstanceSpec::from_body(&sageone_body(&base, None)).expect("spec");
    authorize_new_instance(&mut spec, &client())
        .await
        .expect("code accepted");
    let c = &spec.configuration;
    assert_eq!(c["oauth.user.token"], json!("access-1"));
    assert_eq!(c["oauth.user.refresh_token"], json!("refresh-1"));
    let expires = c["oauth.user.token.expires_at"].as_str().expect("expiry");
    assert!(chrono::DateTime::parse_from_rfc3339(expires).is_ok());

    // The same tokens then serve the connector without another exchange.
    let instance = Instance {
        id: InstanceId(2),
        organization_id: "org".into(),
        spec: spec.clone(),
        token_digest: digest("t"),
        created_date: Utc::now(),
        updated_date: Utc::now(),
    };
    let conn = connector(&instance, client(), no_sink()).expect("connector");
    assert_eq!(
        page(conn.as_ref(), "customers", SEED_URL, 20, None)
            .await
            .expect("page")
            .records
            .len(),
        5
    );
    assert_eq!(state.lock().expect("state").refreshes, 0);

    let mut refused = InstanceSpec::from_body(&sageone_body(&base, None)).expect("spec");
    refused
        .provider_data
        .insert("code".into(), json!("used-code"));
    let err = authorize_new_instance(&mut refused, &client())
        .await
        .expect_err("refused");
    assert_eq!(err.field, "providerData.code");
    assert!(
        err.message
            .contains(&format!("refused by {base}/token: invalid_grant")),
        "{}",
        err.message
    );
    assert!(!refused.configuration.contains_key("oauth.user.token"));

    let mut bad_secret = InstanceSpec::from_body(&sageone_body(&base, None)).expect("spec");
    bad_secret
        .configuration
        .insert("oauth.api.secret".into(), json!("nope"));
    let err = authorize_new_instance(&mut bad_secret, &client())
        .await
        .expect_err("bad secret");
    assert_eq!(err.field, "configuration.oauth.api.secret");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let closed = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    let mut unreachable = InstanceSpec::from_body(&sageone_body(&closed, None)).expect("spec");
    let err = authorize_new_instance(&mut unreachable, &client())
        .await
        .expect_err("unreachable");
    assert_eq!(err.field, "configuration.oauth.token.url");
    assert!(err.message.contains("cannot reach"), "{}", err.message);

    // Elements without OAuth have nothing to authorize.
    let mut crm = InstanceSpec::from_body(&sagecrm_body(&base)).expect("spec");
    authorize_new_instance(&mut crm, &client())
        .await
        .expect("no-op");
}

// ---------- Generic HTTP ----------

fn http_body(base: &str, extra: Value) -> Value {
    let mut configuration = json!({
        "base.url": base,
        "authorization.header": "Token abc",
        "event.notification.enabled": true,
        "event.notification.callback.url": "https://example.com/hook",
        "event.poller.configuration": {"things": {"url": "/api/things?where=updated>'2024-05-01'", "idField": "data.id"}}
    });
    if let (Some(c), Some(extra)) = (configuration.as_object_mut(), extra.as_object()) {
        c.extend(extra.clone());
    }
    json!({"element": {"key": "http"}, "name": "generic", "configuration": configuration})
}

async fn things(headers: HeaderMap, Query(q): Params) -> Response {
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Token abc") {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    if q.get("where").map(String::as_str) != Some("updated>'2024-05-01'") {
        return (StatusCode::BAD_REQUEST, "where not passed through").into_response();
    }
    let all: Vec<Value> = (1..=5).map(|i| json!({"data": {"id": i}})).collect();
    if let Some(cursor) = q.get("cursor") {
        // Link paging: `next` holds a relative link until the last page.
        let at: usize = cursor.parse().unwrap_or(0);
        let next = if at + 2 < all.len() {
            json!(format!(
                "/api/things?where=updated>'2024-05-01'&cursor={}",
                at + 2
            ))
        } else {
            Value::Null
        };
        return Json(json!({"result": {"rows": all[at..(at + 2).min(all.len())]}, "next": next}))
            .into_response();
    }
    let page: usize = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    let size: usize = q.get("pageSize").and_then(|p| p.parse().ok()).unwrap_or(10);
    let rows: Vec<Value> = all
        .iter()
        .skip((page - 1) * size)
        .take(size)
        .cloned()
        .collect();
    Json(json!({"total": all.len(), "items": rows})).into_response()
}

#[tokio::test]
async fn http_pages_by_number_and_by_next_link() {
    let base = serve(Router::new().route("/api/things", get(things))).await;
    let c =
        connector(&instance(http_body(&base, json!({}))), client(), no_sink()).expect("connector");
    let url = "/api/things?where=updated>'2024-05-01'";
    let (records, pages) = all_pages(c.as_ref(), "things", url, 2).await;
    assert_eq!(records.len(), 5);
    assert_eq!(pages, 3);

    let c = connector(
        &instance(http_body(&base, json!({"records.path": "result.rows"}))),
        client(),
        no_sink(),
    )
    .expect("connector");
    let (records, pages) = all_pages(c.as_ref(), "things", &format!("{url}&cursor=0"), 2).await;
    let ids: Vec<i64> = records
        .iter()
        .filter_map(|r| r["data"]["id"].as_i64())
        .collect();
    assert_eq!(ids, [1, 2, 3, 4, 5]);
    assert_eq!(pages, 3);

    let c = connector(
        &instance(http_body(&base, json!({"records.path": "nowhere"}))),
        client(),
        no_sink(),
    )
    .expect("connector");
    let err = page(c.as_ref(), "things", url, 2, None)
        .await
        .expect_err("no records");
    assert!(
        matches!(&err, ConnectorError::MalformedPage(m) if m.contains("nowhere")),
        "{err:?}"
    );
}
