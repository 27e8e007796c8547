//! One process of the cross-process tests, on the generated `redis_spec` caches.
//!
//! `bg_node writer` starts every background loader and reader and idles (its loader prints
//! `RUN <value>` on each run); `bg_node reader` prints `SEEN <value>` whenever the reader's value
//! changes. Both read Redis' URL from `ADVANCED_CACHING_TEST_REDIS_URL`; stop them by killing.

use std::io::Write;
use std::time::Duration;

use advanced_caching_tests::redis_spec::caches;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let role = std::env::args().nth(1).unwrap_or_default();
    match role.as_str() {
        "writer" => {
            caches::start()?;
            loop {
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
        }
        "reader" => {
            let mut last = String::new();
            loop {
                if let Some(value) = caches::snapshot_local().await
                    && value != last
                {
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "SEEN {value}")?;
                    out.flush()?;
                    last = value;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        other => Err(format!("usage: bg_node writer|reader (got `{other}`)").into()),
    }
}
