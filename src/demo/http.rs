//! Small JSON-over-HTTP helpers for the demo's calls to pollhook's API and the simulators'
//! admin APIs: every failure names the call, so a broken demo says what broke.

use anyhow::Context;
use serde_json::Value;

/// Sends `request` and returns its JSON body, or an error naming `what` with the status and body.
pub async fn json(what: &str, request: reqwest::RequestBuilder) -> anyhow::Result<Value> {
    let response = request
        .send()
        .await
        .with_context(|| format!("{what}: request failed"))?;
    let status = response.status();
    let text = response
        .text()
        .await
        .with_context(|| format!("{what}: cannot read the answer"))?;
    if !status.is_success() {
        anyhow::bail!("{what}: {status}: {text}");
    }
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(&text).with_context(|| format!("{what}: answer is not JSON: {text}"))
}

/// pollhook's API at `base`, called with the demo account's `Authorization` header.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub authorization: String,
    client: reqwest::Client,
}

impl Api {
    pub fn new(base: String, authorization: String) -> anyhow::Result<Api> {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .context("cannot build the HTTP client")?;
        Ok(Api {
            base,
            authorization,
            client,
        })
    }

    pub async fn post(&self, what: &str, path: &str, body: &Value) -> anyhow::Result<Value> {
        let request = self
            .client
            .post(format!("{}{path}", self.base))
            .header("Authorization", &self.authorization)
            .json(body);
        json(what, request).await
    }

    /// `POST /instances/{id}/poll`, so nobody waits for the scheduler; warns about failed resources.
    pub async fn poll_now(&self, id: u64) -> anyhow::Result<()> {
        let answer = self
            .post(
                &format!("poll instance {id}"),
                &format!("/instances/{id}/poll"),
                &Value::Null,
            )
            .await?;
        for resource in answer["resources"].as_array().into_iter().flatten() {
            if !resource["error"].is_null() {
                eprintln!(
                    "warning: instance {id}: resource {} failed: {}",
                    resource["resource"], resource["error"]
                );
            }
        }
        Ok(())
    }
}

/// A simulator's admin API (`/_sim/...`) at `base`.
#[derive(Clone)]
pub struct Simulator {
    pub base: String,
    client: reqwest::Client,
}

impl Simulator {
    pub fn new(base: &str) -> Simulator {
        Simulator {
            base: base.to_owned(),
            client: reqwest::Client::new(),
        }
    }

    pub async fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        let request = self.client.post(format!("{}{path}", self.base)).json(&body);
        json(&format!("simulator POST {path}"), request).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        let request = self
            .client
            .patch(format!("{}{path}", self.base))
            .json(&body);
        json(&format!("simulator PATCH {path}"), request).await
    }
}
