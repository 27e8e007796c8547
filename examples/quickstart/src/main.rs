//! advanced-caching quickstart: `cargo run -p quickstart`.

use std::time::{Duration, Instant};

mod loaders;

advanced_caching::include_generated!();

fn timed<T>(start: Instant, value: T) -> (T, Duration) {
    (value, start.elapsed())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The loaders' state, made once and shared (never cloned) by every load and refresh.
    let state = std::sync::Arc::new(loaders::AppState::connect());
    caches::init(state.clone())?;

    println!("== TTL: the first call loads, the second is a hit");
    let (user, took) = timed(Instant::now(), caches::get_user(42).await);
    println!("get_user(42) = {:?}   miss, {took:.0?}", user?);
    let (user, took) = timed(Instant::now(), caches::get_user(42).await);
    println!("get_user(42) = {:?}   hit, {took:.0?}", user?);
    if let Err(e) = caches::get_user(0).await {
        println!("get_user(0)  = error \"{e}\"   errors are returned, never cached");
    }

    println!("\n== A sync loader, cached the same way");
    let (rate, took) = timed(Instant::now(), caches::exchange_rate("EUR"));
    println!("exchange_rate(\"EUR\") = {rate}   miss, {took:.0?}");
    let (rate, took) = timed(Instant::now(), caches::exchange_rate("EUR"));
    println!("exchange_rate(\"EUR\") = {rate}   hit, {took:.0?}");

    println!("\n== SWR: a stale value is served at once while one refresh runs");
    let (price, took) = timed(Instant::now(), caches::get_price("sku-1").await);
    println!("get_price(\"sku-1\") = {:?}   miss, {took:.0?}", price?);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let (price, took) = timed(Instant::now(), caches::get_price("sku-1").await);
    println!(
        "get_price(\"sku-1\") = {:?}   stale hit after 400 ms, {took:.0?} (refreshing in the background)",
        price?
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (price, took) = timed(Instant::now(), caches::get_price("sku-1").await);
    println!(
        "get_price(\"sku-1\") = {:?}   refreshed value, {took:.0?}",
        price?
    );

    println!("\n== A background loader refreshes on its own schedule");
    caches::start()?;
    let first = caches::inventory().await?;
    println!("inventory() = {first:?}");
    tokio::time::sleep(Duration::from_millis(450)).await;
    let later = caches::inventory().await?;
    println!("inventory() = {later:?}   after 450 ms");

    println!(
        "\n== {} queries reached the database (the rest were cache hits)",
        state.queries()
    );

    println!("\n== Stats");
    for stats in caches::stats() {
        println!("{stats}");
    }
    Ok(())
}
