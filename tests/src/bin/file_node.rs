//! One process of the cross-process file-storage tests.
//!
//! - `file_node write-loop DIR KEY`: rewrites KEY forever with 1 MiB values whose bytes are all the
//!   same (so a torn value would show); the test kills it mid-write.
//! - `file_node nx DIR KEY GO_FILE`: waits for GO_FILE to exist, races `set_if_not_exists` on KEY
//!   and prints `WON` or `LOST`.

use std::sync::Arc;
use std::time::Duration;

use advanced_caching::storage::{
    AnyValue, CacheEntry, FileStorage, SerdeValue, Storage, StorageExt,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize| args.get(i).cloned().ok_or(format!("missing argument {i}"));
    let files = FileStorage::new(arg(2)?)?;
    let key = arg(3)?;
    match arg(1)?.as_str() {
        "write-loop" => {
            for round in 0u64.. {
                let byte = (round % 251) as u8;
                files.set_blocking_typed(&key, &vec![byte; 1 << 20], None)?;
            }
            Ok(())
        }
        "nx" => {
            let go = std::path::PathBuf::from(arg(4)?);
            while !go.exists() {
                std::thread::sleep(Duration::from_micros(200));
            }
            let entry = CacheEntry::new(
                Arc::new(std::process::id()) as AnyValue,
                files.now(),
                Some(Duration::from_secs(60)),
                None,
            );
            let won = files
                .blocking()
                .set_if_not_exists(&key, entry, &SerdeValue::<u32>::new())?;
            println!("{}", if won { "WON" } else { "LOST" });
            Ok(())
        }
        other => Err(format!("unknown mode `{other}`").into()),
    }
}
