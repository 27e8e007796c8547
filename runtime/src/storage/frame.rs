//! The byte layout of an entry in byte-level tiers (Redis, files): a fixed header with the entry's
//! timestamps, then the codec's payload.
//!
//! ```text
//! 0xAC 0x01 | created_at u64 LE | fresh_until u64 LE | stale_until u64 LE | payload …
//! 0xAC 0x02 | created_at u64 LE | fresh_until u64 LE | stale_until u64 LE | fallback_until u64 LE | payload …
//! 0xAC 0x03 | created_at u64 LE | fresh_until u64 LE | stale_until u64 LE | fallback_until u64 LE | load_millis u32 LE | payload …
//! ```
//!
//! Version 2 is written only for an entry with a fail-safe window, and version 3 only for one
//! that records its load time (`early_refresh = "xfetch"`; its `fallback_until` is 0 when it
//! has no fail-safe window), so other entries are the bytes earlier releases wrote and read.
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
/// Bytes before the payload of a version-1 frame (no fail-safe window): what locks use.
pub(crate) const HEADER_LEN: usize = 2 + 3 * 8;
/// Bytes before the payload of a version-2 frame (with a fail-safe window).
const HEADER_LEN_V2: usize = HEADER_LEN + 8;
/// Bytes before the payload of a version-3 frame (with a load time).
const HEADER_LEN_V3: usize = HEADER_LEN_V2 + 4;
/// The longest header.
pub(crate) const MAX_HEADER_LEN: usize = HEADER_LEN_V3;
const NEVER: u64 = u64::MAX;

/// The header of `entry`'s timestamps (version 2 only when it has a fail-safe window, 3 only
/// when it records its load time).
pub(crate) fn header<V>(entry: &CacheEntry<V>) -> Vec<u8> {
    let mut out = Vec::with_capacity(MAX_HEADER_LEN);
    push_header(entry, &mut out);
    out
}

/// Appends `entry`'s header to `out` (a frame being built, without a buffer of its own).
pub(crate) fn push_header<V>(entry: &CacheEntry<V>, out: &mut Vec<u8>) {
    let version = match (entry.load_millis, entry.fallback_until) {
        (Some(_), _) => 3,
        (None, Some(_)) => 2,
        (None, None) => 1,
    };
    out.push(MAGIC);
    out.push(version);
    out.extend_from_slice(&entry.created_at.to_le_bytes());
    out.extend_from_slice(&entry.fresh_until.unwrap_or(NEVER).to_le_bytes());
    out.extend_from_slice(&entry.stale_until.unwrap_or(NEVER).to_le_bytes());
    if version >= 2 {
        out.extend_from_slice(&entry.fallback_until.unwrap_or(0).to_le_bytes());
    }
    if let Some(took) = entry.load_millis {
        out.extend_from_slice(&took.to_le_bytes());
    }
}

/// The length of the header `bytes` start with, by its version.
pub(crate) fn header_len(bytes: &[u8]) -> Result<usize, CodecError> {
    match bytes {
        [MAGIC, 1, ..] => Ok(HEADER_LEN),
        [MAGIC, 2, ..] => Ok(HEADER_LEN_V2),
        [MAGIC, 3, ..] => Ok(HEADER_LEN_V3),
        [a, b, ..] => Err(CodecError::Decode(format!(
            "not an advanced-caching frame (starts with {a:#04x} {b:#04x})"
        ))),
        _ => Err(CodecError::Decode("frame shorter than its header".into())),
    }
}

/// Encodes an entry: header, then the value through `codec`.
#[cfg_attr(not(feature = "redis"), allow(dead_code))]
pub(crate) fn encode(
    entry: &AnyEntry,
    ty: &dyn ValueType,
    codec: &Codec,
) -> Result<Vec<u8>, CodecError> {
    let payload = ty.encode(&entry.value, codec)?;
    let mut out = Vec::with_capacity(MAX_HEADER_LEN + payload.len());
    push_header(entry, &mut out);
    out.extend_from_slice(&payload);
    Ok(out)
}

/// The timestamps of a frame, without decoding its payload.
pub(crate) fn timestamps(bytes: &[u8]) -> Result<CacheEntry<()>, CodecError> {
    let len = header_len(bytes)?;
    let head = bytes
        .get(..len)
        .ok_or_else(|| CodecError::Decode(format!("frame shorter than {len} bytes")))?;
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
        fallback_until: (len >= HEADER_LEN_V2).then(|| at(26)).filter(|f| *f != 0),
        load_millis: (len == HEADER_LEN_V3).then(|| {
            let mut b = [0u8; 4];
            b.copy_from_slice(&head[34..38]);
            u32::from_le_bytes(b)
        }),
    })
}

/// The payload part of a frame (everything after the header).
pub(crate) fn payload(bytes: &[u8]) -> &[u8] {
    let len = header_len(bytes).unwrap_or(HEADER_LEN);
    bytes.get(len..).unwrap_or_default()
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
    fn a_fail_safe_window_is_a_version_2_frame_and_version_1_still_reads() {
        let ty = SerdeValue::<u8>::new();
        let plain = CacheEntry::new(
            Arc::new(1u8) as crate::storage::AnyValue,
            0,
            Some(Duration::from_secs(1)),
            None,
        );
        let kept = plain.clone().with_fallback(Some(Duration::from_secs(9)));
        let (v1, v2) = (
            encode(&plain, &ty, &Codec::Json).expect("encodes"),
            encode(&kept, &ty, &Codec::Json).expect("encodes"),
        );
        assert_eq!((v1[1], v1.len()), (1, HEADER_LEN + 1));
        assert_eq!((v2[1], v2.len()), (2, HEADER_LEN_V2 + 1));
        assert_eq!(payload(&v2), b"1");
        assert_eq!(timestamps(&v2).expect("valid").fallback_until, Some(10_000));
        // Past its TTL, the plain entry is gone; the kept one reads as a fallback until 10 s.
        assert!(
            decode(&v1, &ty, &Codec::Json, 5_000)
                .expect("valid")
                .is_none()
        );
        let back = decode(&v2, &ty, &Codec::Json, 5_000)
            .expect("valid")
            .expect("kept");
        assert_eq!(back.freshness(5_000), crate::storage::Freshness::Fallback);
        assert!(
            decode(&v2, &ty, &Codec::Json, 10_000)
                .expect("valid")
                .is_none()
        );
    }

    #[test]
    fn a_load_time_is_a_version_3_frame_with_or_without_a_fail_safe_window() {
        let ty = SerdeValue::<u8>::new();
        let plain = CacheEntry::new(
            Arc::new(1u8) as crate::storage::AnyValue,
            0,
            Some(Duration::from_secs(1)),
            None,
        )
        .with_load_time(Some(Duration::from_millis(50)));
        let kept = plain.clone().with_fallback(Some(Duration::from_secs(9)));
        for (entry, fallback) in [(&plain, None), (&kept, Some(10_000))] {
            let bytes = encode(entry, &ty, &Codec::Json).expect("encodes");
            assert_eq!((bytes[1], bytes.len()), (3, HEADER_LEN_V3 + 1));
            assert_eq!(payload(&bytes), b"1");
            let stamps = timestamps(&bytes).expect("valid");
            assert_eq!(
                (stamps.fallback_until, stamps.load_millis),
                (fallback, Some(50))
            );
        }
    }

    #[test]
    fn never_round_trips() {
        let entry = CacheEntry::new((), 5, None, None);
        let stamps = timestamps(&header(&entry)).expect("valid header");
        assert_eq!(stamps, entry);
    }
}
