//! The key type: its text on the stack up to 96 bytes, on the heap beyond.

use std::fmt;
use std::ops::Deref;

use arrayvec::ArrayString;

use super::RESERVED;

/// Bytes a [`Key`] holds without a heap allocation.
const INLINE: usize = 96;

/// A built cache key. Keys up to 96 bytes live on the stack, so a cache hit builds its key
/// without allocating; longer keys move to the heap. Derefs to `str`.
///
/// ```
/// use advanced_caching::key::Key;
/// let key = Key::from("user:42");
/// assert_eq!(&*key, "user:42");
/// assert_eq!(Key::from("x".repeat(500).as_str()).len(), 500);
/// ```
#[derive(Clone)]
pub struct Key(Repr);

#[derive(Clone)]
enum Repr {
    Inline(ArrayString<INLINE>),
    Heap(String),
}

impl Key {
    /// An empty key.
    #[inline]
    pub const fn new() -> Self {
        Self(Repr::Inline(ArrayString::new_const()))
    }

    /// Appends text.
    #[inline]
    pub fn push_str(&mut self, text: &str) {
        match &mut self.0 {
            Repr::Heap(heap) => heap.push_str(text),
            Repr::Inline(inline) => {
                if inline.try_push_str(text).is_err() {
                    let mut heap = String::with_capacity((inline.len() + text.len()) * 2);
                    heap.push_str(inline);
                    heap.push_str(text);
                    self.0 = Repr::Heap(heap);
                }
            }
        }
    }

    /// The key as text.
    #[inline]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Inline(inline) => inline,
            Repr::Heap(heap) => heap,
        }
    }

    /// The key as an owned `String`.
    pub fn into_string(self) -> String {
        match self.0 {
            Repr::Inline(inline) => inline.to_string(),
            Repr::Heap(heap) => heap,
        }
    }
}

impl Key {
    /// A key a user function built, guarded so it never starts with [`RESERVED`]: a `\\` is
    /// written first when it is empty or starts with `~` or `\\` (injective).
    ///
    /// ```
    /// use advanced_caching::key::Key;
    /// assert_eq!(Key::guarded("a".into()), "a");
    /// assert_eq!(Key::guarded("~a".into()), "\\~a");
    /// assert_ne!(Key::guarded("\\".into()), Key::guarded(String::new()));
    /// ```
    pub fn guarded(text: String) -> Self {
        if text.is_empty() || text.starts_with([RESERVED, '\\']) {
            let mut key = Self::from("\\");
            key.push_str(&text);
            key
        } else {
            Self::from(text)
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
    #[inline]
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
        match ArrayString::from(&text) {
            Ok(inline) => Self(Repr::Inline(inline)),
            Err(_) => Self(Repr::Heap(text)),
        }
    }
}
