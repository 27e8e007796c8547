//! The local-file storage: one file per key under a directory.
//!
//! A file holds the entry's timestamps (the frame header), a flags byte, the key itself and the
//! payload:
//!
//! ```text
//! frame header (26 bytes) | flags u8 | key length u32 LE | key | payload (maybe deflated)
//! ```
//!
//! The file's name is a digest of the key, so no key can escape the directory or collide with
//! another (the stored key is compared on read, too). Writes go to a temp file that is renamed over
//! the target, so a reader sees the old file or the new one, never a torn one.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::{AnyEntry, BoxFuture, Storage, StorageResult, deflate, frame, ready};
use crate::clock::{Millis, SharedClock, system_clock};
use crate::error::StorageError;
use crate::storage::codec::{Codec, CodecError, Encoding};
use crate::storage::entry::CacheEntry;
use crate::storage::value::ValueType;

mod builder;
mod ops;

pub use self::builder::FileStorageBuilder;

const COMPRESSED: u8 = 1;
const EXTENSION: &str = "entry";
const TEMP_PREFIX: &str = ".tmp-";
const NX_LOCK: &str = ".set-if-not-exists.lock";
/// Temp files older than this are left over by a writer that died, and `cleanup_expired` removes them.
const STRAY_TEMP_AGE: Duration = Duration::from_secs(60);

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A storage of one file per key under a directory: atomic writes (temp + rename), expiry kept
/// with the payload, optional compression, `dedupe_writes`, a `set_if_not_exists` that is atomic
/// across threads and processes, and `cleanup_expired` that also removes temp files left by
/// writers that died. Safe for several processes sharing the directory.
///
/// ```
/// use advanced_caching::storage::{FileStorage, StorageExt};
/// use std::time::Duration;
/// let dir = std::env::temp_dir().join(format!("advanced-caching-doc-{}", std::process::id()));
/// let files = FileStorage::new(&dir).unwrap();
/// files.set_blocking_typed("../../etc/passwd", &"safe".to_string(), Some(Duration::from_secs(60))).unwrap();
/// assert_eq!(files.get_blocking_typed::<String>("../../etc/passwd").unwrap().as_deref(), Some("safe"));
/// # std::fs::remove_dir_all(&dir).ok();
/// ```
pub struct FileStorage {
    dir: PathBuf,
    encoding: Encoding,
    fsync: bool,
    clock: SharedClock,
    deduped: AtomicU64,
}

impl fmt::Debug for FileStorage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileStorage")
            .field("dir", &self.dir)
            .field("encoding", &self.encoding)
            .finish()
    }
}

fn io_error(op: &str, path: &Path, e: io::Error) -> StorageError {
    StorageError::backend("file", format!("{op} {}: {e}", path.display()))
}

/// A stored file, parsed.
struct Stored {
    stamps: CacheEntry<()>,
    /// The length of its frame header (by the frame's version).
    header_len: usize,
    compressed: bool,
    key: Vec<u8>,
    payload: Vec<u8>,
}

fn parse(mut bytes: Vec<u8>) -> Result<Stored, CodecError> {
    let stamps = frame::timestamps(&bytes)?;
    let rest = frame::payload(&bytes);
    let bad = || CodecError::Decode("truncated cache file".into());
    let (&flags, rest) = rest.split_first().ok_or_else(bad)?;
    let len_bytes: [u8; 4] = rest
        .get(..4)
        .ok_or_else(bad)?
        .try_into()
        .map_err(|_| bad())?;
    let key_len = u32::from_le_bytes(len_bytes) as usize;
    let key = rest.get(4..4 + key_len).ok_or_else(bad)?.to_vec();
    let start = frame::header_len(&bytes)? + 1 + 4 + key_len;
    let payload = bytes.split_off(start);
    Ok(Stored {
        stamps,
        header_len: start - 1 - 4 - key_len,
        compressed: flags & COMPRESSED != 0,
        key,
        payload,
    })
}

impl FileStorage {
    /// A storage in `dir` with the defaults (binary codec, no compression).
    pub fn new(dir: impl AsRef<Path>) -> Result<Self, StorageError> {
        Self::builder(dir).build()
    }

    /// A builder for a storage in `dir`.
    pub fn builder(dir: impl AsRef<Path>) -> FileStorageBuilder {
        FileStorageBuilder {
            dir: dir.as_ref().to_path_buf(),
            encoding: Encoding::default(),
            fsync: false,
            clock: None,
        }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// How many writes found the same payload stored and only moved its timestamps.
    pub fn deduplicated_writes(&self) -> u64 {
        self.deduped.load(Ordering::Relaxed)
    }

    /// The file of `key`: a readable, sanitized start of the key and its SHA-256.
    pub fn path_of(&self, key: &str) -> PathBuf {
        let readable: String = key
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
            .take(32)
            .collect();
        let digest = Sha256::digest(key.as_bytes());
        let mut name = String::with_capacity(readable.len() + 70);
        name.push_str(&readable);
        name.push('-');
        for b in digest {
            name.push_str(&format!("{b:02x}"));
        }
        name.push('.');
        name.push_str(EXTENSION);
        self.dir.join(name)
    }

    /// Reads and parses the file of `key`; `None` when absent, or when the file belongs to
    /// another key (a digest collision, never seen, but checked).
    fn read_file(&self, key: &str) -> StorageResult<Option<Stored>> {
        let path = self.path_of(key);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error("read", &path, e)),
        };
        let stored = parse(bytes).map_err(|e| {
            tracing::warn!(path = %path.display(), error = %e, "bad cache file; treated as a miss");
            StorageError::Codec(e)
        })?;
        Ok((stored.key == key.as_bytes()).then_some(stored))
    }

    fn encode_payload(&self, entry: &AnyEntry, ty: &dyn ValueType) -> StorageResult<Vec<u8>> {
        let payload = ty.encode(&entry.value, &self.encoding.codec)?;
        if !self.encoding.compression {
            return Ok(payload);
        }
        Ok(deflate::compress(&payload)?)
    }

    fn file_bytes(&self, key: &str, entry: &AnyEntry, payload: &[u8]) -> StorageResult<Vec<u8>> {
        let key_len = u32::try_from(key.len())
            .map_err(|_| StorageError::Codec(CodecError::Encode("key longer than 4 GiB".into())))?;
        let mut out = Vec::with_capacity(frame::MAX_HEADER_LEN + 5 + key.len() + payload.len());
        frame::push_header(entry, &mut out);
        out.push(if self.encoding.compression {
            COMPRESSED
        } else {
            0
        });
        out.extend_from_slice(&key_len.to_le_bytes());
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(payload);
        Ok(out)
    }

    /// Writes `bytes` to a new temp file in the directory and returns its path.
    fn write_temp(&self, bytes: &[u8]) -> StorageResult<PathBuf> {
        let tmp = self.dir.join(format!(
            "{TEMP_PREFIX}{}-{}",
            std::process::id(),
            TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let write = || -> io::Result<()> {
            let open = || OpenOptions::new().write(true).create_new(true).open(&tmp);
            let mut f = match open() {
                // The directory vanished at run time (cleaned up by hand, a tmpfs reset):
                // recreate it, so the storage heals instead of failing every write.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    fs::create_dir_all(&self.dir)?;
                    tracing::warn!(dir = %self.dir.display(), "cache directory was gone; recreated");
                    open()?
                }
                other => other?,
            };
            f.write_all(bytes)?;
            if self.fsync {
                f.sync_all()?;
            }
            Ok(())
        };
        write().map_err(|e| {
            let _ = fs::remove_file(&tmp);
            io_error("write", &tmp, e)
        })?;
        Ok(tmp)
    }

    fn replace(&self, key: &str, bytes: &[u8]) -> StorageResult<()> {
        let tmp = self.write_temp(bytes)?;
        let path = self.path_of(key);
        fs::rename(&tmp, &path).map_err(|e| {
            let _ = fs::remove_file(&tmp);
            io_error("rename", &path, e)
        })?;
        if self.fsync {
            File::open(&self.dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| io_error("sync", &self.dir, e))?;
        }
        Ok(())
    }

    /// With `dedupe_writes`: when the stored payload equals `payload`, moves the timestamps in
    /// place and reports true.
    fn try_dedupe(&self, key: &str, entry: &AnyEntry, payload: &[u8]) -> bool {
        let Ok(Some(stored)) = self.read_file(key) else {
            return false;
        };
        let header = frame::header(entry);
        // The header is rewritten in place only over one of the same length (version).
        if stored.payload != payload
            || stored.compressed != self.encoding.compression
            || stored.header_len != header.len()
        {
            return false;
        }
        let path = self.path_of(key);
        let moved = OpenOptions::new()
            .write(true)
            .open(&path)
            // A fresh handle writes from offset 0: the header is rewritten in place.
            .and_then(|mut f| f.write_all(&header));
        match moved {
            Ok(()) => {
                self.deduped.fetch_add(1, Ordering::Relaxed);
                true
            }
            Err(_) => false,
        }
    }

    fn decode(&self, stored: Stored, ty: &dyn ValueType) -> StorageResult<AnyEntry> {
        let payload = if stored.compressed {
            deflate::inflate(&stored.payload)?
        } else {
            stored.payload
        };
        let value = ty.decode(&payload, &self.encoding.codec)?;
        Ok(stored.stamps.map(|()| value))
    }

    fn is_temp(name: &str) -> bool {
        name.starts_with(TEMP_PREFIX)
    }
}

impl Storage for FileStorage {
    fn kind(&self) -> &'static str {
        "file"
    }

    fn now(&self) -> Millis {
        self.clock.now_millis()
    }

    // File I/O is done in the call (as a blocking caller would do it): the future is ready.
    fn get_entry<'a>(
        &'a self,
        key: &'a str,
        ty: &'a dyn ValueType,
    ) -> BoxFuture<'a, StorageResult<Option<AnyEntry>>> {
        ready(self.read_live(key, ty))
    }

    fn set_entry<'a>(
        &'a self,
        key: &'a str,
        entry: AnyEntry,
        ty: &'a dyn ValueType,
    ) -> BoxFuture<'a, StorageResult<()>> {
        ready(self.write(key, entry, ty))
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, StorageResult<bool>> {
        ready(self.remove(key))
    }

    fn exists<'a>(&'a self, key: &'a str) -> BoxFuture<'a, StorageResult<bool>> {
        ready(self.is_live(key))
    }

    fn set_if_not_exists<'a>(
        &'a self,
        key: &'a str,
        entry: AnyEntry,
        ty: &'a dyn ValueType,
    ) -> BoxFuture<'a, StorageResult<bool>> {
        ready(self.write_if_absent(key, entry, ty))
    }

    fn cleanup_expired(&self) -> BoxFuture<'_, StorageResult<usize>> {
        ready(self.remove_expired())
    }
}
