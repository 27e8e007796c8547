//! The last step of checking: what codegen needs that depends on more than one entry, decided
//! once here so that codegen never looks a name up — whether each entry's storage keeps bytes,
//! and each function's memo (its typed front tier).

use crate::model::{FunctionDef, KeySpec, MemoPlan, Spec, StorageKind};
use crate::storages::memory::Memory;

/// Fills in the resolved parts of a checked spec.
pub(super) fn resolve(spec: &mut Spec) {
    let keys: Vec<_> = spec.functions.iter().map(|f| memo_key(spec, f)).collect();
    let memos: Vec<Option<MemoPlan>> = spec
        .functions
        .iter()
        .zip(&keys)
        .map(|(f, key)| memo_of(f, key.clone(), &keys))
        .collect();
    let bytes: Vec<bool> = spec
        .functions
        .iter()
        .map(|f| spec.needs_bytes(&f.storage))
        .collect();
    for ((f, memo), bytes) in spec.functions.iter_mut().zip(memos).zip(bytes) {
        f.memo = memo;
        f.bytes = bytes;
    }
    let bytes: Vec<bool> = spec
        .loaders
        .iter()
        .map(|l| spec.needs_bytes(&l.storage))
        .collect();
    for (l, bytes) in spec.loaders.iter_mut().zip(bytes) {
        l.bytes = bytes;
    }
    let bytes: Vec<(bool, bool)> = spec
        .readers
        .iter()
        .map(|r| {
            (
                spec.needs_bytes(&r.storage),
                spec.needs_bytes(&r.source.storage),
            )
        })
        .collect();
    for (r, (own, source)) in spec.readers.iter_mut().zip(bytes) {
        r.bytes = own;
        r.source.bytes = source;
    }
}

/// The memo of `f`, when its entries can be kept by argument — a memory storage in front
/// (itself, or a non-coherent chain's first level), keys that are a lossless template (or the
/// default) of arguments of plain types, no entries shared with another function, loads per
/// process. The functions with a memo over one memory storage share its `max_entries` evenly,
/// so their memos together hold at most what the storage does.
fn memo_of(
    f: &FunctionDef,
    key: Option<MemoKey<'_>>,
    keys: &[Option<MemoKey<'_>>],
) -> Option<MemoPlan> {
    let (key, front, memory) = key?;
    let sharing = keys
        .iter()
        .filter(|other| other.as_ref().is_some_and(|(_, other, _)| *other == front))
        .count()
        .max(1);
    let capacity = usize::try_from(memory.max_entries / sharing as u64).unwrap_or(usize::MAX);
    // A memo is kept only while none of the storages under it was given to the builder (an
    // override may be shared with instances the memo would not see): the runtime checks these.
    let mut own = vec![f.storage.clone()];
    if front != f.storage {
        own.push(front.to_owned());
    }
    Some(MemoPlan {
        key,
        capacity: capacity.max(1),
        own_storages: own,
    })
}

/// What lets a function keep a memo: the owned types of its key arguments, and the memory
/// storage in front (its name and settings).
type MemoKey<'a> = (Vec<syn::Type>, &'a str, &'a Memory);

/// Whether `f` can keep a memo, and its [`MemoKey`].
fn memo_key<'a>(spec: &'a Spec, f: &FunctionDef) -> Option<MemoKey<'a>> {
    let (front, memory) = memory_front(spec, &f.storage)?;
    let shared = f.same_entries_as.is_some()
        || spec
            .functions
            .iter()
            .any(|g| g.same_entries_as.as_deref() == Some(f.name.as_str()));
    if shared || f.fleet.is_some() || matches!(f.key, KeySpec::KeyFn { .. }) {
        return None;
    }
    let owned: Vec<syn::Type> = f
        .signature
        .call_params()
        .iter()
        .filter(|p| !f.not_in_key.contains(&p.name.to_string()))
        .map(|p| owned_key_part(&p.ty))
        .collect::<Option<_>>()?;
    if owned.is_empty() || owned.len() > 6 {
        return None;
    }
    Some((owned, front, memory))
}

/// The memory storage in front of `storage` (its name and settings): itself, or the first level
/// of a chain or hybrid that is not coherent (a coherent one drops copies when another process
/// writes, which a memo would not see).
fn memory_front<'a>(spec: &'a Spec, storage: &str) -> Option<(&'a str, &'a Memory)> {
    let def = spec.storage(storage)?;
    let model = def.kind.model();
    let front = match &def.kind {
        StorageKind::Memory(_) => def,
        _ if model.coherent() => return None,
        _ => spec.storage(model.levels().first()?.storage)?,
    };
    match &front.kind {
        StorageKind::Memory(memory) => Some((front.name.as_str(), memory)),
        _ => None,
    }
}

/// How a memo keeps an argument of type `ty`: integers, `bool` and `char` as themselves, borrowed
/// text as `Box<str>`; `None` for any other type (an owned `String` argument too: a lookup would
/// have to borrow it while the loader takes it).
fn owned_key_part(ty: &syn::Type) -> Option<syn::Type> {
    let named = |ty: &syn::Type| match ty {
        syn::Type::Path(p) if p.qself.is_none() => p.path.get_ident().map(ToString::to_string),
        _ => None,
    };
    match ty {
        syn::Type::Reference(r) if r.mutability.is_none() => match named(&r.elem)?.as_str() {
            "str" | "String" => Some(syn::parse_quote! { ::std::boxed::Box<str> }),
            _ => None,
        },
        _ => match named(ty)?.as_str() {
            "u8" | "u16" | "u32" | "u64" | "u128" | "usize" | "i8" | "i16" | "i32" | "i64"
            | "i128" | "isize" | "bool" | "char" => Some(ty.clone()),
            _ => None,
        },
    }
}
