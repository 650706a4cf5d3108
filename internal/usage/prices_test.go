package usage

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/chatbot-platform/chatbot/internal/model"
)

func TestPrices_LookupCostAndOverride(t *testing.T) {
	p, err := LoadPrices("")
	if err != nil {
		t.Fatal(err)
	}
	mini, ok := p.Lookup("gpt-4o-mini")
	if !ok || mini.Input != 150_000 || mini.CachedInput != 75_000 || mini.Output != 600_000 || p.Date == "" || p.Source == "" {
		t.Fatalf("gpt-4o-mini %+v %v (%s, %s)", mini, ok, p.Date, p.Source)
	}
	if dated, ok := p.Lookup("GPT-4o-mini-2024-07-18"); !ok || dated != mini {
		t.Fatalf("a dated snapshot is priced as its model: %+v %v", dated, ok)
	}
	if full, _ := p.Lookup("gpt-4o-2024-08-06"); full.Input != 2_500_000 {
		t.Fatalf("gpt-4o's snapshot took %+v (the longest matching name must win)", full)
	}
	if _, ok := p.Lookup("house-model"); ok {
		t.Fatal("an unknown model is priced")
	}
	// 1,000 input (200 cached) and 500 output tokens of gpt-4o-mini: 800*0.15 + 200*0.075 + 500*0.6 per million.
	if c := Cost(mini, 1000, 200, 500); c != 435 {
		t.Fatalf("cost %d micro-USD, want 435", c)
	}
	if c := Cost(model.Price{Input: 1}, 1, 0, 0); c != 1 {
		t.Fatalf("a fraction of a micro-dollar rounds up, got %d", c)
	}

	path := filepath.Join(t.TempDir(), "prices.json")
	os.WriteFile(path, []byte(`{"date":"2026-11-30","source":"our contract","models":{"gpt-4o-mini":{"input":0.1,"output":0.4},"house-model":{"input":1,"cached_input":0.5,"output":2}}}`), 0o600)
	p, err = LoadPrices(path)
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := p.Lookup("gpt-4o-mini"); m.Input != 100_000 || m.CachedInput != 100_000 {
		t.Fatalf("override %+v", m)
	}
	if h, ok := p.Lookup("house-model"); !ok || h.CachedInput != 500_000 || p.Source != "our contract" {
		t.Fatalf("added %+v", h)
	}
	if _, ok := p.Lookup("gpt-4o"); !ok {
		t.Fatal("the override dropped the built-in models")
	}
	os.WriteFile(path, []byte(`{"models":{"x":{"input":-1,"output":1}}}`), 0o600)
	if _, err := LoadPrices(path); err == nil {
		t.Fatal("a negative price loaded")
	}
	if _, err := LoadPrices(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Fatal("a missing PRICES_FILE loaded")
	}
}
