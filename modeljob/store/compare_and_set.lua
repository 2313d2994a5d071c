-- Replace a job's state if its version is still the one the caller read.
-- KEYS[1] job hash, KEYS[2] history list
-- ARGV[1] expected version, ARGV[2] new version, ARGV[3] JobState JSON,
-- ARGV[4] expiry in seconds (0 keeps the keys without expiry), ARGV[5] change channel,
-- ARGV[6..] history entries (JSON)
-- Returns 1 on success, 0 when the version moved on, -1 when the job is gone.
local current = redis.call('HGET', KEYS[1], 'version')
if not current then
  return -1
end
if current ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'state', ARGV[3], 'version', ARGV[2])
for i = 6, #ARGV do
  redis.call('RPUSH', KEYS[2], ARGV[i])
end
local expiry_s = tonumber(ARGV[4])
if expiry_s > 0 then
  redis.call('EXPIRE', KEYS[1], expiry_s)
  redis.call('EXPIRE', KEYS[2], expiry_s)
end
redis.call('PUBLISH', ARGV[5], ARGV[2])
return 1
