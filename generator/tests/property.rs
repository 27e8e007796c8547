//! Arbitrary and mutated TOML never panics the checker, and a rejected spec always says why.
#![allow(clippy::unwrap_used)] // a test fails loudly on an unexpected error
#![allow(missing_docs)]

use proptest::prelude::*;

const VALID: &str = r#"
default_storage = "local"

[storages.local]
type = "memory"
max_entries = 100

[storages.hot]
type = "hybrid"
l1 = "local"
l2 = "local2"
l1_ttl = "10s"

[storages.local2]
type = "memory"

[functions.square]
loader = "other::square"
args = ["x: u64"]
returns = "u64"
key = "sq:{x:>04}"
ttl = "5m"

[functions.price]
loader = "other::price"
args = ["sku: &str"]
returns = "Result<u64, String>"
async = true
strategy = "swr"
ttl = "1m"
stale_ttl = "30s"

[loaders.inv]
loader = "other::inv"
returns = "Vec<u8>"
interval = "5m"
run_immediately = true

[readers.inv_local]
source = "inv"
interval = "1m"
storage = "local2"
"#;

fn check(text: &str) {
    match advanced_caching_build::check_str("cache.toml", text, None) {
        Ok(_) => {}
        Err(d) => {
            assert!(!d.items.is_empty(), "rejected without a diagnostic");
            let rendered = d.to_string();
            assert!(rendered.contains("error: "));
        }
    }
}

#[test]
fn the_base_spec_is_valid() {
    advanced_caching_build::check_str("cache.toml", VALID, None).unwrap();
    let code = advanced_caching_build::expand_str("cache.toml", VALID, None).unwrap();
    assert!(
        code.contains("ChainStorage::hybrid("),
        "the hybrid storage is generated"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text(text in "\\PC{0,400}") {
        check(&text);
    }

    #[test]
    fn toml_like_text(text in "(\\[[a-z._]{0,12}\\]\n|[a-z_]{1,8} = (\"[a-z0-9:{}/ ]{0,12}\"|[0-9-]{1,4}|true|\\[\\])\n){0,20}") {
        check(&text);
    }

    #[test]
    fn mutated_valid_spec(cuts in proptest::collection::vec((0usize..VALID.len(), 0usize..8, "\\PC{0,6}"), 1..6)) {
        let mut text = VALID.to_owned();
        for (at, len, insert) in cuts {
            let mut at = at.min(text.len());
            while !text.is_char_boundary(at) { at -= 1; }
            let mut end = (at + len).min(text.len());
            while !text.is_char_boundary(end) { end -= 1; }
            text.replace_range(at..end, &insert);
        }
        check(&text);
    }
}
