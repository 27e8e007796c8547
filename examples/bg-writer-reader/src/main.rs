//! One writer process and two reader processes sharing Redis:
//! `REDIS_URL=redis://127.0.0.1:6379 cargo run -p bg-writer-reader`.
//!
//! Without arguments this program is the orchestrator: it starts itself as `writer` and twice as
//! `reader`, shows what they print for three seconds, and stops them.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

mod rates;

advanced_caching::include_generated!();

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    match std::env::args().nth(1).as_deref() {
        Some("writer") => {
            caches::start()?;
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
        Some("reader") => {
            let mut last = None;
            for _ in 0..240 {
                // A reader never loads: `None` until the writer has written.
                let Some(rates) = caches::rates_view().await else {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                if last.as_ref() != Some(&rates) {
                    println!(
                        "reader {}: sees {} {:?}",
                        std::process::id(),
                        rates.source,
                        rates.rates
                    );
                    last = Some(rates);
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
        _ => orchestrate()?,
    }
    Ok(())
}

fn spawn(role: &str) -> std::io::Result<Child> {
    let mut child = Command::new(std::env::current_exe()?)
        .arg(role)
        .stdout(Stdio::piped())
        .spawn()?;
    if let Some(out) = child.stdout.take() {
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                println!("  {line}");
            }
        });
    }
    Ok(child)
}

fn orchestrate() -> Result<(), Box<dyn std::error::Error>> {
    let redis =
        std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379 (default)".into());
    println!("starting one writer and two readers on {redis}");
    let mut children = vec![spawn("writer")?];
    std::thread::sleep(Duration::from_millis(200));
    children.push(spawn("reader")?);
    children.push(spawn("reader")?);
    std::thread::sleep(Duration::from_secs(3));
    for child in &mut children {
        let _ = child.kill();
        let _ = child.wait();
    }
    println!("stopped the writer and the readers");
    Ok(())
}
