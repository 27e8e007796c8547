//! Type-erased values, so one storage can hold values of many types.

use std::any::Any;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::storage::codec::{Codec, CodecError};

/// A decoded value as in-memory tiers hold it: shared, so a hit clones a pointer, not the value.
pub type AnyValue = Arc<dyn Any + Send + Sync>;

/// What a storage needs to know about a value's type to move it between memory and bytes.
///
/// Callers pass one with every storage call; [`SerdeValue`] covers serde types and
/// [`ObjectValue`] types that can only live in memory.
///
/// ```
/// use advanced_caching::storage::{Codec, SerdeValue, ValueType};
/// use std::sync::Arc;
/// let ty = SerdeValue::<u32>::new();
/// let bytes = ty.encode(&(Arc::new(5u32) as _), &Codec::Json).unwrap();
/// assert_eq!(ty.decode(&bytes, &Codec::Json).unwrap().downcast_ref::<u32>(), Some(&5));
/// ```
pub trait ValueType: Send + Sync {
    /// The Rust type's name, for messages.
    fn type_name(&self) -> &'static str;
    /// Encodes a value of this type with `codec`.
    fn encode(&self, value: &AnyValue, codec: &Codec) -> Result<Vec<u8>, CodecError>;
    /// Decodes bytes into a value of this type.
    fn decode(&self, bytes: &[u8], codec: &Codec) -> Result<AnyValue, CodecError>;
}

/// Runs a serde impl of the user's, turning a panic in it into a codec error.
fn contained<R>(which: &str, f: impl FnOnce() -> R) -> Result<R, CodecError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|_| {
        let message = format!("the value's {which} panicked");
        if which == "Serialize" {
            CodecError::Encode(message)
        } else {
            CodecError::Decode(message)
        }
    })
}

/// The [`ValueType`] of a serde type.
///
/// ```
/// let _ty = advanced_caching::storage::SerdeValue::<String>::new();
/// ```
pub struct SerdeValue<T>(PhantomData<fn() -> T>);

impl<T> SerdeValue<T> {
    /// The value type of `T`.
    pub const fn new() -> Self {
        Self(PhantomData)
    }
}

impl<T> Default for SerdeValue<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> ValueType for SerdeValue<T>
where
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
{
    fn type_name(&self) -> &'static str {
        std::any::type_name::<T>()
    }

    fn encode(&self, value: &AnyValue, codec: &Codec) -> Result<Vec<u8>, CodecError> {
        let typed = value.downcast_ref::<T>().ok_or_else(|| {
            CodecError::Encode(format!("value is not a {}", std::any::type_name::<T>()))
        })?;
        // A `Serialize` that panics is the value's fault, not the caller's: the write fails
        // (counted as a storage error) and the value is still returned.
        contained("Serialize", || codec.encode(typed)).and_then(|r| r)
    }

    fn decode(&self, bytes: &[u8], codec: &Codec) -> Result<AnyValue, CodecError> {
        let value = contained("Deserialize", || codec.decode::<T>(bytes)).and_then(|r| r)?;
        Ok(Arc::new(value))
    }
}

/// The [`ValueType`] of a type without serde support: it can be cached in memory only, and a byte
/// tier reports [`CodecError::NotSerializable`].
///
/// ```
/// use advanced_caching::storage::{Codec, ObjectValue, ValueType};
/// struct Handle;
/// assert!(ObjectValue::<Handle>::new().decode(b"x", &Codec::Json).is_err());
/// ```
pub struct ObjectValue<T>(PhantomData<fn() -> T>);

impl<T> ObjectValue<T> {
    /// The value type of `T`.
    pub const fn new() -> Self {
        Self(PhantomData)
    }
}

impl<T> Default for ObjectValue<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Send + Sync + 'static> ValueType for ObjectValue<T> {
    fn type_name(&self) -> &'static str {
        std::any::type_name::<T>()
    }

    fn encode(&self, _value: &AnyValue, _codec: &Codec) -> Result<Vec<u8>, CodecError> {
        Err(CodecError::NotSerializable(std::any::type_name::<T>()))
    }

    fn decode(&self, _bytes: &[u8], _codec: &Codec) -> Result<AnyValue, CodecError> {
        Err(CodecError::NotSerializable(std::any::type_name::<T>()))
    }
}
