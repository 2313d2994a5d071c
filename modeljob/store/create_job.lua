-- Create a job with its first state and history entries, unless the ID is taken.
-- KEYS[1] job hash, KEYS[2] history list, KEYS[3] job index (sorted set)
-- ARGV[1] job ID, ARGV[2] canonical job JSON, ARGV[3] JobState JSON,
-- ARGV[4] index score (creation time, unix seconds), ARGV[5] change channel,
-- ARGV[6..] history entries (JSON)
-- Returns 1 when created, 0 when a job with this ID already exists.
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], 'spec', ARGV[2], 'state', ARGV[3], 'version', 1)
for i = 6, #ARGV do
  redis.call('RPUSH', KEYS[2], ARGV[i])
end
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
redis.call('PUBLISH', ARGV[5], 1)
return 1
