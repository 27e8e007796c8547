//! Loaders the test specs wrap. Each counts its calls per argument, so parallel tests that use
//! distinct arguments never see each other's calls.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};

static CALLS: LazyLock<Mutex<HashMap<String, usize>>> = LazyLock::new(Default::default);

/// Counts a call tagged `tag` and returns how many there were before it.
fn bump(tag: String) -> usize {
    let mut calls = CALLS.lock().unwrap_or_else(PoisonError::into_inner);
    let n = calls.entry(tag).or_default();
    *n += 1;
    *n - 1
}

/// How many calls were tagged `tag`.
pub fn calls(tag: &str) -> usize {
    CALLS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(tag)
        .copied()
        .unwrap_or(0)
}

/// A user record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// Id.
    pub id: u64,
    /// Name; carries the load count, so a reload is visible.
    pub name: String,
}

/// A loader failure.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchError(pub String);

/// A load slower than its function's `hard_timeout` is a failure too.
impl From<advanced_caching::LoadTimeout> for FetchError {
    fn from(timeout: advanced_caching::LoadTimeout) -> Self {
        FetchError(timeout.to_string())
    }
}

/// Async, fallible: id 0 fails.
pub async fn fetch_user(user_id: u64) -> Result<User, FetchError> {
    let n = bump(format!("fetch_user:{user_id}"));
    tokio::time::sleep(Duration::from_millis(20)).await;
    if user_id == 0 {
        return Err(FetchError("no user 0".into()));
    }
    Ok(User {
        id: user_id,
        name: format!("user{user_id}#{n}"),
    })
}

/// Sync, infallible.
pub fn square(x: u64) -> u64 {
    bump(format!("square:{x}"));
    std::thread::sleep(Duration::from_millis(20));
    x * x
}

/// Sync, with a borrowed parameter.
pub fn describe(name: &str, n: u32) -> String {
    let k = bump(format!("describe:{name}:{n}"));
    format!("{name}x{n}#{k}")
}

/// Async, borrowed parameter, value = how many loads came before.
pub async fn price(sku: &str) -> Result<u64, FetchError> {
    Ok(bump(format!("price:{sku}")) as u64)
}

/// Sync SWR loader with a borrowed parameter.
pub fn price_sync(sku: &str) -> u64 {
    bump(format!("price_sync:{sku}")) as u64
}

/// Async background loader.
pub async fn load_inventory() -> Result<Vec<String>, FetchError> {
    let n = bump("load_inventory".into());
    Ok(vec![format!("widget#{n}")])
}

/// Sync background loader with a non-`Clone` error behind an alias.
pub fn load_config() -> std::io::Result<String> {
    let n = bump("load_config".into());
    Ok(format!("config#{n}"))
}

/// Async background loader for the cross-process tests: the value names this process and the
/// run, and each run is announced on stdout as `RUN <value>`.
pub async fn snapshot() -> Result<String, FetchError> {
    use std::io::Write;
    let n = bump("snapshot".into());
    let value = format!("{}#{n}", std::process::id());
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "RUN {value}");
    let _ = out.flush();
    Ok(value)
}

/// Async loader of a large object (a report of `day`), for the object-storage chains.
pub async fn build_report(day: u32) -> Result<Vec<String>, FetchError> {
    let n = bump(format!("build_report:{day}"));
    Ok((0..500)
        .map(|i| format!("day {day} row {i} build {n}"))
        .collect())
}

/// Sync loader of a large object, for the object-storage chains.
pub fn thumbnail(id: u64) -> Vec<u8> {
    let n = bump(format!("thumbnail:{id}"));
    vec![(id % 251) as u8; 4_096 + n]
}

/// Keys for `key_fn`.
pub mod keys {
    /// The key of a user lookup.
    pub fn user_key(user_id: &u64) -> String {
        format!("custom-user-{user_id}")
    }
}

/// A loader the generator must refuse: generic.
pub fn generic_loader<T: Default>() -> T {
    T::default()
}

/// A loader the generator must refuse: mutates its argument.
pub fn mutating_loader(v: &mut Vec<u8>) -> usize {
    v.push(1);
    v.len()
}

/// Private loader code used by the public API, unreachable for generated code elsewhere.
mod private {
    #[allow(dead_code)]
    fn hidden() -> u8 {
        1
    }
}

/// Loaders that take the loader context (`context = "crate::fixture::ctx::AppState"`).
pub mod ctx {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use advanced_caching::context::ContextMissing;

    /// State made at start-up: deliberately not `Clone`, so the caches can only share it.
    #[derive(Debug, Default)]
    pub struct AppState {
        /// What the loaders answer with.
        pub greeting: String,
        /// How many loads ran against this state.
        pub loads: AtomicUsize,
    }

    impl AppState {
        /// A state greeting with `greeting`.
        pub fn new(greeting: &str) -> Self {
            Self {
                greeting: greeting.into(),
                loads: AtomicUsize::new(0),
            }
        }

        fn load(&self) -> usize {
            self.loads.fetch_add(1, Ordering::SeqCst)
        }
    }

    /// The loaders' error: a missing context is one of its cases.
    #[derive(Debug, Clone, PartialEq)]
    pub enum CtxError {
        /// Called before the context was supplied.
        Missing(ContextMissing),
    }

    impl From<ContextMissing> for CtxError {
        fn from(e: ContextMissing) -> Self {
            Self::Missing(e)
        }
    }

    /// Async, fallible, with context.
    pub async fn greet(state: &AppState, name: &str) -> Result<String, CtxError> {
        let n = state.load();
        Ok(format!("{} {name}#{n}", state.greeting))
    }

    /// Sync, infallible, with context.
    pub fn count(state: &AppState, n: u64) -> u64 {
        state.load() as u64 * 1_000 + n
    }

    /// Async SWR loader with context: the value is the load count.
    pub async fn quote(state: &AppState, sku: &str) -> Result<String, CtxError> {
        Ok(format!("{sku}@{}", state.load()))
    }

    /// Sync background loader with context.
    pub fn settings(state: &AppState) -> Result<String, CtxError> {
        Ok(format!("{}#{}", state.greeting, state.load()))
    }
}

/// Loaders of the adversarial key suite (`specs/keys.toml`): each value echoes its arguments, so
/// a call that got another call's entry returns a value that is not its own.
pub mod echo {
    /// Two strings.
    pub fn pair(a: &str, b: &str) -> String {
        format!("{a:?}|{b:?}")
    }

    /// Three strings.
    pub fn triple(a: &str, b: &str, c: &str) -> String {
        format!("{a:?}|{b:?}|{c:?}")
    }

    /// A number and a string.
    pub fn num_str(n: u64, s: &str) -> String {
        format!("{n}|{s:?}")
    }

    /// A signed number.
    pub fn signed(n: i64) -> String {
        n.to_string()
    }

    /// One string.
    pub fn single(s: &str) -> String {
        format!("{s:?}")
    }

    /// A user key function (injective: the first argument's length leads).
    pub fn pair_key(a: &&str, b: &&str) -> String {
        format!("{}:{a}{b}", a.len())
    }
}

/// A loader deep in modules that imports its types through `super::super` (the generated code
/// must resolve them), and a method the generator must refuse as a loader.
pub mod repo {
    /// Types used by the loaders below.
    pub mod types {
        /// A row.
        #[derive(Debug, Clone, PartialEq)]
        pub struct Row(pub u64);
    }

    /// Two levels down.
    pub mod deep {
        /// The loader's module.
        pub mod inner {
            use super::super::types::Row;

            /// Loads a row.
            pub fn load_row(id: u64) -> Row {
                Row(id * 2)
            }
        }
    }

    /// A handle with a method.
    pub struct Db;

    impl Db {
        /// Not a free function: cannot be a loader.
        pub fn load(id: u64) -> u64 {
            id
        }
    }
}

/// A lookup that may find nothing: even ids exist, odd ones do not.
pub fn find_user(user_id: u64) -> Option<User> {
    let n = bump(format!("find_user:{user_id}"));
    user_id.is_multiple_of(2).then(|| User {
        id: user_id,
        name: format!("found{user_id}#{n}"),
    })
}

/// A background loader whose runs after the first fail.
pub fn flaky() -> Result<String, FetchError> {
    let n = bump("flaky".into());
    if n == 0 {
        Ok("flaky#0".into())
    } else {
        Err(FetchError(format!("run {n} failed")))
    }
}

/// An `on_error` hook: counts the failures it is told about.
pub fn loader_failed(error: &FetchError) {
    bump(format!("loader_failed:{}", error.0));
}

/// Loaders of the multi-process tests (`specs/replicas.toml`); each prints what it does, so the
/// test that spawned the process can count loader calls across processes.
pub mod replicas {
    use std::io::Write;
    use std::time::Duration;

    use super::FetchError;

    fn say(line: &str) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }

    /// The value of profile `id` as this process would load it.
    pub async fn profile(id: u64) -> Result<String, FetchError> {
        say(&format!("LOADED profile {id}"));
        Ok(format!("loaded-{id}-by-{}", std::process::id()))
    }

    /// A slow daily figure (200 ms), loaded by a background loader on a miss.
    pub async fn daily() -> Result<String, FetchError> {
        say("LOADING daily");
        tokio::time::sleep(Duration::from_millis(200)).await;
        Ok(format!("daily-by-{}", std::process::id()))
    }

    /// A slow report: takes `REPORT_LOAD_MS` (default 200) milliseconds.
    pub async fn report(id: u64) -> Result<String, FetchError> {
        say(&format!("LOADING report {id}"));
        let ms = std::env::var("REPORT_LOAD_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(200);
        tokio::time::sleep(Duration::from_millis(ms)).await;
        Ok(format!("report-{id}-by-{}", std::process::id()))
    }
}

/// An origin that tests take down and bring back, one currency at a time (tests of one binary
/// run in parallel; each uses its own currencies).
pub mod origin {
    use std::collections::{BTreeMap, BTreeSet};
    use std::sync::{Mutex, PoisonError};
    use std::time::Duration;

    use super::{FetchError, bump};

    static DOWN: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    static SLOW: Mutex<BTreeMap<String, Duration>> = Mutex::new(BTreeMap::new());

    /// Makes the origin of `currency` answer after `delay` (`None`: at once).
    pub fn set_slow(currency: &str, delay: Option<Duration>) {
        let mut held = SLOW.lock().unwrap_or_else(PoisonError::into_inner);
        match delay {
            Some(delay) => held.insert(currency.to_owned(), delay),
            None => held.remove(currency),
        };
    }

    fn delay(currency: &str) -> Option<Duration> {
        SLOW.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(currency)
            .copied()
    }

    /// Takes the origin of `currency` down (`true`) or brings it back.
    pub fn set_down(currency: &str, down: bool) {
        let mut held = DOWN.lock().unwrap_or_else(PoisonError::into_inner);
        if down {
            held.insert(currency.to_owned());
        } else {
            held.remove(currency);
        }
    }

    fn answer(currency: &str) -> Result<u64, FetchError> {
        let n = bump(format!("rate:{currency}"));
        let down = DOWN
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(currency);
        match down {
            true if currency.starts_with("panic") => panic!("the client of {currency} panicked"),
            true => Err(FetchError(format!("{currency}: origin down"))),
            // Each load answers a new value, so a reload is visible.
            false => Ok(100 + n as u64),
        }
    }

    /// Async: the rate of `currency`, or the origin's failure (after its delay, if slow).
    pub async fn rate(currency: &str) -> Result<u64, FetchError> {
        if let Some(delay) = delay(currency) {
            tokio::time::sleep(delay).await;
        }
        answer(currency)
    }

    /// Sync [`rate`].
    pub fn rate_sync(currency: &str) -> Result<u64, FetchError> {
        if let Some(delay) = delay(currency) {
            std::thread::sleep(delay);
        }
        answer(currency)
    }

    /// A `ttl_fn`: even rates live 5 s, odd ones the function's ttl.
    pub fn ttl_of_rate(rate: &u64) -> Option<std::time::Duration> {
        rate.is_multiple_of(2)
            .then_some(std::time::Duration::from_secs(5))
    }

    /// A `ttl_fn` of the wrong shape (it takes the value by value).
    pub fn ttl_by_value(_rate: u64) -> std::time::Duration {
        std::time::Duration::from_secs(1)
    }

    /// A background value from the origin of `"board"`.
    pub async fn board() -> Result<u64, FetchError> {
        answer("board")
    }
}
