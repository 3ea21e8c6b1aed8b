//! The events AWS hands each function, as API Gateway, EventBridge Scheduler and SQS shape them.

use serde_json::{json, Value};

/// An API Gateway HTTP API (payload 2.0) request.
pub fn http_api(method: &str, path: &str, authorization: &str, body: Option<&str>) -> Value {
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {
            "authorization": authorization,
            "content-type": "application/json",
            "host": "api.example.test"
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "pollhook",
            "domainName": "api.example.test",
            "domainPrefix": "api",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "pollhook-tests"
            },
            "requestId": "test-request",
            "routeKey": "$default",
            "stage": "$default",
            "time": "25/Nov/2026:12:00:00 +0000",
            "timeEpoch": 1795000000000u64
        },
        "body": body,
        "isBase64Encoded": false
    })
}

/// One SQS record of a Lambda event, from a message as ReceiveMessage returned it.
pub fn sqs_record(message: &aws_sdk_sqs::types::Message, queue_arn: &str) -> Value {
    use aws_sdk_sqs::types::MessageSystemAttributeName as A;
    let attribute = |name: A| {
        message
            .attributes()
            .and_then(|a| a.get(&name))
            .cloned()
            .unwrap_or_default()
    };
    json!({
        "messageId": message.message_id(),
        "receiptHandle": message.receipt_handle(),
        "body": message.body(),
        "attributes": {
            "ApproximateReceiveCount": attribute(A::ApproximateReceiveCount),
            "SentTimestamp": attribute(A::SentTimestamp),
            "SenderId": "test",
            "ApproximateFirstReceiveTimestamp": attribute(A::ApproximateFirstReceiveTimestamp),
            "MessageGroupId": attribute(A::MessageGroupId),
            "MessageDeduplicationId": attribute(A::MessageDeduplicationId),
            "SequenceNumber": attribute(A::SequenceNumber)
        },
        "messageAttributes": {},
        "md5OfBody": message.md5_of_body(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": "us-east-1"
    })
}

/// A record whose body is not a notification reference.
pub fn malformed_sqs_record(queue_arn: &str) -> Value {
    json!({
        "messageId": "malformed-1",
        "receiptHandle": "malformed-receipt",
        "body": "this is not a notification",
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1795000000000",
            "SenderId": "test",
            "ApproximateFirstReceiveTimestamp": "1795000000000",
            "MessageGroupId": "unknown",
            "MessageDeduplicationId": "malformed-1",
            "SequenceNumber": "1"
        },
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": "us-east-1"
    })
}
