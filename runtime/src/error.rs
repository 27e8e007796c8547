//! Typed errors of storages and caches.

use std::fmt;

/// A storage operation failed. Caches treat a failed read as a miss and a failed write as a
/// reported, dropped write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageError {
    /// The backend could not be reached or answered with an error.
    Backend {
        /// Which storage (its kind or name).
        storage: String,
        /// What went wrong.
        message: String,
    },
    /// The command was sent and no answer came back (a timeout, a dropped connection): the
    /// backend may still apply it. A write in this state is announced to other processes as if
    /// it had happened.
    Uncertain {
        /// Which storage (its kind or name).
        storage: String,
        /// What went wrong.
        message: String,
    },
    /// A payload could not be encoded or decoded.
    Codec(CodecError),
    /// The storage is misconfigured (a bad URL, a missing bucket).
    Config(String),
    /// The storage is down and its circuit breaker is open: the call was skipped without waiting.
    Unavailable {
        /// Which kind of storage.
        storage: &'static str,
    },
}

impl StorageError {
    /// A backend error of `storage`.
    pub fn backend(storage: impl Into<String>, message: impl fmt::Display) -> Self {
        Self::Backend {
            storage: storage.into(),
            message: message.to_string(),
        }
    }
}

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Backend { storage, message } => write!(f, "{storage} storage: {message}"),
            Self::Uncertain { storage, message } => {
                write!(f, "{storage} storage: {message} (it may still be applied)")
            }
            Self::Codec(e) => write!(f, "{e}"),
            Self::Config(e) => write!(f, "storage configuration: {e}"),
            Self::Unavailable { storage } => {
                write!(f, "{storage} storage is down (breaker open): skipped")
            }
        }
    }
}

impl std::error::Error for StorageError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Codec(e) => Some(e),
            _ => None,
        }
    }
}

impl From<CodecError> for StorageError {
    fn from(e: CodecError) -> Self {
        Self::Codec(e)
    }
}

/// An error of the cache machinery itself (never a loader's error, which is returned as is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheError {
    /// A second background writer was registered for a key that already has one in this process.
    DuplicateWriter {
        /// The key both writers would fill.
        key: String,
    },
    /// A storage failed.
    Storage(StorageError),
    /// A reader found no value in its own storage nor in its source, and has no fallback loader.
    NotLoaded {
        /// The key that was read.
        key: String,
    },
    /// Background work could not be started (no runtime could be built).
    Runtime(String),
    /// The loader context was supplied twice to one instance (the first one stays).
    ContextAlreadySet,
    /// A process-wide instance was installed after it was installed or used.
    AlreadyInstalled,
}

impl fmt::Display for CacheError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DuplicateWriter { key } => write!(
                f,
                "a background writer for key `{key}` is already registered on this storage in this process"
            ),
            Self::Storage(e) => write!(f, "{e}"),
            Self::NotLoaded { key } => write!(f, "no value has been loaded yet for key `{key}`"),
            Self::Runtime(e) => write!(f, "cannot start background work: {e}"),
            Self::AlreadyInstalled => write!(
                f,
                "the process-wide instance was already installed or used: install it once, before the first cached call"
            ),
            Self::ContextAlreadySet => write!(
                f,
                "the loader context of this cache instance was already supplied (it is set once)"
            ),
        }
    }
}

impl std::error::Error for CacheError {}

impl From<StorageError> for CacheError {
    fn from(e: StorageError) -> Self {
        Self::Storage(e)
    }
}

/// A failure to encode or decode a payload. A payload that fails to decode is a miss, never a panic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodecError {
    /// The value could not be encoded.
    Encode(String),
    /// The bytes are not a valid payload for the expected type.
    Decode(String),
    /// The value's type has no serde support, so it can only live in an in-memory tier.
    NotSerializable(&'static str),
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Encode(e) => write!(f, "cannot encode value: {e}"),
            Self::Decode(e) => write!(f, "cannot decode payload: {e}"),
            Self::NotSerializable(t) => write!(
                f,
                "type `{t}` is not serializable and can only be cached in memory"
            ),
        }
    }
}

impl std::error::Error for CodecError {}

/// A load took longer than its function's `hard_timeout`, and no fallback was at hand: what a
/// caller gets instead of the value, converted into the loader's own error type (which must
/// implement `From<LoadTimeout>`). The load itself goes on and stores its value when it ends;
/// the next caller joins it.
///
/// ```
/// use advanced_caching::LoadTimeout;
/// use std::time::Duration;
/// #[derive(Debug)]
/// enum Error { Timeout(LoadTimeout) }
/// impl From<LoadTimeout> for Error {
///     fn from(t: LoadTimeout) -> Self { Error::Timeout(t) }
/// }
/// let e = Error::from(LoadTimeout { function: "get_user".into(), after: Duration::from_secs(2) });
/// let Error::Timeout(t) = e;
/// assert_eq!(t.to_string(), "get_user: no value within its hard timeout of 2s (the load goes on)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadTimeout {
    /// The cached function whose load was too slow.
    pub function: String,
    /// Its hard timeout.
    pub after: std::time::Duration,
}

impl fmt::Display for LoadTimeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: no value within its hard timeout of {:?} (the load goes on)",
            self.function, self.after
        )
    }
}

impl std::error::Error for LoadTimeout {}
