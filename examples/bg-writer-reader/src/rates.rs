//! The expensive load the writer runs on its schedule.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

static VERSION: AtomicU64 = AtomicU64::new(0);

/// Exchange rates, stamped with the writer's process id and a version.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Rates {
    /// `pid/version` of the load that produced them.
    pub(crate) source: String,
    /// Currency → rate against USD, in millionths.
    pub(crate) rates: BTreeMap<String, u64>,
}

/// Pretends to download the day's rates.
pub(crate) async fn load_rates() -> Rates {
    let version = VERSION.fetch_add(1, Ordering::SeqCst);
    let rates = [("EUR", 1_080_000 + version), ("GBP", 1_270_000 + version)]
        .into_iter()
        .map(|(c, r)| (c.to_owned(), r))
        .collect();
    println!("writer {}: loaded version {version}", std::process::id());
    Rates {
        source: format!("{}/{version}", std::process::id()),
        rates,
    }
}
