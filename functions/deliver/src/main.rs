//! deliver: SQS trigger (FIFO queue, `ReportBatchItemFailures`) that POSTs each notification
//! to its instance's callback, signed. Each message stands alone: failures are reported as
//! batch item failures with their retry delay set as the message's visibility; the last
//! failure marks the notification DEAD and copies it to the dead-letter queue.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use pollhook_core::adapters::aws_env::{var, AwsEnv};
use pollhook_core::callback_guard::{guarded_client, CallbackGuard};
use pollhook_core::cloudwatch_emf::EmfRecorder;
use pollhook_core::deliverer::{Deliverer, DeliverySettings};
use pollhook_core::ports::SystemClock;
use pollhook_core::queued_delivery::{QueuedDelivery, ReceivedMessage, Redelivery};

/// Receives the queue allows (its redrive `maxReceiveCount`) when the environment says nothing.
const DEFAULT_MAX_RECEIVES: u32 = 20;

fn number(name: &str, default: u64) -> anyhow::Result<u64> {
    var(name)
        .map(|s| {
            s.parse::<u64>()
                .with_context(|| format!("{name}: not a whole number"))
        })
        .transpose()
        .map(|v| v.unwrap_or(default))
}

/// An SQS record as the domain takes it; missing attributes become values that fail safe.
fn received(record: aws_lambda_events::event::sqs::SqsMessage) -> ReceivedMessage {
    let attribute = |name: &str| record.attributes.get(name).cloned();
    ReceivedMessage {
        group: attribute("MessageGroupId").unwrap_or_default(),
        receive_count: attribute("ApproximateReceiveCount")
            .and_then(|c| c.parse().ok())
            .unwrap_or(1),
        message_id: record.message_id.clone().unwrap_or_default(),
        receipt_handle: record.receipt_handle.clone().unwrap_or_default(),
        body: record.body.clone().unwrap_or_default(),
    }
}

async fn handle(
    delivery: &Arc<QueuedDelivery>,
    redelivery: &Arc<dyn Redelivery>,
    event: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, Error> {
    let messages = event.payload.records.into_iter().map(received).collect();
    let failed = delivery.handle_batch(messages, redelivery.clone()).await;
    let mut response = SqsBatchResponse::default();
    for id in failed {
        let mut failure = BatchItemFailure::default();
        failure.item_identifier = id;
        response.batch_item_failures.push(failure);
    }
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let aws = AwsEnv::from_env().await?;
    let queue = Arc::new(aws.queue()?);
    // Only for tests against a receiver on loopback; never set in a deployment.
    let guard = CallbackGuard {
        allow_private: var("POLLHOOK_ALLOW_PRIVATE_CALLBACKS").is_some_and(|v| v == "1"),
    };
    let timeout = Duration::from_secs(number("POLLHOOK_DELIVERY_TIMEOUT_SECS", 15)?.max(1));
    let user_agent = concat!("pollhook/", env!("CARGO_PKG_VERSION"));
    let deliverer = Deliverer {
        queue: aws.store.clone(),
        instances: aws.store.clone(),
        client: guarded_client(guard.clone(), timeout, user_agent),
        guard,
        clock: Arc::new(SystemClock),
        settings: DeliverySettings {
            lease: timeout * 4 + Duration::from_secs(30),
            ..DeliverySettings::default()
        },
        user_agent: user_agent.to_owned(),
        wake: None,
        metrics: Some(Arc::new(EmfRecorder::stdout())),
    };
    let max_receives = number("POLLHOOK_MAX_RECEIVE_COUNT", DEFAULT_MAX_RECEIVES.into())?;
    let delivery = Arc::new(QueuedDelivery {
        deliverer: Arc::new(deliverer),
        outbox: aws.store.clone(),
        queue: queue.clone(),
        max_receives: u32::try_from(max_receives).unwrap_or(u32::MAX),
    });
    let redelivery: Arc<dyn Redelivery> = queue;
    let (delivery, redelivery) = (&delivery, &redelivery);
    lambda_runtime::run(service_fn(move |event| handle(delivery, redelivery, event))).await
}
