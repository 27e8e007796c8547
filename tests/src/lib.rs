//! End-to-end tests of advanced-caching: wrappers generated from `specs/*.toml` by `build.rs`,
//! compiled here under `#![deny(warnings)]`, called by the tests in `tests/`. The semantics they pin
//! are listed in `docs/design.md` ("The semantics contract").
#![deny(warnings)]

pub mod contract;
pub mod fixture;
pub mod harness;
pub mod history;
pub mod origin_setup;
pub mod shapes;

/// Generated from `specs/basic.toml`.
pub mod basic {
    include!(concat!(env!("OUT_DIR"), "/basic.rs"));
}

/// The runtime under another path, as a crate that renames the dependency or reaches it through a
/// re-export sees it: the wrappers of `specs/external.toml` are generated against this path.
pub mod runtime_alias {
    pub use advanced_caching::__private;
}

/// Generated from `specs/external.toml` (with `runtime_path("crate::runtime_alias")`).
pub mod external {
    include!(concat!(env!("OUT_DIR"), "/external.rs"));
}

/// Generated from `specs/redis.toml`.
pub mod redis_spec {
    include!(concat!(env!("OUT_DIR"), "/redis.rs"));
}

/// Generated from `specs/objects.toml`.
pub mod objects_spec {
    include!(concat!(env!("OUT_DIR"), "/objects.rs"));
}

/// Generated from `specs/cluster.toml`.
pub mod cluster_spec {
    include!(concat!(env!("OUT_DIR"), "/cluster.rs"));
}

/// Generated from `specs/replicas.toml`.
pub mod replicas_spec {
    include!(concat!(env!("OUT_DIR"), "/replicas.rs"));
}

/// Generated from `specs/context.toml`.
pub mod context_spec {
    include!(concat!(env!("OUT_DIR"), "/context.rs"));
}

/// Generated from `specs/keys.toml`.
pub mod keys_spec {
    include!(concat!(env!("OUT_DIR"), "/keys.rs"));
}

/// Generated from `specs/files.toml`.
pub mod files_spec {
    include!(concat!(env!("OUT_DIR"), "/files.rs"));
}

/// Generated from `specs/fail_safe.toml`.
pub mod fail_safe_spec {
    include!(concat!(env!("OUT_DIR"), "/fail_safe.rs"));
}

/// Generated from `specs/history.toml`.
pub mod history_spec {
    include!(concat!(env!("OUT_DIR"), "/history.rs"));
}

/// Generated from `specs/signatures.toml`.
pub mod signatures_spec {
    include!(concat!(env!("OUT_DIR"), "/signatures.rs"));
}
