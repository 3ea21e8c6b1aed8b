//! Helpers shared by the simulator tests: a running simulator plus a client, and admin calls.
#![allow(dead_code)]

use pollhook_simulators::{spawn, Running};
use serde_json::Value;

pub struct Sim {
    pub running: Running,
    pub http: reqwest::Client,
}

impl Sim {
    pub async fn start(router: axum::Router) -> Sim {
        let running = spawn(router).await.expect("simulator starts");
        Sim {
            running,
            http: reqwest::Client::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        self.running.url(path)
    }

    /// POST a JSON admin call and return (status, body).
    pub async fn admin_post(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .http
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("admin call");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn admin_patch(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .http
            .patch(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("admin call");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn admin_delete(&self, path: &str) -> u16 {
        self.http
            .delete(self.url(path))
            .send()
            .await
            .expect("admin call")
            .status()
            .as_u16()
    }

    pub async fn admin_get(&self, path: &str) -> Value {
        self.http
            .get(self.url(path))
            .send()
            .await
            .expect("admin call")
            .json()
            .await
            .expect("admin JSON")
    }

    /// Freezes the clock at `now` so record dates are exact.
    pub async fn freeze_at(&self, now: &str) {
        let (status, body) = self
            .admin_post(
                "/_sim/clock",
                serde_json::json!({"freeze": true, "now": now}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["frozen"], true);
    }

    pub async fn advance(&self, secs: f64) {
        let (status, _) = self
            .admin_post("/_sim/clock", serde_json::json!({"advance_secs": secs}))
            .await;
        assert_eq!(status, 200);
    }

    pub async fn fault(&self, spec: Value) {
        let (status, body) = self.admin_post("/_sim/faults", spec).await;
        assert_eq!(status, 201, "{body}");
    }
}
