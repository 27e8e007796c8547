//! Keys in logs: a key may hold what a user typed (an e-mail, a name), so log lines show a short
//! digest of it unless the program asks for keys (`ADVANCED_CACHING_LOG_KEYS=1`, or
//! [`log_keys`](crate::log_keys)); the digest still tells one key's lines from another's.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU8, Ordering};

/// 0: not decided yet (read the environment), 1: digests, 2: keys.
static SHOWN: AtomicU8 = AtomicU8::new(0);

/// Shows cache keys in log lines from now on (`true`), or digests of them (`false`, the default
/// unless `ADVANCED_CACHING_LOG_KEYS=1`).
///
/// ```
/// advanced_caching::log_keys(false);
/// ```
pub fn log_keys(on: bool) {
    SHOWN.store(if on { 2 } else { 1 }, Ordering::Relaxed);
}

fn keys_shown() -> bool {
    match SHOWN.load(Ordering::Relaxed) {
        0 => {
            let on = std::env::var("ADVANCED_CACHING_LOG_KEYS").is_ok_and(|v| v == "1");
            log_keys(on);
            on
        }
        state => state == 2,
    }
}

/// A key as a log line shows it.
pub(crate) struct Shown<'a>(&'a str);

/// `key` for a log field: itself when keys are shown, else `key#<digest>`.
pub(crate) fn shown(key: &str) -> Shown<'_> {
    Shown(key)
}

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if keys_shown() {
            return f.write_str(self.0);
        }
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.0.hash(&mut hasher);
        write!(f, "key#{:08x}", hasher.finish() as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_digests_unless_asked_for() {
        log_keys(false);
        let hidden = shown("user:ada@example.com").to_string();
        assert!(
            hidden.starts_with("key#") && !hidden.contains("ada"),
            "{hidden}"
        );
        assert_eq!(hidden, shown("user:ada@example.com").to_string(), "stable");
        assert_ne!(hidden, shown("user:grace@example.com").to_string());
        log_keys(true);
        assert_eq!(
            shown("user:ada@example.com").to_string(),
            "user:ada@example.com"
        );
        log_keys(false);
    }
}
