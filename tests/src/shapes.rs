//! Loader shapes the generator must accept (`specs/signatures.toml`, the signature matrix):
//! owned and borrowed arguments, `mut` bindings, parameters named like the generated code's own
//! identifiers, every output form, with and without the loader context.
#![allow(
    missing_docs,
    clippy::needless_pass_by_value,
    clippy::ptr_arg,
    clippy::needless_lifetimes
)]

use std::fmt;

/// A struct passed by value or by reference, keyed through its `Display`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub term: String,
    pub page: u32,
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.term, self.page)
    }
}

/// The loader context of the matrix.
#[derive(Debug)]
pub struct Ctx {
    pub greeting: String,
}

/// A loader error that can hold a missing context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShapeError {
    Missing,
}

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("missing context")
    }
}

impl std::error::Error for ShapeError {}

impl From<advanced_caching::context::ContextMissing> for ShapeError {
    fn from(_: advanced_caching::context::ContextMissing) -> Self {
        Self::Missing
    }
}

/// The key of a `Vec` argument.
pub fn vec_key(ids: &Vec<u64>) -> String {
    ids.iter().map(u64::to_string).collect::<Vec<_>>().join(",")
}

pub fn owned_string(name: String) -> String {
    name
}

pub async fn owned_string_async(name: String) -> String {
    name
}

pub async fn owned_string_swr(name: String) -> String {
    name
}

pub fn owned_string_swr_sync(name: String) -> String {
    name
}

pub fn owned_vec(ids: Vec<u64>) -> usize {
    ids.len()
}

pub fn owned_struct(q: Query) -> String {
    q.to_string()
}

pub async fn owned_struct_async(q: Query) -> String {
    q.to_string()
}

pub async fn owned_struct_swr(q: Query) -> String {
    q.to_string()
}

pub fn borrowed_struct(q: &Query) -> String {
    q.to_string()
}

pub async fn borrowed_struct_swr(q: &Query) -> String {
    q.to_string()
}

pub fn copy_arg(n: u64) -> u64 {
    n
}

pub fn mut_copy(mut n: u64) -> u64 {
    n += 1;
    n
}

pub fn mut_owned(mut s: String) -> String {
    s.push('!');
    s
}

pub async fn mut_owned_async(mut s: String) -> String {
    s.push('!');
    s
}

pub fn named_key(key: u64) -> u64 {
    key
}

pub fn named_value(value: u64) -> u64 {
    value
}

pub fn named_caches(caches: u64) -> u64 {
    caches
}

pub fn named_how(how: u64) -> u64 {
    how
}

pub fn named_load(load: u64) -> u64 {
    load
}

pub fn named_args(args: u64) -> u64 {
    args
}

pub fn named_result(result: u64) -> u64 {
    result
}

pub fn named_self_(self_: u64) -> u64 {
    self_
}

pub fn named_hit(hit: u64) -> u64 {
    hit
}

pub fn named_on(on: u64) -> u64 {
    on
}

pub fn named_memo(memo: u64) -> u64 {
    memo
}

pub fn named_storage(storage: u64) -> u64 {
    storage
}

pub fn named_clock(clock: u64) -> u64 {
    clock
}

/// Parameters named like the runtime macros' own items and locals.
pub fn named_private(__key: u64, __call: &str, context: u64) -> String {
    format!("{__key}{__call}{context}")
}

pub fn named_key_owned(key: String, value: String) -> String {
    format!("{key}={value}")
}

pub async fn named_caches_async(caches: &str, how: u32) -> String {
    format!("{caches}{how}")
}

pub async fn named_value_swr(value: String, load: &str) -> String {
    format!("{value}{load}")
}

pub fn opt_out(n: u64) -> Option<u64> {
    (n > 0).then_some(n)
}

pub fn result_out(name: String) -> Result<String, ShapeError> {
    Ok(name)
}

pub async fn result_out_async(name: String) -> Result<String, ShapeError> {
    Ok(name)
}

pub fn anyhow_out(name: String) -> anyhow::Result<String> {
    Ok(name)
}

pub async fn anyhow_out_async(name: &str) -> anyhow::Result<String> {
    Ok(name.to_owned())
}

pub async fn anyhow_swr(name: String) -> anyhow::Result<String> {
    Ok(name)
}

pub fn ctx_owned(ctx: &Ctx, name: String) -> Result<String, ShapeError> {
    Ok(format!("{}{name}", ctx.greeting))
}

pub async fn ctx_owned_async(ctx: &Ctx, key: String) -> Result<String, ShapeError> {
    Ok(format!("{}{key}", ctx.greeting))
}

pub async fn ctx_swr(ctx: &Ctx, caches: String) -> Result<String, ShapeError> {
    Ok(format!("{}{caches}", ctx.greeting))
}

pub fn ctx_struct(ctx: &Ctx, q: Query) -> Result<String, ShapeError> {
    Ok(format!("{}{q}", ctx.greeting))
}

pub fn lifetime_str<'a>(s: &'a str) -> String {
    s.to_owned()
}
