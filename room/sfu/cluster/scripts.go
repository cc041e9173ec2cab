package cluster

import "github.com/redis/go-redis/v9"

// claimScript takes or refreshes a session's claim.
// KEYS[1] host key; ARGV[1] our node id, ARGV[2] our encoded node,
// ARGV[3] ttl in ms. Returns the holder's encoded node.
var claimScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return ARGV[2]
end
local ok, h = pcall(cjson.decode, v)
if ok and type(h) == 'table' and h.id == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return ARGV[2]
end
return v
`)

// releaseScript deletes a claim only if it is ours.
// KEYS[1] host key; ARGV[1] our node id. Returns 1 if deleted.
var releaseScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local ok, h = pcall(cjson.decode, v)
if ok and type(h) == 'table' and h.id == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`)

// nowMS is Lua computing Redis's own clock in milliseconds, so that nodes
// with skewed clocks agree on expiry.
const nowMS = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`

// extendTTL makes a key live at least ttl ms more, never shortening it.
const extendTTL = `
local function extend(key, ttl)
  local cur = redis.call('PTTL', key)
  if cur < ttl then redis.call('PEXPIRE', key, ttl) end
end
`

// setLiveScript marks a room live until now+ttl and records us as its
// reporter. KEYS[1] live zset, KEYS[2] owner hash; ARGV[1] room,
// ARGV[2] ttl ms, ARGV[3] our node id.
var setLiveScript = redis.NewScript(nowMS + extendTTL + `
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
extend(KEYS[1], ttl)
extend(KEYS[2], ttl)
return 1
`)

// clearLiveScript removes a room from the live set if we reported it.
// KEYS[1] live zset, KEYS[2] owner hash; ARGV[1] room, ARGV[2] our node
// id. Returns 1 if removed.
var clearLiveScript = redis.NewScript(`
local o = redis.call('HGET', KEYS[2], ARGV[1])
if o and o ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
return redis.call('ZREM', KEYS[1], ARGV[1])
`)

// liveRoomsScript lists the rooms whose entry has not expired.
// KEYS[1] live zset.
var liveRoomsScript = redis.NewScript(nowMS + `
return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')
`)
