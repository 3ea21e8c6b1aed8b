//! pollhook-core: the domain of pollhook and its ports; adapters sit behind features.

pub mod date_pattern;
pub mod time_zone;
