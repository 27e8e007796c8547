//! The blocking methods of the remote and composite storages, written once: each drives the
//! async method to completion.

/// The blocking methods of a remote or composite storage, each driving the storage's async trait method to
/// completion with [`crate::rt::block_on`] (which works inside or outside a tokio runtime).
/// `$backend` turns a runtime failure into the storage's error. `cleanup_expired_blocking` is left
/// to each storage.
macro_rules! blocking_via_async {
    ($backend:expr) => {
        blocking_via_async!($backend, |_storage: &Self, _key: &str| None);
    };
    // `$early` answers at once, without a hop to the runtime (a storage that is known down).
    ($backend:expr, $early:expr) => {
        blocking_via_async!(
            $backend,
            $early,
            get: |_storage: &Self, _key: &str, _ty: &dyn ValueType| None
        );
    };
    // `$get` reads on the caller's thread when it can (`None`: through the async path).
    ($backend:expr, $early:expr, get: $get:expr) => {
        fn get_entry_blocking(
            &self,
            key: &str,
            ty: &dyn ValueType,
        ) -> StorageResult<Option<AnyEntry>> {
            if let Some(e) = ($early)(self, key) {
                return Err(e);
            }
            if let Some(read) = ($get)(self, key, ty) {
                return read;
            }
            crate::rt::block_on(self.get_entry(key, ty)).map_err($backend)?
        }

        fn set_entry_blocking(
            &self,
            key: &str,
            entry: AnyEntry,
            ty: &dyn ValueType,
        ) -> StorageResult<()> {
            if let Some(e) = ($early)(self, key) {
                return Err(e);
            }
            crate::rt::block_on(self.set_entry(key, entry, ty)).map_err($backend)?
        }

        fn delete_blocking(&self, key: &str) -> StorageResult<bool> {
            if let Some(e) = ($early)(self, key) {
                return Err(e);
            }
            crate::rt::block_on(self.delete(key)).map_err($backend)?
        }

        fn exists_blocking(&self, key: &str) -> StorageResult<bool> {
            if let Some(e) = ($early)(self, key) {
                return Err(e);
            }
            crate::rt::block_on(self.exists(key)).map_err($backend)?
        }

        fn set_if_not_exists_blocking(
            &self,
            key: &str,
            entry: AnyEntry,
            ty: &dyn ValueType,
        ) -> StorageResult<bool> {
            if let Some(e) = ($early)(self, key) {
                return Err(e);
            }
            crate::rt::block_on(self.set_if_not_exists(key, entry, ty)).map_err($backend)?
        }
    };
}
