//! Write versions on Redis: each key's version lives in a key of the library's own (`~v:…`, in
//! the same hash slot, so one script reads both on a cluster too). Writes and deletes move it in
//! the same script that writes or deletes the entry; a load's store (`set_entry_if`) compares it
//! there, so a slow load in any process cannot store over a newer write or invalidation made by
//! another.

use std::sync::LazyLock;

use super::*;
use crate::storage::{Ticket, VERSION_LIFE};

/// One short text per hash slot whose own slot it is, so a version key can be put in any slot.
pub(super) static SLOT_TAGS: LazyLock<Vec<String>> = LazyLock::new(|| {
    let mut tags = vec![String::new(); 16384];
    let mut missing = tags.len();
    let mut n: u64 = 0;
    while missing > 0 {
        let tag = format!("{n:x}");
        let slot = usize::from(cluster::slot(tag.as_bytes()));
        if tags[slot].is_empty() {
            tags[slot] = tag;
            missing -= 1;
        }
        n += 1;
    }
    tags
});

/// A fresh version: unique across processes and writes, never 0 (0 is "no version").
fn fresh_version() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(NEXT.fetch_add(1, Ordering::Relaxed));
    h.write_u32(std::process::id());
    h.finish() | 1
}

/// Sets `KEYS[1]` (entry `ARGV[1]`, header length `ARGV[2]`, expiry `ARGV[3]` ms, `0` = none)
/// with its version key `KEYS[2]`. `ARGV[4]` = `w`: a write, the version becomes `ARGV[5]`
/// (kept `ARGV[6]` ms); `c`: a load's store, written only while the version is `ARGV[5]`
/// (empty: none). `ARGV[7]` = `1`: an unchanged payload moves only the header and the expiry.
/// Returns -1 when refused, 0 when deduplicated, 1 when written.
const SET_VERSIONED: &str = r"
local v = redis.pcall('GET', KEYS[2])
if type(v) ~= 'string' then v = '' end
if ARGV[4] == 'c' then
  if v ~= ARGV[5] then return -1 end
else
  redis.call('SET', KEYS[2], ARGV[5], 'PX', ARGV[6])
end
if ARGV[7] == '1' then
  local cur = redis.pcall('GET', KEYS[1])
  local hl = tonumber(ARGV[2])
  if type(cur) == 'string' and string.len(cur) == string.len(ARGV[1])
     and string.byte(cur, 2) == string.byte(ARGV[1], 2)
     and string.sub(cur, hl + 1) == string.sub(ARGV[1], hl + 1) then
    redis.call('SETRANGE', KEYS[1], 0, string.sub(ARGV[1], 1, hl))
    if ARGV[3] == '0' then redis.call('PERSIST', KEYS[1]) else redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
    return 0
  end
end
if ARGV[3] == '0' then redis.call('SET', KEYS[1], ARGV[1])
else redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3]) end
return 1
";

/// Deletes `KEYS[1]` and sets its version key `KEYS[2]` to `ARGV[1]` (kept `ARGV[2]` ms).
/// Returns how many keys were deleted.
const DELETE_VERSIONED: &str = r"
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
return redis.call('DEL', KEYS[1])
";

static SET: LazyLock<Script> = LazyLock::new(|| Script::new(SET_VERSIONED));
static DELETE: LazyLock<Script> = LazyLock::new(|| Script::new(DELETE_VERSIONED));

/// Runs `script` (whose text is `code`) as `EVALSHA`, and as `EVAL` when the node does not
/// know it: both are routed by the first key, so a master that restarted empty (whose script
/// cache is gone) is sent the text itself, where a `SCRIPT LOAD` could reach another node.
async fn invoke(
    mut c: Conn,
    script: &Script,
    code: &'static str,
    keys: [String; 2],
    args: Vec<Vec<u8>>,
) -> redis::RedisResult<i64> {
    let call = |mut cmd: redis::Cmd| {
        cmd.arg(2).arg(&keys[0]).arg(&keys[1]);
        for a in &args {
            cmd.arg(a);
        }
        cmd
    };
    let mut sha = redis::cmd("EVALSHA");
    sha.arg(script.get_hash());
    match call(sha).query_async(&mut c).await {
        Err(e) if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) => {
            let mut eval = redis::cmd("EVAL");
            eval.arg(code);
            call(eval).query_async(&mut c).await
        }
        answer => answer,
    }
}

fn text(s: impl ToString) -> Vec<u8> {
    s.to_string().into_bytes()
}

/// How a frame is written.
pub(super) enum Write {
    /// An insert or a background value: the version moves.
    Move,
    /// A load's store: only while the version is this (0: none).
    IfVersion(u64),
}

impl RedisStorage {
    /// The version key of the entry stored at `full_key`: `PREFIX~v:KEY` when that is in the
    /// same hash slot, else `~v{TAG}PREFIXKEY` with a tag of that slot.
    pub(super) fn version_key(&self, full_key: &str) -> String {
        let slot = cluster::slot(full_key.as_bytes());
        let key = full_key.get(self.prefix.len()..).unwrap_or(full_key);
        let plain = format!("{}~v:{key}", self.prefix);
        if cluster::slot(plain.as_bytes()) == slot {
            return plain;
        }
        format!("~v{{{}}}{full_key}", SLOT_TAGS[usize::from(slot)])
    }

    /// The version of `key` now (0: none).
    pub(super) async fn read_version(&self, key: &str) -> StorageResult<Ticket> {
        let k = self.full_key(key);
        let v = self.version_key(&k);
        let read: Option<String> = self
            .run(self.node_of(&k), move |mut c| async move {
                c.get::<_, Option<String>>(v).await
            })
            .await?;
        Ok(Ticket::Version(
            read.and_then(|text| text.parse().ok()).unwrap_or(0),
        ))
    }

    /// Writes a frame with its version, in one script; false when a load's store was refused.
    pub(super) async fn set_versioned(
        &self,
        key: &str,
        entry: AnyEntry,
        ty: &dyn ValueType,
        write: Write,
    ) -> StorageResult<bool> {
        // The key and its node, once; Redis (that node) is down: do not even encode.
        let k = self.full_key(key);
        let node = self.node_of(&k);
        if node.breaker.skips_now() {
            return Err(UNAVAILABLE);
        }
        let (bytes, ttl) = self.frame(&entry, ty)?;
        let (mode, version) = match write {
            Write::Move => ("w", fresh_version().to_string()),
            Write::IfVersion(0) => ("c", String::new()),
            Write::IfVersion(v) => ("c", v.to_string()),
        };
        if ttl == Some(0) {
            // Already past its life: nothing to keep (a write still removes the old entry).
            return match write {
                Write::Move => self.delete_versioned(key).await.map(|_| true),
                Write::IfVersion(_) => Ok(false),
            };
        }
        let v = self.version_key(&k);
        let dedupe = if self.encoding.dedupe { "1" } else { "0" };
        let life = duration_millis(VERSION_LIFE);
        let header = frame::header_len(&bytes).unwrap_or(frame::HEADER_LEN);
        let written: i64 = self
            .run(node, move |c| {
                let args = vec![
                    bytes,
                    text(header),
                    text(ttl.unwrap_or(0)),
                    text(mode),
                    text(version),
                    text(life),
                    text(dedupe),
                ];
                invoke(c, &SET, SET_VERSIONED, [k, v], args)
            })
            .await?;
        if written == 0 {
            self.deduped.fetch_add(1, Ordering::Relaxed);
        }
        Ok(written >= 0)
    }

    /// Deletes `key` and moves its version, in one script; true when something was deleted.
    pub(super) async fn delete_versioned(&self, key: &str) -> StorageResult<bool> {
        let k = self.full_key(key);
        let v = self.version_key(&k);
        let life = duration_millis(VERSION_LIFE);
        let deleted: i64 = self
            .run(self.node_of(&k), move |c| {
                let args = vec![text(fresh_version()), text(life)];
                invoke(c, &DELETE, DELETE_VERSIONED, [k, v], args)
            })
            .await?;
        Ok(deleted > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::{SLOT_TAGS, cluster};

    #[test]
    fn every_slot_has_a_tag_of_its_own() {
        for (slot, tag) in SLOT_TAGS.iter().enumerate() {
            assert_eq!(usize::from(cluster::slot(tag.as_bytes())), slot);
        }
    }
}
