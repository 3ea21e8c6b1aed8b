//! Sage CRM simulator over real HTTP: auth, admin writes read back through the vendor API,
//! paging, `where=` filtering and its boundaries, clock, faults and the request log.

mod common;

use std::time::{Duration, Instant};

use common::Sim;
use pollhook_simulators::sagecrm::{router, Options};
use serde_json::{json, Value};

const BASE: &str = "/sdata/crmj/sagecrm2/-";

async fn sim() -> Sim {
    Sim::start(router(Options::default())).await
}

async fn api(sim: &Sim, path_and_query: &str) -> (u16, Value) {
    let response = sim
        .http
        .get(sim.url(&format!("{BASE}/{path_and_query}")))
        .basic_auth("admin", Some("pw"))
        .send()
        .await
        .expect("api call");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn keys(page: &Value) -> Vec<String> {
    page["$resources"]
        .as_array()
        .map(|r| {
            r.iter()
                .map(|e| e["$key"].as_str().unwrap_or("?").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn diagnosis(body: &Value) -> String {
    assert_eq!(
        body["$diagnoses"][0]["$severity"], "error",
        "not an SData error body: {body}"
    );
    body["$diagnoses"][0]["$message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn basic_auth_is_required_and_checked_when_configured() {
    let open = sim().await;
    let response = open
        .http
        .get(open.url(&format!("{BASE}/company")))
        .send()
        .await
        .expect("call");
    assert_eq!(response.status().as_u16(), 401);
    assert!(response
        .headers()
        .get("www-authenticate")
        .is_some_and(|v| v.to_str().unwrap_or("").starts_with("Basic")));
    let body: Value = response.json().await.expect("json");
    assert!(diagnosis(&body).contains("Authentication required"));
    let (status, _) = api(&open, "company").await;
    assert_eq!(
        status, 200,
        "any credentials are accepted when none are configured"
    );

    let locked = Sim::start(router(Options {
        username: Some("sam".into()),
        password: Some("s3cret".into()),
    }))
    .await;
    let wrong = locked
        .http
        .get(locked.url(&format!("{BASE}/company")))
        .basic_auth("sam", Some("nope"))
        .send()
        .await
        .expect("call");
    assert_eq!(wrong.status().as_u16(), 401);
    let body: Value = wrong.json().await.expect("json");
    assert_eq!(diagnosis(&body), "Invalid username or password");
    let bearer = locked
        .http
        .get(locked.url(&format!("{BASE}/company")))
        .bearer_auth("x")
        .send()
        .await
        .expect("call");
    assert_eq!(bearer.status().as_u16(), 401);
    let right = locked
        .http
        .get(locked.url(&format!("{BASE}/company")))
        .basic_auth("sam", Some("s3cret"))
        .send()
        .await
        .expect("call");
    assert_eq!(right.status().as_u16(), 200);
}

#[tokio::test]
async fn admin_writes_read_back_through_the_api() {
    let sim = sim().await;
    sim.freeze_at("2024-05-01T10:00:00Z").await;
    let (status, created) = sim
        .admin_post(
            "/_sim/company",
            json!({"Comp_Name": "Acme Ltd", "Comp_Type": "Customer"}),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(created["comp_companyid"], 1);
    assert_eq!(created["$key"], "1");
    assert_eq!(created["Comp_CreatedDate"], "2024-05-01T10:00:00Z");
    assert_eq!(created["Comp_UpdatedDate"], "2024-05-01T10:00:00Z");
    let (_, second) = sim.admin_post("/_sim/company", json!({"Comp_Name": "Beta", "comp_companyid": "43", "Comp_CreatedDate": "2024-04-01T12:00:00+02:00"})).await;
    assert_eq!(second["comp_companyid"], 43);
    assert_eq!(
        second["Comp_CreatedDate"], "2024-04-01T10:00:00Z",
        "dates are normalised to UTC"
    );
    assert_eq!(second["Comp_UpdatedDate"], "2024-04-01T10:00:00Z");

    let (status, page) = api(&sim, "company").await;
    assert_eq!(status, 200);
    let host = sim.running.addr().to_string();
    assert_eq!(
        page,
        json!({"$totalResults": 2, "$startIndex": 1, "$itemsPerPage": 10, "$resources": [
            {"$key": "1", "$title": "Acme Ltd", "$url": format!("http://{host}/sdata/crmj/sagecrm2/-/company('1')"),
             "comp_companyid": 1, "Comp_Name": "Acme Ltd", "Comp_Type": "Customer",
             "Comp_CreatedDate": "2024-05-01T10:00:00Z", "Comp_UpdatedDate": "2024-05-01T10:00:00Z"},
            {"$key": "43", "$title": "Beta", "$url": format!("http://{host}/sdata/crmj/sagecrm2/-/company('43')"),
             "comp_companyid": 43, "Comp_Name": "Beta",
             "Comp_CreatedDate": "2024-04-01T10:00:00Z", "Comp_UpdatedDate": "2024-04-01T10:00:00Z"}
        ]})
    );

    sim.advance(90.0).await;
    let (status, patched) = sim
        .admin_patch("/_sim/company/43", json!({"comp_name": "Beta GmbH"}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        patched["Comp_Name"], "Beta GmbH",
        "keys merge case-insensitively"
    );
    assert_eq!(patched["Comp_UpdatedDate"], "2024-05-01T10:01:30Z");
    assert_eq!(patched["Comp_CreatedDate"], "2024-04-01T10:00:00Z");
    let (status, one) = api(&sim, "Company('43')").await;
    assert_eq!(status, 200);
    assert_eq!(one["$title"], "Beta GmbH");
    assert_eq!(one["Comp_UpdatedDate"], "2024-05-01T10:01:30Z");
    let (status, one) = api(&sim, "company(comp_companyid%20eq%20'43')").await;
    assert_eq!((status, one["$key"].clone()), (200, json!("43")));

    assert_eq!(sim.admin_delete("/_sim/company/43").await, 200);
    let (status, page) = api(&sim, "company").await;
    assert_eq!(status, 200);
    assert_eq!(keys(&page), ["1"], "deleted records are not returned");
    assert_eq!(page["$totalResults"], 1);
    let (status, body) = api(&sim, "company('43')").await;
    assert_eq!(status, 404);
    assert!(diagnosis(&body).contains("43"));
    let all = sim.admin_get("/_sim/company").await;
    assert_eq!(
        all.as_array().map(Vec::len),
        Some(2),
        "the admin view keeps deleted records"
    );
    assert_eq!(all[1]["Comp_Deleted"], 1);

    assert_eq!(sim.admin_delete("/_sim/company/999").await, 404);
    let (status, _) = sim
        .admin_post("/_sim/company", json!({"comp_companyid": 1}))
        .await;
    assert_eq!(status, 409);
    let (status, _) = sim
        .admin_post("/_sim/company", json!({"Comp_UpdatedDate": "not a date"}))
        .await;
    assert_eq!(status, 400);
    let (status, _) = sim.admin_post("/_sim/widget", json!({})).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn every_entity_has_its_own_id_and_date_fields() {
    let sim = sim().await;
    sim.freeze_at("2024-01-02T03:04:05Z").await;
    let cases = [
        (
            "person",
            "pers_personid",
            "Pers_UpdatedDate",
            "Pers_CreatedDate",
        ),
        (
            "lead",
            "Lead_LeadId",
            "Lead_UpdatedDate",
            "lead_createddate",
        ),
        (
            "opportunity",
            "Oppo_OpportunityId",
            "Oppo_UpdatedDate",
            "Oppo_CreatedDate",
        ),
        (
            "user",
            "User_UserId",
            "User_UpdatedDate",
            "User_CreatedDate",
        ),
    ];
    for (entity, id, updated, created) in cases {
        let (status, record) = sim
            .admin_post(&format!("/_sim/{entity}"), json!({"note": entity}))
            .await;
        assert_eq!(status, 201, "{entity}");
        assert_eq!(record[id], 1, "{entity}");
        let (status, page) = api(
            &sim,
            &format!(
                "{}?where={updated}%20ge%20'2024-01-02T03:04:05Z'",
                entity.to_uppercase()
            ),
        )
        .await;
        assert_eq!(status, 200, "{entity}: {page}");
        assert_eq!(
            page["$resources"][0][created], "2024-01-02T03:04:05Z",
            "{entity}"
        );
        assert_eq!(
            page["$resources"][0][updated], "2024-01-02T03:04:05Z",
            "{entity}"
        );
    }
}

#[tokio::test]
async fn paging_by_start_index_and_count() {
    let sim = sim().await;
    let people: Vec<Value> = (1..=25)
        .map(|i| json!({"Pers_LastName": format!("P{i}")}))
        .collect();
    let (status, created) = sim.admin_post("/_sim/person", Value::Array(people)).await;
    assert_eq!(status, 201);
    assert_eq!(created.as_array().map(Vec::len), Some(25));

    let (_, page) = api(&sim, "person").await;
    assert_eq!(
        (page["$totalResults"].clone(), page["$itemsPerPage"].clone()),
        (json!(25), json!(10)),
        "default count is 10"
    );
    let mut seen = Vec::new();
    for (start, want) in [(1, 10), (11, 10), (21, 5), (26, 0)] {
        let (status, page) = api(&sim, &format!("person?startIndex={start}&count=10")).await;
        assert_eq!(status, 200);
        assert_eq!(page["$totalResults"], 25);
        assert_eq!(page["$startIndex"], start);
        assert_eq!(page["$itemsPerPage"], 10);
        assert_eq!(keys(&page).len(), want, "page at {start}");
        seen.extend(keys(&page));
    }
    let want: Vec<String> = (1..=25).map(|i| i.to_string()).collect();
    assert_eq!(seen, want, "every record exactly once, in id order");

    let (_, page) = api(&sim, "person?startindex=24&count=5").await;
    assert_eq!(
        keys(&page),
        ["24", "25"],
        "lower-case startindex is accepted"
    );
    let (_, page) = api(&sim, "person?count=5000").await;
    assert_eq!(page["$itemsPerPage"], 1000);
    assert_eq!(keys(&page).len(), 25);
    let (status, body) = api(&sim, "person?startIndex=0").await;
    assert_eq!(status, 400);
    assert!(diagnosis(&body).contains("startIndex"));
    let (status, _) = api(&sim, "person?count=ten").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn where_filters_compare_instants_with_exact_boundaries() {
    let sim = sim().await;
    for (i, second) in ["00", "01", "02"].iter().enumerate() {
        let (status, _) = sim
            .admin_post(
                "/_sim/company",
                json!({"Comp_Name": format!("Co {i}"), "Comp_UpdatedDate": format!("2024-03-14T10:00:{second}Z"), "Comp_Type": if i == 1 { "Prospect" } else { "Customer" }}),
            )
            .await;
        assert_eq!(status, 201);
    }
    let cases: &[(&str, &[&str])] = &[
        ("Comp_UpdatedDate gt '2024-03-14T10:00:01Z'", &["3"]),
        ("comp_updateddate ge '2024-03-14T10:00:01Z'", &["2", "3"]),
        ("COMP_UPDATEDDATE gt @2024-03-14T10:00:00@", &["2", "3"]),
        (
            "comp_updateddate lt '2024-03-14T12:00:02+02:00'",
            &["1", "2"],
        ),
        ("comp_updateddate le '2024-03-14T10:00:01'", &["1", "2"]),
        ("comp_updateddate eq '2024-03-14T10:00:02.000Z'", &["3"]),
        ("comp_updateddate ne '2024-03-14T10:00:02Z'", &["1", "2"]),
        ("comp_updateddate gt @2024-03-14@", &["1", "2", "3"]),
        (
            "comp_updateddate between '2024-03-14T10:00:01Z' and '2024-03-14T10:00:02Z'",
            &["2", "3"],
        ),
        (
            "comp_name like 'co%' and comp_type eq 'customer'",
            &["1", "3"],
        ),
        (
            "comp_name like '%1' or comp_companyid in ('3')",
            &["2", "3"],
        ),
        (
            "(comp_type eq 'Prospect' or comp_companyid eq 1) and not comp_name eq 'Co 1'",
            &["1"],
        ),
    ];
    for (filter, want) in cases {
        let (status, page) = sim
            .http
            .get(sim.url(&format!("{BASE}/company")))
            .basic_auth("u", Some("p"))
            .query(&[("where", *filter)])
            .send()
            .await
            .map(|r| (r.status().as_u16(), r))
            .expect("call");
        let page: Value = page.json().await.expect("json");
        assert_eq!(status, 200, "{filter}: {page}");
        assert_eq!(keys(&page), *want, "{filter}");
        assert_eq!(page["$totalResults"], want.len(), "{filter}");
    }
    let (_, page) = api(&sim, "company?orderBy=Comp_UpdatedDate%20desc").await;
    assert_eq!(keys(&page), ["3", "2", "1"]);
    let (_, page) = api(
        &sim,
        "company?orderBy=comp_type%20asc,comp_companyid%20desc",
    )
    .await;
    assert_eq!(keys(&page), ["3", "1", "2"]);
}

#[tokio::test]
async fn bad_filters_are_400_with_an_sdata_error_naming_the_problem() {
    let sim = sim().await;
    let (status, _) = sim
        .admin_post("/_sim/company", json!({"Comp_Name": "x"}))
        .await;
    assert_eq!(status, 201);
    let cases = [
        ("Comp_UpdatedDate>'2020-01-01T00:00:00Z'", "'>'"),
        ("comp_name eq 'unterminated", "unterminated"),
        ("comp_name sounds 'x'", "unknown operator 'sounds'"),
        (
            "lastModifiedDate gt '2020-01-01'",
            "Unknown field 'lastModifiedDate'",
        ),
        ("(comp_name eq 'x'", "expected ')'"),
        ("comp_updateddate gt @yesterday@", "invalid date literal"),
    ];
    for (filter, needle) in cases {
        let response = sim
            .http
            .get(sim.url(&format!("{BASE}/company")))
            .basic_auth("u", Some("p"))
            .query(&[("where", filter)])
            .send()
            .await
            .expect("call");
        assert_eq!(response.status().as_u16(), 400, "{filter}");
        let body: Value = response.json().await.expect("json");
        let message = diagnosis(&body);
        assert!(message.contains(needle), "{filter}: {message}");
    }
    let (status, body) = api(&sim, "company?orderBy=comp_name%20sideways").await;
    assert_eq!(status, 400);
    assert!(diagnosis(&body).contains("orderBy"));
    let (status, _) = api(&sim, "widget").await;
    assert_eq!(status, 404);
    let response = sim
        .http
        .get(sim.url("/sdata/crm/sagecrm2/-/company"))
        .basic_auth("u", Some("p"))
        .send()
        .await
        .expect("call");
    assert_eq!(
        response.status().as_u16(),
        404,
        "the install name must end in j"
    );
}

#[tokio::test]
async fn clock_can_be_set_advanced_and_frozen() {
    let sim = sim().await;
    let (status, clock) = sim
        .admin_post("/_sim/clock", json!({"now": "2030-01-01T00:00:00Z"}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(clock["frozen"], false);
    assert!(
        clock["now"]
            .as_str()
            .is_some_and(|n| n.starts_with("2030-01-01T00:00:0")),
        "{clock}"
    );
    sim.freeze_at("2030-06-01T00:00:00Z").await;
    sim.advance(3600.0).await;
    let clock = sim.admin_get("/_sim/clock").await;
    assert_eq!(clock["now"], "2030-06-01T01:00:00.000Z");
    let (_, record) = sim.admin_post("/_sim/lead", json!({})).await;
    assert_eq!(record["lead_createddate"], "2030-06-01T01:00:00Z");
    let (status, _) = sim
        .admin_post("/_sim/clock", json!({"now": "tomorrow"}))
        .await;
    assert_eq!(status, 400);
    let (status, _) = sim.admin_post("/_sim/clock", json!({"speed": 2})).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn faults_apply_to_the_next_api_calls_only() {
    let sim = sim().await;
    let (status, _) = sim
        .admin_post("/_sim/company", json!({"Comp_Name": "x"}))
        .await;
    assert_eq!(status, 201);

    sim.fault(json!({"kind": "rate_limit", "count": 2, "retry_after_secs": 7}))
        .await;
    for _ in 0..2 {
        let response = sim
            .http
            .get(sim.url(&format!("{BASE}/company")))
            .basic_auth("u", Some("p"))
            .send()
            .await
            .expect("call");
        assert_eq!(response.status().as_u16(), 429);
        assert_eq!(
            response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok()),
            Some("7")
        );
        let body: Value = response.json().await.expect("json");
        diagnosis(&body);
        // Admin calls in between do not consume faults.
        assert_eq!(
            sim.admin_get("/_sim/company")
                .await
                .as_array()
                .map(Vec::len),
            Some(1)
        );
    }
    assert_eq!(api(&sim, "company").await.0, 200);

    sim.fault(json!({"kind": "server_error"})).await;
    let (status, body) = api(&sim, "company").await;
    assert_eq!(status, 500);
    assert!(diagnosis(&body).contains("unexpected"));
    assert_eq!(api(&sim, "company").await.0, 200);

    sim.fault(json!({"kind": "hang", "hang_secs": 0.3})).await;
    let started = Instant::now();
    assert_eq!(api(&sim, "company").await.0, 200);
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "the call hung first"
    );

    sim.fault(json!({"kind": "hang", "hang_secs": 30})).await;
    let timed_out = sim
        .http
        .get(sim.url(&format!("{BASE}/company")))
        .basic_auth("u", Some("p"))
        .timeout(Duration::from_millis(200))
        .send()
        .await;
    assert!(timed_out.is_err_and(|e| e.is_timeout()));

    sim.fault(json!({"kind": "malformed"})).await;
    let text = sim
        .http
        .get(sim.url(&format!("{BASE}/company")))
        .basic_auth("u", Some("p"))
        .send()
        .await
        .expect("call")
        .text()
        .await
        .expect("text");
    assert!(text.starts_with("{\"$"), "{text}");
    assert!(
        serde_json::from_str::<Value>(&text).is_err(),
        "truncated JSON: {text}"
    );

    sim.fault(json!({"kind": "malformed", "style": "missing_items"}))
        .await;
    let (status, page) = api(&sim, "company").await;
    assert_eq!(status, 200);
    assert_eq!(page["$totalResults"], 1);
    assert!(page.get("$resources").is_none(), "{page}");

    sim.fault(json!({"kind": "server_error", "count": 5})).await;
    assert_eq!(sim.admin_get("/_sim/faults").await[0]["count"], 5);
    assert_eq!(sim.admin_delete("/_sim/faults").await, 204);
    assert_eq!(api(&sim, "company").await.0, 200);

    let (status, _) = sim
        .admin_post("/_sim/faults", json!({"kind": "earthquake"}))
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn request_log_records_what_the_client_sent() {
    let sim = sim().await;
    sim.freeze_at("2024-05-01T10:00:00Z").await;
    let (status, _) = api(
        &sim,
        "company?where=comp_updateddate%20gt%20'2024-01-01T00:00:00Z'&count=200",
    )
    .await;
    assert_eq!(status, 200);
    sim.admin_get("/_sim/company").await;
    let log = sim.admin_get("/_sim/requests").await;
    assert_eq!(
        log.as_array().map(Vec::len),
        Some(1),
        "admin calls are not logged: {log}"
    );
    assert_eq!(log[0]["method"], "GET");
    assert_eq!(log[0]["path"], "/sdata/crmj/sagecrm2/-/company?where=comp_updateddate%20gt%20%272024-01-01T00:00:00Z%27&count=200");
    assert_eq!(log[0]["time"], "2024-05-01T10:00:00.000Z");
    assert!(log[0]["headers"]["authorization"]
        .as_str()
        .is_some_and(|a| a.starts_with("Basic ")));
    assert_eq!(sim.admin_delete("/_sim/requests").await, 204);
    assert_eq!(sim.admin_get("/_sim/requests").await, json!([]));

    let (status, _) = sim.admin_post("/_sim/person", json!({})).await;
    assert_eq!(status, 201);
    assert_eq!(
        sim.http
            .post(sim.url("/_sim/reset"))
            .send()
            .await
            .expect("reset")
            .status()
            .as_u16(),
        204
    );
    assert_eq!(sim.admin_get("/_sim/person").await, json!([]));
}

#[tokio::test]
async fn server_local_dates_can_be_configured() {
    let sim = sim().await;
    sim.freeze_at("2024-05-01T10:00:00Z").await;
    let (status, record) = sim
        .admin_post("/_sim/company", json!({"Comp_Name": "Local"}))
        .await;
    assert_eq!(status, 201);
    assert_eq!(record["Comp_UpdatedDate"], "2024-05-01T10:00:00Z");

    let (status, config) = sim
        .admin_post(
            "/_sim/config",
            json!({"utc_offset_minutes": 120, "date_suffix": "none"}),
        )
        .await;
    assert_eq!(status, 200, "{config}");
    let (_, page) = api(&sim, "company").await;
    assert_eq!(
        page["$resources"][0]["Comp_UpdatedDate"], "2024-05-01T12:00:00",
        "server-local, no suffix"
    );
    assert_eq!(
        page["$resources"][0]["Comp_CreatedDate"],
        "2024-05-01T12:00:00"
    );
    let count = |filter: &'static str| {
        let sim = &sim;
        async move {
            let response = sim
                .http
                .get(sim.url(&format!("{BASE}/company")))
                .basic_auth("u", Some("p"))
                .query(&[("where", filter)])
                .send()
                .await
                .expect("call");
            let page: Value = response.json().await.expect("json");
            page["$totalResults"].as_u64()
        }
    };
    assert_eq!(
        count("comp_updateddate gt '2024-05-01T11:59:59'").await,
        Some(1),
        "zone-less literals are server-local"
    );
    assert_eq!(
        count("comp_updateddate gt '2024-05-01T12:00:00'").await,
        Some(0)
    );
    assert_eq!(
        count("comp_updateddate gt '2024-05-01T09:59:59Z'").await,
        Some(1),
        "explicit zones are instants"
    );

    let (status, _) = sim
        .admin_post(
            "/_sim/config",
            json!({"utc_offset_minutes": 120, "date_suffix": "offset"}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, page) = api(&sim, "company").await;
    assert_eq!(
        page["$resources"][0]["Comp_UpdatedDate"],
        "2024-05-01T12:00:00+02:00"
    );
    let (status, _) = sim
        .admin_post("/_sim/config", json!({"utc_offset_minutes": 2000}))
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        sim.admin_get("/_sim/config").await,
        json!({"utc_offset_minutes": 120, "date_suffix": "offset"})
    );
    assert_eq!(
        sim.admin_get("/_sim/company").await[0]["Comp_UpdatedDate"],
        "2024-05-01T10:00:00Z",
        "the admin view stays UTC"
    );
}
