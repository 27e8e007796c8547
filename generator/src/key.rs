//! Key templates: `"user:{id}"`, `"{}"`, `"{id:>08}"`, `{{`/`}}` for braces.

use crate::model::KeyPart;

/// Splits a template into literals and placeholders (`param` empty for `{}`).
pub(crate) fn parse(template: &str) -> Result<Vec<KeyPart>, String> {
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
                if param.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                    return Err(format!(
                        "positional placeholder `{{{param}}}`: use a parameter name"
                    ));
                }
                if !param.is_empty() && syn::parse_str::<syn::Ident>(param).is_err() {
                    return Err(format!("`{param}` is not a parameter name"));
                }
                if !literal.is_empty() {
                    parts.push(KeyPart::Literal(std::mem::take(&mut literal)));
                }
                parts.push(KeyPart::Placeholder {
                    param: param.to_owned(),
                    spec: spec.to_owned(),
                });
            }
            other => literal.push(other),
        }
    }
    if !literal.is_empty() {
        parts.push(KeyPart::Literal(literal));
    }
    Ok(parts)
}

/// The separators of a template: the first character of each literal between two placeholders.
/// Arguments escape them (and `\\`), so one argument can never end where another begins; a
/// template with at most one placeholder needs no escaping at all.
pub(crate) fn specials(parts: &[KeyPart]) -> String {
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
    chars.into_iter().collect()
}
