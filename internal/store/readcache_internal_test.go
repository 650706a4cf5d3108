package store

import "testing"

// A kind of kept rows starts over when one more would pass its limit, and a row that alone passes it is
// read every time instead of being kept.
func TestKeptRowsStayWithinTheirLimit(t *testing.T) {
	k, s := &kept{}, &shelf[int]{}
	reads := 0
	get := func(key int64, size int) {
		t.Helper()
		v, err := load(k, s, [2]int64{key, 0}, 10, func(v int) int { return v }, func() (int, error) { reads++; return size, nil })
		if err != nil || v != size {
			t.Fatalf("load %d: %d, %v", key, v, err)
		}
	}
	get(1, 4)
	get(2, 4)
	get(1, 4)
	if reads != 2 || len(s.rows) != 2 || s.used != 8 {
		t.Fatalf("after two rows: %d reads, %d kept, %d used", reads, len(s.rows), s.used)
	}
	get(3, 4) // 12 > 10: starts over with row 3 alone
	if len(s.rows) != 1 || s.used != 4 {
		t.Fatalf("past the limit: %d kept, %d used", len(s.rows), s.used)
	}
	get(4, 11)
	get(4, 11)
	if reads != 5 || len(s.rows) != 1 {
		t.Fatalf("a row over the limit: %d reads, %d kept", reads, len(s.rows))
	}
}
