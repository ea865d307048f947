package redis

import goredis "github.com/redis/go-redis/v9"

// The Lua scripts. Each atomic step of the contract is one script: Redis
// runs a script without running any other command meanwhile, so every
// check and write of a script is one atomic step. Every key a script
// touches is in KEYS and, when there are two, shares the grant's hash tag,
// so that Redis Cluster runs the script on the one node that owns the
// slot. The exceptions run on a single node only, where every key is on
// the one node: accessPutScript is given a token and its grant, and
// accessGetScript reads the grant of the token it found.
//
// ARGV[1] of every script is the clock: "" for the Redis server's own
// (TIME), or a stamp that tests pass to move time. Every reply is an array
// whose first element is a status: "ok" when the step happened (and, for a
// write, wrote), or the refusal that statusErr maps to a sentinel error.
//
// Every write script is idempotent for its own caller (the package
// documentation, "Retries"): it is given the call token of its Store call
// (newCallToken, made once per call, so go-redis sends the same one when
// it retries the command), stores it with what it writes, and a run that
// finds its own token answers as the first run did. Such a run writes its
// token again, the same value: WAIT (Options.WaitReplicas) waits for the
// replication offset its connection last wrote at, a retry comes on a new
// connection, and from Redis 7.2 on only a command that propagates
// something sets that offset (redis/redis src/server.c, call()). The
// rewrite makes the retry's WAIT cover the first run's write.
//
// A grant is a hash: e (ExpiresAt stamp), d (the encoded grant without its
// refresh state), v (the grant's generation, which access tokens copy, and
// the call token of its save), r (RefreshHash), ri, re (RefreshIssuedAt,
// RefreshExpiresAt stamps), n (RefreshCount), p (PreviousRefreshHash), ra
// (RotatedAt stamp), and once its refresh token was set, t (the call token
// of that rotation) and b (the refresh state before it: ri, re and ra
// stamps, then p). A revoked grant keeps only e and x, its tombstone mark,
// until its expiry. A code is a hash: e, d, t (the call token of its save,
// then of its consumption) and u once consumed. An access token is a hash:
// e, d, g (its GrantID), v (its grant's generation) and t (the call token
// of its save). Every other record is a string: its ExpiresAt stamp, then
// its encoding; a use-once key's encoding is its call token, and a taken
// request's is a NUL byte, the call token of the take, then the request's
// encoding.

// prelude defines the helpers every script uses.
const prelude = `
local function clock()
  if ARGV[1] ~= '' then return ARGV[1] end
  local t = redis.call('TIME')
  return string.format('%012d%06d', tonumber(t[1]) + 100000000000, tonumber(t[2]))
end

-- before reports whether stamp a is earlier than stamp b, comparing the
-- seconds and the microseconds apart, each exactly.
local function before(a, b)
  local sa, sb = tonumber(string.sub(a, 1, 12)), tonumber(string.sub(b, 1, 12))
  if sa ~= sb then return sa < sb end
  return tonumber(string.sub(a, 13)) < tonumber(string.sub(b, 13))
end

-- liveGrant returns {e, v} of the grant at key when it is live at now:
-- stored, not revoked, not expired.
local function liveGrant(key, now)
  local g = redis.call('HMGET', key, 'e', 'x', 'v')
  if not g[1] or g[2] or not before(now, g[1]) then return nil end
  return {g[1], g[3]}
end

-- readGrant returns the fields e, x, d, r, ri, re, n, p, ra of the grant
-- at key when it is live at now.
local function readGrant(key, now)
  local g = redis.call('HMGET', key, 'e', 'x', 'd', 'r', 'ri', 're', 'n', 'p', 'ra')
  if not g[1] or g[2] or not before(now, g[1]) then return nil end
  return g
end

-- grantReply is the reply of a grant read: status, then d, r, ri, re, n,
-- p, ra.
local function grantReply(status, g)
  return {status, g[3], g[4], g[5], g[6], g[7], g[8], g[9]}
end
`

// saveGrantScript: KEYS[1] grant; ARGV clock, e, expiry ms, refresh
// invalid ("1" or ""), d, v, r, ri, re, n, p, ra. The generation v is the
// call token: a live grant with it is this call's own save.
const saveGrantScript = prelude + `
local now = clock()
if not before(now, ARGV[2]) then return {'expired'} end
if ARGV[4] ~= '' then return {'invalid'} end
local old = redis.call('HMGET', KEYS[1], 'e', 'v')
if old[1] and before(now, old[1]) then
  if old[2] ~= ARGV[6] then return {'exists'} end
  redis.call('HSET', KEYS[1], 'v', ARGV[6])
  return {'ok'}
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'e', ARGV[2], 'd', ARGV[5], 'v', ARGV[6], 'r', ARGV[7],
  'ri', ARGV[8], 're', ARGV[9], 'n', ARGV[10], 'p', ARGV[11], 'ra', ARGV[12])
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
return {'ok'}
`

// grantScript: KEYS[1] grant; ARGV clock. Replies ok with d, r, ri, re, n,
// p, ra.
const grantScript = prelude + `
local g = readGrant(KEYS[1], clock())
if not g then return {'notfound'} end
return grantReply('ok', g)
`

// rotateScript: KEYS[1] grant; ARGV clock, oldHash, next hash, next
// IssuedAt stamp, next ExpiresAt stamp, next invalid ("1" when it has no
// hash or no issue time), call token. It checks in the order of
// [store.GrantStore.RotateRefreshToken] and replies with the grant as it
// was: ok when it rotated, reused when oldHash is not current. A rotation
// keeps its call token in t and the refresh state it replaced in b, so
// that a second run of the same call, which finds next current, oldHash
// previous and its own token, replies ok with the same grant as the first
// run. Another call with the same hashes (the server's grace period makes
// successors deterministic) has another token and is a reuse.
const rotateScript = prelude + `
local now = clock()
local g = readGrant(KEYS[1], now)
if not g then return {'notfound'} end
local cur, old, nxt, nexp = g[4] or '', ARGV[2], ARGV[3], ARGV[5]
if old ~= cur then
  local mine = redis.call('HMGET', KEYS[1], 't', 'b')
  if cur ~= nxt or mine[1] ~= ARGV[7] or (old ~= '' and g[8] ~= old) then
    return grantReply('reused', g)
  end
  redis.call('HSET', KEYS[1], 't', ARGV[7])
  local b, n = mine[2], g[7]
  if old ~= '' then n = tostring(tonumber(n) - 1) end
  return grantReply('ok', {g[1], g[2], g[3], old, string.sub(b, 1, 18), string.sub(b, 19, 36),
    n, string.sub(b, 55), string.sub(b, 37, 54)})
end
if old ~= '' and not before(now, g[6]) then return {'notfound'} end
if ARGV[6] ~= '' or nxt == cur or before(g[1], nexp) then return {'invalid'} end
if not before(now, nexp) then return {'expired'} end
redis.call('HSET', KEYS[1], 'r', nxt, 'ri', ARGV[4], 're', nexp, 't', ARGV[7],
  'b', g[5] .. g[6] .. g[9] .. (g[8] or ''))
if old ~= '' then
  redis.call('HSET', KEYS[1], 'p', old, 'ra', ARGV[4])
  redis.call('HINCRBY', KEYS[1], 'n', 1)
end
return grantReply('ok', g)
`

// revokeScript: KEYS[1] grant; ARGV clock. A live grant becomes a
// tombstone that keeps its expiry; anything else is left alone ("none").
const revokeScript = prelude + `
if not liveGrant(KEYS[1], clock()) then return {'none'} end
redis.call('HDEL', KEYS[1], 'd', 'v', 'r', 'ri', 're', 'n', 'p', 'ra', 't', 'b')
redis.call('HSET', KEYS[1], 'x', '1')
return {'ok'}
`

// saveCodeScript: KEYS[1] grant, KEYS[2] code; ARGV clock, e, expiry ms, d,
// call token. A live code with the token is this call's own save.
const saveCodeScript = prelude + `
local now = clock()
if not before(now, ARGV[2]) then return {'expired'} end
local g = liveGrant(KEYS[1], now)
if not g then return {'notfound'} end
if before(g[1], ARGV[2]) then return {'invalid'} end
local old = redis.call('HMGET', KEYS[2], 'e', 't')
if old[1] and before(now, old[1]) then
  if old[2] ~= ARGV[5] then return {'exists'} end
  redis.call('HSET', KEYS[2], 't', ARGV[5])
  return {'ok'}
end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], 'e', ARGV[2], 'd', ARGV[4], 't', ARGV[5])
redis.call('PEXPIREAT', KEYS[2], ARGV[3])
return {'ok'}
`

// codeScript: KEYS[1] grant, KEYS[2] code; ARGV clock, the call token of a
// consumption ("" to read only). Replies ok or reused, with d. A consumed
// code whose t is the token was consumed by this call.
const codeScript = prelude + `
local now = clock()
if not liveGrant(KEYS[1], now) then return {'notfound'} end
local c = redis.call('HMGET', KEYS[2], 'e', 'd', 'u', 't')
if not c[1] or not before(now, c[1]) then return {'notfound'} end
if c[3] and (ARGV[2] == '' or c[4] ~= ARGV[2]) then return {'reused', c[2]} end
if ARGV[2] ~= '' then redis.call('HSET', KEYS[2], 'u', '1', 't', ARGV[2]) end
return {'ok', c[2]}
`

// grantCheckScript: KEYS[1] grant; ARGV clock, the ExpiresAt stamp of an
// access token to be saved ("" for a lookup). Replies ok with the grant's
// generation when the grant is live (and outlives the token).
const grantCheckScript = prelude + `
local now = clock()
local exp = ARGV[2]
if exp ~= '' and not before(now, exp) then return {'expired'} end
local g = liveGrant(KEYS[1], now)
if not g then return {'notfound'} end
if exp ~= '' and before(g[1], exp) then return {'invalid'} end
return {'ok', g[2]}
`

// accessPutScript: KEYS[1] access token, and on a single node KEYS[2] its
// grant; ARGV clock, e, expiry ms, d, GrantID, generation, call token (a
// live token with it is this call's own save). With KEYS[2]
// the script checks the grant and takes its generation itself; without
// it, the caller has checked the grant with grantCheckScript (on a
// cluster, whose grant may be on another node) and passes the generation.
const accessPutScript = prelude + `
local now = clock()
if not before(now, ARGV[2]) then return {'expired'} end
local v = ARGV[6]
if KEYS[2] then
  local g = liveGrant(KEYS[2], now)
  if not g then return {'notfound'} end
  if before(g[1], ARGV[2]) then return {'invalid'} end
  v = g[2]
end
local old = redis.call('HMGET', KEYS[1], 'e', 't')
if old[1] and before(now, old[1]) then
  if old[2] ~= ARGV[7] then return {'exists'} end
  redis.call('HSET', KEYS[1], 't', ARGV[7])
  return {'ok'}
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'e', ARGV[2], 'd', ARGV[4], 'g', ARGV[5], 'v', v, 't', ARGV[7])
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
return {'ok'}
`

// accessGetScript: KEYS[1] access token; ARGV clock, key prefix. Replies
// ok with d, then "1" when the token has no grant or the script found its
// grant live with the token's generation, or "" and the generation for the
// caller to check with grantCheckScript. With a prefix (on a single node
// only) the script names the grant's key itself, as grantKey does in Go:
// a key it was not given, which Redis allows outside a cluster; on a
// cluster (prefix "") the grant may be on another node.
const accessGetScript = prelude + `
local now = clock()
local t = redis.call('HMGET', KEYS[1], 'e', 'd', 'g', 'v')
if not t[1] or not before(now, t[1]) then return {'notfound'} end
if t[3] == '' then return {'ok', t[2], '1'} end
if ARGV[2] == '' then return {'ok', t[2], '', t[4]} end
local g = liveGrant(ARGV[2] .. '{g:' .. string.len(t[3]) .. ':' .. t[3] .. '}', now)
if not g or g[2] ~= t[4] then return {'notfound'} end
return {'ok', t[2], '1'}
`

// putScript: KEYS[1]; ARGV clock, e, expiry ms, encoding, mode ("new"
// refuses a live record with exists; "replace" replaces it). In "new" mode
// the encoding carries the call token, so a live record that is exactly
// what the call writes is its own, and is written again.
const putScript = prelude + `
local now = clock()
if not before(now, ARGV[2]) then return {'expired'} end
if ARGV[5] == 'new' then
  local old = redis.call('GET', KEYS[1])
  if old and before(now, string.sub(old, 1, 18)) and old ~= ARGV[2] .. ARGV[4] then
    return {'exists'}
  end
end
redis.call('SET', KEYS[1], ARGV[2] .. ARGV[4], 'PXAT', ARGV[3])
return {'ok'}
`

// getScript: KEYS[1]; ARGV clock, the call token of a take ("" to read
// only). Replies ok with the encoding of a live record. A take leaves a
// mark in the record's place until its expiry: the stamp, a NUL byte
// (which no encoding starts with), the token, the encoding. Readers and
// other takes find nothing there; a second run of the same take finds its
// own token and gets the record.
const getScript = prelude + `
local now = clock()
local v = redis.call('GET', KEYS[1])
if not v or not before(now, string.sub(v, 1, 18)) then return {'notfound'} end
local tok = ARGV[2]
if string.byte(v, 19) == 0 then
  if tok == '' or string.sub(v, 20, 19 + #tok) ~= tok then return {'notfound'} end
  redis.call('SET', KEYS[1], v, 'KEEPTTL')
  return {'ok', string.sub(v, 20 + #tok)}
end
if tok ~= '' then
  redis.call('SET', KEYS[1], string.sub(v, 1, 18) .. '\0' .. tok .. string.sub(v, 19), 'KEEPTTL')
end
return {'ok', string.sub(v, 19)}
`

// scripts are a Store's scripts. Each Store makes its own, so that no
// state (go-redis caches a script's hash) is shared between stores.
type scripts struct {
	saveGrant, grant, rotate, revoke *goredis.Script
	saveCode, code, grantCheck       *goredis.Script
	accessPut, accessGet, put, get   *goredis.Script
}

func newScripts() scripts {
	return scripts{
		saveGrant:  goredis.NewScript(saveGrantScript),
		grant:      goredis.NewScript(grantScript),
		rotate:     goredis.NewScript(rotateScript),
		revoke:     goredis.NewScript(revokeScript),
		saveCode:   goredis.NewScript(saveCodeScript),
		code:       goredis.NewScript(codeScript),
		grantCheck: goredis.NewScript(grantCheckScript),
		accessPut:  goredis.NewScript(accessPutScript),
		accessGet:  goredis.NewScript(accessGetScript),
		put:        goredis.NewScript(putScript),
		get:        goredis.NewScript(getScript),
	}
}
