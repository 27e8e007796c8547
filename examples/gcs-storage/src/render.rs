//! The slow work being cached: rendering a thumbnail.

use std::sync::atomic::{AtomicUsize, Ordering};

/// How many thumbnails this process rendered.
pub(crate) static RENDERED: AtomicUsize = AtomicUsize::new(0);

/// Renders the thumbnail of `image_id` at `width` pixels (here: a deterministic byte pattern).
pub(crate) async fn thumbnail(image_id: u64, width: u32) -> Vec<u8> {
    RENDERED.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    (0..width * 16)
        .map(|i| ((u64::from(i) * image_id) % 251) as u8)
        .collect()
}
