//! Building cache keys so that distinct arguments never share a key.
//!
//! Each argument is formatted with `Display` (and its format spec) and written with the template's
//! separators escaped, so an argument can never imitate a separator: `"{a}:{b}"` gives `x\:y:z`
//! for `("x:y", "z")` and `x:y\:z` for `("x", "y:z")`. The escape character is `\` unless a
//! separator starts with `\`; then the generator picks another one (see [`KeyBuilder::with_escape`]),
//! so escaping stays injective for every template.
//!
//! Keys that start with [`RESERVED`] (`~`) belong to the library (refresh locks, writer leases): a
//! generated key never starts with it. When a key starts with an argument, that argument is
//! guarded: if it is empty, or starts with `~`, the escape character or a separator, the escape
//! character is written before it (which keeps keys injective: a key starts with the escape
//! character exactly when the guard was written).

use std::fmt::{self, Write as _};

mod text;

pub use self::text::Key;

/// The first character of the library's own keys (refresh locks, writer leases): generated keys
/// never start with it, so the two can never meet.
pub const RESERVED: char = '~';

/// The storage key of the library's own record `kind` (`lock`, `lease`) about `key`.
///
/// ```
/// use advanced_caching::key::internal_key;
/// assert_eq!(internal_key("lock", "user:1"), "~lock:user:1");
/// ```
pub fn internal_key(kind: &str, key: &str) -> String {
    format!("{RESERVED}{kind}:{key}")
}

/// Writes a key piece by piece: literals as they are, arguments escaped.
///
/// ```
/// use advanced_caching::key::KeyBuilder;
/// let mut key = KeyBuilder::new(":");
/// key.literal("user:");
/// key.argument(format_args!("{:>04}", 7));
/// assert_eq!(key.finish(), "user:0007");
/// ```
#[derive(Debug)]
pub struct KeyBuilder {
    key: Key,
    specials: Specials,
    escape: char,
}

impl KeyBuilder {
    /// Before the first argument of a key that starts with it: writes the escape character when
    /// the argument is empty or starts with `~`, the escape character or a separator.
    #[inline]
    fn guard(&mut self, first: Option<char>) {
        let guarded = match first {
            None => true,
            Some(c) => c == RESERVED || c == self.escape || self.specials.escapes(c),
        };
        if guarded {
            let mut buf = [0u8; 4];
            self.key.push_str(self.escape.encode_utf8(&mut buf));
        }
    }
}

/// The characters an argument must escape, in the form that is cheapest to test.
#[derive(Debug, Clone, Copy)]
enum Specials {
    /// Escape nothing.
    None,
    /// ASCII separators and the escape character, as a bit per code point.
    Ascii(u128),
    /// Separators or an escape character beyond ASCII.
    Unicode(&'static str, char),
}

impl Specials {
    #[inline]
    fn new(specials: &'static str, escape: char) -> Self {
        if specials.is_empty() {
            return Self::None;
        }
        if !specials.is_ascii() || !escape.is_ascii() {
            return Self::Unicode(specials, escape);
        }
        let mask = specials
            .bytes()
            .chain([escape as u8])
            .fold(0u128, |mask, b| mask | 1 << b);
        Self::Ascii(mask)
    }

    #[inline]
    fn escapes(self, c: char) -> bool {
        match self {
            Self::None => false,
            Self::Ascii(mask) => (c as u32) < 128 && mask >> (c as u32) & 1 == 1,
            Self::Unicode(specials, escape) => c == escape || specials.contains(c),
        }
    }

    /// Nothing in `text` needs escaping (the common case, tested without decoding characters).
    #[inline]
    fn plain(self, text: &str) -> bool {
        match self {
            Self::None => true,
            Self::Ascii(mask) => !text.bytes().any(|b| b < 128 && mask >> b & 1 == 1),
            Self::Unicode(..) => !text.chars().any(|c| self.escapes(c)),
        }
    }
}

/// Escapes while writing.
struct Escaper<'a> {
    out: &'a mut Key,
    specials: Specials,
    escape: char,
}

impl fmt::Write for Escaper<'_> {
    #[inline]
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.specials.plain(s) {
            self.out.push_str(s);
            return Ok(());
        }
        let mut buf = [0u8; 4];
        let mut escape = [0u8; 4];
        let escape: &str = self.escape.encode_utf8(&mut escape);
        for c in s.chars() {
            if self.specials.escapes(c) {
                self.out.push_str(escape);
            }
            self.out.push_str(c.encode_utf8(&mut buf));
        }
        Ok(())
    }
}

impl KeyBuilder {
    /// A builder that escapes `specials` (the template's separators) and `\\` inside arguments;
    /// with no specials nothing is escaped.
    #[inline]
    pub fn new(specials: &'static str) -> Self {
        Self::with_escape(specials, '\\')
    }

    /// A builder that escapes `specials` and `escape` inside arguments by writing `escape` before
    /// them. `escape` must not be one of `specials` (or two argument tuples could give one key),
    /// nor [`RESERVED`] (it may lead a key).
    ///
    /// ```
    /// use advanced_caching::key::KeyBuilder;
    /// // The template `{a}\{b}`: its separator is `\`, so `%` escapes.
    /// let key = |a: &str, b: &str| {
    ///     let mut k = KeyBuilder::with_escape("\\", '%');
    ///     k.argument_str(a);
    ///     k.literal("\\");
    ///     k.argument_str(b);
    ///     k.finish().into_string()
    /// };
    /// assert_ne!(key("x", "\\y"), key("x\\", "y"));
    /// ```
    #[inline]
    pub fn with_escape(specials: &'static str, escape: char) -> Self {
        Self {
            key: Key::new(),
            specials: Specials::new(specials, escape),
            escape,
        }
    }

    /// Appends literal text of the template.
    #[inline]
    pub fn literal(&mut self, text: &str) {
        self.key.push_str(text);
    }

    /// Appends one argument that is already text, escaped: the route of `&str`, `String` and
    /// integer arguments, which skips the formatting machinery.
    ///
    /// ```
    /// use advanced_caching::key::KeyBuilder;
    /// let mut key = KeyBuilder::new(":");
    /// key.literal("path:");
    /// key.argument_str("a:b");
    /// assert_eq!(key.finish(), r"path:a\:b");
    /// ```
    #[inline]
    pub fn argument_str(&mut self, text: &str) {
        if self.key.is_empty() {
            self.guard(text.chars().next());
        }
        let mut escaper = Escaper {
            out: &mut self.key,
            specials: self.specials,
            escape: self.escape,
        };
        // Our writer never fails.
        let _ = escaper.write_str(text);
    }

    /// Appends one formatted argument, escaped.
    pub fn argument(&mut self, value: fmt::Arguments<'_>) {
        if self.key.is_empty() {
            // The guard depends on the argument's first character: format it first.
            let mut text = String::new();
            let _ = text.write_fmt(value);
            self.argument_str(&text);
            return;
        }
        let mut escaper = Escaper {
            out: &mut self.key,
            specials: self.specials,
            escape: self.escape,
        };
        // Our writer never fails; a failing `Display` impl leaves what it wrote so far.
        let _ = escaper.write_fmt(value);
    }

    /// The key.
    #[inline]
    pub fn finish(self) -> Key {
        self.key
    }
}

/// One argument of a key template, for generated code: `(&KeyArg(&arg)).write_key(&mut builder)`
/// picks, at compile time for the argument's concrete type, [`FastKeyArg`](key_arg::FastKeyArg) (strings and integers,
/// written without `core::fmt`) when it applies and [`DisplayKeyArg`](key_arg::DisplayKeyArg) otherwise (autoref
/// specialization). Both give the same text as `format_args!("{}", arg)`.
///
/// ```
/// use advanced_caching::key::KeyBuilder;
/// use advanced_caching::key::key_arg::{DisplayKeyArg as _, FastKeyArg as _, KeyArg};
/// let (id, name, ratio) = (42u64, "a:b", 0.5f64);
/// let mut key = KeyBuilder::new(":");
/// (&KeyArg(&id)).write_key(&mut key);
/// key.literal(":");
/// (&KeyArg(&name)).write_key(&mut key);
/// key.literal(":");
/// (&KeyArg(&ratio)).write_key(&mut key);
/// assert_eq!(key.finish(), r"42:a\:b:0.5");
/// ```
pub mod key_arg {
    use std::fmt;

    use super::KeyBuilder;

    /// A reference to one key argument.
    pub struct KeyArg<'a, T: ?Sized>(pub &'a T);

    /// The route of types with a direct text form (strings, integers, `bool`, `char`).
    pub trait FastKeyArg {
        /// Writes the argument, escaped.
        fn write_key(&self, key: &mut KeyBuilder);
    }

    /// The route of every other `Display` type.
    pub trait DisplayKeyArg {
        /// Writes the argument, escaped.
        fn write_key(&self, key: &mut KeyBuilder);
    }

    impl<T: fmt::Display + ?Sized> DisplayKeyArg for &KeyArg<'_, T> {
        #[inline]
        fn write_key(&self, key: &mut KeyBuilder) {
            key.argument(format_args!("{}", self.0));
        }
    }

    macro_rules! text_args {
        ($($t:ty),*) => {$(
            impl FastKeyArg for KeyArg<'_, $t> {
                #[inline]
                fn write_key(&self, key: &mut KeyBuilder) {
                    key.argument_str(self.0);
                }
            }
        )*};
    }
    text_args!(str, &str, &&str, String, &String);

    macro_rules! integer_args {
        ($($t:ty),*) => {$(
            impl FastKeyArg for KeyArg<'_, $t> {
                #[inline]
                fn write_key(&self, key: &mut KeyBuilder) {
                    key.argument_str(itoa::Buffer::new().format(*self.0));
                }
            }
            impl FastKeyArg for KeyArg<'_, &$t> {
                #[inline]
                fn write_key(&self, key: &mut KeyBuilder) {
                    key.argument_str(itoa::Buffer::new().format(**self.0));
                }
            }
        )*};
    }
    integer_args!(
        u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize
    );

    impl FastKeyArg for KeyArg<'_, bool> {
        #[inline]
        fn write_key(&self, key: &mut KeyBuilder) {
            key.argument_str(if *self.0 { "true" } else { "false" });
        }
    }

    impl FastKeyArg for KeyArg<'_, char> {
        #[inline]
        fn write_key(&self, key: &mut KeyBuilder) {
            key.argument_str(self.0.encode_utf8(&mut [0u8; 4]));
        }
    }
}

/// The key of a function without a template: its name and every argument, `:`-separated and
/// escaped, so distinct arguments never collide.
///
/// ```
/// use advanced_caching::key::compose_key;
/// assert_eq!(compose_key("f", &[&"a:b", &1]), r"f:a\:b:1");
/// assert_ne!(compose_key("f", &[&"a:b", &"c"]), compose_key("f", &[&"a", &"b:c"]));
/// ```
pub fn compose_key(name: &str, args: &[&dyn fmt::Display]) -> Key {
    let mut key = KeyBuilder::new(":");
    key.literal(name);
    for arg in args {
        key.literal(":");
        key.argument(format_args!("{arg}"));
    }
    key.finish()
}

#[cfg(test)]
mod tests;
