package ratelimit

import (
	"context"
	"testing"
	"time"
)

func TestMemory_AllowsBurstThenRefills(t *testing.T) {
	now := time.Unix(1000, 0)
	m := NewMemory()
	m.now = func() time.Time { return now }
	for i := range 10 {
		if ok, _, _ := m.Allow(context.Background(), "ip", 10); !ok {
			t.Fatalf("request %d refused within the limit", i+1)
		}
	}
	ok, retry, _ := m.Allow(context.Background(), "ip", 10)
	if ok || retry <= 0 || retry > 6*time.Second {
		t.Fatalf("11th request: ok=%v retry=%v; want refused with retry ≤ 6s", ok, retry)
	}
	if ok, _, _ := m.Allow(context.Background(), "other", 10); !ok {
		t.Fatal("keys must not share a bucket")
	}
	now = now.Add(6 * time.Second)
	if ok, _, _ := m.Allow(context.Background(), "ip", 10); !ok {
		t.Fatal("a token should have been earned after 6s")
	}
	now = now.Add(2 * time.Minute)
	total := 0
	for i := range m.shards {
		m.shards[i].sweep(now)
		total += len(m.shards[i].buckets)
	}
	if total != 0 {
		t.Fatalf("%d buckets kept after they refilled", total)
	}
}

func TestMemory_EachKeyKeepsItsOwnRate(t *testing.T) {
	m := NewMemory()
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if ok, _, _ := m.Allow(ctx, "key:slow", 2); !ok {
			t.Fatalf("slow request %d refused", i)
		}
	}
	if ok, _, _ := m.Allow(ctx, "key:slow", 2); ok {
		t.Fatal("third request at 2 a minute allowed")
	}
	for i := 0; i < 100; i++ {
		if ok, _, _ := m.Allow(ctx, "key:fast", 100); !ok {
			t.Fatalf("fast request %d refused", i)
		}
	}
}

func TestConcurrency_CapsEachKeyAndReleasesOnce(t *testing.T) {
	c := NewConcurrency()
	r1, ok1 := c.Acquire("u1", 2)
	r2, ok2 := c.Acquire("u1", 2)
	_, ok3 := c.Acquire("u1", 2)
	if !ok1 || !ok2 || ok3 {
		t.Fatalf("acquire: %v %v %v, want true true false", ok1, ok2, ok3)
	}
	if _, ok := c.Acquire("u2", 2); !ok {
		t.Fatal("another key is refused")
	}
	r1()
	r1() // a second release must not free another slot
	if c.Running("u1") != 1 {
		t.Fatalf("running = %d after one release", c.Running("u1"))
	}
	if _, ok := c.Acquire("u1", 2); !ok {
		t.Fatal("a released slot is not free")
	}
	r2()
}

// A limit that counts failures: take before each try, refund the ones that succeeded. Five failures
// in any 15 minutes, then one more each 15 minutes.
func TestMemory_TakeAtAnyRateAndRefund(t *testing.T) {
	now := time.Unix(1000, 0)
	m := NewMemory()
	m.now = func() time.Time { return now }
	ctx := context.Background()
	r := Rate{Burst: 5, Interval: 15 * time.Minute}
	for i := range 5 {
		if ok, _, _ := m.Take(ctx, "codes:1", r); !ok {
			t.Fatalf("try %d refused", i+1)
		}
		if i%2 == 0 { // this try succeeded
			m.Refund(ctx, "codes:1", r)
		}
	}
	for range 3 {
		m.Take(ctx, "codes:1", r)
	}
	ok, retry, _ := m.Take(ctx, "codes:1", r)
	if ok || retry <= 0 || retry > 15*time.Minute {
		t.Fatalf("sixth failure: ok=%v retry=%v", ok, retry)
	}
	now = now.Add(10 * time.Minute)
	for i := range m.shards { // a sweep must not forget a bucket that is not full yet
		m.shards[i].sweep(now)
	}
	if ok, _, _ := m.Take(ctx, "codes:1", r); ok {
		t.Fatal("a try allowed 10 minutes after the fifth failure")
	}
	now = now.Add(5 * time.Minute)
	if ok, _, _ := m.Take(ctx, "codes:1", r); !ok {
		t.Fatal("no try earned after 15 minutes")
	}
	if err := m.Refund(ctx, "never-taken", r); err != nil {
		t.Fatal(err)
	}
}
