//! Refreshing ahead of expiry: at a fixed share of the TTL (`refresh_ahead`), or at a random
//! point that nears expiry the longer the value's last load took (`early_refresh = "xfetch"`,
//! Vattani, Chierichetti and Lowenstein, "Optimal Probabilistic Cache Stampede Prevention",
//! VLDB 2015).
//!
//! XFetch: a hit at `now` on a value fresh until `expiry`, whose load took `delta`, refreshes
//! when `now - delta · beta · ln(u) ≥ expiry` for a uniform draw `u` in (0, 1]. The chance per
//! hit is `exp(-(expiry - now) / (delta · beta))`: negligible early on, certain at expiry, and
//! reached sooner by a slow load (it needs the head start) and by a larger `beta`. Each process
//! draws on its own, so a fleet renews a hot key about once per TTL; the in-process refresh mark
//! and the storage's refresh lock catch the rare near-simultaneous draws.

use super::*;

/// The number of `beta · delta` spans before expiry at which a memo copy stops and hits draw:
/// a draw there refreshes with chance `e^-8` (0.03 %), so hits before it lose nothing by not
/// drawing, and the memo's hits stay a map read.
const MEMO_SPANS: f64 = 8.0;

/// When a hit refreshes a value ahead of its expiry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Early {
    /// Only at expiry.
    Never,
    /// After this share of the TTL (`refresh_ahead`).
    Ahead(f64),
    /// At a random point scaled by the last load's time (`early_refresh = "xfetch"`).
    XFetch {
        /// Above 1 refreshes earlier, below 1 later.
        beta: f64,
    },
}

/// A uniform draw in `[0, 1)`: a randomly keyed hash of a counter, uniform enough for spreading
/// expiries and refreshes, without an RNG crate.
pub(super) fn unit_draw() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    static DRAWS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(DRAWS.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

impl<T, E> CacheCore<T, E> {
    /// When a hit on `entry` refreshes it ahead of expiry: for `refresh_ahead`, that share of
    /// its TTL after it was written; for XFetch, a fresh draw; its expiry otherwise (and for an
    /// entry that never expires, or whose load time was not recorded).
    pub(super) fn refresh_due(&self, entry: &AnyEntry) -> Millis {
        self.due(entry, || -(1.0 - unit_draw()).ln())
    }

    /// Until when a memo copy of `entry` answers hits: its refresh point for `refresh_ahead`,
    /// and for XFetch the point where draws start to matter ([`MEMO_SPANS`]).
    pub(super) fn memo_until(&self, entry: &AnyEntry) -> Millis {
        self.due(entry, || MEMO_SPANS)
    }

    /// The refresh point of `entry`, with XFetch's `-ln(u)` from `spans`.
    fn due(&self, entry: &AnyEntry, spans: impl FnOnce() -> f64) -> Millis {
        let Some(until) = entry.fresh_until else {
            return Millis::MAX;
        };
        match self.early {
            Early::Never => until,
            Early::Ahead(share) => {
                let ttl = until.saturating_sub(entry.created_at);
                entry
                    .created_at
                    .saturating_add((ttl as f64 * share) as Millis)
            }
            Early::XFetch { beta } => match entry.load_millis {
                // `as` saturates: an infinite head start is "now".
                Some(took) => until.saturating_sub((f64::from(took) * beta * spans()) as Millis),
                None => until,
            },
        }
    }

    /// A loaded entry, with the load's time when XFetch needs it.
    pub(super) fn with_load_time(&self, entry: AnyEntry, since: Instant) -> AnyEntry {
        match self.early {
            Early::XFetch { .. } => entry.with_load_time(Some(since.elapsed())),
            _ => entry,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::entry::CacheEntry;

    fn core(early: Early) -> CacheCore<u8, ()> {
        let mut core = CacheCore::new(
            "f",
            Arc::new(crate::storage::MemoryStorage::new(10)),
            crate::clock::system_clock(),
            Box::new(crate::storage::value::SerdeValue::<u8>::new()),
            None,
        );
        core.early = early;
        core
    }

    fn entry(load_millis: Option<u32>) -> AnyEntry {
        let mut e = CacheEntry::new(
            Arc::new(1u8) as crate::storage::AnyValue,
            0,
            Some(Duration::from_secs(1)),
            None,
        );
        e.load_millis = load_millis;
        e
    }

    #[test]
    fn refresh_ahead_is_a_share_of_the_ttl() {
        assert_eq!(core(Early::Ahead(0.8)).refresh_due(&entry(None)), 800);
        assert_eq!(core(Early::Never).refresh_due(&entry(Some(50))), 1_000);
    }

    #[test]
    fn xfetch_draws_follow_the_exponential_law_of_the_load_time() {
        let core = core(Early::XFetch { beta: 1.0 });
        // Without a recorded load time: at expiry.
        assert_eq!(core.refresh_due(&entry(None)), 1_000);
        let e = entry(Some(50));
        let draws: Vec<Millis> = (0..20_000).map(|_| core.refresh_due(&e)).collect();
        // The head start is exponential with mean beta · delta = 50 ms: P(> 50 ms) = 1/e, and
        // P(> 400 ms) = e^-8.
        let mean = draws.iter().map(|d| (1_000 - d) as f64).sum::<f64>() / draws.len() as f64;
        let past_mean = draws.iter().filter(|d| **d < 950).count() as f64 / draws.len() as f64;
        assert!((45.0..55.0).contains(&mean), "mean head start {mean} ms");
        assert!(
            (0.34..0.40).contains(&past_mean),
            "P(head start > delta) = {past_mean}"
        );
        assert!(draws.iter().all(|d| *d <= 1_000));
        assert_eq!(core.memo_until(&e), 600);
        let eager = self::core(Early::XFetch { beta: 2.0 });
        assert_eq!(eager.memo_until(&e), 200);
    }

    #[test]
    fn only_xfetch_records_load_times() {
        let since = Instant::now() - Duration::from_millis(30);
        let timed = core(Early::XFetch { beta: 1.0 }).with_load_time(entry(None), since);
        assert!(timed.load_millis.is_some_and(|t| t >= 30));
        let plain = core(Early::Ahead(0.5)).with_load_time(entry(None), since);
        assert_eq!(plain.load_millis, None);
    }
}
