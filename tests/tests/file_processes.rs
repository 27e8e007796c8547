//! The file storage shared by several processes: a writer killed mid-write never leaves a torn
//! file that a reader returns, and two processes racing `set_if_not_exists` have one winner.
#![allow(clippy::unwrap_used)] // a test fails loudly on an unexpected error
#![allow(missing_docs)]

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use advanced_caching::storage::{FileStorage, StorageExt};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "advanced-caching-file-processes-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn node() -> Command {
    Command::new(env!("CARGO_BIN_EXE_file_node"))
}

#[test]
fn a_writer_killed_mid_write_never_leaves_a_torn_value() {
    let dir = temp_dir("torn");
    let files = FileStorage::new(&dir).unwrap();
    let mut total_reads = 0;
    for round in 0..6 {
        let mut writer = node()
            .args(["write-loop", dir.to_str().unwrap(), "big"])
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        // Read while it writes, then kill it at an arbitrary point of a write.
        let until = Instant::now() + Duration::from_millis(60 + round * 17);
        let mut reads = 0;
        while Instant::now() < until {
            if let Some(v) = files.get_blocking_typed::<Vec<u8>>("big").unwrap() {
                assert_eq!(v.len(), 1 << 20);
                assert!(v.iter().all(|b| *b == v[0]), "a torn value was returned");
                reads += 1;
            }
        }
        writer.kill().unwrap();
        writer.wait().unwrap();
        let after = files.get_blocking_typed::<Vec<u8>>("big").unwrap();
        if let Some(v) = after {
            assert!(v.len() == 1 << 20 && v.iter().all(|b| *b == v[0]));
        }
        total_reads += reads;
    }
    assert!(
        total_reads > 0,
        "the reader saw values while the writers ran"
    );
    // The killed writers may leave temp files; they are never read, and cleanup removes old ones.
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn two_processes_racing_set_if_not_exists_have_one_winner() {
    let dir = temp_dir("nx");
    for round in 0..5 {
        let key = format!("race-{round}");
        let go = dir.join(format!("go-{round}"));
        let racers: Vec<_> = (0..2)
            .map(|_| {
                node()
                    .args(["nx", dir.to_str().unwrap(), &key, go.to_str().unwrap()])
                    .stdout(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        std::thread::sleep(Duration::from_millis(30));
        std::fs::write(&go, b"go").unwrap();
        let outcomes: Vec<String> = racers
            .into_iter()
            .map(|c| {
                let out = c.wait_with_output().unwrap();
                assert!(out.status.success());
                String::from_utf8(out.stdout).unwrap().trim().to_owned()
            })
            .collect();
        assert_eq!(
            outcomes.iter().filter(|o| *o == "WON").count(),
            1,
            "round {round}: {outcomes:?}"
        );
        assert_eq!(outcomes.iter().filter(|o| *o == "LOST").count(), 1);
        let files = FileStorage::new(&dir).unwrap();
        assert!(files.blocking().exists(&key).unwrap());
    }
    let _ = std::fs::remove_dir_all(&dir);
}
