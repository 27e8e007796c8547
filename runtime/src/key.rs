//! Building cache keys so that distinct arguments never share a key.
//!
//! Each argument is formatted with `Display` (and its format spec) and written with the template's
//! own literal characters escaped by a backslash, so an argument can never imitate a separator:
//! `"{a}:{b}"` gives `x\:y:z` for `("x:y", "z")` and `x:y\:z` for `("x", "y:z")`.

use std::fmt::{self, Write as _};

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
    key: String,
    specials: &'static str,
}

/// Escapes while writing.
struct Escaper<'a> {
    out: &'a mut String,
    specials: &'a str,
}

impl fmt::Write for Escaper<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.specials.is_empty() || !s.contains(|c| c == '\\' || self.specials.contains(c)) {
            self.out.push_str(s);
            return Ok(());
        }
        for c in s.chars() {
            if c == '\\' || self.specials.contains(c) {
                self.out.push('\\');
            }
            self.out.push(c);
        }
        Ok(())
    }
}

impl KeyBuilder {
    /// A builder that escapes `specials` (the template's separators) and `\\` inside arguments;
    /// with no specials nothing is escaped.
    pub fn new(specials: &'static str) -> Self {
        Self {
            key: String::with_capacity(32),
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
    pub fn finish(self) -> String {
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
pub fn compose_key(name: &str, args: &[&dyn fmt::Display]) -> String {
    let mut key = KeyBuilder::new(":");
    key.literal(name);
    for arg in args {
        key.literal(":");
        key.argument(format_args!("{arg}"));
    }
    key.finish()
}
