//! `${VAR}` and `${VAR:-default}` in string settings, resolved when the program runs.

use std::fmt;

/// A setting names an environment variable that is not set and has no default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvError {
    /// The variable.
    pub var: String,
}

impl fmt::Display for EnvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "environment variable `{}` is not set (give a default with `${{{}:-…}}`)",
            self.var, self.var
        )
    }
}

impl std::error::Error for EnvError {}

/// Replaces `${VAR}` and `${VAR:-default}` with the environment's values (an empty variable
/// takes the default, as in the shell); `$$` is a literal `$`.
///
/// ```
/// use advanced_caching::storage::expand_env;
/// assert_eq!(expand_env("redis://${AC_DOC_UNSET_HOST:-127.0.0.1}:6379").unwrap(), "redis://127.0.0.1:6379");
/// assert!(expand_env("${AC_DOC_UNSET_VAR}").is_err());
/// ```
pub fn expand_env(text: &str) -> Result<String, EnvError> {
    expand_with(text, |var| std::env::var(var).ok())
}

/// [`expand_env`] with a custom variable source.
pub fn expand_with(
    text: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<String, EnvError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(body) = after.strip_prefix('{')
            && let Some(end) = body.find('}')
        {
            let inner = &body[..end];
            let (var, default) = match inner.split_once(":-") {
                Some((var, default)) => (var, Some(default)),
                None => (inner, None),
            };
            let value = lookup(var);
            match default {
                Some(default) => out.push_str(
                    value
                        .as_deref()
                        .filter(|v| !v.is_empty())
                        .unwrap_or(default),
                ),
                None => match value {
                    Some(value) => out.push_str(&value),
                    None => {
                        return Err(EnvError {
                            var: var.to_owned(),
                        });
                    }
                },
            }
            rest = &body[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}
