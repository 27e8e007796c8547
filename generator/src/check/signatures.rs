//! Loader signatures: read from the crate's source (or declared in the spec), and the context
//! parameter.

use super::*;

/// A type's name for comparison: the last path segment with its arguments (so `crate::User`
/// and `User` compare equal; the generated code has the compiler prove the rest).
pub(super) fn type_name(ty: &syn::Type) -> String {
    match ty {
        syn::Type::Path(p) if p.qself.is_none() => p
            .path
            .segments
            .last()
            .map(|s| quote::quote!(#s).to_string().replace(' ', ""))
            .unwrap_or_default(),
        syn::Type::Reference(r) => format!("&{}", type_name(&r.elem)),
        other => type_text(other),
    }
}

fn loader_problem(path: &str, e: LoaderError) -> (String, String, String) {
    match e {
        LoaderError::NotInCrate => (
            format!("loader `{path}` is outside this crate"),
            "cannot read its signature".into(),
            "declare it: `args = [\"id: u64\"]`, `returns = \"Result<User, Error>\"` (and `async = true` if it is async)".into(),
        ),
        LoaderError::NoCrateRoot(dir) => (
            format!("cannot find the crate root to look up `{path}`"),
            "looked up from here".into(),
            format!("no src/lib.rs or src/main.rs under {}", dir.display()),
        ),
        LoaderError::ModuleNotFound { module, tried } => (
            format!("module `{module}` of loader `{path}` not found"),
            "loader cannot be found".into(),
            if tried.is_empty() {
                format!("declare it with `mod {}`", module.rsplit("::").next().unwrap_or(&module))
            } else {
                format!(
                    "looked for {}",
                    tried.iter().map(|t| t.display().to_string()).collect::<Vec<_>>().join(" and ")
                )
            },
        ),
        LoaderError::Unparsable { file, message } => (
            format!("cannot parse {}: {message}", file.display()),
            "while looking up this loader".into(),
            "fix the Rust syntax error first".into(),
        ),
        LoaderError::FnNotFound { module, file, similar } => (
            format!("loader `{path}` not found"),
            "loader cannot be found".into(),
            match similar {
                Some(s) => format!("did you mean `{module}::{s}`? (looked in {})", file.display()),
                None => format!("no function of this name in `{module}` ({})", file.display()),
            },
        ),
        LoaderError::NotVisible { file } => (
            format!("loader `{path}` is private to its module"),
            "not visible to the generated code".into(),
            format!("make it `pub` or `pub(crate)` in {}", file.display()),
        ),
        LoaderError::Unsupported(why) => (
            format!("loader `{path}` has an unsupported signature"),
            "cannot be wrapped".into(),
            why,
        ),
        LoaderError::Method { ty } => (
            format!("loader `{path}` is a method or associated function of `{ty}`: methods cannot be loaders"),
            "not a free function".into(),
            "wrap the call in a free function (`pub async fn load_user(db: &Db, id: u64) -> … { db.load(id).await }`) and take the state as the loader context (`context = \"crate::Db\"`)".into(),
        ),
    }
}

impl Checker<'_> {
    /// The `context` type: a path to a type of this crate or another.
    pub(super) fn context_type(&mut self, context: &Spanned<String>) -> Option<syn::Path> {
        match syn::parse_str::<syn::Path>(context.get_ref().trim()) {
            Ok(path) if !path.segments.is_empty() => Some(path),
            _ => {
                self.error(
                    format!("`{}` is not a type path", context.get_ref()),
                    context.span(),
                    "the loader context type",
                    "name the type loaders take by reference, e.g. `context = \"crate::AppState\"`",
                );
                None
            }
        }
    }

    /// `arc = true`: the value is kept as `Arc<T>`, which needs `T` written out (`Result<T, E>`,
    /// not a bare alias such as `io::Result`).
    pub(super) fn with_arc(
        &mut self,
        mut sig: Signature,
        arc: &Option<Spanned<bool>>,
    ) -> Signature {
        let Some(flag) = arc.as_ref().filter(|a| *a.get_ref()) else {
            return sig;
        };
        if sig.value_type().is_none() {
            self.error(
                "`arc` needs the loader's value type written out",
                flag.span(),
                "the value type is hidden in an alias",
                "write the return type as `Result<T, E>` (e.g. `std::io::Result<T>`), or remove `arc`",
            );
        }
        sig.arc = true;
        sig
    }

    /// Marks a signature whose first parameter is `&Context`; the context elsewhere is an error.
    pub(super) fn with_context(
        &mut self,
        mut sig: Signature,
        loader: &Spanned<String>,
    ) -> Signature {
        let Some(last) = self
            .context
            .as_ref()
            .and_then(|c| c.segments.last())
            .map(|s| s.ident.to_string())
        else {
            return sig;
        };
        for (at, param) in sig.params.iter().enumerate() {
            let syn::Type::Reference(r) = &param.ty else {
                continue;
            };
            let syn::Type::Path(p) = &*r.elem else {
                continue;
            };
            if p.path.segments.last().is_none_or(|s| s.ident != last) {
                continue;
            }
            if at == 0 {
                sig.takes_context = true;
            } else {
                self.error(
                    format!(
                        "the context parameter `{}` of `{}` is not the first parameter",
                        param.name,
                        loader.get_ref()
                    ),
                    loader.span(),
                    "takes the context",
                    format!(
                        "move `{}: &{last}` to the front of the loader's parameters",
                        param.name
                    ),
                );
            }
        }
        sig
    }

    /// The signature of `loader`, from the crate's source or from `args`/`returns`.
    pub(super) fn signature(
        &mut self,
        loader: &Spanned<String>,
        args: &Option<Spanned<Vec<Spanned<String>>>>,
        returns: &Option<Spanned<String>>,
        is_async: &Option<Spanned<bool>>,
    ) -> Option<Signature> {
        if let Some(returns) = returns {
            return self.declared_signature(loader, args, returns, is_async);
        }
        if let Some(args) = args {
            self.error(
                "`args` needs `returns`",
                args.span(),
                "declared without a return type",
                "declare both `args` and `returns` for a loader outside this crate",
            );
            return None;
        }
        if syn::parse_str::<syn::Path>(loader.get_ref()).is_err() {
            self.error(
                format!("`{}` is not a Rust path", loader.get_ref()),
                loader.span(),
                "not a path",
                "name the loader by its path, e.g. \"crate::db::fetch_user\"",
            );
            return None;
        }
        match self.tree.signature(loader.get_ref()) {
            // Any parameter name works: the runtime's declaration macros bind their own locals
            // hygienically, so no name (not even `__key`) clashes with the generated code's.
            Ok(sig) => Some(sig),
            Err(e) => {
                let (message, label, hint) = loader_problem(loader.get_ref(), e);
                self.error(message, loader.span(), &label, hint);
                None
            }
        }
    }

    /// A `ttl_fn`: a function of this crate taking a reference to the loader's value (`value`,
    /// when known) and returning a `Duration` or an `Option<Duration>`.
    pub(super) fn ttl_fn(
        &mut self,
        path: &Spanned<String>,
        value: Option<syn::Type>,
    ) -> Option<String> {
        if syn::parse_str::<syn::Path>(path.get_ref()).is_err() {
            self.error(
                format!("`{}` is not a Rust path", path.get_ref()),
                path.span(),
                "not a path",
                "name the function by its path, e.g. \"crate::http::ttl_of\"",
            );
            return None;
        }
        let sig = match self.tree.signature(path.get_ref()) {
            Ok(sig) => sig,
            Err(e) => {
                let (message, label, hint) = loader_problem(path.get_ref(), e);
                let message = message.replace("loader `", "ttl_fn `");
                self.error(
                    message,
                    path.span(),
                    &label.replace("loader", "function"),
                    hint,
                );
                return None;
            }
        };
        let takes = match sig.params.as_slice() {
            [p] => match &p.ty {
                syn::Type::Reference(r) if r.mutability.is_none() => Some(type_name(&r.elem)),
                _ => None,
            },
            _ => None,
        };
        let value = value.map(|v| type_name(&v));
        let returns = type_name(&sig.output);
        let duration = returns == "Duration"
            || (returns.starts_with("Option<") && returns.ends_with("Duration>"));
        let fits = takes.is_some() && (value.is_none() || takes == value);
        if sig.is_async || !fits || !duration {
            let value = value.unwrap_or_else(|| "V".into());
            self.error(
                format!(
                    "ttl_fn `{}` must be `fn(&{value}) -> Duration` (or `-> Option<Duration>`)",
                    path.get_ref()
                ),
                path.span(),
                "does not take the value and answer its ttl",
                format!(
                    "the value of this function is `{value}`: write `fn ttl_of(value: &{value}) -> std::time::Duration`, or return `Option<Duration>` (`None` keeps the function's ttl)"
                ),
            );
            return None;
        }
        Some(path.get_ref().clone())
    }

    pub(super) fn declared_signature(
        &mut self,
        loader: &Spanned<String>,
        args: &Option<Spanned<Vec<Spanned<String>>>>,
        returns: &Spanned<String>,
        is_async: &Option<Spanned<bool>>,
    ) -> Option<Signature> {
        let asyncness = if is_async.as_ref().is_some_and(|a| *a.get_ref()) {
            "async "
        } else {
            ""
        };
        let params: Vec<String> = args
            .as_ref()
            .map(|a| a.get_ref().iter().map(|p| p.get_ref().clone()).collect())
            .unwrap_or_default();
        let text = format!(
            "{asyncness}fn __loader({}) -> {}",
            params.join(", "),
            returns.get_ref()
        );
        let span = args.as_ref().map_or(returns.span(), |a| {
            a.span().start..returns.span().end.max(a.span().end)
        });
        let sig = match syn::parse_str::<syn::Signature>(&text) {
            Ok(sig) => sig,
            Err(e) => {
                self.error(
                    format!("cannot read the declared signature: {e}"),
                    span,
                    "declared here",
                    "write `args = [\"id: u64\", \"name: &str\"]` and `returns = \"Result<User, Error>\"`",
                );
                return None;
            }
        };
        if syn::parse_str::<syn::Path>(loader.get_ref()).is_err() {
            self.error(
                format!("`{}` is not a Rust path", loader.get_ref()),
                loader.span(),
                "not a path",
                "name the loader by its path, e.g. \"other_crate::fetch\"",
            );
            return None;
        }
        match read_signature(&sig) {
            Ok(sig) => Some(sig),
            Err(e) => {
                let (message, label, hint) = loader_problem(loader.get_ref(), e);
                self.error(message, span, &label, hint);
                None
            }
        }
    }
}
