//! A chain memory → local files → S3 from `cache.toml`:
//! `cargo run -p object-storage` (starts an S3 emulator if `moto_server` is installed), or
//! `S3_BUCKET=my-bucket cargo run -p object-storage` for a real bucket.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use advanced_caching::storage::{MemoryStorage, S3Storage, SharedStorage};

mod reports;

advanced_caching::include_generated!();

/// An S3 emulator of this run, stopped on drop.
struct Emulator(Child, String);

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_emulator() -> Option<Emulator> {
    let port = TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let child = Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let emulator = Emulator(child, format!("http://127.0.0.1:{port}"));
    for _ in 0..300 {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(emulator);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Where S3 is: a real bucket named by S3_BUCKET, or an emulator started here.
    let mut emulator = None;
    let s3_override: Option<SharedStorage> = if std::env::var("S3_BUCKET").is_ok() {
        println!("using the bucket in S3_BUCKET");
        None
    } else if let Some(e) = start_emulator() {
        println!("started an S3 emulator at {}", e.1);
        let s3 = S3Storage::builder("advanced-caching-example")
            .endpoint(&e.1)
            .credentials("test", "test")
            .prefix("reports/")
            .compression(true)
            .dedupe_writes(true)
            .build()?;
        s3.client()
            .create_bucket()
            .bucket("advanced-caching-example")
            .send()
            .await?;
        emulator = Some(e);
        Some(Arc::new(s3))
    } else {
        println!(
            "no S3: set S3_BUCKET (and AWS credentials) or `pip install 'moto[server]'`; \
             the S3 level will fail open and the loader will answer"
        );
        None
    };
    // One "host": its own memory, a disk directory (the spec's unless given), S3.
    let host = |memory: SharedStorage, disk: Option<SharedStorage>| {
        let mut builder = caches::Caches::builder().storage("memory", memory);
        if let Some(disk) = disk {
            builder = builder.storage("disk", disk);
        }
        if let Some(s3) = &s3_override {
            builder = builder.storage("s3", s3.clone());
        }
        builder.build()
    };

    // This run's disk directory, so the first call is not answered by an earlier run's files.
    let disk_dir =
        std::env::temp_dir().join(format!("object-storage-example-{}", std::process::id()));
    let disk = || -> Result<SharedStorage, advanced_caching::StorageError> {
        Ok(Arc::new(
            advanced_caching::storage::FileStorage::builder(&disk_dir)
                .compression(true)
                .build()?,
        ))
    };
    let first = host(Arc::new(MemoryStorage::new(1_000)), Some(disk()?))?;
    let (year, month) = (2026, 11);
    let t = Instant::now();
    let report = first.monthly_report(year, month).await;
    println!(
        "monthly_report = {} ({} lines)   first call: {:.0?} (built, or read from S3 if an earlier run stored it)",
        report.month,
        report.lines.len(),
        t.elapsed()
    );
    let t = Instant::now();
    first.monthly_report(year, month).await;
    println!("monthly_report   memory hit in {:.0?}", t.elapsed());

    // After a restart: memory is empty, the files are still there.
    let restarted = host(Arc::new(MemoryStorage::new(1_000)), Some(disk()?))?;
    let t = Instant::now();
    restarted.monthly_report(year, month).await;
    println!(
        "monthly_report   after a restart, from local files in {:.0?}",
        t.elapsed()
    );

    // Another host: empty memory, an empty disk of its own, the same bucket.
    let other_dir = disk_dir.with_extension("other-host");
    let other_disk = advanced_caching::storage::FileStorage::builder(&other_dir)
        .compression(true)
        .build()?;
    let other = host(
        Arc::new(MemoryStorage::new(1_000)),
        Some(Arc::new(other_disk)),
    )?;
    let t = Instant::now();
    other.monthly_report(year, month).await;
    println!(
        "monthly_report   on another host, in {:.0?} (from S3 when it is reachable, else built again)",
        t.elapsed()
    );
    let _ = std::fs::remove_dir_all(&other_dir);
    let _ = std::fs::remove_dir_all(&disk_dir);

    println!("\n== Stats (storage_errors > 0 means S3 was unreachable and the loader answered)");
    for s in first
        .stats()
        .into_iter()
        .chain(restarted.stats())
        .chain(other.stats())
    {
        println!("{s}");
    }
    drop(emulator);
    Ok(())
}
