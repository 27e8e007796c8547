//! The layout of a generated file: prettyplease lays out the items, and the runtime's
//! declaration macros — whose bodies it would print as one run of tokens — are laid out here,
//! one clause a line, each piece of Rust in it laid out by prettyplease on its own.

use super::*;

/// One invocation of a runtime declaration macro (`__ac::cached_function! { … }`).
pub(super) struct Declaration {
    path: &'static str,
    doc: Option<String>,
    clauses: Vec<String>,
}

impl Declaration {
    /// An invocation of the macro at `path` (as the generated file names it).
    pub(super) fn new(path: &'static str) -> Self {
        Self {
            path,
            doc: None,
            clauses: Vec::new(),
        }
    }

    /// The declaration of one entry: its docs, `MODE fn NAME(PARAMS) -> OUTPUT;` and the
    /// `mod __NAME { USES }` clause its types need.
    pub(super) fn entry(
        path: &'static str,
        doc: String,
        sig: &Signature,
        name: &str,
        params: &str,
        output: &TokenStream,
    ) -> Self {
        let uses = scope::used_imports(sig);
        Self::new(path)
            .doc(doc)
            .clause(format!(
                "{} fn {name}({params}) -> {};",
                scope::mode(sig),
                ty(output)
            ))
            .clause(format!(
                "mod {} {{ {} }}",
                scope_ident(name),
                items(&quote! { #(#uses)* })
            ))
    }

    /// The `bytes SITE;` clause, where the entry's value is kept as bytes.
    pub(super) fn bytes(self, site: Option<Ident>) -> Self {
        self.checked("bytes", site)
    }

    /// The `timeout_error SITE;` clause, where the entry's loader error must be able to say
    /// that a load timed out (`hard_timeout`).
    pub(super) fn timeout_error(self, site: Option<Ident>) -> Self {
        self.checked("timeout_error", site)
    }

    /// A `WORD SITE;` clause: a build-time check whose diagnostic names the entry (`SITE`).
    fn checked(self, word: &str, site: Option<Ident>) -> Self {
        match site {
            Some(site) => self.clause(format!("{word} {site};")),
            None => self,
        }
    }

    /// The doc comment the declared items carry (each line starting with a space).
    pub(super) fn doc(mut self, doc: String) -> Self {
        self.doc = Some(doc);
        self
    }

    /// The next clause (it may span lines).
    pub(super) fn clause(mut self, text: impl Into<String>) -> Self {
        self.clauses.push(text.into());
        self
    }

    fn render(&self, indent: &str) -> String {
        let inner = format!("{indent}    ");
        let mut out = format!("{indent}{}! {{\n", self.path);
        for line in self.doc.iter().flat_map(|doc| doc.lines()) {
            out.push_str(&format!("{inner}///{line}\n").replace("/// \n", "///\n"));
        }
        for clause in &self.clauses {
            for line in clause.lines() {
                out.push_str(&inner);
                out.push_str(line);
                out.push('\n');
            }
        }
        out.push_str(indent);
        out.push_str("}\n");
        out
    }
}

/// The declarations of a file, placed in its items as markers that [`Layout::finish`] replaces.
#[derive(Default)]
pub(super) struct Layout {
    declarations: Vec<Declaration>,
}

impl Layout {
    /// The marker item standing for `declaration` until the file is laid out.
    pub(super) fn place(&mut self, declaration: Declaration) -> TokenStream {
        let marker = format_ident!("__declaration_{}", self.declarations.len());
        self.declarations.push(declaration);
        quote! { #marker! {} }
    }

    /// `text` (prettyplease's layout of the items) with each marker replaced by its declaration.
    pub(super) fn finish(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len() * 2);
        for line in text.lines() {
            let trimmed = line.trim_start();
            let placed = trimmed
                .strip_prefix("__declaration_")
                .and_then(|rest| rest.strip_suffix("! {}"))
                .and_then(|n| n.parse::<usize>().ok())
                .and_then(|n| self.declarations.get(n));
            match placed {
                Some(declaration) => {
                    out.push_str(&declaration.render(&line[..line.len() - trimmed.len()]));
                }
                None => {
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
        out
    }
}

/// The lines of `fn f() { BODY }` as prettyplease lays them out, without the function.
fn body_lines(body: TokenStream) -> String {
    let text = unparse(quote! { fn f() { #body } });
    let lines: Vec<&str> = text.lines().collect();
    let inner = lines.get(1..lines.len().saturating_sub(1)).unwrap_or(&[]);
    inner
        .iter()
        .map(|l| l.strip_prefix("    ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
}

fn unparse(tokens: TokenStream) -> String {
    // Every piece laid out here is built by the generator from parsed Rust: it parses again.
    syn::parse2::<syn::File>(tokens.clone())
        .map(|file| prettyplease::unparse(&file))
        .unwrap_or_else(|_| tokens.to_string())
}

/// A type, laid out.
pub(super) fn ty(ty: &TokenStream) -> String {
    let text = unparse(quote! { type T = #ty; });
    let text = text.trim_end();
    let text = text.strip_prefix("type T = ").unwrap_or(text);
    text.strip_suffix(';').unwrap_or(text).to_owned()
}

/// An expression or statements, laid out.
pub(super) fn expr(tokens: &TokenStream) -> String {
    body_lines(tokens.clone())
}

/// Method calls `.a(…).b(…)` to chain on a builder, laid out.
pub(super) fn chain(calls: &TokenStream) -> String {
    if calls.is_empty() {
        return String::new();
    }
    let text = body_lines(quote! { builder #calls });
    let text = text.strip_prefix("builder").unwrap_or(&text);
    text.lines()
        .map(|l| l.strip_prefix("    ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_owned()
}

/// Items (`use` declarations), laid out on one line each.
pub(super) fn items(items: &TokenStream) -> String {
    unparse(items.clone()).lines().collect::<Vec<_>>().join(" ")
}

/// `HEAD { BODY }` on one line, or with the body indented on its own lines when it spans
/// several.
pub(super) fn braced(head: &str, body: &str) -> String {
    if body.contains('\n') {
        let body: Vec<String> = body.lines().map(|l| format!("    {l}")).collect();
        format!("{head} {{\n{}\n}}", body.join("\n"))
    } else {
        format!("{head} {{ {body} }}")
    }
}

/// Parameters `a: T, b: U`, laid out on one line.
pub(super) fn params<'a>(params: impl IntoIterator<Item = (&'a Ident, &'a syn::Type)>) -> String {
    params
        .into_iter()
        .map(|(name, t)| format!("{name}: {}", ty(&quote! { #t })))
        .collect::<Vec<_>>()
        .join(", ")
}
