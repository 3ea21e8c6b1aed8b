//! Registers the two seed bodies of the Open Connectors polling pages, changed only where the
//! demo needs: the simulators as vendors, the demo receiver as callback, a one-minute interval.

use anyhow::Context;
use pollhook_core::signature::WebhookSecret;
use serde_json::{json, Value};

use super::http::{Api, Simulator};

const SAGE_CRM_SEED: &str = include_str!("../../tests/fixtures/sagecrm-seed.json");
const SAGE_ACCOUNTING_SEED: &str = include_str!("../../tests/fixtures/sageone-seed.json");

/// A registered instance, as the rest of the demo needs it.
pub struct Instance {
    pub id: u64,
    pub name: String,
    pub element: &'static str,
    pub resources: Vec<String>,
    pub secret: WebhookSecret,
}

/// What both registrations point at.
pub struct Targets<'a> {
    pub callback_url: &'a str,
    pub signature_key: &'a str,
}

/// The settings every demo instance shares: where to deliver, how to sign, how often to poll.
fn point_at_receiver(body: &mut Value, targets: &Targets<'_>) {
    let configuration = &mut body["configuration"];
    configuration["event.notification.callback.url"] = json!(targets.callback_url);
    configuration["event.notification.signature.key"] = json!(targets.signature_key);
    configuration["event.poller.refresh_interval"] = json!("1");
}

/// The Sage CRM seed on the Sage CRM simulator.
pub async fn sage_crm(
    api: &Api,
    sim: &Simulator,
    targets: &Targets<'_>,
) -> anyhow::Result<Instance> {
    let mut body: Value = serde_json::from_str(SAGE_CRM_SEED).context("Sage CRM seed body")?;
    body["configuration"]["base.url"] = json!(sim.base);
    point_at_receiver(&mut body, targets);
    register(api, "sagecrm", &body).await
}

/// The Sage Accounting seed on its simulator, with a fresh authorization code from it.
pub async fn sage_accounting(
    api: &Api,
    sim: &Simulator,
    targets: &Targets<'_>,
) -> anyhow::Result<Instance> {
    let mut body: Value =
        serde_json::from_str(SAGE_ACCOUNTING_SEED).context("Sage Accounting seed body")?;
    let redirect = body["configuration"]["oauth.callback.url"].clone();
    let code = sim
        .post("/_sim/oauth/codes", json!({"redirect_uri": redirect}))
        .await?;
    body["providerData"]["code"] = code["code"].clone();
    body["configuration"]["base.url"] = json!(sim.base);
    body["configuration"]["oauth.token.url"] = json!(format!("{}/token", sim.base));
    point_at_receiver(&mut body, targets);
    register(api, "sageone", &body).await
}

async fn register(api: &Api, element: &'static str, body: &Value) -> anyhow::Result<Instance> {
    let what = format!("register the {element} seed");
    let created = api.post(&what, "/instances", body).await?;
    let id = created["id"]
        .as_u64()
        .with_context(|| format!("{what}: no id in {created}"))?;
    let secret = created["webhookSecret"]
        .as_str()
        .with_context(|| format!("{what}: no webhookSecret in {created}"))?;
    let secret = WebhookSecret::parse(secret).with_context(|| format!("{what}: webhookSecret"))?;
    let resources = body["configuration"]["event.poller.configuration"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    Ok(Instance {
        id,
        name: created["name"].as_str().unwrap_or(element).to_owned(),
        element,
        resources,
        secret,
    })
}
