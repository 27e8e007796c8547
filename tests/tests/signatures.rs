//! The signature matrix (`specs/signatures.toml`, `src/shapes.rs`): every loader shape builds —
//! owned non-`Copy` arguments (`String`, `Vec`, a struct), borrowed ones, `mut` bindings,
//! parameters named like the generated code's own identifiers (`key`, `value`, `caches`, `how`,
//! `load`, `on`, `__key`, …), `T` / `Option<T>` / `Result<T, E>` / `anyhow::Result<T>`, sync and async,
//! TTL and SWR, with and without the context — and each wrapper caches what its loader returns.
//! Shapes that cannot be wrapped are refused at their `cache.toml` line (bad specs
//! `lifetime_loader`, `generic_loader`).
#![allow(clippy::unwrap_used)] // a test fails loudly on an unexpected error
#![allow(missing_docs)]

use std::sync::Arc;

use advanced_caching_tests::shapes::{Ctx, Query};
use advanced_caching_tests::signatures_spec::caches::{self, Caches};

fn instance() -> Caches {
    Caches::builder()
        .context(Arc::new(Ctx {
            greeting: "hi ".into(),
        }))
        .build()
        .unwrap()
}

fn q() -> Query {
    Query {
        term: "rust".into(),
        page: 2,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_loader_shape_builds_and_caches() {
    let c = instance();
    let s = || String::from("ada");
    assert_eq!(c.owned_string(s()), "ada");
    assert_eq!(c.owned_string_async(s()).await, "ada");
    assert_eq!(c.owned_string_swr(s()).await, "ada");
    assert_eq!(c.owned_string_swr_sync(s()), "ada");
    assert_eq!(c.owned_vec(vec![1, 2, 3]), 3);
    assert_eq!(c.owned_struct(q()), "rust#2");
    assert_eq!(c.owned_struct_async(q()).await, "rust#2");
    assert_eq!(c.owned_struct_swr(q()).await, "rust#2");
    assert_eq!(c.borrowed_struct(&q()), "rust#2");
    assert_eq!(c.borrowed_struct_swr(&q()).await, "rust#2");
    assert_eq!(c.copy_arg(7), 7);
    assert_eq!(c.mut_copy(7), 8);
    assert_eq!(
        c.mut_copy(7),
        8,
        "a hit: the loader's +1 is not applied twice"
    );
    assert_eq!(c.mut_owned(s()), "ada!");
    assert_eq!(c.mut_owned(s()), "ada!");
    assert_eq!(c.mut_owned_async(s()).await, "ada!");
    assert_eq!(c.named_key(1), 1);
    assert_eq!(c.named_value(2), 2);
    assert_eq!(c.named_caches(3), 3);
    assert_eq!(c.named_how(4), 4);
    assert_eq!(c.named_load(5), 5);
    assert_eq!(c.named_args(6), 6);
    assert_eq!(c.named_result(7), 7);
    assert_eq!(c.named_self_(8), 8);
    assert_eq!(c.named_hit(9), 9);
    assert_eq!(c.named_on(10), 10);
    assert_eq!(c.named_memo(11), 11);
    assert_eq!(c.named_storage(12), 12);
    assert_eq!(c.named_clock(13), 13);
    assert_eq!(c.named_key_owned("k".into(), "v".into()), "k=v");
    assert_eq!(c.named_caches_async("c", 1).await, "c1");
    assert_eq!(c.named_private(1, "b", 3), "1b3");
    caches::named_private::on(&c).insert(1, "b", 3, "inserted".into());
    assert_eq!(c.named_private(1, "b", 3), "inserted");
    assert!(caches::named_private::on(&c).invalidate(1, "b", 3));
    assert_eq!(c.named_value_swr("v".into(), "l").await, "vl");
    assert_eq!(c.opt_out(0), None);
    assert_eq!(c.opt_out(3), Some(3));
    assert_eq!(c.result_out(s()), Ok("ada".into()));
    assert_eq!(c.result_out_async(s()).await, Ok("ada".into()));
    assert_eq!(c.anyhow_out(s()).unwrap(), "ada");
    assert_eq!(c.anyhow_out_async("ada").await.unwrap(), "ada");
    assert_eq!(c.anyhow_swr(s()).await.unwrap(), "ada");
    assert_eq!(c.ctx_owned(s()), Ok("hi ada".into()));
    assert_eq!(c.ctx_owned_async(s()).await, Ok("hi ada".into()));
    assert_eq!(c.ctx_swr(s()).await, Ok("hi ada".into()));
    assert_eq!(c.ctx_struct(q()), Ok("hi rust#2".into()));
    // Control calls take owned key arguments too, and parameters named like generated locals.
    caches::named_key_owned::on(&c).insert("k".into(), "v".into(), "inserted".into());
    assert_eq!(c.named_key_owned("k".into(), "v".into()), "inserted");
    assert!(caches::owned_struct::on(&c).invalidate(q()));
    let hits: u64 = c.stats().iter().map(|s| s.hits).sum();
    assert!(hits >= 3, "the repeated calls were hits");
}
