//! pollhook-core: the domain of pollhook and its ports; adapters sit behind features.

pub mod callback_guard;
pub mod callback_url;
pub mod ceql;
pub mod change;
pub mod cloudwatch_emf;
pub mod crash_point;
pub mod credentials;
pub mod date_pattern;
pub mod dispatch;
pub mod element;
pub mod element_catalogue;
pub mod elements;
pub mod event;
pub mod field_error;
pub mod id_field;
pub mod instance;
pub mod json_bool;
pub mod json_kind;
pub mod list_cursor;
pub mod metrics;
pub mod notification;
pub mod poller;
pub mod ports;
pub mod refresh_interval;
pub mod resource_poll;
pub mod retry_schedule;
pub mod schedule;
pub mod secret_box;
pub mod secret_fields;
pub mod signature;
pub mod time_zone;
pub mod url_template;
pub mod webhook_secrets;

#[cfg(feature = "api")]
pub mod api;
#[cfg(feature = "api")]
pub mod console;

#[cfg(feature = "elements")]
pub mod deliverer;
#[cfg(feature = "elements")]
pub mod poll_runner;
#[cfg(feature = "elements")]
pub mod queued_delivery;
#[cfg(feature = "elements")]
pub mod scheduler;

pub mod adapters;
