//! The web console over an in-memory store, called in-process: sign-in, sessions, CSRF,
//! escaping, secrets kept out of every page, and errors next to their fields.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use chrono::Utc;
use http_body_util::BodyExt;
use pollhook_core::adapters::sqlite::SqliteStore;
use pollhook_core::api::{router, ApiState};
use pollhook_core::event::{Event, EventType};
use pollhook_core::instance::InstanceId;
use pollhook_core::ports::{AttemptOutcome, AttemptRecord, DeliveryQueue, PollStore};
use pollhook_core::secret_box::SecretBox;
use serde_json::{json, Value};
use tower::ServiceExt;

const ORG: &str = "org-secret-7f3a";
const USER: &str = "user-secret-91c2";
const AUTH: &str = "User user-secret-91c2, Organization org-secret-7f3a";
const SEED: &str = include_str!("../../tests/fixtures/sagecrm-seed.json");

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Answer {
    fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    fn set_cookie(&self) -> Option<String> {
        self.headers
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    /// The `name=value` part of the Set-Cookie header.
    fn cookie(&self) -> String {
        self.set_cookie()
            .and_then(|c| c.split(';').next().map(str::to_owned))
            .expect("a Set-Cookie header")
    }

    /// The CSRF token of the page's first form.
    fn csrf(&self) -> String {
        between(&self.body, "name=\"csrf\" value=\"", "\"").expect("a CSRF field")
    }
}

fn between(text: &str, start: &str, end: &str) -> Option<String> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(text[from..from + len].to_owned())
}

struct Console {
    app: axum::Router,
    store: Arc<SqliteStore>,
}

impl Console {
    fn new() -> Self {
        let store = SqliteStore::open_in_memory(SecretBox::from_key(&[7; 32])).expect("store");
        store
            .upsert_account("local", "local", ORG, USER)
            .expect("account");
        let store = Arc::new(store);
        let app = router(ApiState::on_store(store.clone()));
        Self { app, store }
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        cookie: Option<&str>,
        form: Option<&[(&str, &str)]>,
        extra: &[(&str, &str)],
    ) -> Answer {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(c) = cookie {
            request = request.header(header::COOKIE, c);
        }
        for (name, value) in extra {
            request = request.header(*name, *value);
        }
        let body = match form {
            Some(pairs) => {
                request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                let mut encoded = url::form_urlencoded::Serializer::new(String::new());
                for (k, v) in pairs {
                    encoded.append_pair(k, v);
                }
                Body::from(encoded.finish())
            }
            None => Body::empty(),
        };
        let response = self
            .app
            .clone()
            .oneshot(request.body(body).expect("request"))
            .await
            .expect("response");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        Answer {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn get(&self, path: &str, cookie: &str) -> Answer {
        self.send("GET", path, Some(cookie), None, &[]).await
    }

    async fn post(&self, path: &str, cookie: &str, form: &[(&str, &str)]) -> Answer {
        self.send("POST", path, Some(cookie), Some(form), &[]).await
    }

    /// Signs in through the form; returns the session cookie.
    async fn sign_in(&self) -> String {
        let form = self.send("GET", "/console/sign-in", None, None, &[]).await;
        let anonymous = form.cookie();
        let csrf = form.csrf();
        let done = self
            .post(
                "/console/sign-in",
                &anonymous,
                &[
                    ("csrf", &csrf),
                    ("next", "/console"),
                    ("organization_secret", ORG),
                    ("user_secret", USER),
                ],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        done.cookie()
    }

    /// Registers an instance through the API; returns its id.
    async fn create_by_api(&self, body: &Value) -> u64 {
        let request = Request::builder()
            .method("POST")
            .uri("/instances")
            .header(header::AUTHORIZATION, AUTH)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .expect("request");
        let response = self.app.clone().oneshot(request).await.expect("response");
        assert_eq!(response.status(), StatusCode::OK);
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let created: Value = serde_json::from_slice(&bytes).expect("json");
        created["id"].as_u64().expect("id")
    }
}

fn seed() -> Value {
    let mut body: Value = serde_json::from_str(SEED).expect("seed");
    body["configuration"]["event.notification.callback.url"] =
        json!("https://hooks.example.invalid/in");
    body
}

#[tokio::test]
async fn sign_in_takes_the_accounts_secrets_and_refuses_others() {
    let console = Console::new();
    let form = console
        .send("GET", "/console/sign-in", None, None, &[])
        .await;
    assert_eq!(form.status, StatusCode::OK);
    let set = form.set_cookie().expect("a pre-sign-in session");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    assert!(
        set.contains("Path=/console") && !set.contains("Secure"),
        "{set}"
    );
    assert!(form.body.contains("<label for=\"organization_secret\">"));
    assert!(form.body.contains("<label for=\"user_secret\">"));
    let anonymous = form.cookie();
    let csrf = form.csrf();

    for (org, user) in [(ORG, "wrong"), ("wrong", USER), ("", "")] {
        let refused = console
            .post(
                "/console/sign-in",
                &anonymous,
                &[
                    ("csrf", &csrf),
                    ("organization_secret", org),
                    ("user_secret", user),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
        assert!(refused.body.contains("secret is wrong"));
        assert!(
            refused.set_cookie().is_none(),
            "no session for wrong secrets"
        );
        assert!(!refused.body.contains(ORG) && !refused.body.contains(USER));
    }
    // Still signed out: the pre-sign-in session opens no page.
    let page = console.get("/console", &anonymous).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);

    let signed_in = console
        .send(
            "POST",
            "/console/sign-in",
            Some(&anonymous),
            Some(&[
                ("csrf", &csrf),
                ("next", "/console/instances/new"),
                ("organization_secret", ORG),
                ("user_secret", USER),
            ]),
            &[("X-Forwarded-Proto", "https")],
        )
        .await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    assert_eq!(signed_in.location(), "/console/instances/new");
    let set = signed_in.set_cookie().expect("a session");
    assert!(
        set.contains("; Secure") && set.contains("HttpOnly") && set.contains("SameSite=Strict")
    );
    let cookie = signed_in.cookie();
    assert!(!cookie.contains(ORG) && !cookie.contains(USER));
    let list = console.get("/console", &cookie).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(list.body.contains("<h1>Instances</h1>"));

    // Signing out forgets the session.
    let out = console
        .post("/console/sign-out", &cookie, &[("csrf", &list.csrf())])
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(out.set_cookie().is_some_and(|c| c.contains("Max-Age=0")));
}

#[tokio::test]
async fn pages_need_a_session() {
    let console = Console::new();
    let id = console.create_by_api(&seed()).await;
    let forged = "pollhook_console=v1.eyJzIjoieCJ9.AAAA";
    for path in [
        "/console".to_owned(),
        "/console/instances/new".to_owned(),
        format!("/console/instances/{id}"),
        "/console/preview-url?template=/x".to_owned(),
    ] {
        for cookie in [None, Some(forged)] {
            let answer = console.send("GET", &path, cookie, None, &[]).await;
            assert_eq!(answer.status, StatusCode::SEE_OTHER, "{path}");
            assert!(
                answer.location().starts_with("/console/sign-in"),
                "{path}: {}",
                answer.location()
            );
        }
    }
    let answer = console
        .send("GET", &format!("/console/instances/{id}"), None, None, &[])
        .await;
    assert_eq!(
        answer.location(),
        format!("/console/sign-in?next=%2Fconsole%2Finstances%2F{id}")
    );
    let post = console
        .send(
            "POST",
            &format!("/console/instances/{id}/poll"),
            None,
            Some(&[]),
            &[],
        )
        .await;
    assert_eq!(post.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn every_post_needs_its_sessions_csrf_token() {
    let console = Console::new();
    let id = console.create_by_api(&seed()).await;
    let cookie = console.sign_in().await;
    let other = console.sign_in().await;
    let page = console
        .get(&format!("/console/instances/{id}"), &cookie)
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let token = page.csrf();
    let others_token = console.get("/console", &other).await.csrf();
    assert_ne!(token, others_token);

    for path in [
        format!("/console/instances/{id}/poll"),
        format!("/console/instances/{id}/webhook-secret/rotate"),
        format!("/console/instances/{id}/events/retry"),
        "/console/instances/new".to_owned(),
        "/console/sign-out".to_owned(),
    ] {
        let missing = console.post(&path, &cookie, &[]).await;
        assert_eq!(missing.status, StatusCode::FORBIDDEN, "{path}");
        let wrong = console.post(&path, &cookie, &[("csrf", "forged")]).await;
        assert_eq!(wrong.status, StatusCode::FORBIDDEN, "{path}");
        let foreign = console
            .post(&path, &cookie, &[("csrf", &others_token)])
            .await;
        assert_eq!(foreign.status, StatusCode::FORBIDDEN, "{path}");
    }
    // The pre-sign-in form's token is no good after sign-in either.
    let form = console
        .send("GET", "/console/sign-in", None, None, &[])
        .await;
    let stale = console
        .post(
            &format!("/console/instances/{id}/poll"),
            &cookie,
            &[("csrf", &form.csrf())],
        )
        .await;
    assert_eq!(stale.status, StatusCode::FORBIDDEN);

    // With the right token the action runs (this deployment has no poller: 503, said so).
    let polled = console
        .post(
            &format!("/console/instances/{id}/poll"),
            &cookie,
            &[("csrf", &token)],
        )
        .await;
    assert_eq!(polled.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(polled.body.contains("this deployment runs no poller"));
}

#[tokio::test]
async fn names_are_shown_as_text_never_as_markup() {
    let console = Console::new();
    let mut body = seed();
    body["name"] = json!("<script>alert('name')</script>");
    body["tags"] = json!(["<img src=x onerror=alert(1)>"]);
    let accounts = body["configuration"]["event.poller.configuration"]["accounts"].clone();
    body["configuration"]["event.poller.configuration"] = json!({"<script>": accounts});
    let id = console.create_by_api(&body).await;
    let cookie = console.sign_in().await;
    for path in ["/console".to_owned(), format!("/console/instances/{id}")] {
        let page = console.get(&path, &cookie).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert_eq!(
            page.body.matches("<script").count(),
            1,
            "{path}: only the console's own script tag"
        );
        assert!(!page.body.contains("<img src=x"), "{path}");
        assert!(
            page.body
                .contains("&lt;script&gt;alert('name')&lt;/script&gt;"),
            "{path}"
        );
        assert!(
            page.body.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{path}"
        );
        let csp = page
            .headers
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
    }
    let page = console
        .get(&format!("/console/instances/{id}"), &cookie)
        .await;
    assert!(
        page.body.contains("<code>&lt;script&gt;</code>"),
        "the resource name"
    );
}

const PASSWORD: &str = "hunter2-crm-password-5d1e";
const SIGNATURE_KEY: &str = "signing-key-8b0c44";

/// The Create Instance form of Sage CRM, filled as a user would: events on, two resources.
async fn crm_form(console: &Console, cookie: &str, callback: &str) -> Vec<(String, String)> {
    let page = console
        .get("/console/instances/new?element=sagecrm", cookie)
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for label in [
        "for=\"name\"",
        "for=\"config-subdomain\"",
        "for=\"config-password\"",
        "for=\"config-event-notification-callback-url\"",
        "for=\"resource-0-poll\"",
        "for=\"resource-0-url\"",
    ] {
        assert!(page.body.contains(label), "label {label}");
    }
    assert!(page.body.contains(">Create Instance</button>"));
    let seed_url = between(&page.body, "name=\"resource.0.url\" value=\"", "\"")
        .expect("the accounts url, prefilled");
    assert!(seed_url.starts_with("/hubs/crm/accounts?where=Comp_UpdatedDate"));
    let mut form: Vec<(String, String)> = [
        ("csrf", page.csrf().as_str()),
        ("element", "sagecrm"),
        ("name", "CRM from the console"),
        ("tags", "Docs"),
        ("config.subdomain", "crm.example.com"),
        ("config.username", "clerk"),
        ("config.password", PASSWORD),
        ("config.event.notification.enabled", "on"),
        ("config.event.notification.callback.url", callback),
        ("config.event.poller.refresh_interval", "15"),
        ("config.event.notification.signature.key", SIGNATURE_KEY),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    // Every resource section as the page has it, the first two ticked.
    for i in 0..5 {
        let prefix = format!("name=\"resource.{i}.");
        let mut rest = page.body.as_str();
        while let Some(at) = rest.find(&prefix) {
            let after = &rest[at + "name=\"".len()..];
            let name = after.split('"').next().unwrap_or_default().to_owned();
            let value = between(after, "value=\"", "\"").unwrap_or_default();
            let is_checkbox = name.ends_with(".poll") || name.contains(".filterBy");
            if is_checkbox {
                if name.ends_with(".filterByUpdatedDate") || (name.ends_with(".poll") && i < 2) {
                    form.push((name, "on".into()));
                }
            } else {
                form.push((
                    name,
                    value
                        .replace("&#39;", "'")
                        .replace("&gt;", ">")
                        .replace("&quot;", "\"")
                        .replace("&amp;", "&"),
                ));
            }
            rest = &after[1..];
        }
    }
    form
}

fn pairs(form: &[(String, String)]) -> Vec<(&str, &str)> {
    form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

#[tokio::test]
async fn no_secret_reaches_any_page() {
    let console = Console::new();
    let cookie = console.sign_in().await;

    // Refused first (private callback): the form comes back without the secrets.
    let form = crm_form(&console, &cookie, "http://127.0.0.1:9/hook").await;
    let refused = console
        .post("/console/instances/new", &cookie, &pairs(&form))
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert!(!refused.body.contains(PASSWORD) && !refused.body.contains(SIGNATURE_KEY));
    assert!(refused.body.contains("Enter them again"));
    assert!(
        refused.body.contains("value=\"CRM from the console\""),
        "other values kept"
    );

    let form = crm_form(&console, &cookie, "https://hooks.example.invalid/in").await;
    let created = console
        .post("/console/instances/new", &cookie, &pairs(&form))
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    assert!(created.body.contains("<h1>Instance created</h1>"));
    let id = between(
        &created.body,
        "<a class=\"button\" href=\"/console/instances/",
        "\"",
    )
    .expect("a link to it");

    let instance_page = console
        .get(&format!("/console/instances/{id}"), &cookie)
        .await;
    assert_eq!(instance_page.status, StatusCode::OK);
    assert!(instance_page.body.contains("********"));
    assert!(instance_page.body.contains("<code>accounts</code>"));
    assert!(instance_page.body.contains("<code>contacts</code>"));
    let rotated = console
        .post(
            &format!("/console/instances/{id}/webhook-secret/rotate"),
            &cookie,
            &[("csrf", &instance_page.csrf())],
        )
        .await;
    assert_eq!(rotated.status, StatusCode::OK);
    let new_secret = between(&rotated.body, "<code id=\"new-webhook-secret\">", "<")
        .expect("the new secret, once");
    assert!(new_secret.starts_with("whsec_"));

    for page in [
        created.body.clone(),
        rotated.body.clone(),
        console.get("/console", &cookie).await.body,
        console
            .get(&format!("/console/instances/{id}"), &cookie)
            .await
            .body,
    ] {
        assert!(!page.contains(PASSWORD), "password in a page");
        assert!(!page.contains(SIGNATURE_KEY), "signature key in a page");
    }
    let again = console
        .get(&format!("/console/instances/{id}"), &cookie)
        .await;
    assert!(
        !again.body.contains(&new_secret),
        "a rotated secret is shown once"
    );

    // The API registered the same instance the API itself would have.
    let request = Request::builder()
        .uri(format!("/instances/{id}"))
        .header(header::AUTHORIZATION, AUTH)
        .body(Body::empty())
        .expect("request");
    let response = console
        .app
        .clone()
        .oneshot(request)
        .await
        .expect("response");
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let view: Value = serde_json::from_slice(&bytes).expect("json");
    assert_eq!(view["configuration"]["password"], "********");
    assert_eq!(view["events"]["resources"], json!(["accounts", "contacts"]));
    assert_eq!(view["tags"], json!(["Docs"]));
    assert_eq!(view["eventsEnabled"], true);
}

#[tokio::test]
async fn a_bad_callback_url_is_shown_next_to_its_field() {
    let console = Console::new();
    let cookie = console.sign_in().await;
    let form = crm_form(&console, &cookie, "not a url").await;
    let refused = console
        .post("/console/instances/new", &cookie, &pairs(&form))
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let input_at = refused
        .body
        .find("id=\"config-event-notification-callback-url\"")
        .expect("the callback field");
    let field_end = refused.body[input_at..]
        .find("<div class=\"field")
        .map(|n| input_at + n)
        .unwrap_or(refused.body.len());
    let field = &refused.body[input_at..field_end];
    assert!(
        field.contains("aria-invalid=\"true\"")
            && field.contains("aria-describedby=\"error-config-event-notification-callback-url"),
        "{field}"
    );
    assert!(
        field.contains(
            "<p class=\"field-error\" id=\"error-config-event-notification-callback-url\">"
        ),
        "{field}"
    );
    assert!(refused.body.contains("The instance was not created"));
    assert!(refused
        .body
        .contains("href=\"#config-event-notification-callback-url\""));
    // Nothing was stored.
    let list = console.get("/console", &cookie).await;
    assert!(list.body.contains("No instances yet"));
}

#[tokio::test]
async fn dead_letters_show_their_attempts_and_are_retried() {
    let console = Console::new();
    let id = console.create_by_api(&seed()).await;
    let now = Utc::now();
    let event = Event {
        id: "evt-dead-1".into(),
        instance_id: InstanceId(id),
        element_key: "sagecrm".into(),
        object_type: "accounts".into(),
        object_id: "42".into(),
        event_type: EventType::Created,
        date: now,
        raw: json!({"key": "42"}),
    };
    let store = &console.store;
    store
        .commit_page(InstanceId(id), "accounts", vec![event], None, now)
        .await
        .expect("queued");
    let due = store
        .claim_due(
            now + chrono::Duration::seconds(1),
            10,
            std::time::Duration::from_secs(60),
        )
        .await
        .expect("claimed");
    assert_eq!(due.len(), 1);
    store
        .finish_attempt(
            &due[0].id,
            &AttemptRecord {
                attempted_at: now,
                status_code: Some(500),
                latency_ms: 12,
                error: Some("receiver said no".into()),
            },
            &AttemptOutcome::Dead,
        )
        .await
        .expect("attempt");

    let cookie = console.sign_in().await;
    let page = console
        .get(&format!("/console/instances/{id}"), &cookie)
        .await;
    assert!(page
        .body
        .contains("<h2 id=\"dead-letters-heading\">Dead letters</h2>"));
    assert!(
        page.body.contains("500: receiver said no"),
        "the attempt is shown"
    );
    assert!(page.body.contains(">Retry</button>"));
    let retried = console
        .post(
            &format!("/console/instances/{id}/events/evt-dead-1/retry"),
            &cookie,
            &[("csrf", &page.csrf())],
        )
        .await;
    assert_eq!(retried.status, StatusCode::SEE_OTHER, "{}", retried.body);
    assert_eq!(
        retried.location(),
        format!("/console/instances/{id}?notice=retried&n=1#dead-letters")
    );
    let after = console.get(retried.location(), &cookie).await;
    assert!(after.body.contains("queued for delivery now"));
    assert!(after.body.contains("No dead letters"));
    assert!(after.body.contains("Events and failures per hour"));
}

#[tokio::test]
async fn the_preview_expands_like_preview_url() {
    let console = Console::new();
    let cookie = console.sign_in().await;
    let answer = console
        .get(
            "/console/preview-url?template=%2Fhubs%2Fcrm%2Faccounts%3Fwhere%3DX%3E%27%24%7BgmtDate%3Ayyyy%7D%27&timezone=GMT",
            &cookie,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    let body: Value = serde_json::from_str(&answer.body).expect("json");
    let year = (Utc::now() - chrono::Duration::seconds(60))
        .format("%Y")
        .to_string();
    assert_eq!(body["url"], format!("/hubs/crm/accounts?where=X>'{year}'"));
    let bad = console
        .get(
            "/console/preview-url?template=%2Fx%3F%24%7Bdate%3Aqq%7D",
            &cookie,
        )
        .await;
    let body: Value = serde_json::from_str(&bad.body).expect("json");
    assert!(body["error"].is_string(), "{body}");
}
