//! Entries as frames in Redis: encoding and decoding them, and the commands and scripts that
//! read, write, create and lock them.

use super::*;

/// True when a write's outcome must be announced: it happened, or it may have (the command was
/// sent and no answer came back); not when it was never sent, was refused, or Redis answered
/// with an error of its own.
fn announces<T>(outcome: &StorageResult<T>, happened: impl Fn(&T) -> bool) -> bool {
    match outcome {
        Ok(v) => happened(v),
        Err(StorageError::Uncertain { .. }) => true,
        Err(_) => false,
    }
}

impl RedisStorage {
    pub(super) fn frame(
        &self,
        entry: &AnyEntry,
        ty: &dyn ValueType,
    ) -> StorageResult<(Vec<u8>, Option<u64>)> {
        let bytes = frame::encode(entry, ty, &self.encoding.codec)?;
        // Redis rejects an expiry past what its clock can add ("invalid expire time"): a longer
        // life is kept without a Redis expiry (the frame's own timestamps still end it on read).
        let ttl = entry
            .time_to_live(self.clock.now_millis())
            .map(duration_millis)
            .filter(|&px| px <= MAX_EXPIRY_MS);
        Ok((bytes, ttl))
    }

    pub(super) fn decode(
        &self,
        key: &str,
        bytes: Option<Vec<u8>>,
        ty: &dyn ValueType,
    ) -> StorageResult<Option<AnyEntry>> {
        let Some(bytes) = bytes else { return Ok(None) };
        frame::decode(&bytes, ty, &self.encoding.codec, self.clock.now_millis()).map_err(|e| {
            tracing::warn!(key = %crate::logkey::shown(key), error = %e, "bad payload in redis; treated as a miss");
            StorageError::Codec(e)
        })
    }

    pub(super) async fn get_raw(&self, key: &str) -> StorageResult<Option<Vec<u8>>> {
        let k = self.full_key(key);
        self.run(self.node_of(&k), move |mut c| async move {
            c.get::<_, Option<Vec<u8>>>(k).await
        })
        .await
    }

    /// Writes `entry` under `key` (`write` says whether the version moves or must match), and
    /// announces it on the change feed — also when the outcome is unknown (a timeout: Redis may
    /// still apply the write), so other processes drop their copies rather than keep one older
    /// than what Redis may hold. Only a write that was never sent (breaker open, a value that
    /// cannot be encoded) or was refused is not announced.
    pub(super) async fn set_announced(
        &self,
        key: &str,
        entry: AnyEntry,
        ty: &dyn ValueType,
        write: versions::Write,
    ) -> StorageResult<bool> {
        let written = self.set_versioned(key, entry, ty, write).await;
        if announces(&written, |w| *w) {
            self.announce(key);
        }
        written
    }

    /// Deletes `key` (moving its version) and announces it, as [`Self::set_announced`] does.
    pub(super) async fn delete_announced(&self, key: &str) -> StorageResult<bool> {
        let deleted = self.delete_versioned(key).await;
        if announces(&deleted, |_| true) {
            self.announce(key);
        }
        deleted
    }

    pub(super) async fn set_nx(
        &self,
        key: &str,
        entry: AnyEntry,
        ty: &dyn ValueType,
    ) -> StorageResult<bool> {
        let (bytes, ttl) = self.frame(&entry, ty)?;
        if ttl == Some(0) {
            return Ok(false);
        }
        let (k, now) = (self.full_key(key), self.clock.now_millis());
        let created: i64 = self
            .run(self.node_of(&k), move |mut c| async move {
                let mut call = CREATE_IF_ABSENT.key(k);
                call.arg(bytes).arg(ttl.unwrap_or(0)).arg(now);
                call.invoke_async(&mut c).await
            })
            .await?;
        Ok(created > 0)
    }

    /// Compare-and-delete of a lock, in one server-side script.
    pub(super) async fn release(&self, key: &str, holder: &str) -> StorageResult<bool> {
        let ty = crate::storage::value::SerdeValue::<String>::new();
        let frame = frame::encode(
            &crate::storage::lock_entry(holder, 0, Duration::ZERO),
            &ty,
            &self.encoding.codec,
        )?;
        let token = frame[frame::HEADER_LEN..].to_vec();
        let k = self.full_key(key);
        let deleted = self
            .frame_script(self.node_of(&k), &RELEASE, k, token, None)
            .await?;
        Ok(deleted > 0)
    }

    /// Compare-and-expire of a lock, in one server-side script.
    pub(super) async fn renew(
        &self,
        key: &str,
        holder: &str,
        ttl: Duration,
    ) -> StorageResult<bool> {
        let ty = crate::storage::value::SerdeValue::<String>::new();
        let entry = crate::storage::lock_entry(holder, self.clock.now_millis(), ttl);
        let bytes = frame::encode(&entry, &ty, &self.encoding.codec)?;
        let px = duration_millis(ttl).clamp(1, MAX_EXPIRY_MS);
        let k = self.full_key(key);
        let renewed = self
            .frame_script(self.node_of(&k), &RENEW, k, bytes, Some(px))
            .await?;
        Ok(renewed > 0)
    }

    /// Runs one of the frame scripts on `node` (the node of `key`): `KEYS[1]` = `key`, `ARGV` =
    /// `bytes`, the header length and, when given, an expiry in milliseconds.
    pub(super) async fn frame_script(
        &self,
        node: Arc<Node>,
        script: &'static Script,
        key: String,
        bytes: Vec<u8>,
        px: Option<u64>,
    ) -> StorageResult<i64> {
        self.run(node, move |mut c| async move {
            let mut call = script.key(key);
            let header = frame::header_len(&bytes).unwrap_or(frame::HEADER_LEN);
            call.arg(bytes).arg(header);
            if let Some(px) = px {
                call.arg(px);
            }
            call.invoke_async(&mut c).await
        })
        .await
    }
}
