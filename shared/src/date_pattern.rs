//! Java SimpleDateFormat patterns (being written).
