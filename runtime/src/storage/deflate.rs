//! Optional payload compression of the byte tiers (files, object storage): raw deflate.

use std::io::{Read, Write};

use crate::storage::codec::CodecError;

/// Deflates `bytes` (fast level: caches favour speed over ratio).
pub(crate) fn compress(bytes: &[u8]) -> Result<Vec<u8>, CodecError> {
    let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    z.write_all(bytes)
        .and_then(|()| z.finish())
        .map_err(|e| CodecError::Encode(format!("deflate: {e}")))
}

/// Inflates what [`compress`] produced; bad input is a decode error (a miss), never a panic.
pub(crate) fn inflate(bytes: &[u8]) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(bytes)
        .read_to_end(&mut out)
        .map_err(|e| CodecError::Decode(format!("inflate: {e}")))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trips_and_rejects_garbage() {
        let data = b"abcabcabcabcabcabcabcabc".repeat(10);
        let z = super::compress(&data).expect("compresses");
        assert!(z.len() < data.len());
        assert_eq!(super::inflate(&z).expect("inflates"), data);
        assert!(super::inflate(&[0xff, 0xff, 0xff]).is_err());
    }
}
