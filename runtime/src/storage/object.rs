//! What the object storages (S3, GCS) share: object names, and entries as a body (the codec's
//! payload, maybe deflated) plus metadata that carries the timestamps, the compression flag and a
//! content hash (for `dedupe_writes`).

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use super::{AnyEntry, deflate};
use crate::clock::Millis;
use crate::storage::codec::{Codec, CodecError};
use crate::storage::entry::CacheEntry;
use crate::storage::value::ValueType;

const CREATED: &str = "ac-created";
const FRESH_UNTIL: &str = "ac-fresh-until";
const STALE_UNTIL: &str = "ac-stale-until";
/// The end of the fail-safe window (`never` or absent: none).
const FALLBACK_UNTIL: &str = "ac-fallback-until";
/// The load time of an entry that records it (`early_refresh = "xfetch"`), in milliseconds.
const LOAD_MILLIS: &str = "ac-load-millis";
const COMPRESSED: &str = "ac-compressed";
const CONTENT_HASH: &str = "ac-sha256";
const NEVER: &str = "never";

/// Object metadata as both SDKs take it.
pub(crate) type Metadata = HashMap<String, String>;

/// The object name of `key`: `prefix` + `k/` + the key when it is short and plain, otherwise
/// `prefix` + `h/` + its SHA-256, so any key (long, control characters, `..`) maps to a valid,
/// distinct object name.
pub(crate) fn object_name(prefix: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key.len() <= 512
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:/=@,".contains(&b))
        && !key.split('/').any(|seg| seg == "." || seg == "..");
    if plain {
        format!("{prefix}k/{key}")
    } else {
        format!("{prefix}h/{}", hex(&Sha256::digest(key.as_bytes())))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn stamp(v: Option<Millis>) -> String {
    v.map_or_else(|| NEVER.to_owned(), |m| m.to_string())
}

/// The body and metadata of `entry`.
pub(crate) fn encode(
    entry: &AnyEntry,
    ty: &dyn ValueType,
    codec: &Codec,
    compression: bool,
) -> Result<(Vec<u8>, Metadata), CodecError> {
    let payload = ty.encode(&entry.value, codec)?;
    let body = if compression {
        deflate::compress(&payload)?
    } else {
        payload
    };
    let mut meta = timestamps_metadata(entry);
    meta.insert(
        COMPRESSED.into(),
        if compression { "1" } else { "0" }.into(),
    );
    meta.insert(CONTENT_HASH.into(), hex(&Sha256::digest(&body)));
    Ok((body, meta))
}

/// The timestamp part of an entry's metadata (what a deduplicated write moves).
pub(crate) fn timestamps_metadata<V>(entry: &CacheEntry<V>) -> Metadata {
    let mut meta = HashMap::from([
        (CREATED.to_owned(), entry.created_at.to_string()),
        (FRESH_UNTIL.to_owned(), stamp(entry.fresh_until)),
        (STALE_UNTIL.to_owned(), stamp(entry.stale_until)),
        (FALLBACK_UNTIL.to_owned(), stamp(entry.fallback_until)),
    ]);
    if let Some(took) = entry.load_millis {
        meta.insert(LOAD_MILLIS.to_owned(), took.to_string());
    }
    meta
}

/// The stored content hash.
pub(crate) fn content_hash(meta: &Metadata) -> Option<&str> {
    meta.get(CONTENT_HASH).map(String::as_str)
}

/// The entry's timestamps from its metadata.
pub(crate) fn timestamps(meta: &Metadata) -> Result<CacheEntry<()>, CodecError> {
    let field = |name: &str| -> Result<Option<Millis>, CodecError> {
        match meta.get(name).map(String::as_str) {
            Some(NEVER) => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| CodecError::Decode(format!("metadata {name} = {v:?}"))),
            None => Err(CodecError::Decode(format!(
                "metadata {name} missing: not an advanced-caching object"
            ))),
        }
    };
    Ok(CacheEntry {
        value: (),
        created_at: field(CREATED)?.unwrap_or(0),
        fresh_until: field(FRESH_UNTIL)?,
        stale_until: field(STALE_UNTIL)?,
        // Objects written before fail-safe windows existed have none.
        fallback_until: match meta.contains_key(FALLBACK_UNTIL) {
            true => field(FALLBACK_UNTIL)?,
            false => None,
        },
        // Recorded only by functions with `early_refresh = "xfetch"`; a bad one is not recorded.
        load_millis: meta.get(LOAD_MILLIS).and_then(|v| v.parse().ok()),
    })
}

/// True when the metadata says the entry is past every window at `now` (or is not ours).
pub(crate) fn is_expired(meta: &Metadata, now: Millis) -> bool {
    timestamps(meta).map_or(true, |s| s.is_expired(now))
}

/// Decodes an object; `None` when it is expired at `now`.
pub(crate) fn decode(
    body: &[u8],
    meta: &Metadata,
    ty: &dyn ValueType,
    codec: &Codec,
    now: Millis,
) -> Result<Option<AnyEntry>, CodecError> {
    let stamps = timestamps(meta)?;
    if stamps.is_expired(now) {
        return Ok(None);
    }
    let payload = if meta.get(COMPRESSED).is_some_and(|v| v == "1") {
        deflate::inflate(body)?
    } else {
        body.to_vec()
    };
    let value = ty.decode(&payload, codec)?;
    Ok(Some(stamps.map(|()| value)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::value::SerdeValue;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn names_are_plain_or_hashed_and_distinct() {
        assert_eq!(object_name("p/", "user:1"), "p/k/user:1");
        let hashed = object_name("p/", "../../etc/passwd");
        assert!(hashed.starts_with("p/h/") && hashed.len() == 4 + 64);
        assert_ne!(object_name("", "a b"), object_name("", "a_b"));
        assert!(object_name("", &"x".repeat(10_000)).len() < 100);
        assert!(object_name("", "").starts_with("h/"));
    }

    #[test]
    fn metadata_round_trips_and_expires() {
        let ty = SerdeValue::<String>::new();
        let entry = CacheEntry::new(
            Arc::new("v".repeat(100)) as crate::storage::AnyValue,
            1_000,
            Some(Duration::from_secs(1)),
            None,
        );
        let (body, meta) = encode(&entry, &ty, &Codec::Json, true).expect("encodes");
        assert!(content_hash(&meta).is_some());
        let back = decode(&body, &meta, &ty, &Codec::Json, 1_500)
            .expect("decodes")
            .expect("live");
        assert_eq!(back.value.downcast_ref::<String>(), Some(&"v".repeat(100)));
        assert!(
            decode(&body, &meta, &ty, &Codec::Json, 2_000)
                .expect("ok")
                .is_none()
        );
        assert!(
            is_expired(&Metadata::new(), 0),
            "foreign objects are no entries"
        );
    }
}
