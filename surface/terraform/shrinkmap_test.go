package terraform

import (
	"strconv"
	"testing"
)

// TestShrinkingMap holds shrinkingMap to a plain map through a fill and a
// drain in which it is copied several times: every key it still holds keeps
// its value, every key taken is gone, and once empty it holds nothing.
func TestShrinkingMap(t *testing.T) {
	var s shrinkingMap[int]
	want := map[string]int{}
	for i := range 1000 {
		k := strconv.Itoa(i)
		s.put(k, i)
		want[k] = i
	}
	s.put("7", 70) // a key put again keeps one entry
	want["7"] = 70
	for i := 0; i < 1000; i += 3 {
		k := strconv.Itoa(i)
		v, ok := s.take(k)
		if !ok || v != want[k] {
			t.Fatalf("take(%s) = %d, %v; want %d, true", k, v, ok, want[k])
		}
		delete(want, k)
		if _, ok := s.take(k); ok {
			t.Fatalf("take(%s) twice found it again", k)
		}
	}
	for i := 1; i < 1000; i += 3 {
		k := strconv.Itoa(i)
		s.delete(k)
		delete(want, k)
	}
	s.delete("no such key")
	if len(s.m) != len(want) {
		t.Fatalf("len = %d, want %d", len(s.m), len(want))
	}
	// 333 of 1,000 left: more than a quarter, so not copied yet; one more
	// round of deletions below a quarter copies it to its size.
	if s.peak != 1000 {
		t.Fatalf("peak = %d with %d of 1000 entries left, want 1000 (no copy yet)", s.peak, len(s.m))
	}
	for i := 2; i < 300; i += 3 {
		k := strconv.Itoa(i)
		s.delete(k)
		delete(want, k)
	}
	if s.peak >= 1000 || s.peak < len(s.m) {
		t.Fatalf("peak = %d with %d entries left: the map was not copied to its size", s.peak, len(s.m))
	}
	for k, v := range want {
		if got, ok := s.get(k); !ok || got != v {
			t.Fatalf("get(%s) = %d, %v; want %d, true", k, got, ok, v)
		}
	}
	for k := range want {
		s.take(k)
	}
	if len(s.m) != 0 || s.m != nil {
		t.Fatalf("drained map holds %d entries (map %v)", len(s.m), s.m != nil)
	}
	s.put("again", 1) // usable after draining
	if v, ok := s.get("again"); !ok || v != 1 {
		t.Fatalf("get after refill = %d, %v", v, ok)
	}
}
