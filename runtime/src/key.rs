//! Building cache keys so that distinct arguments never share a key.
//!
//! Each argument is formatted with `Display` (and its format spec) and written with the template's
//! own literal characters escaped by a backslash, so an argument can never imitate a separator:
//! `"{a}:{b}"` gives `x\:y:z` for `("x:y", "z")` and `x:y\:z` for `("x", "y:z")`.

use std::fmt::{self, Write as _};
use std::ops::Deref;

/// Bytes a [`Key`] holds without a heap allocation.
const INLINE: usize = 96;

/// A built cache key. Keys up to 96 bytes live on the stack, so a cache hit builds its key
/// without allocating; longer keys move to the heap. Derefs to `str`.
///
/// ```
/// use advanced_caching::Key;
/// let key = Key::from("user:42");
/// assert_eq!(&*key, "user:42");
/// assert_eq!(Key::from("x".repeat(500).as_str()).len(), 500);
/// ```
#[derive(Clone)]
pub struct Key {
    inline: [u8; INLINE],
    len: usize,
    heap: Option<String>,
}

impl Key {
    /// An empty key.
    pub const fn new() -> Self {
        Self {
            inline: [0; INLINE],
            len: 0,
            heap: None,
        }
    }

    /// Appends text.
    pub fn push_str(&mut self, text: &str) {
        if let Some(heap) = &mut self.heap {
            heap.push_str(text);
            return;
        }
        let end = self.len + text.len();
        match self.inline.get_mut(self.len..end) {
            Some(room) => {
                room.copy_from_slice(text.as_bytes());
                self.len = end;
            }
            None => {
                let mut heap = String::with_capacity(end * 2);
                heap.push_str(self.inline_str());
                heap.push_str(text);
                self.heap = Some(heap);
            }
        }
    }

    fn inline_str(&self) -> &str {
        // Only whole `&str`s are ever copied in, so the bytes are valid UTF-8; the check is a few
        // nanoseconds on a short key and keeps this crate free of `unsafe`.
        std::str::from_utf8(&self.inline[..self.len]).unwrap_or_default()
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        match &self.heap {
            Some(heap) => heap,
            None => self.inline_str(),
        }
    }

    /// The key as an owned `String`.
    pub fn into_string(self) -> String {
        match self.heap {
            Some(heap) => heap,
            None => self.inline_str().to_owned(),
        }
    }
}

impl Default for Key {
    fn default() -> Self {
        Self::new()
    }
}

impl Deref for Key {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Key {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Write for Key {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push_str(s);
        Ok(())
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Key {}

impl std::hash::Hash for Key {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialEq<str> for Key {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Key {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl From<&str> for Key {
    fn from(text: &str) -> Self {
        let mut key = Self::new();
        key.push_str(text);
        key
    }
}

impl From<String> for Key {
    fn from(text: String) -> Self {
        if text.len() <= INLINE {
            return Self::from(text.as_str());
        }
        Self {
            inline: [0; INLINE],
            len: 0,
            heap: Some(text),
        }
    }
}

/// Writes a key piece by piece: literals as they are, arguments escaped.
///
/// ```
/// use advanced_caching::KeyBuilder;
/// let mut key = KeyBuilder::new(":");
/// key.literal("user:");
/// key.argument(format_args!("{:>04}", 7));
/// assert_eq!(key.finish(), "user:0007");
/// ```
#[derive(Debug)]
pub struct KeyBuilder {
    key: Key,
    specials: &'static str,
}

/// Escapes while writing.
struct Escaper<'a> {
    out: &'a mut Key,
    specials: &'a str,
}

impl fmt::Write for Escaper<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let special = |b: u8| b == b'\\' || self.specials.as_bytes().contains(&b);
        let plain = if self.specials.is_ascii() {
            !s.bytes().any(special)
        } else {
            !s.contains(|c| c == '\\' || self.specials.contains(c))
        };
        if self.specials.is_empty() || plain {
            self.out.push_str(s);
            return Ok(());
        }
        let mut buf = [0u8; 4];
        for c in s.chars() {
            if c == '\\' || self.specials.contains(c) {
                self.out.push_str("\\");
            }
            self.out.push_str(c.encode_utf8(&mut buf));
        }
        Ok(())
    }
}

impl KeyBuilder {
    /// A builder that escapes `specials` (the template's separators) and `\\` inside arguments;
    /// with no specials nothing is escaped.
    pub fn new(specials: &'static str) -> Self {
        Self {
            key: Key::new(),
            specials,
        }
    }

    /// Appends literal text of the template.
    pub fn literal(&mut self, text: &str) {
        self.key.push_str(text);
    }

    /// Appends one formatted argument, escaped.
    pub fn argument(&mut self, value: fmt::Arguments<'_>) {
        let mut escaper = Escaper {
            out: &mut self.key,
            specials: self.specials,
        };
        // Our writer never fails; a failing `Display` impl leaves what it wrote so far.
        let _ = escaper.write_fmt(value);
    }

    /// The key.
    pub fn finish(self) -> Key {
        self.key
    }
}

/// The key of a function without a template: its name and every argument, `:`-separated and
/// escaped, so distinct arguments never collide.
///
/// ```
/// use advanced_caching::compose_key;
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
