//! `arc = true`: a value kept and returned as an `Arc`, so that a hit on a large value clones a
//! pointer; on a byte storage the value itself is what is stored.
#![allow(clippy::unwrap_used)] // a test fails loudly on an unexpected error
#![allow(missing_docs)]

use std::sync::Arc;

use advanced_caching::{
    clock::{ManualClock, SharedClock},
    storage::{FileStorage, SharedStorage},
};
use advanced_caching_tests::basic::caches::{self, Caches};
use advanced_caching_tests::files_spec::caches::Caches as FileCaches;
use advanced_caching_tests::fixture::calls;

fn isolated() -> Caches {
    Caches::builder()
        .clock(Arc::new(ManualClock::new(1_000_000)))
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_hit_returns_the_same_arc() {
    let c = isolated();
    let first: Arc<Vec<String>> = c.shared_report(7).await.unwrap();
    let again = c.shared_report(7).await.unwrap();
    assert!(Arc::ptr_eq(&first, &again), "a hit shares the value");
    assert_eq!(first.len(), 500);
    let thumb: Arc<Vec<u8>> = c.shared_thumbnail(3);
    assert!(Arc::ptr_eq(&thumb, &c.shared_thumbnail(3)));
    assert_eq!(
        c.stats()
            .iter()
            .find(|s| s.name == "shared_thumbnail")
            .unwrap()
            .hits,
        1
    );
}

#[tokio::test]
async fn control_calls_take_and_give_arcs() {
    let c = isolated();
    let on = caches::shared_thumbnail::on(&c);
    on.insert(9, vec![1, 2, 3]);
    assert_eq!(
        *c.shared_thumbnail(9),
        vec![1, 2, 3],
        "inserted from the value"
    );
    let mine = Arc::new(vec![4u8]);
    on.insert(10, mine.clone());
    assert!(
        Arc::ptr_eq(&c.shared_thumbnail(10), &mine),
        "inserted from an Arc"
    );
    assert!(Arc::ptr_eq(&on.get(10).unwrap().value, &mine));
    let before = calls("thumbnail:11");
    let refreshed = on.refresh(11);
    assert_eq!(calls("thumbnail:11"), before + 1);
    assert!(Arc::ptr_eq(&refreshed, &c.shared_thumbnail(11)));
}

#[tokio::test]
async fn a_background_value_is_shared_too() {
    let c = isolated();
    let first = c.shared_inventory().await.unwrap();
    let again = c.shared_inventory().await.unwrap();
    assert!(Arc::ptr_eq(&first, &again));
}

#[test]
fn on_a_byte_storage_the_value_itself_is_stored() {
    let dir = std::env::temp_dir().join(format!("ac-shared-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let on_disk = |dir: std::path::PathBuf| {
        FileCaches::builder()
            .clock(Arc::new(ManualClock::new(1_000_000)))
            .storage_with("disk", move |clock: SharedClock| -> SharedStorage {
                Arc::new(FileStorage::builder(&dir).clock(clock).build().unwrap())
            })
            .build()
            .unwrap()
    };
    let before = calls("square:12");
    let writer = on_disk(dir.clone());
    assert_eq!(*writer.shared_square(12), 144);
    // Another instance on the same directory reads it back: decoded into a new Arc.
    let reader = on_disk(dir.clone());
    assert_eq!(*reader.shared_square(12), 144);
    assert_eq!(
        calls("square:12"),
        before + 1,
        "the second instance read the file"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
