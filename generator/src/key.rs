//! Key templates: `"user:{id}"`, `"{}:{}"`, `"{0}"`, `"{id:08}"`, `{{`/`}}` for braces; and the
//! rules that keep the keys of one function injective (distinct calls, distinct keys).

/// A piece of a key template.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyPart {
    /// Literal text.
    Literal(String),
    /// A parameter with an optional format spec (`>08`).
    Placeholder {
        /// The parameter's name.
        param: String,
        /// The format spec after `:`, empty for plain `Display`.
        spec: String,
    },
}

impl KeyPart {
    /// The separators of a template and the escape character that generated code escapes inside
    /// arguments (`KeyBuilder::with_escape(separators, escape)` of the runtime): `\\` unless a
    /// separator starts with it.
    ///
    /// ```
    /// use advanced_caching_build::model::KeyPart;
    /// let p = |name: &str| KeyPart::Placeholder { param: name.into(), spec: String::new() };
    /// let parts = [p("a"), KeyPart::Literal("\\".into()), p("b")];
    /// assert_eq!(KeyPart::escaping(&parts), ("\\".to_owned(), '%'));
    /// ```
    pub fn escaping(parts: &[KeyPart]) -> (String, char) {
        escaping(parts)
    }
}

/// Which parameter a placeholder names, as written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Slot {
    /// `{}`: the next parameter (the n-th `{}` is the n-th parameter).
    Next,
    /// `{2}`: the parameter at that index.
    Index(usize),
    /// `{name}`.
    Name(String),
}

/// A piece of a template as written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RawPart {
    /// Literal text.
    Literal(String),
    /// A placeholder with its format spec (empty for plain `Display`).
    Placeholder { slot: Slot, spec: String },
}

/// Splits a template into literals and placeholders.
pub(crate) fn parse(template: &str) -> Result<Vec<RawPart>, String> {
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut chars = template.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '{' if chars.peek().is_some_and(|(_, n)| *n == '{') => {
                chars.next();
                literal.push('{');
            }
            '}' if chars.peek().is_some_and(|(_, n)| *n == '}') => {
                chars.next();
                literal.push('}');
            }
            '}' => return Err(format!("unmatched `}}` at {}", at + 1)),
            '{' => {
                let mut inner = String::new();
                loop {
                    match chars.next() {
                        Some((_, '}')) => break,
                        Some((_, '{')) => return Err("`{` inside a placeholder".into()),
                        Some((_, ch)) => inner.push(ch),
                        None => {
                            return Err(format!("placeholder opened at {} is not closed", at + 1));
                        }
                    }
                }
                let (param, spec) = inner.split_once(':').unwrap_or((&inner, ""));
                let param = param.trim();
                let slot = if param.is_empty() {
                    Slot::Next
                } else if param.chars().all(|c| c.is_ascii_digit()) {
                    Slot::Index(
                        param
                            .parse()
                            .map_err(|_| format!("`{{{param}}}` is not a parameter index"))?,
                    )
                } else if syn::parse_str::<syn::Ident>(param).is_ok() {
                    Slot::Name(param.to_owned())
                } else {
                    return Err(format!("`{param}` is not a parameter name"));
                };
                if !literal.is_empty() {
                    parts.push(RawPart::Literal(std::mem::take(&mut literal)));
                }
                parts.push(RawPart::Placeholder {
                    slot,
                    spec: spec.to_owned(),
                });
            }
            other => literal.push(other),
        }
    }
    if !literal.is_empty() {
        parts.push(RawPart::Literal(literal));
    }
    Ok(parts)
}

/// The separators of a template (the first character of each literal between two placeholders)
/// and the escape character that arguments put before them and before itself, so one argument
/// can never end where another begins. The escape is `\` unless a separator starts with `\`;
/// then it is the first of a few ASCII marks that no separator starts with. A template with at
/// most one placeholder needs no escaping at all (empty separators).
pub(crate) fn escaping(parts: &[KeyPart]) -> (String, char) {
    let mut chars: Vec<char> = parts
        .windows(3)
        .filter_map(|w| match w {
            [
                KeyPart::Placeholder { .. },
                KeyPart::Literal(l),
                KeyPart::Placeholder { .. },
            ] => l.chars().next(),
            _ => None,
        })
        .collect();
    chars.sort_unstable();
    chars.dedup();
    // Seven candidates; when all seven are separators, the escape is a control character.
    // Never `~`: keys may not start with it (the library's own keys do), and the escape character
    // can lead a key.
    let escape = ['\\', '%', '^', '!', '|', '#', '$']
        .into_iter()
        .chain('\u{1}'..='\u{1f}')
        .find(|c| !chars.contains(c))
        .unwrap_or('\u{7f}');
    (chars.into_iter().collect(), escape)
}

/// A key template written back (`{{` for a literal brace).
pub(crate) fn template_text(parts: &[KeyPart]) -> String {
    parts
        .iter()
        .map(|p| match p {
            KeyPart::Literal(l) => l.replace('{', "{{").replace('}', "}}"),
            KeyPart::Placeholder { param, spec } if spec.is_empty() => format!("{{{param}}}"),
            KeyPart::Placeholder { param, spec } => format!("{{{param}:{spec}}}"),
        })
        .collect()
}

/// The integer types whose text a format spec may pad without losing information.
const INTEGERS: [&str; 12] = [
    "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize",
];

/// True for an integer primitive, also behind references (`&u64`).
pub(crate) fn is_integer(ty: &syn::Type) -> bool {
    match ty {
        syn::Type::Reference(r) => is_integer(&r.elem),
        syn::Type::Paren(p) => is_integer(&p.elem),
        syn::Type::Group(g) => is_integer(&g.elem),
        syn::Type::Path(p) if p.qself.is_none() => p
            .path
            .segments
            .last()
            .is_some_and(|s| s.arguments.is_none() && INTEGERS.iter().any(|i| s.ident == i)),
        _ => false,
    }
}

/// Checks that the format spec `spec` of a parameter of type `ty` keeps distinct values distinct.
/// `Ok` for: no spec; `?` (Debug) on any type; on integers, zero padding (`08`, `>08`), padding
/// with a fill that is not part of a number (`>8`, `_<6`, `*^9`), `+`, and `x`, `X`, `o`, `b`
/// with `#`. The error says why the spec can merge two values.
pub(crate) fn check_spec(spec: &str, ty: &syn::Type) -> Result<(), String> {
    if spec.is_empty() || spec == "?" {
        return Ok(());
    }
    if !is_integer(ty) {
        return Err(format!(
            "`{spec}` can give two values of this type one text (padding is ambiguous, precision cuts)"
        ));
    }
    let chars: Vec<char> = spec.chars().collect();
    let mut at = 0;
    let mut fill = None;
    if chars.len() >= 2 && matches!(chars[1], '<' | '^' | '>') {
        fill = Some(chars[0]);
        at = 2;
    } else if matches!(chars.first(), Some('<' | '^' | '>')) {
        fill = Some(' ');
        at = 1;
    }
    if chars.get(at) == Some(&'+') {
        at += 1;
    }
    if chars.get(at) == Some(&'#') {
        at += 1;
    }
    if chars.get(at) == Some(&'0') {
        at += 1;
    }
    while chars.get(at).is_some_and(char::is_ascii_digit) {
        at += 1;
    }
    let kind: String = chars[at..].iter().collect();
    if !matches!(kind.as_str(), "" | "x" | "X" | "o" | "b") {
        return Err(format!(
            "`{spec}`: only padding, `+`, `#` and the radixes x, X, o, b keep integers distinct (not `{kind}`)"
        ));
    }
    if let Some(fill) = fill
        && (fill.is_ascii_alphanumeric() || fill == '-' || fill == '+')
    {
        return Err(format!(
            "`{spec}` pads with `{fill}`, which a number may itself start or end with"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(text: &str) -> syn::Type {
        syn::parse_str(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn specs_that_keep_integers_distinct() {
        for spec in [
            "", "?", "08", ">08", ">8", "<8", "^8", "_>8", "+", "#x", "#010x", "X", "b",
        ] {
            assert_eq!(check_spec(spec, &ty("u64")), Ok(()), "{spec}");
            assert_eq!(check_spec(spec, &ty("&i32")), Ok(()), "{spec}");
        }
        for spec in ["0<8", "1>8", "->8", ".2", "e", "8.3"] {
            assert!(check_spec(spec, &ty("u64")).is_err(), "{spec}");
        }
        for spec in [">4", "<4", ".2", "08"] {
            assert!(check_spec(spec, &ty("&str")).is_err(), "{spec}");
            assert!(check_spec(spec, &ty("f64")).is_err(), "{spec}");
        }
        assert_eq!(check_spec("?", &ty("&str")), Ok(()));
    }

    #[test]
    fn escapes_avoid_separators() {
        let parts = |seps: &[&str]| {
            let mut parts = vec![KeyPart::Placeholder {
                param: "a".into(),
                spec: String::new(),
            }];
            for sep in seps {
                parts.push(KeyPart::Literal((*sep).into()));
                parts.push(KeyPart::Placeholder {
                    param: "b".into(),
                    spec: String::new(),
                });
            }
            parts
        };
        assert_eq!(escaping(&parts(&[":"])), (":".into(), '\\'));
        assert_eq!(escaping(&parts(&["\\"])), ("\\".into(), '%'));
        assert_eq!(escaping(&parts(&["\\", "%x"])), ("%\\".into(), '^'));
        assert_eq!(escaping(&parts(&["\\", "%", "^"])), ("%\\^".into(), '!'));
        assert_eq!(escaping(&parts(&[])), (String::new(), '\\'));
    }

    #[test]
    fn placeholders_as_written() {
        assert_eq!(
            parse("{}:{1}:{id:08}").expect("parses"),
            vec![
                RawPart::Placeholder {
                    slot: Slot::Next,
                    spec: String::new()
                },
                RawPart::Literal(":".into()),
                RawPart::Placeholder {
                    slot: Slot::Index(1),
                    spec: String::new()
                },
                RawPart::Literal(":".into()),
                RawPart::Placeholder {
                    slot: Slot::Name("id".into()),
                    spec: "08".into()
                },
            ]
        );
        assert!(parse("{a b}").is_err());
        assert!(parse("{").is_err());
    }
}
