//! Finding a loader in the user's crate and reading its signature with `syn`.
//!
//! `crate::db::fetch_user` is looked up from the crate root (`src/lib.rs` or `src/main.rs`),
//! following `mod` items to their files (`db.rs`, `db/mod.rs`, `#[path]`, inline modules).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::model::{Param, Signature};

/// Why a loader could not be used.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum LoaderError {
    /// The path does not start with `crate::`.
    NotInCrate,
    /// No crate root file was found.
    NoCrateRoot(PathBuf),
    /// A module on the path has no file.
    ModuleNotFound { module: String, tried: Vec<PathBuf> },
    /// A file on the path does not parse.
    Unparsable { file: PathBuf, message: String },
    /// The module has no such function.
    FnNotFound {
        module: String,
        file: PathBuf,
        similar: Option<String>,
    },
    /// The function is private to a module the generated code is not in.
    NotVisible { file: PathBuf },
    /// The function's signature cannot be wrapped.
    Unsupported(String),
    /// The path names an associated function or method of a type, not a free function.
    Method { ty: String },
}

/// Reads and caches the crate's source files, remembering which were read.
pub(crate) struct SourceTree {
    root: Option<PathBuf>,
    searched: PathBuf,
    files: BTreeMap<PathBuf, Result<syn::File, String>>,
}

/// One module's items, with where its child module files live.
struct Module {
    items: Vec<syn::Item>,
    file: PathBuf,
    child_dir: PathBuf,
    path: Vec<String>,
}

impl SourceTree {
    /// A tree whose root is `root` (a file), or found under `crate_dir/src`.
    pub(crate) fn new(crate_dir: &Path, root: Option<PathBuf>) -> Self {
        let root = root.or_else(|| {
            ["src/lib.rs", "src/main.rs"]
                .iter()
                .map(|f| crate_dir.join(f))
                .find(|p| p.is_file())
        });
        Self {
            root,
            searched: crate_dir.join("src"),
            files: BTreeMap::new(),
        }
    }

    /// Every file read so far (for `rerun-if-changed`).
    pub(crate) fn files_read(&self) -> impl Iterator<Item = &PathBuf> {
        self.files.keys()
    }

    fn parse(&mut self, file: &Path) -> Result<syn::File, LoaderError> {
        let parsed = self.files.entry(file.to_path_buf()).or_insert_with(|| {
            let text = std::fs::read_to_string(file).map_err(|e| e.to_string())?;
            syn::parse_file(&text).map_err(|e| {
                let start = e.span().start();
                format!("{}:{}: {e}", start.line, start.column + 1)
            })
        });
        parsed.clone().map_err(|message| LoaderError::Unparsable {
            file: file.to_path_buf(),
            message,
        })
    }

    fn root_module(&mut self) -> Result<Module, LoaderError> {
        let root = self
            .root
            .clone()
            .ok_or_else(|| LoaderError::NoCrateRoot(self.searched.clone()))?;
        let items = self.parse(&root)?.items;
        let child_dir = root.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok(Module {
            items,
            file: root,
            child_dir,
            path: vec!["crate".into()],
        })
    }

    fn child(&mut self, parent: Module, name: &str) -> Result<Module, LoaderError> {
        let mut path = parent.path.clone();
        path.push(name.to_owned());
        let found = parent.items.iter().find_map(|item| match item {
            syn::Item::Mod(m) if m.ident == name => Some(m.clone()),
            _ => None,
        });
        let Some(m) = found else {
            if parent.items.iter().any(|item| names_type(item, name)) {
                return Err(LoaderError::Method {
                    ty: path.join("::"),
                });
            }
            return Err(LoaderError::ModuleNotFound {
                module: path.join("::"),
                tried: vec![],
            });
        };
        if let Some((_, items)) = m.content {
            return Ok(Module {
                items,
                file: parent.file,
                child_dir: parent.child_dir.join(name),
                path,
            });
        }
        let explicit = m.attrs.iter().find_map(path_attribute);
        let candidates = match explicit {
            Some(p) => {
                let base = parent
                    .file
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_default();
                vec![base.join(p)]
            }
            None => vec![
                parent.child_dir.join(format!("{name}.rs")),
                parent.child_dir.join(name).join("mod.rs"),
            ],
        };
        let Some(file) = candidates.iter().find(|c| c.is_file()).cloned() else {
            return Err(LoaderError::ModuleNotFound {
                module: path.join("::"),
                tried: candidates,
            });
        };
        let items = self.parse(&file)?.items;
        let child_dir = if file.file_name().is_some_and(|n| n == "mod.rs") {
            file.parent().map(Path::to_path_buf).unwrap_or_default()
        } else {
            file.with_extension("")
        };
        Ok(Module {
            items,
            file,
            child_dir,
            path,
        })
    }

    /// The signature of the function at `path` (`crate::a::b::f`).
    pub(crate) fn signature(&mut self, path: &str) -> Result<Signature, LoaderError> {
        let segments: Vec<&str> = path.split("::").map(str::trim).collect();
        let [first, middle @ .., last] = segments.as_slice() else {
            return Err(LoaderError::NotInCrate);
        };
        if *first != "crate" || segments.len() < 2 {
            return Err(LoaderError::NotInCrate);
        }
        let mut module = self.root_module()?;
        for seg in middle {
            module = self.child(module, seg)?;
        }
        let function = module.items.iter().find_map(|item| match item {
            syn::Item::Fn(f) if f.sig.ident == *last => Some(f.clone()),
            _ => None,
        });
        let Some(function) = function else {
            let names = module.items.iter().filter_map(|item| match item {
                syn::Item::Fn(f) => Some(f.sig.ident.to_string()),
                _ => None,
            });
            let names: Vec<String> = names.collect();
            let similar = crate::diagnostic::closest(last, names.iter().map(String::as_str))
                .map(str::to_owned);
            return Err(LoaderError::FnNotFound {
                module: module.path.join("::"),
                file: module.file,
                similar,
            });
        };
        if module.path.len() > 1 && matches!(function.vis, syn::Visibility::Inherited) {
            return Err(LoaderError::NotVisible { file: module.file });
        }
        let mut signature = read_signature(&function.sig)?;
        signature.scope = scope_of(&module);
        Ok(signature)
    }
}

/// True when `item` declares (or implements) the type or trait `name`.
fn names_type(item: &syn::Item, name: &str) -> bool {
    match item {
        syn::Item::Struct(i) => i.ident == name,
        syn::Item::Enum(i) => i.ident == name,
        syn::Item::Union(i) => i.ident == name,
        syn::Item::Trait(i) => i.ident == name,
        syn::Item::Type(i) => i.ident == name,
        syn::Item::Impl(i) => match &*i.self_ty {
            syn::Type::Path(p) => p.path.segments.last().is_some_and(|s| s.ident == name),
            _ => false,
        },
        _ => false,
    }
}

fn path_attribute(attr: &syn::Attribute) -> Option<String> {
    if !attr.path().is_ident("path") {
        return None;
    }
    match &attr.meta {
        syn::Meta::NameValue(nv) => match &nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    }
}

/// Reads a signature the wrapper can copy; rejects what it cannot.
pub(crate) fn read_signature(sig: &syn::Signature) -> Result<Signature, LoaderError> {
    let unsupported = |why: &str| Err(LoaderError::Unsupported(why.to_owned()));
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        return unsupported("generic loaders cannot be wrapped: give the loader concrete types");
    }
    if sig.variadic.is_some() {
        return unsupported("variadic loaders cannot be wrapped");
    }
    let mut params = Vec::new();
    for input in &sig.inputs {
        let syn::FnArg::Typed(pt) = input else {
            return unsupported("methods (`self`) cannot be loaders: use a free function");
        };
        let syn::Pat::Ident(pi) = &*pt.pat else {
            return unsupported("each loader parameter needs a plain name (no patterns)");
        };
        if pi.by_ref.is_some() || pi.subpat.is_some() {
            return unsupported("each loader parameter needs a plain name (no patterns)");
        }
        check_param_type(&pt.ty)?;
        params.push(Param {
            name: pi.ident.clone(),
            ty: (*pt.ty).clone(),
        });
    }
    let output = match &sig.output {
        syn::ReturnType::Default => {
            return unsupported(
                "the loader returns nothing: a cached function must return a value",
            );
        }
        syn::ReturnType::Type(_, ty) => (**ty).clone(),
    };
    if matches!(output, syn::Type::ImplTrait(_)) {
        return unsupported("`impl Trait` return types cannot be named: write `async fn` instead");
    }
    if matches!(&output, syn::Type::Tuple(t) if t.elems.is_empty()) {
        return unsupported("the loader returns `()`: a cached function must return a value");
    }
    Ok(Signature {
        is_async: sig.asyncness.is_some(),
        params,
        takes_context: false,
        fallible: is_result(&output),
        output,
        scope: Vec::new(),
        arc: false,
    })
}

fn check_param_type(ty: &syn::Type) -> Result<(), LoaderError> {
    match ty {
        syn::Type::ImplTrait(_) => Err(LoaderError::Unsupported(
            "`impl Trait` parameters cannot be wrapped: use a concrete type".into(),
        )),
        syn::Type::Reference(r) if r.mutability.is_some() => Err(LoaderError::Unsupported(
            "`&mut` parameters cannot be cached: a cached call must not mutate its arguments"
                .into(),
        )),
        syn::Type::Reference(r) if r.lifetime.is_some() => Err(LoaderError::Unsupported(
            "parameters with named lifetimes cannot be wrapped: use elided lifetimes".into(),
        )),
        _ => Ok(()),
    }
}

/// True for `Result<T, E>` and aliases spelled `…::Result<T>`.
pub(crate) fn is_result(ty: &syn::Type) -> bool {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().is_some_and(|s| s.ident == "Result"),
        _ => false,
    }
}

/// The loader module's imports, made absolute, plus a glob of the module itself, so the
/// signature's types resolve where the wrapper is generated.
fn scope_of(module: &Module) -> Vec<syn::ItemUse> {
    let child_mods: Vec<String> = module
        .items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Mod(m) => Some(m.ident.to_string()),
            _ => None,
        })
        .collect();
    let mut uses = Vec::new();
    for item in &module.items {
        if let syn::Item::Use(u) = item {
            let mut u = u.clone();
            u.vis = syn::Visibility::Inherited;
            u.leading_colon.is_none().then(|| {
                u.tree = absolutize(&u.tree, &module.path, &child_mods);
            });
            uses.push(u);
        }
    }
    let glob: syn::ItemUse = match syn::parse_str(&format!("use {}::*;", module.path.join("::"))) {
        Ok(glob) => glob,
        // Module paths are identifiers joined by `::`; this parses.
        Err(_) => return uses,
    };
    uses.push(glob);
    uses
}

/// `use` paths relative to the loader's module (`self::`, `super::super::`, a child module) made
/// absolute from `crate`, so they resolve inside the generated module.
fn absolutize(tree: &syn::UseTree, module: &[String], child_mods: &[String]) -> syn::UseTree {
    let mut base = module.to_vec();
    let mut rest = tree;
    let mut relative = false;
    while let syn::UseTree::Path(path) = rest {
        match path.ident.to_string().as_str() {
            "self" => {}
            "super" => {
                // `crate` itself is never popped: a `super` above the root is an error the
                // compiler reports in the user's own module first.
                if base.len() > 1 {
                    base.pop();
                }
            }
            _ => break,
        }
        relative = true;
        rest = &path.tree;
    }
    let starts_in_child = matches!(rest, syn::UseTree::Path(p) if child_mods.contains(&p.ident.to_string()))
        || matches!(rest, syn::UseTree::Name(n) if child_mods.contains(&n.ident.to_string()));
    if !relative && !starts_in_child {
        return tree.clone();
    }
    let span = proc_macro2::Span::call_site();
    let mut built = rest.clone();
    for seg in base.iter().rev() {
        built = syn::UseTree::Path(syn::UsePath {
            ident: syn::Ident::new(seg, span),
            colon2_token: Default::default(),
            tree: Box::new(built),
        });
    }
    built
}
