//! Three replicas of one service sharing Redis:
//! `REDIS_URL=redis://127.0.0.1:6379 cargo run -p replicas`, or with
//! `REDIS_CLUSTER_NODES=redis://127.0.0.1:7000,redis://127.0.0.1:7001` for a Redis Cluster.
//!
//! Without arguments this program is the orchestrator: it starts itself three times as
//! `replica`, sends each commands on stdin (`price SKU`, `set SKU CENTS`, `report DAY`), prints
//! their answers, and stops them.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

mod catalog;

advanced_caching::include_generated!();

/// Runs as one replica: answers each command on stdin with one line.
async fn replica() -> Result<(), Box<dyn std::error::Error>> {
    if let Ok(nodes) = std::env::var("REDIS_CLUSTER_NODES") {
        let cluster = caches::Caches::builder()
            .storage_with("shared", move |clock| {
                advanced_caching::storage::RedisStorage::cluster([nodes])
                    .prefix("replicas:")
                    .clock(clock)
                    .build_shared()
            })
            .build()?;
        caches::install(cluster)?;
    }
    let (tx, commands) = channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    while let Ok(line) = tokio::task::block_in_place(|| commands.recv()) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let me = std::process::id();
        match words.as_slice() {
            ["price", sku] => println!("replica {me}: {sku} costs {}", caches::price(sku).await?),
            ["set", sku, cents] => {
                caches::price::insert(sku, cents.parse()?).await;
                println!("replica {me}: set {sku} to {cents}");
            }
            ["report", day] => println!("replica {me}: {}", caches::report(day.parse()?).await?),
            _ => println!("replica {me}: unknown command `{line}`"),
        }
        std::io::stdout().flush()?;
    }
    Ok(())
}

/// A replica process: commands in, lines out.
struct Replica {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
}

impl Replica {
    fn start() -> std::io::Result<Self> {
        let mut child = Command::new(std::env::current_exe()?)
            .arg("replica")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let (stdin, stdout) = (child.stdin.take(), child.stdout.take());
        let (Some(stdin), Some(stdout)) = (stdin, stdout) else {
            return Err(std::io::Error::other("no pipes to the replica"));
        };
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Ok(Self {
            child,
            stdin,
            lines,
        })
    }

    fn send(&mut self, command: &str) -> std::io::Result<()> {
        writeln!(self.stdin, "{command}")?;
        self.stdin.flush()
    }

    /// Prints what the replica says until it has been quiet for `quiet`.
    fn show(&mut self, quiet: Duration) {
        while let Ok(line) = self.lines.recv_timeout(quiet) {
            println!("{line}");
        }
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::args().nth(1).as_deref() == Some("replica") {
        let runtime = tokio::runtime::Runtime::new()?;
        return runtime.block_on(replica());
    }
    let mut replicas = vec![Replica::start()?, Replica::start()?, Replica::start()?];
    let quiet = Duration::from_millis(800);
    println!("-- every replica reads the price (one loads it; it stays in each L1 for an hour)");
    for r in &mut replicas {
        r.send("price apple")?;
        r.show(quiet);
    }
    println!("-- the first replica changes it; the others see the change on their next call");
    replicas[0].send("set apple 250")?;
    replicas[0].show(quiet);
    for r in &mut replicas[1..] {
        r.send("price apple")?;
        r.show(quiet);
    }
    println!("-- all three miss today's report together: one replica builds it");
    for r in &mut replicas {
        r.send("report 20261126")?;
    }
    for r in &mut replicas {
        r.show(quiet);
    }
    Ok(())
}
