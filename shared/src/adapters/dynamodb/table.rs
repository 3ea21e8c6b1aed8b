//! The few DynamoDB calls every module uses, with pagination, retries of unprocessed batch
//! items and error mapping done once.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::error::{BuildError, DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    ConditionCheck, Delete, DeleteRequest, KeysAndAttributes, Put, TransactWriteItem, Update,
    WriteRequest,
};

use super::items::Item;
use super::DynamoStore;
use crate::ports::StoreError;

/// Items per `TransactWriteItems`, DynamoDB's limit.
pub(super) const MAX_TRANSACTION_ITEMS: usize = 100;
const MAX_BATCH_GET: usize = 100;
const MAX_BATCH_WRITE: usize = 25;
/// Rounds of retrying unprocessed batch items (throttling) before giving up.
const BATCH_ROUNDS: u32 = 8;

/// An SDK failure as the ports report it, naming the operation for operators.
pub(super) fn unavailable<E, R>(operation: &str, e: SdkError<E, R>) -> StoreError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    StoreError::Unavailable(format!("DynamoDB {operation}: {}", DisplayErrorContext(&e)))
}

/// A request builder missing a required field: a bug here, reported rather than panicking.
pub(super) fn built<T>(result: Result<T, BuildError>) -> Result<T, StoreError> {
    result.map_err(|e| StoreError::Unavailable(format!("building a DynamoDB request: {e}")))
}

fn values_or_none(values: Item) -> Option<Item> {
    (!values.is_empty()).then_some(values)
}

/// Which sort keys of a partition a query reads.
pub(super) enum SortKeys {
    All,
    Prefix(String),
    Between(String, String),
}

/// How a transaction ended when it did not fail outright.
#[derive(Debug)]
pub(super) enum Transaction {
    Written,
    /// A condition failed: for each item, whether its own condition was the one that failed.
    Refused(Vec<bool>),
}

impl Transaction {
    pub(super) fn refused_at(&self, index: usize) -> bool {
        matches!(self, Transaction::Refused(failed) if failed.get(index).copied().unwrap_or(false))
    }
}

impl DynamoStore {
    /// A strongly consistent read of one item.
    pub(super) async fn get_item(
        &self,
        operation: &str,
        key: Item,
    ) -> Result<Option<Item>, StoreError> {
        self.client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map(|out| out.item)
            .map_err(|e| unavailable(operation, e))
    }

    /// Every item of a partition in the sort-key range, following pages, up to `limit`.
    pub(super) async fn query(
        &self,
        operation: &str,
        pk: &str,
        sort: SortKeys,
        forward: bool,
        limit: Option<usize>,
    ) -> Result<Vec<Item>, StoreError> {
        let mut values = HashMap::from([(":pk".to_owned(), super::items::s(pk))]);
        let condition = match sort {
            SortKeys::All => "pk = :pk",
            SortKeys::Prefix(p) => {
                values.insert(":p".into(), super::items::s(p));
                "pk = :pk AND begins_with(sk, :p)"
            }
            SortKeys::Between(from, to) => {
                values.insert(":from".into(), super::items::s(from));
                values.insert(":to".into(), super::items::s(to));
                "pk = :pk AND sk BETWEEN :from AND :to"
            }
        };
        let mut found = Vec::new();
        let mut start = None;
        loop {
            let remaining = limit.map(|l| l.saturating_sub(found.len()));
            if remaining == Some(0) {
                break;
            }
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression(condition)
                .set_expression_attribute_values(Some(values.clone()))
                .scan_index_forward(forward)
                .consistent_read(true)
                .set_limit(remaining.map(|r| i32::try_from(r).unwrap_or(i32::MAX)))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| unavailable(operation, e))?;
            found.extend(out.items().iter().cloned());
            start = out.last_evaluated_key().cloned();
            if start.is_none() {
                break;
            }
        }
        Ok(found)
    }

    /// Every item of the table matching `filter`: reads (and pays for) the whole table.
    pub(super) async fn scan(
        &self,
        operation: &str,
        filter: &str,
        values: Item,
    ) -> Result<Vec<Item>, StoreError> {
        let mut found = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression(filter)
                .set_expression_attribute_values(values_or_none(values.clone()))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| unavailable(operation, e))?;
            found.extend(out.items().iter().cloned());
            start = out.last_evaluated_key().cloned();
            if start.is_none() {
                return Ok(found);
            }
        }
    }

    /// The items with these (distinct) keys that exist, in no particular order.
    pub(super) async fn batch_get(
        &self,
        operation: &str,
        keys: Vec<Item>,
    ) -> Result<Vec<Item>, StoreError> {
        let mut found = Vec::new();
        for chunk in keys.chunks(MAX_BATCH_GET) {
            let mut pending = built(
                KeysAndAttributes::builder()
                    .set_keys(Some(chunk.to_vec()))
                    .consistent_read(true)
                    .build(),
            )?;
            for round in 0.. {
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, pending)
                    .send()
                    .await
                    .map_err(|e| unavailable(operation, e))?;
                if let Some(items) = out.responses().and_then(|r| r.get(&self.table)) {
                    found.extend(items.iter().cloned());
                }
                match out.unprocessed_keys().and_then(|u| u.get(&self.table)) {
                    Some(left) if !left.keys().is_empty() => {
                        if round >= BATCH_ROUNDS {
                            return Err(StoreError::Unavailable(format!(
                                "DynamoDB {operation}: keys left unprocessed (throttled)"
                            )));
                        }
                        pending = left.clone();
                        tokio::time::sleep(backoff(round)).await;
                    }
                    _ => break,
                }
            }
        }
        Ok(found)
    }

    /// Deletes the items with these (distinct) keys; absent ones are no error.
    pub(super) async fn batch_delete(
        &self,
        operation: &str,
        keys: Vec<Item>,
    ) -> Result<(), StoreError> {
        for chunk in keys.chunks(MAX_BATCH_WRITE) {
            let mut pending = chunk
                .iter()
                .map(|k| {
                    built(DeleteRequest::builder().set_key(Some(k.clone())).build())
                        .map(|d| WriteRequest::builder().delete_request(d).build())
                })
                .collect::<Result<Vec<_>, _>>()?;
            for round in 0.. {
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, pending)
                    .send()
                    .await
                    .map_err(|e| unavailable(operation, e))?;
                match out.unprocessed_items().and_then(|u| u.get(&self.table)) {
                    Some(left) if !left.is_empty() => {
                        if round >= BATCH_ROUNDS {
                            return Err(StoreError::Unavailable(format!(
                                "DynamoDB {operation}: deletes left unprocessed (throttled)"
                            )));
                        }
                        pending = left.clone();
                        tokio::time::sleep(backoff(round)).await;
                    }
                    _ => break,
                }
            }
        }
        Ok(())
    }

    /// Writes all items or none; a failed condition is an answer, not an error.
    pub(super) async fn transact(
        &self,
        operation: &str,
        items: Vec<TransactWriteItem>,
    ) -> Result<Transaction, StoreError> {
        if items.is_empty() {
            return Ok(Transaction::Written);
        }
        let count = items.len();
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(Transaction::Written),
            Err(e) => match e.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(ex)) => {
                    let codes = cancellation_codes(
                        ex.cancellation_reasons().iter().map(|r| r.code()),
                        ex.message(),
                        count,
                    );
                    if codes.iter().any(|c| c == "ConditionalCheckFailed") {
                        Ok(Transaction::Refused(
                            codes
                                .iter()
                                .map(|c| c == "ConditionalCheckFailed")
                                .collect(),
                        ))
                    } else {
                        Err(unavailable(operation, e))
                    }
                }
                _ => Err(unavailable(operation, e)),
            },
        }
    }

    pub(super) fn put(
        &self,
        item: Item,
        condition: Option<&str>,
        values: Item,
    ) -> Result<TransactWriteItem, StoreError> {
        let put = built(
            Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .set_condition_expression(condition.map(str::to_owned))
                .set_expression_attribute_values(values_or_none(values))
                .build(),
        )?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    pub(super) fn update(
        &self,
        key: Item,
        expression: &str,
        condition: Option<&str>,
        values: Item,
    ) -> Result<TransactWriteItem, StoreError> {
        let update = built(
            Update::builder()
                .table_name(&self.table)
                .set_key(Some(key))
                .update_expression(expression)
                .set_condition_expression(condition.map(str::to_owned))
                .set_expression_attribute_values(values_or_none(values))
                .build(),
        )?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    pub(super) fn delete(
        &self,
        key: Item,
        condition: Option<&str>,
        values: Item,
    ) -> Result<TransactWriteItem, StoreError> {
        let delete = built(
            Delete::builder()
                .table_name(&self.table)
                .set_key(Some(key))
                .set_condition_expression(condition.map(str::to_owned))
                .set_expression_attribute_values(values_or_none(values))
                .build(),
        )?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    pub(super) fn check(
        &self,
        key: Item,
        condition: &str,
        values: Item,
    ) -> Result<TransactWriteItem, StoreError> {
        let check = built(
            ConditionCheck::builder()
                .table_name(&self.table)
                .set_key(Some(key))
                .condition_expression(condition)
                .set_expression_attribute_values(values_or_none(values))
                .build(),
        )?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    /// One conditional update outside a transaction; false when the condition did not hold.
    pub(super) async fn update_one(
        &self,
        operation: &str,
        key: Item,
        expression: &str,
        condition: Option<&str>,
        values: Item,
    ) -> Result<bool, StoreError> {
        let sent = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .update_expression(expression)
            .set_condition_expression(condition.map(str::to_owned))
            .set_expression_attribute_values(values_or_none(values))
            .send()
            .await;
        match sent {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(unavailable(operation, e)),
        }
    }

    /// Adds `by` to a numeric attribute of a counter item and returns the new value.
    pub(super) async fn add_to_counter(
        &self,
        operation: &str,
        key: Item,
        attribute: &str,
        by: i64,
    ) -> Result<i64, StoreError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .update_expression(format!("ADD {attribute} :by"))
            .expression_attribute_values(":by", super::items::n(by))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|e| unavailable(operation, e))?;
        let attributes = out.attributes().cloned().unwrap_or_default();
        super::items::get_n(&attributes, attribute)
    }
}

fn backoff(round: u32) -> Duration {
    Duration::from_millis(25u64 << round.min(6))
}

/// Per item cancellation codes; taken from the message when an emulator sends no reasons
/// (`... reasons [None, ConditionalCheckFailed]`).
fn cancellation_codes<'a>(
    reasons: impl Iterator<Item = Option<&'a str>>,
    message: Option<&str>,
    count: usize,
) -> Vec<String> {
    let codes: Vec<String> = reasons.map(|c| c.unwrap_or("None").to_owned()).collect();
    if !codes.is_empty() {
        return codes;
    }
    let listed = message
        .and_then(|m| Some(&m[m.rfind('[')? + 1..m.rfind(']')?]))
        .map(|l| {
            l.split(',')
                .map(|c| c.trim().to_owned())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    if listed.len() == count {
        listed
    } else {
        // Nothing says which item failed: assume every condition did.
        vec!["ConditionalCheckFailed".to_owned(); count]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancellation_codes_come_from_reasons_or_the_message() {
        let from_reasons =
            cancellation_codes([None, Some("ConditionalCheckFailed")].into_iter(), None, 2);
        assert_eq!(from_reasons, ["None", "ConditionalCheckFailed"]);
        let from_message = cancellation_codes(
            std::iter::empty(),
            Some("Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]"),
            2,
        );
        assert_eq!(from_message, ["None", "ConditionalCheckFailed"]);
    }
}
