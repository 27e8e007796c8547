//! Handles: a loader or reader is a cheap handle on one shared inner state.

/// `Clone` for a handle `$ty<T, E> { inner: Arc<…> }`: a clone shares the state, whatever `T`
/// and `E` are.
macro_rules! clone_handle {
    ($ty:ident) => {
        impl<T, E> Clone for $ty<T, E> {
            fn clone(&self) -> Self {
                Self {
                    inner: self.inner.clone(),
                }
            }
        }
    };
}
