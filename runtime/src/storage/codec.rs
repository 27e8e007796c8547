//! Codecs turn values into bytes for byte-level tiers (Redis, object storage, files).
//!
//! In-memory tiers keep decoded values and never use a codec on a hit.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

pub use crate::error::CodecError;

/// A user-supplied codec, plugged in with [`Codec::Custom`].
///
/// It works on type-erased serde values so one codec serves every cached type.
///
/// ```
/// use advanced_caching::storage::{Codec, CodecError, UserCodec};
/// use std::sync::Arc;
///
/// /// JSON behind a one-byte version tag.
/// #[derive(Debug)]
/// struct TaggedJson;
/// impl UserCodec for TaggedJson {
///     fn name(&self) -> &str { "tagged-json" }
///     fn encode(&self, value: &dyn erased_serde::Serialize) -> Result<Vec<u8>, CodecError> {
///         let mut out = vec![1u8];
///         serde_json::to_writer(&mut out, value).map_err(|e| CodecError::Encode(e.to_string()))?;
///         Ok(out)
///     }
///     fn decode(
///         &self,
///         bytes: &[u8],
///         sink: &mut dyn FnMut(&mut dyn erased_serde::Deserializer<'_>) -> Result<(), erased_serde::Error>,
///     ) -> Result<(), CodecError> {
///         let body = bytes.strip_prefix(&[1u8]).ok_or(CodecError::Decode("bad tag".into()))?;
///         let mut de = serde_json::Deserializer::from_slice(body);
///         sink(&mut <dyn erased_serde::Deserializer>::erase(&mut de))
///             .map_err(|e| CodecError::Decode(e.to_string()))
///     }
/// }
/// let codec = Codec::Custom(Arc::new(TaggedJson));
/// let bytes = codec.encode(&vec![1, 2]).unwrap();
/// assert_eq!(codec.decode::<Vec<i32>>(&bytes).unwrap(), vec![1, 2]);
/// ```
pub trait UserCodec: Send + Sync + fmt::Debug + 'static {
    /// A short name for logs.
    fn name(&self) -> &str;
    /// Encodes one value.
    fn encode(&self, value: &dyn erased_serde::Serialize) -> Result<Vec<u8>, CodecError>;
    /// Decodes `bytes` by handing a deserializer over them to `sink`.
    fn decode(
        &self,
        bytes: &[u8],
        sink: &mut dyn FnMut(
            &mut dyn erased_serde::Deserializer<'_>,
        ) -> Result<(), erased_serde::Error>,
    ) -> Result<(), CodecError>;
}

/// How a byte-level storage encodes values.
///
/// ```
/// use advanced_caching::storage::Codec;
/// let bytes = Codec::Json.encode(&("a", 1)).unwrap();
/// assert_eq!(bytes, br#"["a",1]"#);
/// let back: (String, i32) = Codec::Binary.decode(&Codec::Binary.encode(&("a", 1)).unwrap()).unwrap();
/// assert_eq!(back, ("a".to_string(), 1));
/// ```
#[derive(Debug, Clone, Default)]
pub enum Codec {
    /// Human-readable JSON (serde_json).
    Json,
    /// A compact binary format (postcard), the default.
    #[default]
    Binary,
    /// A codec of the user's own.
    Custom(Arc<dyn UserCodec>),
}

impl Codec {
    /// The codec's name: `json`, `binary` or the custom codec's name.
    pub fn name(&self) -> &str {
        match self {
            Self::Json => "json",
            Self::Binary => "binary",
            Self::Custom(c) => c.name(),
        }
    }

    /// Encodes a value.
    pub fn encode<T: Serialize + ?Sized>(&self, value: &T) -> Result<Vec<u8>, CodecError> {
        match self {
            Self::Json => serde_json::to_vec(value).map_err(|e| CodecError::Encode(e.to_string())),
            Self::Binary => {
                postcard::to_stdvec(value).map_err(|e| CodecError::Encode(e.to_string()))
            }
            Self::Custom(c) => c.encode(&value),
        }
    }

    /// Decodes a value; bad bytes give [`CodecError::Decode`].
    pub fn decode<T: DeserializeOwned>(&self, bytes: &[u8]) -> Result<T, CodecError> {
        match self {
            Self::Json => {
                serde_json::from_slice(bytes).map_err(|e| CodecError::Decode(e.to_string()))
            }
            Self::Binary => {
                postcard::from_bytes(bytes).map_err(|e| CodecError::Decode(e.to_string()))
            }
            Self::Custom(c) => {
                let mut out = None;
                c.decode(bytes, &mut |de| {
                    out = Some(erased_serde::deserialize::<T>(de)?);
                    Ok(())
                })?;
                out.ok_or_else(|| CodecError::Decode(format!("{} produced no value", c.name())))
            }
        }
    }
}

/// How a byte storage writes payloads: the codec, whether it deflates them, and whether an
/// unchanged payload skips the rewrite (by default: binary, neither).
#[derive(Clone, Default)]
pub(crate) struct Encoding {
    pub(crate) codec: Codec,
    pub(crate) compression: bool,
    pub(crate) dedupe: bool,
}

impl fmt::Debug for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Encoding")
            .field("codec", &self.codec.name())
            .field("compression", &self.compression)
            .field("dedupe_writes", &self.dedupe)
            .finish()
    }
}
