//! What the file storage does for each operation, on the caller's thread.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::time::SystemTime;

use super::{EXTENSION, FileStorage, NX_LOCK, STRAY_TEMP_AGE, io_error};
use crate::error::StorageError;
use crate::storage::frame;
use crate::storage::value::ValueType;
use crate::storage::{AnyEntry, Storage, StorageResult};

/// The operations, on the caller's thread; [`Storage`] wraps each in a ready future.
impl FileStorage {
    pub(super) fn read_live(
        &self,
        key: &str,
        ty: &dyn ValueType,
    ) -> StorageResult<Option<AnyEntry>> {
        match self.read_file(key)? {
            Some(stored) if !stored.stamps.is_expired(self.now()) => {
                self.decode(stored, ty).map(Some)
            }
            _ => Ok(None),
        }
    }

    pub(super) fn write(
        &self,
        key: &str,
        entry: AnyEntry,
        ty: &dyn ValueType,
    ) -> StorageResult<()> {
        let payload = self.encode_payload(&entry, ty)?;
        if self.encoding.dedupe && self.try_dedupe(key, &entry, &payload) {
            return Ok(());
        }
        let bytes = self.file_bytes(key, &entry, &payload)?;
        self.replace(key, &bytes)
    }

    pub(super) fn remove(&self, key: &str) -> StorageResult<bool> {
        let path = self.path_of(key);
        match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(io_error("remove", &path, e)),
        }
    }

    pub(super) fn is_live(&self, key: &str) -> StorageResult<bool> {
        Ok(self
            .read_file(key)?
            .is_some_and(|s| !s.stamps.is_expired(self.now())))
    }

    pub(super) fn write_if_absent(
        &self,
        key: &str,
        entry: AnyEntry,
        ty: &dyn ValueType,
    ) -> StorageResult<bool> {
        let payload = self.encode_payload(&entry, ty)?;
        let bytes = self.file_bytes(key, &entry, &payload)?;
        // One lock file per directory serializes check-and-write across threads and processes
        // (each open file description locks on its own).
        let lock_path = self.dir.join(NX_LOCK);
        let open = || {
            OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&lock_path)
        };
        let lock = match open() {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::create_dir_all(&self.dir).and_then(|()| open())
            }
            other => other,
        }
        .map_err(|e| io_error("open", &lock_path, e))?;
        lock.lock().map_err(|e| io_error("lock", &lock_path, e))?;
        let live = match self.read_file(key) {
            Ok(stored) => stored.is_some_and(|s| !s.stamps.is_expired(self.now())),
            // A bad file is no live entry.
            Err(StorageError::Codec(_)) => false,
            Err(e) => return Err(e),
        };
        let result = if live {
            Ok(false)
        } else {
            self.replace(key, &bytes).map(|()| true)
        };
        let _ = lock.unlock();
        result
    }

    pub(super) fn remove_expired(&self) -> StorageResult<usize> {
        let now = self.now();
        let listing = fs::read_dir(&self.dir).map_err(|e| io_error("list", &self.dir, e))?;
        let mut removed = 0;
        for item in listing.filter_map(Result::ok) {
            let path = item.path();
            let name = item.file_name().to_string_lossy().into_owned();
            let remove = if Self::is_temp(&name) {
                item.metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| SystemTime::now().duration_since(t).ok())
                    .is_some_and(|age| age >= STRAY_TEMP_AGE)
            } else if path.extension().is_some_and(|x| x == EXTENSION) {
                let mut head = Vec::with_capacity(frame::MAX_HEADER_LEN);
                File::open(&path)
                    .and_then(|f| f.take(frame::MAX_HEADER_LEN as u64).read_to_end(&mut head))
                    .ok()
                    .and_then(|_| frame::timestamps(&head).ok())
                    .is_some_and(|s| s.is_expired(now))
            } else {
                false
            };
            if remove && fs::remove_file(&path).is_ok() {
                removed += 1;
            }
        }
        Ok(removed)
    }
}
