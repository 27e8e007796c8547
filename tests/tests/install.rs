//! A test binary replaces the process-wide instance once, at start-up: the free functions then
//! use its storages and its clock. Its own test binary, as the instance is per process.
#![allow(clippy::unwrap_used)] // a test fails loudly on an unexpected error
#![allow(missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use advanced_caching::clock::ManualClock;
use advanced_caching_tests::basic::caches::{self, Caches};
use advanced_caching_tests::fixture::calls;

#[test]
fn the_process_wide_instance_is_installed_once_and_follows_its_clock() {
    let clock = ManualClock::new(0);
    let caches_on_clock = Caches::builder()
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap();
    assert!(caches::install(caches_on_clock).is_ok());
    assert_eq!(caches::square(9_501), 9_501 * 9_501);
    assert_eq!(caches::describe("x", 9_502), caches::describe("x", 9_502));
    assert_eq!(calls("describe:x:9502"), 1);
    // `describe` lives 30 s on the installed test clock: moving it expires the entry.
    clock.advance(Duration::from_secs(31));
    caches::describe("x", 9_502);
    assert_eq!(calls("describe:x:9502"), 2);
    // Installed once: a second one is handed back.
    let again = Caches::builder().build().unwrap();
    assert!(caches::install(again).is_err());
}
