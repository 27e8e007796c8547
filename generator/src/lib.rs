//! The generator of advanced-caching: reads `cache.toml`, checks it against the crate's source, and
//! emits typed cached wrappers.
//!
//! ```no_run
//! // build.rs: `fn main` calls this; a spec error fails the build with its diagnostics.
//! advanced_caching_build::compile("cache.toml").unwrap();
//! ```
//!
//! The core is a plain library (parse → check → generate, no file I/O besides reading the
//! loaders' source files) that `build.rs`, the `advanced-caching` CLI and the tests all call:
//!
//! ```
//! let spec = r#"
//! [functions.square]
//! loader = "other_crate::square"   # outside this crate: its signature is declared here
//! args = ["x: u64"]
//! returns = "u64"
//! key = "sq:{x}"
//! ttl = "1m"
//! "#;
//! let code = advanced_caching_build::expand_str("cache.toml", spec, None).unwrap();
//! assert!(code.contains("blocking fn square(x: u64) -> u64;"));
//! // A mistake is reported at its line and column, with a hint.
//! let bad = spec.replace("ttl", "tll");
//! let errors = advanced_caching_build::check_str("cache.toml", &bad, None).unwrap_err();
//! assert!(errors.to_string().contains("did you mean `ttl`?"));
//! ```

mod check;
mod codegen;
mod diagnostic;
mod disjoint;
mod duration;
mod explain;
mod key;
mod loader;
pub mod model;
mod raw;
mod schema;
mod spanned;
pub mod storages;
mod tokens;
mod value_schemas;

use std::fmt;
use std::path::{Path, PathBuf};

pub use codegen::HEADER;
pub use diagnostic::{Diagnostic, Diagnostics};
pub use explain::{explain, warnings};
pub use model::Spec;

/// The path of the runtime crate in generated code, unless [`Builder::runtime_path`] says
/// otherwise.
pub const RUNTIME_PATH: &str = "::advanced_caching";

/// The file `advanced_caching::include_generated!()` includes from `OUT_DIR`.
pub const OUTPUT_FILE: &str = "advanced_caching_generated.rs";

/// Why generation failed. `Display` and `Debug` both show the full diagnostics.
pub enum Error {
    /// The spec has problems.
    Spec(Diagnostics),
    /// A file could not be read or written.
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// `OUT_DIR` is not set: `compile` runs from a build script.
    NoOutDir,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Spec(d) => write!(f, "{d}"),
            Self::Io { path, message } => write!(f, "error: {}: {message}", path.display()),
            Self::NoOutDir => write!(
                f,
                "error: OUT_DIR is not set: call advanced_caching_build::compile from build.rs"
            ),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `build.rs` users write `.unwrap()`: show them the diagnostics, not a struct dump.
        write!(f, "\n{self}")
    }
}

impl std::error::Error for Error {}

/// Generates the wrappers of `spec` (a path relative to the crate) into
/// `$OUT_DIR/advanced_caching_generated.rs`, for `advanced_caching::include_generated!()`.
///
/// ```no_run
/// advanced_caching_build::compile("cache.toml").unwrap();
/// ```
pub fn compile(spec: impl AsRef<Path>) -> Result<(), Error> {
    Builder::new().compile(spec).map(drop)
}

/// Options of the generator; [`compile`] is `Builder::new().compile(spec)`.
///
/// ```no_run
/// advanced_caching_build::Builder::new()
///     .crate_root("src/main.rs")
///     .output("caches.rs")
///     .compile("config/cache.toml")
///     .unwrap();
/// ```
#[derive(Debug, Clone, Default)]
pub struct Builder {
    crate_root: Option<PathBuf>,
    crate_dir: Option<PathBuf>,
    output: Option<String>,
    out_dir: Option<PathBuf>,
    display_name: Option<String>,
    runtime_features: Option<Vec<String>>,
    runtime_path: Option<String>,
}

impl Builder {
    /// Default options.
    pub fn new() -> Self {
        Self::default()
    }

    /// The crate's root file, where `crate::` paths start (default: `src/lib.rs`, else `src/main.rs`).
    pub fn crate_root(mut self, file: impl Into<PathBuf>) -> Self {
        self.crate_root = Some(file.into());
        self
    }

    /// The crate's directory (default: the spec's directory).
    pub fn crate_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.crate_dir = Some(dir.into());
        self
    }

    /// The output file's name in `OUT_DIR` (default [`OUTPUT_FILE`]).
    pub fn output(mut self, name: impl Into<String>) -> Self {
        self.output = Some(name.into());
        self
    }

    /// Writes into `dir` instead of `OUT_DIR`.
    pub fn out_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.out_dir = Some(dir.into());
        self
    }

    /// The backend features of the `advanced-caching` runtime the crate builds with (default:
    /// what its build script announces in `DEP_ADVANCED_CACHING_FEATURES`, when `compile` runs
    /// from a build script; unknown otherwise). A storage whose feature is off is a spec error
    /// at its line.
    pub fn runtime_features<S: Into<String>>(
        mut self,
        features: impl IntoIterator<Item = S>,
    ) -> Self {
        self.runtime_features = Some(features.into_iter().map(Into::into).collect());
        self
    }

    fn features(&self) -> Option<Vec<String>> {
        self.runtime_features.clone().or_else(|| {
            std::env::var("DEP_ADVANCED_CACHING_FEATURES")
                .ok()
                .map(|f| {
                    f.split(',')
                        .filter(|f| !f.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
        })
    }

    /// The path of the `advanced-caching` runtime in the generated code (default
    /// `::advanced_caching`), for a crate that renames the dependency or reaches it through a
    /// re-export.
    ///
    /// ```no_run
    /// // Cargo.toml: cache = { package = "advanced-caching", version = "…" }
    /// advanced_caching_build::Builder::new()
    ///     .runtime_path("::cache")
    ///     .compile("cache.toml")
    ///     .unwrap();
    /// ```
    pub fn runtime_path(mut self, path: impl Into<String>) -> Self {
        self.runtime_path = Some(path.into());
        self
    }

    /// The spec's name in messages (default: its path as given).
    pub fn display_name(mut self, name: impl Into<String>) -> Self {
        self.display_name = Some(name.into());
        self
    }

    fn tree(&self, spec: &Path) -> loader::SourceTree {
        let dir = self.crate_dir.clone().unwrap_or_else(|| {
            spec.parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
        });
        let root = self.crate_root.as_ref().map(|r| {
            if r.is_absolute() {
                r.clone()
            } else {
                dir.join(r)
            }
        });
        loader::SourceTree::new(&dir, root)
    }

    fn read(&self, spec: &Path) -> Result<(String, String), Error> {
        let bytes = std::fs::read(spec).map_err(|e| Error::Io {
            path: spec.to_path_buf(),
            message: e.to_string(),
        })?;
        let name = self
            .display_name
            .clone()
            .unwrap_or_else(|| spec.display().to_string());
        match String::from_utf8(bytes) {
            Ok(text) => Ok((name, text)),
            Err(e) => {
                // The valid prefix is kept as is, so the offset points at the bad byte.
                let at = e.utf8_error().valid_up_to();
                let source = String::from_utf8_lossy(e.as_bytes()).into_owned();
                Err(Error::Spec(Diagnostics {
                    file: name,
                    source,
                    items: vec![
                        Diagnostic::new(
                            "the spec is not UTF-8 text",
                            Some(at..at + 1),
                            "not UTF-8",
                        )
                        .hint("save cache.toml as UTF-8 (TOML files are UTF-8 by definition)"),
                    ],
                }))
            }
        }
    }

    /// Checks and generates `spec`; the source files read are returned either way (a loader
    /// fixed in one of them fixes the spec).
    fn run(&self, spec: &Path) -> (Result<(Spec, String), Error>, Vec<PathBuf>) {
        let (name, text) = match self.read(spec) {
            Ok(read) => read,
            Err(e) => return (Err(e), Vec::new()),
        };
        let mut tree = self.tree(spec);
        let runtime = self.runtime_path.as_deref().unwrap_or(RUNTIME_PATH);
        let features = self.features();
        let result = pipeline(&name, &text, &mut tree, features.as_deref(), Some(runtime))
            // A runtime path was given: the code is there.
            .map(|(spec, code)| (spec, code.unwrap_or_default()))
            .map_err(Error::Spec);
        (result, tree.files_read().cloned().collect())
    }

    /// Checks `spec` without generating.
    pub fn check(&self, spec: impl AsRef<Path>) -> Result<Spec, Error> {
        let spec = spec.as_ref();
        let (name, text) = self.read(spec)?;
        let mut tree = self.tree(spec);
        let features = self.features();
        pipeline(&name, &text, &mut tree, features.as_deref(), None)
            .map(|(spec, _)| spec)
            .map_err(Error::Spec)
    }

    /// The generated Rust source of `spec`.
    pub fn expand(&self, spec: impl AsRef<Path>) -> Result<String, Error> {
        self.run(spec.as_ref()).0.map(|(_, code)| code)
    }

    /// Generates into `OUT_DIR` (written only when it changed) and prints `cargo:rerun-if-changed`
    /// for the spec and every source file read. Returns the written file.
    pub fn compile(&self, spec: impl AsRef<Path>) -> Result<PathBuf, Error> {
        let spec = spec.as_ref();
        println!("cargo:rerun-if-changed={}", spec.display());
        let (result, files) = self.run(spec);
        // Re-run when a source file read changes, not only the spec: a loader may be fixed there.
        for file in &files {
            println!("cargo:rerun-if-changed={}", file.display());
        }
        let (checked, code) = result?;
        for warning in warnings(&checked) {
            println!("cargo:warning={warning}");
        }
        let out_dir = match &self.out_dir {
            Some(dir) => dir.clone(),
            None => std::env::var_os("OUT_DIR")
                .map(PathBuf::from)
                .ok_or(Error::NoOutDir)?,
        };
        let out = out_dir.join(self.output.as_deref().unwrap_or(OUTPUT_FILE));
        let unchanged = std::fs::read_to_string(&out).is_ok_and(|old| old == code);
        if !unchanged {
            std::fs::write(&out, &code).map_err(|e| Error::Io {
                path: out.clone(),
                message: e.to_string(),
            })?;
        }
        Ok(out)
    }
}

/// Checks spec text; `crate_dir` is where `src/lib.rs` or `src/main.rs` is looked up
/// (without one, loaders are looked up from the current directory).
///
/// ```
/// let spec = advanced_caching_build::check_str(
///     "cache.toml",
///     "[functions.square]\nloader = \"other::square\"\nargs = [\"x: u64\"]\nreturns = \"u64\"\nttl = \"1m\"\n",
///     None,
/// ).unwrap();
/// assert_eq!(spec.functions[0].name, "square");
/// ```
pub fn check_str(
    file_name: &str,
    text: &str,
    crate_dir: Option<&Path>,
) -> Result<Spec, Diagnostics> {
    let mut tree = loader::SourceTree::new(crate_dir.unwrap_or(Path::new(".")), None);
    pipeline(file_name, text, &mut tree, None, None).map(|(spec, _)| spec)
}

/// Checks and generates from spec text (see [`check_str`]).
pub fn expand_str(
    file_name: &str,
    text: &str,
    crate_dir: Option<&Path>,
) -> Result<String, Diagnostics> {
    let mut tree = loader::SourceTree::new(crate_dir.unwrap_or(Path::new(".")), None);
    pipeline(file_name, text, &mut tree, None, Some(RUNTIME_PATH))
        // A runtime path was given: the code is there.
        .map(|(_, code)| code.unwrap_or_default())
}

/// The one road from spec text to code, which `compile`, `check`, `expand`, `check_str` and
/// `expand_str` all take: read and check the spec (loaders looked up in `tree`), check it
/// against the runtime's enabled `features` when they are known, and generate the code when a
/// `runtime` path is given. Every problem of a stage is reported at once, as diagnostics of
/// `file_name`.
fn pipeline(
    file_name: &str,
    text: &str,
    tree: &mut loader::SourceTree,
    features: Option<&[String]>,
    runtime: Option<&str>,
) -> Result<(Spec, Option<String>), Diagnostics> {
    check::check(text, tree)
        .and_then(|spec| check::features(spec, features))
        .and_then(|spec| match runtime {
            Some(runtime) => {
                codegen::generate(&spec, file_name, runtime).map(|code| (spec, Some(code)))
            }
            None => Ok((spec, None)),
        })
        .map_err(|items| Diagnostics {
            file: file_name.to_owned(),
            source: text.to_owned(),
            items,
        })
}

/// The starter `cache.toml` that [`init`] writes.
pub const STARTER_SPEC: &str = r#"#:schema ./cache.schema.json
# Cached functions of this crate (the advanced-caching README, "Using it", lists every setting).
# build.rs: fn main() { advanced_caching_build::compile("cache.toml").unwrap(); }
# src/lib.rs or main.rs: advanced_caching::include_generated!();  then call caches::NAME(...)

[storages.local]
type = "memory"
max_entries = 10_000

# [functions.get_user]
# loader = "crate::db::fetch_user"   # your fn, sync or async, returning T or Result<T, E>
# key = "user:{user_id}"
# ttl = "5m"
# storage = "local"
"#;

/// The file name of the schema [`init`] writes beside `cache.toml`.
pub const SCHEMA_FILE: &str = "cache.schema.json";

/// Writes a starter `cache.toml` into `dir` (never over an existing one) and the JSON schema
/// beside it (refreshed every time), so that the `#:schema ./cache.schema.json` line on the
/// spec's first line resolves in the user's crate. Returns the files written.
///
/// ```
/// let dir = std::env::temp_dir().join(format!("ac-init-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let written = advanced_caching_build::init(&dir).unwrap();
/// assert_eq!(written.len(), 2);
/// # std::fs::remove_dir_all(&dir).ok();
/// ```
pub fn init(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |e: std::io::Error| Error::Io {
            path,
            message: e.to_string(),
        }
    };
    let mut written = Vec::new();
    let schema_path = dir.join(SCHEMA_FILE);
    std::fs::write(&schema_path, schema::schema_json()).map_err(io(&schema_path))?;
    written.push(schema_path);
    let spec_path = dir.join("cache.toml");
    if !spec_path.exists() {
        std::fs::write(&spec_path, STARTER_SPEC).map_err(io(&spec_path))?;
        written.push(spec_path);
    }
    Ok(written)
}

/// The JSON schema of `cache.toml` (what `schema/cache.schema.json` holds).
///
/// ```
/// assert!(advanced_caching_build::schema().contains("\"storages\""));
/// ```
pub fn schema() -> String {
    schema::schema_json()
}
