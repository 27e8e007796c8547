//! Key building: injectivity over adversarial arguments, guards, escapes.

use super::KeyBuilder;
use super::key_arg::{DisplayKeyArg as _, FastKeyArg as _, KeyArg};

/// The same key through the fast route and through `Display`.
/// (After a literal, so that no leading guard is written.)
fn both<T: std::fmt::Display>(value: T, fast: impl Fn(&mut KeyBuilder)) -> (String, String) {
    let mut by_fast = KeyBuilder::new("-:");
    by_fast.literal(">");
    fast(&mut by_fast);
    let mut by_display = KeyBuilder::new("-:");
    by_display.literal(">");
    by_display.argument(format_args!("{value}"));
    let text = |k: KeyBuilder| k.finish().into_string().split_off(1);
    (text(by_fast), text(by_display))
}

#[test]
fn keys_that_start_with_an_argument_are_guarded_and_stay_injective() {
    use std::collections::HashMap;
    let alphabet = ['a', '~', '\\', ':', '%'];
    let mut words = vec![String::new()];
    for _ in 0..3 {
        let longer: Vec<String> = words
            .iter()
            .flat_map(|w| alphabet.iter().map(move |c| format!("{w}{c}")))
            .collect();
        words.extend(longer);
    }
    words.sort();
    words.dedup();
    for (specials, escape) in [("", '\\'), (":", '\\'), ("\\", '%')] {
        let mut seen: HashMap<String, (String, String)> = HashMap::new();
        for a in &words {
            for b in words.iter().take(40) {
                let mut k = KeyBuilder::with_escape(specials, escape);
                k.argument_str(a);
                if !specials.is_empty() {
                    k.literal(&specials[..1]);
                    k.argument_str(b);
                }
                let key = k.finish().into_string();
                assert!(!key.starts_with(super::RESERVED), "{key:?} from {a:?}");
                let pair = (
                    a.clone(),
                    if specials.is_empty() {
                        String::new()
                    } else {
                        b.clone()
                    },
                );
                if let Some(before) = seen.insert(key.clone(), pair.clone()) {
                    assert_eq!(before, pair, "one key {key:?} for two calls");
                }
            }
        }
    }
}

#[test]
// The explicit borrows pick the route under test.
#[allow(clippy::needless_borrow)]
fn the_fast_route_writes_what_display_writes() {
    let (a, b) = both(-42i64, |k| (&KeyArg(&-42i64)).write_key(k));
    assert_eq!((a.as_str(), b.as_str()), (r"\-42", r"\-42"));
    let (a, b) = both(u128::MAX, |k| (&KeyArg(&u128::MAX)).write_key(k));
    assert_eq!(a, b);
    let s = "a:b\\c";
    let (a, b) = both(s, |k| (&KeyArg(&s)).write_key(k));
    assert_eq!((a.as_str(), b.as_str()), (r"a\:b\\c", r"a\:b\\c"));
    let owned = String::from("x-y");
    let (a, b) = both(&owned, |k| (&KeyArg(&owned)).write_key(k));
    assert_eq!((a.as_str(), b.as_str()), (r"x\-y", r"x\-y"));
    let (a, b) = both(true, |k| (&KeyArg(&true)).write_key(k));
    assert_eq!((a.as_str(), b.as_str()), ("true", "true"));
    let (a, b) = both(':', |k| (&KeyArg(&':')).write_key(k));
    assert_eq!((a.as_str(), b.as_str()), (r"\:", r"\:"));
    let n = &7u8;
    let (a, b) = both(n, |k| (&KeyArg(&n)).write_key(k));
    assert_eq!((a.as_str(), b.as_str()), ("7", "7"));
    // A type without a fast route goes through `Display`.
    let (a, b) = both(1.5f32, |k| (&KeyArg(&1.5f32)).write_key(k));
    assert_eq!((a.as_str(), b.as_str()), ("1.5", "1.5"));
}
