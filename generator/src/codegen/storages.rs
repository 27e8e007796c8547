//! The storages of a spec: built once per `Caches`, in dependency order, each with its settings.

use super::*;

/// Builds each storage (levels before the composites that use them) through the assembly,
/// which hands out an override given to the builder instead where there is one.
pub(super) fn storages(spec: &Spec) -> TokenStream {
    let mut done: Vec<&str> = Vec::new();
    let mut out = TokenStream::new();
    while done.len() < spec.storages.len() {
        let before = done.len();
        for s in &spec.storages {
            if done.contains(&s.name.as_str()) {
                continue;
            }
            let model = s.kind.model();
            let deps: Vec<&str> = model.levels().iter().map(|l| l.storage).collect();
            if !deps.iter().all(|d| done.contains(d)) {
                continue;
            }
            done.push(&s.name);
            let (var, name, make) = (storage_ident(&s.name), &s.name, model.build());
            out.extend(quote! { let #var = parts.storage(#name, || #make); });
        }
        if done.len() == before {
            // Only cycles (rejected by the checker) can stall this loop.
            break;
        }
    }
    out
}

/// Whether a function's memo may be kept: none of the storages under it (the storage, and for
/// a chain its first level) was given to the builder, which may share it with other instances
/// that the memo would not see.
pub(super) fn memo_allowed(spec: &Spec, f: &FunctionDef) -> TokenStream {
    if memo_of(spec, f).is_none() {
        return quote! { false };
    }
    let mut own: Vec<&str> = vec![&f.storage];
    if let Some(s) = spec.storage(&f.storage) {
        own.extend(s.kind.model().levels().first().map(|l| l.storage));
    }
    quote! { parts.spec_built(&[#(#own),*]) }
}

/// The memo of `f` (its typed front tier): the owned tuple of its key arguments and the
/// capacity, when its entries can be kept by argument — a memory storage in front (itself, or a
/// non-coherent chain's first level), keys that are a lossless template (or the default) of
/// arguments of plain types, no entries shared with another function, loads per process. The
/// functions with a memo over one memory storage share its `max_entries` evenly, so their memos
/// together hold at most what the storage does. `None` otherwise.
pub(super) fn memo_of(spec: &Spec, f: &FunctionDef) -> Option<(TokenStream, usize)> {
    let (owned, front, memory) = memo_key(spec, f)?;
    let sharing = spec
        .functions
        .iter()
        .filter(|g| memo_key(spec, g).is_some_and(|(_, other, _)| other == front))
        .count()
        .max(1);
    let capacity = usize::try_from(memory.max_entries / sharing as u64).unwrap_or(usize::MAX);
    Some((owned, capacity.max(1)))
}

/// Whether `f` can keep a memo: the owned tuple of its key arguments, and the memory storage in
/// front (its name and settings).
fn memo_key<'a>(spec: &'a Spec, f: &FunctionDef) -> Option<(TokenStream, &'a str, &'a Memory)> {
    let (front, memory) = memory_front(spec, &f.storage)?;
    let shared = f.same_entries_as.is_some()
        || spec
            .functions
            .iter()
            .any(|g| g.same_entries_as.as_deref() == Some(f.name.as_str()));
    if shared || f.fleet.is_some() || matches!(f.key, KeySpec::KeyFn { .. }) {
        return None;
    }
    let owned: Vec<TokenStream> = f
        .signature
        .call_params()
        .iter()
        .filter(|p| !f.not_in_key.contains(&p.name.to_string()))
        .map(|p| owned_key_part(&p.ty))
        .collect::<Option<_>>()?;
    if owned.is_empty() || owned.len() > 6 {
        return None;
    }
    Some((quote! { (#(#owned,)*) }, front, memory))
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
fn owned_key_part(ty: &syn::Type) -> Option<TokenStream> {
    let named = |ty: &syn::Type| match ty {
        syn::Type::Path(p) if p.qself.is_none() => p.path.get_ident().map(ToString::to_string),
        _ => None,
    };
    let text = quote! { ::std::boxed::Box<str> };
    match ty {
        syn::Type::Reference(r) if r.mutability.is_none() => match named(&r.elem)?.as_str() {
            "str" | "String" => Some(text),
            _ => None,
        },
        _ => match named(ty)?.as_str() {
            plain @ ("u8" | "u16" | "u32" | "u64" | "u128" | "usize" | "i8" | "i16" | "i32"
            | "i64" | "i128" | "isize" | "bool" | "char") => {
                let plain = format_ident!("{plain}");
                Some(quote! { #plain })
            }
            _ => None,
        },
    }
}

/// The marker type, named after an entry and its storage, through which the runtime proves at
/// compile time that the entry's value can be kept as bytes (with a message naming both when it
/// cannot); `None` on storages that keep values as they are.
pub(super) fn bytes_site(spec: &Spec, what: &str, name: &str, storage: &str) -> Option<Ident> {
    spec.needs_bytes(storage)
        .then(|| format_ident!("{what}_{name}_on_storage_{storage}"))
}
