//! What generated code declares, and what expands it: a generated `caches` module is a list of
//! declarations — `caches!` (the `Caches` struct, its builder and the process-wide instance),
//! one `cached_function!` per `[functions.NAME]`, one `background_loader!` or
//! `background_reader!` per `[loaders.NAME]` and `[readers.NAME]` — and the logic they stand
//! for lives here, written once. The macros are not a stable API: generated code reaches them
//! through `__private`, and the generator and this crate change together.

mod assembly;
mod background;
mod control;
mod function;
mod instance;

pub use assembly::{Assemble, Assembly, CachesBuilder, CachesShared, NoContext};
