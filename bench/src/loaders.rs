//! The loaders behind the generated wrappers the harness measures.

/// A cheap "lookup" (the harness measures hits, not loads).
pub(crate) fn lookup(id: u64, name: &str) -> String {
    format!("{name}#{id}")
}

/// A background loader's value: a settings text of a few hundred bytes.
pub(crate) fn settings() -> String {
    "feature_x=on;".repeat(20)
}

/// A large value: a report of 100 rows.
pub(crate) fn report(id: u64) -> Vec<String> {
    (0..100)
        .map(|i| format!("row {i} of report {id}"))
        .collect()
}
