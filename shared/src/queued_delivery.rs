//! One queued notification delivered: what the deliver function does per SQS message.
