//! The typed front tier of a cached function on a memory storage: its fresh values keyed by the
//! call's arguments themselves and held as their own type, so that a hit builds no text key,
//! downcasts nothing and reads the clock once.
//!
//! A [`Memo`] is filled only from the function's storage (after a load, a refresh or a bypass
//! stored a value there) with that entry's own expiry, and each control call that changes an
//! entry forgets its arguments here; so it never answers with a value the storage would not.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use quick_cache::Equivalent;
use quick_cache::sync::Cache;

use crate::clock::{Millis, SharedClock};
use crate::stats::Stats;

/// One argument of a memo key: hashed and compared in its borrowed form against its owned form,
/// so a lookup allocates nothing (`&str` against `Box<str>`).
pub trait KeyPart {
    /// How the memo keeps it.
    type Owned: Hash + Eq + Send + Sync + 'static;
    /// Hashes it exactly as `Self::Owned` hashes.
    fn hash_part<H: Hasher>(&self, state: &mut H);
    /// True when `owned` is this argument.
    fn eq_owned(&self, owned: &Self::Owned) -> bool;
    /// The owned form.
    fn to_owned_part(&self) -> Self::Owned;
}

macro_rules! copy_parts {
    ($($ty:ty),*) => {$(
        impl KeyPart for $ty {
            type Owned = $ty;
            fn hash_part<H: Hasher>(&self, state: &mut H) {
                self.hash(state);
            }
            fn eq_owned(&self, owned: &$ty) -> bool {
                self == owned
            }
            fn to_owned_part(&self) -> $ty {
                *self
            }
        }
    )*};
}

copy_parts!(
    u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize, bool, char
);

macro_rules! text_parts {
    ($($ty:ty),*) => {$(
        impl KeyPart for $ty {
            type Owned = Box<str>;
            fn hash_part<H: Hasher>(&self, state: &mut H) {
                // `Box<str>` hashes as `str`.
                str::hash(self, state);
            }
            fn eq_owned(&self, owned: &Box<str>) -> bool {
                **self == **owned
            }
            fn to_owned_part(&self) -> Box<str> {
                Box::from(AsRef::<str>::as_ref(self))
            }
        }
    )*};
}

text_parts!(&str, String, &String);

/// Borrowed arguments that look up, and build, the owned key `K` of a memo.
pub trait ArgsOf<K>: Hash + Equivalent<K> {
    /// The owned key of these arguments.
    fn to_owned_key(&self) -> K;
}

/// The arguments of one call, borrowed: a memo lookup key for their owned tuple.
///
/// ```
/// use advanced_caching::strategy::{Args, ArgsOf};
/// let owned: (u64, Box<str>) = Args((7u64, "ada")).to_owned_key();
/// assert_eq!(owned, (7, Box::from("ada")));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Args<T>(pub T);

macro_rules! tuple_args {
    ($(($($part:ident $at:tt),+)),*) => {$(
        impl<$($part: KeyPart),+> Hash for Args<($($part,)+)> {
            fn hash<H: Hasher>(&self, state: &mut H) {
                $(self.0.$at.hash_part(state);)+
            }
        }

        impl<$($part: KeyPart),+> Equivalent<($($part::Owned,)+)> for Args<($($part,)+)> {
            fn equivalent(&self, owned: &($($part::Owned,)+)) -> bool {
                $(self.0.$at.eq_owned(&owned.$at))&&+
            }
        }

        impl<$($part: KeyPart),+> ArgsOf<($($part::Owned,)+)> for Args<($($part,)+)> {
            fn to_owned_key(&self) -> ($($part::Owned,)+) {
                ($(self.0.$at.to_owned_part(),)+)
            }
        }
    )*};
}

tuple_args!(
    (A 0),
    (A 0, B 1),
    (A 0, B 1, C 2),
    (A 0, B 1, C 2, D 3),
    (A 0, B 1, C 2, D 3, E 4),
    (A 0, B 1, C 2, D 3, E 4, F 5)
);

/// A value and the moment it stops being fresh (on the function's clock).
#[derive(Clone)]
struct Fresh<V> {
    value: V,
    until: Millis,
}

/// The fresh values of one function, by its arguments (`K` is their owned tuple).
pub(crate) struct Memo<K, V> {
    entries: Cache<K, Fresh<V>>,
    clock: SharedClock,
    stats: Arc<Stats>,
}

impl<K, V> Memo<K, V>
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    pub(crate) fn new(capacity: usize, clock: SharedClock, stats: Arc<Stats>) -> Self {
        Self {
            entries: Cache::new(capacity.max(1)),
            clock,
            stats,
        }
    }

    /// The fresh value of these arguments (counted as a hit), if the memo holds one.
    pub(crate) fn get<Q: Hash + Equivalent<K>>(&self, args: &Q) -> Option<V> {
        let fresh = self.entries.get(args)?;
        if !crate::clock::still_before(self.clock.as_ref(), fresh.until) {
            return None;
        }
        self.stats.record_hit();
        Some(fresh.value)
    }

    /// Keeps `value` for these arguments, fresh until `until`.
    pub(crate) fn fill<Q: ArgsOf<K>>(&self, args: &Q, value: V, until: Millis) {
        self.entries
            .insert(args.to_owned_key(), Fresh { value, until });
    }

    /// Forgets these arguments.
    pub(crate) fn forget<Q: Hash + Equivalent<K>>(&self, args: &Q) {
        self.entries.remove(args);
    }
}

/// Builds the memo of a function (kept type-erased in its core, found again by its key type).
pub(crate) type MakeMemo =
    fn(usize, SharedClock, Arc<Stats>) -> Box<dyn std::any::Any + Send + Sync>;

/// A [`MakeMemo`] for keys `K` and values `V`.
pub(crate) fn make_memo<K, V>(
    capacity: usize,
    clock: SharedClock,
    stats: Arc<Stats>,
) -> Box<dyn std::any::Any + Send + Sync>
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    Box::new(Memo::<K, V>::new(capacity, clock, stats))
}
