//! Configuring a file storage: directory, codec, compression, dedupe, fsync.

use super::*;

/// Configures a [`FileStorage`].
///
/// ```
/// use advanced_caching::storage::{Codec, FileStorage};
/// let dir = std::env::temp_dir().join("advanced-caching-doc-builder");
/// let storage = FileStorage::builder(&dir).codec(Codec::Json).compression(true).build().unwrap();
/// # std::fs::remove_dir_all(&dir).ok();
/// ```
#[derive(Debug, Clone)]
pub struct FileStorageBuilder {
    pub(super) dir: PathBuf,
    pub(super) encoding: Encoding,
    pub(super) fsync: bool,
    pub(super) clock: Option<SharedClock>,
}

impl FileStorageBuilder {
    byte_storage_setters!(
        compression: "Deflates payloads.",
        dedupe_writes: "When on, writing the same payload again only moves the entry's timestamps in place.",
    );

    /// Flushes each write to disk before it becomes visible (slower, survives power loss).
    pub fn fsync(mut self, on: bool) -> Self {
        self.fsync = on;
        self
    }

    /// Creates the directory if needed. `${VAR}` in the path is resolved now.
    pub fn build(self) -> Result<FileStorage, StorageError> {
        let raw = self.dir.to_string_lossy().into_owned();
        let dir = PathBuf::from(
            crate::storage::env::expand_env(&raw)
                .map_err(|e| StorageError::Config(format!("file storage dir: {e}")))?,
        );
        fs::create_dir_all(&dir).map_err(|e| {
            StorageError::Config(format!(
                "cannot create cache directory {}: {e}",
                dir.display()
            ))
        })?;
        Ok(FileStorage {
            dir,
            encoding: self.encoding,
            fsync: self.fsync,
            clock: self.clock.unwrap_or_else(system_clock),
            deduped: AtomicU64::new(0),
        })
    }

    /// [`FileStorageBuilder::build`] as a shared storage; a directory that cannot be made
    /// becomes a [`FailingStorage`](crate::storage::FailingStorage) whose every call fails with it
    /// (generated code uses this, so a bad directory never stops a program).
    pub fn build_shared(self) -> crate::storage::SharedStorage {
        let clock = self.clock.clone();
        crate::storage::FailingStorage::or_failing("file", self.build(), || {
            clock.unwrap_or_else(system_clock)
        })
    }
}
