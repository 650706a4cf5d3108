package ratelimit

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is a limiter shared by every instance through Redis: the generic cell rate algorithm (the
// token bucket's equivalent that needs one timestamp per key), run atomically by a Lua script that
// reads Redis's own clock, so instances' clocks don't matter.
type Redis struct {
	client *redis.Client
	prefix string
}

// NewRedis returns a limiter; prefix separates limiters sharing one Redis.
func NewRedis(client *redis.Client, prefix string) *Redis {
	return &Redis{client: client, prefix: prefix}
}

// gcra keeps per key the theoretical arrival time (TAT) in microseconds; it returns 0 when the request
// is allowed, otherwise the microseconds to wait.
var gcra = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - burst * interval
if now < allow_at then return allow_at - now end
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil((new_tat - now) / 1000))
return 0
`)

// Allow takes one request from key's allowance.
func (r *Redis) Allow(ctx context.Context, key string, perMinute int) (bool, time.Duration, error) {
	return r.Take(ctx, key, PerMinute(perMinute))
}

// Take takes one request from key's allowance at rate rt.
func (r *Redis) Take(ctx context.Context, key string, rt Rate) (bool, time.Duration, error) {
	wait, err := gcra.Run(ctx, r.client, []string{r.prefix + key}, rt.Interval.Microseconds(), rt.Burst).Int64()
	if err != nil {
		return false, 0, err
	}
	if wait > 0 {
		return false, time.Duration(wait) * time.Microsecond, nil
	}
	return true, 0, nil
}

// refund moves key's TAT back by one interval (never before now: an unused allowance is not stored).
var refund = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
local new_tat = tat - tonumber(ARGV[1])
if new_tat <= now then
  redis.call('DEL', KEYS[1])
  return 0
end
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil((new_tat - now) / 1000))
return 0
`)

// Refund gives back one request Take took from key.
func (r *Redis) Refund(ctx context.Context, key string, rt Rate) error {
	return refund.Run(ctx, r.client, []string{r.prefix + key}, rt.Interval.Microseconds()).Err()
}
