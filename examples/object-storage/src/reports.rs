//! The expensive computation this example caches.

use std::time::Duration;

/// A month's report.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Report {
    /// `YYYY-MM`.
    pub(crate) month: String,
    /// One line per day.
    pub(crate) lines: Vec<String>,
}

/// Pretends to crunch a month of data (300 ms).
pub(crate) async fn build_monthly_report(year: u16, month: u8) -> Report {
    tokio::time::sleep(Duration::from_millis(300)).await;
    Report {
        month: format!("{year}-{month:02}"),
        lines: (1..=30u32)
            .map(|d| format!("{year}-{month:02}-{d:02}: {} orders", d * 37 % 101))
            .collect(),
    }
}
