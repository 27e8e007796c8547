//! Distinct calls never share an entry, and distinct entries never share a storage key: every
//! template form of `specs/keys.toml` sits on ONE storage and is called with arguments drawn from
//! an adversarial alphabet (the templates' own separators, the escape characters, braces, spaces).
//! Each value echoes its call, so a shared entry shows as a wrong value, and the storage must hold
//! exactly one entry per distinct call. A second property builds random templates and checks the
//! runtime's escaping over them.
#![allow(clippy::unwrap_used)] // a test fails loudly on an unexpected error
#![allow(missing_docs)]

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use advanced_caching::{key::KeyBuilder, storage::MemoryStorage};
use advanced_caching_build::model::{KeyPart, KeySpec};
use advanced_caching_tests::fixture::echo;
use advanced_caching_tests::keys_spec::caches::Caches;
use proptest::prelude::*;

/// Characters the templates use as separators and escapes, plus a few ordinary ones.
const ALPHABET: &[char] = &[
    'a', 'x', '0', '1', ':', '\\', '%', '~', '{', '}', ' ', '/', '-', ',', '"', '#', '|',
];

fn word() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(ALPHABET), 0..5)
        .prop_map(|chars| chars.into_iter().collect())
}

fn number() -> impl Strategy<Value = u64> {
    prop_oneof![0u64..40, 99_999_990u64..100_000_010, Just(u64::MAX)]
}

fn signed() -> impl Strategy<Value = i64> {
    prop_oneof![
        -1_000i64..1_000,
        -1_000_010i64..-999_990,
        Just(i64::MIN),
        Just(i64::MAX)
    ]
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Call {
    Positional(String, String),
    Indexed(String, String),
    Backslash(String, String),
    ColonBackslash(String, String),
    Mixed(String, String, String),
    Padded(u64, String),
    Hexed(u64, String),
    SignedPad(i64),
    Single(String),
    Debugged(String, String),
    DefaultKey(String, String),
    Custom(String, String),
}

fn call() -> impl Strategy<Value = Call> {
    prop_oneof![
        (word(), word()).prop_map(|(a, b)| Call::Positional(a, b)),
        (word(), word()).prop_map(|(a, b)| Call::Indexed(a, b)),
        (word(), word()).prop_map(|(a, b)| Call::Backslash(a, b)),
        (word(), word()).prop_map(|(a, b)| Call::ColonBackslash(a, b)),
        (word(), word(), word()).prop_map(|(a, b, c)| Call::Mixed(a, b, c)),
        (number(), word()).prop_map(|(n, s)| Call::Padded(n, s)),
        (number(), word()).prop_map(|(n, s)| Call::Hexed(n, s)),
        signed().prop_map(Call::SignedPad),
        word().prop_map(Call::Single),
        (word(), word()).prop_map(|(a, b)| Call::Debugged(a, b)),
        (word(), word()).prop_map(|(a, b)| Call::DefaultKey(a, b)),
        (word(), word()).prop_map(|(a, b)| Call::Custom(a, b)),
    ]
}

/// Pieces that templates use as separators or escapes: moved across an argument boundary, they
/// make the classic ambiguities (`("x\\", "y")` against `("x", "\\y")`).
const BOUNDARY: &[&str] = &[
    "\\", ":", "{}", " ", "%", ":\\", "/", "\\\\", "-", ",", "\"",
];

/// `(a, b)` and its neighbours: each boundary piece appended to `a` or prepended to `b`, and up
/// to two characters moved from one side to the other.
fn neighbours(a: &str, b: &str) -> Vec<(String, String)> {
    let mut out = vec![(a.to_owned(), b.to_owned())];
    for piece in BOUNDARY {
        out.push((format!("{a}{piece}"), b.to_owned()));
        out.push((a.to_owned(), format!("{piece}{b}")));
    }
    let (ac, bc): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    for k in 1..=2 {
        if k <= ac.len() {
            let (keep, moved) = ac.split_at(ac.len() - k);
            out.push((keep.iter().collect(), moved.iter().chain(&bc).collect()));
        }
        if k <= bc.len() {
            let (moved, keep) = bc.split_at(k);
            out.push((ac.iter().chain(moved).collect(), keep.iter().collect()));
        }
    }
    out
}

/// Every call plus the neighbours of its first two string arguments.
fn with_neighbours(calls: &[Call]) -> Vec<Call> {
    let mut out = Vec::new();
    for call in calls {
        out.push(call.clone());
        let pairs: Vec<Call> = match call {
            Call::Positional(a, b) => neighbours(a, b)
                .into_iter()
                .map(|(a, b)| Call::Positional(a, b))
                .collect(),
            Call::Indexed(a, b) => neighbours(a, b)
                .into_iter()
                .map(|(a, b)| Call::Indexed(a, b))
                .collect(),
            Call::Backslash(a, b) => neighbours(a, b)
                .into_iter()
                .map(|(a, b)| Call::Backslash(a, b))
                .collect(),
            Call::ColonBackslash(a, b) => neighbours(a, b)
                .into_iter()
                .map(|(a, b)| Call::ColonBackslash(a, b))
                .collect(),
            Call::Mixed(a, b, c) => neighbours(a, b)
                .into_iter()
                .map(|(a, b)| Call::Mixed(a, b, c.clone()))
                .chain(
                    neighbours(b, c)
                        .into_iter()
                        .map(|(b, c)| Call::Mixed(a.clone(), b, c)),
                )
                .collect(),
            Call::Debugged(a, b) => neighbours(a, b)
                .into_iter()
                .map(|(a, b)| Call::Debugged(a, b))
                .collect(),
            Call::DefaultKey(a, b) => neighbours(a, b)
                .into_iter()
                .map(|(a, b)| Call::DefaultKey(a, b))
                .collect(),
            Call::Custom(a, b) => neighbours(a, b)
                .into_iter()
                .map(|(a, b)| Call::Custom(a, b))
                .collect(),
            Call::Padded(n, s) => vec![
                Call::Padded(*n, format!(":{s}")),
                Call::Hexed(*n, s.clone()),
            ],
            Call::Hexed(n, s) => vec![
                Call::Hexed(*n, format!("%{s}")),
                Call::Padded(*n, s.clone()),
            ],
            Call::SignedPad(n) => vec![Call::SignedPad(n.saturating_neg())],
            Call::Single(s) => vec![Call::Single(format!("{s} ")), Call::Single(format!(" {s}"))],
        };
        out.extend(pairs);
    }
    out
}

/// What the wrapper returned, and what the loader gives for this very call.
fn run(caches: &Caches, call: &Call) -> (String, String) {
    match call {
        Call::Positional(a, b) => (caches.positional(a, b), echo::pair(a, b)),
        Call::Indexed(a, b) => (caches.indexed(a, b), echo::pair(a, b)),
        Call::Backslash(a, b) => (caches.backslash(a, b), echo::pair(a, b)),
        Call::ColonBackslash(a, b) => (caches.colon_backslash(a, b), echo::pair(a, b)),
        Call::Mixed(a, b, c) => (caches.mixed(a, b, c), echo::triple(a, b, c)),
        Call::Padded(n, s) => (caches.padded(*n, s), echo::num_str(*n, s)),
        Call::Hexed(n, s) => (caches.hexed(*n, s), echo::num_str(*n, s)),
        Call::SignedPad(n) => (caches.signed_pad(*n), echo::signed(*n)),
        Call::Single(s) => (caches.single(s), echo::single(s)),
        Call::Debugged(a, b) => (caches.debugged(a, b), echo::pair(a, b)),
        Call::DefaultKey(a, b) => (caches.default_key(a, b), echo::pair(a, b)),
        Call::Custom(a, b) => (caches.custom(a, b), echo::pair(a, b)),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn distinct_calls_of_every_template_form_never_share_an_entry(
        calls in proptest::collection::vec(call(), 1..60)
    ) {
        let calls = with_neighbours(&calls);
        let storage = Arc::new(MemoryStorage::new(1_000_000));
        let caches = Caches::builder().storage("shared", storage.clone()).build().unwrap();
        let mut distinct = HashSet::new();
        for call in &calls {
            let (got, want) = run(&caches, call);
            prop_assert_eq!(got, want, "{:?} got another call's entry", call);
            distinct.insert(call.clone());
        }
        // Two calls on one storage key would leave fewer entries than distinct calls.
        prop_assert_eq!(storage.len(), distinct.len());
    }
}

/// A template over `a`, `b`, `c` in `order`, with `literals` before, between and after them.
fn template(order: &[usize], literals: &[String]) -> String {
    let braces = |l: &str| l.replace('{', "{{").replace('}', "}}");
    let mut text = braces(&literals[0]);
    for (i, slot) in order.iter().enumerate() {
        text.push_str(["{a}", "{b}", "{c}"][*slot]);
        text.push_str(&braces(&literals[i + 1]));
    }
    text
}

/// The key the generated code builds for `args` (same calls as the generated code makes).
fn build_key(parts: &[KeyPart], specials: &'static str, escape: char, args: &[String]) -> String {
    let mut key = KeyBuilder::with_escape(specials, escape);
    for part in parts {
        match part {
            KeyPart::Literal(text) => key.literal(text),
            KeyPart::Placeholder { param, .. } => {
                let at = ["a", "b", "c"].iter().position(|p| p == param).unwrap();
                key.argument_str(&args[at]);
            }
        }
    }
    key.finish().into_string()
}

fn separator() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(ALPHABET), 1..4)
        .prop_map(|chars| chars.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_templates_build_distinct_keys_for_distinct_arguments(
        order in Just(vec![0usize, 1, 2]).prop_shuffle(),
        outer in (word(), word()),
        seps in (separator(), separator()),
        tuples in proptest::collection::vec((word(), word(), word()), 1..40),
    ) {
        let literals = vec![outer.0, seps.0, seps.1, outer.1];
        // A template may not start with the reserved `~` (the checker says so; tested elsewhere).
        prop_assume!(!literals[0].starts_with(advanced_caching::key::RESERVED));
        let text = template(&order, &literals);
        let spec = format!(
            "[functions.f]\nloader = \"other::f\"\nargs = [\"a: &str\", \"b: &str\", \"c: &str\"]\nreturns = \"String\"\nttl = \"1m\"\nkey = {}\n",
            toml_string(&text)
        );
        let checked = advanced_caching_build::check_str("cache.toml", &spec, None)
            .unwrap_or_else(|d| panic!("{text:?} rejected:\n{d}"));
        let KeySpec::Template(parts) = &checked.functions[0].key else {
            panic!("a template");
        };
        let (specials, escape) = KeyPart::escaping(parts);
        let specials: &'static str = Box::leak(specials.into_boxed_str());
        let mut seen: HashMap<String, Vec<String>> = HashMap::new();
        for (a, b, c) in tuples {
            let around_ab = neighbours(&a, &b).into_iter().map(|(a, b)| vec![a, b, c.clone()]);
            let around_bc = neighbours(&b, &c).into_iter().map(|(b, c)| vec![a.clone(), b, c]);
            for args in around_ab.chain(around_bc) {
                let key = build_key(parts, specials, escape, &args);
                prop_assert!(
                    !key.starts_with(advanced_caching::key::RESERVED),
                    "template {:?} built a reserved key {:?}", text, key
                );
                if let Some(before) = seen.get(&key) {
                    prop_assert_eq!(before, &args, "template {:?}: one key {:?}", text, key);
                }
                seen.insert(key, args);
            }
        }
    }
}

/// `text` as a TOML basic string.
fn toml_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[test]
fn the_generator_reserves_the_runtimes_internal_key_start() {
    let spec = |key: &str| {
        format!(
            "[functions.f]\nloader = \"other::f\"\nargs = [\"a: &str\"]\nreturns = \"String\"\nttl = \"1m\"\nkey = {}\n",
            toml_string(key)
        )
    };
    let reserved = advanced_caching::key::RESERVED;
    let rejected =
        advanced_caching_build::check_str("cache.toml", &spec(&format!("{reserved}x:{{a}}")), None)
            .expect_err("a key may not start with the runtime's reserved character");
    assert!(
        rejected
            .to_string()
            .contains(&format!("may not start with `{reserved}`"))
    );
    advanced_caching_build::check_str("cache.toml", &spec("x:{a}"), None).unwrap();
}
