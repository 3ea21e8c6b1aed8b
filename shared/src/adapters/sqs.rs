//! The delivery queue on SQS.
