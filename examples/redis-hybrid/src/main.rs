//! TTL and SWR functions on a hybrid storage (memory L1 + Redis L2):
//! `REDIS_URL=redis://127.0.0.1:6379 cargo run -p redis-hybrid`.

use std::time::{Duration, Instant};

mod backend;

advanced_caching::include_generated!();

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A user id of this run, so the first call is a miss even when Redis kept older runs.
    let user = u64::from(std::process::id());

    println!("== TTL on the hybrid storage");
    let t = Instant::now();
    let profile = caches::get_profile(user).await;
    println!(
        "get_profile({user}) = {profile:?}   miss: loaded in {:.0?}",
        t.elapsed()
    );
    let t = Instant::now();
    caches::get_profile(user).await;
    println!("get_profile({user})   L1 hit in {:.0?}", t.elapsed());

    // Another instance (as another process would be) has an empty L1 but shares Redis.
    let other = caches::Caches::builder().build()?;
    let t = Instant::now();
    other.get_profile(user).await;
    println!(
        "get_profile({user})   from a fresh instance: {:.0?} (an L2 hit when Redis is up, a load otherwise)",
        t.elapsed()
    );

    println!("\n== SWR on the hybrid storage");
    let symbol = format!("ACME{user}");
    println!("get_quote = {}   miss", caches::get_quote(&symbol).await);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let t = Instant::now();
    let stale = caches::get_quote(&symbol).await;
    println!(
        "get_quote = {stale}   stale, served in {:.0?}; one refresh runs",
        t.elapsed()
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    println!(
        "get_quote = {}   refreshed",
        caches::get_quote(&symbol).await
    );

    println!("\n== Stats (storage_errors > 0 means Redis was unreachable and loaders answered)");
    for s in caches::stats().into_iter().chain(other.stats()) {
        println!("{s}");
    }
    Ok(())
}
