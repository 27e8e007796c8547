//! One process of the multi-process tests, on the generated `replicas_spec` caches (Redis URL
//! from `ADVANCED_CACHING_TEST_REDIS_URL`). It reads commands on stdin and answers each with
//! one line on stdout (loaders print their own lines too):
//!
//! - `get ID` → `VALUE <profile ID>`
//! - `insert ID TEXT` / `invalidate ID` → `DONE`
//! - `report ID N` → N concurrent calls of `report(ID)`, then `REPORTS <value> …`
//! - `daily N` → N concurrent calls of the `daily` loader's wrapper, then `REPORTS <value> …`

use std::io::{BufRead, Write};

use advanced_caching_tests::replicas_spec::caches;

type Failure = Box<dyn std::error::Error>;

fn answer(line: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()
}

fn main() -> Result<(), Failure> {
    let runtime = tokio::runtime::Runtime::new()?;
    for line in std::io::stdin().lock().lines() {
        runtime.block_on(run(&line?))?;
    }
    Ok(())
}

async fn run(line: &str) -> Result<(), Failure> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let id = |i: usize| -> Result<u64, Failure> { Ok(words.get(i).ok_or("missing id")?.parse()?) };
    let failed = |e: advanced_caching_tests::fixture::FetchError| format!("loader failed: {e:?}");
    {
        match words.first().copied() {
            Some("get") => answer(&format!(
                "VALUE {}",
                caches::profile(id(1)?).await.map_err(failed)?
            ))?,
            Some("insert") => {
                let text = words.get(2).ok_or("missing text")?.to_string();
                caches::profile::insert(id(1)?, text).await;
                answer("DONE")?;
            }
            Some("invalidate") => {
                caches::profile::invalidate(id(1)?).await;
                answer("DONE")?;
            }
            Some("report") => {
                let (key, n) = (id(1)?, id(2)?);
                let calls: Vec<_> = (0..n)
                    .map(|_| tokio::spawn(async move { caches::report(key).await }))
                    .collect();
                let mut values = Vec::new();
                for call in calls {
                    values.push(call.await?.map_err(failed)?);
                }
                answer(&format!("REPORTS {}", values.join(" ")))?;
            }
            Some("daily") => {
                let calls: Vec<_> = (0..id(1)?).map(|_| tokio::spawn(caches::daily())).collect();
                let mut values = Vec::new();
                for call in calls {
                    values.push(call.await?.map_err(failed)?);
                }
                answer(&format!("REPORTS {}", values.join(" ")))?;
            }
            _ => answer(&format!("UNKNOWN {line}"))?,
        }
    }
    Ok(())
}
