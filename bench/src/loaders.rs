//! The loaders behind the generated wrappers the harness measures.

/// A cheap "lookup" (the harness measures hits, not loads).
pub(crate) fn lookup(id: u64, name: &str) -> String {
    format!("{name}#{id}")
}
