//! The three functions, built as Lambdas and run under the local Lambda runtime emulator
//! (`cargo lambda watch`), against the local AWS emulator (moto) and the Sage CRM simulator:
//! an API Gateway request registering the seed body creates the instance and its schedule; the
//! schedule's event polls the simulator and puts the notification on SQS; an SQS batch with one
//! bad and one good message delivers the good one and reports only the bad one.

/// The emulator's SDK configuration and unique names, shared with the core's AWS tests.
#[path = "../../shared/tests/aws/emulator.rs"]
mod emulator;
mod events;
mod watch;

use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use chrono::{SecondsFormat, Utc};
use emulator::unique;
use pollhook_simulators::receiver::Receiver;
use pollhook_simulators::{sagecrm, spawn};
use serde_json::{json, Value};
use watch::Watch;

const SEED: &str = include_str!("../fixtures/sagecrm-seed.json");
const ORGANIZATION_SECRET: &str = "lambda-org-secret";
const USER_SECRET: &str = "lambda-user-secret";

/// What the SAM template would create, made in the emulator.
struct Stack {
    table: String,
    kms_key: String,
    queue_url: String,
    queue_arn: String,
    dead_letter_url: String,
    schedule_group: String,
}

async fn create_stack(config: &aws_config::SdkConfig) -> Stack {
    let table = unique("pollhook-lambda");
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .expect("attribute")
    };
    let key = |name: &str, kind| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .expect("key")
    };
    aws_sdk_dynamodb::Client::new(config)
        .create_table()
        .table_name(&table)
        .attribute_definitions(attribute("pk"))
        .attribute_definitions(attribute("sk"))
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .expect("table");
    let kms_key = aws_sdk_kms::Client::new(config)
        .create_key()
        .send()
        .await
        .expect("kms key")
        .key_metadata()
        .map(|m| m.key_id().to_owned())
        .expect("key id");
    let sqs = aws_sdk_sqs::Client::new(config);
    let mut urls = Vec::new();
    for name in [unique("deliveries"), unique("dead")] {
        let url = sqs
            .create_queue()
            .queue_name(format!("{name}.fifo"))
            .attributes(QueueAttributeName::FifoQueue, "true")
            .send()
            .await
            .expect("queue")
            .queue_url()
            .expect("queue url")
            .to_owned();
        urls.push(url);
    }
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&urls[0])
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("queue attributes")
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
        .expect("queue arn");
    let schedule_group = unique("pollhook-polls");
    aws_sdk_scheduler::Client::new(config)
        .create_schedule_group()
        .name(&schedule_group)
        .send()
        .await
        .expect("schedule group");
    let dead_letter_url = urls.pop().expect("dlq");
    let queue_url = urls.pop().expect("queue");
    Stack {
        table,
        kms_key,
        queue_url,
        queue_arn,
        dead_letter_url,
        schedule_group,
    }
}

/// The environment template.yaml gives the functions, pointed at the emulator.
fn function_env(stack: &Stack) -> Vec<(String, String)> {
    [
        ("POLLHOOK_AWS_ENDPOINT", emulator::endpoint()),
        ("AWS_ACCESS_KEY_ID", "test".into()),
        ("AWS_SECRET_ACCESS_KEY", "test".into()),
        ("AWS_REGION", "us-east-1".into()),
        ("POLLHOOK_TABLE", stack.table.clone()),
        ("POLLHOOK_KMS_KEY_ID", stack.kms_key.clone()),
        ("POLLHOOK_QUEUE_URL", stack.queue_url.clone()),
        (
            "POLLHOOK_DEAD_LETTER_QUEUE_URL",
            stack.dead_letter_url.clone(),
        ),
        ("POLLHOOK_MAX_RECEIVE_COUNT", "20".into()),
        ("POLLHOOK_SCHEDULE_GROUP", stack.schedule_group.clone()),
        (
            "POLLHOOK_POLL_FUNCTION_ARN",
            "arn:aws:lambda:us-east-1:123456789012:function:pollhook-poll".into(),
        ),
        (
            "POLLHOOK_SCHEDULER_ROLE_ARN",
            "arn:aws:iam::123456789012:role/pollhook-scheduler".into(),
        ),
        ("POLLHOOK_ORGANIZATION_SECRET", ORGANIZATION_SECRET.into()),
        ("POLLHOOK_USER_SECRET", USER_SECRET.into()),
        // The simulator and the receiver are on loopback.
        ("POLLHOOK_ALLOW_PRIVATE_CALLBACKS", "1".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

#[tokio::test]
async fn the_functions_register_poll_and_deliver_under_the_lambda_emulator() {
    let config = emulator::config().await;
    let stack = create_stack(&config).await;
    let env = function_env(&stack);
    let logs = tempfile::tempdir().expect("log dir");
    // Started together so their builds overlap with the set-up below.
    let create = Watch::start("create-instance", &env, logs.path());
    let poll = Watch::start("poll", &env, logs.path());
    let deliver = Watch::start("deliver", &env, logs.path());

    let sim = spawn(sagecrm::router(sagecrm::Options::default()))
        .await
        .expect("simulator");
    let receiver = Receiver::start().await;

    // 1. API Gateway: register the Sage CRM seed body (its accounts, on the simulator).
    let mut body: Value = serde_json::from_str(SEED).expect("seed");
    body["configuration"]["base.url"] = json!(sim.base_url());
    body["configuration"]["event.notification.callback.url"] = json!(receiver.url);
    body["configuration"]["event.poller.configuration"]
        .as_object_mut()
        .expect("poller configuration")
        .retain(|k, _| k == "accounts");
    let auth = format!("User {USER_SECRET}, Organization {ORGANIZATION_SECRET}");
    let response = create
        .invoke(&events::http_api(
            "POST",
            "/instances",
            &auth,
            Some(&body.to_string()),
        ))
        .await;
    assert_eq!(response["statusCode"], 200, "{response}");
    let created: Value =
        serde_json::from_str(response["body"].as_str().expect("body")).expect("JSON body");
    let id = created["id"].as_u64().expect("instance id");
    assert_eq!(created["configuration"]["password"], "********");

    let schedule = aws_sdk_scheduler::Client::new(&config)
        .get_schedule()
        .group_name(&stack.schedule_group)
        .name(format!("pollhook-{id}"))
        .send()
        .await
        .expect("the instance's schedule exists");
    assert_eq!(schedule.schedule_expression(), Some("rate(15 minutes)"));
    let input = schedule
        .target()
        .and_then(|t| t.input())
        .expect("schedule input")
        .to_owned();

    // 2. The schedule's event: poll the simulator, put the notification on SQS.
    let at = (Utc::now() + chrono::Duration::seconds(2)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let admin = reqwest::Client::new();
    admin
        .post(sim.url("/_sim/clock"))
        .json(&json!({"now": at}))
        .send()
        .await
        .expect("clock");
    for name in ["Acme", "Globex"] {
        let r = admin
            .post(sim.url("/_sim/company"))
            .json(&json!({"Comp_Name": name}))
            .send()
            .await
            .expect("company");
        assert!(r.status().is_success());
    }
    let scheduled: Value = serde_json::from_str(&input).expect("schedule input is JSON");
    assert_eq!(scheduled, json!({"instanceId": id}));
    let polled = poll.invoke(&scheduled).await;
    assert_eq!(polled["polls"][0]["events"], 2, "{polled}");

    let sqs = aws_sdk_sqs::Client::new(&config);
    let received = sqs
        .receive_message()
        .queue_url(&stack.queue_url)
        .max_number_of_messages(10)
        .wait_time_seconds(2)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .expect("receive");
    let messages = received.messages();
    assert_eq!(
        messages.len(),
        1,
        "two events, one notification: {messages:?}"
    );
    let queued: Value =
        serde_json::from_str(messages[0].body().unwrap_or_default()).expect("message body");
    assert_eq!(queued["instanceId"], id);
    assert_eq!(queued["resource"], "accounts");

    // 3. An SQS batch of one bad and one good message.
    let batch = json!({"Records": [
        events::malformed_sqs_record(&stack.queue_arn),
        events::sqs_record(&messages[0], &stack.queue_arn),
    ]});
    let answer = deliver.invoke(&batch).await;
    assert_eq!(
        answer,
        json!({"batchItemFailures": [{"itemIdentifier": "malformed-1"}]}),
        "only the bad message is reported"
    );
    let got = receiver
        .receiver
        .wait_for("the notification", Duration::from_secs(10), |r| {
            !r.is_empty()
        })
        .await;
    assert_eq!(got.len(), 1);
    let message = &got[0].json()["message"];
    assert_eq!(message["instanceId"], id);
    assert_eq!(message["events"].as_array().map(Vec::len), Some(2));

    // The events API (through API Gateway again) shows them delivered.
    let response = create
        .invoke(&events::http_api(
            "GET",
            &format!("/instances/{id}/events"),
            &auth,
            None,
        ))
        .await;
    let listed: Value =
        serde_json::from_str(response["body"].as_str().expect("body")).expect("JSON body");
    let statuses: Vec<&str> = listed
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["status"].as_str())
        .collect();
    assert_eq!(statuses, ["NOTIFIED", "NOTIFIED"], "{listed}");
}
