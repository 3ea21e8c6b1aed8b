//! End to end: both seed bodies, pointed at the shipped simulators, poll real HTTP APIs and
//! queue one event per change (CREATED or UPDATED), nothing from before registration.

use chrono::{Duration, SecondsFormat, Utc};
use pollhook_simulators::{sagecrm, sageone, spawn, Running};
use serde_json::{json, Value};

use reqwest::Method;

use crate::helpers::{account_auth, events, fixture, poll_now, sim_admin, TestServer};

async fn set_sim_clock(sim: &Running, at: chrono::DateTime<Utc>) {
    sim_admin(
        sim,
        Method::POST,
        "/_sim/clock",
        json!({"now": at.to_rfc3339_opts(SecondsFormat::Secs, true)}),
    )
    .await;
}

fn summary(events: &[Value]) -> Vec<(String, String, String)> {
    let mut s: Vec<_> = events
        .iter()
        .map(|e| {
            (
                e["objectType"].as_str().unwrap_or_default().to_owned(),
                e["objectId"].as_str().unwrap_or_default().to_owned(),
                e["eventType"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    s.sort();
    s
}

#[tokio::test]
async fn sage_crm_seed_polls_the_simulator_into_created_and_updated_events() {
    let sim = spawn(sagecrm::router(sagecrm::Options::default()))
        .await
        .expect("sim");
    let now = Utc::now();
    set_sim_clock(&sim, now - Duration::days(1)).await;
    sim_admin(
        &sim,
        Method::POST,
        "/_sim/company",
        json!({"Comp_Name": "Old Co"}),
    )
    .await;
    sim_admin(
        &sim,
        Method::POST,
        "/_sim/person",
        json!({"Pers_FirstName": "Old"}),
    )
    .await;
    set_sim_clock(&sim, now).await;

    let server = TestServer::start();
    let mut body: Value = serde_json::from_str(&fixture("sagecrm-seed.json")).expect("seed");
    body["configuration"]["base.url"] = json!(sim.base_url());
    let (status, created) = server.post_raw("/instances", &body.to_string()).await;
    assert_eq!(status, 200, "{created}");
    let id = created["id"].as_u64().expect("id");

    set_sim_clock(&sim, now + Duration::seconds(5)).await;
    let acme = sim_admin(
        &sim,
        Method::POST,
        "/_sim/company",
        json!({"Comp_Name": "Acme"}),
    )
    .await;
    let jane = sim_admin(
        &sim,
        Method::POST,
        "/_sim/person",
        json!({"Pers_FirstName": "Jane"}),
    )
    .await;
    sim_admin(
        &sim,
        Method::POST,
        "/_sim/opportunity",
        json!({"Oppo_Description": "Deal"}),
    )
    .await;
    poll_now(&server, id).await;
    let first = events(&server, id).await;
    assert_eq!(first.len(), 3, "{first:#?}");
    assert!(
        first
            .iter()
            // Queued with a notification; the seed's public callback is being tried meanwhile.
            .all(|e| e["eventType"] == "CREATED"
                && e["notificationId"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("msg_"))
                && ["NEW", "DISPATCHED", "FAILED", "NOTIFIED"]
                    .contains(&e["status"].as_str().unwrap_or_default())),
        "{first:#?}"
    );
    let acme_id = acme["$key"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| acme["comp_companyid"].as_u64().map(|n| n.to_string()));
    let acme_event = first
        .iter()
        .find(|e| e["objectType"] == "accounts")
        .expect("accounts event");
    assert_eq!(acme_event["objectId"].as_str().map(str::to_owned), acme_id);
    assert_eq!(acme_event["raw"]["Comp_Name"], "Acme");
    assert!(
        acme_event["date"].as_str().is_some_and(|d| d.starts_with(
            &(now + Duration::seconds(5))
                .format("%Y-%m-%dT%H:%M:%S")
                .to_string()
        )),
        "{acme_event}"
    );

    // Change one record: exactly one UPDATED event, nothing repeated.
    set_sim_clock(&sim, now + Duration::seconds(30)).await;
    let acme_path = format!("/_sim/company/{}", acme_id.clone().unwrap_or_default());
    sim_admin(
        &sim,
        Method::PATCH,
        &acme_path,
        json!({"Comp_Name": "Acme Ltd"}),
    )
    .await;
    poll_now(&server, id).await;
    poll_now(&server, id).await;
    let all = events(&server, id).await;
    assert_eq!(all.len(), 4, "{all:#?}");
    let last = &all[3];
    assert_eq!(
        (last["objectType"].as_str(), last["eventType"].as_str()),
        (Some("accounts"), Some("UPDATED"))
    );
    assert_eq!(last["raw"]["Comp_Name"], "Acme Ltd");
    let ids: std::collections::HashSet<_> = all
        .iter()
        .map(|e| e["id"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(ids.len(), 4, "event ids are distinct");
    let jane_id = jane["$key"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| jane["pers_personid"].as_u64().map(|n| n.to_string()));
    assert!(summary(&all).contains(&(
        "contacts".into(),
        jane_id.unwrap_or_default(),
        "CREATED".into()
    )));

    let (_, polls) = server
        .get(&format!("/instances/{id}/polls"), &account_auth())
        .await;
    let polls = polls.as_array().expect("poll log");
    assert_eq!(polls.len(), 15, "three polls of five resources");
    assert!(polls.iter().all(|p| p["error"].is_null()), "{polls:#?}");
}

#[tokio::test]
async fn sage_accounting_seed_exchanges_its_code_and_polls_customers() {
    let sim = spawn(sageone::router(sageone::Options::default()))
        .await
        .expect("sim");
    let now = Utc::now();
    set_sim_clock(&sim, now - Duration::days(1)).await;
    sim_admin(
        &sim,
        Method::POST,
        "/_sim/contacts",
        json!({"name": "Old Customer", "contact_types": [{"id": "CUSTOMER"}]}),
    )
    .await;
    set_sim_clock(&sim, now).await;
    let code = sim_admin(
        &sim,
        Method::POST,
        "/_sim/oauth/codes",
        json!({"redirect_uri": "https://mycoolapp.com"}),
    )
    .await;

    let server = TestServer::start();
    let mut body: Value = serde_json::from_str(&fixture("sageone-seed.json")).expect("seed");
    body["providerData"]["code"] = code["code"].clone();
    body["configuration"]["base.url"] = json!(sim.base_url());
    body["configuration"]["oauth.token.url"] = json!(sim.url("/token"));
    let (status, created) = server.post_raw("/instances", &body.to_string()).await;
    assert_eq!(status, 200, "{created}");
    assert!(
        created["configuration"]
            .get("oauth.authorization.pending")
            .is_none(),
        "{created}"
    );
    assert_eq!(created["configuration"]["oauth.user.token"], "********");
    let id = created["id"].as_u64().expect("id");

    // The same code a second time is refused: a 400 naming providerData.code, and no instance.
    let (status, refused) = server.post_raw("/instances", &body.to_string()).await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.contains("providerData.code")),
        "{refused}"
    );

    set_sim_clock(&sim, now + Duration::seconds(5)).await;
    let customer = sim_admin(
        &sim,
        Method::POST,
        "/_sim/contacts",
        json!({"name": "New Customer", "contact_types": [{"id": "CUSTOMER"}]}),
    )
    .await;
    sim_admin(
        &sim,
        Method::POST,
        "/_sim/contacts",
        json!({"name": "A Supplier", "contact_types": [{"id": "VENDOR"}]}),
    )
    .await;
    poll_now(&server, id).await;
    let first = events(&server, id).await;
    assert_eq!(
        summary(&first),
        vec![(
            "customers".into(),
            customer["id"].as_str().unwrap_or_default().to_owned(),
            "CREATED".into()
        )],
        "{first:#?}"
    );

    set_sim_clock(&sim, now + Duration::seconds(40)).await;
    sim_admin(
        &sim,
        Method::PATCH,
        &format!(
            "/_sim/contacts/{}",
            customer["id"].as_str().unwrap_or_default()
        ),
        json!({"name": "Renamed"}),
    )
    .await;
    poll_now(&server, id).await;
    let all = events(&server, id).await;
    assert_eq!(all.len(), 2, "{all:#?}");
    assert_eq!(all[1]["eventType"], "UPDATED");
    // The seed asks only for created_at,updated_at: the record carries those and displayed_as.
    assert_eq!(all[1]["raw"]["displayed_as"], "Renamed");
    let (_, list) = server.get("/instances", &account_auth()).await;
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(1),
        "the refused registration stored nothing"
    );
}
