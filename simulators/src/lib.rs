//! Vendor API simulators (being written).
