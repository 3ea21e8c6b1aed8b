//! pollhook-core: the domain of pollhook and its ports; adapters sit behind features.
