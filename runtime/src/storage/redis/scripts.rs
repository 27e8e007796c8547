//! The server-side scripts of the Redis storage: each touches one key (`KEYS[1]`), so it runs on
//! one slot of a cluster too.

use std::sync::LazyLock;

use redis::Script;

/// Deletes a lock only while its payload (after the frame header) is the caller's token.
const LOCK_RELEASE: &str = r"
local cur = redis.pcall('GET', KEYS[1])
local hl = tonumber(ARGV[2])
if type(cur) == 'string' and string.sub(cur, hl + 1) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

/// Rewrites a lock (new timestamps, new expiry) only while its payload is the caller's token.
const LOCK_RENEW: &str = r"
local cur = redis.pcall('GET', KEYS[1])
local hl = tonumber(ARGV[2])
if type(cur) == 'string' and string.sub(cur, hl + 1) == string.sub(ARGV[1], hl + 1) then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
  return 1
end
return 0
";

/// Creates `KEYS[1]` = `ARGV[1]` (expiring in `ARGV[2]` ms, `0` = never) unless it holds an
/// entry still live at `ARGV[3]`, the caller's clock: an entry past its frame's timestamps is
/// absent even before Redis expires it (clocks differ), and so is a corrupt frame or a key of
/// another type. Returns 1 when created.
const CREATE: &str = r"
local cur = redis.pcall('GET', KEYS[1])
if type(cur) == 'string' and string.len(cur) >= 26
   and string.byte(cur, 1) == 172 and string.byte(cur, 2) == 1 then
  local function at(first)
    local t = 0
    for i = first + 7, first, -1 do t = t * 256 + string.byte(cur, i) end
    return t
  end
  local now = tonumber(ARGV[3])
  if at(11) > now or at(19) > now then return 0 end
end
if ARGV[2] == '0' then redis.call('SET', KEYS[1], ARGV[1])
else redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return 1
";

/// The scripts, hashed once per process (`EVALSHA`, loaded on first use).
pub(super) static CREATE_IF_ABSENT: LazyLock<Script> = LazyLock::new(|| Script::new(CREATE));
pub(super) static RELEASE: LazyLock<Script> = LazyLock::new(|| Script::new(LOCK_RELEASE));
pub(super) static RENEW: LazyLock<Script> = LazyLock::new(|| Script::new(LOCK_RENEW));
