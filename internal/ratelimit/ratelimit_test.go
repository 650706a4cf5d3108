package ratelimit

import (
	"context"
	"testing"
	"time"
)

func TestMemory_AllowsBurstThenRefills(t *testing.T) {
	now := time.Unix(1000, 0)
	m := NewMemory(10)
	m.now = func() time.Time { return now }
	for i := range 10 {
		if ok, _, _ := m.Allow(context.Background(), "ip"); !ok {
			t.Fatalf("request %d refused within the limit", i+1)
		}
	}
	ok, retry, _ := m.Allow(context.Background(), "ip")
	if ok || retry <= 0 || retry > 6*time.Second {
		t.Fatalf("11th request: ok=%v retry=%v; want refused with retry ≤ 6s", ok, retry)
	}
	if ok, _, _ := m.Allow(context.Background(), "other"); !ok {
		t.Fatal("keys must not share a bucket")
	}
	now = now.Add(6 * time.Second)
	if ok, _, _ := m.Allow(context.Background(), "ip"); !ok {
		t.Fatal("a token should have been earned after 6s")
	}
	now = now.Add(2 * time.Minute)
	total := 0
	for i := range m.shards {
		m.shards[i].sweep(now, m.full())
		total += len(m.shards[i].buckets)
	}
	if total != 0 {
		t.Fatalf("%d buckets kept after they refilled", total)
	}
}
