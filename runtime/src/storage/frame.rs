//! The byte layout of an entry in byte-level tiers (Redis, files): a fixed header with the entry's
//! timestamps, then the codec's payload.
//!
//! ```text
//! 0xAC 0x01 | created_at u64 LE | fresh_until u64 LE | stale_until u64 LE | payload …
//! ```
//!
//! `u64::MAX` stands for "never". Keeping the timestamps in a fixed-size header lets a storage
//! compare payloads without them (so `dedupe_writes` works with a TTL) and rewrite only the header
//! when the payload is unchanged.

use crate::clock::Millis;
use crate::storage::AnyEntry;
use crate::storage::codec::{Codec, CodecError};
use crate::storage::entry::CacheEntry;
use crate::storage::value::ValueType;

const MAGIC: u8 = 0xAC;
const VERSION: u8 = 1;
/// Bytes before the payload.
pub(crate) const HEADER_LEN: usize = 2 + 3 * 8;
const NEVER: u64 = u64::MAX;

/// The header of `entry`'s timestamps.
pub(crate) fn header<V>(entry: &CacheEntry<V>) -> [u8; HEADER_LEN] {
    let mut out = [0u8; HEADER_LEN];
    out[0] = MAGIC;
    out[1] = VERSION;
    out[2..10].copy_from_slice(&entry.created_at.to_le_bytes());
    out[10..18].copy_from_slice(&entry.fresh_until.unwrap_or(NEVER).to_le_bytes());
    out[18..26].copy_from_slice(&entry.stale_until.unwrap_or(NEVER).to_le_bytes());
    out
}

/// Encodes an entry: header, then the value through `codec`.
#[cfg_attr(not(feature = "redis"), allow(dead_code))]
pub(crate) fn encode(
    entry: &AnyEntry,
    ty: &dyn ValueType,
    codec: &Codec,
) -> Result<Vec<u8>, CodecError> {
    let payload = ty.encode(&entry.value, codec)?;
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(&header(entry));
    out.extend_from_slice(&payload);
    Ok(out)
}

/// The timestamps of a frame, without decoding its payload.
pub(crate) fn timestamps(bytes: &[u8]) -> Result<CacheEntry<()>, CodecError> {
    let head = bytes
        .get(..HEADER_LEN)
        .ok_or_else(|| CodecError::Decode(format!("frame shorter than {HEADER_LEN} bytes")))?;
    if head[0] != MAGIC || head[1] != VERSION {
        return Err(CodecError::Decode(format!(
            "not an advanced-caching frame (starts with {:#04x} {:#04x})",
            head[0], head[1]
        )));
    }
    let at = |i: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&head[i..i + 8]);
        u64::from_le_bytes(b)
    };
    let opt = |v: u64| (v != NEVER).then_some(v);
    Ok(CacheEntry {
        value: (),
        created_at: at(2),
        fresh_until: opt(at(10)),
        stale_until: opt(at(18)),
    })
}

/// The payload part of a frame (everything after the header).
pub(crate) fn payload(bytes: &[u8]) -> &[u8] {
    bytes.get(HEADER_LEN..).unwrap_or_default()
}

/// Decodes a frame into an entry; `None` when it is expired at `now`. Bad bytes are an error the
/// caller turns into a miss.
#[cfg_attr(not(feature = "redis"), allow(dead_code))]
pub(crate) fn decode(
    bytes: &[u8],
    ty: &dyn ValueType,
    codec: &Codec,
    now: Millis,
) -> Result<Option<AnyEntry>, CodecError> {
    let stamps = timestamps(bytes)?;
    if stamps.is_expired(now) {
        return Ok(None);
    }
    let value = ty.decode(payload(bytes), codec)?;
    Ok(Some(stamps.map(|()| value)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::value::SerdeValue;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn round_trips_and_rejects_garbage() {
        let ty = SerdeValue::<String>::new();
        let entry = CacheEntry::new(
            Arc::new("v".to_string()) as crate::storage::AnyValue,
            1_000,
            Some(Duration::from_secs(1)),
            None,
        );
        let bytes = encode(&entry, &ty, &Codec::Json).expect("a string encodes");
        assert_eq!(payload(&bytes), br#""v""#);
        let back = decode(&bytes, &ty, &Codec::Json, 1_500)
            .expect("valid frame")
            .expect("live");
        assert_eq!(
            back.value.downcast_ref::<String>().map(String::as_str),
            Some("v")
        );
        assert_eq!(
            (back.fresh_until, back.stale_until),
            (Some(2_000), Some(2_000))
        );
        assert!(
            decode(&bytes, &ty, &Codec::Json, 2_000)
                .expect("valid")
                .is_none()
        );
        assert!(decode(b"junk", &ty, &Codec::Json, 0).is_err());
        assert!(decode(&[0u8; 40], &ty, &Codec::Json, 0).is_err());
    }

    #[test]
    fn never_round_trips() {
        let entry = CacheEntry::new((), 5, None, None);
        let stamps = timestamps(&header(&entry)).expect("valid header");
        assert_eq!(stamps, entry);
    }
}
