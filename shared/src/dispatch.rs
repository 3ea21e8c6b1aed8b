//! Handing stored notifications to the delivery queue (the outbox sweep).
