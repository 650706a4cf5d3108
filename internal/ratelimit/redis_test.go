package ratelimit

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func redisClient(t *testing.T) *redis.Client {
	url := os.Getenv("TEST_REDIS_URL")
	if url == "" {
		t.Skip("Redis skipped: TEST_REDIS_URL is not set")
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	t.Cleanup(func() { c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("TEST_REDIS_URL is set but Redis is not reachable: %v", err)
	}
	return c
}

func TestRedis_SharedBurstThenRefusal(t *testing.T) {
	c := redisClient(t)
	ctx := context.Background()
	prefix := fmt.Sprintf("test:%d:", time.Now().UnixNano())
	// Two limiters on one Redis stand for two instances: they share each key's allowance.
	a, b := NewRedis(c, prefix), NewRedis(c, prefix)
	for i := range 10 {
		l := a
		if i%2 == 1 {
			l = b
		}
		if ok, _, err := l.Allow(ctx, "ip:1", 10); !ok || err != nil {
			t.Fatalf("request %d refused within the limit: %v", i+1, err)
		}
	}
	ok, retry, err := b.Allow(ctx, "ip:1", 10)
	if ok || err != nil || retry <= 0 || retry > 6*time.Second {
		t.Fatalf("11th request: ok=%v retry=%v err=%v; want refused with retry ≤ 6s", ok, retry, err)
	}
	if ok, _, _ := a.Allow(ctx, "ip:2", 10); !ok {
		t.Fatal("keys must not share an allowance")
	}
	ttl := c.PTTL(ctx, prefix+"ip:1").Val()
	if ttl <= 0 || ttl > time.Minute+time.Second {
		t.Fatalf("key TTL %v: keys must expire once their allowance is full again", ttl)
	}
}

func TestRedis_Refill(t *testing.T) {
	c := redisClient(t)
	ctx := context.Background()
	l := NewRedis(c, fmt.Sprintf("test:%d:", time.Now().UnixNano())) // 60 a minute: one a second
	for range 60 {
		l.Allow(ctx, "u", 60)
	}
	ok, retry, _ := l.Allow(ctx, "u", 60)
	if ok || retry <= 0 || retry > time.Second {
		t.Fatalf("past the burst: ok=%v retry=%v", ok, retry)
	}
	time.Sleep(retry + 50*time.Millisecond)
	if ok, _, _ := l.Allow(ctx, "u", 60); !ok {
		t.Fatalf("no request earned after waiting the %v it said", retry)
	}
}

func TestRedis_TakeAtAnyRateAndRefund(t *testing.T) {
	c := redisClient(t)
	ctx := context.Background()
	prefix := fmt.Sprintf("test:%d:", time.Now().UnixNano())
	a, b := NewRedis(c, prefix), NewRedis(c, prefix)
	r := Rate{Burst: 3, Interval: 15 * time.Minute}
	for i := range 3 {
		if ok, _, err := a.Take(ctx, "codes:1", r); !ok || err != nil {
			t.Fatalf("try %d refused: %v", i+1, err)
		}
	}
	if ok, retry, _ := b.Take(ctx, "codes:1", r); ok || retry < 14*time.Minute || retry > 15*time.Minute {
		t.Fatalf("fourth try: ok=%v retry=%v", ok, retry)
	}
	if err := b.Refund(ctx, "codes:1", r); err != nil {
		t.Fatal(err)
	}
	if ok, _, _ := a.Take(ctx, "codes:1", r); !ok {
		t.Fatal("a refunded try is not available again")
	}
	for range 4 {
		a.Refund(ctx, "codes:1", r)
	}
	if c.Exists(ctx, prefix+"codes:1").Val() != 0 {
		t.Fatal("a full allowance is still stored")
	}
}
